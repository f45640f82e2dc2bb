//! `instance_setting`: named values shared by every process on this database.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx, args, exec};

/// Reads a value, `None` if it was never set.
pub async fn find(db: &Db, name: &str) -> Result<Option<String>, StoreError> {
    let value = on_pool!(db, read, |pool| {
        sqlx::query_scalar::<_, String>("SELECT value FROM instance_setting WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?
    });
    Ok(value)
}

/// Sets a value, replacing any previous one.
pub async fn upsert(tx: &mut Tx, name: &str, value: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    exec(
        tx,
        "INSERT INTO instance_setting (name, value, created_at, updated_at) VALUES ($1, $2, $3, $3)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        args![name, value, now],
    )
    .await?;
    Ok(())
}

/// Stores `candidate` unless a value exists, and returns whichever value won.
/// Several instances starting at once therefore all end up with the same one.
pub async fn get_or_insert(
    db: &Db,
    name: &str,
    candidate: &str,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let mut tx = db.begin().await?;
    let value = on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO instance_setting (name, value, created_at, updated_at) VALUES ($1, $2, $3, $3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query_scalar::<_, String>("SELECT value FROM instance_setting WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?
    });
    tx.commit().await?;
    Ok(value)
}

/// Changes a value in one transaction: inserts `initial` if absent, reads
/// the value locked, and stores what `change` makes of it (`None`: keep).
/// Returns the value now stored.
pub async fn update_with(
    db: &Db,
    name: &str,
    initial: &str,
    now: DateTime<Utc>,
    change: impl FnOnce(&str) -> Option<String>,
) -> Result<String, StoreError> {
    let mut tx = db.begin().await?;
    exec(
        &mut tx,
        "INSERT INTO instance_setting (name, value, created_at, updated_at) VALUES ($1, $2, $3, $3)
             ON CONFLICT (name) DO NOTHING",
        args![name, initial, now],
    )
    .await?;
    let sql =
        format!("SELECT value FROM instance_setting WHERE name = $1{}", super::dialect::for_update(&tx));
    let current: String = on_tx!(&mut tx, |conn| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(name).fetch_one(&mut *conn).await?
    });
    let stored = match change(&current) {
        Some(value) => {
            upsert(&mut tx, name, &value, now).await?;
            value
        }
        None => current,
    };
    tx.commit().await?;
    Ok(stored)
}
