//! SQLite connections handed out and taken back without round trips.
//!
//! sqlx runs every SQLite connection on a worker thread of its own and
//! sends it each command over a channel. Its pool adds two more commands
//! to every statement: a ping when a connection is taken (to find broken
//! network connections) and another, from a spawned task, when it is given
//! back (to flush what a cancelled statement left). Each is a hand-off to
//! the worker thread and back, so a one-statement read paid three. A SQLite
//! connection cannot break the way a socket does, and a cancelled statement
//! only leaves a command queued ahead of the next one, so neither check buys
//! anything here: this pool (deadpool) hands connections out and takes them
//! back as they are. The one state that must not outlive its user, an open
//! write transaction, is rolled back by `SqliteTx` when dropped and, as a
//! safety net, before the connection is handed out again.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, RecycleResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions as _, Connection as _};

use super::StoreError;

/// A pool of SQLite connections opened with the same options.
#[derive(Clone)]
pub struct SqliteConnections {
    pool: managed::Pool<Opener>,
}

impl std::fmt::Debug for SqliteConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("SqliteConnections")
            .field("size", &status.size)
            .field("max", &status.max_size)
            .finish()
    }
}

/// A connection checked out of the pool; back in it when dropped.
pub type Lease = Object<Opener>;

/// Opens connections for the pool.
#[derive(Debug)]
pub struct Opener {
    options: SqliteConnectOptions,
}

/// A pooled connection and whether a write transaction is open on it.
#[derive(Debug)]
pub struct Pooled {
    raw: SqliteConnection,
    open_tx: bool,
}

impl Deref for Pooled {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.raw
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.raw
    }
}

impl managed::Manager for Opener {
    type Type = Pooled;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Pooled, sqlx::Error> {
        Ok(Pooled { raw: self.options.connect().await?, open_tx: false })
    }

    async fn recycle(&self, conn: &mut Pooled, _: &Metrics) -> RecycleResult<sqlx::Error> {
        if conn.open_tx {
            sqlx::query("ROLLBACK").execute(&mut conn.raw).await?;
            conn.open_tx = false;
        }
        Ok(())
    }
}

impl SqliteConnections {
    /// A pool of at most `max` connections; `get` waits up to `timeout` for one.
    /// The first connection is opened now, so a file that cannot be opened
    /// fails at start, not at the first request.
    pub async fn open(
        options: SqliteConnectOptions,
        max: usize,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        let pool = managed::Pool::builder(Opener { options })
            .max_size(max.max(1))
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|err| StoreError::Other(sqlx::Error::Configuration(err.to_string().into())))?;
        let connections = SqliteConnections { pool };
        drop(connections.get().await?);
        Ok(connections)
    }

    /// A connection, waiting for one to come back when all are out.
    pub async fn get(&self) -> Result<Lease, StoreError> {
        self.pool.get().await.map_err(|err| match err {
            managed::PoolError::Timeout(_) => StoreError::Busy,
            managed::PoolError::Backend(err) => StoreError::Other(err),
            other => StoreError::Other(sqlx::Error::Io(std::io::Error::other(other.to_string()))),
        })
    }

    /// Connections open, and of those how many are idle (for metrics).
    pub fn sizes(&self) -> (usize, usize) {
        let status = self.pool.status();
        (status.size, status.available)
    }

    /// Closes the idle connections (each checkpoints as SQLite closes it)
    /// and lets no more out; connections in use close when they come back.
    pub async fn close(&self) {
        self.pool.close();
        let idle = self.pool.retain(|_, _| false);
        for conn in idle.removed {
            let _ = conn.raw.close().await;
        }
    }
}

/// A write transaction on the single writer connection (`BEGIN IMMEDIATE`
/// takes the write lock at once). Dropped without `commit`, it rolls back.
#[derive(Debug)]
pub struct SqliteTx {
    conn: Option<Lease>,
}

impl SqliteTx {
    pub(super) async fn begin(writer: &SqliteConnections) -> Result<SqliteTx, StoreError> {
        let mut conn = writer.get().await?;
        // Marked open first: if this future is dropped mid-BEGIN the
        // rollback still runs (a ROLLBACK without a transaction is harmless).
        conn.open_tx = true;
        let mut tx = SqliteTx { conn: Some(conn) };
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *tx).await?;
        Ok(tx)
    }

    pub(super) async fn commit(mut self) -> Result<(), StoreError> {
        sqlx::query("COMMIT").execute(&mut *self).await?;
        if let Some(conn) = self.conn.as_mut() {
            conn.open_tx = false;
        }
        Ok(())
    }
}

impl Deref for SqliteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match &self.conn {
            Some(conn) => &conn.raw,
            None => unreachable!("the connection is taken only in drop"),
        }
    }
}

impl DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.conn {
            Some(conn) => &mut conn.raw,
            None => unreachable!("the connection is taken only in drop"),
        }
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take().filter(|c| c.open_tx) else { return };
        // The write lock is held until the rollback, so it runs now rather
        // than when the next writer recycles the connection; without a
        // runtime (shutdown) the recycle does it.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if sqlx::query("ROLLBACK").execute(&mut conn.raw).await.is_ok() {
                    conn.open_tx = false;
                }
            });
        }
    }
}
