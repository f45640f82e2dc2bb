//! Posts: writing, the publishing workflow, revisions, likes and reading
//! with visibility rules.

use chrono::{DateTime, Utc};

use super::{Actor, Error};
use crate::app::AppState;
use crate::content::markdown;
use crate::domain::change::{Change, Listed};
use crate::domain::post::parse_list;
use crate::domain::{
    ContentType, Excerpt, Platform, PostBody, PostStatus, PostTitle, Scope, Slug, Tags, Transition,
    ValidationError, Validator,
};
use crate::store::post_views::{self, PostQuery, PostViewRow, Viewer};
use crate::store::posts::{self, ListingRow, PostRow, SlugTarget};
use crate::store::{Tx, categories};

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
    pub brief_id: Option<i64>,
}

struct ValidInput {
    title: Option<PostTitle>,
    body: Option<PostBody>,
    excerpt: Option<Excerpt>,
    slug: Option<Slug>,
    tags: Option<Tags>,
    category: Option<Option<String>>,
    platforms: Option<Vec<Platform>>,
    content_type: Option<ContentType>,
}

fn parse_input(input: &PostInput, creating: bool) -> Result<ValidInput, Error> {
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
        Some(ValidInput {
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

/// What the viewer may see: editors everything, others public posts plus
/// (for authors) their own.
pub fn viewer_of(actor: Option<&Actor>) -> Viewer {
    match actor {
        Some(actor) if actor.has_scope(Scope::Read) => {
            Viewer { account_id: Some(actor.account_id), sees_all: actor.role.can_manage_others_content() }
        }
        _ => Viewer { account_id: None, sees_all: false },
    }
}

/// Presents a scheduled post whose time has come as published, whether or
/// not the background publisher has flipped it yet.
pub fn effective(mut row: PostViewRow, now: DateTime<Utc>) -> PostViewRow {
    if row.status == PostStatus::Scheduled.as_str() && row.publish_at.is_some_and(|at| at <= now) {
        row.status = PostStatus::Published.as_str().to_owned();
        row.published_at = row.publish_at;
    }
    row
}

/// Reads one post as `actor` sees it; invisible posts are "not found".
#[tracing::instrument(level = "debug", name = "service.posts.get", skip_all)]
pub async fn get(state: &AppState, actor: Option<&Actor>, post_id: i64) -> Result<PostViewRow, Error> {
    let now = state.clock.now();
    let mut query = PostQuery::new(viewer_of(actor), now);
    query.post_id = Some(post_id);
    query.limit = 1;
    query.with_text = true;
    let row = post_views::find(&state.db, &query).await?.into_iter().next();
    row.map(|r| effective(r, now)).ok_or(Error::NotFound { what: "post" })
}

/// Where a slug leads: the post, or the slug it moved to.
pub enum BySlug {
    Found(Box<PostViewRow>),
    Moved(String),
}

#[tracing::instrument(level = "debug", name = "service.posts.get_by_slug", skip_all)]
pub async fn get_by_slug(state: &AppState, actor: Option<&Actor>, slug: &str) -> Result<BySlug, Error> {
    match posts::resolve_slug(&state.db, slug).await? {
        Some(SlugTarget::Current(post_id)) => Ok(BySlug::Found(Box::new(get(state, actor, post_id).await?))),
        Some(SlugTarget::Moved { post_id, current_slug }) => {
            // Only reveal the new slug of a post the viewer may see.
            get(state, actor, post_id).await?;
            Ok(BySlug::Moved(current_slug))
        }
        None => Err(Error::NotFound { what: "post" }),
    }
}

/// A published post by its current or a former slug: what the RealWorld
/// API calls an article. Drafts and archived posts are not articles.
#[tracing::instrument(level = "debug", name = "service.posts.published_by_slug", skip_all)]
pub async fn published_by_slug(
    state: &AppState,
    actor: Option<&Actor>,
    slug: &str,
) -> Result<PostViewRow, Error> {
    let post_id = match posts::resolve_slug(&state.db, slug).await? {
        Some(SlugTarget::Current(id) | SlugTarget::Moved { post_id: id, .. }) => id,
        None => return Err(Error::NotFound { what: "article" }),
    };
    let row = get(state, actor, post_id).await?;
    if row.status != PostStatus::Published.as_str() {
        return Err(Error::NotFound { what: "article" });
    }
    Ok(row)
}

/// A page of posts; one extra row is fetched to know whether more follow.
#[tracing::instrument(level = "debug", name = "service.posts.list", skip_all)]
pub async fn list(state: &AppState, query: &PostQuery) -> Result<(Vec<PostViewRow>, bool), Error> {
    let mut probe = query.clone();
    probe.limit = query.limit + 1;
    let mut rows = post_views::find(&state.db, &probe).await?;
    let more = rows.len() > usize::try_from(query.limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(query.limit).unwrap_or(0));
    Ok((rows.into_iter().map(|r| effective(r, query.now)).collect(), more))
}

#[tracing::instrument(level = "debug", name = "service.posts.count", skip_all)]
pub async fn count(state: &AppState, query: &PostQuery) -> Result<i64, Error> {
    publish_due_before_counting(state).await?;
    Ok(post_views::count(&state.db, query).await?)
}

/// Publishes every scheduled post whose time has come; returns how many.
/// Idempotent, so every instance may run it.
pub async fn publish_due(state: &AppState) -> Result<usize, Error> {
    let now = state.clock.now();
    let published = posts::publish_due(&state.db, now).await?;
    if published.is_empty() {
        return Ok(0);
    }
    let changes: Vec<Change> = match posts::listings(&state.db, &published).await {
        Ok(rows) => rows
            .into_iter()
            .map(|row| Change::Post { id: row.post_id, before: None, after: Some(listed(row, now)) })
            .collect(),
        // Published already: the next round finds nothing left to report.
        Err(_) => vec![Change::Everything],
    };
    state.changes.publish(&changes).await;
    Ok(published.len())
}

/// The maintained counts know published posts only, while a scheduled post
/// is public from its time on: a count first publishes what is due (one
/// index probe when nothing is), so it never lags the listing.
pub async fn publish_due_before_counting(state: &AppState) -> Result<(), Error> {
    if posts::any_due(&state.db, state.clock.now()).await? {
        publish_due(state).await?;
    }
    Ok(())
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
    state: &AppState,
    actor: &Actor,
    input: &PostInput,
    publish: bool,
) -> Result<PostViewRow, Error> {
    require_author(actor)?;
    let valid = parse_input(input, true)?;
    let (Some(title), Some(body)) = (valid.title, valid.body) else {
        return Err(Error::invalid("body", "required", "title and body are required"));
    };
    let now = state.clock.now();
    let (excerpt, excerpt_given) = excerpt_for(valid.excerpt.as_ref(), &body);
    let status = if publish { PostStatus::Published } else { PostStatus::Draft };
    let mut row = PostRow {
        post_id: 0,
        author_id: actor.account_id,
        slug: String::new(),
        title: title.as_ref().to_owned(),
        body_html: markdown::to_safe_html(body.as_ref()),
        body: body.as_ref().to_owned(),
        excerpt,
        excerpt_given,
        status: status.as_str().to_owned(),
        publish_at: None,
        published_at: publish.then_some(now),
        category_id: None,
        tags: valid.tags.unwrap_or_default().joined(),
        platforms: join(valid.platforms.as_deref().unwrap_or(&[Platform::Blog]).iter().map(|p| p.as_str())),
        content_type: valid.content_type.unwrap_or(ContentType::Article).as_str().to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
        analysis: None,
        brief_id: input.brief_id,
    };
    analyse(state, &mut row).await?;
    let mut tx = state.db.begin().await?;
    if let Some(Some(category)) = &valid.category {
        row.category_id = Some(category_id(&mut tx, category).await?);
    }
    let wanted = valid.slug.clone().unwrap_or_else(|| Slug::from_title(&row.title));
    row.slug = free_slug(&mut tx, &wanted, None, valid.slug.is_some()).await?;
    row.post_id = posts::insert(&mut tx, &row).await?;
    posts::insert_revision(&mut tx, &row, actor.account_id, now).await?;
    tx.commit().await?;
    post_changed(state, row.post_id, None).await?;
    get(state, Some(actor), row.post_id).await
}

/// How a post stands in listings at `now` (the visibility rule of `effective`).
fn listed(row: ListingRow, now: DateTime<Utc>) -> Listed {
    let public = row.status == PostStatus::Published.as_str()
        || (row.status == PostStatus::Scheduled.as_str() && row.publish_at.is_some_and(|at| at <= now));
    Listed {
        public,
        author: row.author,
        tags: Tags::split_stored(&row.tags),
        category: row.category,
        sort_at: row.sort_at,
    }
}

/// How a post stands in listings inside a write, before it changes.
async fn listed_before(tx: &mut Tx, post_id: i64, now: DateTime<Utc>) -> Result<Option<Listed>, Error> {
    Ok(posts::listing_in(tx, post_id).await?.map(|row| listed(row, now)))
}

/// Reports a committed change of post `id` (`before`: how it stood).
async fn post_changed(state: &AppState, id: i64, before: Option<Listed>) -> Result<(), Error> {
    let now = state.clock.now();
    match posts::listings(&state.db, &[id]).await {
        Ok(rows) => {
            let after = rows.into_iter().next().map(|row| listed(row, now));
            state.changes.publish(&[Change::Post { id, before, after }]).await;
            Ok(())
        }
        Err(err) => {
            // The write is committed: whatever its effect was, it must not
            // stay hidden behind cached reads.
            state.changes.publish(&[Change::Everything]).await;
            Err(err.into())
        }
    }
}

/// Stores the analysis of the post's text checked against its platforms.
async fn analyse(state: &AppState, row: &mut PostRow) -> Result<(), Error> {
    row.analysis = Some(analysis_json(state, &row.body, &row.platforms).await?);
    Ok(())
}

/// The analysis of a body (as readers see it, without Markdown) against
/// stored platforms, as JSON. Long bodies take milliseconds of CPU, so it
/// runs on the blocking pool.
async fn analysis_json(state: &AppState, body: &str, platforms: &str) -> Result<String, Error> {
    let platforms: Vec<Platform> = platforms.split(',').filter_map(|p| Platform::parse("", p).ok()).collect();
    let analyzer = std::sync::Arc::clone(&state.analyzer);
    let text = markdown::plain_text(body);
    let analysis = tokio::task::spawn_blocking(move || analyzer.analyze(&text, &platforms))
        .await
        .map_err(|err| Error::Internal(err.into()))?;
    serde_json::to_string(&analysis).map_err(|err| Error::Internal(err.into()))
}

/// One round of the backfill: how many posts got their analysis, and the
/// id to continue after (`None`: nothing was left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backfilled {
    pub filled: usize,
    pub next_after: Option<i64>,
}

/// Analyses up to `batch` posts stored without an analysis (before the
/// feature existed) with ids after `after_id`. A post that cannot be
/// analysed is logged and skipped, so one bad row never stalls the rest.
pub async fn backfill_analysis(state: &AppState, after_id: i64, batch: i64) -> Result<Backfilled, Error> {
    let rows = posts::missing_analysis(&state.db, after_id, batch).await?;
    let mut filled = 0;
    for post in &rows {
        let outcome = match analysis_json(state, &post.body, &post.platforms).await {
            Ok(json) => posts::fill_analysis(&state.db, post.post_id, &json).await.map_err(Error::from),
            Err(err) => Err(err),
        };
        match outcome {
            Ok(true) => filled += 1,
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(post_id = post.post_id, error = %err, "could not analyse a stored post")
            }
        }
    }
    Ok(Backfilled { filled, next_after: rows.last().map(|post| post.post_id) })
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(",")
}

fn excerpt_for(given: Option<&Excerpt>, body: &PostBody) -> (String, bool) {
    match given.map(AsRef::as_ref).filter(|e: &&str| !e.is_empty()) {
        Some(text) => (text.to_owned(), true),
        None => (markdown::excerpt(body.as_ref()), false),
    }
}

async fn category_id(tx: &mut Tx, slug: &str) -> Result<i64, Error> {
    categories::id_by_slug(tx, slug)
        .await?
        .ok_or_else(|| Error::invalid("category", "unknown", "no category has this slug"))
}

/// The slug to use: `wanted` if free; otherwise, for a derived slug, the
/// first free `wanted-N`. A slug the client chose must be free as given.
async fn free_slug(
    tx: &mut Tx,
    wanted: &Slug,
    post_id: Option<i64>,
    explicit: bool,
) -> Result<String, Error> {
    if !posts::slug_taken(tx, wanted.as_ref(), post_id).await? {
        return Ok(wanted.to_string());
    }
    if explicit {
        return Err(Error::Conflict { detail: "slug: another post uses this slug".to_owned() });
    }
    for n in 2..1000 {
        let candidate = wanted.with_suffix(n);
        if !posts::slug_taken(tx, candidate.as_ref(), post_id).await? {
            return Ok(candidate.to_string());
        }
    }
    Ok(wanted.with_suffix(rand::random_range(1000..u32::MAX)).to_string())
}

/// Locks a post for change by `actor`: 404 if they cannot see it, 403 if they
/// can but may not change it, 412 if `if_match` names another version.
async fn lock_for_change(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    post_id: i64,
    if_match: Option<i64>,
) -> Result<PostRow, Error> {
    let row = posts::lock(tx, post_id).await?.ok_or(Error::NotFound { what: "post" })?;
    let own = row.author_id == actor.account_id;
    if !own && !actor.role.can_manage_others_content() {
        // Whether it exists is only revealed to those who may see it.
        get(state, Some(actor), post_id).await?;
        return Err(Error::Forbidden { reason: "only the author or an editor may change this post" });
    }
    require_author(actor)?;
    if if_match.is_some_and(|expected| expected != row.version) {
        return Err(Error::PreconditionFailed);
    }
    Ok(row)
}

async fn save(tx: &mut Tx, row: &PostRow, previous_version: i64) -> Result<(), Error> {
    if posts::update(tx, row, previous_version).await? { Ok(()) } else { Err(Error::PreconditionFailed) }
}

/// Applies changes. The slug follows the title until the post is first
/// published; after that it changes only when given explicitly, and the
/// old slug keeps redirecting.
#[tracing::instrument(level = "debug", name = "service.posts.update", skip_all)]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    post_id: i64,
    input: &PostInput,
    if_match: Option<i64>,
) -> Result<PostViewRow, Error> {
    let valid = parse_input(input, false)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let mut row = lock_for_change(state, &mut tx, actor, post_id, if_match).await?;
    let listed_was = listed_before(&mut tx, post_id, now).await?;
    let before = (row.title.clone(), row.body.clone(), row.excerpt.clone());
    if let Some(title) = &valid.title {
        row.title = title.as_ref().to_owned();
    }
    if let Some(body) = &valid.body {
        row.body = body.as_ref().to_owned();
        row.body_html = markdown::to_safe_html(&row.body);
    }
    match &valid.excerpt {
        Some(excerpt) if !excerpt.as_ref().is_empty() => {
            row.excerpt = excerpt.as_ref().to_owned();
            row.excerpt_given = true;
        }
        Some(_) => row.excerpt_given = false,
        None => {}
    }
    if !row.excerpt_given {
        row.excerpt = markdown::excerpt(&row.body);
    }
    if let Some(tags) = &valid.tags {
        row.tags = tags.joined();
    }
    if let Some(platforms) = &valid.platforms {
        row.platforms = join(platforms.iter().map(|p| p.as_str()));
    }
    if let Some(content_type) = valid.content_type {
        row.content_type = content_type.as_str().to_owned();
    }
    match &valid.category {
        Some(Some(slug)) => row.category_id = Some(category_id(&mut tx, slug).await?),
        Some(None) => row.category_id = None,
        None => {}
    }
    let never_published = row.published_at.is_none() && row.status != PostStatus::Published.as_str();
    let new_slug = match (&valid.slug, &valid.title) {
        (Some(slug), _) => Some(free_slug(&mut tx, slug, Some(post_id), true).await?),
        (None, Some(_)) if never_published => {
            Some(free_slug(&mut tx, &Slug::from_title(&row.title), Some(post_id), false).await?)
        }
        _ => None,
    };
    let old_slug = row.slug.clone();
    if let Some(slug) = new_slug.filter(|s| *s != old_slug) {
        row.slug = slug;
        if !never_published {
            posts::remember_old_slug(&mut tx, &old_slug, &row.slug, post_id).await?;
        }
    }
    if valid.body.is_some() || valid.platforms.is_some() || row.analysis.is_none() {
        analyse(state, &mut row).await?;
    }
    let previous = row.version;
    row.version += 1;
    row.updated_at = now;
    save(&mut tx, &row, previous).await?;
    if before != (row.title.clone(), row.body.clone(), row.excerpt.clone()) {
        posts::insert_revision(&mut tx, &row, actor.account_id, now).await?;
    }
    tx.commit().await?;
    post_changed(state, post_id, listed_was).await?;
    get(state, Some(actor), post_id).await
}

