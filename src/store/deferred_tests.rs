//! Deferred writes on both backends: seen by the transaction's later
//! statements, committed with it, and gone with it when it fails or is dropped.

use std::time::Duration;

use chrono::Utc;
use sqlx::Connection as _;

use super::{Db, Tx, args, connect, defer};
use crate::config::{DatabaseSettings, DbBackend};

const INSERT: &str = "INSERT INTO category (slug, name, created_at, updated_at) VALUES ($1, $1, $2, $2)";

fn insert_later(tx: &mut Tx, slug: &str) {
    defer(tx, INSERT, args![*slug, Utc::now()]);
}

async fn open(backend: DbBackend) -> Db {
    let settings = DatabaseSettings { backend, max_connections: 2, timeout: Duration::from_secs(5) };
    let db = connect(&settings).await.unwrap();
    db.migrate().await.unwrap();
    db
}

/// The slugs of the categories another connection sees.
async fn committed(db: &Db) -> Vec<String> {
    let slugs = async {
        Ok::<_, super::StoreError>(on_pool!(db, read, |pool| sqlx::query_scalar(
            "SELECT slug FROM category ORDER BY slug"
        )
        .fetch_all(pool)
        .await?))
    };
    slugs.await.unwrap()
}

async fn deferred_writes_run_before_later_statements_and_commit_with_the_transaction(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    insert_later(&mut tx, "first");
    insert_later(&mut tx, "second");
    let count = async {
        Ok::<i64, super::StoreError>(on_tx!(&mut tx, |conn| sqlx::query_scalar(
            "SELECT COUNT(*) FROM category"
        )
        .fetch_one(conn)
        .await?))
    };
    assert_eq!(count.await.unwrap(), 2, "the transaction sees its deferred writes");
    assert!(committed(db).await.is_empty(), "nothing is visible before the commit");
    insert_later(&mut tx, "third");
    tx.commit().await.unwrap();
    assert_eq!(committed(db).await, ["first", "second", "third"]);
}

async fn a_failing_deferred_write_fails_the_commit_and_keeps_nothing(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    insert_later(&mut tx, "fourth");
    insert_later(&mut tx, "first"); // taken: the unique slug fails
    assert!(tx.commit().await.is_err());
    assert_eq!(committed(db).await, ["first", "second", "third"]);
    // The writer is usable afterwards (the failed transaction was rolled back).
    let mut tx = db.begin().await.unwrap();
    insert_later(&mut tx, "fifth");
    tx.commit().await.unwrap();
    assert_eq!(committed(db).await, ["fifth", "first", "second", "third"]);
}

async fn a_dropped_transaction_sends_nothing(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    insert_later(&mut tx, "sixth");
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    insert_later(&mut tx, "seventh");
    tx.commit().await.unwrap();
    assert_eq!(committed(db).await, ["fifth", "first", "second", "seventh", "third"]);
}

async fn a_long_run_is_sent_in_parts_and_all_of_it_commits(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    for n in 0..200 {
        insert_later(&mut tx, &format!("bulk-{n:03}"));
    }
    tx.commit().await.unwrap();
    let slugs = committed(db).await;
    assert_eq!(slugs.iter().filter(|s| s.starts_with("bulk-")).count(), 200);
}

async fn all_behaviours(db: &Db) {
    deferred_writes_run_before_later_statements_and_commit_with_the_transaction(db).await;
    a_failing_deferred_write_fails_the_commit_and_keeps_nothing(db).await;
    a_dropped_transaction_sends_nothing(db).await;
    a_long_run_is_sent_in_parts_and_all_of_it_commits(db).await;
}

#[tokio::test]
async fn deferred_writes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(DbBackend::Sqlite { path: dir.path().join("deferred.db") }).await;
    all_behaviours(&db).await;
}

#[tokio::test]
#[cfg_attr(not(herald_test_postgres), ignore = "skipped: set HERALD_TEST_POSTGRES_URL")]
async fn deferred_writes_on_postgres() {
    let admin_url = std::env::var("HERALD_TEST_POSTGRES_URL").expect("HERALD_TEST_POSTGRES_URL");
    let name = format!("herald_unit_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
    let (base, query) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    let url = if query.is_empty() { format!("{server}/{name}") } else { format!("{server}/{name}?{query}") };
    let db = open(DbBackend::Postgres { url: url.into() }).await;
    all_behaviours(&db).await;
    db.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .unwrap();
}
