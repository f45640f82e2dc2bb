//! `/api/v1/jobs`: the job queue for admins — list, inspect, retry, cancel.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::AuthUser;
use super::problem::{ApiError, Problem};
use crate::domain::ValidationError;
use crate::domain::job::{Job, Priority};
use crate::http::AppState;
use crate::service::Context;
use crate::service::jobs::{self, JobPage, JobParams};

use super::problem::CONTENT_TYPE as PROBLEM;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(retry_job))
        .routes(routes!(cancel_job))
}

/// A unit of background work.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct JobView {
    id: i64,
    /// e.g. `publish_post`.
    kind: String,
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    /// `critical`, `high`, `normal` or `low`.
    priority: String,
    /// `queued`, `running`, `succeeded`, `failed` (will retry), `dead` or `cancelled`.
    state: String,
    run_at: DateTime<Utc>,
    attempts: i64,
    max_attempts: i64,
    last_error: Option<String>,
    lease_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        JobView {
            id: j.job_id,
            kind: j.kind.as_str().to_owned(),
            payload: serde_json::from_str(&j.payload).unwrap_or(serde_json::Value::Null),
            priority: Priority::from_rank(j.priority).as_str().to_owned(),
            state: j.state.as_str().to_owned(),
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            lease_until: j.lease_until,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct JobPageView {
    items: Vec<JobView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    next_cursor: Option<String>,
}

impl From<JobPage> for JobPageView {
    fn from(page: JobPage) -> Self {
        JobPageView { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }
    }
}

/// Job filters. `state` may repeat, or list states separated by commas.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the parameters; they are parsed by `job_params`.
pub(super) struct JobListParams {
    /// queued, running, succeeded, failed, dead, cancelled.
    state: Option<Vec<String>>,
    /// e.g. `publish_post`.
    kind: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–100, default 50.
    limit: Option<i64>,
}

fn job_params(raw: Option<&str>) -> Result<JobParams, ApiError> {
    let mut params = JobParams::default();
    let mut errors = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "state" => params.states.push(value.into_owned()),
            "kind" => params.kind = Some(value.into_owned()),
            "cursor" => params.cursor = Some(value.into_owned()),
            "limit" => match value.parse() {
                Ok(n) => params.limit = Some(n),
                Err(_) => errors.push(ValidationError::new("limit", "invalid", "must be 1 to 100")),
            },
            other => errors.push(ValidationError::new(other, "unknown", "unknown parameter")),
        }
    }
    if errors.is_empty() { Ok(params) } else { Err(ApiError::validation(errors)) }
}

/// Jobs, newest first (admins).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobListParams),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = JobPageView),
        (status = 400, description = "Malformed cursor", body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn list_jobs(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    RawQuery(query): RawQuery,
) -> Result<Json<JobPageView>, ApiError> {
    let params = job_params(query.as_deref())?;
    Ok(Json(jobs::list(&ctx, &actor, &params).await?.into()))
}

fn job_id(raw: &str) -> Result<i64, ApiError> {
    super::extract::positive_id(raw)
        .ok_or_else(|| ApiError::from(crate::service::Error::NotFound { what: "job" }))
}

/// One job (admins).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = JobView),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
    ))]
async fn get_job(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(jobs::get(&ctx, &actor, job_id(&id)?).await?.into()))
}

/// Queue a dead or failed job again, at once, with fresh attempts (admins).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = JobView),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, description = "The job is not dead or failed", body = Problem, content_type = PROBLEM),
    ))]
async fn retry_job(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(jobs::retry(&ctx, &actor, job_id(&id)?).await?.into()))
}

/// Cancel a job that has not started (admins).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = JobView),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, description = "The job already ran or is running", body = Problem, content_type = PROBLEM),
    ))]
async fn cancel_job(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(jobs::cancel(&ctx, &actor, job_id(&id)?).await?.into()))
}
