//! `session` and `refresh_token`: sign-ins and their rotating refresh tokens.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx, args, exec};
use crate::domain::AccountId;

pub async fn create(
    tx: &mut Tx,
    session_id: &str,
    account_id: AccountId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(
        tx,
        "INSERT INTO session (session_id, account_id, created_at) VALUES ($1, $2, $3)",
        args![session_id, account_id, now],
    )
    .await?;
    Ok(())
}

/// Revokes one session; `false` if it was already revoked or does not exist.
pub async fn revoke(
    tx: &mut Tx,
    session_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql =
        "UPDATE session SET revoked_at = $2, revoke_reason = $3 WHERE session_id = $1 AND revoked_at IS NULL";
    Ok(exec(tx, sql, args![session_id, now, reason]).await? > 0)
}

/// Revokes every live session of an account except `keep`; returns how many.
pub async fn revoke_all(
    tx: &mut Tx,
    account_id: AccountId,
    keep: Option<&str>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let sql = "UPDATE session SET revoked_at = $2, revoke_reason = $3
               WHERE account_id = $1 AND revoked_at IS NULL AND session_id <> $4";
    exec(tx, sql, args![account_id, now, reason, keep.unwrap_or("")]).await
}

/// What access-token authentication needs to know about a session's owner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionOwner {
    pub account_id: AccountId,
    pub role: String,
    pub disabled: bool,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn find_owner(
    db: &Db,
    session_id: &str,
    account_id: AccountId,
) -> Result<Option<SessionOwner>, StoreError> {
    let sql = "SELECT a.account_id, a.role, a.disabled, s.revoked_at
               FROM session s JOIN account a ON a.account_id = s.account_id
               WHERE s.session_id = $1 AND s.account_id = $2";
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, SessionOwner>(sql).bind(session_id).bind(account_id).fetch_optional(pool).await?
    }))
}

/// When the session signed in (its creation; refreshes do not renew it).
pub async fn signed_in_at(db: &Db, session_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let sql = "SELECT created_at FROM session WHERE session_id = $1 AND revoked_at IS NULL";
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_scalar::<_, DateTime<Utc>>(sql).bind(session_id).fetch_optional(pool).await?
    }))
}

pub async fn insert_refresh_token(
    tx: &mut Tx,
    token_hash: &str,
    session_id: &str,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(
        tx,
        "INSERT INTO refresh_token (token_hash, session_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)",
        args![token_hash, session_id, issued_at, expires_at],
    )
    .await?;
    Ok(())
}

/// A refresh token with the state of its session and account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshToken {
    pub session_id: String,
    pub account_id: AccountId,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub session_revoked_at: Option<DateTime<Utc>>,
}

pub async fn find_refresh_token(tx: &mut Tx, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
    let sql = "SELECT t.session_id, s.account_id, t.expires_at, t.used_at, s.revoked_at AS session_revoked_at
               FROM refresh_token t JOIN session s ON s.session_id = t.session_id
               WHERE t.token_hash = $1";
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as::<_, RefreshToken>(sql).bind(token_hash).fetch_optional(conn).await?
    }))
}

/// Marks a refresh token used; `false` if someone used it first (a race
/// between two presentations of the same token counts as reuse).
pub async fn mark_refresh_token_used(
    tx: &mut Tx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE refresh_token SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL";
    Ok(exec(tx, sql, args![token_hash, now]).await? == 1)
}
