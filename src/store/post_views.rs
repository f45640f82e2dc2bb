//! The post read model: one query builder serves a single post, lists,
//! search, the feed and favourites, so every endpoint that returns posts
//! shows the same fields computed the same way (counts, `liked` for the
//! viewer, visibility).

use chrono::{DateTime, Utc};

use super::query::{Arg, Sql, bind_args};
use super::{Db, StoreError};

/// A post as readers see it, with its author, category and counters.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostViewRow {
    pub post_id: i64,
    pub author_id: i64,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub excerpt: String,
    pub status: String,
    pub publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub category_id: Option<i64>,
    pub tags: String,
    pub platforms: String,
    pub content_type: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// JSON of `content::analysis::Analysis`.
    pub analysis: Option<String>,
    pub brief_id: Option<i64>,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub author_bio: Option<String>,
    pub author_avatar_url: Option<String>,
    pub category_slug: Option<String>,
    pub category_name: Option<String>,
    pub like_count: i64,
    pub comment_count: i64,
    /// Whether the viewer likes it (false for anonymous viewers).
    pub liked: bool,
    /// Whether the viewer follows its author.
    pub following_author: bool,
    /// Search hit context, with matches between `\u{1}` and `\u{2}`.
    pub snippet: Option<String>,
}

/// Who is looking, which decides what is visible.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub account_id: Option<i64>,
    /// Editors and admins see every post in every state.
    pub sees_all: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    PublishedAt,
    CreatedAt,
    UpdatedAt,
    Title,
    /// Search rank; only with a search query.
    Relevance,
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
    pub post_id: i64,
}

/// Which posts, in which order.
#[derive(Debug, Clone)]
pub struct PostQuery {
    pub viewer: Viewer,
    pub now: DateTime<Utc>,
    pub post_id: Option<i64>,
    /// `published` includes scheduled posts whose time has come.
    pub status: Option<String>,
    pub author: Option<String>,
    pub tag: Option<String>,
    pub category: Option<String>,
    pub platform: Option<String>,
    pub content_type: Option<String>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    pub search: Option<String>,
    /// Only posts by authors this account follows.
    pub feed_of: Option<i64>,
    /// Only posts this username likes.
    pub liked_by: Option<String>,
    pub sort: Sort,
    pub descending: bool,
    pub after: Option<Cursor>,
    pub offset: Option<i64>,
    pub limit: i64,
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
            sort: Sort::PublishedAt,
            descending: true,
            after: None,
            offset: None,
            limit: 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The SQL expression a sort orders by. Drafts have no publication time and
/// sort by creation time instead, so the key is never NULL.
fn sort_expr(sort: Sort) -> &'static str {
    match sort {
        Sort::PublishedAt | Sort::Relevance => "COALESCE(p.published_at, p.publish_at, p.created_at)",
        Sort::CreatedAt => "p.created_at",
        Sort::UpdatedAt => "p.updated_at",
        Sort::Title => "p.title",
    }
}

