//! The state HTTP handlers share: the service context, plus what only the
//! HTTP surface needs (the response cache, the start time for uptime).
//! Handlers that only call services extract `State<Context>` (`FromRef`).

use std::time::Instant;

use axum::extract::FromRef;

use crate::cache::Cache;
use crate::service::Context;

#[derive(Clone)]
pub struct AppState {
    pub services: Context,
    pub cache: Cache,
    pub started_at: Instant,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("services", &self.services).finish_non_exhaustive()
    }
}

impl AppState {
    /// Wraps `services`, subscribing the response cache to their changes.
    pub fn new(mut services: Context, cache: Cache) -> AppState {
        services.subscribe(std::sync::Arc::new(cache.clone()));
        services.origin = crate::service::events::ORIGIN_API;
        AppState { services, cache, started_at: Instant::now() }
    }
}

impl FromRef<AppState> for Context {
    fn from_ref(state: &AppState) -> Context {
        state.services.clone()
    }
}
