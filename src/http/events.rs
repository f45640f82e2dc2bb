//! `/api/v1/events`: the audit log (admins), and `/api/v1/posts/{id}/events`
//! (the post's author and editors).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, PathId};
use super::problem::{ApiError, Problem};
use crate::domain::event::Event;
use crate::domain::{AccountId, PostId, ValidationError};
use crate::http::AppState;
use crate::service::Context;
use crate::service::events::{self, AuditParams, EventPage};
use crate::service::posts;

pub(super) use super::problem::CONTENT_TYPE as PROBLEM;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events)).routes(routes!(get_event)).routes(routes!(post_events))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SubjectView {
    /// `post`, `comment`, `user`, `api_key`, `session`, `category` or `webhook`.
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

/// Something that happened.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct EventView {
    /// A UUIDv7 (ordered by time).
    id: String,
    /// e.g. `post.published`.
    #[serde(rename = "type")]
    event_type: String,
    occurred_at: DateTime<Utc>,
    /// Who did it; absent for the system (scheduled publishing, the CLI).
    actor_id: Option<i64>,
    subject: SubjectView,
    /// The post it concerns, if any.
    post_id: Option<i64>,
    /// Ids and the names of changed fields.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    /// Its place in the live stream (`GET /api/v1/events/stream`); absent
    /// until the event is dispatched.
    seq: Option<i64>,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        EventView {
            id: e.event_id,
            event_type: e.event_type.as_str().to_owned(),
            occurred_at: e.occurred_at,
            actor_id: e.actor_id.map(AccountId::get),
            subject: SubjectView { kind: e.subject_type, id: e.subject_id },
            post_id: e.post_id.map(PostId::get),
            payload: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
            seq: e.seq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct EventPageView {
    items: Vec<EventView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    next_cursor: Option<String>,
}

impl From<EventPage> for EventPageView {
    fn from(page: EventPage) -> Self {
        EventPageView {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// Audit filters. `type` may repeat, or list types separated by commas.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the parameters; they are parsed by `audit_params`.
pub(super) struct EventParams {
    /// Event types, e.g. `post.published` or `comment.created,comment.deleted`.
    #[param(rename = "type")]
    types: Option<Vec<String>>,
    /// A user id: only what they did.
    actor: Option<i64>,
    /// `<type>:<id>`, e.g. `post:42`.
    subject: Option<String>,
    /// RFC 3339; inclusive.
    since: Option<DateTime<Utc>>,
    /// RFC 3339; exclusive.
    until: Option<DateTime<Utc>>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–100, default 50.
    limit: Option<i64>,
}

/// Parses the query by hand, since `type` may repeat; an unknown or
/// malformed parameter is a 422 naming it.
fn audit_params(raw: Option<&str>) -> Result<AuditParams, ApiError> {
    let mut params = AuditParams::default();
    let mut errors = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let bad = |message: &str| ValidationError::new(key.as_ref(), "invalid", message);
        let time = |v: &str| DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc));
        match key.as_ref() {
            "type" => params.types.push(value.into_owned()),
            "actor" => match value.parse() {
                Ok(id) => params.actor = Some(id),
                Err(_) => errors.push(bad("must be a user id")),
            },
            "subject" => params.subject = Some(value.into_owned()),
            "since" | "until" => match time(&value) {
                Ok(t) if key == "since" => params.since = Some(t),
                Ok(t) => params.until = Some(t),
                Err(_) => errors.push(bad("must be an RFC 3339 time")),
            },
            "cursor" => params.cursor = Some(value.into_owned()),
            "limit" => match value.parse() {
                Ok(n) => params.limit = Some(n),
                Err(_) => errors.push(bad("must be 1 to 100")),
            },
            other => errors.push(ValidationError::new(other, "unknown", "unknown parameter")),
        }
    }
    if errors.is_empty() { Ok(params) } else { Err(ApiError::validation(errors)) }
}

/// The audit log, newest first (admins).
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventParams),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = EventPageView),
        (status = 400, description = "Malformed cursor", body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn list_events(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    RawQuery(query): RawQuery,
) -> Result<Json<EventPageView>, ApiError> {
    let params = audit_params(query.as_deref())?;
    Ok(Json(events::list(&ctx, &actor, &params).await?.into()))
}

/// One event (admins).
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = EventView),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
    ))]
async fn get_event(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<EventView>, ApiError> {
    Ok(Json(events::get(&ctx, &actor, &id).await?.into()))
}

/// The events of one post, newest first (its author and editors).
#[utoipa::path(get, path = "/api/v1/posts/{id}/events", tag = "events", params(("id" = i64, Path), EventParams),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = EventPageView),
        (status = 400, description = "Malformed cursor", body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn post_events(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<PostId>,
    RawQuery(query): RawQuery,
) -> Result<Json<EventPageView>, ApiError> {
    let params = audit_params(query.as_deref())?;
    Ok(Json(posts::events_of(&ctx, &actor, id, &params).await?.into()))
}
