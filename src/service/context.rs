//! What use cases run on: the database, the clock, the settings, the
//! credential keys, the text analyser and generator, and where committed
//! changes are reported. Built once at start (`Context::init`) and shared by
//! every surface — HTTP handlers, background jobs and the CLI — so a use
//! case never sees transport state such as the response cache.

use std::sync::Arc;

use anyhow::Context as _;

use crate::auth::Auth;
use crate::blocking::Bounded;
use crate::clock::Clock;
use crate::config::Settings;
use crate::content::analysis::Analyzer;
use crate::service::analytics::Analytics;
use crate::service::changes::{ChangeFeed, ChangeListener};
use crate::service::event_stream::Hub;
use crate::service::generation::Generator;
use crate::service::nats_fanout::NatsFanout;
use crate::service::webhooks::sender::Sender;
use crate::store::{self, Db};

/// Cheaply cloned: one shared pointer (a request clones it for every
/// handler; a copy of each field would be a score of atomic counters that
/// every core contends on). Fields read through `Deref`; wiring may change
/// them through `DerefMut` while the context is not yet shared.
#[derive(Clone, Debug)]
pub struct Context(Arc<Parts>);

/// What a `Context` holds.
#[derive(Clone)]
pub struct Parts {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub auth: Arc<Auth>,
    pub clock: Arc<dyn Clock>,
    /// Where services report committed changes (the response cache listens).
    pub changes: ChangeFeed,
    pub analyzer: Arc<Analyzer>,
    /// Where CPU-bound work (analysis) runs: four tasks per core at a time
    /// (one per core left the cores idle between a task and the next: half
    /// the throughput in the benchmark).
    pub cpu: Bounded,
    pub generator: Arc<Generator>,
    /// Newly dispatched events, for this instance's live streams.
    pub stream: Hub,
    /// The fan-out of events to NATS JetStream, when configured.
    pub nats: Option<Arc<NatsFanout>>,
    /// The HTTP client webhook deliveries go through.
    pub webhooks: Arc<Sender>,
    /// This instance's engagement counters, flushed in the background.
    pub analytics: Arc<Analytics>,
    /// What kind of process records events: `api` when a response cache
    /// hears of changes as they commit, else `cli` (or `worker`).
    pub origin: &'static str,
}

impl std::ops::Deref for Context {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl std::ops::DerefMut for Context {
    /// Copies the parts first if the context is already shared.
    fn deref_mut(&mut self) -> &mut Parts {
        Arc::make_mut(&mut self.0)
    }
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("db", &self.db.backend_name()).finish_non_exhaustive()
    }
}

impl Context {
    /// Connects to the database, applies pending migrations and loads the
    /// credential keys.
    pub async fn init(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Context> {
        let db = store::connect(&settings.database).await?;
        let applied = db.migrate().await.context("cannot apply database migrations")?;
        for migration in &applied {
            tracing::info!(version = migration.version, description = %migration.description, "applied migration");
        }
        let auth = Auth::init(&settings.auth, &db, &clock).await?;
        let analyzer = Arc::new(Analyzer::new(settings.content.mastodon_max_chars));
        let generator = Arc::new(Generator::new(&settings.content, Arc::clone(&analyzer))?);
        let webhooks = Arc::new(Sender::new(&settings.webhooks)?);
        let nats = match &settings.nats {
            Some(nats) => Some(Arc::new(NatsFanout::connect(&nats.url, &nats.stream).await?)),
            None => None,
        };
        let analytics = Arc::new(Analytics::new(&settings.analytics));
        Ok(Context(Arc::new(Parts {
            analytics,
            settings: Arc::new(settings),
            db,
            auth: Arc::new(auth),
            clock,
            changes: ChangeFeed::default(),
            analyzer,
            cpu: Bounded::per_core(4),
            generator,
            webhooks,
            stream: Hub::default(),
            nats,
            origin: "cli",
        })))
    }

    /// Adds a listener for committed changes (done while wiring, before
    /// the context is shared).
    pub fn subscribe(&mut self, listener: Arc<dyn ChangeListener>) {
        self.changes.subscribe(listener);
    }
}
