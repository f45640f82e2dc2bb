//! `/api/v1/me`: the caller's own account.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, ValidJson};
use super::problem::{ApiError, Problem};
use super::users::UserView;
use crate::http::AppState;
use crate::service::Context;
use crate::service::accounts::{self, ProfileChanges};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_me, update_me))
}

use super::problem::CONTENT_TYPE as PROBLEM;

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = UserView), (status = 401, body = Problem, content_type = PROBLEM)))]
async fn get_me(State(ctx): State<Context>, AuthUser(actor): AuthUser) -> Result<Json<UserView>, ApiError> {
    Ok(Json(accounts::me(&ctx, &actor).await?.into()))
}

/// Profile changes; an empty string clears `display_name`, `bio` or `avatar_url`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MePatch {
    display_name: Option<String>,
    bio: Option<String>,
    avatar_url: Option<String>,
    username: Option<String>,
    /// Requires `current_password`.
    email: Option<String>,
    /// Requires `current_password`; ends every other session.
    new_password: Option<String>,
    current_password: Option<String>,
}

/// Update the signed-in account.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = MePatch,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, description = "E-mail or username taken", body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn update_me(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidJson(patch): ValidJson<MePatch>,
) -> Result<Json<UserView>, ApiError> {
    let changes = ProfileChanges {
        display_name: patch.display_name,
        bio: patch.bio,
        avatar_url: patch.avatar_url,
        username: patch.username,
        email: patch.email,
        new_password: patch.new_password,
        current_password: patch.current_password,
        recent_sign_in_suffices: false,
    };
    Ok(Json(accounts::update_me(&ctx, &actor, &changes).await?.into()))
}
