//! The listings' query plans on SQLite, as a database grown through the API
//! has them: without planner statistics (nothing has run `ANALYZE` yet).

use std::time::Duration;

use chrono::Utc;

use super::{Backend, PostQuery, Viewer, plan};
use crate::config::{DatabaseSettings, DbBackend};
use crate::domain::AccountId;
use crate::store::query::{Sql, bind_args};
use crate::store::{Db, connect};

async fn fresh_database(dir: &tempfile::TempDir) -> Db {
    let settings = DatabaseSettings {
        backend: DbBackend::Sqlite { path: dir.path().join("plans.db") },
        max_connections: 2,
        timeout: Duration::from_secs(5),
    };
    let db = connect(&settings).await.unwrap();
    db.migrate().await.unwrap();
    db
}

/// `EXPLAIN QUERY PLAN` of the page of `q`, one line per step.
async fn plan_of(db: &Db, q: &PostQuery) -> Vec<String> {
    let mut sql = Sql::default();
    plan::page_ids(&mut sql, Backend::Sqlite, q, true);
    let (text, args) = sql.into_parts();
    let explain = sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {text}"));
    let rows = async {
        let rows: Vec<(i64, i64, i64, String)> =
            on_pool!(db, read, |pool| bind_args!(sqlx::query_as(explain), &args).fetch_all(pool).await?);
        Ok::<_, crate::store::StoreError>(rows)
    };
    rows.await.unwrap().into_iter().map(|(.., detail)| detail).collect()
}

#[tokio::test]
async fn the_listing_walks_its_index_in_order_without_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    let anonymous = PostQuery::new(Viewer { account_id: None, sees_all: false }, Utc::now());
    let signed_in =
        PostQuery::new(Viewer { account_id: Some(AccountId::new(1)), sees_all: false }, Utc::now());
    let mut deep = anonymous.clone();
    deep.offset = Some(10_000);
    for q in [anonymous, signed_in, deep] {
        assert_read_in_order_along(&db, &q, "post_listing_idx").await;
    }
}

/// The page of `q` is read along `index` and nothing is sorted, so it stops
/// at its last row.
async fn assert_read_in_order_along(db: &Db, q: &PostQuery, index: &str) {
    let plan = plan_of(db, q).await;
    assert!(plan.iter().any(|step| step.contains(index)), "the page is read along {index}: {plan:?}");
    assert!(
        !plan.iter().any(|step| step.contains("TEMP B-TREE")),
        "nothing is sorted, so the page stops at its last row: {plan:?}"
    );
}

#[tokio::test]
async fn favourites_walk_the_likers_index_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    let mut q = PostQuery::new(Viewer { account_id: None, sees_all: false }, Utc::now());
    q.liked_by = Some("reader".to_owned());
    assert_read_in_order_along(&db, &q, "post_like_listing_idx").await;
}

/// Without the query planner stability guarantee SQLite re-plans a cached
/// statement whenever a value is bound to a `LIMIT ?` or to a column with
/// STAT4 samples, i.e. on every execution; and with memory statistics every
/// allocation takes one process-wide mutex. `.cargo/config.toml` builds the
/// bundled SQLite with the one and without the other.
#[tokio::test]
async fn sqlite_is_built_with_stable_plans_and_without_memory_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    let options = async {
        let rows: Vec<String> =
            on_pool!(&db, read, |pool| sqlx::query_scalar("PRAGMA compile_options").fetch_all(pool).await?);
        Ok::<_, crate::store::StoreError>(rows)
    };
    let options = options.await.unwrap();
    assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "compile options: {options:?}");
    assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "compile options: {options:?}");
}
