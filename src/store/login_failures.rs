//! `login_failure`: counters behind sign-in back-off.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx, args, exec};

/// The latest lock-out among `keys`, if any is still in force at `now`.
pub async fn locked_until(
    db: &Db,
    keys: &[&str],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut latest: Option<DateTime<Utc>> = None;
    for key in keys {
        let until: Option<Option<DateTime<Utc>>> = on_pool!(db, read, |pool| {
            sqlx::query_scalar("SELECT locked_until FROM login_failure WHERE throttle_key = $1")
                .bind(*key)
                .fetch_optional(pool)
                .await?
        });
        if let Some(until) = until.flatten().filter(|until| *until > now) {
            latest = Some(latest.map_or(until, |l| l.max(until)));
        }
    }
    Ok(latest)
}

/// Counts one more failure for `key` and returns the new count.
pub async fn record(tx: &mut Tx, key: &str, now: DateTime<Utc>) -> Result<i64, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO login_failure (throttle_key, failures, updated_at) VALUES ($1, 1, $2)
             ON CONFLICT (throttle_key) DO UPDATE SET failures = login_failure.failures + 1, updated_at = $2
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .fetch_one(conn)
        .await?
    }))
}

pub async fn lock_until(tx: &mut Tx, key: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
    exec(tx, "UPDATE login_failure SET locked_until = $2 WHERE throttle_key = $1", args![key, until]).await?;
    Ok(())
}

pub async fn clear(tx: &mut Tx, key: &str) -> Result<(), StoreError> {
    exec(tx, "DELETE FROM login_failure WHERE throttle_key = $1", args![key]).await?;
    Ok(())
}
