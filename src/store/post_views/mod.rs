//! The post read model: one query builder serves a single post, lists,
//! search, the feed and favourites, so every endpoint that returns posts
//! shows the same fields computed the same way (counts, `liked` for the
//! viewer, visibility).

mod count;
mod plan;
#[cfg(test)]
mod plan_tests;

use chrono::{DateTime, Utc};

use super::query::{Arg, Sql, bind_args};
use super::{Db, StoreError};
use crate::domain::{AccountId, ContentType, Platform, PostId, PostStatus};
use crate::domain::{PostSort, PostView};

pub use count::count;
pub use plan::{SEARCH_CANDIDATES, search_text};

/// Who is looking, which decides what is visible.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub account_id: Option<AccountId>,
    /// Editors and admins see every post in every state.
    pub sees_all: bool,
}

/// A keyset position: the sort value and id of the last row seen.
#[derive(Debug, Clone, PartialEq)]
pub enum CursorKey {
    Time(DateTime<Utc>),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub key: CursorKey,
    pub post_id: PostId,
}

/// Which posts, in which order.
#[derive(Debug, Clone)]
pub struct PostQuery {
    pub viewer: Viewer,
    pub now: DateTime<Utc>,
    pub post_id: Option<PostId>,
    /// `published` includes scheduled posts whose time has come.
    pub status: Option<PostStatus>,
    pub author: Option<String>,
    pub tag: Option<String>,
    pub category: Option<String>,
    pub platform: Option<Platform>,
    pub content_type: Option<ContentType>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    pub search: Option<String>,
    /// Only posts by authors this account follows.
    pub feed_of: Option<AccountId>,
    /// Only posts this username likes.
    pub liked_by: Option<String>,
    pub sort: PostSort,
    pub descending: bool,
    pub after: Option<Cursor>,
    pub offset: Option<i64>,
    pub limit: i64,
    /// Whether rows carry the body, its HTML and the analysis. Listings do
    /// not show them, and at 0.5–8 KB a post they dominate a page's bytes.
    pub with_text: bool,
}

impl PostQuery {
    /// Every visible post for `viewer`, newest first: the base to refine.
    pub fn new(viewer: Viewer, now: DateTime<Utc>) -> PostQuery {
        PostQuery {
            viewer,
            now,
            post_id: None,
            status: None,
            author: None,
            tag: None,
            category: None,
            platform: None,
            content_type: None,
            published_after: None,
            published_before: None,
            search: None,
            feed_of: None,
            liked_by: None,
            sort: PostSort::PublishedAt,
            descending: true,
            after: None,
            offset: None,
            limit: 20,
            with_text: false,
        }
    }
}

/// The cursor key of a row under `sort` (mirrors `plan::sort_column`).
pub fn cursor_of(row: &PostView, sort: PostSort) -> Cursor {
    let key = match sort {
        PostSort::PublishedAt | PostSort::Relevance | PostSort::Popular => CursorKey::Time(
            row.post.fields.published_at.or(row.post.fields.publish_at).unwrap_or(row.post.created_at),
        ),
        PostSort::CreatedAt => CursorKey::Time(row.post.created_at),
        PostSort::UpdatedAt => CursorKey::Time(row.post.updated_at),
        PostSort::Title => CursorKey::Text(row.post.fields.title.clone()),
    };
    Cursor { key, post_id: row.post.post_id }
}

/// Search words as an FTS5 query: each word quoted (so operators in user
/// input are plain text), all required.
fn fts5_query(input: &str) -> String {
    input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether post `p` is public at the time bound to placeholder `now`: published,
/// or scheduled and due (the background publisher may not have flipped it yet).
///
/// On SQLite the columns carry a unary `+`, which keeps this test from
/// choosing an index: it matches nearly every post, yet without planner
/// statistics (a database grown through the API has none until analysed)
/// SQLite would read every published post through the status index and sort
/// them, instead of walking the listing index in order and stopping at the
/// page's end — 20-30 ms at 5,000 posts and growing with the table.
pub(super) fn is_public(backend: Backend, now: &str) -> String {
    let column = match backend {
        Backend::Sqlite => "+p.",
        Backend::Postgres => "p.",
    };
    format!(
        "({column}status = 'published' OR ({column}status = 'scheduled' AND {column}publish_at <= {now}))"
    )
}

/// The start of the feed's window (`plan::feed_window`), if enough
/// followed authors have posts for one.
async fn feed_window(db: &Db, q: &PostQuery) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut sql = Sql::default();
    plan::feed_window(&mut sql, backend_of(db), q);
    let (text, args) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_scalar::<_, DateTime<Utc>>(sqlx::AssertSqlSafe(text)), &args)
            .fetch_optional(pool)
            .await?
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) fn backend_of(db: &Db) -> Backend {
    match db {
        Db::Sqlite { .. } => Backend::Sqlite,
        Db::Postgres(_) => Backend::Postgres,
    }
}

