//! `post_daily_stats`, `post_daily_referrer`, `post_daily_platform`: daily
//! engagement rollups, written by additive upserts and read by range.

use chrono::{DateTime, Utc};

use super::query::{Arg, Sql, bind_args};
use super::{Db, StoreError, Tx, args, dialect, exec, exec_on};
use crate::domain::engagement::{Day, DayRange, Totals};
use crate::domain::{AccountId, Platform, PostId};

/// The author of `post` while it is public (published, or scheduled and due).
pub async fn public_post_author(
    db: &Db,
    post: PostId,
    now: DateTime<Utc>,
) -> Result<Option<AccountId>, StoreError> {
    let sql = "SELECT author_id FROM post
               WHERE post_id = $1 AND (status = 'published' OR (status = 'scheduled' AND publish_at <= $2))";
    let found: Option<i64> = on_pool!(db, read, |pool| sqlx::query_scalar(sql)
        .bind(post.get())
        .bind(now)
        .fetch_optional(pool)
        .await?);
    Ok(found.map(AccountId::new))
}

/// Whose posts a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsScope {
    All,
    Author(AccountId),
    Post(PostId),
}

/// One post's sums over a range, for the top lists.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostSums {
    pub post_id: PostId,
    pub slug: String,
    pub title: String,
    pub views: i64,
    pub likes: i64,
    pub comments: i64,
    pub shares: i64,
}

/// One row of the export: a post on a day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub day: i64,
    pub post_id: PostId,
    pub slug: String,
    pub title: String,
    pub views: i64,
    pub visitors: i64,
    pub likes: i64,
    pub unlikes: i64,
    pub comments: i64,
    pub shares: i64,
    pub clicks: i64,
}

/// Which top list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopBy {
    Views,
    /// (likes + comments + shares) / views.
    EngagementRate,
}

const SUMS: &str = "CAST(COALESCE(SUM(s.views), 0) AS BIGINT) AS views, \
                    CAST(COALESCE(SUM(s.visitors), 0) AS BIGINT) AS visitors, \
                    CAST(COALESCE(SUM(s.likes), 0) AS BIGINT) AS likes, \
                    CAST(COALESCE(SUM(s.comments), 0) AS BIGINT) AS comments, \
                    CAST(COALESCE(SUM(s.shares), 0) AS BIGINT) AS shares, \
                    CAST(COALESCE(SUM(s.clicks), 0) AS BIGINT) AS clicks";

/// Adds views, visitors, shares and clicks of one post on one day. A post
/// deleted since the counts were taken is skipped (not an error).
pub async fn add_counts(
    tx: &mut Tx,
    post: PostId,
    day: Day,
    views: i64,
    visitors: i64,
    shares: i64,
    clicks: i64,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO post_daily_stats (post_id, day, views, visitors, shares, clicks)
               SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM post WHERE post_id = $1)
               ON CONFLICT (post_id, day) DO UPDATE SET
                   views = post_daily_stats.views + excluded.views,
                   visitors = post_daily_stats.visitors + excluded.visitors,
                   shares = post_daily_stats.shares + excluded.shares,
                   clicks = post_daily_stats.clicks + excluded.clicks";
    exec(tx, sql, args![post, day.0, views, visitors, shares, clicks]).await?;
    Ok(())
}

/// Adds likes, unlikes and comments (rolled up from events).
pub async fn add_interactions(
    tx: &mut Tx,
    post: PostId,
    day: Day,
    likes: i64,
    unlikes: i64,
    comments: i64,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO post_daily_stats (post_id, day, likes, unlikes, comments)
               SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM post WHERE post_id = $1)
               ON CONFLICT (post_id, day) DO UPDATE SET
                   likes = post_daily_stats.likes + excluded.likes,
                   unlikes = post_daily_stats.unlikes + excluded.unlikes,
                   comments = post_daily_stats.comments + excluded.comments";
    exec(tx, sql, args![post, day.0, likes, unlikes, comments]).await?;
    Ok(())
}

pub async fn add_referrer(
    tx: &mut Tx,
    post: PostId,
    day: Day,
    host: &str,
    views: i64,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO post_daily_referrer (post_id, day, host, views)
               SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM post WHERE post_id = $1)
               ON CONFLICT (post_id, day, host) DO UPDATE SET views = post_daily_referrer.views + excluded.views";
    exec(tx, sql, args![post, day.0, host, views]).await?;
    Ok(())
}

pub async fn add_platform(
    tx: &mut Tx,
    post: PostId,
    day: Day,
    platform: Platform,
    shares: i64,
    clicks: i64,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO post_daily_platform (post_id, day, platform, shares, clicks)
               SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM post WHERE post_id = $1)
               ON CONFLICT (post_id, day, platform) DO UPDATE SET
                   shares = post_daily_platform.shares + excluded.shares,
                   clicks = post_daily_platform.clicks + excluded.clicks";
    exec(tx, sql, args![post, day.0, platform.as_str(), shares, clicks]).await?;
    Ok(())
}

