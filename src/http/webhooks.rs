//! `/api/v1/webhooks`: subscriptions (admins), their secrets, pings, and the
//! delivery log with replay.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, PathId, ValidJson, ValidQuery};
use super::problem::{ApiError, Problem};
use crate::domain::webhook::{Attempt, Delivery, Webhook};
use crate::domain::{DeliveryId, WebhookId};
use crate::http::AppState;
use crate::service::Context;
use crate::service::webhooks::{
    self, DeliveryPage, DeliveryParams, LoggedDelivery, WebhookInput, WithSecret,
};

use super::problem::CONTENT_TYPE as PROBLEM;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(ping))
        .routes(routes!(list_deliveries))
        .routes(routes!(replay))
}

/// A subscription. Its secret is never listed: it is shown once, when the
/// subscription is made or its secret rotated.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WebhookView {
    id: i64,
    url: String,
    /// Event types (`post.published`), families (`comment.*`) or `*`.
    events: Vec<String>,
    description: String,
    active: bool,
    /// Why Herald turned the subscription off (410 Gone, failing too long).
    disabled_reason: Option<String>,
    /// When the current run of failed deliveries began.
    failing_since: Option<DateTime<Utc>>,
    /// Until when the previous secret still signs beside the current one.
    previous_secret_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        WebhookView {
            id: w.webhook_id.get(),
            events: w.filter().patterns().to_vec(),
            url: w.url,
            description: w.description,
            active: w.active,
            disabled_reason: w.disabled_reason,
            failing_since: w.failing_since,
            previous_secret_until: w.previous_secret_until,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WebhookWithSecret {
    #[serde(flatten)]
    webhook: WebhookView,
    /// `whsec_<base64>`: verify deliveries with it. Shown only in this response.
    secret: String,
}

impl From<WithSecret> for WebhookWithSecret {
    fn from(w: WithSecret) -> Self {
        WebhookWithSecret { secret: w.secret.expose().to_owned(), webhook: w.webhook.into() }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct WebhookBody {
    /// Where deliveries are POSTed (http or https).
    url: Option<String>,
    /// e.g. `["post.published", "comment.*"]`, or `["*"]` for everything.
    events: Option<Vec<String>>,
    description: Option<String>,
    /// Default `true` on create.
    active: Option<bool>,
}

impl From<WebhookBody> for WebhookInput {
    fn from(b: WebhookBody) -> Self {
        WebhookInput { url: b.url, events: b.events, description: b.description, active: b.active }
    }
}

/// Every subscription (admins).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = Vec<WebhookView>),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
    ))]
async fn list_webhooks(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    Ok(Json(webhooks::list(&ctx, &actor).await?.into_iter().map(Into::into).collect()))
}

/// Subscribe a URL to events (admins). The answer holds the signing secret, once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookBody,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, body = WebhookWithSecret),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn create_webhook(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidJson(body): ValidJson<WebhookBody>,
) -> Result<(StatusCode, Json<WebhookWithSecret>), ApiError> {
    let created = webhooks::create(&ctx, &actor, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One subscription (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = WebhookView),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
    ))]
async fn get_webhook(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<WebhookId>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(webhooks::get(&ctx, &actor, id).await?.into()))
}

/// Change a subscription (admins); absent fields stay. `active: true`
/// turns a disabled subscription back on.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    request_body = WebhookBody,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = WebhookView),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn update_webhook(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<WebhookId>,
    ValidJson(body): ValidJson<WebhookBody>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(webhooks::update(&ctx, &actor, id, &body.into()).await?.into()))
}

/// Delete a subscription and its delivery log (admins).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
    ))]
async fn delete_webhook(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<WebhookId>,
) -> Result<StatusCode, ApiError> {
    webhooks::delete(&ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret (shown once); the old one keeps signing beside it
/// for `webhook_secret_overlap_secs` (admins).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = WebhookWithSecret),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
    ))]
async fn rotate_secret(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<WebhookId>,
) -> Result<Json<WebhookWithSecret>, ApiError> {
    Ok(Json(webhooks::rotate_secret(&ctx, &actor, id).await?.into()))
}

/// One delivery and its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DeliveryView {
    id: i64,
    webhook_id: i64,
    /// The `webhook-id` header: the same on every attempt and replay.
    event_id: String,
    event_type: String,
    /// `pending`, `succeeded` or `failed`.
    status: String,
    attempts: Vec<AttemptView>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AttemptView {
    attempt: i64,
    at: DateTime<Utc>,
    /// `succeeded` or `failed`.
    outcome: String,
    status_code: Option<i64>,
    latency_ms: i64,
    error: Option<String>,
    /// The first kilobyte of the receiver's answer.
    response_body: Option<String>,
}

impl From<Attempt> for AttemptView {
    fn from(a: Attempt) -> Self {
        AttemptView {
            attempt: a.attempt,
            at: a.attempted_at,
            outcome: a.outcome,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
            response_body: a.response_body,
        }
    }
}

fn delivery_view(d: Delivery, attempts: Vec<Attempt>) -> DeliveryView {
    DeliveryView {
        id: d.delivery_id.get(),
        webhook_id: d.webhook_id.get(),
        event_id: d.event_id,
        event_type: d.event_type.as_str().to_owned(),
        status: d.state.as_str().to_owned(),
        attempts: attempts.into_iter().map(Into::into).collect(),
        created_at: d.created_at,
        updated_at: d.updated_at,
    }
}

impl From<LoggedDelivery> for DeliveryView {
    fn from(d: LoggedDelivery) -> Self {
        delivery_view(d.delivery, d.attempts)
    }
}

/// Send a `webhook.ping` event to this subscription (admins); it is
/// delivered through the queue like any event.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = "webhooks", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 202, body = DeliveryView),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
    ))]
async fn ping(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<WebhookId>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let delivery = webhooks::ping(&ctx, &actor, id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery_view(delivery, Vec::new()))))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DeliveryPageView {
    items: Vec<DeliveryView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    next_cursor: Option<String>,
}

impl From<DeliveryPage> for DeliveryPageView {
    fn from(page: DeliveryPage) -> Self {
        DeliveryPageView {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct DeliveryQuery {
    /// `pending`, `succeeded` or `failed`.
    status: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–100, default 50.
    limit: Option<i64>,
}

/// The delivery log of a subscription, newest first (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path), DeliveryQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = DeliveryPageView),
        (status = 400, description = "Malformed cursor", body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn list_deliveries(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<WebhookId>,
    ValidQuery(query): ValidQuery<DeliveryQuery>,
) -> Result<Json<DeliveryPageView>, ApiError> {
    let params = DeliveryParams { status: query.status, cursor: query.cursor, limit: query.limit };
    Ok(Json(webhooks::deliveries(&ctx, &actor, id, &params).await?.into()))
}

fn path_id(raw: &str, what: &'static str) -> Result<i64, ApiError> {
    super::extract::positive_id(raw).ok_or_else(|| ApiError::from(crate::service::Error::NotFound { what }))
}

/// Send a delivery's event again: one new attempt with the same `webhook-id` (admins).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay", tag = "webhooks",
    params(("id" = i64, Path), ("delivery_id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 202, body = DeliveryView),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, description = "An attempt is already waiting", body = Problem, content_type = PROBLEM),
    ))]
async fn replay(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let id = WebhookId::new(path_id(&id, "webhook")?);
    let delivery_id = DeliveryId::new(path_id(&delivery, "delivery")?);
    let delivery = webhooks::replay(&ctx, &actor, id, delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery_view(delivery, Vec::new()))))
}
