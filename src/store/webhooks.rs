//! `webhook`, `webhook_delivery`, `webhook_attempt`: subscriptions, one
//! delivery per (subscription, event), and the attempts of each delivery.

use chrono::{DateTime, Utc};

use super::query::{Arg, Sql, bind_args};
use super::{Db, StoreError, Tx, args, exec, exec_on};
use crate::domain::webhook::{Attempt, Delivery, DeliveryState, Webhook};
use crate::domain::{AccountId, DeliveryId, WebhookId};

const COLUMNS: &str = "webhook_id, url, events, description, active, secret, previous_secret, \
                       previous_secret_until, disabled_reason, failing_since, created_by, created_at, updated_at";
const DELIVERY_COLUMNS: &str =
    "delivery_id, webhook_id, event_id, event_type, body, state, attempts, created_at, updated_at";
const ATTEMPT_COLUMNS: &str =
    "delivery_id, attempt, attempted_at, outcome, status_code, latency_ms, error, response_body";

/// A subscription's editable fields, as written.
#[derive(Debug)]
pub struct WebhookFields<'a> {
    pub url: &'a str,
    /// JSON array of patterns.
    pub events: &'a str,
    pub description: &'a str,
    pub active: bool,
}

pub async fn insert(
    tx: &mut Tx,
    fields: &WebhookFields<'_>,
    secret: &str,
    created_by: AccountId,
    now: DateTime<Utc>,
) -> Result<Webhook, StoreError> {
    let sql = format!(
        "INSERT INTO webhook (url, events, description, active, secret, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
    );
    let values = args![fields.url, fields.events, fields.description, fields.active, secret, created_by, now];
    Ok(on_tx!(tx, |conn| {
        bind_args!(sqlx::query_as::<_, Webhook>(sqlx::AssertSqlSafe(sql)), values).fetch_one(conn).await?
    }))
}

pub async fn find(db: &Db, id: WebhookId) -> Result<Option<Webhook>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM webhook WHERE webhook_id = $1");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Webhook>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    }))
}

/// Every subscription (`active_only`: the ones deliveries go to), oldest first.
pub async fn list(db: &Db, active_only: bool) -> Result<Vec<Webhook>, StoreError> {
    let filter = if active_only { " WHERE active = $1" } else { " WHERE active OR NOT $1" };
    let sql = format!("SELECT {COLUMNS} FROM webhook{filter} ORDER BY webhook_id");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Webhook>(sqlx::AssertSqlSafe(sql)).bind(active_only).fetch_all(pool).await?
    }))
}

/// Replaces the editable fields. Turning a disabled subscription back on
/// clears why it was disabled and its failure streak (other edits keep the
/// streak, so they do not restart the time to disabling).
pub async fn update(
    tx: &mut Tx,
    id: WebhookId,
    fields: &WebhookFields<'_>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let sql = "UPDATE webhook SET url = $2, events = $3, description = $4, active = $5, updated_at = $6,
                   disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
                   failing_since = CASE WHEN $5 AND NOT active THEN NULL ELSE failing_since END
               WHERE webhook_id = $1";
    let values = args![id, fields.url, fields.events, fields.description, fields.active, now];
    exec(tx, sql, values).await
}

pub async fn delete(tx: &mut Tx, id: WebhookId) -> Result<u64, StoreError> {
    exec(tx, "DELETE FROM webhook WHERE webhook_id = $1", args![id]).await
}

/// Makes `secret` the signing secret; the old one keeps signing until `overlap_until`.
pub async fn rotate(
    tx: &mut Tx,
    id: WebhookId,
    secret: &str,
    overlap_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let sql = "UPDATE webhook SET previous_secret = secret, previous_secret_until = $3, secret = $2,
                   updated_at = $4
               WHERE webhook_id = $1";
    exec(tx, sql, args![id, secret, overlap_until, now]).await
}

/// Turns a subscription off, saying why.
pub async fn disable(
    tx: &mut Tx,
    id: WebhookId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let sql = "UPDATE webhook SET active = $2, disabled_reason = $3, updated_at = $4
               WHERE webhook_id = $1 AND active";
    exec(tx, sql, args![id, false, reason, now]).await
}

/// Starts (if not started) or ends a subscription's failure streak.
pub async fn set_failing(
    tx: &mut Tx,
    id: WebhookId,
    failing: Option<DateTime<Utc>>,
) -> Result<u64, StoreError> {
    let sql = match failing {
        Some(_) => "UPDATE webhook SET failing_since = COALESCE(failing_since, $2) WHERE webhook_id = $1",
        None => "UPDATE webhook SET failing_since = $2 WHERE webhook_id = $1",
    };
    exec(tx, sql, args![id, failing]).await
}

