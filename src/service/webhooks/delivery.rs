//! One attempt of one delivery, run by a `deliver_webhook` job: sign, send,
//! log the attempt, and decide what follows. A 2xx is success; `410 Gone`
//! disables the subscription; a refused (private) target fails at once;
//! anything else is retried on the configured schedule, and a subscription
//! that has failed for too long is disabled.

use chrono::Duration;
use serde_json::json;

use super::sender::{Message, Sent};
use super::store;
use super::store::NewAttempt;
use crate::domain::DeliveryId;
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::domain::webhook::{Delivery, DeliveryState, Webhook};
use crate::service::{Context, Error, events};

/// What to do after an attempt.
enum Next {
    Done,
    Retry(String),
}

/// Runs one attempt. `Err` asks the queue to retry (on the webhook
/// schedule); a delivery that will not be retried returns `Ok`.
pub async fn deliver(ctx: &Context, delivery_id: DeliveryId, last_attempt: bool) -> Result<(), Error> {
    // Gone with its subscription: nothing left to deliver.
    let Some(delivery) = store::find_delivery(&ctx.db, delivery_id).await? else {
        return Ok(());
    };
    let Some(webhook) = store::find(&ctx.db, delivery.webhook_id).await? else {
        return Ok(());
    };
    let now = ctx.clock.now();
    let sent = if webhook.active || delivery.event_type == EventType::WebhookPing {
        let secrets = webhook.signing_secrets(now);
        let message = Message {
            url: &webhook.url,
            id: &delivery.event_id,
            body: &delivery.body,
            secrets: &secrets,
            now,
        };
        ctx.webhooks.send(&message).await
    } else {
        Sent {
            status: None,
            latency: std::time::Duration::ZERO,
            error: Some("the subscription is disabled".to_owned()),
            response_body: None,
            refused: true,
        }
    };
    let status_class = sent.status.map_or("none", |s| match s {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    });
    let outcome = if sent.succeeded() { "succeeded" } else { "failed" };
    metrics::counter!("herald_webhook_deliveries_total", "outcome" => outcome, "status_class" => status_class)
        .increment(1);
    metrics::histogram!("herald_webhook_delivery_duration_seconds").record(sent.latency.as_secs_f64());
    match record(ctx, &webhook, &delivery, &sent, last_attempt).await? {
        Next::Done => Ok(()),
        Next::Retry(error) => Err(Error::Upstream { provider: "webhook", detail: error, unavailable: false }),
    }
}

/// Logs the attempt, moves the delivery on and, when it comes to that,
/// disables the subscription (with an event), in one transaction.
async fn record(
    ctx: &Context,
    webhook: &Webhook,
    delivery: &Delivery,
    sent: &Sent,
    last_attempt: bool,
) -> Result<Next, Error> {
    let now = ctx.clock.now();
    let disable_after = Duration::from_std(ctx.settings.webhooks.disable_after).unwrap_or(Duration::days(5));
    let (state, next, disable) = if sent.succeeded() {
        (DeliveryState::Succeeded, Next::Done, None)
    } else if sent.status == Some(410) {
        (DeliveryState::Failed, Next::Done, Some("the receiver answered 410 Gone".to_owned()))
    } else if sent.refused {
        (DeliveryState::Failed, Next::Done, None)
    } else if webhook.active && now - webhook.failing_since.unwrap_or(now) >= disable_after {
        let reason = format!("every delivery failed for over {}", span(disable_after));
        (DeliveryState::Failed, Next::Done, Some(reason))
    } else if last_attempt {
        (DeliveryState::Failed, Next::Done, None)
    } else {
        let error = sent.error.clone().unwrap_or_else(|| "the delivery failed".to_owned());
        (DeliveryState::Pending, Next::Retry(error), None)
    };
    let attempt = NewAttempt {
        at: now,
        succeeded: sent.succeeded(),
        status_code: sent.status.map(i64::from),
        latency_ms: i64::try_from(sent.latency.as_millis()).unwrap_or(i64::MAX),
        error: sent.error.as_deref(),
        response_body: sent.response_body.as_deref(),
    };
    let mut tx = ctx.db.begin().await?;
    // The subscription's row before its delivery's, in the order a delete
    // takes them (the webhook, then its deliveries by cascade): the other
    // order deadlocks with a delete on PostgreSQL.
    if !sent.refused
        && store::set_failing(&mut tx, webhook.webhook_id, (!sent.succeeded()).then_some(now)).await? == 0
    {
        // Deleted meanwhile, with its deliveries: nothing left to log.
        return Ok(Next::Done);
    }
    store::record_attempt(&mut tx, delivery.delivery_id, &attempt, state).await?;
    if let Some(reason) = &disable
        && store::disable(&mut tx, webhook.webhook_id, reason, now).await? == 1
    {
        let payload = json!({"webhook_id": webhook.webhook_id, "reason": reason});
        let event =
            NewEvent::new(EventType::WebhookDisabled, None, Subject::Webhook(webhook.webhook_id), payload);
        events::record(ctx, &mut tx, event).await?;
        metrics::counter!("herald_webhooks_disabled_total").increment(1);
        tracing::warn!(webhook_id = %webhook.webhook_id, reason, "disabled a webhook subscription");
    }
    tx.commit().await?;
    Ok(next)
}

/// `5 days`, `3 hours`, `90 seconds`: a period as an operator reads it.
fn span(period: Duration) -> String {
    let (n, unit) = if period.num_days() >= 2 {
        (period.num_days(), "days")
    } else if period.num_hours() >= 2 {
        (period.num_hours(), "hours")
    } else if period.num_minutes() >= 2 {
        (period.num_minutes(), "minutes")
    } else {
        (period.num_seconds(), "seconds")
    };
    format!("{n} {unit}")
}

/// Publishes how long the longest-failing active subscription has failed.
pub async fn observe(ctx: &Context) -> Result<(), Error> {
    let since = store::oldest_failure(&ctx.db).await?;
    let seconds = since.map_or(0.0, |at| (ctx.clock.now() - at).as_seconds_f64().max(0.0));
    metrics::gauge!("herald_webhook_failing_seconds").set(seconds);
    Ok(())
}
