//! `post`, `post_tag`, `post_slug_history`, `post_revision`: writing posts.
//! Reading them (the post view) lives in `post_views`.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx, args, defer, dialect, exec, exec_on};
use crate::domain::{
    AccountId, NewPost, Platforms, PostFields, PostId, PostRecord, PostStatus, Revision, Tags,
};

/// The columns of `PostFields`, in the order `bind_fields!` binds them.
const FIELDS: [&str; 14] = [
    "slug",
    "title",
    "body",
    "body_html",
    "excerpt",
    "excerpt_given",
    "status",
    "publish_at",
    "published_at",
    "category_id",
    "tags",
    "platforms",
    "content_type",
    "analysis",
];

/// Binds a `PostFields` in `FIELDS` order (a macro: the query type differs
/// per backend).
macro_rules! bind_fields {
    ($query:expr, $f:expr) => {
        $query
            .bind(&$f.slug)
            .bind(&$f.title)
            .bind(&$f.body)
            .bind(&$f.body_html)
            .bind(&$f.excerpt)
            .bind($f.excerpt_given)
            .bind($f.status)
            .bind($f.publish_at)
            .bind($f.published_at)
            .bind($f.category_id)
            .bind(&$f.tags)
            .bind(&$f.platforms)
            .bind($f.content_type)
            .bind(&$f.analysis)
    };
}

/// `INSERT` of a new post: five bookkeeping columns, then `FIELDS`.
static INSERT: LazyLock<String> = LazyLock::new(|| insert_sql("", ""));

/// SQLite's listing key is a plain column kept by a trigger (PostgreSQL's is
/// generated). Given at insert, it matches what the trigger would set, so the
/// trigger skips its UPDATE, which would write the new row (body included)
/// and its four listing-index entries a second time.
static INSERT_SQLITE: LazyLock<String> = LazyLock::new(|| {
    let field = |name: &str| FIELDS.iter().position(|f| *f == name).map_or(0, |i| i + 6);
    insert_sql(", sort_at", &format!(", COALESCE(${}, ${}, $4)", field("published_at"), field("publish_at")))
});

fn insert_sql(extra_column: &str, extra_value: &str) -> String {
    let placeholders: Vec<String> = (1..=FIELDS.len() + 5).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO post (author_id, brief_id, version, created_at, updated_at, {}{extra_column}) \
         VALUES ({}{extra_value}) RETURNING post_id",
        FIELDS.join(", "),
        placeholders.join(", ")
    )
}

/// Compare-and-swap `UPDATE`: `$1` id, `$2` expected version, `$3` new
/// version, `$4` time, then `FIELDS`.
static UPDATE: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = FIELDS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 5)).collect();
    format!(
        "UPDATE post SET version = $3, updated_at = $4, {} WHERE post_id = $1 AND version = $2",
        sets.join(", ")
    )
});

static LOCK: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT post_id, author_id, version, created_at, updated_at, brief_id, {} FROM post WHERE post_id = $1",
        FIELDS.join(", ")
    )
});

/// Inserts `post` and its tags; returns the stored record's id.
pub async fn insert(tx: &mut Tx, post: &NewPost) -> Result<PostId, StoreError> {
    let sql = match tx {
        Tx::Sqlite(_) => INSERT_SQLITE.as_str(),
        Tx::Postgres(_) => INSERT.as_str(),
    };
    let post_id: PostId = on_tx!(tx, |conn| {
        bind_fields!(
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(post.author_id)
                .bind(post.brief_id)
                .bind(1_i64)
                .bind(post.created_at)
                .bind(post.created_at),
            post.fields
        )
        .fetch_one(conn)
        .await
    })
    .map_err(StoreError::unique(SLUG_CONFLICT))?;
    replace_tags(tx, post_id, &post.fields.tags, true).await?;
    Ok(post_id)
}

/// Reads a post for update, locked until the transaction ends.
pub async fn lock(tx: &mut Tx, post_id: PostId) -> Result<Option<PostRecord>, StoreError> {
    let sql = format!("{}{}", LOCK.as_str(), dialect::for_update(tx));
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as::<_, PostRecord>(sqlx::AssertSqlSafe(sql)).bind(post_id).fetch_optional(conn).await?
    }))
}

