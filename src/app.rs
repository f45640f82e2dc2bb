//! Wiring: state, router and listener; start-up and graceful shutdown.
//!
//! `App::build` connects, migrates and binds (port 0 gives a free port, which
//! tests use); `run_until_stopped` serves until the cancellation token fires,
//! then stops accepting, lets in-flight requests finish within the grace
//! period and closes the pools.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::Auth;
use crate::cache::{Cache, RedisTier};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::content::analysis::Analyzer;
use crate::service::changes::ChangeFeed;
use crate::service::generation::Generator;
use crate::store::{self, Db};

/// Shared, cheaply cloned state given to every handler.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub auth: Arc<Auth>,
    pub clock: Arc<dyn Clock>,
    pub cache: Cache,
    /// Where services report committed changes (the cache listens).
    pub changes: ChangeFeed,
    pub analyzer: Arc<Analyzer>,
    pub generator: Arc<Generator>,
    pub started_at: Instant,
}

impl AppState {
    /// Connects to the database, applies pending migrations and loads the
    /// credential keys: everything but the HTTP listener (the CLI uses this).
    pub async fn init(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
        let db = store::connect(&settings.database).await?;
        let applied = db.migrate().await.context("cannot apply database migrations")?;
        for migration in &applied {
            tracing::info!(version = migration.version, description = %migration.description, "applied migration");
        }
        let auth = Auth::init(&settings.auth, &db, &clock).await?;
        let http = &settings.http;
        let redis = match &settings.redis_url {
            Some(url) => Some(RedisTier::new(url.expose(), &http.cache_namespace, http.cache_ttl)?),
            None => None,
        };
        let cache = Cache::new(http.cache_max_bytes, http.cache_ttl, redis);
        let mut changes = ChangeFeed::default();
        changes.subscribe(Arc::new(cache.clone()));
        let analyzer = Arc::new(Analyzer::new(settings.content.mastodon_max_chars));
        let generator = Arc::new(Generator::new(&settings.content, Arc::clone(&analyzer))?);
        Ok(AppState {
            settings: Arc::new(settings),
            db,
            auth: Arc::new(auth),
            clock,
            cache,
            changes,
            analyzer,
            generator,
            started_at: Instant::now(),
        })
    }
}

/// Optional parts a caller (mostly a test) may substitute.
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
        let state = AppState::init(settings, options.clock).await?;
        let listener =
            TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let metrics_listener = match state.settings.metrics_listen {
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
        tracing::info!(%addr, backend = state.db.backend_name(), "herald is serving");
        if let Some(metrics) = metrics_listener {
            let addr = metrics.local_addr()?;
            tracing::info!(%addr, "metrics are served on their own address");
            let router = crate::http::metrics_router(state.clone());
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let serving = axum::serve(metrics, router).with_graceful_shutdown(stop.cancelled_owned());
                if let Err(err) = serving.await {
                    tracing::error!(error = %err, "the metrics listener failed");
                }
            });
        }

        let publisher = tokio::spawn(publish_scheduled_posts(state.clone(), shutdown.clone()));
        let backfill = tokio::spawn(analyse_stored_posts(state.clone(), shutdown.clone()));
        let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown.clone().cancelled_owned())
            .into_future();
        tokio::pin!(server);

        let result = tokio::select! {
            result = &mut server => result.context("the HTTP server failed"),
            () = shutdown.cancelled() => {
                let grace = state.settings.http.shutdown_grace;
                tracing::info!(grace_secs = grace.as_secs(), "shutting down: draining in-flight requests");
                match tokio::time::timeout(grace, &mut server).await {
                    Ok(result) => result.context("the HTTP server failed while draining"),
                    Err(_) => {
                        tracing::warn!("grace period over: dropping requests still in flight");
                        Ok(())
                    }
                }
            }
        };
        shutdown.cancel();
        if let Err(err) = publisher.await {
            tracing::error!(error = %err, "the scheduled-post publisher panicked");
        }
        if let Err(err) = backfill.await {
            tracing::error!(error = %err, "the analysis backfill panicked");
        }
        state.db.close().await;
        tracing::info!("herald stopped");
        result
    }
}

/// How often due scheduled posts are marked published. Reads never wait for
/// it (a due post is shown as published anyway); it keeps the stored status
/// and `published_at` true for filters, counts and exports.
const PUBLISH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Posts analysed per round by the backfill of posts stored before analysis
/// existed, the pause between rounds while some are left, and how often to
/// look again once none are (posts saved since always carry their analysis).
const BACKFILL_BATCH: i64 = 100;
const BACKFILL_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);
const BACKFILL_RECHECK: std::time::Duration = std::time::Duration::from_secs(600);

/// Gives posts stored without an analysis their analysis, a batch at a time,
/// until shutdown. The analysis is derived data: the response cache is not
/// invalidated for it (cached reads catch up within `cache_ttl_secs`).
/// Several instances may overlap; `fill_analysis` keeps that harmless.
async fn analyse_stored_posts(state: AppState, shutdown: CancellationToken) {
    let mut after = 0;
    loop {
        let pause = match crate::service::posts::backfill_analysis(&state, after, BACKFILL_BATCH).await {
            Ok(round) => {
                if round.filled > 0 {
                    tracing::info!(count = round.filled, "analysed posts stored without an analysis");
                }
                match round.next_after {
                    Some(last) => {
                        after = last;
                        BACKFILL_PAUSE
                    }
                    None => {
                        after = 0;
                        BACKFILL_RECHECK
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not look for posts without an analysis");
                BACKFILL_RECHECK
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Publishes due scheduled posts until shutdown. Idempotent, so every
/// instance may run it; a failure is logged and retried next round.
async fn publish_scheduled_posts(state: AppState, shutdown: CancellationToken) {
    loop {
        match crate::service::posts::publish_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "published scheduled posts"),
            Err(err) => tracing::warn!(error = %err, "could not publish scheduled posts"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(PUBLISH_INTERVAL) => {}
        }
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