#[tracing::instrument(level = "debug", name = "service.posts.delete", skip_all)]
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    post_id: i64,
    if_match: Option<i64>,
) -> Result<(), Error> {
    let mut tx = state.db.begin().await?;
    lock_for_change(state, &mut tx, actor, post_id, if_match).await?;
    let before = listed_before(&mut tx, post_id, state.clock.now()).await?;
    posts::delete(&mut tx, post_id).await?;
    tx.commit().await?;
    state.changes.publish(&[Change::Post { id: post_id, before, after: None }]).await;
    Ok(())
}

/// Moves a post through its workflow; a transition not allowed from the
/// current state is a conflict naming that state.
#[tracing::instrument(level = "debug", name = "service.posts.transition", skip_all)]
pub async fn transition(
    state: &AppState,
    actor: &Actor,
    post_id: i64,
    transition: Transition,
    if_match: Option<i64>,
) -> Result<PostViewRow, Error> {
    let now = state.clock.now();
    if let Transition::Schedule(at) = transition
        && at <= now
    {
        return Err(Error::invalid("publish_at", "not_in_future", "must be in the future"));
    }
    let mut tx = state.db.begin().await?;
    let mut row = lock_for_change(state, &mut tx, actor, post_id, if_match).await?;
    let listed_was = listed_before(&mut tx, post_id, now).await?;
    let current =
        PostStatus::parse("status", &row.status).map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))?;
    // A scheduled post whose time has passed is already published.
    let current = match (current, row.publish_at) {
        (PostStatus::Scheduled, Some(at)) if at <= now => {
            row.published_at = Some(at);
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
            row.published_at = Some(now);
            row.publish_at = None;
        }
        Transition::Schedule(at) => row.publish_at = Some(at),
        Transition::Unschedule => row.publish_at = None,
        Transition::Archive => {}
        Transition::Restore => {
            row.published_at = None;
            row.publish_at = None;
        }
    }
    row.status = next.as_str().to_owned();
    let previous = row.version;
    row.version += 1;
    row.updated_at = now;
    save(&mut tx, &row, previous).await?;
    tx.commit().await?;
    post_changed(state, post_id, listed_was).await?;
    get(state, Some(actor), post_id).await
}

