//! `comment`: discussion under posts, one level of replies.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx, args, exec};
use crate::domain::Comment;
use crate::domain::{AccountId, CommentId, PostId};

const SELECT: &str = "SELECT m.comment_id, m.post_id, m.author_id, m.parent_id, m.body, m.hidden, m.created_at,
           m.updated_at, a.username AS author_username, a.display_name AS author_display_name,
           a.bio AS author_bio, a.avatar_url AS author_avatar_url,
           EXISTS (SELECT 1 FROM follow f WHERE f.followee_id = m.author_id AND f.follower_id = $1) AS following_author
    FROM comment m JOIN account a ON a.account_id = m.author_id";

/// Comments of a post, oldest first, after comment id `after`; hidden ones
/// only when `include_hidden`.
pub async fn list(
    db: &Db,
    viewer: Option<AccountId>,
    post_id: PostId,
    include_hidden: bool,
    after: CommentId,
    limit: i64,
) -> Result<Vec<Comment>, StoreError> {
    let sql = format!(
        "{SELECT} WHERE m.post_id = $2 AND (m.hidden = $3 OR $4) AND m.comment_id > $5
         ORDER BY m.comment_id ASC LIMIT $6"
    );
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Comment>(sqlx::AssertSqlSafe(sql))
            .bind(viewer.map_or(-1, AccountId::get))
            .bind(post_id)
            .bind(false)
            .bind(include_hidden)
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
    }))
}

pub async fn find(
    db: &Db,
    viewer: Option<AccountId>,
    comment_id: CommentId,
) -> Result<Option<Comment>, StoreError> {
    let sql = format!("{SELECT} WHERE m.comment_id = $2");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Comment>(sqlx::AssertSqlSafe(sql))
            .bind(viewer.map_or(-1, AccountId::get))
            .bind(comment_id)
            .fetch_optional(pool)
            .await?
    }))
}

/// The parts of a comment that authorisation needs, read inside a write.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentOwner {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub author_id: AccountId,
    pub parent_id: Option<CommentId>,
}

pub async fn owner(tx: &mut Tx, comment_id: CommentId) -> Result<Option<CommentOwner>, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as::<_, CommentOwner>(
            "SELECT comment_id, post_id, author_id, parent_id FROM comment WHERE comment_id = $1",
        )
        .bind(comment_id)
        .fetch_optional(conn)
        .await?
    }))
}

pub async fn insert(
    tx: &mut Tx,
    post_id: PostId,
    author_id: AccountId,
    parent_id: Option<CommentId>,
    body: &str,
    now: DateTime<Utc>,
) -> Result<CommentId, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO comment (post_id, author_id, parent_id, body, hidden, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING comment_id",
        )
        .bind(post_id)
        .bind(author_id)
        .bind(parent_id)
        .bind(body)
        .bind(false)
        .bind(now)
        .fetch_one(conn)
        .await?
    }))
}

pub async fn update_body(
    tx: &mut Tx,
    comment_id: CommentId,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(
        tx,
        "UPDATE comment SET body = $2, updated_at = $3 WHERE comment_id = $1",
        args![comment_id, body, now],
    )
    .await?;
    Ok(())
}

pub async fn set_hidden(
    tx: &mut Tx,
    comment_id: CommentId,
    hidden: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(
        tx,
        "UPDATE comment SET hidden = $2, updated_at = $3 WHERE comment_id = $1",
        args![comment_id, hidden, now],
    )
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, comment_id: CommentId) -> Result<(), StoreError> {
    exec(tx, "DELETE FROM comment WHERE comment_id = $1", args![comment_id]).await?;
    Ok(())
}
