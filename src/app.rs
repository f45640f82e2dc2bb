//! Wiring: state, router and listener; start-up and graceful shutdown.
//!
//! `App::build` connects, migrates and binds (port 0 gives a free port, which
//! tests use); `run_until_stopped` serves until the cancellation token fires,
//! then stops accepting, lets in-flight requests finish within the grace
//! period and closes the pools.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cache::{Cache, RedisTier};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::http::server::{self, Listener};
use crate::jobs::Jobs;
use crate::service::Context;

pub use crate::http::AppState;

/// The response cache the settings ask for (in-process, plus Redis when
/// `redis_url` is set).
fn build_cache(settings: &Settings) -> anyhow::Result<Cache> {
    let http = &settings.http;
    let redis = match &settings.redis_url {
        Some(url) => Some(RedisTier::new(url.expose(), &http.cache_namespace, http.cache_ttl)?),
        None => None,
    };
    Ok(Cache::new(http.cache_max_bytes, http.cache_ttl, redis))
}

/// Optional parts a caller (mostly a test) may substitute.
#[derive(Debug)]
pub struct AppOptions {
    /// Extra routes mounted behind the same middleware stack.
    pub routes: Option<Router<AppState>>,
    pub clock: Arc<dyn Clock>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions { routes: None, clock: Arc::new(SystemClock) }
    }
}

#[derive(Debug)]
pub struct App {
    listener: TcpListener,
    /// The separate `/metrics` listener, when `metrics_listen` is set.
    metrics_listener: Option<TcpListener>,
    router: Router,
    state: AppState,
}

impl App {
    /// Connects to the database, applies pending migrations and binds the
    /// listen address.
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        App::build_with(settings, AppOptions::default()).await
    }

    /// Like `build`, with substituted parts (extra routes, a manual clock).
    pub async fn build_with(settings: Settings, options: AppOptions) -> anyhow::Result<App> {
        let listen = settings.listen;
        crate::telemetry::metrics::handle();
        let cache = build_cache(&settings)?;
        let state = AppState::new(Context::init(settings, options.clock).await?, cache);
        let listener =
            TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let metrics_listener = match state.services.settings.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for metrics on {addr}"))?,
            ),
            None => None,
        };
        let router = crate::http::router(state.clone(), options.routes);
        Ok(App { listener, metrics_listener, router, state })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves HTTP/1.1 and h2c until `shutdown` is cancelled, then drains.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let App { listener, metrics_listener, router, state } = self;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, backend = state.services.db.backend_name(), "herald is serving");
        let http = &state.services.settings.http;
        let grace = http.shutdown_grace;
        if let Some(metrics) = metrics_listener {
            let addr = metrics.local_addr()?;
            tracing::info!(%addr, "metrics are served on their own address");
            let router = crate::http::metrics_router(state.clone());
            let config = Listener {
                name: "metrics",
                limits: http.connections.metrics.clone(),
                exempt: Vec::new(),
                grace,
            };
            let stop = shutdown.clone();
            tokio::spawn(async move {
                if let Err(err) = server::serve(metrics, router, config, stop).await {
                    tracing::error!(error = %err, "the metrics listener failed");
                }
            });
        }

        let jobs = Jobs::start(&state.services, &shutdown);
        let config = Listener {
            name: "api",
            limits: http.connections.api.clone(),
            exempt: http.trusted_proxies.clone(),
            grace,
        };
        let result =
            server::serve(listener, router, config, shutdown.clone()).await.context("the HTTP server failed");
        shutdown.cancel();
        jobs.stopped().await;
        Jobs::final_flush(&state.services).await;
        state.services.db.close().await;
        tracing::info!("herald stopped");
        result
    }
}

/// Cancels `token` on SIGINT or SIGTERM.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut stream) => {
                    stream.recv().await;
                }
                Err(err) => {
                    tracing::error!(error = %err, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => tracing::info!("received SIGINT"),
            () = terminate => tracing::info!("received SIGTERM"),
        }
        token.cancel();
    });
}
