//! `/api/v1/auth/*`: register, log in, refresh, log out.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, ClientIp, ValidJson};
use super::problem::{ApiError, Problem};
use super::users::UserView;
use crate::http::AppState;
use crate::service::Context;
use crate::service::accounts::{self, Registration};
use crate::service::sessions::{self, Lifetime, SignedIn};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
}

/// A signed-in session: a short-lived access token and a single-use refresh token.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SessionView {
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
    /// Exchange at `/api/v1/auth/refresh` for a new pair; works once.
    pub refresh_token: String,
    pub user: UserView,
}

impl From<SignedIn> for SessionView {
    fn from(signed_in: SignedIn) -> Self {
        SessionView {
            token_type: "Bearer",
            access_token: signed_in.tokens.access_token,
            expires_in: signed_in.tokens.expires_in,
            refresh_token: signed_in.tokens.refresh_token,
            user: signed_in.account.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterRequest {
    email: Option<String>,
    /// 3–32 characters: letters, digits, `_`, `-`, `.`.
    username: Option<String>,
    /// 8–128 characters, not a common password.
    password: Option<String>,
    display_name: Option<String>,
}

use super::problem::CONTENT_TYPE as PROBLEM;

/// Create an account (when registration is open) and sign it in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, body = SessionView),
        (status = 403, description = "Registration is closed", body = Problem, content_type = PROBLEM),
        (status = 409, description = "E-mail or username taken", body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn register(
    State(ctx): State<Context>,
    ValidJson(body): ValidJson<RegisterRequest>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    let input = Registration {
        email: body.email,
        username: body.username,
        password: body.password,
        display_name: body.display_name,
    };
    let signed_in = accounts::register(&ctx, &input, Lifetime::Refreshed).await?;
    Ok((StatusCode::CREATED, Json(signed_in.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginRequest {
    /// E-mail address or username.
    login: String,
    password: String,
}

/// Sign in with e-mail or username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = SessionView),
        (status = 401, description = "Invalid credentials (unknown login or wrong password alike)",
            body = Problem, content_type = PROBLEM),
        (status = 403, description = "Account disabled", body = Problem, content_type = PROBLEM),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = Problem, content_type = PROBLEM),
    ))]
async fn login(
    State(ctx): State<Context>,
    ClientIp(ip): ClientIp,
    ValidJson(body): ValidJson<LoginRequest>,
) -> Result<Json<SessionView>, ApiError> {
    let signed_in = sessions::login(&ctx, &body.login, &body.password, ip, Lifetime::Refreshed).await?;
    Ok(Json(signed_in.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RefreshRequest {
    refresh_token: String,
}

/// Exchange a refresh token for a new token pair. Each refresh token works
/// once; presenting a used one ends its session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, body = SessionView),
        (status = 401, body = Problem, content_type = PROBLEM),
    ))]
async fn refresh(
    State(ctx): State<Context>,
    ValidJson(body): ValidJson<RefreshRequest>,
) -> Result<Json<SessionView>, ApiError> {
    Ok(Json(sessions::refresh(&ctx, &body.refresh_token).await?.into()))
}

/// End the current session (its access and refresh tokens stop working).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, description = "Called with an API key", body = Problem, content_type = PROBLEM),
    ))]
async fn logout(State(ctx): State<Context>, AuthUser(actor): AuthUser) -> Result<StatusCode, ApiError> {
    sessions::logout(&ctx, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End every session of the account, on every device.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "All sessions ended"),
        (status = 401, body = Problem, content_type = PROBLEM),
    ))]
async fn logout_all(State(ctx): State<Context>, AuthUser(actor): AuthUser) -> Result<StatusCode, ApiError> {
    sessions::logout_everywhere(&ctx, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