/// Likes or unlikes a post the actor can see; idempotent.
#[tracing::instrument(level = "debug", name = "service.posts.set_like", skip_all)]
pub async fn set_like(
    state: &AppState,
    actor: &Actor,
    post_id: i64,
    liked: bool,
) -> Result<PostViewRow, Error> {
    actor.require_scope(Scope::Write)?;
    get(state, Some(actor), post_id).await?;
    let mut tx = state.db.begin().await?;
    posts::set_like(&mut tx, post_id, actor.account_id, liked, state.clock.now()).await?;
    tx.commit().await?;
    state.changes.publish(&[Change::Liked { post: post_id }]).await;
    get(state, Some(actor), post_id).await
}

#[tracing::instrument(level = "debug", name = "service.posts.revisions", skip_all)]
pub async fn revisions(state: &AppState, actor: &Actor, post_id: i64) -> Result<Vec<posts::Revision>, Error> {
    let post = get(state, Some(actor), post_id).await?;
    require_editable(actor, &post)?;
    Ok(posts::list_revisions(&state.db, post_id).await?)
}

#[tracing::instrument(level = "debug", name = "service.posts.revision", skip_all)]
pub async fn revision(
    state: &AppState,
    actor: &Actor,
    post_id: i64,
    no: i64,
) -> Result<posts::Revision, Error> {
    let post = get(state, Some(actor), post_id).await?;
    require_editable(actor, &post)?;
    posts::find_revision(&state.db, post_id, no).await?.ok_or(Error::NotFound { what: "revision" })
}

/// Revisions are the author's and editors' business only.
fn require_editable(actor: &Actor, post: &PostViewRow) -> Result<(), Error> {
    if post.author_id == actor.account_id || actor.role.can_manage_others_content() {
        Ok(())
    } else {
        Err(Error::Forbidden { reason: "only the author or an editor may see revisions" })
    }
}

/// Restores an old revision's text, which itself becomes a new revision.
#[tracing::instrument(level = "debug", name = "service.posts.restore_revision", skip_all)]
pub async fn restore_revision(
    state: &AppState,
    actor: &Actor,
    post_id: i64,
    no: i64,
    if_match: Option<i64>,
) -> Result<PostViewRow, Error> {
    let old = revision(state, actor, post_id, no).await?;
    let input = PostInput {
        title: Some(old.title),
        body: Some(old.body),
        excerpt: Some(old.excerpt),
        ..PostInput::default()
    };
    update(state, actor, post_id, &input, if_match).await
}
