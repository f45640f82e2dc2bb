//! Likes, unlikes and comments per post and day, rolled up from the domain
//! events in stream order. The cursor moves in the same transaction as the
//! counts it covers, and is locked while it moves, so each event is counted
//! exactly once however many instances roll up.

use std::collections::BTreeMap;

use super::super::Error;
use crate::domain::PostId;
use crate::domain::engagement::Day;
use crate::service::Context;
use crate::store::analytics as store;

/// The cursor's name in `stream_cursor`.
const CURSOR: &str = "analytics";
/// Events read per round.
const BATCH: i64 = 1000;

/// Rolls up the next batch of events; returns how many were read (a full
/// batch means more may be waiting).
pub async fn roll_up(ctx: &Context) -> Result<usize, Error> {
    if !store::events_wait(&ctx.db, CURSOR).await? {
        return Ok(0);
    }
    let mut tx = ctx.db.begin().await?;
    let from = store::lock_cursor(&mut tx, CURSOR).await?;
    let events = store::events_after(&mut tx, from, BATCH).await?;
    let Some(last) = events.last().map(|e| e.0) else {
        return Ok(0);
    };
    // (likes, unlikes, comments)
    let mut per_day: BTreeMap<(PostId, Day), (i64, i64, i64)> = BTreeMap::new();
    for (_, event_type, post, at) in &events {
        let Some(post) = post.map(PostId::new) else { continue };
        let counts = match event_type.as_str() {
            "post.liked" => (1, 0, 0),
            "post.unliked" => (0, 1, 0),
            "comment.created" => (0, 0, 1),
            _ => continue,
        };
        let entry = per_day.entry((post, Day::of(*at))).or_default();
        entry.0 += counts.0;
        entry.1 += counts.1;
        entry.2 += counts.2;
    }
    for ((post, day), (likes, unlikes, comments)) in per_day {
        store::add_interactions(&mut tx, post, day, likes, unlikes, comments).await?;
    }
    store::move_cursor(&mut tx, CURSOR, last).await?;
    tx.commit().await?;
    Ok(events.len())
}