/// Writes `post` back if its stored version is still `expected_version`
/// (compare-and-swap); `false` when someone else changed it first.
pub async fn update(tx: &mut Tx, post: &PostRecord, expected_version: i64) -> Result<bool, StoreError> {
    let updated = on_tx!(tx, |conn| {
        bind_fields!(
            sqlx::query(sqlx::AssertSqlSafe(UPDATE.as_str()))
                .bind(post.post_id)
                .bind(expected_version)
                .bind(post.version)
                .bind(post.updated_at),
            post.fields
        )
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })
    .map_err(StoreError::unique(SLUG_CONFLICT))?;
    if updated == 1 {
        replace_tags(tx, post.post_id, &post.fields.tags, false).await?;
    }
    Ok(updated == 1)
}

/// Makes the post's tag rows match `tags`, touching only what changed. Each
/// row copies the post's listing key and published flag (the migration's
/// triggers keep them in step afterwards). Changes go in tag order, so the
/// tag counters they lock are always locked in the same order and
/// concurrent retaggings queue instead of deadlocking on PostgreSQL.
async fn replace_tags(tx: &mut Tx, post_id: PostId, tags: &Tags, is_new: bool) -> Result<(), StoreError> {
    let wanted: Vec<&str> = tags.as_slice().iter().map(String::as_str).collect();
    let current: Vec<String> = if is_new {
        Vec::new()
    } else {
        on_tx!(tx, |conn| sqlx::query_scalar("SELECT tag FROM post_tag WHERE post_id = $1")
            .bind(post_id)
            .fetch_all(conn)
            .await?)
    };
    let mut changes: Vec<(&str, bool)> = current
        .iter()
        .filter(|t| !wanted.contains(&t.as_str()))
        .map(|t| (t.as_str(), false))
        .chain(wanted.iter().filter(|t| !current.iter().any(|c| c == *t)).map(|t| (*t, true)))
        .collect();
    changes.sort_unstable();
    for (tag, add) in changes {
        let sql = if add {
            "INSERT INTO post_tag (post_id, tag, sort_at, published)
             SELECT post_id, $2, sort_at, status = 'published' FROM post WHERE post_id = $1"
        } else {
            "DELETE FROM post_tag WHERE post_id = $1 AND tag = $2"
        };
        defer(tx, sql, args![post_id, *tag]);
    }
    Ok(())
}

pub async fn delete(tx: &mut Tx, post_id: PostId) -> Result<(), StoreError> {
    exec(tx, "DELETE FROM post WHERE post_id = $1", args![post_id]).await?;
    Ok(())
}

/// What a post's unique slug is called in a `StoreError::Conflict`.
pub const SLUG_CONFLICT: &str = "post slug";

/// Serialises, until they end, the transactions choosing a slug from the
/// same base, so that posts created or retitled at once with one title get
/// `-2`, `-3`… instead of failing on the unique slug. SQLite's single writer
/// already serialises them.
pub async fn lock_slug_base(tx: &mut Tx, base: &str) -> Result<(), StoreError> {
    if let Some(lock) = super::dialect::serialise(tx, slug_lock_key(base)) {
        on_tx!(&mut *tx, |conn| sqlx::query(sqlx::AssertSqlSafe(lock)).execute(conn).await.map(|_| ())?);
    }
    Ok(())
}

/// A stable (FNV-1a) key per slug base, the same in every instance and
/// version, with the top bit set so it never meets the fixed lock keys.
fn slug_lock_key(base: &str) -> i64 {
    let hash = base
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    i64::from_ne_bytes((hash | (1 << 63)).to_ne_bytes())
}

/// Whether `slug` is used by another post, now or in the past.
pub async fn slug_taken(tx: &mut Tx, slug: &str, except: Option<PostId>) -> Result<bool, StoreError> {
    let sql = "SELECT (SELECT COUNT(*) FROM post WHERE slug = $1 AND post_id <> $2)
                    + (SELECT COUNT(*) FROM post_slug_history WHERE slug = $1 AND post_id <> $2)";
    let count: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(sql).bind(slug).bind(except.map_or(-1, PostId::get)).fetch_one(conn).await?
    });
    Ok(count > 0)
}

/// Remembers a slug the post no longer uses (it now uses `new_slug`), so
/// links to the old one keep working.
pub async fn remember_old_slug(
    tx: &mut Tx,
    slug: &str,
    new_slug: &str,
    post_id: PostId,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO post_slug_history (slug, post_id) VALUES ($1, $2)
               ON CONFLICT (slug) DO UPDATE SET post_id = excluded.post_id";
    exec(tx, sql, args![slug, post_id]).await?;
    // A slug in use again must not also redirect.
    exec(tx, "DELETE FROM post_slug_history WHERE slug = $1", args![new_slug]).await?;
    Ok(())
}

