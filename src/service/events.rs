//! Domain events: each write use case records what it did in the same
//! transaction (`record`), the dispatcher (`dispatch`) hands them to in-process
//! handlers afterwards, and admins (and authors, for their own posts) read them back
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

/// The events of one post, as asked; who may see them is the posts
/// service's rule (`posts::events`).
pub(crate) async fn of_post(
    ctx: &Context,
    post_id: PostId,
    params: &AuditParams,
) -> Result<EventPage, Error> {
    let mut query = parse(params)?;
    query.post = Some(post_id);
    page(ctx, query).await
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
