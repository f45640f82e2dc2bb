//! `/api/articles/{slug}/comments`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Profile, RwAuth, RwError, RwJson, RwMaybeAuth, timestamp};
use crate::cache::CacheTags;
use crate::domain::{self, CommentId};
use crate::http::AppState;
use crate::http::cache_tags;
use crate::service::Context;
use crate::service::{Error, comments, posts};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_comments, add_comment)).routes(routes!(delete_comment))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Comment {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub body: String,
    pub author: Profile,
}

fn comment(c: domain::Comment) -> Comment {
    Comment {
        id: c.comment_id.get(),
        created_at: timestamp(c.created_at),
        updated_at: timestamp(c.updated_at),
        body: c.body,
        author: Profile {
            username: c.author_username,
            bio: c.author_bio,
            image: c.author_avatar_url,
            following: c.following_author,
        },
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CommentEnvelope {
    pub comment: Comment,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CommentsEnvelope {
    pub comments: Vec<Comment>,
}

/// The most comments returned for one article (RealWorld has no paging
/// here; `/api/v1/posts/{id}/comments` pages through all). Each response is
/// built in memory, so this bounds a response's size and the server's peak
/// memory when many clients read a heavily commented article at once (at
/// 1,000 the scale benchmark's peak RSS rose from 44 to 100 MB).
const MAX_COMMENTS: i64 = 300;

/// Comments of an article (RealWorld).
#[utoipa::path(get, path = "/api/articles/{slug}/comments", tag = "realworld", params(("slug" = String, Path)),
    responses((status = 200, body = CommentsEnvelope), (status = 404, body = ErrorBody)))]
async fn list_comments(
    State(ctx): State<Context>,
    RwMaybeAuth(actor): RwMaybeAuth,
    Path(slug): Path<String>,
) -> Result<(CacheTags, Json<CommentsEnvelope>), RwError> {
    let post = posts::published_by_slug(&ctx, actor.as_ref(), &slug).await?;
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let (rows, more) = comments::list(&ctx, actor.as_ref(), post.post.post_id, after, 100).await?;
        after = rows.last().map(|c| c.comment_id);
        all.extend(rows.into_iter().map(comment));
        if !more || all.len() >= usize::try_from(MAX_COMMENTS).unwrap_or(usize::MAX) {
            break;
        }
    }
    Ok((cache_tags::comments(post.post.post_id), Json(CommentsEnvelope { comments: all })))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct NewComment {
    body: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct CommentRequest {
    comment: Option<NewComment>,
}

/// Comment on an article (RealWorld).
#[utoipa::path(post, path = "/api/articles/{slug}/comments", tag = "realworld", params(("slug" = String, Path)),
    request_body = CommentRequest, security(("bearer" = [])),
    responses((status = 200, body = CommentEnvelope), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_comment(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    Path(slug): Path<String>,
    RwJson(body): RwJson<CommentRequest>,
) -> Result<Json<CommentEnvelope>, RwError> {
    let new = body
        .comment
        .ok_or_else(|| Error::invalid("comment", "required", "the body must be {\"comment\": {…}}"))?;
    let post = posts::published_by_slug(&ctx, Some(&actor), &slug).await?;
    let row = comments::create(&ctx, &actor, post.post.post_id, new.body.as_deref(), None).await?;
    Ok(Json(CommentEnvelope { comment: comment(row) }))
}

/// Delete a comment (its author or an editor; RealWorld).
#[utoipa::path(delete, path = "/api/articles/{slug}/comments/{id}", tag = "realworld",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_comment(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, RwError> {
    let id = CommentId::new(id.parse().map_err(|_| Error::NotFound { what: "comment" })?);
    let post = posts::published_by_slug(&ctx, Some(&actor), &slug).await?;
    comments::delete_on_post(&ctx, &actor, post.post.post_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