/// Where a slug points: the post and whether the slug is its current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlugTarget {
    Current(PostId),
    Moved { post_id: PostId, current_slug: String },
}

pub async fn resolve_slug(db: &Db, slug: &str) -> Result<Option<SlugTarget>, StoreError> {
    let current: Option<PostId> = on_pool!(db, read, |pool| {
        sqlx::query_scalar("SELECT post_id FROM post WHERE slug = $1").bind(slug).fetch_optional(pool).await?
    });
    if let Some(post_id) = current {
        return Ok(Some(SlugTarget::Current(post_id)));
    }
    let moved: Option<(PostId, String)> = on_pool!(db, read, |pool| {
        sqlx::query_as(
            "SELECT p.post_id, p.slug FROM post_slug_history h JOIN post p ON p.post_id = h.post_id WHERE h.slug = $1",
        )
        .bind(slug)
        .fetch_optional(pool)
        .await?
    });
    Ok(moved.map(|(post_id, current_slug)| SlugTarget::Moved { post_id, current_slug }))
}

/// Publishes every scheduled post whose time has come; returns their ids.
/// Idempotent, so any number of instances may run it.
pub async fn publish_due(tx: &mut Tx, now: DateTime<Utc>) -> Result<Vec<PostId>, StoreError> {
    let done = on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "UPDATE post SET status = 'published', published_at = publish_at, version = version + 1, updated_at = $1
             WHERE status = 'scheduled' AND publish_at <= $1
             RETURNING post_id",
        )
        .bind(now)
        .fetch_all(conn)
        .await?
    });
    Ok(done)
}

/// Publishes one scheduled post if its time has come; whether it did.
pub async fn publish_one_due(tx: &mut Tx, post_id: PostId, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let sql = "UPDATE post SET status = 'published', published_at = publish_at, version = version + 1, updated_at = $2
               WHERE post_id = $1 AND status = 'scheduled' AND publish_at <= $2";
    Ok(exec(tx, sql, args![post_id, now]).await? == 1)
}

/// What listings need to know of a post: its state, author, tags,
/// category and listing key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListingRow {
    pub post_id: PostId,
    pub status: PostStatus,
    pub publish_at: Option<DateTime<Utc>>,
    pub author: String,
    pub tags: Tags,
    pub category: Option<String>,
    pub sort_at: DateTime<Utc>,
}

const LISTING: &str = "SELECT p.post_id, p.status, p.publish_at, lower(a.username) AS author, p.tags,
                              c.slug AS category, p.sort_at
                       FROM post p JOIN account a ON a.account_id = p.author_id
                       LEFT JOIN category c ON c.category_id = p.category_id";

/// The listing facts of a post, inside a write (before it changes).
pub async fn listing_in(tx: &mut Tx, post_id: PostId) -> Result<Option<ListingRow>, StoreError> {
    let sql = format!("{LISTING} WHERE p.post_id = $1");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as::<_, ListingRow>(sqlx::AssertSqlSafe(sql)).bind(post_id).fetch_optional(conn).await?
    }))
}

/// The listing facts of posts (after a write committed).
pub async fn listings(db: &Db, post_ids: &[PostId]) -> Result<Vec<ListingRow>, StoreError> {
    let mut rows = Vec::with_capacity(post_ids.len());
    for chunk in post_ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{LISTING} WHERE p.post_id IN ({})", placeholders.join(", "));
        let found: Vec<ListingRow> = on_pool!(db, read, |pool| {
            let mut query = sqlx::query_as::<_, ListingRow>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        rows.extend(found);
    }
    Ok(rows)
}

/// Whether any scheduled post's time has come (an index probe).
pub async fn any_due(db: &Db, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let sql = "SELECT post_id FROM post WHERE status = 'scheduled' AND publish_at <= $1 LIMIT 1";
    let found: Option<PostId> =
        on_pool!(db, read, |pool| sqlx::query_scalar(sql).bind(now).fetch_optional(pool).await?);
    Ok(found.is_some())
}

/// What the analysis of a post reads: its text, platforms and version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnalysisText {
    pub body: String,
    pub platforms: Platforms,
    pub version: i64,
}

