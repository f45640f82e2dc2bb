//! A post as readers see it, and its stored revisions.

use chrono::{DateTime, Utc};

/// A post as readers see it, with its author, category and counters.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostView {
    pub post_id: i64,
    pub author_id: i64,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub excerpt: String,
    pub status: String,
    pub publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub category_id: Option<i64>,
    pub tags: String,
    pub platforms: String,
    pub content_type: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// JSON of `content::analysis::Analysis`.
    pub analysis: Option<String>,
    pub brief_id: Option<i64>,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub author_bio: Option<String>,
    pub author_avatar_url: Option<String>,
    pub category_slug: Option<String>,
    pub category_name: Option<String>,
    pub like_count: i64,
    pub comment_count: i64,
    /// Whether the viewer likes it (false for anonymous viewers).
    pub liked: bool,
    /// Whether the viewer follows its author.
    pub following_author: bool,
    /// Search hit context, with matches between `\u{1}` and `\u{2}`.
    pub snippet: Option<String>,
}

/// One stored revision of a post's text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Revision {
    pub post_id: i64,
    pub revision_no: i64,
    pub title: String,
    pub body: String,
    pub excerpt: String,
    pub editor_id: Option<i64>,
    pub editor_username: Option<String>,
    pub created_at: DateTime<Utc>,
}
