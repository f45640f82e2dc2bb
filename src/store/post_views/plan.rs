//! Which posts, in which order: the first phase of every post read.
//!
//! A page is chosen by ids alone, from the one index (or index pair) that
//! already holds the rows in the requested order, so its cost is the page
//! (plus any offset), never the table. Each filter picks a *driver*:
//! - plain listings walk `post_listing_idx` (or the author / category one);
//! - a tag walks `post_tag_listing_idx`, which repeats the listing key, and
//!   "favourited by" `post_like_listing_idx`, which does too;
//! - the feed takes the newest few of each followed author and merges them
//!   (a lateral join on PostgreSQL, a correlated `IN` on SQLite);
//! - a search ranks or sorts a bounded candidate set: the
//!   [`SEARCH_CANDIDATES`] most recent matches.
//!
//! The second phase (`find`) joins authors, categories and the viewer's
//! likes and follows onto those few ids only.

use chrono::{DateTime, Utc};

use super::{Backend, CursorKey, PostQuery, fts5_query, is_public};
use crate::domain::engagement::Day;
use crate::domain::{AccountId, PostSort, PostStatus};
use crate::store::query::{Arg, Sql};

/// How many of the most recent matches a search ranks (or sorts). Ranking
/// every match of a common word costs time in proportion to the table;
/// like Ghost's search limit this bounds it. Chosen with the benchmark at
/// 1,000,000 posts (bench/RESULTS.md): PostgreSQL's ts_rank reads each
/// candidate's vector, a few ms per hundred.
pub const SEARCH_CANDIDATES: i64 = 200;

/// The query's search text, if it has any words.
pub fn search_text(q: &PostQuery) -> Option<&str> {
    q.search.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    Plain,
    Tag,
    Likes,
    Feed,
    Search,
    Popular,
}

fn driver(q: &PostQuery) -> Driver {
    if q.sort == PostSort::Popular {
        Driver::Popular
    } else if search_text(q).is_some() {
        Driver::Search
    } else if q.feed_of.is_some() {
        Driver::Feed
    } else if q.liked_by.is_some() && matches!(q.sort, PostSort::PublishedAt | PostSort::Relevance) {
        Driver::Likes
    } else if q.tag.is_some() && matches!(q.sort, PostSort::PublishedAt | PostSort::Relevance) {
        Driver::Tag
    } else {
        Driver::Plain
    }
}

/// Whether the page is ordered by search rank.
pub(super) fn by_relevance(q: &PostQuery) -> bool {
    q.sort == PostSort::Relevance && search_text(q).is_some()
}

/// The column a sort orders by, on the post alias `p`.
fn sort_column(sort: PostSort) -> &'static str {
    match sort {
        PostSort::PublishedAt | PostSort::Relevance => "p.sort_at",
        PostSort::CreatedAt => "p.created_at",
        PostSort::UpdatedAt => "p.updated_at",
        PostSort::Title => "p.title",
        // Never ordered by a post column (see `popular`); a stable fallback.
        PostSort::Popular => "p.sort_at",
    }
}

/// The post table for candidates looked up by id. On SQLite the narrow
/// `post_key_idx` answers visibility, author, category and the listing key
/// without reading rows (whose later columns sit behind the body's overflow
/// pages); PostgreSQL's planner needs no hint.
fn posts_by_id(backend: Backend, alias: &str) -> String {
    match backend {
        Backend::Sqlite => format!("post {alias} INDEXED BY post_key_idx"),
        Backend::Postgres => format!("post {alias}"),
    }
}

fn direction(q: &PostQuery) -> &'static str {
    if q.descending { "DESC" } else { "ASC" }
}

/// Which of the query's filters the page's driver already applies, so the
/// conditions do not repeat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Covered {
    Nothing,
    Tag,
    Liker,
}