pub async fn text_for_analysis(db: &Db, post_id: PostId) -> Result<Option<AnalysisText>, StoreError> {
    let sql = "SELECT body, platforms, version FROM post WHERE post_id = $1";
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, AnalysisText>(sql).bind(post_id).fetch_optional(pool).await?
    }))
}

/// Stores the analysis of version `version` of a post; `false` when the
/// post changed (or went) meanwhile. The version is not bumped: the
/// analysis is derived from the post, not a change of it.
pub async fn store_analysis(
    db: &Db,
    post_id: PostId,
    version: i64,
    analysis: &str,
) -> Result<bool, StoreError> {
    let sql = "UPDATE post SET analysis = $3 WHERE post_id = $1 AND version = $2";
    Ok(exec_on(db, sql, args![post_id, version, analysis]).await? == 1)
}

/// Up to `limit` ids of posts without an analysis after `after_id`, in id
/// order (the ids only: their jobs read the text when they run).
pub async fn missing_analysis(db: &Db, after_id: PostId, limit: i64) -> Result<Vec<PostId>, StoreError> {
    let sql = "SELECT post_id FROM post WHERE analysis IS NULL AND post_id > $1 ORDER BY post_id LIMIT $2";
    Ok(on_pool!(db, read, |pool| sqlx::query_scalar(sql).bind(after_id).bind(limit).fetch_all(pool).await?))
}

pub async fn insert_revision(
    tx: &mut Tx,
    post_id: PostId,
    text: &PostFields,
    editor_id: AccountId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO post_revision (post_id, revision_no, title, body, excerpt, editor_id, created_at)
               VALUES ($1, (SELECT COALESCE(MAX(revision_no), 0) + 1 FROM post_revision WHERE post_id = $1),
                       $2, $3, $4, $5, $6)";
    defer(tx, sql, args![post_id, text.title, text.body, text.excerpt, editor_id, now]);
    Ok(())
}

const REVISION_SELECT: &str = "SELECT r.post_id, r.revision_no, r.title, r.body, r.excerpt, r.editor_id,
                                      a.username AS editor_username, r.created_at
                               FROM post_revision r LEFT JOIN account a ON a.account_id = r.editor_id";

pub async fn list_revisions(db: &Db, post_id: PostId) -> Result<Vec<Revision>, StoreError> {
    let sql = format!("{REVISION_SELECT} WHERE r.post_id = $1 ORDER BY r.revision_no DESC");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Revision>(sqlx::AssertSqlSafe(sql)).bind(post_id).fetch_all(pool).await?
    }))
}

pub async fn find_revision(
    db: &Db,
    post_id: PostId,
    revision_no: i64,
) -> Result<Option<Revision>, StoreError> {
    let sql = format!("{REVISION_SELECT} WHERE r.post_id = $1 AND r.revision_no = $2");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Revision>(sqlx::AssertSqlSafe(sql))
            .bind(post_id)
            .bind(revision_no)
            .fetch_optional(pool)
            .await?
    }))
}

/// Likes are idempotent: liking twice is one like. Returns whether anything
/// changed.
pub async fn set_like(
    tx: &mut Tx,
    post_id: PostId,
    account_id: AccountId,
    liked: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = if liked {
        // The like repeats its post's listing key ("favourited by" pages) and
        // whether it is published (their count).
        // On PostgreSQL the post is share-locked while it is read: a
        // publication committing meanwhile moves the key of the likes that
        // exist when it runs, so this one must read the key after it.
        let sql = match tx {
            Tx::Sqlite(_) => {
                "INSERT INTO post_like (post_id, account_id, created_at, sort_at, published)
                 SELECT $1, $2, $3, sort_at, status = 'published' FROM post WHERE post_id = $1
                 ON CONFLICT (post_id, account_id) DO NOTHING"
            }
            Tx::Postgres(_) => {
                "INSERT INTO post_like (post_id, account_id, created_at, sort_at, published)
                 SELECT $1, $2, $3, sort_at, status = 'published' FROM post WHERE post_id = $1 FOR SHARE
                 ON CONFLICT (post_id, account_id) DO NOTHING"
            }
        };
        exec(tx, sql, args![post_id, account_id, now]).await?
    } else {
        let sql = "DELETE FROM post_like WHERE post_id = $1 AND account_id = $2";
        exec(tx, sql, args![post_id, account_id]).await?
    };
    Ok(changed == 1)
}
