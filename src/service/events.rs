//! Domain events: each write use case records what it did in the same
//! transaction (`record`), the dispatcher hands them to in-process handlers
//! afterwards, and admins (and authors, for their own posts) read them back
//! as the audit log.

use chrono::{DateTime, Utc};

use super::{Actor, Error};
use crate::domain::event::{Event, EventType, NewEvent, Subject};
use crate::domain::{AccountId, PostId, ValidationError};
use crate::service::Context;
use crate::store::Tx;
use crate::store::events::{self, EventQuery};

/// Records `event` inside `tx`, the transaction of the change it describes.
pub async fn record(ctx: &Context, tx: &mut Tx, event: NewEvent) -> Result<(), Error> {
    let event_id = uuid::Uuid::now_v7().to_string();
    record_with_id(ctx, tx, &event_id, event).await
}

/// Like `record`, with an id the caller made (and already uses).
pub async fn record_with_id(
    ctx: &Context,
    tx: &mut Tx,
    event_id: &str,
    event: NewEvent,
) -> Result<(), Error> {
    events::record(tx, event_id, &event, ctx.clock.now(), ctx.origin).await?;
    Ok(())
}

/// An audit query as received.
#[derive(Debug, Clone, Default)]
pub struct AuditParams {
    /// Event types, each possibly a comma-separated list.
    pub types: Vec<String>,
    pub actor: Option<i64>,
    /// `<type>:<id>`, e.g. `post:42`.
    pub subject: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// A page of events, newest first.
#[derive(Debug)]
pub struct EventPage {
    pub items: Vec<Event>,
    pub next_cursor: Option<String>,
}

fn parse(params: &AuditParams) -> Result<EventQuery, Error> {
    let mut errors = Vec::new();
    let mut types = Vec::new();
    for raw in params.types.iter().flat_map(|t| t.split(',')).map(str::trim).filter(|t| !t.is_empty()) {
        match EventType::parse("type", raw) {
            Ok(t) if !types.contains(&t) => types.push(t),
            Ok(_) => {}
            Err(_) => {
                errors.push(ValidationError::new("type", "invalid", format!("unknown event type {raw:?}")));
            }
        }
    }
    let subject = match params.subject.as_deref() {
        Some(raw) => match Subject::parse_filter("subject", raw) {
            Ok(subject) => Some(subject),
            Err(err) => {
                errors.push(err);
                None
            }
        },
        None => None,
    };
    if params.actor.is_some_and(|a| a <= 0) {
        errors.push(ValidationError::new("actor", "invalid", "must be a user id"));
    }
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        errors.push(ValidationError::new("limit", "invalid", "must be 1 to 100"));
    }
    let cursor_ok = params.cursor.as_deref().is_none_or(|c| uuid::Uuid::parse_str(c).is_ok());
    if !cursor_ok {
        return Err(Error::MalformedCursor);
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok(EventQuery {
        types,
        actor: params.actor.map(AccountId::new),
        subject,
        post: None,
        since: params.since,
        until: params.until,
        before: params.cursor.clone(),
        limit,
    })
}

async fn page(ctx: &Context, mut query: EventQuery) -> Result<EventPage, Error> {
    let limit = query.limit;
    query.limit = limit + 1;
    let mut items = events::list(&ctx.db, &query).await?;
    let more = crate::domain::listing::trim_to_page(&mut items, limit);
    let next_cursor = if more { items.last().map(|e| e.event_id.clone()) } else { None };
    Ok(EventPage { items, next_cursor })
}

/// The audit log (admins).
#[tracing::instrument(level = "debug", name = "service.events.list", skip_all)]
pub async fn list(ctx: &Context, actor: &Actor, params: &AuditParams) -> Result<EventPage, Error> {
    actor.require_admin()?;
    page(ctx, parse(params)?).await
}

/// One event (admins).
#[tracing::instrument(level = "debug", name = "service.events.get", skip_all)]
pub async fn get(ctx: &Context, actor: &Actor, event_id: &str) -> Result<Event, Error> {
    actor.require_admin()?;
    events::find(&ctx.db, event_id).await?.ok_or(Error::NotFound { what: "event" })
}

/// The events of one post: its author's and editors' business.
#[tracing::instrument(level = "debug", name = "service.events.of_post", skip_all)]
pub async fn of_post(
    ctx: &Context,
    actor: &Actor,
    post_id: PostId,
    params: &AuditParams,
) -> Result<EventPage, Error> {
    let post = super::posts::get(ctx, Some(actor), post_id).await?;
    if post.post.author_id != actor.account_id && !actor.role.can_manage_others_content() {
        return Err(Error::Forbidden { reason: "only the author or an editor may see a post's events" });
    }
    let mut query = parse(params)?;
    query.post = Some(post_id);
    page(ctx, query).await
}

/// Events dispatched per round.
const DISPATCH_BATCH: i64 = 200;
/// Event ids remembered as handled, so a redelivery is not handled twice.
const REMEMBERED: usize = 10_000;

/// Hands undispatched events to the in-process handlers: the response cache
/// (changes made by a process without one — the CLI, a standalone worker —
/// are reported on this instance's change feed, so every instance's cache
/// learns of them) and webhook subscriptions (one delivery job each). Each event is handled once per process
/// (by id); delivery across processes is at least once.
#[derive(Debug, Default)]
pub struct Dispatcher {
    handled: std::collections::HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl Dispatcher {
    /// One round; `true` when the batch was full (more may be waiting).
    pub async fn dispatch_pending(&mut self, ctx: &Context) -> Result<bool, Error> {
        let pending = events::pending(&ctx.db, DISPATCH_BATCH).await?;
        let lag =
            pending.first().map_or(0.0, |e| (ctx.clock.now() - e.occurred_at).as_seconds_f64().max(0.0));
        metrics::gauge!("herald_outbox_lag_seconds").set(lag);
        if pending.is_empty() {
            return Ok(false);
        }
        let fresh: Vec<&Event> = pending.iter().filter(|e| !self.handled.contains(&e.event_id)).collect();
        if fresh.iter().any(|e| e.origin != ORIGIN_API) {
            // Not reported when they were made: their effect on listings is
            // unknown here, so every cached response is reloaded.
            ctx.changes.publish(&[crate::domain::change::Change::Everything]).await;
        }
        for event in &fresh {
            metrics::counter!("herald_events_dispatched_total", "type" => event.event_type.as_str())
                .increment(1);
            self.remember(event.event_id.clone());
        }
        // Deliveries are made in the transaction that marks their events
        // dispatched, so an event is handed on completely or not at all; the
        // database, not this process's memory, knows which exist already.
        let ids: Vec<String> = pending.iter().map(|e| e.event_id.clone()).collect();
        let all: Vec<&Event> = pending.iter().collect();
        let mut tx = ctx.db.begin().await?;
        super::webhooks::fan_out(ctx, &mut tx, &all).await?;
        events::mark_dispatched(&mut tx, &ids, ctx.clock.now()).await?;
        tx.commit().await?;
        Ok(pending.len() as i64 == DISPATCH_BATCH)
    }

    fn remember(&mut self, id: String) {
        if self.handled.insert(id.clone()) {
            self.order.push_back(id);
        }
        while self.order.len() > REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.handled.remove(&old);
            }
        }
    }
}

/// The origin of events written by a process serving HTTP, whose change
/// feed reported them to the caches as they were committed.
pub const ORIGIN_API: &str = "api";

/// Deletes dispatched events, and finished jobs, older than the retention
/// period; returns how many rows went.
pub async fn prune(ctx: &Context) -> Result<u64, Error> {
    let days = i64::from(ctx.settings.event_retention_days);
    let before = ctx.clock.now() - chrono::Duration::days(days);
    let events = events::prune(&ctx.db, before).await?;
    let jobs = crate::store::jobs::prune(&ctx.db, before).await?;
    let deliveries = crate::store::webhooks::prune(&ctx.db, before).await?;
    Ok(events + jobs + deliveries)
}

/// Who an event names as its actor: `None` for the system.
pub fn by(actor: &Actor) -> Option<AccountId> {
    (!matches!(actor.credential, super::Credential::System)).then_some(actor.account_id)
}