/// The visibility and filter conditions on `p`, each starting with ` AND`,
/// but for the one the driver `covered`.
fn filters(sql: &mut Sql, backend: Backend, q: &PostQuery, covered: Covered) {
    let now = sql.param(Arg::Time(q.now));
    let public = is_public(backend, &now);
    let published_only = q.status == Some(PostStatus::Published);
    match (q.viewer.sees_all, q.viewer.account_id) {
        // Published posts are public to everyone: no viewer clause (an OR
        // here would keep the planner from using the listing indexes).
        _ if published_only => sql.push(&format!(" AND {public}")),
        (true, _) => sql,
        (false, Some(id)) => {
            let me = sql.param(Arg::Int(id.get()));
            sql.push(&format!(" AND ({public} OR p.author_id = {me})"))
        }
        (false, None) => sql.push(&format!(" AND {public}")),
    };
    if let Some(id) = q.post_id {
        sql.push(" AND p.post_id = ");
        sql.bind(Arg::Int(id.get()));
    }
    match q.status {
        Some(PostStatus::Published) => {}
        Some(PostStatus::Scheduled) => {
            sql.push(&format!(" AND p.status = 'scheduled' AND p.publish_at > {now}"));
        }
        Some(other) => {
            sql.push(" AND p.status = ");
            sql.bind(Arg::Text(other.as_str().to_owned()));
        }
        None => {}
    }
    narrowing(sql, q, covered);
}

/// `(SELECT account_id …)` of the account with this username (any case).
pub(super) fn account_named(sql: &mut Sql, username: &str) {
    sql.push("(SELECT account_id FROM account WHERE lower(username) = lower(");
    sql.bind(Arg::Text(username.to_owned()));
    sql.push("))");
}

/// `(SELECT category_id …)` of the category with this slug.
pub(super) fn category_named(sql: &mut Sql, slug: &str) {
    sql.push("(SELECT category_id FROM category WHERE slug = ");
    sql.bind(Arg::Text(slug.to_owned()));
    sql.push(")");
}

/// The query's own filters (author, tag, category, …) on `p`, without
/// visibility or status, each starting with ` AND`.
pub(super) fn narrowing(sql: &mut Sql, q: &PostQuery, covered: Covered) {
    if let Some(author) = &q.author {
        sql.push(" AND p.author_id = ");
        account_named(sql, author);
    }
    if let Some(tag) = q.tag.as_ref().filter(|_| covered != Covered::Tag) {
        sql.push(" AND EXISTS (SELECT 1 FROM post_tag t WHERE t.post_id = p.post_id AND t.tag = ");
        sql.bind(Arg::Text(tag.clone()));
        sql.push(")");
    }
    if let Some(category) = &q.category {
        sql.push(" AND p.category_id = ");
        category_named(sql, category);
    }
    if let Some(platform) = &q.platform {
        sql.push(" AND (',' || p.platforms || ',') LIKE ");
        sql.bind(Arg::Text(format!("%,{platform},%")));
    }
    if let Some(content_type) = &q.content_type {
        sql.push(" AND p.content_type = ");
        sql.bind(Arg::Text(content_type.as_str().to_owned()));
    }
    if let Some(after) = q.published_after {
        sql.push(" AND COALESCE(p.published_at, p.publish_at) >= ");
        sql.bind(Arg::Time(after));
    }
    if let Some(before) = q.published_before {
        sql.push(" AND COALESCE(p.published_at, p.publish_at) < ");
        sql.bind(Arg::Time(before));
    }
    if let Some(liker) = q.liked_by.as_ref().filter(|_| covered != Covered::Liker) {
        sql.push(" AND p.post_id IN (SELECT l.post_id FROM post_like l WHERE l.account_id = ");
        account_named(sql, liker);
        sql.push(")");
    }
}

/// ` AND (key, id) < (cursor)` for keyset paging, on the given columns.
fn keyset(sql: &mut Sql, q: &PostQuery, key: &str, id: &str) {
    let Some(cursor) = &q.after else { return };
    let op = if q.descending { "<" } else { ">" };
    sql.push(&format!(" AND ({key}, {id}) {op} ("));
    match &cursor.key {
        CursorKey::Time(t) => sql.bind(Arg::Time(*t)),
        CursorKey::Text(t) => sql.bind(Arg::Text(t.clone())),
    };
    sql.push(", ");
    sql.bind(Arg::Int(cursor.post_id.get()));
    sql.push(")");
}

