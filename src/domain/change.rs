//! What a write changed, as far as readers can tell: services report these
//! after they commit, and whatever keeps derived copies (the response cache
//! today) reacts to exactly what changed instead of forgetting everything.

use chrono::{DateTime, Utc};

use super::PostId;

/// Where a post shows up in listings: enough to tell which listings a
/// change can add it to, drop it from or reorder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Visible to anonymous readers (published, or scheduled and due).
    pub public: bool,
    /// The author's username, lower-cased (listings filter by name).
    pub author: String,
    pub tags: Vec<String>,
    /// The category's slug.
    pub category: Option<String>,
    /// The listing key (publication time, else creation time).
    pub sort_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A post was created (`before` is `None`), changed, or deleted (`after`
    /// is `None`); what it looked like to listings before and after.
    Post { id: PostId, before: Option<Listed>, after: Option<Listed> },
    /// A post's derived data (its text analysis) was stored.
    Analysed { post: PostId },
    /// Someone liked or unliked a post.
    Liked { post: PostId },
    /// A post's comments changed (added, edited, hidden, deleted).
    Comments { post: PostId },
    /// An account's public profile changed (name, bio, image), or it was created.
    Profile { old_username: String, new_username: String },
    /// Who follows whom changed (follower counts on both profiles).
    Follow { follower: String, followee: String },
    /// A category was created, renamed or deleted.
    Category { old_slug: Option<String>, new_slug: Option<String> },
    /// Something with effects too wide to list (roles, disabled accounts).
    Everything,
}
