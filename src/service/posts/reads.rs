//! Reading posts as a given actor may see them: one post, lists and counts,
//! and revisions (the author's and editors' business only).

use chrono::{DateTime, Utc};

use super::super::{Actor, Error};
use crate::domain::PostId;
use crate::domain::{PostStatus, Scope};
use crate::domain::{PostView, Revision};
use crate::service::Context;
use crate::store::post_views::{self, PostQuery, Viewer};
use crate::store::posts::{self, SlugTarget};

/// What the viewer may see: editors everything, others public posts plus
/// (for authors) their own.
pub(super) fn viewer_of(actor: Option<&Actor>) -> Viewer {
    match actor {
        Some(actor) if actor.has_scope(Scope::Read) => {
            Viewer { account_id: Some(actor.account_id), sees_all: actor.role.can_manage_others_content() }
        }
        _ => Viewer { account_id: None, sees_all: false },
    }
}

/// Presents a scheduled post whose time has come as published, whether or
/// not the background publisher has flipped it yet.
pub fn effective(mut row: PostView, now: DateTime<Utc>) -> PostView {
    let fields = &mut row.post.fields;
    if fields.status == PostStatus::Scheduled && fields.publish_at.is_some_and(|at| at <= now) {
        fields.status = PostStatus::Published;
        fields.published_at = fields.publish_at;
    }
    row
}

/// Reads one post as `actor` sees it; invisible posts are "not found".
#[tracing::instrument(level = "debug", name = "service.posts.get", skip_all)]
pub async fn get(ctx: &Context, actor: Option<&Actor>, post_id: PostId) -> Result<PostView, Error> {
    let now = ctx.clock.now();
    let mut query = PostQuery::new(viewer_of(actor), now);
    query.post_id = Some(post_id);
    query.limit = 1;
    query.with_text = true;
    let row = post_views::find(&ctx.db, &query).await?.into_iter().next();
    row.map(|r| effective(r, now)).ok_or(Error::NotFound { what: "post" })
}

/// Where a slug leads: the post, or the slug it moved to.
#[derive(Debug)]
pub enum BySlug {
    Found(Box<PostView>),
    Moved(String),
}

#[tracing::instrument(level = "debug", name = "service.posts.get_by_slug", skip_all)]
pub async fn get_by_slug(ctx: &Context, actor: Option<&Actor>, slug: &str) -> Result<BySlug, Error> {
    match posts::resolve_slug(&ctx.db, slug).await? {
        Some(SlugTarget::Current(post_id)) => Ok(BySlug::Found(Box::new(get(ctx, actor, post_id).await?))),
        Some(SlugTarget::Moved { post_id, current_slug }) => {
            // Only reveal the new slug of a post the viewer may see.
            get(ctx, actor, post_id).await?;
            Ok(BySlug::Moved(current_slug))
        }
        None => Err(Error::NotFound { what: "post" }),
    }
}

/// A published post by its current or a former slug: what the RealWorld
/// API calls an article. Drafts and archived posts are not articles.
#[tracing::instrument(level = "debug", name = "service.posts.published_by_slug", skip_all)]
pub async fn published_by_slug(ctx: &Context, actor: Option<&Actor>, slug: &str) -> Result<PostView, Error> {
    let Some(SlugTarget::Current(post_id) | SlugTarget::Moved { post_id, .. }) =
        posts::resolve_slug(&ctx.db, slug).await?
    else {
        return Err(Error::NotFound { what: "article" });
    };
    let row = get(ctx, actor, post_id).await?;
    if row.post.fields.status != PostStatus::Published {
        return Err(Error::NotFound { what: "article" });
    }
    Ok(row)
}

#[tracing::instrument(level = "debug", name = "service.posts.revisions", skip_all)]
pub async fn revisions(ctx: &Context, actor: &Actor, post_id: PostId) -> Result<Vec<Revision>, Error> {
    let post = get(ctx, Some(actor), post_id).await?;
    require_editable(actor, &post)?;
    Ok(posts::list_revisions(&ctx.db, post_id).await?)
}

#[tracing::instrument(level = "debug", name = "service.posts.revision", skip_all)]
pub async fn revision(ctx: &Context, actor: &Actor, post_id: PostId, no: i64) -> Result<Revision, Error> {
    let post = get(ctx, Some(actor), post_id).await?;
    require_editable(actor, &post)?;
    posts::find_revision(&ctx.db, post_id, no).await?.ok_or(Error::NotFound { what: "revision" })
}

/// Revisions are the author's and editors' business only.
fn require_editable(actor: &Actor, post: &PostView) -> Result<(), Error> {
    if post.post.author_id == actor.account_id || actor.role.can_manage_others_content() {
        Ok(())
    } else {
        Err(Error::Forbidden { reason: "only the author or an editor may see revisions" })
    }
}

/// The events of one post: its author's and editors' business.
#[tracing::instrument(level = "debug", name = "service.posts.events", skip_all)]
pub async fn events_of(
    ctx: &Context,
    actor: &Actor,
    post_id: PostId,
    params: &crate::service::events::AuditParams,
) -> Result<crate::service::events::EventPage, Error> {
    let post = get(ctx, Some(actor), post_id).await?;
    if post.post.author_id != actor.account_id && !actor.role.can_manage_others_content() {
        return Err(Error::Forbidden { reason: "only the author or an editor may see a post's events" });
    }
    crate::service::events::of_post(ctx, post_id, params).await
}
