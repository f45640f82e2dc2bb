//! `/health/live` and `/health/ready` for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::AppState;
use crate::telemetry::health::{self, Report};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live)).routes(routes!(ready)).routes(routes!(metrics))
}

/// Just `/metrics`, for the separate metrics listener (`metrics_listen`).
pub(super) fn metrics_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Marks requests that arrived on the separate metrics listener.
#[derive(Clone, Copy, Debug)]
pub(super) struct MetricsPort;

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Live {
    /// Always `up`: answering at all is the signal.
    status: &'static str,
    version: &'static str,
    /// Seconds since this process started serving.
    uptime_seconds: u64,
}

/// Liveness: the process answers. Never touches dependencies, so a slow
/// database does not get healthy instances restarted.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "The process is alive", body = Live)))]
async fn live(State(state): State<AppState>) -> Json<Live> {
    Json(Live {
        status: "up",
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: state.started_at.elapsed().as_secs(),
    })
}

/// Readiness: every dependency Herald needs is usable. 503 when one is down,
/// so load balancers stop routing here; `degraded` still answers 200.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Ready to serve (status `up` or `degraded`)", body = Report),
        (status = 503, description = "A required dependency is down", body = Report),
    ))]
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let report = health::readiness(&state.services, state.cache.redis()).await;
    let status = if report.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(report))
}

/// Prometheus metrics (text exposition format). Requires
/// `Authorization: Bearer <metrics_token>` when a token is configured.
#[utoipa::path(get, path = "/metrics", tag = "health",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 404, description = "metrics_listen is set: metrics are served on that address only", body = crate::http::problem::Problem,
            content_type = crate::http::problem::CONTENT_TYPE),
        (status = 401, description = "metrics_token is set and was not presented", body = crate::http::problem::Problem,
            content_type = "application/problem+json"),
    ))]
async fn metrics(
    State(state): State<AppState>,
    port: Option<axum::Extension<MetricsPort>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use secrecy::ExposeSecret as _;
    // With a separate metrics address, the API port does not expose them.
    if state.services.settings.metrics_listen.is_some() && port.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(token) = &state.services.settings.http.metrics_token {
        let presented = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if presented != Some(token.expose_secret()) {
            return crate::http::problem::ApiError::unauthorized(crate::service::AuthFailure::Missing)
                .into_response();
        }
    }
    let body = crate::telemetry::metrics::render(&state.services, &state.cache, state.started_at);
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
