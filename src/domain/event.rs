//! Domain events: what happened, by whom, to what. Services write one in the
//! same transaction as the change it describes (the outbox), so there is no
//! event without its change and no change without its event. The payload
//! carries ids and the names of changed fields, never secrets.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::post::closed_set;
use super::{AccountId, ApiKeyId, CommentId, PostId, ValidationError, WebhookId};

closed_set!(
    /// Every kind of event Herald records.
    EventType,
    "a known event type",
    {
        PostCreated => "post.created",
        PostUpdated => "post.updated",
        PostPublished => "post.published",
        PostScheduled => "post.scheduled",
        PostUnscheduled => "post.unscheduled",
        PostArchived => "post.archived",
        PostRestored => "post.restored",
        PostDeleted => "post.deleted",
        PostLiked => "post.liked",
        PostUnliked => "post.unliked",
        CommentCreated => "comment.created",
        CommentUpdated => "comment.updated",
        CommentDeleted => "comment.deleted",
        CommentHidden => "comment.hidden",
        CommentUnhidden => "comment.unhidden",
        UserRegistered => "user.registered",
        UserUpdated => "user.updated",
        UserFollowed => "user.followed",
        UserUnfollowed => "user.unfollowed",
        UserRoleChanged => "user.role_changed",
        UserDisabled => "user.disabled",
        UserEnabled => "user.enabled",
        ApiKeyCreated => "api_key.created",
        ApiKeyRevoked => "api_key.revoked",
        SessionReuseDetected => "session.reuse_detected",
        CategoryCreated => "category.created",
        CategoryUpdated => "category.updated",
        CategoryDeleted => "category.deleted",
        WebhookCreated => "webhook.created",
        WebhookUpdated => "webhook.updated",
        WebhookDeleted => "webhook.deleted",
        WebhookSecretRotated => "webhook.secret_rotated",
        WebhookDisabled => "webhook.disabled",
        WebhookPing => "webhook.ping",
    }
);

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Post(PostId),
    Comment { comment: CommentId, post: PostId },
    User(AccountId),
    ApiKey(ApiKeyId),
    Session(String),
    Category(String),
    Webhook(WebhookId),
}

impl Subject {
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Post(_) => "post",
            Subject::Comment { .. } => "comment",
            Subject::User(_) => "user",
            Subject::ApiKey(_) => "api_key",
            Subject::Session(_) => "session",
            Subject::Category(_) => "category",
            Subject::Webhook(_) => "webhook",
        }
    }

    pub fn id(&self) -> String {
        match self {
            Subject::Post(id) => id.to_string(),
            Subject::Comment { comment, .. } => comment.to_string(),
            Subject::User(id) => id.to_string(),
            Subject::ApiKey(id) => id.to_string(),
            Subject::Webhook(id) => id.to_string(),
            Subject::Session(id) | Subject::Category(id) => id.clone(),
        }
    }

    /// The post an event concerns, for the post's own history.
    pub fn post(&self) -> Option<PostId> {
        match self {
            Subject::Post(id) | Subject::Comment { post: id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Parses `kind:id` (as the audit filter takes it).
    pub fn parse_filter(field: &str, raw: &str) -> Result<(String, String), ValidationError> {
        let known = ["post", "comment", "user", "api_key", "session", "category", "webhook"];
        match raw.split_once(':') {
            Some((kind, id)) if known.contains(&kind) && !id.is_empty() => {
                Ok((kind.to_owned(), id.to_owned()))
            }
            _ => Err(ValidationError::new(field, "invalid", "must be <type>:<id>, e.g. post:42")),
        }
    }
}

/// An event about to be recorded.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_type: EventType,
    /// Who did it; `None` for the system (scheduled publishing, the CLI).
    pub actor: Option<AccountId>,
    pub subject: Subject,
    /// Ids and changed field names; never secrets.
    pub payload: Value,
}

impl NewEvent {
    pub fn new(
        event_type: EventType,
        actor: Option<AccountId>,
        subject: Subject,
        payload: Value,
    ) -> NewEvent {
        NewEvent { event_type, actor, subject, payload }
    }
}

/// A recorded event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    /// A UUIDv7: ordered by time.
    pub event_id: String,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<AccountId>,
    pub subject_type: String,
    pub subject_id: String,
    pub post_id: Option<PostId>,
    /// JSON.
    pub payload: String,
    /// Which kind of process wrote it: `api` (its own caches already know),
    /// `cli` or `worker`.
    pub origin: String,
    pub dispatched_at: Option<DateTime<Utc>>,
    /// Its place in the stream of dispatched events (none before dispatch).
    pub seq: Option<i64>,
}
