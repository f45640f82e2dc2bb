//! What a committed post write changed, reported on the change feed; and
//! publishing scheduled posts whose time has come.

use chrono::{DateTime, Utc};

use super::super::{Actor, Error};
use super::reads::get;
use crate::domain::PostId;
use crate::domain::PostStatus;
use crate::domain::PostView;
use crate::domain::change::{Change, Listed};
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::service::Context;
use crate::service::events;
use crate::store::Tx;
use crate::store::posts::{self, ListingRow};
use serde_json::json;

/// Publishes one scheduled post whose time has come (its publication job),
/// with its `post.published` event in the same transaction. Whether it
/// published: a post unscheduled, published by hand or deleted meanwhile is
/// left alone, so a job run twice publishes once.
pub async fn publish_scheduled(ctx: &Context, post_id: PostId) -> Result<bool, Error> {
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    if !posts::publish_one_due(&mut tx, post_id, now).await? {
        return Ok(false);
    }
    commit_published(ctx, tx, &[post_id], now).await?;
    Ok(true)
}

/// Publishes every scheduled post whose time has come; returns how many.
/// Idempotent, so every instance may run it.
pub async fn publish_due(ctx: &Context) -> Result<usize, Error> {
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let published = posts::publish_due(&mut tx, now).await?;
    if published.is_empty() {
        return Ok(0);
    }
    commit_published(ctx, tx, &published, now).await?;
    Ok(published.len())
}

/// Records one system `post.published` event per post the scheduler just
/// published in `tx`, commits, and reports where the posts now stand.
async fn commit_published(
    ctx: &Context,
    mut tx: Tx,
    published: &[PostId],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for post_id in published {
        let payload = json!({"post_id": post_id, "scheduled": true});
        let event = NewEvent::new(EventType::PostPublished, None, Subject::Post(*post_id), payload);
        events::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    let changes: Vec<Change> = match posts::listings(&ctx.db, published).await {
        Ok(rows) => rows
            .into_iter()
            .map(|row| Change::Post { id: row.post_id, before: None, after: Some(listed(row, now)) })
            .collect(),
        // Published already: a read of the listing facts failing must not
        // leave caches stale.
        Err(_) => vec![Change::Everything],
    };
    ctx.changes.publish(&changes).await;
    Ok(())
}

/// The maintained counts know published posts only, while a scheduled post
/// is public from its time on: a count first publishes what is due (one
/// index probe when nothing is), so it never lags the listing.
pub async fn publish_due_before_counting(ctx: &Context) -> Result<(), Error> {
    if posts::any_due(&ctx.db, ctx.clock.now()).await? {
        publish_due(ctx).await?;
    }
    Ok(())
}

/// How a post stands in listings at `now` (the visibility rule of `effective`).
pub(super) fn listed(row: ListingRow, now: DateTime<Utc>) -> Listed {
    let public = row.status == PostStatus::Published
        || (row.status == PostStatus::Scheduled && row.publish_at.is_some_and(|at| at <= now));
    Listed {
        public,
        author: row.author,
        tags: row.tags.as_slice().to_vec(),
        category: row.category,
        sort_at: row.sort_at,
    }
}

/// How a post stands in listings inside a write, before it changes.
pub(super) async fn listed_before(
    tx: &mut Tx,
    post_id: PostId,
    now: DateTime<Utc>,
) -> Result<Option<Listed>, Error> {
    Ok(posts::listing_in(tx, post_id).await?.map(|row| listed(row, now)))
}

/// Reads post `id` as `actor` (who just wrote it) sees it and reports the
/// committed change (`before`: how it stood in listings). The view is what
/// the write answers with, so reporting costs no read of its own.
pub(super) async fn post_changed(
    ctx: &Context,
    actor: &Actor,
    id: PostId,
    before: Option<Listed>,
) -> Result<PostView, Error> {
    match get(ctx, Some(actor), id).await {
        Ok(view) => {
            let after = Some(listed_view(&view));
            ctx.changes.publish(&[Change::Post { id, before, after }]).await;
            Ok(view)
        }
        Err(err) => {
            // The write is committed: whatever its effect was, it must not
            // stay hidden behind cached reads.
            ctx.changes.publish(&[Change::Everything]).await;
            Err(err)
        }
    }
}

/// How a post shown to its writer stands in listings (`effective` already
/// presents a due scheduled post as published).
fn listed_view(view: &PostView) -> Listed {
    let fields = view.fields();
    Listed {
        public: fields.status == PostStatus::Published,
        author: view.author_username.to_lowercase(),
        tags: fields.tags.as_slice().to_vec(),
        category: view.category_slug.clone(),
        sort_at: fields.published_at.or(fields.publish_at).unwrap_or(view.post.created_at),
    }
}
