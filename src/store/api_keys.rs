//! `api_key`: long-lived, scoped credentials, stored as digests.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx, args, exec, exec_on};
use crate::domain::ApiKey;
use crate::domain::{AccountId, ApiKeyId};

macro_rules! columns {
    () => {
        "api_key_id, account_id, name, prefix, scopes, created_at, last_used_at, expires_at, revoked_at"
    };
}

#[derive(Debug)]
pub struct NewApiKey<'a> {
    pub account_id: AccountId,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(tx: &mut Tx, new: &NewApiKey<'_>, now: DateTime<Utc>) -> Result<ApiKey, StoreError> {
    let sql = concat!(
        "INSERT INTO api_key (account_id, name, prefix, key_hash, scopes, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        columns!()
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as::<_, ApiKey>(sql)
            .bind(new.account_id)
            .bind(new.name)
            .bind(new.prefix)
            .bind(new.key_hash)
            .bind(new.scopes)
            .bind(now)
            .bind(new.expires_at)
            .fetch_one(conn)
            .await?
    }))
}

/// An API key found by its digest, with its owner's state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyOwner {
    pub api_key_id: ApiKeyId,
    pub account_id: AccountId,
    pub scopes: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub role: String,
    pub disabled: bool,
}

pub async fn find_by_hash(db: &Db, key_hash: &str) -> Result<Option<KeyOwner>, StoreError> {
    let sql = "SELECT k.api_key_id, k.account_id, k.scopes, k.last_used_at, k.expires_at, k.revoked_at,
                      a.role, a.disabled
               FROM api_key k JOIN account a ON a.account_id = k.account_id
               WHERE k.key_hash = $1";
    Ok(on_pool!(db, read, |pool| sqlx::query_as::<_, KeyOwner>(sql)
        .bind(key_hash)
        .fetch_optional(pool)
        .await?))
}

pub async fn touch(db: &Db, api_key_id: ApiKeyId, now: DateTime<Utc>) -> Result<(), StoreError> {
    exec_on(db, "UPDATE api_key SET last_used_at = $2 WHERE api_key_id = $1", args![api_key_id, now]).await?;
    Ok(())
}

/// Keys of one account (or of every account), newest first.
pub async fn list(db: &Db, account_id: Option<AccountId>) -> Result<Vec<ApiKey>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM api_key WHERE ($1 IS NULL OR account_id = $1) ORDER BY api_key_id DESC"
    );
    Ok(on_pool!(db, read, |pool| sqlx::query_as::<_, ApiKey>(sql).bind(account_id).fetch_all(pool).await?))
}

pub async fn find(tx: &mut Tx, api_key_id: ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM api_key WHERE api_key_id = $1");
    Ok(on_tx!(tx, |conn| sqlx::query_as::<_, ApiKey>(sql).bind(api_key_id).fetch_optional(conn).await?))
}

pub async fn revoke(tx: &mut Tx, api_key_id: ApiKeyId, now: DateTime<Utc>) -> Result<(), StoreError> {
    exec(
        tx,
        "UPDATE api_key SET revoked_at = $2 WHERE api_key_id = $1 AND revoked_at IS NULL",
        args![api_key_id, now],
    )
    .await?;
    Ok(())
}