/// When the longest current failure streak of an active subscription began.
pub async fn oldest_failure(db: &Db) -> Result<Option<DateTime<Utc>>, StoreError> {
    let sql = "SELECT MIN(failing_since) FROM webhook WHERE active";
    Ok(on_pool!(db, read, |pool| sqlx::query_scalar(sql).fetch_one(pool).await?))
}

/// One event's delivery to a subscription, about to be created.
#[derive(Debug)]
pub struct NewDelivery<'a> {
    pub webhook_id: WebhookId,
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub body: &'a str,
}

/// Creates the delivery unless it exists (an event dispatched twice);
/// `None` when it did.
pub async fn insert_delivery(
    tx: &mut Tx,
    new: &NewDelivery<'_>,
    now: DateTime<Utc>,
) -> Result<Option<DeliveryId>, StoreError> {
    let sql =
        "INSERT INTO webhook_delivery (webhook_id, event_id, event_type, body, state, created_at, updated_at)
               VALUES ($1, $2, $3, $4, 'pending', $5, $5)
               ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING delivery_id";
    let values = args![new.webhook_id, new.event_id, new.event_type, new.body, now];
    Ok(on_tx!(tx, |conn| {
        bind_args!(sqlx::query_scalar::<_, DeliveryId>(sql), values).fetch_optional(conn).await?
    }))
}

pub async fn find_delivery(db: &Db, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_delivery WHERE delivery_id = $1");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Delivery>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    }))
}

/// One attempt's result, about to be logged.
#[derive(Debug)]
pub struct NewAttempt<'a> {
    pub at: DateTime<Utc>,
    pub succeeded: bool,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<&'a str>,
    pub response_body: Option<&'a str>,
}

/// Logs an attempt and moves the delivery to `state`.
pub async fn record_attempt(
    tx: &mut Tx,
    id: DeliveryId,
    attempt: &NewAttempt<'_>,
    state: DeliveryState,
) -> Result<(), StoreError> {
    let sql = "UPDATE webhook_delivery SET attempts = attempts + 1, state = $2, updated_at = $3
               WHERE delivery_id = $1";
    exec(tx, sql, args![id, state.as_str(), attempt.at]).await?;
    let sql =
        "INSERT INTO webhook_attempt (delivery_id, attempt, attempted_at, outcome, status_code, latency_ms,
                                            error, response_body)
               SELECT $1, attempts, $2, $3, $4, $5, $6, $7 FROM webhook_delivery WHERE delivery_id = $1";
    let outcome = if attempt.succeeded { "succeeded" } else { "failed" };
    let values = args![
        id,
        attempt.at,
        outcome,
        attempt.status_code,
        attempt.latency_ms,
        attempt.error.map(str::to_owned),
        attempt.response_body.map(str::to_owned)
    ];
    exec(tx, sql, values).await?;
    Ok(())
}

pub async fn set_delivery_state(
    tx: &mut Tx,
    id: DeliveryId,
    state: DeliveryState,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let sql = "UPDATE webhook_delivery SET state = $2, updated_at = $3 WHERE delivery_id = $1";
    exec(tx, sql, args![id, state.as_str(), now]).await
}

/// A subscription's deliveries, newest first.
pub async fn deliveries(
    db: &Db,
    webhook_id: WebhookId,
    state: Option<DeliveryState>,
    before: Option<DeliveryId>,
    limit: i64,
) -> Result<Vec<Delivery>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {DELIVERY_COLUMNS} FROM webhook_delivery WHERE webhook_id = "));
    sql.bind(Arg::Int(webhook_id.get()));
    if let Some(state) = state {
        sql.push(" AND state = ");
        sql.bind(Arg::Text(state.as_str().to_owned()));
    }
    if let Some(before) = before {
        sql.push(" AND delivery_id < ");
        sql.bind(Arg::Int(before.get()));
    }
    sql.push(" ORDER BY delivery_id DESC LIMIT ");
    sql.bind(Arg::Int(limit));
    let (text, values) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_as::<_, Delivery>(sqlx::AssertSqlSafe(text)), &values).fetch_all(pool).await?
    }))
}

/// The attempts of these deliveries, in order.
pub async fn attempts(db: &Db, ids: &[DeliveryId]) -> Result<Vec<Attempt>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {ATTEMPT_COLUMNS} FROM webhook_attempt WHERE delivery_id IN "));
    sql.push_in(ids.iter().map(|id| Arg::Int(id.get())));
    sql.push(" ORDER BY delivery_id, attempt_id");
    let (text, values) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_as::<_, Attempt>(sqlx::AssertSqlSafe(text)), &values).fetch_all(pool).await?
    }))
}

/// Deletes finished deliveries (and their attempts) created before `before`.
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let sql = "DELETE FROM webhook_delivery WHERE created_at < $1 AND state <> 'pending'";
    exec_on(db, sql, args![before]).await
}
