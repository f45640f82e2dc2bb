//! Comments: anyone signed in may comment on a post they can see; authors
//! and editors edit or delete; editors hide.

use super::posts::get as get_post;
use super::{Actor, Error};
use crate::domain::Comment;
use crate::domain::change::Change;
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::domain::{CommentId, PostId};
use crate::domain::{Scope, ValidationError};
use crate::service::Context;
use crate::service::events::{self, by};
use crate::store::comments::{self, CommentOwner};
use serde_json::json;

pub const MAX_COMMENT_CHARS: usize = 10_000;

fn parse_body(raw: Option<&str>) -> Result<String, Error> {
    let body = raw.map(str::trim).unwrap_or_default();
    if body.is_empty() {
        return Err(Error::Validation(vec![ValidationError::new(
            "body",
            "required",
            "a comment needs a body",
        )]));
    }
    if body.chars().count() > MAX_COMMENT_CHARS {
        return Err(Error::invalid("body", "too_long", "at most 10000 characters"));
    }
    Ok(body.to_owned())
}

fn sees_hidden(actor: Option<&Actor>) -> bool {
    actor.is_some_and(|a| a.role.can_manage_others_content() && a.has_scope(Scope::Read))
}

/// Comments of a post the viewer can see, oldest first.
#[tracing::instrument(level = "debug", name = "service.comments.list", skip_all)]
pub async fn list(
    ctx: &Context,
    actor: Option<&Actor>,
    post_id: PostId,
    after: Option<CommentId>,
    limit: i64,
) -> Result<(Vec<Comment>, bool), Error> {
    get_post(ctx, actor, post_id).await?;
    let viewer = actor.map(|a| a.account_id);
    let mut rows = comments::list(
        &ctx.db,
        viewer,
        post_id,
        sees_hidden(actor),
        after.unwrap_or(CommentId::new(0)),
        limit + 1,
    )
    .await?;
    let more = crate::domain::listing::trim_to_page(&mut rows, limit);
    Ok((rows, more))
}

#[tracing::instrument(level = "debug", name = "service.comments.create", skip_all)]
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    post_id: PostId,
    body: Option<&str>,
    parent_id: Option<CommentId>,
) -> Result<Comment, Error> {
    actor.require_scope(Scope::Write)?;
    get_post(ctx, Some(actor), post_id).await?;
    let body = parse_body(body)?;
    let mut tx = ctx.db.begin().await?;
    if let Some(parent) = parent_id {
        let parent = comments::owner(&mut tx, parent).await?;
        match parent {
            Some(CommentOwner { post_id: p, parent_id: None, .. }) if p == post_id => {}
            Some(CommentOwner { post_id: p, .. }) if p == post_id => {
                return Err(Error::invalid(
                    "parent_id",
                    "too_deep",
                    "replies can only answer top-level comments",
                ));
            }
            _ => return Err(Error::invalid("parent_id", "unknown", "no such comment on this post")),
        }
    }
    let comment_id =
        comments::insert(&mut tx, post_id, actor.account_id, parent_id, &body, ctx.clock.now()).await?;
    let subject = Subject::Comment { comment: comment_id, post: post_id };
    let payload = json!({"comment_id": comment_id, "post_id": post_id, "parent_id": parent_id});
    events::record(ctx, &mut tx, NewEvent::new(EventType::CommentCreated, by(actor), subject, payload))
        .await?;
    tx.commit().await?;
    ctx.changes.publish(&[Change::Comments { post: post_id }]).await;
    find(ctx, Some(actor), comment_id).await
}

/// A comment as the viewer may see it (hidden ones: editors only).
pub async fn find(ctx: &Context, actor: Option<&Actor>, comment_id: CommentId) -> Result<Comment, Error> {
    let row = comments::find(&ctx.db, actor.map(|a| a.account_id), comment_id).await?;
    row.filter(|c| !c.hidden || sees_hidden(actor)).ok_or(Error::NotFound { what: "comment" })
}

