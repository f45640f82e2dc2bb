//! The RealWorld (Conduit) API under `/api`: a thin adapter that speaks the
//! spec's envelopes, field names and error body over the same services (and
//! so the same rules and SQL) as `/api/v1`. An article is a published post,
//! a profile is a user.

mod articles;
mod comments;
mod profiles;
mod users;

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use super::extract::{AuthUser, MaybeAuthUser, ValidJson, ValidQuery};
use super::problem::ApiError;
use crate::http::AppState;
use crate::service::Actor;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(users::router())
        .merge(profiles::router())
        .merge(articles::router())
        .merge(comments::router())
}

/// RealWorld timestamps always carry milliseconds (clients parse them with
/// a pattern that requires a fraction).
pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The spec's error body: `{"errors": {"field": ["message", …]}}`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ErrorBody {
    pub errors: BTreeMap<String, Vec<String>>,
}

/// Any error, rendered the RealWorld way. Statuses come from the one mapping
/// in `http::problem`, except that conflicts (taken e-mail, username, slug)
/// are 422 as the spec has them.
pub(super) struct RwError(ApiError);

/// The service's field names as a RealWorld client knows them, so that an
/// error lands next to the field the client sent.
const FIELD_NAMES: &[(&str, &str)] =
    &[("new_password", "password"), ("avatar_url", "image"), ("excerpt", "description"), ("tags", "tagList")];

/// `err` with its fields renamed to RealWorld's (`tags[2]` → `tagList[2]`).
pub(super) fn in_realworld_terms(err: crate::service::Error) -> crate::service::Error {
    let crate::service::Error::Validation(mut errors) = err else { return err };
    for error in &mut errors {
        for (ours, theirs) in FIELD_NAMES {
            if let Some(rest) = error.field.strip_prefix(ours)
                && (rest.is_empty() || rest.starts_with('['))
            {
                error.field = format!("{theirs}{rest}");
            }
        }
    }
    crate::service::Error::Validation(errors)
}

/// Whether a path is on the RealWorld surface (`/api/…` but not `/api/v1/…`),
/// whose errors take RealWorld's shape.
pub(super) fn is_realworld_path(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/")
}

impl<E: Into<ApiError>> From<E> for RwError {
    fn from(err: E) -> Self {
        RwError(err.into())
    }
}

impl IntoResponse for RwError {
    fn into_response(self) -> Response {
        let conflict = self.0.status() == StatusCode::CONFLICT;
        let response = self.0.into_response_with(|problem| {
            let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for error in &problem.errors {
                errors.entry(error.field.clone()).or_default().push(error.message.clone());
            }
            if errors.is_empty() {
                let detail = problem.detail.clone().unwrap_or_else(|| problem.title.clone());
                let (field, message) = match detail.split_once(": ") {
                    Some((field, message)) if conflict => (field.to_owned(), message.to_owned()),
                    _ => ("body".to_owned(), detail),
                };
                errors.insert(field, vec![message]);
            }
            Json(ErrorBody { errors }).into_response()
        });
        if conflict {
            let (mut parts, body) = response.into_parts();
            parts.status = StatusCode::UNPROCESSABLE_ENTITY;
            return Response::from_parts(parts, body);
        }
        response
    }
}

/// `Json<T>` with RealWorld-shaped rejections.
pub(super) struct RwJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for RwJson<T> {
    type Rejection = RwError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ValidJson(value) = ValidJson::<T>::from_request(req, state).await?;
        Ok(RwJson(value))
    }
}

/// `ValidQuery` with RealWorld's error shape.
pub(super) struct RwQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for RwQuery<T> {
    type Rejection = RwError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ValidQuery(value) = ValidQuery::<T>::from_request_parts(parts, state).await?;
        Ok(RwQuery(value))
    }
}

/// The signed-in user (`Authorization: Token <jwt>`, or any credential /api/v1 accepts).
pub(super) struct RwAuth(pub Actor);

impl FromRequestParts<AppState> for RwAuth {
    type Rejection = RwError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let AuthUser(actor) = AuthUser::from_request_parts(parts, state).await?;
        Ok(RwAuth(actor))
    }
}

pub(super) struct RwMaybeAuth(pub Option<Actor>);

impl FromRequestParts<AppState> for RwMaybeAuth {
    type Rejection = RwError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let MaybeAuthUser(actor) = MaybeAuthUser::from_request_parts(parts, state).await?;
        Ok(RwMaybeAuth(actor))
    }
}

/// `{"profile": …}` and the `author` of articles and comments.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Profile {
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
    pub following: bool,
}
