//! Bulk loading for benchmark data (`herald seed`): many rows per statement,
//! many statements per transaction, with explicit ids so rows can refer to
//! each other without reading anything back.
//!
//! While loading, the count-keeping triggers are off (on SQLite they are
//! dropped and re-created from their own stored definition; on PostgreSQL
//! disabled), because a trigger per like would rewrite a post row five
//! million times. The loader supplies each post's like and comment counts
//! itself and `finish` rebuilds `post_count` in one pass, so the database
//! ends exactly as if every row had come through the API.

pub use super::query::Arg;
use super::query::{Sql, bind_args};
use super::{Db, StoreError};

/// The triggers that keep counts and the SQLite listing key (not the
/// full-text ones, which stay on); the loader supplies what they would compute.
const COUNT_TRIGGERS: [&str; 14] = [
    "post_count_insert",
    "post_count_delete",
    "post_count_update",
    "post_tag_follow",
    "post_tag_count_insert",
    "post_tag_count_delete",
    "post_tag_count_update",
    "post_like_count_insert",
    "post_like_count_delete",
    "comment_count_insert",
    "comment_count_delete",
    "comment_count_update",
    "post_sort_at_insert",
    "post_sort_at_update",
];
const TRIGGER_TABLES: [&str; 4] = ["post", "post_tag", "post_like", "comment"];

/// Bound values per statement: small enough that SQLite and PostgreSQL
/// parse it quickly and the prepared statement is reused for every full
/// chunk (larger ones measured several times slower).
const MAX_PARAMS: usize = 2_000;

/// A loading session: the database with its count triggers off.
#[derive(Debug)]
pub struct Loader {
    db: Db,
    /// SQLite: the dropped triggers' definitions, to re-create them.
    saved_triggers: Vec<String>,
}

/// One table's rows: column names and, per row, one value per column.
#[derive(Debug)]
pub struct Rows {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub values: Vec<Vec<Arg>>,
}

impl Loader {
    /// Starts loading into an empty database (refuses one that has posts:
    /// this is for benchmark databases, never for real ones).
    pub async fn start(db: &Db) -> Result<Loader, StoreError> {
        let posts: i64 = on_pool!(db, read, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM post LIMIT 1) p").fetch_one(pool).await?
        });
        if posts > 0 {
            return Err(StoreError::Conflict { what: "posts (seed only loads into an empty database)" });
        }
        let mut saved_triggers = Vec::new();
        match db {
            Db::Sqlite { write, .. } => {
                let mut write = write.get().await?;
                // A load writes every index of the post table at random
                // places; in the writer's 8 MiB page cache a million-post
                // load re-read pages from the OS 700,000 times a second and
                // slowed as the indexes grew (520,000 posts in 43 minutes).
                // This process only loads, so its one writer gets 1 GiB.
                sqlx::query("PRAGMA cache_size = -1048576").execute(&mut **write).await?;
                for name in COUNT_TRIGGERS {
                    let sql: Option<String> = sqlx::query_scalar(
                        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1",
                    )
                    .bind(name)
                    .fetch_optional(&mut **write)
                    .await?;
                    if let Some(sql) = sql {
                        saved_triggers.push(sql);
                        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {name}")))
                            .execute(&mut **write)
                            .await?;
                    }
                }
            }
            Db::Postgres(pool) => {
                let mut pool = pool.get().await?;
                for table in TRIGGER_TABLES {
                    sqlx::query(sqlx::AssertSqlSafe(format!("ALTER TABLE {table} DISABLE TRIGGER USER")))
                        .execute(&mut **pool)
                        .await?;
                }
            }
        }
        Ok(Loader { db: db.clone(), saved_triggers })
    }

    /// Whether loaded posts must carry `sort_at` themselves (on PostgreSQL
    /// it is a generated column and must not be given).
    pub fn posts_carry_sort_at(&self) -> bool {
        matches!(self.db, Db::Sqlite { .. })
    }

    /// Inserts `rows` in statements of as many rows as the parameter limit
    /// allows, all in one transaction.
    pub async fn insert(&self, rows: Rows) -> Result<(), StoreError> {
        let per_statement = (MAX_PARAMS / rows.columns.len().max(1)).max(1);
        let mut tx = self.db.begin().await?;
        for chunk in rows.values.chunks(per_statement) {
            let mut sql =
                Sql::new(&format!("INSERT INTO {} ({}) VALUES ", rows.table, rows.columns.join(", ")));
            for (i, row) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                for (j, value) in row.iter().enumerate() {
                    if j > 0 {
                        sql.push(", ");
                    }
                    sql.bind(value.clone());
                }
                sql.push(")");
            }
            let (text, args) = sql.into_parts();
            on_tx!(&mut tx, |conn| {
                bind_args!(sqlx::query(sqlx::AssertSqlSafe(text)), &args).execute(conn).await.map(|_| ())
            })?;
        }
        tx.commit().await
    }

    /// Rebuilds the maintained counts, turns the triggers back on and moves
    /// PostgreSQL's id sequences past the loaded ids.
    pub async fn finish(self) -> Result<(), StoreError> {
        let rebuild = [
            "DELETE FROM post_count",
            "INSERT INTO post_count (scope, key, published, total)
             SELECT 'all', '', COALESCE(SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END), 0), COUNT(*) FROM post",
            "INSERT INTO post_count (scope, key, published, total)
             SELECT 'author', CAST(author_id AS TEXT), SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END), COUNT(*)
             FROM post GROUP BY author_id",
            "INSERT INTO post_count (scope, key, published, total)
             SELECT 'category', CAST(category_id AS TEXT), SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END),
                    COUNT(*)
             FROM post WHERE category_id IS NOT NULL GROUP BY category_id",
            "INSERT INTO post_count (scope, key, published, total)
             SELECT 'tag', tag, SUM(CASE WHEN published THEN 1 ELSE 0 END), COUNT(*) FROM post_tag GROUP BY tag",
        ];
        let mut tx = self.db.begin().await?;
        for sql in rebuild {
            on_tx!(&mut tx, |conn| sqlx::query(sql).execute(conn).await.map(|_| ()))?;
        }
        tx.commit().await?;
        match &self.db {
            Db::Sqlite { write, .. } => {
                let mut write = write.get().await?;
                for sql in &self.saved_triggers {
                    sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(&mut **write).await?;
                }
                // Planner statistics for the new data.
                sqlx::query("ANALYZE").execute(&mut **write).await?;
            }
            Db::Postgres(pool) => {
                let mut pool = pool.get().await?;
                for table in TRIGGER_TABLES {
                    sqlx::query(sqlx::AssertSqlSafe(format!("ALTER TABLE {table} ENABLE TRIGGER USER")))
                        .execute(&mut **pool)
                        .await?;
                }
                for (table, id) in [
                    ("account", "account_id"),
                    ("post", "post_id"),
                    ("comment", "comment_id"),
                    ("category", "category_id"),
                ] {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{id}'), \
                         (SELECT COALESCE(MAX({id}), 0) + 1 FROM {table}), false)"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut **pool).await?;
                }
                sqlx::query("VACUUM ANALYZE").execute(&mut **pool).await?;
            }
        }
        Ok(())
    }
}
