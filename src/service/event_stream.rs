//! The live change feed: dispatched events in stream order (`seq`), as
//! each client may see them. Every instance follows the shared event table
//! (`follow`, run by a background job) and fans what it finds out to its
//! own clients through the `Hub`, so a write on any instance reaches the
//! streams on every instance; a client that reconnects resumes from the
//! table after the last `seq` it saw, with no gap and no duplicate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::{Actor, Error};
use crate::domain::event::{Event, EventType};
use crate::domain::{AccountId, ValidationError};
use crate::service::Context;
use crate::store::events;

/// Events held for clients that are momentarily behind; one that falls
/// further behind is disconnected (it can resume with `Last-Event-ID`).
const HUB_CAPACITY: usize = 1024;
/// Events read per query when catching up or following.
pub const PAGE: i64 = 500;

/// Streams one user may hold open at once (per instance).
pub const STREAMS_PER_USER: usize = 5;

/// This instance's fan-out of newly dispatched events to its streams, and
/// the count of streams each user holds.
#[derive(Debug, Clone)]
pub struct Hub {
    sender: broadcast::Sender<Arc<Event>>,
    open: Arc<Mutex<HashMap<AccountId, usize>>>,
    /// Fired when the instance shuts down: every stream ends.
    closing: CancellationToken,
    /// Whether the follower has its starting position: a stream may only
    /// start after it, or events between the two would reach neither.
    following: Arc<watch::Sender<bool>>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            sender: broadcast::channel(HUB_CAPACITY).0,
            open: Arc::default(),
            closing: CancellationToken::new(),
            following: Arc::new(watch::channel(false).0),
        }
    }
}

/// One open stream; dropping it frees the user's slot.
#[derive(Debug)]
pub struct Slot {
    open: Arc<Mutex<HashMap<AccountId, usize>>>,
    account: AccountId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.account) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.account);
            }
        }
        metrics::gauge!("herald_event_streams").decrement(1.0);
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    /// Ends every stream (shutdown): clients reconnect to another instance
    /// and resume with `Last-Event-ID`.
    pub fn close(&self) {
        self.closing.cancel();
    }

    pub async fn closed(&self) {
        self.closing.cancelled().await;
    }

    /// A slot for one more stream of `actor`'s, unless they hold the most
    /// allowed already.
    pub fn admit(&self, actor: &Actor) -> Result<Slot, Error> {
        actor.require_scope(crate::domain::Scope::Read)?;
        let account = actor.account_id;
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let held = open.entry(account).or_insert(0);
        if *held >= STREAMS_PER_USER {
            return Err(Error::TooManyRequests { retry_after_secs: 5 });
        }
        *held += 1;
        metrics::gauge!("herald_event_streams").increment(1.0);
        Ok(Slot { open: Arc::clone(&self.open), account })
    }

    fn publish(&self, event: Event) {
        // No stream open: nobody to tell.
        let _ = self.sender.send(Arc::new(event));
    }
}

/// How long a new stream waits for the follower to start (only just after
/// the instance itself started).
const FOLLOWER_START: std::time::Duration = std::time::Duration::from_secs(5);

/// Where the follower starts (the latest event), after which streams may
/// open: every event after a stream's own start is after this one too.
pub async fn begin_following(ctx: &Context) -> Result<i64, Error> {
    let head = events::last_seq(&ctx.db).await?;
    ctx.stream.following.send_replace(true);
    Ok(head)
}

/// Where a new stream starts: after `last` (a client resuming), else after
/// the latest event. Waits for the follower, so nothing after the start
/// can pass both the catch-up and the follower.
pub async fn start(ctx: &Context, last: Option<i64>) -> Result<i64, Error> {
    let mut following = ctx.stream.following.subscribe();
    match tokio::time::timeout(FOLLOWER_START, following.wait_for(|started| *started)).await {
        Ok(Ok(_)) => {}
        _ => return Err(Error::Unavailable),
    }
    match last {
        Some(seq) => Ok(seq),
        None => Ok(events::last_seq(&ctx.db).await?),
    }
}

/// Hands events after `seq` to this instance's streams; returns the new
/// position and whether a full page came (more may be waiting).
pub async fn follow(ctx: &Context, hub: &Hub, seq: i64) -> Result<(i64, bool), Error> {
    let found = events::after(&ctx.db, seq, PAGE).await?;
    let full = found.len() as i64 == PAGE;
    let mut position = seq;
    for event in found {
        position = event.seq.unwrap_or(position);
        hub.publish(event);
    }
    Ok((position, full))
}

/// Dispatched events after `seq` (a reconnecting client's catch-up).
pub async fn after(ctx: &Context, seq: i64) -> Result<Vec<Event>, Error> {
    Ok(events::after(&ctx.db, seq, PAGE).await?)
}

/// Which events a stream wants: every type, or those listed (`types=`,
/// comma-separated or repeated).
#[derive(Debug, Clone, Default)]
pub struct StreamFilter {
    types: Vec<EventType>,
}

impl StreamFilter {
    pub fn parse(raw: &[String]) -> Result<StreamFilter, Error> {
        let mut types = Vec::new();
        for name in raw.iter().flat_map(|t| t.split(',')).map(str::trim).filter(|t| !t.is_empty()) {
            match EventType::parse("types", name) {
                Ok(t) => types.push(t),
                Err(_) => {
                    let message = format!("unknown event type {name:?}");
                    return Err(Error::Validation(vec![ValidationError::new("types", "invalid", message)]));
                }
            }
        }
        Ok(StreamFilter { types })
    }

    fn wants(&self, event_type: EventType) -> bool {
        self.types.is_empty() || self.types.contains(&event_type)
    }
}

/// What anyone who may read a post may also see happen to it; the rest of
/// a post's history (moderation, archiving, …) is its author's and
/// editors', as in the audit log.
const PUBLIC_POST_EVENTS: &[EventType] = &[
    EventType::PostCreated,
    EventType::PostPublished,
    EventType::PostUpdated,
    EventType::PostLiked,
    EventType::PostUnliked,
    EventType::CommentCreated,
    EventType::CommentUpdated,
    EventType::CommentDeleted,
];

/// Whether `actor` may see `event` on the stream: admins see everything;
/// others see what they did, what was done to their account, every event of
/// posts they write or edit, and the public events of posts they may read.
pub async fn visible(ctx: &Context, actor: &Actor, filter: &StreamFilter, event: &Event) -> bool {
    if !filter.wants(event.event_type) {
        return false;
    }
    if actor.require_admin().is_ok() || event.actor_id == Some(actor.account_id) {
        return true;
    }
    if event.subject_type == "user" && event.subject_id == actor.account_id.to_string() {
        return true;
    }
    let Some(post_id) = event.post_id else {
        return false;
    };
    match super::posts::get(ctx, Some(actor), post_id).await {
        Ok(post) if post.post.author_id == actor.account_id || actor.role.can_manage_others_content() => true,
        Ok(_) => PUBLIC_POST_EVENTS.contains(&event.event_type),
        Err(_) => false,
    }
}
