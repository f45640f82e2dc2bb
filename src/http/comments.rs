//! Comments under posts: `/api/v1/posts/{id}/comments` and `/api/v1/comments/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cache_tags;
use super::extract::{AuthUser, MaybeAuthUser, PathId, ValidJson, ValidQuery};
use super::posts::{AuthorView, PROBLEM};
use super::problem::{ApiError, Problem};
use crate::cache::CacheTags;
use crate::domain::Comment;
use crate::domain::{CommentId, PostId};
use crate::http::AppState;
use crate::service::Context;
use crate::service::comments;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_comments, create_comment))
        .routes(routes!(edit_comment, delete_comment))
        .routes(routes!(hide_comment))
        .routes(routes!(unhide_comment))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CommentView {
    pub id: i64,
    pub post_id: i64,
    /// The comment this one replies to.
    pub parent_id: Option<i64>,
    pub body: String,
    pub author: AuthorView,
    /// Hidden comments are shown to editors only.
    pub hidden: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Comment> for CommentView {
    fn from(c: Comment) -> Self {
        CommentView {
            id: c.comment_id.get(),
            post_id: c.post_id.get(),
            parent_id: c.parent_id.map(CommentId::get),
            body: c.body,
            author: AuthorView {
                username: c.author_username,
                display_name: c.author_display_name,
                avatar_url: c.author_avatar_url,
                following: c.following_author,
            },
            hidden: c.hidden,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ListParams {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–100, default 50.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CommentPage {
    pub items: Vec<CommentView>,
    pub next_cursor: Option<String>,
}

/// Comments of a post, oldest first.
#[utoipa::path(get, path = "/api/v1/posts/{id}/comments", tag = "comments", params(("id" = i64, Path), ListParams),
    security((), ("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = CommentPage), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
async fn list_comments(
    State(ctx): State<Context>,
    MaybeAuthUser(actor): MaybeAuthUser,
    PathId(post_id): PathId<PostId>,
    ValidQuery(params): ValidQuery<ListParams>,
) -> Result<(CacheTags, Json<CommentPage>), ApiError> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(crate::service::Error::invalid("limit", "out_of_range", "must be 1 to 100").into());
    }
    let after = match params.cursor {
        Some(raw) => Some(raw.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_cursor", "cursor is malformed")
        })?),
        None => None,
    };
    let (rows, more) =
        comments::list(&ctx, actor.as_ref(), post_id, after.map(CommentId::new), limit).await?;
    let next_cursor = if more { rows.last().map(|c| c.comment_id.to_string()) } else { None };
    let page = CommentPage { items: rows.into_iter().map(Into::into).collect(), next_cursor };
    Ok((cache_tags::comments(post_id), Json(page)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateComment {
    /// 1–10,000 characters of plain text.
    body: Option<String>,
    /// Reply to this top-level comment of the same post.
    parent_id: Option<i64>,
}

/// Comment on a post (signed in).
#[utoipa::path(post, path = "/api/v1/posts/{id}/comments", tag = "comments", params(("id" = i64, Path)),
    request_body = CreateComment, security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = CommentView), (status = 401, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
async fn create_comment(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(post_id): PathId<PostId>,
    ValidJson(body): ValidJson<CreateComment>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let row =
        comments::create(&ctx, &actor, post_id, body.body.as_deref(), body.parent_id.map(CommentId::new))
            .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EditComment {
    body: Option<String>,
}

/// Edit a comment (its author or an editor).
#[utoipa::path(patch, path = "/api/v1/comments/{id}", tag = "comments", params(("id" = i64, Path)),
    request_body = EditComment, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = CommentView), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
async fn edit_comment(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<CommentId>,
    ValidJson(body): ValidJson<EditComment>,
) -> Result<Json<CommentView>, ApiError> {
    Ok(Json(comments::edit(&ctx, &actor, id, body.body.as_deref()).await?.into()))
}

/// Delete a comment (its author or an editor); its replies go with it.
#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "comments", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
async fn delete_comment(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<CommentId>,
) -> Result<StatusCode, ApiError> {
    comments::delete(&ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hide a comment from everyone but editors (editors only).
#[utoipa::path(post, path = "/api/v1/comments/{id}/hide", tag = "comments", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = CommentView), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
async fn hide_comment(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<CommentId>,
) -> Result<Json<CommentView>, ApiError> {
    Ok(Json(comments::set_hidden(&ctx, &actor, id, true).await?.into()))
}

/// Show a hidden comment again (editors only).
#[utoipa::path(post, path = "/api/v1/comments/{id}/unhide", tag = "comments", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = CommentView), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
async fn unhide_comment(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<CommentId>,
) -> Result<Json<CommentView>, ApiError> {
    Ok(Json(comments::set_hidden(&ctx, &actor, id, false).await?.into()))
}
