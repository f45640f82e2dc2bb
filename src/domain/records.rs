//! The stored entities as services hand them out: the store reads rows
//! into these shapes, services apply their rules to them, and the surfaces
//! render them. Posts have their own module (`post_view`).

use chrono::{DateTime, Utc};

use super::{AccountId, ApiKeyId, CategoryId, CommentId, PostId, Role};

/// One account row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub account_id: AccountId,
    pub email: String,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKey {
    pub api_key_id: ApiKeyId,
    pub account_id: AccountId,
    pub name: String,
    pub prefix: String,
    /// Comma-separated scope names.
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A category with the number of its public posts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Category {
    pub category_id: CategoryId,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub post_count: i64,
}

/// A tag and how many public posts carry it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TagCount {
    pub tag: String,
    pub post_count: i64,
}

/// A comment as readers see it (the comment view row).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub author_id: AccountId,
    pub parent_id: Option<CommentId>,
    pub body: String,
    pub hidden: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub author_bio: Option<String>,
    pub author_avatar_url: Option<String>,
    /// Whether the viewer follows the comment's author.
    pub following_author: bool,
}

/// An account as the public sees it (the profile view row).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Profile {
    pub account_id: AccountId,
    pub username: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub follower_count: i64,
    pub following_count: i64,
    /// Whether the viewer follows this account.
    pub following: bool,
}