/// ` LIMIT n OFFSET o`, or nothing when counting.
fn limit(sql: &mut Sql, q: &PostQuery, paged: bool) {
    if !paged {
        return;
    }
    sql.push(" LIMIT ");
    sql.bind(Arg::Int(q.limit));
    if let Some(offset) = q.offset.filter(|o| *o > 0) {
        sql.push(" OFFSET ");
        sql.bind(Arg::Int(offset));
    }
}

/// Appends `SELECT post_id, k FROM …` choosing the page (`paged`) or every
/// match for counting (no order, no limit; the cursor still applies).
/// `k` is the sort key (the rank when ordering by relevance).
/// Whether the feed can be read as a time window (see [`feed_window`]).
pub(super) fn feed_is_windowed(q: &PostQuery) -> bool {
    q.feed_of.is_some() && search_text(q).is_none() && q.sort == PostSort::PublishedAt && q.descending
}

/// The feed's window: the (limit + offset)-th newest among each followed
/// author's newest matching post. At least that many authors have a post
/// from then on, so the page lies within it, and reading it costs one index
/// probe per followed author plus the posts in the window, however many
/// posts those authors have. Selects no row when fewer authors have posts.
pub(super) fn feed_window(sql: &mut Sql, backend: Backend, q: &PostQuery) {
    // Materialized, so that each author's probe runs once: pulled up into
    // the outer query, PostgreSQL ran it twice (for `IS NOT NULL` and for
    // the order).
    sql.push(
        "WITH newest AS MATERIALIZED (SELECT (SELECT p.sort_at FROM post p WHERE p.author_id = f.followee_id",
    );
    filters(sql, backend, q, Covered::Nothing);
    keyset(sql, q, "p.sort_at", "p.post_id");
    sql.push(" ORDER BY p.sort_at DESC, p.post_id DESC LIMIT 1) AS k FROM follow f WHERE f.follower_id = ");
    sql.bind(Arg::Int(q.feed_of.map_or(-1, AccountId::get)));
    sql.push(") SELECT k FROM newest WHERE k IS NOT NULL ORDER BY k DESC LIMIT 1 OFFSET ");
    sql.bind(Arg::Int((q.limit + q.offset.unwrap_or(0).max(0) - 1).max(0)));
}

/// Appends the statement selecting the page's ids (see [`page_ids_in`]);
/// `since` is the feed's window when there is one.
pub(super) fn page_ids(sql: &mut Sql, backend: Backend, q: &PostQuery, paged: bool) {
    page_ids_in(sql, backend, q, paged, None);
}

pub(super) fn page_ids_in(
    sql: &mut Sql,
    backend: Backend,
    q: &PostQuery,
    paged: bool,
    since: Option<DateTime<Utc>>,
) {
    let dir = direction(q);
    match driver(q) {
        Driver::Plain => {
            let key = sort_column(q.sort);
            // "Favourited by" starts from the account's likes: look those up by id.
            let posts = if q.liked_by.is_some() { posts_by_id(backend, "p") } else { "post p".to_owned() };
            sql.push(&format!("SELECT p.post_id, {key} AS k FROM {posts} WHERE 1 = 1"));
            filters(sql, backend, q, Covered::Nothing);
            keyset(sql, q, key, "p.post_id");
            if paged {
                sql.push(&format!(" ORDER BY {key} {dir}, p.post_id {dir}"));
            }
        }
        Driver::Tag => {
            let posts = posts_by_id(backend, "p");
            sql.push(&format!(
                "SELECT t.post_id, t.sort_at AS k FROM post_tag t JOIN {posts} ON p.post_id = t.post_id WHERE t.tag = "
            ));
            sql.bind(Arg::Text(q.tag.clone().unwrap_or_default()));
            filters(sql, backend, q, Covered::Tag);
            keyset(sql, q, "t.sort_at", "t.post_id");
            if paged {
                sql.push(&format!(" ORDER BY t.sort_at {dir}, t.post_id {dir}"));
            }
        }
        Driver::Likes => {
            let posts = posts_by_id(backend, "p");
            sql.push(&format!(
                "SELECT l.post_id, l.sort_at AS k FROM post_like l JOIN {posts} ON p.post_id = l.post_id \
                 WHERE l.account_id = "
            ));
            account_named(sql, q.liked_by.as_deref().unwrap_or_default());
            filters(sql, backend, q, Covered::Liker);
            keyset(sql, q, "l.sort_at", "l.post_id");
            if paged {
                sql.push(&format!(" ORDER BY l.sort_at {dir}, l.post_id {dir}"));
            }
        }
        Driver::Feed => match since.filter(|_| paged) {
            Some(since) => feed_since(sql, backend, q, since),
            None => feed(sql, backend, q, paged),
        },
        Driver::Search => search(sql, backend, q, paged),
        Driver::Popular => popular(sql, backend, q, paged),
    }
    limit(sql, q, paged);
}

