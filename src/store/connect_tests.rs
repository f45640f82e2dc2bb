//! SQLite's write-ahead log does not keep the size of the largest write.

use std::time::Duration;

use super::connect::WAL_SIZE_LIMIT;
use super::{Db, StoreError, connect};
use crate::config::{DatabaseSettings, DbBackend};

async fn write(db: &Db, sql: &'static str) {
    let run = async {
        on_pool!(db, write, |pool| sqlx::raw_sql(sql).execute(pool).await.map(|_| ())?);
        Ok::<_, StoreError>(())
    };
    run.await.unwrap();
}

#[tokio::test]
async fn the_write_ahead_log_shrinks_back_to_its_limit_after_a_large_write() {
    let dir = tempfile::tempdir().unwrap();
    let settings = DatabaseSettings {
        backend: DbBackend::Sqlite { path: dir.path().join("wal.db") },
        max_connections: 2,
        timeout: Duration::from_secs(5),
    };
    let db = connect(&settings).await.unwrap();
    let wal_size = || std::fs::metadata(dir.path().join("wal.db-wal")).map_or(0, |m| m.len() as i64);

    // One transaction of 80 MiB, like a table rebuild or a bulk load.
    write(
        &db,
        "CREATE TABLE scratch (b BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80)
         INSERT INTO scratch SELECT zeroblob(1048576) FROM n;",
    )
    .await;
    assert!(wal_size() > WAL_SIZE_LIMIT, "the large write went through the log: {}", wal_size());

    // Once checkpointed, the next write starts the log over and cuts it back.
    write(&db, "PRAGMA wal_checkpoint(PASSIVE)").await;
    write(&db, "DELETE FROM scratch").await;
    assert!(wal_size() <= WAL_SIZE_LIMIT, "the log kept {} bytes", wal_size());
}
