//! `generation_brief`: the briefs that generated drafts were written from.

use chrono::{DateTime, Utc};

use super::{Db, StoreError};
use crate::domain::{AccountId, BriefId};

/// A brief as it was used, with who asked and who wrote.
#[derive(Debug, Clone)]
pub struct NewBrief<'a> {
    pub account_id: AccountId,
    pub brief_hash: &'a str,
    /// The normalised brief, as JSON.
    pub brief: &'a str,
    pub provider: &'a str,
    pub model: &'a str,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(db: &Db, brief: &NewBrief<'_>) -> Result<BriefId, StoreError> {
    let sql = "INSERT INTO generation_brief (account_id, brief_hash, brief, provider, model, created_at)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING brief_id";
    Ok(on_pool!(db, write, |pool| {
        sqlx::query_scalar(sql)
            .bind(brief.account_id)
            .bind(brief.brief_hash)
            .bind(brief.brief)
            .bind(brief.provider)
            .bind(brief.model)
            .bind(brief.created_at)
            .fetch_one(pool)
            .await?
    }))
}
