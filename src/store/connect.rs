//! Opening the configured database with the connection settings each backend
//! needs to be safe and fast under concurrency.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

use super::{Connections, Db};
use crate::config::{DatabaseSettings, DbBackend};

/// Connects to the configured database. For SQLite the file and its folder
/// are created on first use.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Db> {
    match &settings.backend {
        DbBackend::Sqlite { path } => connect_sqlite(path, settings).await,
        DbBackend::Postgres { url } => {
            let options: PgConnectOptions =
                url.expose_secret().parse().context("database_url is not a valid PostgreSQL URL")?;
            let pool = Connections::open(options, settings.max_connections as usize, settings.timeout)
                .await
                .context("cannot connect to PostgreSQL")?;
            Ok(Db::Postgres(pool))
        }
    }
}

/// The size, in bytes, the writer truncates SQLite's write-ahead log to when
/// a checkpoint resets it: ample for ordinary writes between checkpoints.
pub(super) const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

async fn connect_sqlite(path: &Path, settings: &DatabaseSettings) -> anyhow::Result<Db> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir)
            .await
            .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
    }
    // Applied on every connection: WAL lets readers run beside the writer;
    // NORMAL sync is durable in WAL mode except on power loss of the last
    // commits; the busy timeout covers checkpoints and other processes.
    //
    // Memory: each connection has its own page cache, so its size is paid
    // once per connection (two readers per core and the writer by
    // default). Reads touch a few index pages and the page's rows, and the
    // kernel's page cache already holds the file, so readers keep 2 MiB and
    // the writer, which rewrites index pages, 8 MiB: 16 MiB on two cores,
    // whatever the table size.
    // mmap stays off (mapped pages would count as the process's memory).
    let base = SqliteConnectOptions::new()
        .filename(path)
        .foreign_keys(true)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(settings.timeout)
        .pragma("temp_store", "memory")
        .pragma("mmap_size", "0");
    let reader = base.clone().pragma("cache_size", "-2048");
    let base = base.pragma("cache_size", "-8192");

    // The writer is opened first: it creates the file and switches it to WAL,
    // which is persistent, so the read-only connections inherit it.
    // `optimize=0x10002` when the writer opens: planner statistics for the
    // tables that have none or outgrew theirs (bounded work; hourly after).
    // The write-ahead log keeps the largest size it ever reached (781 MB
    // after migration 14 at a million posts, more after a bulk load); with a
    // limit, each checkpoint that resets it truncates it back to that.
    let write = Connections::open(
        base.clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("journal_size_limit", WAL_SIZE_LIMIT.to_string())
            .pragma("optimize", "0x10002"),
        1,
        settings.timeout.max(Duration::from_secs(1)),
    )
    .await
    .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
    let read = Connections::open(reader.read_only(true), settings.max_connections as usize, settings.timeout)
        .await
        .with_context(|| format!("cannot open SQLite database {} for reading", path.display()))?;
    Ok(Db::Sqlite { read, write })
}
