//! `category`: editor-managed groupings of posts, and tag statistics.

use chrono::{DateTime, Utc};

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

const SELECT: &str = "SELECT c.category_id, c.slug, c.name, c.description, c.created_at, c.updated_at,
           (SELECT COUNT(*) FROM post p WHERE p.category_id = c.category_id
              AND (p.status = 'published' OR (p.status = 'scheduled' AND p.publish_at <= $1))) AS post_count
    FROM category c";

pub async fn list(db: &Db, now: DateTime<Utc>) -> Result<Vec<CategoryRow>, StoreError> {
    let sql = format!("{SELECT} ORDER BY c.name, c.category_id");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, CategoryRow>(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(pool).await?
    }))
}

pub async fn find_by_slug(
    db: &Db,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<Option<CategoryRow>, StoreError> {
    let sql = format!("{SELECT} WHERE c.slug = $2");
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
    let sql = "SELECT t.tag, COUNT(*) AS post_count FROM post_tag t JOIN post p ON p.post_id = t.post_id
               WHERE p.status = 'published' OR (p.status = 'scheduled' AND p.publish_at <= $1)
               GROUP BY t.tag ORDER BY COUNT(*) DESC, t.tag ASC LIMIT $2";
    Ok(on_pool!(db, read, |pool| sqlx::query_as::<_, TagCount>(sql)
        .bind(now)
        .bind(limit)
        .fetch_all(pool)
        .await?))
}
