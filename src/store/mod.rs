//! Database access for SQLite and PostgreSQL through one code path.
//!
//! `Db` is an enum over the two pool kinds; store functions write each query
//! once (portable SQL with `$1` placeholders, which sqlx-sqlite accepts) and
//! run it on whichever pool is active through the `on_pool!`/`on_tx!` macros.
//! The few fragments that differ live in `dialect`. Stores hold no HTTP types.

// Defined before the submodules so their textual scope includes them.
/// Runs `$body` with `$conn` bound to a connection leased from
/// `$connections`, then hands the lease back through `Connections::settle`
/// (which drops a connection that failed instead of reusing it). `?` inside
/// the body converts errors to `StoreError`.
macro_rules! with_lease {
    ($connections:expr, |$conn:ident| $body:expr) => {{
        let mut lease = $connections.get().await?;
        let outcome = async {
            let $conn = &mut **lease;
            Ok::<_, $crate::store::StoreError>($body)
        }
        .await;
        $crate::store::Connections::settle(lease, &outcome);
        outcome?
    }};
}

/// Runs `$body` with `$pool` bound to a connection of the pool for `$role`
/// (`read` or `write`; PostgreSQL has one pool for both).
/// The body is compiled once per backend, so one query text serves both.
/// Each run is a `db.query` span (for traces) and is timed into
/// `herald_db_query_duration_seconds{pool}` (which includes waiting for a
/// connection). The body runs in an async block so the span covers its
/// awaits; `?` inside it converts errors to `StoreError` as before.
macro_rules! on_pool {
    ($db:expr, $role:ident, |$pool:ident| $body:expr) => {{
        let timer = $crate::store::QueryTimer::start(stringify!($role));
        let span = timer.span();
        tracing::Instrument::instrument(
            async {
                Ok::<_, $crate::store::StoreError>(match $db {
                    $crate::store::Db::Sqlite { $role: connections, .. } => {
                        with_lease!(connections, |$pool| $body)
                    }
                    $crate::store::Db::Postgres(connections) => with_lease!(connections, |$pool| $body),
                })
            },
            span,
        )
        .await?
    }};
}

/// Runs `$body` with `$conn` bound to the transaction's connection, like `on_pool!`.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {{
        let timer = $crate::store::QueryTimer::start("tx");
        let span = timer.span();
        tracing::Instrument::instrument(
            async {
                Ok::<_, $crate::store::StoreError>(match $tx {
                    $crate::store::Tx::Sqlite(tx) => {
                        $crate::store::deferred::flush_sqlite(tx, None).await?;
                        let $conn = &mut **tx;
                        $body
                    }
                    $crate::store::Tx::Postgres(tx) => {
                        $crate::store::deferred::flush_postgres(tx).await?;
                        let $conn = &mut **tx;
                        $body
                    }
                })
            },
            span,
        )
        .await?
    }};
}

pub mod accounts;
pub mod analytics;
pub mod api_keys;
pub mod bulk;
pub mod categories;
pub mod comments;
mod connect;
#[cfg(test)]
mod connect_tests;
mod deferred;
#[cfg(test)]
mod deferred_tests;
mod dialect;
pub mod events;
pub mod generation_briefs;
pub mod instance_settings;
pub mod jobs;
pub mod login_failures;
pub mod migrate;
#[cfg(test)]
mod migrate_tests;
mod pool;
pub mod post_views;
pub mod posts;
pub mod profiles;
mod query;
pub mod sessions;
pub mod webhooks;

use std::time::Duration;

use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;

pub use connect::connect;
pub(crate) use deferred::defer;
pub use pool::{Connections, Lease, PoolTx};
pub(crate) use query::{args, exec, exec_on};

/// The database, chosen at start from the configured URL.
///
/// SQLite gets two pools: many read-only connections and exactly one writer.
/// With one writer, WAL readers never block it and writers queue in the pool
/// instead of failing with "database is locked" on a lock upgrade, which a
/// busy timeout alone cannot prevent for deferred transactions.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite { read: Connections<SqliteConnection>, write: Connections<SqliteConnection> },
    Postgres(Connections<PgConnection>),
}

/// An open write transaction on either backend; dropped without `commit` it
/// rolls back, so a failed service call leaves nothing half-written.
#[derive(Debug)]
pub enum Tx {
    Sqlite(PoolTx<SqliteConnection>),
    Postgres(PoolTx<PgConnection>),
}

