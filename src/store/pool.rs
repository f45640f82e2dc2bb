//! Database connections handed out and taken back without round trips.
//!
//! sqlx's pool adds two commands to every statement: a ping when a
//! connection is taken and another, from a spawned task, when it is given
//! back. On SQLite each is a hand-off to the connection's worker thread and
//! back, on PostgreSQL a network round trip, so a one-statement read paid
//! three. This pool (deadpool) hands connections out and takes them back as
//! they are, and checks only what can actually go wrong:
//! - a write transaction left open (its `PoolTx` dropped without commit) is
//!   rolled back at once, and again before the connection is reused;
//! - a connection whose statement failed for a reason other than the
//!   statement itself (`StoreError::Unreachable`: I/O, protocol) is
//!   discarded, not reused (`Connections::settle`), and the request answers
//!   503, so a database restart costs each pooled connection one failed
//!   statement instead of a ping on every statement;
//! - a PostgreSQL connection idle for a while is pinged before reuse, since
//!   the server may have closed it meanwhile.
//!
//! A cancelled statement needs no check: sqlx finishes reading its results
//! before the connection's next command.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, RecycleResult};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{ConnectOptions as _, Connection};

use super::StoreError;
use super::deferred::Deferred;

/// The statements this pool runs itself, per backend.
pub trait Raw: Connection + std::fmt::Debug + 'static {
    /// Idle longer than this, a connection is pinged before reuse.
    const CHECK_AFTER_IDLE: Option<Duration>;
    fn run(&mut self, sql: &'static str) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

impl Raw for SqliteConnection {
    // A local file does not hang up.
    const CHECK_AFTER_IDLE: Option<Duration> = None;
    async fn run(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        sqlx::query(sql).execute(self).await.map(|_| ())
    }
}

impl Raw for PgConnection {
    const CHECK_AFTER_IDLE: Option<Duration> = Some(Duration::from_secs(30));
    async fn run(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        sqlx::query(sql).execute(self).await.map(|_| ())
    }
}

/// A pool of connections opened with the same options.
pub struct Connections<C: Raw> {
    pool: managed::Pool<Opener<C>>,
}

impl<C: Raw> Clone for Connections<C> {
    fn clone(&self) -> Self {
        Connections { pool: self.pool.clone() }
    }
}

impl<C: Raw> std::fmt::Debug for Connections<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("Connections").field("size", &status.size).field("max", &status.max_size).finish()
    }
}

/// A connection checked out of the pool; back in it when dropped.
pub type Lease<C> = Object<Opener<C>>;

/// Opens connections for the pool.
pub struct Opener<C: Raw> {
    options: C::Options,
}

impl<C: Raw> std::fmt::Debug for Opener<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opener")
    }
}

/// A pooled connection and whether a transaction is open on it.
#[derive(Debug)]
pub struct Pooled<C> {
    raw: C,
    open_tx: bool,
}

impl<C> Deref for Pooled<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.raw
    }
}

impl<C> DerefMut for Pooled<C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.raw
    }
}

impl<C: Raw> managed::Manager for Opener<C> {
    type Type = Pooled<C>;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Pooled<C>, sqlx::Error> {
        Ok(Pooled { raw: self.options.connect().await?, open_tx: false })
    }

    async fn recycle(&self, conn: &mut Pooled<C>, metrics: &Metrics) -> RecycleResult<sqlx::Error> {
        if conn.open_tx {
            conn.raw.run("ROLLBACK").await?;
            conn.open_tx = false;
        } else if C::CHECK_AFTER_IDLE.is_some_and(|after| metrics.last_used() > after) {
            conn.raw.ping().await?;
        }
        Ok(())
    }
}

