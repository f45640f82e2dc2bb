//! Load shedding: beyond `max_in_flight` concurrent requests, answer 503 with
//! `Retry-After` at once rather than queueing without bound, so latency
//! stays bounded under overload. Health probes and metrics are exempt: an
//! overloaded instance must still say how it is.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::problem::ApiError;

/// The shared budget of in-flight requests.
#[derive(Clone)]
pub(super) struct InFlight(Arc<Semaphore>);

impl InFlight {
    pub(super) fn new(max: usize) -> InFlight {
        InFlight(Arc::new(Semaphore::new(max)))
    }
}

fn exempt(path: &str) -> bool {
    path.starts_with("/health/") || path == "/metrics"
}

pub(super) async fn shed(State(in_flight): State<InFlight>, request: Request, next: Next) -> Response {
    if exempt(request.uri().path()) {
        return next.run(request).await;
    }
    match Arc::clone(&in_flight.0).try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            tracing::warn!("load shed: too many requests in flight");
            metrics::counter!("herald_load_shed_total").increment(1);
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "the server is at capacity; retry shortly",
            )
            .into_response()
        }
    }
}
