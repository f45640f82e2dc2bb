//! Pure domain types and rules: no I/O, no HTTP, no SQL. Input is parsed into
//! these types at the edge, so code past the edge never re-validates.

mod account;
pub mod brief;
pub mod change;
mod common_passwords;
pub mod engagement;
pub mod event;
pub mod ids;
pub mod job;
pub mod listing;
pub mod post;
pub mod post_record;
pub mod records;
mod validation;
pub mod webhook;

pub use account::{AvatarUrl, Bio, DisplayName, Email, Password, Role, Scope, Username};
pub use brief::{Brief, LengthPreference, Tone};
pub use ids::{AccountId, ApiKeyId, BriefId, CategoryId, CommentId, DeliveryId, PostId, WebhookId};
pub use listing::{PageRequest, PostFilter, PostList, PostListParams, PostOrder, PostSort};
pub use post::{ContentType, Excerpt, Platform, PostBody, PostStatus, PostTitle, Slug, Tags, Transition};
pub use post_record::{NewPost, Platforms, PostFields, PostRecord, PostView, Revision};
pub use records::{Account, ApiKey, Category, Comment, Profile, TagCount};
pub use validation::{ValidationError, Validator};