/// Whether dispatched events wait beyond consumer `name`'s position: read
/// on a reader connection, so a consumer with nothing to do takes no write
/// lock (a new event is seen on the next round).
pub async fn events_wait(db: &Db, name: &str) -> Result<bool, StoreError> {
    let sql = "SELECT EXISTS (SELECT 1 FROM event
                              WHERE seq > COALESCE((SELECT position FROM stream_cursor WHERE name = $1), 0))";
    Ok(on_pool!(db, read, |pool| sqlx::query_scalar::<_, bool>(sql).bind(name).fetch_one(pool).await?))
}

/// The position of stream consumer `name`, locked until `tx` ends so no
/// other instance rolls up the same events.
pub async fn lock_cursor(tx: &mut Tx, name: &str) -> Result<i64, StoreError> {
    let insert = "INSERT INTO stream_cursor (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING";
    exec(tx, insert, args![name]).await?;
    let sql = format!("SELECT position FROM stream_cursor WHERE name = $1{}", dialect::for_update(tx));
    Ok(on_tx!(&mut *tx, |conn| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(name).fetch_one(conn).await?
    }))
}

pub async fn move_cursor(tx: &mut Tx, name: &str, to: i64) -> Result<(), StoreError> {
    exec(tx, "UPDATE stream_cursor SET position = $2 WHERE name = $1", args![name, to]).await?;
    Ok(())
}

/// Dispatched events after `seq` in stream order: `(seq, type, post, when)`.
pub async fn events_after(
    tx: &mut Tx,
    seq: i64,
    limit: i64,
) -> Result<Vec<(i64, String, Option<i64>, DateTime<Utc>)>, StoreError> {
    let sql = "SELECT seq, event_type, post_id, occurred_at FROM event WHERE seq > $1 ORDER BY seq LIMIT $2";
    Ok(on_tx!(&mut *tx, |conn| sqlx::query_as(sql).bind(seq).bind(limit).fetch_all(conn).await?))
}

fn scoped(sql: &mut Sql, scope: StatsScope, range: DayRange) {
    sql.push(" WHERE s.day BETWEEN ");
    sql.bind(Arg::Int(range.from.0));
    sql.push(" AND ");
    sql.bind(Arg::Int(range.to.0));
    match scope {
        StatsScope::All => {}
        StatsScope::Author(author) => {
            sql.push(" AND p.author_id = ");
            sql.bind(Arg::Int(author.get()));
        }
        StatsScope::Post(post) => {
            sql.push(" AND s.post_id = ");
            sql.bind(Arg::Int(post.get()));
        }
    }
}

fn from_stats(scope: StatsScope) -> &'static str {
    match scope {
        StatsScope::Author(_) => " FROM post_daily_stats s JOIN post p ON p.post_id = s.post_id",
        StatsScope::All | StatsScope::Post(_) => " FROM post_daily_stats s",
    }
}

/// The sums of each day of `range` that has any row, oldest first.
pub async fn daily(db: &Db, scope: StatsScope, range: DayRange) -> Result<Vec<(i64, Totals)>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT s.day AS day, {SUMS}"));
    sql.push(from_stats(scope));
    scoped(&mut sql, scope, range);
    sql.push(" GROUP BY s.day ORDER BY s.day");
    let (text, values) = sql.into_parts();
    let rows: Vec<DayRow> = on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_as::<_, DayRow>(sqlx::AssertSqlSafe(text)), &values).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(|r| (r.day, r.sums)).collect())
}

#[derive(sqlx::FromRow)]
struct DayRow {
    day: i64,
    #[sqlx(flatten)]
    sums: Totals,
}

/// The `limit` posts with the most views (or the highest engagement rate)
/// over `range`; posts without a view are left out.
pub async fn top_posts(
    db: &Db,
    scope: StatsScope,
    range: DayRange,
    by: TopBy,
    limit: i64,
) -> Result<Vec<PostSums>, StoreError> {
    let mut sql = Sql::new(
        "SELECT s.post_id AS post_id, p.slug AS slug, p.title AS title, \
         CAST(SUM(s.views) AS BIGINT) AS views, CAST(SUM(s.likes) AS BIGINT) AS likes, \
         CAST(SUM(s.comments) AS BIGINT) AS comments, CAST(SUM(s.shares) AS BIGINT) AS shares \
         FROM post_daily_stats s JOIN post p ON p.post_id = s.post_id",
    );
    scoped(&mut sql, scope, range);
    sql.push(" GROUP BY s.post_id, p.slug, p.title HAVING SUM(s.views) > 0 ORDER BY ");
    sql.push(match by {
        TopBy::Views => "SUM(s.views) DESC, s.post_id DESC",
        TopBy::EngagementRate => {
            "(SUM(s.likes) + SUM(s.comments) + SUM(s.shares)) * 1.0 / SUM(s.views) DESC, \
             SUM(s.views) DESC, s.post_id DESC"
        }
    });
    sql.push(" LIMIT ");
    sql.bind(Arg::Int(limit));
    let (text, values) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_as::<_, PostSums>(sqlx::AssertSqlSafe(text)), &values).fetch_all(pool).await?
    }))
}

