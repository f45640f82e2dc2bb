//! Webhook subscriptions (admins): create (the signing secret shown once),
//! list, change, delete, rotate the secret, ping; and the delivery log with
//! replay. Deliveries themselves are jobs (`delivery`), created from the
//! outbox by the dispatcher (`fanout`).

mod delivery;
mod fanout;
pub mod sender;
pub mod target;

use chrono::Duration;
use serde_json::json;

use super::events::{self, by};
use super::{Actor, Error};
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::domain::job::NewJob;
use crate::domain::webhook::{Attempt, Delivery, DeliveryState, EventFilter, SigningSecret, Webhook};
use crate::domain::{DeliveryId, ValidationError, Validator, WebhookId};
use crate::service::Context;
use crate::store::webhooks::{self as store, NewDelivery, WebhookFields};
use crate::store::{Tx, jobs};

pub use delivery::{deliver, observe};
pub use fanout::{event_body, fan_out};

/// A subscription as asked for (create) or changed (update: absent fields stay).
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// A subscription just made, or a secret just rotated: the only time the
/// secret is shown.
#[derive(Debug)]
pub struct WithSecret {
    pub webhook: Webhook,
    pub secret: SigningSecret,
}

fn parse_url(raw: &str) -> Result<String, ValidationError> {
    let raw = raw.trim();
    let invalid = |message: &str| ValidationError::new("url", "invalid", message);
    if raw.len() > 2000 {
        return Err(ValidationError::new("url", "too_long", "at most 2000 characters"));
    }
    let url = reqwest::Url::parse(raw).map_err(|_| invalid("must be an absolute http(s) URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("must be an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry credentials; authenticate with the signature instead"));
    }
    Ok(url.to_string())
}

fn parse_description(raw: Option<&str>) -> Result<String, ValidationError> {
    let text = raw.unwrap_or_default().trim();
    if text.chars().count() > 500 {
        return Err(ValidationError::new("description", "too_long", "at most 500 characters"));
    }
    if text.contains('\0') {
        return Err(ValidationError::new("description", "invalid", "must not contain NUL characters"));
    }
    Ok(text.to_owned())
}

#[tracing::instrument(level = "debug", name = "service.webhooks.create", skip_all)]
pub async fn create(ctx: &Context, actor: &Actor, input: &WebhookInput) -> Result<WithSecret, Error> {
    actor.require_admin()?;
    let mut v = Validator::new();
    let url = v.check(match input.url.as_deref() {
        Some(url) => parse_url(url),
        None => Err(ValidationError::new("url", "required", "a URL is required")),
    });
    let filter = v.check(EventFilter::parse("events", input.events.as_deref().unwrap_or_default()));
    let description = v.check(parse_description(input.description.as_deref()));
    let (url, filter, description) = v.finish(|| Some((url?, filter?, description?)))?;

    let secret = SigningSecret::generate();
    let events = filter.to_stored();
    let fields = WebhookFields {
        url: &url,
        events: &events,
        description: &description,
        active: input.active.unwrap_or(true),
    };
    let mut tx = ctx.db.begin().await?;
    let webhook = store::insert(&mut tx, &fields, secret.expose(), actor.account_id, ctx.clock.now()).await?;
    // The host only: receivers' URLs often carry a token in their path.
    let host = reqwest::Url::parse(&webhook.url).ok().and_then(|u| u.host_str().map(str::to_owned));
    let payload = json!({"webhook_id": webhook.webhook_id, "host": host, "events": filter.patterns()});
    record(ctx, &mut tx, actor, EventType::WebhookCreated, webhook.webhook_id, payload).await?;
    tx.commit().await?;
    Ok(WithSecret { webhook, secret })
}

#[tracing::instrument(level = "debug", name = "service.webhooks.list", skip_all)]
pub async fn list(ctx: &Context, actor: &Actor) -> Result<Vec<Webhook>, Error> {
    actor.require_admin()?;
    Ok(store::list(&ctx.db, false).await?)
}

#[tracing::instrument(level = "debug", name = "service.webhooks.get", skip_all)]
pub async fn get(ctx: &Context, actor: &Actor, id: WebhookId) -> Result<Webhook, Error> {
    actor.require_admin()?;
    store::find(&ctx.db, id).await?.ok_or(Error::NotFound { what: "webhook" })
}

/// Changes the given fields; turning a disabled subscription on again
/// clears its failure streak.
#[tracing::instrument(level = "debug", name = "service.webhooks.update", skip_all)]
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: WebhookId,
    input: &WebhookInput,
) -> Result<Webhook, Error> {
    let current = get(ctx, actor, id).await?;
    let mut v = Validator::new();
    let url = v.check(input.url.as_deref().map_or(Ok(current.url.clone()), parse_url));
    let filter =
        v.check(input.events.as_deref().map_or(Ok(current.filter()), |e| EventFilter::parse("events", e)));
    let description = v.check(match input.description.as_deref() {
        Some(text) => parse_description(Some(text)),
        None => Ok(current.description.clone()),
    });
    let (url, filter, description) = v.finish(|| Some((url?, filter?, description?)))?;
    let events = filter.to_stored();
    let active = input.active.unwrap_or(current.active);
    let fields = WebhookFields { url: &url, events: &events, description: &description, active };
    let mut changed = Vec::new();
    for (name, differs) in [
        ("url", url != current.url),
        ("events", events != current.events),
        ("description", description != current.description),
        ("active", active != current.active),
    ] {
        if differs {
            changed.push(name);
        }
    }
    let mut tx = ctx.db.begin().await?;
    if store::update(&mut tx, id, &fields, ctx.clock.now()).await? == 0 {
        return Err(Error::NotFound { what: "webhook" });
    }
    let payload = json!({"webhook_id": id, "changed": changed});
    record(ctx, &mut tx, actor, EventType::WebhookUpdated, id, payload).await?;
    tx.commit().await?;
    get(ctx, actor, id).await
}

