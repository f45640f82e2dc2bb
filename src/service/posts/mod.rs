//! Posts: writing, the publishing workflow and likes. Reading with the
//! visibility rules is in `reads` (one post) and `listing` (pages, with
//! the cursor codec in `cursor`), reporting committed changes (and
//! publishing due posts) in `changes`, text analysis in `analysis`.

mod analysis;
mod changes;
mod cursor;
mod listing;
mod reads;
mod slugs;

use super::{Actor, Error};
use crate::content::markdown;
use crate::domain::change::Change;
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::domain::post::parse_list;
use crate::domain::{BriefId, PostId};
use crate::domain::{CategoryId, NewPost, Platforms, PostFields, PostRecord, PostView};
use crate::domain::{
    ContentType, Excerpt, Platform, PostBody, PostStatus, PostTitle, Scope, Slug, Tags, Transition,
    ValidationError, Validator,
};
use crate::service::Context;
use crate::service::events::{self, by};
use crate::service::jobs;
use crate::store::posts;
use crate::store::{Tx, categories};
use serde_json::json;

pub use analysis::{analyse_stored, queue_missing_analyses};
pub use changes::{publish_due, publish_due_before_counting, publish_scheduled};
pub use listing::{MAX_FEED_OFFSET, MAX_OFFSET, Page, list};
pub use reads::{BySlug, effective, events_of, get, get_by_slug, published_by_slug, revision, revisions};

use changes::{listed_before, post_changed};
use slugs::{free_slug, retry_slug_race};

/// What a client sent to create or change a post; `None` leaves a field as
/// it is (or at its default on creation).
#[derive(Debug, Default, Clone)]
pub struct PostInput {
    pub title: Option<String>,
    pub body: Option<String>,
    /// Empty string: derive from the body again.
    pub excerpt: Option<String>,
    pub slug: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Category slug; empty string removes the category.
    pub category: Option<String>,
    pub platforms: Option<Vec<String>>,
    pub content_type: Option<String>,
    /// Set by the generation service for drafts it saves; never by clients.
    pub brief_id: Option<BriefId>,
}

/// A client's input, parsed: the patch a create or update applies (`None`
/// leaves a field as it is; `category: Some(None)` removes the category).
struct PostPatch {
    title: Option<PostTitle>,
    body: Option<PostBody>,
    excerpt: Option<Excerpt>,
    slug: Option<Slug>,
    tags: Option<Tags>,
    category: Option<Option<String>>,
    platforms: Option<Vec<Platform>>,
    content_type: Option<ContentType>,
}

fn parse_input(input: &PostInput, creating: bool) -> Result<PostPatch, Error> {
    let mut v = Validator::new();
    let title = match &input.title {
        Some(raw) => v.check(PostTitle::parse("title", raw)).map(Some),
        None if creating => v.check(Err(ValidationError::new("title", "required", "a title is required"))),
        None => Some(None),
    };
    let body = match &input.body {
        Some(raw) => v.check(PostBody::parse("body", raw)).map(Some),
        None if creating => v.check(Err(ValidationError::new("body", "required", "a body is required"))),
        None => Some(None),
    };
    let excerpt = match &input.excerpt {
        Some(raw) => v.check(Excerpt::parse("excerpt", raw)).map(Some),
        None => Some(None),
    };
    let slug = match &input.slug {
        Some(raw) => v.check(Slug::parse("slug", raw)).map(Some),
        None => Some(None),
    };
    let tags = match &input.tags {
        Some(raw) => v.check(Tags::parse("tags", raw)).map(Some),
        None => Some(None),
    };
    let category = match input.category.as_deref().map(str::trim) {
        None => Some(None),
        Some("") => Some(Some(None)),
        Some(raw) => v.check(Slug::parse("category", raw)).map(|s| Some(Some(s.to_string()))),
    };
    let platforms = match &input.platforms {
        Some(raw) => v.check(parse_list("platforms", raw, Platform::parse)).map(Some),
        None => Some(None),
    };
    let content_type = match &input.content_type {
        Some(raw) => v.check(ContentType::parse("content_type", raw)).map(Some),
        None => Some(None),
    };
    Ok(v.finish(|| {
        Some(PostPatch {
            title: title?,
            body: body?,
            excerpt: excerpt?,
            slug: slug?,
            tags: tags?,
            category: category?,
            platforms: platforms?,
            content_type: content_type?,
        })
    })?)
}

fn require_author(actor: &Actor) -> Result<(), Error> {
    actor.require_scope(Scope::Write)?;
    if !actor.role.can_create_content() {
        return Err(Error::Forbidden { reason: "viewers cannot write posts" });
    }
    Ok(())
}

