//! From the outbox to deliveries: each dispatched event becomes one
//! delivery (and its job) per active subscription whose filter matches, in
//! the transaction that marks the event dispatched. An event dispatched
//! twice finds its deliveries already made and queues nothing more.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::Error;
use crate::domain::event::{Event, NewEvent};
use crate::domain::job::NewJob;
use crate::domain::{AccountId, DeliveryId, PostId};
use crate::service::Context;
use crate::store::webhooks::{self as store, NewDelivery};
use crate::store::{Tx, jobs};

/// What a delivery's body is made of.
struct Envelope<'a> {
    event_id: &'a str,
    event_type: &'a str,
    at: DateTime<Utc>,
    subject_type: &'a str,
    subject_id: &'a str,
    actor: Option<i64>,
    post: Option<i64>,
    payload: &'a Value,
}

/// The body of a delivery of an event not yet stored (a ping).
pub(super) fn body(event_id: &str, event: &NewEvent, at: DateTime<Utc>) -> String {
    let subject_id = event.subject.id();
    render(&Envelope {
        event_id,
        event_type: event.event_type.as_str(),
        at,
        subject_type: event.subject.kind(),
        subject_id: &subject_id,
        actor: event.actor.map(AccountId::get),
        post: event.subject.post().map(PostId::get),
        payload: &event.payload,
    })
}

/// The Standard Webhooks body: `{type, timestamp, data}`, where `data` is
/// the event's id, subject, actor and payload (ids and changed field names).
fn render(e: &Envelope<'_>) -> String {
    let mut data = Map::new();
    data.insert("event_id".to_owned(), json!(e.event_id));
    data.insert("subject".to_owned(), json!({"type": e.subject_type, "id": e.subject_id}));
    data.insert("actor_id".to_owned(), json!(e.actor));
    if let Some(post) = e.post {
        data.insert("post_id".to_owned(), json!(post));
    }
    if let Value::Object(fields) = e.payload {
        for (key, value) in fields {
            data.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    json!({
        "type": e.event_type,
        "timestamp": e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

/// The JSON a stored event is sent as, to webhooks and to NATS.
pub fn event_body(event: &Event) -> String {
    let payload: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
    render(&Envelope {
        event_id: &event.event_id,
        event_type: event.event_type.as_str(),
        at: event.occurred_at,
        subject_type: &event.subject_type,
        subject_id: &event.subject_id,
        actor: event.actor_id.map(AccountId::get),
        post: event.post_id.map(PostId::get),
        payload: &payload,
    })
}

/// Queues the first attempt of a delivery, after the schedule's first wait.
pub(super) async fn queue(ctx: &Context, tx: &mut Tx, delivery_id: DeliveryId) -> Result<(), Error> {
    let schedule = &ctx.settings.webhooks.retry_schedule;
    let now = ctx.clock.now();
    let first = schedule.first().and_then(|w| chrono::Duration::from_std(*w).ok()).unwrap_or_default();
    let attempts = i64::try_from(schedule.len()).unwrap_or(1);
    jobs::enqueue_later(tx, &NewJob::deliver_webhook(delivery_id, now + first, attempts), now);
    Ok(())
}

/// Makes the deliveries of `events` inside `tx`; returns how many were new.
pub async fn fan_out(ctx: &Context, tx: &mut Tx, events: &[&Event]) -> Result<usize, Error> {
    if events.is_empty() {
        return Ok(0);
    }
    let subscriptions = store::list(&ctx.db, true).await?;
    if subscriptions.is_empty() {
        return Ok(0);
    }
    let filters: Vec<_> = subscriptions.iter().map(|s| (s.webhook_id, s.filter())).collect();
    let now = ctx.clock.now();
    let mut made = 0;
    for event in events {
        let mut body = None;
        for (webhook_id, filter) in &filters {
            if !filter.matches(event.event_type) {
                continue;
            }
            let body = body.get_or_insert_with(|| event_body(event));
            let new = NewDelivery {
                webhook_id: *webhook_id,
                event_id: &event.event_id,
                event_type: event.event_type.as_str(),
                body,
            };
            if let Some(delivery_id) = store::insert_delivery(tx, &new, now).await? {
                queue(ctx, tx, delivery_id).await?;
                made += 1;
            }
        }
    }
    Ok(made)
}