#[tracing::instrument(level = "debug", name = "service.webhooks.delete", skip_all)]
pub async fn delete(ctx: &Context, actor: &Actor, id: WebhookId) -> Result<(), Error> {
    actor.require_admin()?;
    let mut tx = ctx.db.begin().await?;
    if store::delete(&mut tx, id).await? == 0 {
        return Err(Error::NotFound { what: "webhook" });
    }
    record(ctx, &mut tx, actor, EventType::WebhookDeleted, id, json!({"webhook_id": id})).await?;
    tx.commit().await?;
    Ok(())
}

/// A new signing secret; the old one keeps signing beside it for the
/// configured overlap, so receivers can switch without missing a delivery.
#[tracing::instrument(level = "debug", name = "service.webhooks.rotate_secret", skip_all)]
pub async fn rotate_secret(ctx: &Context, actor: &Actor, id: WebhookId) -> Result<WithSecret, Error> {
    get(ctx, actor, id).await?;
    let now = ctx.clock.now();
    let overlap = Duration::from_std(ctx.settings.webhooks.secret_overlap).unwrap_or(Duration::days(1));
    let secret = SigningSecret::generate();
    let mut tx = ctx.db.begin().await?;
    store::rotate(&mut tx, id, secret.expose(), now + overlap, now).await?;
    let payload = json!({"webhook_id": id, "previous_secret_until": now + overlap});
    record(ctx, &mut tx, actor, EventType::WebhookSecretRotated, id, payload).await?;
    tx.commit().await?;
    Ok(WithSecret { webhook: get(ctx, actor, id).await?, secret })
}

/// Sends a `webhook.ping` event to this subscription alone (active or not),
/// through the queue like any delivery.
#[tracing::instrument(level = "debug", name = "service.webhooks.ping", skip_all)]
pub async fn ping(ctx: &Context, actor: &Actor, id: WebhookId) -> Result<Delivery, Error> {
    get(ctx, actor, id).await?;
    let now = ctx.clock.now();
    let event =
        NewEvent::new(EventType::WebhookPing, by(actor), Subject::Webhook(id), json!({"webhook_id": id}));
    let event_id = uuid::Uuid::now_v7().to_string();
    let body = fanout::body(&event_id, &event, now);
    let mut tx = ctx.db.begin().await?;
    events::record_with_id(ctx, &mut tx, &event_id, event).await?;
    let new = NewDelivery {
        webhook_id: id,
        event_id: &event_id,
        event_type: EventType::WebhookPing.as_str(),
        body: &body,
    };
    let delivery_id = store::insert_delivery(&mut tx, &new, now)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a fresh event already had a delivery")))?;
    fanout::queue(ctx, &mut tx, delivery_id).await?;
    tx.commit().await?;
    store::find_delivery(&ctx.db, delivery_id).await?.ok_or(Error::NotFound { what: "delivery" })
}

