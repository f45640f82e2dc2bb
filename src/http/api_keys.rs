//! `/api/v1/api-keys`: create (shown once), list and revoke API keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, PathId, ValidJson, ValidQuery};
use super::problem::{ApiError, Problem};
use crate::domain::ApiKey;
use crate::domain::ApiKeyId;
use crate::http::AppState;
use crate::service::Context;
use crate::service::api_keys::{self, NewKeyRequest};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_keys, create_key)).routes(routes!(revoke_key))
}

use super::problem::CONTENT_TYPE as PROBLEM;

/// An API key as listed: never the secret itself.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ApiKeyView {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        ApiKeyView {
            id: k.api_key_id.get(),
            account_id: k.account_id.get(),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CreatedApiKey {
    #[serde(flatten)]
    pub info: ApiKeyView,
    /// The key itself (`hk_…`). Shown only in this response; store it now.
    pub key: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ListParams {
    /// `true` lists every account's keys (admins only).
    all: Option<bool>,
}

/// List API keys (your own, or with `all=true` everyone's, for admins).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(ListParams),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = Vec<ApiKeyView>),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
    ))]
async fn list_keys(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidQuery(params): ValidQuery<ListParams>,
) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    let keys = api_keys::list(&ctx, &actor, params.all.unwrap_or(false)).await?;
    Ok(Json(keys.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateApiKey {
    name: Option<String>,
    /// Any of `read`, `write`, `admin` (`admin` ⊇ `write` ⊇ `read`).
    scopes: Option<Vec<String>>,
    /// Optional expiry (RFC 3339, in the future).
    expires_at: Option<DateTime<Utc>>,
}

/// Create an API key. The key acts as you, limited to its scopes.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateApiKey,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, body = CreatedApiKey),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn create_key(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidJson(body): ValidJson<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let request = NewKeyRequest { name: body.name, scopes: body.scopes, expires_at: body.expires_at };
    let created = api_keys::create(&ctx, &actor, &request).await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { info: created.key.into(), key: created.secret })))
}

/// Revoke an API key (yours, or anyone's for admins).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = i64, Path, description = "API key id")),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
    ))]
async fn revoke_key(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<ApiKeyId>,
) -> Result<StatusCode, ApiError> {
    api_keys::revoke(&ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