/// A post's top referring hosts over `range`, by views.
pub async fn referrers(
    db: &Db,
    post: PostId,
    range: DayRange,
    limit: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let sql = "SELECT host, CAST(SUM(views) AS BIGINT) FROM post_daily_referrer
               WHERE post_id = $1 AND day BETWEEN $2 AND $3
               GROUP BY host ORDER BY SUM(views) DESC, host LIMIT $4";
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as(sql)
            .bind(post.get())
            .bind(range.from.0)
            .bind(range.to.0)
            .bind(limit)
            .fetch_all(pool)
            .await?
    }))
}

/// A post's shares and clicks by platform over `range`.
pub async fn platforms(
    db: &Db,
    post: PostId,
    range: DayRange,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let sql =
        "SELECT platform, CAST(SUM(shares) AS BIGINT), CAST(SUM(clicks) AS BIGINT) FROM post_daily_platform
               WHERE post_id = $1 AND day BETWEEN $2 AND $3
               GROUP BY platform ORDER BY platform";
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as(sql).bind(post.get()).bind(range.from.0).bind(range.to.0).fetch_all(pool).await?
    }))
}

/// Up to `limit` export rows after `(day, post)`, in that order.
pub async fn export_page(
    db: &Db,
    scope: StatsScope,
    range: DayRange,
    after: Option<(i64, PostId)>,
    limit: i64,
) -> Result<Vec<ExportRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT s.day AS day, s.post_id AS post_id, p.slug AS slug, p.title AS title, s.views AS views, \
         s.visitors AS visitors, s.likes AS likes, s.unlikes AS unlikes, s.comments AS comments, \
         s.shares AS shares, s.clicks AS clicks \
         FROM post_daily_stats s JOIN post p ON p.post_id = s.post_id",
    );
    scoped(&mut sql, scope, range);
    if let Some((day, post)) = after {
        sql.push(" AND (s.day > ");
        let day = sql.bind(Arg::Int(day));
        sql.push(&format!(" OR (s.day = {day} AND s.post_id > "));
        sql.bind(Arg::Int(post.get()));
        sql.push("))");
    }
    sql.push(" ORDER BY s.day, s.post_id LIMIT ");
    sql.bind(Arg::Int(limit));
    let (text, values) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_as::<_, ExportRow>(sqlx::AssertSqlSafe(text)), &values).fetch_all(pool).await?
    }))
}

/// Views of each post over `range` (for `sort=popular`), most first.
pub async fn popular_posts(db: &Db, range: DayRange, limit: i64) -> Result<Vec<(PostId, i64)>, StoreError> {
    let sql = "SELECT post_id, CAST(SUM(views) AS BIGINT) FROM post_daily_stats WHERE day BETWEEN $1 AND $2
               GROUP BY post_id HAVING SUM(views) > 0 ORDER BY SUM(views) DESC, post_id DESC LIMIT $3";
    let rows: Vec<(i64, i64)> = on_pool!(db, read, |pool| {
        sqlx::query_as(sql).bind(range.from.0).bind(range.to.0).bind(limit).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(|(post, views)| (PostId::new(post), views)).collect())
}

/// Deletes rollups of days before `before`; returns the rows deleted.
pub async fn prune(db: &Db, before: Day) -> Result<u64, StoreError> {
    let mut deleted = 0;
    deleted += exec_on(db, "DELETE FROM post_daily_stats WHERE day < $1", args![before.0]).await?;
    deleted += exec_on(db, "DELETE FROM post_daily_referrer WHERE day < $1", args![before.0]).await?;
    deleted += exec_on(db, "DELETE FROM post_daily_platform WHERE day < $1", args![before.0]).await?;
    Ok(deleted)
}

/// Keeps only the `keep` hosts with most views of each post on `day` (a
/// closed day, which no longer grows).
pub async fn trim_referrers(db: &Db, day: Day, keep: i64) -> Result<u64, StoreError> {
    let sql = "DELETE FROM post_daily_referrer WHERE day = $1 AND EXISTS (
                   SELECT 1 FROM post_daily_referrer better
                   WHERE better.post_id = post_daily_referrer.post_id AND better.day = $1
                     AND (better.views > post_daily_referrer.views
                          OR (better.views = post_daily_referrer.views AND better.host < post_daily_referrer.host))
                   GROUP BY better.post_id HAVING COUNT(*) >= $2)";
    exec_on(db, sql, args![day.0, keep]).await
}