/// The newest matching posts of each followed author (at most a page plus
/// the offset each), merged. Cost: followed authors × page, whatever the
/// size of the table or of any one author's history.
fn feed(sql: &mut Sql, backend: Backend, q: &PostQuery, paged: bool) {
    let dir = direction(q);
    let key = sort_column(q.sort);
    let inner_key = key;
    let outer_key = key.replacen("p.", "fp.", 1);
    let follower = sql.param(Arg::Int(q.feed_of.map_or(-1, AccountId::get)));
    let per_author = q.limit + q.offset.unwrap_or(0).max(0);
    // SQLite has no lateral join, but re-runs a correlated `IN` subquery per
    // followed author, which is the same plan; it selects the id alone.
    let inner = |sql: &mut Sql, with_key: bool| {
        let columns = if with_key { format!("p.post_id, {inner_key} AS k") } else { "p.post_id".to_owned() };
        sql.push(&format!("SELECT {columns} FROM post p WHERE p.author_id = f.followee_id"));
        filters(sql, backend, q, Covered::Nothing);
        keyset(sql, q, inner_key, "p.post_id");
        if paged {
            sql.push(&format!(" ORDER BY {inner_key} {dir}, p.post_id {dir} LIMIT "));
            sql.bind(Arg::Int(per_author));
        }
    };
    match backend {
        Backend::Postgres => {
            sql.push("SELECT fp.post_id, fp.k FROM follow f CROSS JOIN LATERAL (");
            inner(sql, true);
            sql.push(&format!(") fp WHERE f.follower_id = {follower}"));
            if paged {
                sql.push(&format!(" ORDER BY fp.k {dir}, fp.post_id {dir}"));
            }
        }
        Backend::Sqlite => {
            let posts = posts_by_id(backend, "fp");
            sql.push(&format!(
                "SELECT fp.post_id, {outer_key} AS k FROM follow f JOIN {posts} ON fp.post_id IN ("
            ));
            inner(sql, false);
            sql.push(&format!(") WHERE f.follower_id = {follower}"));
            if paged {
                sql.push(&format!(" ORDER BY k {dir}, fp.post_id {dir}"));
            }
        }
    }
}

/// The feed within its window: each followed author's posts since then,
/// an index range each.
fn feed_since(sql: &mut Sql, backend: Backend, q: &PostQuery, since: DateTime<Utc>) {
    sql.push("SELECT p.post_id, p.sort_at AS k FROM follow f JOIN post p ON p.author_id = f.followee_id WHERE f.follower_id = ");
    sql.bind(Arg::Int(q.feed_of.map_or(-1, AccountId::get)));
    sql.push(" AND p.sort_at >= ");
    sql.bind(Arg::Time(since));
    filters(sql, backend, q, Covered::Nothing);
    keyset(sql, q, "p.sort_at", "p.post_id");
    sql.push(" ORDER BY p.sort_at DESC, p.post_id DESC");
}