/// The delivery log as asked.
#[derive(Debug, Clone, Default)]
pub struct DeliveryParams {
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// A delivery with its attempts, oldest attempt first.
#[derive(Debug)]
pub struct LoggedDelivery {
    pub delivery: Delivery,
    pub attempts: Vec<Attempt>,
}

#[derive(Debug)]
pub struct DeliveryPage {
    pub items: Vec<LoggedDelivery>,
    pub next_cursor: Option<String>,
}

/// A subscription's deliveries, newest first.
#[tracing::instrument(level = "debug", name = "service.webhooks.deliveries", skip_all)]
pub async fn deliveries(
    ctx: &Context,
    actor: &Actor,
    id: WebhookId,
    params: &DeliveryParams,
) -> Result<DeliveryPage, Error> {
    get(ctx, actor, id).await?;
    let mut v = Validator::new();
    let state = v.check(params.status.as_deref().map(|s| DeliveryState::parse("status", s)).transpose());
    let limit = params.limit.unwrap_or(50);
    v.check(if (1..=100).contains(&limit) {
        Ok(())
    } else {
        Err(ValidationError::new("limit", "invalid", "must be 1 to 100"))
    });
    let state = v.finish(|| state)?;
    let before = match params.cursor.as_deref() {
        Some(raw) => Some(DeliveryId::new(raw.parse::<i64>().map_err(|_| Error::MalformedCursor)?)),
        None => None,
    };
    let mut found = store::deliveries(&ctx.db, id, state, before, limit + 1).await?;
    let more = crate::domain::listing::trim_to_page(&mut found, limit);
    let next_cursor = if more { found.last().map(|d| d.delivery_id.to_string()) } else { None };
    let ids: Vec<DeliveryId> = found.iter().map(|d| d.delivery_id).collect();
    let mut attempts = store::attempts(&ctx.db, &ids).await?;
    let items = found
        .into_iter()
        .map(|delivery| {
            let (mine, rest) = attempts.drain(..).partition(|a| a.delivery_id == delivery.delivery_id);
            attempts = rest;
            LoggedDelivery { delivery, attempts: mine }
        })
        .collect();
    Ok(DeliveryPage { items, next_cursor })
}

/// Sends a delivery's event again: one new attempt, same `webhook-id`.
#[tracing::instrument(level = "debug", name = "service.webhooks.replay", skip_all)]
pub async fn replay(
    ctx: &Context,
    actor: &Actor,
    id: WebhookId,
    delivery_id: DeliveryId,
) -> Result<Delivery, Error> {
    get(ctx, actor, id).await?;
    let delivery = store::find_delivery(&ctx.db, delivery_id)
        .await?
        .filter(|d| d.webhook_id == id)
        .ok_or(Error::NotFound { what: "delivery" })?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    if !jobs::enqueue(&mut tx, &NewJob::deliver_webhook(delivery_id, now, 1), now).await? {
        return Err(Error::Conflict { detail: "this delivery already has an attempt waiting".to_owned() });
    }
    store::set_delivery_state(&mut tx, delivery_id, DeliveryState::Pending, now).await?;
    tx.commit().await?;
    Ok(Delivery { state: DeliveryState::Pending, ..delivery })
}

async fn record(
    ctx: &Context,
    tx: &mut Tx,
    actor: &Actor,
    event_type: EventType,
    id: WebhookId,
    payload: serde_json::Value,
) -> Result<(), Error> {
    events::record(ctx, tx, NewEvent::new(event_type, by(actor), Subject::Webhook(id), payload)).await
}
