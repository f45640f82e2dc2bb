//! `/api/v1/users`: account administration (admins), and the user view
//! shared by every endpoint that returns an account.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, PathId, ValidJson, ValidQuery};
use super::problem::{ApiError, Problem};
use crate::domain::Account;
use crate::domain::AccountId;
use crate::http::AppState;
use crate::service::Context;
use crate::service::accounts::{self, AdminChanges, Target};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users)).routes(routes!(update_user))
}

/// An account as its owner and admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct UserView {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    /// `viewer`, `author`, `editor` or `admin`.
    pub role: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Account> for UserView {
    fn from(a: Account) -> Self {
        UserView {
            id: a.account_id.get(),
            email: a.email,
            username: a.username,
            display_name: a.display_name,
            bio: a.bio,
            avatar_url: a.avatar_url,
            role: a.role.as_str().to_owned(),
            disabled: a.disabled,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ListParams {
    /// Return accounts with an id greater than this (the previous page's `next_cursor`).
    after: Option<i64>,
    /// Page size, 1–100 (default 50).
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct UserPage {
    pub items: Vec<UserView>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<i64>,
}

/// List accounts (admins only).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListParams),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = UserPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_users(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidQuery(params): ValidQuery<ListParams>,
) -> Result<Json<UserPage>, ApiError> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::from(crate::service::Error::invalid(
            "limit",
            "out_of_range",
            "must be 1 to 100",
        )));
    }
    let mut accounts = accounts::list(&ctx, &actor, params.after.map(AccountId::new), limit + 1).await?;
    let more = crate::domain::listing::trim_to_page(&mut accounts, limit);
    let items: Vec<UserView> = accounts.into_iter().map(Into::into).collect();
    let next_cursor = if more { items.last().map(|u| u.id) } else { None };
    Ok(Json(UserPage { items, next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UserPatch {
    /// `viewer`, `author`, `editor` or `admin`.
    role: Option<String>,
    /// A disabled account cannot sign in and all its sessions end.
    disabled: Option<bool>,
}

/// Change an account's role or disable it (admins only).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    params(("id" = i64, Path, description = "Account id")),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_user(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<AccountId>,
    ValidJson(patch): ValidJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    let changes = AdminChanges { role: patch.role, disabled: patch.disabled };
    let account = accounts::administer(&ctx, &actor, &Target::Id(id), &changes).await?;
    Ok(Json(account.into()))
}
