//! The state HTTP handlers share: the service context, plus what only the
//! HTTP surface needs (the response cache, the start time for uptime).
//! Handlers that only call services extract `State<Context>` (`FromRef`).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;

use crate::cache::Cache;
use crate::service::Context;

/// One shared pointer, since axum clones the state for every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What an `AppState` holds.
pub struct Shared {
    pub services: Context,
    pub cache: Cache,
    pub started_at: Instant,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("services", &self.services).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("services", &self.services).finish_non_exhaustive()
    }
}

impl AppState {
    /// Wraps `services`, subscribing the response cache to their changes.
    pub fn new(mut services: Context, cache: Cache) -> AppState {
        services.subscribe(Arc::new(cache.clone()));
        services.origin = crate::service::events::ORIGIN_API;
        AppState(Arc::new(Shared { services, cache, started_at: Instant::now() }))
    }
}

impl FromRef<AppState> for Context {
    fn from_ref(state: &AppState) -> Context {
        state.services.clone()
    }
}