/// The most recent [`SEARCH_CANDIDATES`] matches, ranked (relevance) or in
/// the requested order; other filters apply to those candidates.
fn search(sql: &mut Sql, backend: Backend, q: &PostQuery, paged: bool) {
    let text = search_text(q).unwrap_or_default().to_owned();
    let relevance = by_relevance(q);
    let dir = direction(q);
    let cap = sql.param(Arg::Int(SEARCH_CANDIDATES));
    match backend {
        Backend::Sqlite => {
            let query = fts5_query(&text);
            if query.is_empty() {
                // No words (only punctuation): FTS5 rejects an empty query, and it matches nothing.
                sql.push("SELECT p.post_id, p.sort_at AS k FROM post p WHERE 1 = 0");
                return;
            }
            let key = if relevance { "s.rank" } else { sort_column(q.sort) };
            let matches = sql.param(Arg::Text(query.clone()));
            let in_title = sql.param(Arg::Text(format!("{{title tags}} : ({query})")));
            let candidates = format!(
                "SELECT rowid AS post_id FROM post_fts WHERE post_fts MATCH {matches} ORDER BY rowid DESC LIMIT {cap}"
            );
            // Relevance without bm25: FTS5's bm25 counts every document of each
            // word on every query (30 ms for a word in every post at a million),
            // so candidates matching in the title or tags rank first, then
            // the rest, newest first within each. The title check is confined
            // to the candidates' id range, so it too reads a bounded stretch.
            let posts = posts_by_id(backend, "p");
            sql.push(&format!(
                "SELECT p.post_id, {key} AS k FROM (SELECT c.post_id, CASE WHEN c.post_id IN \
                 (SELECT rowid FROM post_fts WHERE post_fts MATCH {in_title} \
                  AND rowid >= (SELECT MIN(post_id) FROM ({candidates}))) THEN 0 ELSE 1 END AS rank \
                 FROM ({candidates}) c) s JOIN {posts} ON p.post_id = s.post_id WHERE 1 = 1"
            ));
            filters(sql, backend, q, Covered::Nothing);
            if relevance {
                if paged {
                    sql.push(" ORDER BY s.rank ASC, p.post_id DESC");
                }
            } else {
                keyset(sql, q, key, "p.post_id");
                if paged {
                    sql.push(&format!(" ORDER BY {key} {dir}, p.post_id {dir}"));
                }
            }
        }
        Backend::Postgres => {
            let tsquery = sql.param(Arg::Text(text));
            let key = if relevance {
                format!("ts_rank(p.search, websearch_to_tsquery('simple', {tsquery}))")
            } else {
                sort_column(q.sort).to_owned()
            };
            sql.push(&format!(
                "SELECT p.post_id, {key} AS k FROM (SELECT post_id FROM post \
                 WHERE search @@ websearch_to_tsquery('simple', {tsquery}) ORDER BY post_id DESC LIMIT {cap}) s \
                 JOIN post p ON p.post_id = s.post_id WHERE 1 = 1"
            ));
            filters(sql, backend, q, Covered::Nothing);
            if relevance {
                if paged {
                    sql.push(&format!(" ORDER BY {key} DESC, p.post_id DESC"));
                }
            } else {
                keyset(sql, q, &key, "p.post_id");
                if paged {
                    sql.push(&format!(" ORDER BY {key} {dir}, p.post_id {dir}"));
                }
            }
        }
    }
}

/// Posts by their views over the last 7 days, from the daily rollups of
/// that week only (so the cost follows the week's viewed posts, not the
/// table); posts nobody viewed that week are not listed. Pages by offset.
fn popular(sql: &mut Sql, backend: Backend, q: &PostQuery, paged: bool) {
    let today = Day::of(q.now);
    sql.push("SELECT p.post_id, v.views AS k FROM (SELECT post_id, SUM(views) AS views FROM post_daily_stats WHERE day >= ");
    sql.bind(Arg::Int(today.plus(-6).0));
    sql.push(" GROUP BY post_id HAVING SUM(views) > 0) v JOIN post p ON p.post_id = v.post_id WHERE 1 = 1");
    filters(sql, backend, q, Covered::Nothing);
    if let Some(follower) = q.feed_of {
        sql.push(" AND p.author_id IN (SELECT followee_id FROM follow WHERE follower_id = ");
        sql.bind(Arg::Int(follower.get()));
        sql.push(")");
    }
    if paged {
        let dir = direction(q);
        sql.push(&format!(" ORDER BY v.views {dir}, p.post_id {dir}"));
    }
}

/// How the second phase orders the page's rows (as the first did).
pub(super) fn outer_order(backend: Backend, q: &PostQuery) -> String {
    if by_relevance(q) {
        return match backend {
            Backend::Sqlite => " ORDER BY page.k ASC, page.post_id DESC".to_owned(),
            Backend::Postgres => " ORDER BY page.k DESC, page.post_id DESC".to_owned(),
        };
    }
    let dir = direction(q);
    format!(" ORDER BY page.k {dir}, page.post_id {dir}")
}
