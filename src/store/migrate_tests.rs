//! SQLite's post table rebuild (migration 13, large columns last): a
//! database with posts upgrades without losing a row, a child row or a
//! trigger, and its foreign keys and full-text index keep working.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection as _, Row as _};

use super::migrate::SQLITE;

const BEFORE_REBUILD: i64 = 20261207000012;
const REBUILD: i64 = 20261207000013;

/// The post table's indexes and triggers, as SQLite keeps their text.
async fn post_schema(conn: &mut SqliteConnection) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = 'post' AND type != 'table' ORDER BY name",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

async fn count(conn: &mut SqliteConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(conn).await.unwrap()
}

/// Two posts with everything that hangs off a post: tags, a like, a
/// comment with a reply, a revision, an old slug.
const SEED: &str = "
INSERT INTO account (account_id, email, username, password_hash, role, created_at, updated_at)
VALUES (1, 'a@example.com', 'ann', 'x', 'author', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
       (2, 'b@example.com', 'bob', 'x', 'author', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO category (category_id, slug, name, created_at, updated_at)
VALUES (1, 'news', 'News', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO post (post_id, author_id, slug, title, body, body_html, excerpt, excerpt_given, status,
                  publish_at, published_at, category_id, tags, platforms, content_type, version,
                  created_at, updated_at, analysis)
VALUES (7, 1, 'first', 'First post', 'Otters hold hands while sleeping.', '<p>Otters</p>', 'Otters',
        0, 'published', NULL, '2026-01-02T00:00:00Z', 1, 'animals,sleep', 'blog', 'article', 3,
        '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '{\"language\":\"en\"}'),
       (9, 2, 'second', 'Second post', 'A draft about nothing.', '<p>A draft</p>', 'A draft',
        1, 'draft', NULL, NULL, NULL, '', 'blog', 'article', 1,
        '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z', NULL);
INSERT INTO post_tag (post_id, tag) VALUES (7, 'animals'), (7, 'sleep');
INSERT INTO post_like (post_id, account_id, created_at) VALUES (7, 2, '2026-01-04T00:00:00Z');
INSERT INTO comment (comment_id, post_id, author_id, body, created_at, updated_at)
VALUES (1, 7, 2, 'Cute', '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z');
INSERT INTO comment (comment_id, post_id, author_id, parent_id, body, created_at, updated_at)
VALUES (2, 7, 1, 1, 'Yes', '2026-01-06T00:00:00Z', '2026-01-06T00:00:00Z');
INSERT INTO post_revision (post_id, revision_no, title, body, excerpt, editor_id, created_at)
VALUES (7, 1, 'First', 'Otters.', 'Otters', 1, '2026-01-01T00:00:00Z');
INSERT INTO post_slug_history (slug, post_id) VALUES ('first-draft', 7);
";

const POST_COLUMNS: &str = "SELECT post_id, author_id, slug, title, body, body_html, excerpt, excerpt_given, \
     status, publish_at, published_at, category_id, tags, platforms, content_type, version, created_at, \
     updated_at, analysis, brief_id, sort_at, like_count, comment_count FROM post ORDER BY post_id";

/// Every column of every post, as text, in one fixed order.
async fn posts(conn: &mut SqliteConnection) -> Vec<Vec<Option<String>>> {
    let rows = sqlx::query(POST_COLUMNS).fetch_all(conn).await.unwrap();
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    row.try_get::<Option<String>, _>(i)
                        .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| v.map(|v| v.to_string())))
                        .unwrap()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn rebuilding_the_post_table_keeps_rows_children_triggers_and_constraints() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new().filename(dir.path().join("herald.db")).create_if_missing(true);
    let mut conn = SqliteConnection::connect_with(&options.foreign_keys(true)).await.unwrap();
    SQLITE.run_to(BEFORE_REBUILD, &mut conn).await.unwrap();
    sqlx::raw_sql(SEED).execute(&mut conn).await.unwrap();
    let schema_before = post_schema(&mut conn).await;
    let posts_before = posts(&mut conn).await;
    assert_eq!(posts_before.len(), 2);

    SQLITE.run_to(REBUILD, &mut conn).await.unwrap();

    // The layout: everything a listing reads comes before the large columns.
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('post') ORDER BY cid")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(columns[columns.len() - 3..], ["analysis", "body", "body_html"]);
    // Same rows, same values; same indexes and triggers, word for word.
    assert_eq!(posts(&mut conn).await, posts_before);
    assert_eq!(post_schema(&mut conn).await, schema_before);
    // Nothing cascaded away while the old table was dropped.
    assert_eq!(count(&mut conn, "SELECT count(*) FROM post_tag").await, 2);
    assert_eq!(count(&mut conn, "SELECT count(*) FROM post_like").await, 1);
    assert_eq!(count(&mut conn, "SELECT count(*) FROM comment").await, 2);
    assert_eq!(count(&mut conn, "SELECT count(*) FROM post_revision").await, 1);
    assert_eq!(count(&mut conn, "SELECT count(*) FROM post_slug_history").await, 1);
    assert_eq!(count(&mut conn, "SELECT count(*) FROM pragma_foreign_key_check").await, 0);
    assert_eq!(count(&mut conn, "SELECT foreign_keys FROM pragma_foreign_keys").await, 1);
    assert_eq!(count(&mut conn, "SELECT legacy_alter_table FROM pragma_legacy_alter_table").await, 0);
    // The full-text index still finds the post by its body.
    assert_eq!(count(&mut conn, "SELECT rowid FROM post_fts WHERE post_fts MATCH 'otters'").await, 7);

    // The children's foreign keys point at the new table: a comment on a
    // missing post is refused, and deleting a post takes its children along.
    let orphan = sqlx::query(
        "INSERT INTO comment (post_id, author_id, body, created_at, updated_at) VALUES (99, 1, 'x', '', '')",
    )
    .execute(&mut conn)
    .await;
    assert!(orphan.is_err(), "a comment on a missing post must be refused");
    sqlx::query("DELETE FROM post WHERE post_id = 7").execute(&mut conn).await.unwrap();
    for child in ["post_tag", "post_like", "comment", "post_revision", "post_slug_history"] {
        assert_eq!(count(&mut conn, &format!("SELECT count(*) FROM {child}")).await, 0, "{child}");
    }
    assert_eq!(count(&mut conn, "SELECT count(*) FROM post_fts WHERE post_fts MATCH 'otters'").await, 0);
    // The count triggers came back: the delete was counted.
    assert_eq!(count(&mut conn, "SELECT total FROM post_count WHERE scope = 'all'").await, 1);
}
