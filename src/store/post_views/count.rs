//! How many posts match a query. The common filters (none, an author, a
//! tag, a category, the feed) read the counts the database keeps in
//! `post_count` (see the read-model migration), and "favourited by" counts
//! the account's likes, which carry whether their post is published, so
//! their cost does not grow with the table; other filters count their
//! matches, which the plan bounds (a search counts at most its candidates).
//!
//! The counters count *published* posts. A scheduled post whose time has
//! come is public before the background publisher flips it; the service
//! publishes due posts before it counts, so the two agree.

use super::{PostQuery, backend_of, is_public, plan};
use crate::domain::{AccountId, PostStatus};
use crate::store::query::{Arg, Sql, bind_args};
use crate::store::{Db, StoreError};

/// A filter the counters keep a number for.
enum Scope<'a> {
    All,
    Author(&'a str),
    Tag(&'a str),
    Category(&'a str),
    /// The authors this account follows (published posts only).
    Feed(AccountId),
    /// The posts the account with this username likes.
    Liker(&'a str),
}

fn scope(q: &PostQuery) -> Option<Scope<'_>> {
    let other_filters = q.post_id.is_some()
        || q.sort == crate::domain::PostSort::Popular
        || plan::search_text(q).is_some()
        || q.platform.is_some()
        || q.content_type.is_some()
        || q.published_after.is_some()
        || q.published_before.is_some();
    let narrowing = [
        q.author.is_some(),
        q.tag.is_some(),
        q.category.is_some(),
        q.feed_of.is_some(),
        q.liked_by.is_some(),
    ];
    if other_filters || narrowing.iter().filter(|set| **set).count() > 1 {
        return None;
    }
    let published_only = match q.status {
        None => false,
        Some(PostStatus::Published) => true,
        Some(_) => return None,
    };
    Some(match (&q.author, &q.tag, &q.category, q.feed_of, &q.liked_by) {
        (Some(author), ..) => Scope::Author(author),
        (_, Some(tag), ..) => Scope::Tag(tag),
        (_, _, Some(category), ..) => Scope::Category(category),
        (_, _, _, Some(follower), _) if published_only => Scope::Feed(follower),
        (_, _, _, Some(_), _) => return None,
        (.., Some(liker)) => Scope::Liker(liker),
        _ => Scope::All,
    })
}

/// The number of posts matching `q`'s filters (ignoring cursor, offset and limit).
pub async fn count(db: &Db, q: &PostQuery) -> Result<i64, StoreError> {
    if let Some(scope) = scope(q) {
        return counted(db, q, &scope).await;
    }
    let mut all = q.clone();
    all.after = None;
    all.offset = None;
    let mut sql = Sql::new("SELECT COUNT(*) FROM (");
    plan::page_ids(&mut sql, backend_of(db), &all, false);
    sql.push(") m");
    let (text, args) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(text)), &args)
            .persistent(super::kept_prepared(backend_of(db), q))
            .fetch_one(pool)
            .await?
    }))
}

/// Reads the maintained count, adding the viewer's own unpublished posts
/// where the viewer may see them.
async fn counted(db: &Db, q: &PostQuery, scope: &Scope<'_>) -> Result<i64, StoreError> {
    let published_only = q.status == Some(PostStatus::Published);
    let all_statuses = q.viewer.sees_all && !published_only;
    let column = if all_statuses { "total" } else { "published" };
    let counter = |sql: &mut Sql, scope: &str| {
        sql.push(&format!("COALESCE((SELECT {column} FROM post_count WHERE scope = '{scope}' AND key = "));
    };
    let mut sql = Sql::new("SELECT ");
    match scope {
        // One counter lookup per followed author: as a join, PostgreSQL
        // hashed every author's counter (2.5 ms at 10,000 authors).
        Scope::Feed(follower) => {
            sql.push(&format!(
                "CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM (SELECT (SELECT c.{column} FROM post_count c \
                 WHERE c.scope = 'author' AND c.key = CAST(f.followee_id AS TEXT)) AS n \
                 FROM follow f WHERE f.follower_id = "
            ));
            sql.bind(Arg::Int(follower.get()));
            sql.push(") followed");
        }
        Scope::All => {
            counter(&mut sql, "all");
            sql.push("''), 0)");
        }
        Scope::Author(name) => {
            counter(&mut sql, "author");
            sql.push("CAST(");
            plan::account_named(&mut sql, name);
            sql.push(" AS TEXT)), 0)");
        }
        Scope::Tag(tag) => {
            counter(&mut sql, "tag");
            sql.bind(Arg::Text((*tag).to_owned()));
            sql.push("), 0)");
        }
        Scope::Category(slug) => {
            counter(&mut sql, "category");
            sql.push("CAST(");
            plan::category_named(&mut sql, slug);
            sql.push(" AS TEXT)), 0)");
        }
        // An index range of `post_like_listing_idx`, which carries `published`.
        Scope::Liker(name) => {
            sql.push("COUNT(*) FROM post_like l WHERE l.account_id = ");
            plan::account_named(&mut sql, name);
            if !all_statuses {
                sql.push(" AND l.published");
            }
        }
    }
    let mut n = scalar(db, sql).await?;
    if let (false, false, Some(me)) = (q.viewer.sees_all, published_only, q.viewer.account_id) {
        n += own_unpublished(db, q, me).await?;
    }
    Ok(n)
}

/// The viewer's own posts that are not public but match the query's
/// filters (at most the one the scope names): they see them in the
/// listing, so they count them too. Bounded by the viewer's own posts (an
/// index range).
async fn own_unpublished(db: &Db, q: &PostQuery, me: AccountId) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM post p WHERE p.author_id = ");
    sql.bind(Arg::Int(me.get()));
    let now = sql.param(Arg::Time(q.now));
    sql.push(&format!(" AND NOT {}", is_public(backend_of(db), &now)));
    plan::narrowing(&mut sql, q, plan::Covered::Nothing);
    scalar(db, sql).await
}

async fn scalar(db: &Db, sql: Sql) -> Result<i64, StoreError> {
    let (text, args) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(text)), &args).fetch_one(pool).await?
    }))
}