impl<C: Raw> Connections<C> {
    /// A pool of at most `max` connections; `get` waits up to `timeout` for one.
    /// The first connection is opened now, so a database that cannot be
    /// reached fails at start, not at the first request.
    pub async fn open(options: C::Options, max: usize, timeout: Duration) -> Result<Self, StoreError> {
        let pool = managed::Pool::builder(Opener { options })
            .max_size(max.max(1))
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|err| StoreError::Other(sqlx::Error::Configuration(err.to_string().into())))?;
        let connections = Connections { pool };
        drop(connections.get().await?);
        Ok(connections)
    }

    /// A connection, waiting for one to come back when all are out.
    pub async fn get(&self) -> Result<Lease<C>, StoreError> {
        self.pool.get().await.map_err(|err| match err {
            managed::PoolError::Timeout(_) => StoreError::Busy,
            managed::PoolError::Backend(err) => StoreError::from(err),
            other => StoreError::Unreachable(sqlx::Error::Io(std::io::Error::other(other.to_string()))),
        })
    }

    /// Gives `lease` back after a statement that ended in `outcome`: a
    /// connection that failed (rather than its statement) is closed instead.
    pub fn settle<T>(lease: Lease<C>, outcome: &Result<T, StoreError>) {
        if let Err(StoreError::Unreachable(_)) = outcome {
            drop(Object::take(lease));
        }
    }

    /// Connections open, and of those how many are idle (for metrics).
    pub fn sizes(&self) -> (usize, usize) {
        let status = self.pool.status();
        (status.size, status.available)
    }

    /// Closes the idle connections (SQLite checkpoints as each closes) and
    /// lets no more out; connections in use close when they come back.
    pub async fn close(&self) {
        self.pool.close();
        let idle = self.pool.retain(|_, _| false);
        for conn in idle.removed {
            let _ = conn.raw.close().await;
        }
    }
}

/// A transaction on a pooled connection. Dropped without `commit`, it rolls
/// back (with the statements still waiting in it, see `deferred`).
#[derive(Debug)]
pub struct PoolTx<C: Raw> {
    conn: Option<Lease<C>>,
    pending: Vec<Deferred>,
}

impl<C: Raw> PoolTx<C> {
    /// Takes a connection and runs `begin` (`BEGIN`, or SQLite's
    /// `BEGIN IMMEDIATE`) on it.
    pub(super) async fn begin(pool: &Connections<C>, begin: &'static str) -> Result<PoolTx<C>, StoreError> {
        let mut conn = pool.get().await?;
        // Marked open first: if this future is dropped mid-BEGIN the
        // rollback still runs (a ROLLBACK outside a transaction is harmless).
        conn.open_tx = true;
        let mut tx = PoolTx { conn: Some(conn), pending: Vec::new() };
        tx.run(begin).await?;
        Ok(tx)
    }

    pub(super) async fn commit(mut self) -> Result<(), StoreError> {
        self.run("COMMIT").await?;
        self.committed();
        Ok(())
    }

    /// Records that the transaction was committed (by a batch ending in
    /// COMMIT); the connection goes back to the pool as it is.
    pub(super) fn committed(mut self) {
        if let Some(conn) = self.conn.as_mut() {
            conn.open_tx = false;
        }
    }

    /// The statements waiting to be sent with the next one.
    pub(super) fn pending_mut(&mut self) -> &mut Vec<Deferred> {
        &mut self.pending
    }
}

impl<C: Raw> Deref for PoolTx<C> {
    type Target = C;
    fn deref(&self) -> &C {
        match &self.conn {
            Some(conn) => &conn.raw,
            None => unreachable!("the connection is taken only in drop"),
        }
    }
}

impl<C: Raw> DerefMut for PoolTx<C> {
    fn deref_mut(&mut self) -> &mut C {
        match &mut self.conn {
            Some(conn) => &mut conn.raw,
            None => unreachable!("the connection is taken only in drop"),
        }
    }
}

impl<C: Raw> Drop for PoolTx<C> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take().filter(|c| c.open_tx) else { return };
        // Locks are held until the rollback, so it runs now rather than when
        // the connection is next handed out (which still does it if there
        // is no runtime to run it now, at shutdown).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if conn.raw.run("ROLLBACK").await.is_ok() {
                    conn.open_tx = false;
                } else {
                    drop(Object::take(conn));
                }
            });
        }
    }
}
