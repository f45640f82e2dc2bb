//! Public profiles and `follow`.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx, args, exec};
use crate::domain::AccountId;
use crate::domain::Profile;

pub async fn find_by_username(
    db: &Db,
    viewer: Option<AccountId>,
    username: &str,
) -> Result<Option<Profile>, StoreError> {
    let sql = "SELECT a.account_id, a.username, a.display_name, a.bio, a.avatar_url,
                      (SELECT COUNT(*) FROM follow f WHERE f.followee_id = a.account_id) AS follower_count,
                      (SELECT COUNT(*) FROM follow f WHERE f.follower_id = a.account_id) AS following_count,
                      EXISTS (SELECT 1 FROM follow f WHERE f.followee_id = a.account_id AND f.follower_id = $1)
                        AS following
               FROM account a WHERE lower(a.username) = lower($2) AND a.disabled = $3";
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Profile>(sql)
            .bind(viewer.map_or(-1, AccountId::get))
            .bind(username)
            .bind(false)
            .fetch_optional(pool)
            .await?
    }))
}

/// Following is idempotent in both directions.
pub async fn set_follow(
    tx: &mut Tx,
    follower_id: AccountId,
    followee_id: AccountId,
    follow: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = if follow {
        let sql = "INSERT INTO follow (follower_id, followee_id, created_at) VALUES ($1, $2, $3)
                   ON CONFLICT (follower_id, followee_id) DO NOTHING";
        exec(tx, sql, args![follower_id, followee_id, now]).await?
    } else {
        let sql = "DELETE FROM follow WHERE follower_id = $1 AND followee_id = $2";
        exec(tx, sql, args![follower_id, followee_id]).await?
    };
    Ok(changed == 1)
}
