//! Actions on a post: workflow transitions, likes and revisions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, IfMatch, PathId, ValidJson};
use super::posts::{PROBLEM, PostView, with_etag};
use super::problem::{ApiError, Problem};
use crate::domain::PostId;
use crate::domain::Revision;
use crate::domain::Transition;
use crate::http::AppState;
use crate::service::Context;
use crate::service::posts;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(publish))
        .routes(routes!(schedule))
        .routes(routes!(unschedule))
        .routes(routes!(archive))
        .routes(routes!(restore))
        .routes(routes!(like, unlike))
        .routes(routes!(list_revisions))
        .routes(routes!(get_revision))
        .routes(routes!(restore_revision))
}

async fn act(
    ctx: &Context,
    actor: &crate::service::Actor,
    id: PostId,
    t: Transition,
    if_match: Option<i64>,
) -> Result<Response, ApiError> {
    Ok(with_etag(StatusCode::OK, posts::transition(ctx, actor, id, t, if_match).await?))
}

/// Publish now (from draft or scheduled).
#[utoipa::path(post, path = "/api/v1/posts/{id}/publish", tag = "workflow",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PostView),
        (status = 403, body = Problem, content_type = PROBLEM), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, description = "Not allowed from the current state", body = Problem, content_type = PROBLEM),
        (status = 412, body = Problem, content_type = PROBLEM)))]
async fn publish(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    PathId(id): PathId<PostId>,
    IfMatch(m): IfMatch,
) -> Result<Response, ApiError> {
    act(&ctx, &a, id, Transition::Publish, m).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ScheduleRequest {
    /// When the post becomes public (RFC 3339, in the future).
    publish_at: DateTime<Utc>,
}

/// Schedule a draft: it becomes public at `publish_at`.
#[utoipa::path(post, path = "/api/v1/posts/{id}/schedule", tag = "workflow", request_body = ScheduleRequest,
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PostView),
        (status = 403, body = Problem, content_type = PROBLEM), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 412, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
async fn schedule(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    PathId(id): PathId<PostId>,
    IfMatch(m): IfMatch,
    ValidJson(body): ValidJson<ScheduleRequest>,
) -> Result<Response, ApiError> {
    // Stored with microsecond precision on both databases.
    let at = chrono::SubsecRound::trunc_subsecs(body.publish_at, 6);
    act(&ctx, &a, id, Transition::Schedule(at), m).await
}

/// Return a scheduled post to draft.
#[utoipa::path(post, path = "/api/v1/posts/{id}/unschedule", tag = "workflow",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PostView), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 412, body = Problem, content_type = PROBLEM)))]
async fn unschedule(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    PathId(id): PathId<PostId>,
    IfMatch(m): IfMatch,
) -> Result<Response, ApiError> {
    act(&ctx, &a, id, Transition::Unschedule, m).await
}

/// Archive a published post (it stops being public).
#[utoipa::path(post, path = "/api/v1/posts/{id}/archive", tag = "workflow",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PostView), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 412, body = Problem, content_type = PROBLEM)))]
async fn archive(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    PathId(id): PathId<PostId>,
    IfMatch(m): IfMatch,
) -> Result<Response, ApiError> {
    act(&ctx, &a, id, Transition::Archive, m).await
}

/// Bring an archived post back as a draft.
#[utoipa::path(post, path = "/api/v1/posts/{id}/restore", tag = "workflow",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PostView), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 412, body = Problem, content_type = PROBLEM)))]
async fn restore(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    PathId(id): PathId<PostId>,
    IfMatch(m): IfMatch,
) -> Result<Response, ApiError> {
    act(&ctx, &a, id, Transition::Restore, m).await
}

/// Like a post (idempotent).
#[utoipa::path(put, path = "/api/v1/posts/{id}/like", tag = "posts", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PostView), (status = 401, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
async fn like(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    PathId(id): PathId<PostId>,
) -> Result<Response, ApiError> {
    Ok(with_etag(StatusCode::OK, posts::set_like(&ctx, &a, id, true).await?))
}

/// Remove your like (idempotent).
#[utoipa::path(delete, path = "/api/v1/posts/{id}/like", tag = "posts", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PostView), (status = 401, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
async fn unlike(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    PathId(id): PathId<PostId>,
) -> Result<Response, ApiError> {
    Ok(with_etag(StatusCode::OK, posts::set_like(&ctx, &a, id, false).await?))
}

/// One stored version of a post's title, body and excerpt.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RevisionView {
    pub revision: i64,
    pub title: String,
    pub body: String,
    pub excerpt: String,
    /// Who made the change (null if that account is gone).
    pub editor: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Revision> for RevisionView {
    fn from(r: Revision) -> Self {
        RevisionView {
            revision: r.revision_no,
            title: r.title,
            body: r.body,
            excerpt: r.excerpt,
            editor: r.editor_username,
            created_at: r.created_at,
        }
    }
}

/// Revisions of a post, newest first (its author and editors).
#[utoipa::path(get, path = "/api/v1/posts/{id}/revisions", tag = "revisions", params(("id" = i64, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<RevisionView>), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
async fn list_revisions(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    PathId(id): PathId<PostId>,
) -> Result<Json<Vec<RevisionView>>, ApiError> {
    Ok(Json(posts::revisions(&ctx, &a, id).await?.into_iter().map(Into::into).collect()))
}

/// One revision.
#[utoipa::path(get, path = "/api/v1/posts/{id}/revisions/{revision}", tag = "revisions",
    params(("id" = i64, Path), ("revision" = i64, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = RevisionView), (status = 404, body = Problem, content_type = PROBLEM)))]
async fn get_revision(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    Path((id, no)): Path<(String, String)>,
) -> Result<Json<RevisionView>, ApiError> {
    let (id, no) = (PostId::new(path_number(&id)?), path_number(&no)?);
    Ok(Json(posts::revision(&ctx, &a, id, no).await?.into()))
}

/// Restore a revision's text; the restore is itself a new revision.
#[utoipa::path(post, path = "/api/v1/posts/{id}/revisions/{revision}/restore", tag = "revisions",
    params(("id" = i64, Path), ("revision" = i64, Path), ("If-Match" = Option<String>, Header)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PostView), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 412, body = Problem, content_type = PROBLEM)))]
async fn restore_revision(
    State(ctx): State<Context>,
    AuthUser(a): AuthUser,
    Path((id, no)): Path<(String, String)>,
    IfMatch(m): IfMatch,
) -> Result<Response, ApiError> {
    let (id, no) = (PostId::new(path_number(&id)?), path_number(&no)?);
    Ok(with_etag(StatusCode::OK, posts::restore_revision(&ctx, &a, id, no, m).await?))
}

fn path_number(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no resource at this path"))
}