/// Times one statement (or statement group) for metrics; records on drop,
/// so early returns and errors are measured too.
#[derive(Debug)]
pub struct QueryTimer {
    pool: &'static str,
    started: std::time::Instant,
}

impl QueryTimer {
    pub fn start(pool: &'static str) -> QueryTimer {
        QueryTimer { pool, started: std::time::Instant::now() }
    }

    /// The span of the statement, named for traces (`db.query`), with its pool.
    pub fn span(&self) -> tracing::Span {
        tracing::debug_span!("db.query", pool = self.pool, otel.kind = "client")
    }
}

impl Drop for QueryTimer {
    fn drop(&mut self) {
        metrics::histogram!("herald_db_query_duration_seconds", "pool" => self.pool)
            .record(self.started.elapsed().as_secs_f64());
    }
}

/// Storage failures, mapped to service errors by the caller.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict on {what}")]
    Conflict { what: &'static str },
    #[error("database busy: no connection within the timeout")]
    Busy,
    /// The connection failed rather than the statement (I/O, TLS, protocol):
    /// the database is down or restarting, or dropped the connection.
    #[error("database connection failed")]
    Unreachable(#[source] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error")]
    Other(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut => StoreError::Busy,
            err @ (sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed) => StoreError::Unreachable(err),
            // PostgreSQL says why it is closing a connection (shutdown,
            // crash, terminated: SQLSTATE 57P0x) before it does.
            sqlx::Error::Database(ref db) if db.code().is_some_and(|code| code.starts_with("57P")) => {
                StoreError::Unreachable(err)
            }
            other => StoreError::Other(other),
        }
    }
}

impl StoreError {
    /// Maps a unique violation to `Conflict { what }` (by error kind, since
    /// SQLite does not report constraint names); other errors as usual.
    pub fn unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict { what },
            _ => StoreError::from(err),
        }
    }
}

impl StoreError {
    /// Like `unique`, for an error already converted (by `exec`).
    pub fn conflict_on(what: &'static str) -> impl FnOnce(StoreError) -> StoreError {
        move |err| match err {
            StoreError::Other(sqlx::Error::Database(ref db)) if db.is_unique_violation() => {
                StoreError::Conflict { what }
            }
            other => other,
        }
    }
}

impl Db {
    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Starts a write transaction. On SQLite this waits for the single writer
    /// connection, which serialises writers without lock errors.
    /// The wait is recorded as `herald_db_pool_wait_seconds{pool="write"}`.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let started = std::time::Instant::now();
        let tx = match self {
            // IMMEDIATE takes the write lock at BEGIN (waiting up to the busy
            // timeout), so a transaction that reads before it writes cannot
            // fail with SQLITE_BUSY when another process (the CLI, a
            // worker) wrote in between.
            Db::Sqlite { write, .. } => Tx::Sqlite(PoolTx::begin(write, "BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(PoolTx::begin(pool, "BEGIN").await?),
        };
        metrics::histogram!("herald_db_pool_wait_seconds", "pool" => "write")
            .record(started.elapsed().as_secs_f64());
        Ok(tx)
    }

    /// Round-trips a trivial query and reports how long it took.
    pub async fn ping(&self) -> Result<Duration, StoreError> {
        let started = std::time::Instant::now();
        on_pool!(self, read, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(started.elapsed())
    }

    /// Refreshes the query planner's statistics where they have drifted.
    /// SQLite keeps none until asked (`PRAGMA optimize` analyses only the
    /// tables whose size changed a lot since, each within a bounded number of
    /// rows); PostgreSQL's autovacuum already does this.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if let Db::Sqlite { write, .. } = self {
            sqlx::query("PRAGMA optimize").execute(&mut **write.get().await?).await?;
        }
        Ok(())
    }

    /// Closes every pool: idle connections now, connections still in use
    /// when they come back.
    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                // Closing the writer last lets SQLite checkpoint the WAL.
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// Sends the statements still waiting (`deferred`) and commits: on
    /// SQLite in one batch with the COMMIT.
    pub async fn commit(self) -> Result<(), StoreError> {
        let timer = QueryTimer::start("tx");
        let span = timer.span();
        let commit = async {
            match self {
                Tx::Sqlite(mut tx) => {
                    deferred::flush_sqlite(&mut tx, Some("COMMIT")).await?;
                    tx.committed();
                }
                Tx::Postgres(mut tx) => {
                    deferred::flush_postgres(&mut tx).await?;
                    tx.commit().await?;
                }
            }
            Ok(())
        };
        tracing::Instrument::instrument(commit, span).await
    }
}