/// The cursor key of a row under `sort` (mirrors `sort_expr`).
pub fn cursor_of(row: &PostViewRow, sort: Sort) -> Cursor {
    let key = match sort {
        Sort::PublishedAt | Sort::Relevance => {
            CursorKey::Time(row.published_at.or(row.publish_at).unwrap_or(row.created_at))
        }
        Sort::CreatedAt => CursorKey::Time(row.created_at),
        Sort::UpdatedAt => CursorKey::Time(row.updated_at),
        Sort::Title => CursorKey::Text(row.title.clone()),
    };
    Cursor { key, post_id: row.post_id }
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
pub(super) fn is_public(now: &str) -> String {
    format!("(p.status = 'published' OR (p.status = 'scheduled' AND p.publish_at <= {now}))")
}

fn select(backend: Backend, q: &PostQuery) -> Sql {
    let mut sql = Sql::new(
        "SELECT p.post_id, p.author_id, p.slug, p.title, p.body, p.body_html, p.excerpt, p.status, \
         p.publish_at, p.published_at, p.category_id, p.tags, p.platforms, p.content_type, p.version, \
         p.analysis, p.brief_id, \
         p.created_at, p.updated_at, a.username AS author_username, a.display_name AS author_display_name, \
         a.bio AS author_bio, a.avatar_url AS author_avatar_url, c.slug AS category_slug, c.name AS category_name, \
         (SELECT COUNT(*) FROM post_like l WHERE l.post_id = p.post_id) AS like_count, ",
    );
    let hidden = sql.param(Arg::Bool(true));
    sql.push(&format!(
        "(SELECT COUNT(*) FROM comment m WHERE m.post_id = p.post_id AND m.hidden <> {hidden}) AS comment_count, "
    ));
    let viewer = sql.param(Arg::Int(q.viewer.account_id.unwrap_or(-1)));
    sql.push(&format!(
        "EXISTS (SELECT 1 FROM post_like l WHERE l.post_id = p.post_id AND l.account_id = {viewer}) AS liked, \
         EXISTS (SELECT 1 FROM follow f WHERE f.followee_id = p.author_id AND f.follower_id = {viewer}) \
         AS following_author, "
    ));
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match (backend, search) {
        (Backend::Sqlite, Some(_)) => {
            sql.push("snippet(post_fts, 2, char(1), char(2), '…', 24) AS snippet");
        }
        (Backend::Postgres, Some(text)) => {
            let query = sql.param(Arg::Text(text.to_owned()));
            sql.push(&format!(
                "ts_headline('simple', p.body, websearch_to_tsquery('simple', {query}), \
                 'StartSel=\u{1}, StopSel=\u{2}, MaxWords=24, MinWords=8') AS snippet"
            ));
        }
        (_, None) => {
            sql.push("CAST(NULL AS TEXT) AS snippet");
        }
    }
    sql
}

/// FROM and WHERE, shared by the page query and the count.
fn from_where(sql: &mut Sql, backend: Backend, q: &PostQuery) {
    sql.push(" FROM post p JOIN account a ON a.account_id = p.author_id LEFT JOIN category c ON c.category_id = p.category_id");
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if backend == Backend::Sqlite && search.is_some() {
        sql.push(" JOIN post_fts ON post_fts.rowid = p.post_id");
    }
    let now = sql.param(Arg::Time(q.now));
    let public = is_public(&now);
    sql.push(" WHERE ");
    match (q.viewer.sees_all, q.viewer.account_id) {
        (true, _) => sql.push("1 = 1"),
        (false, Some(id)) => {
            let me = sql.param(Arg::Int(id));
            sql.push(&format!("({public} OR p.author_id = {me})"))
        }
        (false, None) => sql.push(&public),
    };
    if let Some(id) = q.post_id {
        sql.push(" AND p.post_id = ");
        sql.bind(Arg::Int(id));
    }
    match q.status.as_deref() {
        Some("published") => {
            sql.push(&format!(" AND {public}"));
        }
        Some("scheduled") => {
            sql.push(&format!(" AND p.status = 'scheduled' AND p.publish_at > {now}"));
        }
        Some(other) => {
            sql.push(" AND p.status = ");
            sql.bind(Arg::Text(other.to_owned()));
        }
        None => {}
    }
    if let Some(author) = &q.author {
        sql.push(" AND lower(a.username) = lower(");
        sql.bind(Arg::Text(author.clone()));
        sql.push(")");
    }
    if let Some(tag) = &q.tag {
        sql.push(" AND EXISTS (SELECT 1 FROM post_tag t WHERE t.post_id = p.post_id AND t.tag = ");
        sql.bind(Arg::Text(tag.clone()));
        sql.push(")");
    }
    if let Some(category) = &q.category {
        sql.push(" AND c.slug = ");
        sql.bind(Arg::Text(category.clone()));
    }
    if let Some(platform) = &q.platform {
        sql.push(" AND (',' || p.platforms || ',') LIKE ");
        sql.bind(Arg::Text(format!("%,{platform},%")));
    }
    if let Some(content_type) = &q.content_type {
        sql.push(" AND p.content_type = ");
        sql.bind(Arg::Text(content_type.clone()));
    }
    if let Some(after) = q.published_after {
        sql.push(" AND COALESCE(p.published_at, p.publish_at) >= ");
        sql.bind(Arg::Time(after));
    }
    if let Some(before) = q.published_before {
        sql.push(" AND COALESCE(p.published_at, p.publish_at) < ");
        sql.bind(Arg::Time(before));
    }
    if let Some(follower) = q.feed_of {
        sql.push(" AND p.author_id IN (SELECT followee_id FROM follow WHERE follower_id = ");
        sql.bind(Arg::Int(follower));
        sql.push(")");
    }
    if let Some(liker) = &q.liked_by {
        sql.push(
            " AND EXISTS (SELECT 1 FROM post_like l JOIN account la ON la.account_id = l.account_id \
             WHERE l.post_id = p.post_id AND lower(la.username) = lower(",
        );
        sql.bind(Arg::Text(liker.clone()));
        sql.push("))");
    }
    if let Some(text) = search {
        match backend {
            Backend::Sqlite => {
                let query = fts5_query(text);
                if query.is_empty() {
                    sql.push(" AND 1 = 0");
                } else {
                    sql.push(" AND post_fts MATCH ");
                    sql.bind(Arg::Text(query));
                }
            }
            Backend::Postgres => {
                sql.push(" AND p.search @@ websearch_to_tsquery('simple', ");
                sql.bind(Arg::Text(text.to_owned()));
                sql.push(")");
            }
        }
    }
}

fn backend_of(db: &Db) -> Backend {
    match db {
        Db::Sqlite { .. } => Backend::Sqlite,
        Db::Postgres(_) => Backend::Postgres,
    }
}

/// Posts matching `q`, in order, at most `q.limit`.
pub async fn find(db: &Db, q: &PostQuery) -> Result<Vec<PostViewRow>, StoreError> {
    let backend = backend_of(db);
    let mut sql = select(backend, q);
    from_where(&mut sql, backend, q);
    let relevance = q.sort == Sort::Relevance && q.search.as_deref().is_some_and(|s| !s.trim().is_empty());
    let direction = if q.descending { "DESC" } else { "ASC" };
    if relevance {
        match backend {
            Backend::Sqlite => sql.push(" ORDER BY bm25(post_fts, 10.0, 5.0, 1.0) ASC, p.post_id DESC"),
            Backend::Postgres => {
                let text = q.search.as_deref().unwrap_or_default().trim().to_owned();
                let query = sql.param(Arg::Text(text));
                sql.push(&format!(
                    " ORDER BY ts_rank(p.search, websearch_to_tsquery('simple', {query})) DESC, p.post_id DESC"
                ))
            }
        };
    } else {
        let key = sort_expr(q.sort);
        if let Some(cursor) = &q.after {
            let op = if q.descending { "<" } else { ">" };
            sql.push(&format!(" AND ({key}, p.post_id) {op} ("));
            match &cursor.key {
                CursorKey::Time(t) => sql.bind(Arg::Time(*t)),
                CursorKey::Text(t) => sql.bind(Arg::Text(t.clone())),
            };
            sql.push(", ");
            sql.bind(Arg::Int(cursor.post_id));
            sql.push(")");
        }
        sql.push(&format!(" ORDER BY {key} {direction}, p.post_id {direction}"));
    }
    sql.push(" LIMIT ");
    sql.bind(Arg::Int(q.limit));
    if let Some(offset) = q.offset {
        sql.push(" OFFSET ");
        sql.bind(Arg::Int(offset));
    }
    let (text, args) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_as::<_, PostViewRow>(sqlx::AssertSqlSafe(text)), &args).fetch_all(pool).await?
    }))
}

/// How many posts match `q`'s filters (ignoring cursor, offset and limit).
pub async fn count(db: &Db, q: &PostQuery) -> Result<i64, StoreError> {
    let backend = backend_of(db);
    let mut sql = Sql::new("SELECT COUNT(*)");
    from_where(&mut sql, backend, q);
    let (text, args) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(text)), &args).fetch_one(pool).await?
    }))
}
