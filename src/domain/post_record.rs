//! The shapes of a stored post: the fields a writer sets (`PostFields`), a
//! new post (`NewPost`), the stored record (`PostRecord`), the record as
//! readers see it (`PostView`, which flattens the record), and revisions.
//! Each field is declared once; the store binds `PostFields` in one place
//! for inserts and updates alike.

use chrono::{DateTime, Utc};

use super::{AccountId, BriefId, CategoryId, ContentType, Platform, PostId, PostStatus, Tags};

/// The platforms a post is meant for, in the order given; stored as a
/// comma-separated list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Platforms(pub Vec<Platform>);

impl Platforms {
    pub fn as_slice(&self) -> &[Platform] {
        &self.0
    }

    /// The stored form (`blog,x`).
    pub fn joined(&self) -> String {
        self.0.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
    }

    fn from_stored(stored: &str) -> Result<Platforms, String> {
        let parsed: Result<Vec<Platform>, _> =
            stored.split(',').filter(|p| !p.is_empty()).map(|p| Platform::parse("platforms", p)).collect();
        parsed.map(Platforms).map_err(|_| format!("unknown platform in {stored:?}"))
    }
}

/// What a writer sets; what every insert and update of a post writes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostFields {
    pub slug: String,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub excerpt: String,
    /// Whether the excerpt was given (else it follows the body).
    pub excerpt_given: bool,
    pub status: PostStatus,
    pub publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub category_id: Option<CategoryId>,
    pub tags: Tags,
    pub platforms: Platforms,
    pub content_type: ContentType,
    /// JSON of `content::analysis::Analysis`, recomputed whenever the text changes.
    pub analysis: Option<String>,
}

/// A post about to be stored.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub author_id: AccountId,
    pub fields: PostFields,
    /// The generation brief it was drafted from.
    pub brief_id: Option<BriefId>,
    pub created_at: DateTime<Utc>,
}

/// A stored post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostRecord {
    pub post_id: PostId,
    pub author_id: AccountId,
    #[sqlx(flatten)]
    pub fields: PostFields,
    /// Increases with every change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub brief_id: Option<BriefId>,
}

/// A post as readers see it: the record, its author and category, its
/// counters and what the viewer has to do with it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostView {
    #[sqlx(flatten)]
    pub post: PostRecord,
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
    /// Search hit context, with matches between `\u{1}` and `\u{2}`: cut
    /// by the service from the body (`content::snippet`), not stored.
    #[sqlx(skip)]
    pub snippet: Option<String>,
}

impl PostView {
    pub fn id(&self) -> PostId {
        self.post.post_id
    }

    pub fn fields(&self) -> &PostFields {
        &self.post.fields
    }
}

/// One stored revision of a post's text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Revision {
    pub post_id: PostId,
    pub revision_no: i64,
    pub title: String,
    pub body: String,
    pub excerpt: String,
    pub editor_id: Option<AccountId>,
    pub editor_username: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Stores a list as comma-separated text (the items never contain commas).
macro_rules! list_codec {
    ($name:ident) => {
        crate::domain::ids::text_type!($name);

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            String: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, DB>>::encode(self.joined(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let raw = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok($name::from_stored(raw)?)
            }
        }
    };
}

list_codec!(Tags);
list_codec!(Platforms);