/// Loads a comment for a change: its author or an editor only.
async fn owned(
    ctx: &Context,
    tx: &mut crate::store::Tx,
    actor: &Actor,
    comment_id: CommentId,
    editors_only: bool,
) -> Result<CommentOwner, Error> {
    actor.require_scope(Scope::Write)?;
    let comment = comments::owner(tx, comment_id).await?.ok_or(Error::NotFound { what: "comment" })?;
    // Comments on posts the actor cannot see do not exist for them.
    get_post(ctx, Some(actor), comment.post_id).await?;
    let editor = actor.role.can_manage_others_content();
    if editors_only && !editor {
        return Err(Error::Forbidden { reason: "only editors may hide comments" });
    }
    if comment.author_id != actor.account_id && !editor {
        return Err(Error::Forbidden { reason: "only the comment's author or an editor may change it" });
    }
    Ok(comment)
}

#[tracing::instrument(level = "debug", name = "service.comments.edit", skip_all)]
pub async fn edit(
    ctx: &Context,
    actor: &Actor,
    comment_id: CommentId,
    body: Option<&str>,
) -> Result<Comment, Error> {
    let body = parse_body(body)?;
    let mut tx = ctx.db.begin().await?;
    let comment = owned(ctx, &mut tx, actor, comment_id, false).await?;
    comments::update_body(&mut tx, comment_id, &body, ctx.clock.now()).await?;
    let subject = Subject::Comment { comment: comment_id, post: comment.post_id };
    let payload = json!({"comment_id": comment_id, "post_id": comment.post_id, "fields": ["body"]});
    events::record(ctx, &mut tx, NewEvent::new(EventType::CommentUpdated, by(actor), subject, payload))
        .await?;
    tx.commit().await?;
    ctx.changes.publish(&[Change::Comments { post: comment.post_id }]).await;
    find(ctx, Some(actor), comment_id).await
}

#[tracing::instrument(level = "debug", name = "service.comments.delete", skip_all)]
pub async fn delete(ctx: &Context, actor: &Actor, comment_id: CommentId) -> Result<(), Error> {
    let mut tx = ctx.db.begin().await?;
    let comment = owned(ctx, &mut tx, actor, comment_id, false).await?;
    comments::delete(&mut tx, comment_id).await?;
    let subject = Subject::Comment { comment: comment_id, post: comment.post_id };
    let payload = json!({"comment_id": comment_id, "post_id": comment.post_id});
    events::record(ctx, &mut tx, NewEvent::new(EventType::CommentDeleted, by(actor), subject, payload))
        .await?;
    tx.commit().await?;
    ctx.changes.publish(&[Change::Comments { post: comment.post_id }]).await;
    Ok(())
}

#[tracing::instrument(level = "debug", name = "service.comments.set_hidden", skip_all)]
pub async fn set_hidden(
    ctx: &Context,
    actor: &Actor,
    comment_id: CommentId,
    hidden: bool,
) -> Result<Comment, Error> {
    let mut tx = ctx.db.begin().await?;
    let comment = owned(ctx, &mut tx, actor, comment_id, true).await?;
    comments::set_hidden(&mut tx, comment_id, hidden, ctx.clock.now()).await?;
    let event_type = if hidden { EventType::CommentHidden } else { EventType::CommentUnhidden };
    let subject = Subject::Comment { comment: comment_id, post: comment.post_id };
    let payload = json!({"comment_id": comment_id, "post_id": comment.post_id});
    events::record(ctx, &mut tx, NewEvent::new(event_type, by(actor), subject, payload)).await?;
    tx.commit().await?;
    ctx.changes.publish(&[Change::Comments { post: comment.post_id }]).await;
    find(ctx, Some(actor), comment_id).await
}

/// Deletes a comment of a given post (RealWorld addresses comments this way).
#[tracing::instrument(level = "debug", name = "service.comments.delete_on_post", skip_all)]
pub async fn delete_on_post(
    ctx: &Context,
    actor: &Actor,
    post_id: PostId,
    comment_id: CommentId,
) -> Result<(), Error> {
    let row = comments::find(&ctx.db, Some(actor.account_id), comment_id).await?;
    if row.is_none_or(|c| c.post_id != post_id) {
        return Err(Error::NotFound { what: "comment" });
    }
    delete(ctx, actor, comment_id).await
}