/// Creates a post as a draft, or published at once when `publish` is set.
#[tracing::instrument(level = "debug", name = "service.posts.create", skip_all)]
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    input: &PostInput,
    publish: bool,
) -> Result<PostView, Error> {
    retry_slug_race(|| create_once(ctx, actor, input, publish)).await
}

async fn create_once(
    ctx: &Context,
    actor: &Actor,
    input: &PostInput,
    publish: bool,
) -> Result<PostView, Error> {
    require_author(actor)?;
    let valid = parse_input(input, true)?;
    let (Some(title), Some(body)) = (valid.title, valid.body) else {
        return Err(Error::invalid("body", "required", "title and body are required"));
    };
    let now = ctx.clock.now();
    let (excerpt, excerpt_given) = excerpt_for(valid.excerpt.as_ref(), &body);
    let status = if publish { PostStatus::Published } else { PostStatus::Draft };
    let mut fields = PostFields {
        slug: String::new(),
        title: title.as_ref().to_owned(),
        body_html: markdown::to_safe_html(body.as_ref()),
        body: body.as_ref().to_owned(),
        excerpt,
        excerpt_given,
        status,
        publish_at: None,
        published_at: publish.then_some(now),
        category_id: None,
        tags: valid.tags.unwrap_or_default(),
        platforms: Platforms(valid.platforms.unwrap_or_else(|| vec![Platform::Blog])),
        content_type: valid.content_type.unwrap_or(ContentType::Article),
        analysis: None,
    };
    let mut tx = ctx.db.begin().await?;
    if let Some(Some(category)) = &valid.category {
        fields.category_id = Some(category_id(&mut tx, category).await?);
    }
    let wanted = valid.slug.clone().unwrap_or_else(|| Slug::from_title(&fields.title));
    fields.slug = free_slug(&mut tx, &wanted, None, valid.slug.is_some()).await?;
    let post = NewPost { author_id: actor.account_id, fields, brief_id: input.brief_id, created_at: now };
    let post_id = posts::insert(&mut tx, &post).await?;
    analysis::queue(ctx, &mut tx, post_id).await?;
    posts::insert_revision(&mut tx, post_id, &post.fields, actor.account_id, now).await?;
    let payload =
        json!({"post_id": post_id, "slug": post.fields.slug, "status": post.fields.status.as_str()});
    events::record(
        ctx,
        &mut tx,
        NewEvent::new(EventType::PostCreated, by(actor), Subject::Post(post_id), payload),
    )
    .await?;
    if publish {
        let payload = json!({"post_id": post_id});
        events::record(
            ctx,
            &mut tx,
            NewEvent::new(EventType::PostPublished, by(actor), Subject::Post(post_id), payload),
        )
        .await?;
    }
    tx.commit().await?;
    post_changed(ctx, actor, post_id, None).await
}

/// The names of the fields an update was given.
fn changed_fields(valid: &PostPatch) -> Vec<&'static str> {
    let given = [
        ("title", valid.title.is_some()),
        ("body", valid.body.is_some()),
        ("excerpt", valid.excerpt.is_some()),
        ("slug", valid.slug.is_some()),
        ("tags", valid.tags.is_some()),
        ("category", valid.category.is_some()),
        ("platforms", valid.platforms.is_some()),
        ("content_type", valid.content_type.is_some()),
    ];
    given.into_iter().filter(|(_, given)| *given).map(|(name, _)| name).collect()
}

fn excerpt_for(given: Option<&Excerpt>, body: &PostBody) -> (String, bool) {
    match given.map(AsRef::as_ref).filter(|e: &&str| !e.is_empty()) {
        Some(text) => (text.to_owned(), true),
        None => (markdown::excerpt(body.as_ref()), false),
    }
}

async fn category_id(tx: &mut Tx, slug: &str) -> Result<CategoryId, Error> {
    categories::id_by_slug(tx, slug)
        .await?
        .ok_or_else(|| Error::invalid("category", "unknown", "no category has this slug"))
}

/// Locks a post for change by `actor`: 404 if they cannot see it, 403 if they
/// can but may not change it, 412 if `if_match` names another version.
async fn lock_for_change(
    ctx: &Context,
    tx: &mut Tx,
    actor: &Actor,
    post_id: PostId,
    if_match: Option<i64>,
) -> Result<PostRecord, Error> {
    let row = posts::lock(tx, post_id).await?.ok_or(Error::NotFound { what: "post" })?;
    let own = row.author_id == actor.account_id;
    if !own && !actor.role.can_manage_others_content() {
        // Whether it exists is only revealed to those who may see it.
        get(ctx, Some(actor), post_id).await?;
        return Err(Error::Forbidden { reason: "only the author or an editor may change this post" });
    }
    require_author(actor)?;
    if if_match.is_some_and(|expected| expected != row.version) {
        return Err(Error::PreconditionFailed);
    }
    Ok(row)
}

