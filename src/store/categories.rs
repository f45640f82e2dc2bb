//! `category`: editor-managed groupings of posts, and tag statistics.

use chrono::{DateTime, Utc};

use super::post_views::is_public;
use super::{Db, StoreError, Tx};

/// A category with the number of its public posts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CategoryRow {
    pub category_id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub post_count: i64,
}

/// Categories with their public-post count; `$1` is the current time.
fn select() -> String {
    format!(
        "SELECT c.category_id, c.slug, c.name, c.description, c.created_at, c.updated_at,
                (SELECT COUNT(*) FROM post p WHERE p.category_id = c.category_id AND {}) AS post_count
         FROM category c",
        is_public("$1")
    )
}

pub async fn list(db: &Db, now: DateTime<Utc>) -> Result<Vec<CategoryRow>, StoreError> {
    let sql = format!("{} ORDER BY c.name, c.category_id", select());
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, CategoryRow>(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(pool).await?
    }))
}

pub async fn find_by_slug(
    db: &Db,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<Option<CategoryRow>, StoreError> {
    let sql = format!("{} WHERE c.slug = $2", select());
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, CategoryRow>(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(slug)
            .fetch_optional(pool)
            .await?
    }))
}

/// The id of a category by slug, inside a write.
pub async fn id_by_slug(tx: &mut Tx, slug: &str) -> Result<Option<i64>, StoreError> {
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
) -> Result<i64, StoreError> {
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
    category_id: i64,
    slug: &str,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE category SET slug = $2, name = $3, description = $4, updated_at = $5 WHERE category_id = $1",
        )
        .bind(category_id)
        .bind(slug)
        .bind(name)
        .bind(description)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    })
    .map_err(StoreError::unique("category"))
}

pub async fn delete(tx: &mut Tx, category_id: i64) -> Result<(), StoreError> {
    on_tx!(tx, |conn| {
        sqlx::query("DELETE FROM category WHERE category_id = $1")
            .bind(category_id)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// A tag and how many public posts carry it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TagCount {
    pub tag: String,
    pub post_count: i64,
}

/// Tags of public posts, most used first.
pub async fn tag_counts(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<TagCount>, StoreError> {
    let sql = format!(
        "SELECT t.tag, COUNT(*) AS post_count FROM post_tag t JOIN post p ON p.post_id = t.post_id
         WHERE {} GROUP BY t.tag ORDER BY COUNT(*) DESC, t.tag ASC LIMIT $2",
        is_public("$1")
    );
    Ok(on_pool!(db, read, |pool| sqlx::query_as::<_, TagCount>(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(pool)
        .await?))
}
