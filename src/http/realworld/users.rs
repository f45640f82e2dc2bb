//! `/api/users`, `/api/users/login`, `/api/user`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, RwAuth, RwError, RwJson};
use crate::domain::Account;
use crate::http::AppState;
use crate::http::extract::ClientIp;
use crate::service::Context;
use crate::service::accounts::{self, ProfileChanges, Registration};
use crate::service::sessions::Lifetime;
use crate::service::{Error, sessions};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(current_user, update_user))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct User {
    pub email: String,
    pub token: String,
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct UserEnvelope {
    pub user: User,
}

fn envelope(account: Account, token: String) -> Json<UserEnvelope> {
    Json(UserEnvelope {
        user: User {
            email: account.email,
            token,
            username: account.username,
            bio: account.bio,
            image: account.avatar_url,
        },
    })
}

/// The envelope every request body of the spec has: `{"user": {…}}`.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct UserRequest<T> {
    user: Option<T>,
}

fn unwrap_envelope<T>(request: UserRequest<T>) -> Result<T, RwError> {
    request.user.ok_or_else(|| Error::invalid("user", "required", "the body must be {\"user\": {…}}").into())
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct NewUser {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

/// Register (RealWorld).
#[utoipa::path(post, path = "/api/users", tag = "realworld", request_body = UserRequest<NewUser>,
    responses((status = 201, body = UserEnvelope), (status = 422, body = ErrorBody)))]
async fn register(
    State(ctx): State<Context>,
    RwJson(body): RwJson<UserRequest<NewUser>>,
) -> Result<(StatusCode, Json<UserEnvelope>), RwError> {
    let user = unwrap_envelope(body)?;
    let input = Registration {
        email: user.email,
        username: user.username,
        password: user.password,
        display_name: None,
    };
    let signed_in =
        accounts::register(&ctx, &input, Lifetime::LongLived).await.map_err(super::in_realworld_terms)?;
    Ok((StatusCode::CREATED, envelope(signed_in.account, signed_in.tokens.access_token)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct LoginUser {
    email: Option<String>,
    password: Option<String>,
}

/// Log in (RealWorld).
#[utoipa::path(post, path = "/api/users/login", tag = "realworld", request_body = UserRequest<LoginUser>,
    responses((status = 200, body = UserEnvelope), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn login(
    State(ctx): State<Context>,
    ClientIp(ip): ClientIp,
    RwJson(body): RwJson<UserRequest<LoginUser>>,
) -> Result<Json<UserEnvelope>, RwError> {
    let user = unwrap_envelope(body)?;
    let mut missing = Vec::new();
    for (field, value) in [("email", &user.email), ("password", &user.password)] {
        if value.as_deref().is_none_or(str::is_empty) {
            missing.push(crate::domain::ValidationError::new(field, "required", "can't be blank"));
        }
    }
    if !missing.is_empty() {
        return Err(Error::Validation(missing).into());
    }
    let (email, password) = (user.email.unwrap_or_default(), user.password.unwrap_or_default());
    let signed_in = sessions::login(&ctx, &email, &password, ip, Lifetime::LongLived).await?;
    Ok(envelope(signed_in.account, signed_in.tokens.access_token))
}

/// The credential the client authenticated with, echoed back as the spec wants.
fn presented_token(headers: &HeaderMap) -> String {
    crate::http::extract::presented_credentials(headers)
        .ok()
        .flatten()
        .map(|presented| presented.secret().to_owned())
        .unwrap_or_default()
}

/// The current user (RealWorld).
#[utoipa::path(get, path = "/api/user", tag = "realworld", security(("bearer" = [])),
    responses((status = 200, body = UserEnvelope), (status = 401, body = ErrorBody)))]
async fn current_user(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    headers: HeaderMap,
) -> Result<Json<UserEnvelope>, RwError> {
    let account = accounts::me(&ctx, &actor).await?;
    Ok(envelope(account, presented_token(&headers)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct UpdateUser {
    email: Option<String>,
    username: Option<String>,
    /// A new password (an empty string is ignored). Accepted alone within
    /// `recent_auth_secs` of signing in; later, `current_password` (an
    /// extension to the spec) is needed, or a fresh sign-in.
    password: Option<String>,
    current_password: Option<String>,
    image: Option<String>,
    bio: Option<String>,
}

/// Update the current user (RealWorld).
#[utoipa::path(put, path = "/api/user", tag = "realworld", request_body = UserRequest<UpdateUser>,
    security(("bearer" = [])),
    responses((status = 200, body = UserEnvelope), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    headers: HeaderMap,
    RwJson(body): RwJson<UserRequest<UpdateUser>>,
) -> Result<Json<UserEnvelope>, RwError> {
    let user = unwrap_envelope(body)?;
    let changes = ProfileChanges {
        display_name: None,
        bio: user.bio,
        avatar_url: user.image,
        username: user.username,
        email: user.email,
        new_password: user.password.filter(|p| !p.is_empty()),
        current_password: user.current_password,
        recent_sign_in_suffices: true,
    };
    let account = accounts::update_me(&ctx, &actor, &changes).await.map_err(super::in_realworld_terms)?;
    Ok(envelope(account, presented_token(&headers)))
}