/// Whether a statement for `q` is kept prepared. On PostgreSQL a search is
/// not: it would soon be planned once for any words, and the right plan
/// depends on the words (the GIN index for a rare one, the id order for a
/// common one); unprepared, it is planned with the words each time.
/// SQLite's plans never depend on bound values (QPSG, `.cargo/config.toml`),
/// so there it is kept.
fn kept_prepared(backend: Backend, q: &PostQuery) -> bool {
    plan::search_text(q).is_none() || backend == Backend::Sqlite
}

/// Posts matching `q`, in order, at most `q.limit`: the page's ids from
/// `plan`, then their details joined onto those ids only.
pub async fn find(db: &Db, q: &PostQuery) -> Result<Vec<PostView>, StoreError> {
    let backend = backend_of(db);
    let since = if plan::feed_is_windowed(q) { feed_window(db, q).await? } else { None };
    let mut sql = Sql::new("WITH page AS MATERIALIZED (");
    plan::page_ids_in(&mut sql, backend, q, true, since);
    sql.push(
        ") SELECT p.post_id, p.author_id, p.slug, p.title, p.excerpt, p.excerpt_given, p.status, \
         p.publish_at, p.published_at, p.category_id, p.tags, p.platforms, p.content_type, p.version, \
         p.brief_id, p.created_at, p.updated_at, p.like_count, p.comment_count, \
         a.username AS author_username, a.display_name AS author_display_name, \
         a.bio AS author_bio, a.avatar_url AS author_avatar_url, c.slug AS category_slug, c.name AS category_name, ",
    );
    // A search's rows carry the start of their body, from which the
    // service cuts the snippet (`content::snippet`).
    let searching = plan::search_text(q).is_some();
    match (q.with_text, searching) {
        (true, _) => sql.push("p.body, p.body_html, p.analysis, "),
        // `substr` counts characters, so it reads every byte before its
        // end: bodies that fit are taken whole.
        (false, true) => sql.push(&format!(
            "CASE WHEN octet_length(p.body) <= {n} THEN p.body ELSE substr(p.body, 1, {n}) END AS body, \
             '' AS body_html, CAST(NULL AS TEXT) AS analysis, ",
            n = crate::content::snippet::SCANNED_BYTES
        )),
        (false, false) => sql.push("'' AS body, '' AS body_html, CAST(NULL AS TEXT) AS analysis, "),
    };
    match q.viewer.account_id {
        Some(id) => {
            let viewer = sql.param(Arg::Int(id.get()));
            sql.push(&format!(
                "EXISTS (SELECT 1 FROM post_like l WHERE l.post_id = p.post_id AND l.account_id = {viewer}) \
                 AS liked, EXISTS (SELECT 1 FROM follow f WHERE f.followee_id = p.author_id \
                 AND f.follower_id = {viewer}) AS following_author"
            ));
        }
        // Anonymous readers like and follow nobody: no lookups per row.
        None => {
            sql.push("FALSE AS liked, FALSE AS following_author");
        }
    }
    sql.push(
        " FROM page JOIN post p ON p.post_id = page.post_id JOIN account a ON a.account_id = p.author_id \
         LEFT JOIN category c ON c.category_id = p.category_id",
    );
    sql.push(&plan::outer_order(backend, q));
    let (text, args) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_as::<_, PostView>(sqlx::AssertSqlSafe(text)), &args)
            .persistent(kept_prepared(backend, q))
            .fetch_all(pool)
            .await?
    }))
}
