//! `category`: editor-managed groupings of posts, and tag statistics.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx, args, exec};
use crate::domain::CategoryId;
use crate::domain::{Category, TagCount};

/// Categories with their published-post count, kept in `post_count`.
const SELECT: &str = "SELECT c.category_id, c.slug, c.name, c.description, c.created_at, c.updated_at,
        COALESCE((SELECT n.published FROM post_count n
                  WHERE n.scope = 'category' AND n.key = CAST(c.category_id AS TEXT)), 0) AS post_count
    FROM category c";

pub async fn list(db: &Db) -> Result<Vec<Category>, StoreError> {
    let sql = format!("{SELECT} ORDER BY c.name, c.category_id");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Category>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
    }))
}

pub async fn find_by_slug(db: &Db, slug: &str) -> Result<Option<Category>, StoreError> {
    let sql = format!("{SELECT} WHERE c.slug = $1");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Category>(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(pool).await?
    }))
}

/// The id of a category by slug, inside a write.
pub async fn id_by_slug(tx: &mut Tx, slug: &str) -> Result<Option<CategoryId>, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT category_id FROM category WHERE slug = $1")
            .bind(slug)
            .fetch_optional(conn)
            .await?
    }))
}

pub async fn insert(
    tx: &mut Tx,
    slug: &str,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<CategoryId, StoreError> {
    on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO category (slug, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
             RETURNING category_id",
        )
        .bind(slug)
        .bind(name)
        .bind(description)
        .bind(now)
        .fetch_one(conn)
        .await
    })
    .map_err(StoreError::unique("category"))
}

pub async fn update(
    tx: &mut Tx,
    category_id: CategoryId,
    slug: &str,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql =
        "UPDATE category SET slug = $2, name = $3, description = $4, updated_at = $5 WHERE category_id = $1";
    exec(tx, sql, args![category_id, slug, name, description, now])
        .await
        .map_err(StoreError::conflict_on("category"))?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, category_id: CategoryId) -> Result<(), StoreError> {
    exec(tx, "DELETE FROM category WHERE category_id = $1", args![category_id]).await?;
    Ok(())
}

/// Tags of published posts, most used first: a range of the maintained
/// counts, in the order of `post_count_top_idx`.
pub async fn tag_counts(db: &Db, limit: i64) -> Result<Vec<TagCount>, StoreError> {
    let sql = "SELECT key AS tag, published AS post_count FROM post_count
               WHERE scope = 'tag' AND published > 0 ORDER BY published DESC, key ASC LIMIT $1";
    Ok(on_pool!(db, read, |pool| sqlx::query_as::<_, TagCount>(sql).bind(limit).fetch_all(pool).await?))
}