async fn save(tx: &mut Tx, row: &PostRecord, previous_version: i64) -> Result<(), Error> {
    if posts::update(tx, row, previous_version).await? { Ok(()) } else { Err(Error::PreconditionFailed) }
}

/// Applies changes. The slug follows the title until the post is first
/// published; after that it changes only when given explicitly, and the
/// old slug keeps redirecting.
#[tracing::instrument(level = "debug", name = "service.posts.update", skip_all)]
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    post_id: PostId,
    input: &PostInput,
    if_match: Option<i64>,
) -> Result<PostView, Error> {
    retry_slug_race(|| update_once(ctx, actor, post_id, input, if_match)).await
}

async fn update_once(
    ctx: &Context,
    actor: &Actor,
    post_id: PostId,
    input: &PostInput,
    if_match: Option<i64>,
) -> Result<PostView, Error> {
    let valid = parse_input(input, false)?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let mut row = lock_for_change(ctx, &mut tx, actor, post_id, if_match).await?;
    let listed_was = listed_before(&mut tx, post_id, now).await?;
    let f = &mut row.fields;
    let before = (f.title.clone(), f.body.clone(), f.excerpt.clone());
    if let Some(title) = &valid.title {
        f.title = title.as_ref().to_owned();
    }
    if let Some(body) = &valid.body {
        f.body = body.as_ref().to_owned();
        f.body_html = markdown::to_safe_html(&f.body);
    }
    match &valid.excerpt {
        Some(excerpt) if !excerpt.as_ref().is_empty() => {
            f.excerpt = excerpt.as_ref().to_owned();
            f.excerpt_given = true;
        }
        Some(_) => f.excerpt_given = false,
        None => {}
    }
    if !f.excerpt_given {
        f.excerpt = markdown::excerpt(&f.body);
    }
    if let Some(tags) = &valid.tags {
        f.tags = tags.clone();
    }
    if let Some(platforms) = &valid.platforms {
        f.platforms = Platforms(platforms.clone());
    }
    if let Some(content_type) = valid.content_type {
        f.content_type = content_type;
    }
    match &valid.category {
        Some(Some(slug)) => f.category_id = Some(category_id(&mut tx, slug).await?),
        Some(None) => f.category_id = None,
        None => {}
    }
    let never_published = f.published_at.is_none() && f.status != PostStatus::Published;
    let new_slug = match (&valid.slug, &valid.title) {
        (Some(slug), _) => Some(free_slug(&mut tx, slug, Some(post_id), true).await?),
        (None, Some(_)) if never_published => {
            Some(free_slug(&mut tx, &Slug::from_title(&f.title), Some(post_id), false).await?)
        }
        _ => None,
    };
    let old_slug = f.slug.clone();
    if let Some(slug) = new_slug.filter(|s| *s != old_slug) {
        f.slug = slug;
        if !never_published {
            posts::remember_old_slug(&mut tx, &old_slug, &f.slug, post_id).await?;
        }
    }
    if valid.body.is_some() || valid.platforms.is_some() || f.analysis.is_none() {
        f.analysis = None;
    }
    let analysis_stale = f.analysis.is_none();
    let text_changed = before != (f.title.clone(), f.body.clone(), f.excerpt.clone());
    let previous = row.version;
    row.version += 1;
    row.updated_at = now;
    save(&mut tx, &row, previous).await?;
    if analysis_stale {
        analysis::queue(ctx, &mut tx, post_id).await?;
    }
    if text_changed {
        posts::insert_revision(&mut tx, post_id, &row.fields, actor.account_id, now).await?;
    }
    let payload = json!({"post_id": post_id, "fields": changed_fields(&valid), "version": row.version});
    events::record(
        ctx,
        &mut tx,
        NewEvent::new(EventType::PostUpdated, by(actor), Subject::Post(post_id), payload),
    )
    .await?;
    tx.commit().await?;
    post_changed(ctx, actor, post_id, listed_was).await
}

#[tracing::instrument(level = "debug", name = "service.posts.delete", skip_all)]
pub async fn delete(
    ctx: &Context,
    actor: &Actor,
    post_id: PostId,
    if_match: Option<i64>,
) -> Result<(), Error> {
    let mut tx = ctx.db.begin().await?;
    lock_for_change(ctx, &mut tx, actor, post_id, if_match).await?;
    let before = listed_before(&mut tx, post_id, ctx.clock.now()).await?;
    posts::delete(&mut tx, post_id).await?;
    jobs::cancel_publication(ctx, &mut tx, post_id).await?;
    let payload = json!({"post_id": post_id});
    events::record(
        ctx,
        &mut tx,
        NewEvent::new(EventType::PostDeleted, by(actor), Subject::Post(post_id), payload),
    )
    .await?;
    tx.commit().await?;
    ctx.changes.publish(&[Change::Post { id: post_id, before, after: None }]).await;
    Ok(())
}

