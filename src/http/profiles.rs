//! `/api/v1/profiles/{username}` (public profiles, follow) and `/api/v1/feed`.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cache_tags;
use super::extract::{AuthUser, MaybeAuthUser, ValidQuery};
use super::posts::{PROBLEM, PostPage, page};
use super::problem::{ApiError, Problem};
use crate::cache::CacheTags;
use crate::domain::{PostListParams, PostStatus, Profile};
use crate::http::AppState;
use crate::service::Context;
use crate::service::{posts, profiles};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_profile)).routes(routes!(follow, unfollow)).routes(routes!(feed))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProfileView {
    pub username: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub follower_count: i64,
    pub following_count: i64,
    /// Whether the viewer follows this user.
    pub following: bool,
}

impl From<Profile> for ProfileView {
    fn from(p: Profile) -> Self {
        ProfileView {
            username: p.username,
            display_name: p.display_name,
            bio: p.bio,
            avatar_url: p.avatar_url,
            follower_count: p.follower_count,
            following_count: p.following_count,
            following: p.following,
        }
    }
}

/// A user's public profile.
#[utoipa::path(get, path = "/api/v1/profiles/{username}", tag = "profiles", params(("username" = String, Path)),
    security((), ("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ProfileView), (status = 404, body = Problem, content_type = PROBLEM)))]
async fn get_profile(
    State(ctx): State<Context>,
    MaybeAuthUser(actor): MaybeAuthUser,
    Path(username): Path<String>,
) -> Result<(CacheTags, Json<ProfileView>), ApiError> {
    Ok((cache_tags::profile(&username), Json(profiles::get(&ctx, actor.as_ref(), &username).await?.into())))
}

/// Follow a user (idempotent).
#[utoipa::path(put, path = "/api/v1/profiles/{username}/follow", tag = "profiles", params(("username" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ProfileView), (status = 401, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
async fn follow(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    Path(username): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    Ok(Json(profiles::set_follow(&ctx, &actor, &username, true).await?.into()))
}

/// Stop following a user (idempotent).
#[utoipa::path(delete, path = "/api/v1/profiles/{username}/follow", tag = "profiles", params(("username" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ProfileView), (status = 401, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
async fn unfollow(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    Path(username): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    Ok(Json(profiles::set_follow(&ctx, &actor, &username, false).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct FeedParams {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–100, default 20.
    limit: Option<i64>,
}

/// Published posts of the authors you follow, newest first.
#[utoipa::path(get, path = "/api/v1/feed", tag = "profiles", params(FeedParams),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PostPage), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM)))]
async fn feed(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidQuery(params): ValidQuery<FeedParams>,
) -> Result<Json<PostPage>, ApiError> {
    let paging = PostListParams { cursor: params.cursor, limit: params.limit, ..PostListParams::default() };
    let mut list = paging.parse().map_err(ApiError::validation)?;
    list.filter.status = Some(PostStatus::Published);
    list.filter.followed_by_viewer = true;
    let (_, page) = page(&list, posts::list(&ctx, Some(&actor), &list, false).await?);
    Ok(page)
}
