//! `/api/profiles/{username}` and following.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Profile, RwAuth, RwError, RwMaybeAuth};
use crate::cache::CacheTags;
use crate::domain;
use crate::http::AppState;
use crate::http::cache_tags;
use crate::service::Context;
use crate::service::profiles;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_profile)).routes(routes!(follow, unfollow))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProfileEnvelope {
    pub profile: Profile,
}

fn envelope(row: domain::Profile) -> Json<ProfileEnvelope> {
    Json(ProfileEnvelope {
        profile: Profile {
            username: row.username,
            bio: row.bio,
            image: row.avatar_url,
            following: row.following,
        },
    })
}

/// A profile (RealWorld).
#[utoipa::path(get, path = "/api/profiles/{username}", tag = "realworld", params(("username" = String, Path)),
    responses((status = 200, body = ProfileEnvelope), (status = 404, body = ErrorBody)))]
async fn get_profile(
    State(ctx): State<Context>,
    RwMaybeAuth(actor): RwMaybeAuth,
    Path(username): Path<String>,
) -> Result<(CacheTags, Json<ProfileEnvelope>), RwError> {
    Ok((cache_tags::profile(&username), envelope(profiles::get(&ctx, actor.as_ref(), &username).await?)))
}

/// Follow a user (RealWorld).
#[utoipa::path(post, path = "/api/profiles/{username}/follow", tag = "realworld", params(("username" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ProfileEnvelope), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn follow(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    Path(username): Path<String>,
) -> Result<Json<ProfileEnvelope>, RwError> {
    Ok(envelope(profiles::set_follow(&ctx, &actor, &username, true).await?))
}

/// Unfollow a user (RealWorld).
#[utoipa::path(delete, path = "/api/profiles/{username}/follow", tag = "realworld", params(("username" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ProfileEnvelope), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unfollow(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    Path(username): Path<String>,
) -> Result<Json<ProfileEnvelope>, RwError> {
    Ok(envelope(profiles::set_follow(&ctx, &actor, &username, false).await?))
}