/// Moves a post through its workflow; a transition not allowed from the
/// current state is a conflict naming that state.
#[tracing::instrument(level = "debug", name = "service.posts.transition", skip_all)]
pub async fn transition(
    ctx: &Context,
    actor: &Actor,
    post_id: PostId,
    transition: Transition,
    if_match: Option<i64>,
) -> Result<PostView, Error> {
    let now = ctx.clock.now();
    if let Transition::Schedule(at) = transition
        && at <= now
    {
        return Err(Error::invalid("publish_at", "not_in_future", "must be in the future"));
    }
    let mut tx = ctx.db.begin().await?;
    let mut row = lock_for_change(ctx, &mut tx, actor, post_id, if_match).await?;
    let listed_was = listed_before(&mut tx, post_id, now).await?;
    let f = &mut row.fields;
    // A scheduled post whose time has passed is already published.
    let current = match (f.status, f.publish_at) {
        (PostStatus::Scheduled, Some(at)) if at <= now => {
            f.published_at = Some(at);
            PostStatus::Published
        }
        (status, _) => status,
    };
    let Some(next) = current.apply(transition) else {
        return Err(Error::Conflict {
            detail: format!("cannot {} a post that is {current}", transition.name()),
        });
    };
    match transition {
        Transition::Publish => {
            f.published_at = Some(now);
            f.publish_at = None;
        }
        Transition::Schedule(at) => f.publish_at = Some(at),
        Transition::Unschedule => f.publish_at = None,
        Transition::Archive => {}
        Transition::Restore => {
            f.published_at = None;
            f.publish_at = None;
        }
    }
    f.status = next;
    let previous = row.version;
    row.version += 1;
    row.updated_at = now;
    save(&mut tx, &row, previous).await?;
    let (event_type, payload) = match transition {
        Transition::Publish => (EventType::PostPublished, json!({"post_id": post_id})),
        Transition::Schedule(at) => (EventType::PostScheduled, json!({"post_id": post_id, "publish_at": at})),
        Transition::Unschedule => (EventType::PostUnscheduled, json!({"post_id": post_id})),
        Transition::Archive => (EventType::PostArchived, json!({"post_id": post_id})),
        Transition::Restore => (EventType::PostRestored, json!({"post_id": post_id})),
    };
    events::record(ctx, &mut tx, NewEvent::new(event_type, by(actor), Subject::Post(post_id), payload))
        .await?;
    match transition {
        Transition::Schedule(at) => jobs::schedule_publication(ctx, &mut tx, post_id, at).await?,
        _ => jobs::cancel_publication(ctx, &mut tx, post_id).await?,
    }
    tx.commit().await?;
    post_changed(ctx, actor, post_id, listed_was).await
}

/// Likes or unlikes a post the actor can see; idempotent.
#[tracing::instrument(level = "debug", name = "service.posts.set_like", skip_all)]
pub async fn set_like(ctx: &Context, actor: &Actor, post_id: PostId, liked: bool) -> Result<PostView, Error> {
    actor.require_scope(Scope::Write)?;
    get(ctx, Some(actor), post_id).await?;
    let mut tx = ctx.db.begin().await?;
    if posts::set_like(&mut tx, post_id, actor.account_id, liked, ctx.clock.now()).await? {
        let event_type = if liked { EventType::PostLiked } else { EventType::PostUnliked };
        let payload = json!({"post_id": post_id});
        events::record(ctx, &mut tx, NewEvent::new(event_type, by(actor), Subject::Post(post_id), payload))
            .await?;
    }
    tx.commit().await?;
    ctx.changes.publish(&[Change::Liked { post: post_id }]).await;
    get(ctx, Some(actor), post_id).await
}

/// Restores an old revision's text, which itself becomes a new revision.
#[tracing::instrument(level = "debug", name = "service.posts.restore_revision", skip_all)]
pub async fn restore_revision(
    ctx: &Context,
    actor: &Actor,
    post_id: PostId,
    no: i64,
    if_match: Option<i64>,
) -> Result<PostView, Error> {
    let old = revision(ctx, actor, post_id, no).await?;
    let input = PostInput {
        title: Some(old.title),
        body: Some(old.body),
        excerpt: Some(old.excerpt),
        ..PostInput::default()
    };
    update(ctx, actor, post_id, &input, if_match).await
}
