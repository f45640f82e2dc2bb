//! `account`: users, their credentials' hash, role and profile.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx, dialect};
use crate::domain::Account;
use crate::domain::AccountId;
use crate::domain::Role;

/// The column list of `Account`, as a macro so queries stay `&'static str`.
macro_rules! columns {
    () => {
        "account_id, email, username, password_hash, role, display_name, bio, avatar_url, disabled, created_at, updated_at"
    };
}

/// What registration writes.
#[derive(Debug)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub display_name: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, new: &NewAccount<'_>, now: DateTime<Utc>) -> Result<Account, StoreError> {
    let sql = concat!(
        "INSERT INTO account (email, username, password_hash, role, display_name, disabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING ",
        columns!()
    );
    on_tx!(tx, |conn| {
        sqlx::query_as::<_, Account>(sql)
            .bind(new.email)
            .bind(new.username)
            .bind(new.password_hash)
            .bind(new.role.as_str())
            .bind(new.display_name)
            .bind(false)
            .bind(now)
            .fetch_one(conn)
            .await
    })
    .map_err(StoreError::unique("account"))
}

/// Whether another account (not `except`) already uses this e-mail.
pub async fn email_taken(tx: &mut Tx, email: &str, except: Option<AccountId>) -> Result<bool, StoreError> {
    let sql = "SELECT COUNT(*) FROM account WHERE lower(email) = lower($1) AND account_id <> $2";
    count_where(tx, sql, email, except).await
}

/// Whether another account (not `except`) already uses this username, in any case.
pub async fn username_taken(
    tx: &mut Tx,
    username: &str,
    except: Option<AccountId>,
) -> Result<bool, StoreError> {
    let sql = "SELECT COUNT(*) FROM account WHERE lower(username) = lower($1) AND account_id <> $2";
    count_where(tx, sql, username, except).await
}

async fn count_where(
    tx: &mut Tx,
    sql: &'static str,
    value: &str,
    except: Option<AccountId>,
) -> Result<bool, StoreError> {
    let count: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(sql).bind(value).bind(except.map_or(-1, AccountId::get)).fetch_one(conn).await?
    });
    Ok(count > 0)
}

pub async fn find_by_id(db: &Db, account_id: AccountId) -> Result<Option<Account>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM account WHERE account_id = $1");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Account>(sql).bind(account_id).fetch_optional(pool).await?
    }))
}

/// Looks an account up by e-mail or username, ignoring case.
pub async fn find_by_login(db: &Db, login: &str) -> Result<Option<Account>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM account WHERE lower(email) = lower($1) OR lower(username) = lower($1) LIMIT 1"
    );
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Account>(sql).bind(login).fetch_optional(pool).await?
    }))
}

/// Looks an account up by username (case-insensitively) inside a transaction.
pub async fn find_by_username_in(tx: &mut Tx, username: &str) -> Result<Option<Account>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM account WHERE lower(username) = lower($1)");
    Ok(on_tx!(tx, |conn| sqlx::query_as::<_, Account>(sql).bind(username).fetch_optional(conn).await?))
}

/// Reads an account inside a write transaction, locked against concurrent
/// updates until the transaction ends.
pub async fn lock(tx: &mut Tx, account_id: AccountId) -> Result<Account, StoreError> {
    let sql = format!(
        concat!("SELECT ", columns!(), " FROM account WHERE account_id = $1{}"),
        dialect::for_update(tx)
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as::<_, Account>(sqlx::AssertSqlSafe(sql)).bind(account_id).fetch_one(conn).await?
    }))
}

/// Writes every mutable column of `account` back (after `lock` and changes).
pub async fn update(tx: &mut Tx, account: &Account, now: DateTime<Utc>) -> Result<Account, StoreError> {
    let sql = concat!(
        "UPDATE account SET email = $2, username = $3, password_hash = $4, role = $5, display_name = $6,
                bio = $7, avatar_url = $8, disabled = $9, updated_at = $10
         WHERE account_id = $1 RETURNING ",
        columns!()
    );
    on_tx!(tx, |conn| {
        sqlx::query_as::<_, Account>(sql)
            .bind(account.account_id)
            .bind(&account.email)
            .bind(&account.username)
            .bind(&account.password_hash)
            .bind(account.role)
            .bind(&account.display_name)
            .bind(&account.bio)
            .bind(&account.avatar_url)
            .bind(account.disabled)
            .bind(now)
            .fetch_one(conn)
            .await
    })
    .map_err(StoreError::unique("account"))
}

/// Accounts in id order, after the cursor `after`.
pub async fn list_page(db: &Db, after: Option<AccountId>, limit: i64) -> Result<Vec<Account>, StoreError> {
    let sql =
        concat!("SELECT ", columns!(), " FROM account WHERE account_id > $1 ORDER BY account_id LIMIT $2");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Account>(sql)
            .bind(after.map_or(0, AccountId::get))
            .bind(limit)
            .fetch_all(pool)
            .await?
    }))
}
