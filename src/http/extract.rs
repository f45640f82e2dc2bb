//! Extractors that turn malformed input into our problem responses instead of
//! axum's plain-text rejections.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::problem::ApiError;
use crate::auth::AccessClaims;
use crate::domain::ValidationError;
use crate::http::AppState;
use crate::service::AuthFailure;
use crate::service::actor::{self, Actor, Presented};

/// `Json<T>` whose rejections are problem+json: 415 without a JSON content
/// type, 400 with the position of a syntax error, 422 naming the field whose
/// value has the wrong shape, 413 for an oversized body.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(unreadable_body(rejection.status()));
            }
            Err(_) => return Err(unreadable_body(StatusCode::BAD_REQUEST)),
        };
        super::input_guard::check_json_text(&bytes)?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ValidJson(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

/// `application/json` or any `application/*+json`, as axum's own check.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "expected a body with Content-Type: application/json",
    )
}

fn unreadable_body(status: StatusCode) -> ApiError {
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "bad_request" };
    ApiError::new(status, code, "the request body could not be read")
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => unsupported_media_type(),
        JsonRejection::JsonSyntaxError(_) => {
            let detail = serde_error(rejection).map_or_else(
                || "malformed JSON".to_owned(),
                |err| format!("malformed JSON: {}", err.inner()),
            );
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", detail)
        }
        JsonRejection::JsonDataError(_) => match serde_error(rejection) {
            Some(err) => ApiError::validation(vec![field_error(err)]),
            None => {
                ApiError::validation(vec![ValidationError::new("body", "invalid", "invalid JSON document")])
            }
        },
        JsonRejection::BytesRejection(_) => unreadable_body(rejection.status()),
        _ => unreadable_body(StatusCode::BAD_REQUEST),
    }
}

type PathError = serde_path_to_error::Error<serde_json::Error>;

/// Finds axum's underlying serde error, which knows the failing field's path.
fn serde_error(rejection: &JsonRejection) -> Option<&PathError> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(err) = source {
        if let Some(found) = err.downcast_ref::<PathError>() {
            return Some(found);
        }
        source = err.source();
    }
    None
}

/// One field error from a serde data error. serde reports missing and unknown
/// fields at their parent, so a missing field's name is taken from the message.
fn field_error(err: &PathError) -> ValidationError {
    let message = err.inner().to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    let named = |prefix: &str| {
        message.strip_prefix(prefix).and_then(|rest| rest.split('`').next()).map(str::to_owned)
    };
    let parent = err.path().to_string();
    let join = |name: String| {
        if parent == "." { name } else { format!("{parent}.{name}") }
    };
    if let Some(name) = named("missing field `") {
        ValidationError::new(join(name), "required", "this field is required")
    } else if named("unknown field `").is_some() {
        // Here the path already ends at the unknown field itself.
        ValidationError::new(parent, "unknown_field", message)
    } else {
        let field = if parent == "." { "body".to_owned() } else { parent };
        ValidationError::new(field, "invalid", message)
    }
}

/// The authenticated caller. Accepts `Authorization: Bearer <jwt|hk_key>`,
/// RealWorld's `Authorization: Token <jwt>`, and `X-API-Key: hk_…`; anything
/// missing or invalid is a 401 problem with a `WWW-Authenticate` challenge.
#[derive(Debug)]
pub struct AuthUser(pub Actor);

/// The caller if credentials were sent, `None` for anonymous requests;
/// invalid credentials are still a 401 rather than silently anonymous.
#[derive(Debug)]
pub struct MaybeAuthUser(pub Option<Actor>);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match MaybeAuthUser::from_request_parts(parts, state).await?.0 {
            Some(actor) => Ok(AuthUser(actor)),
            None => Err(ApiError::unauthorized(AuthFailure::Missing)),
        }
    }
}

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(MaybeAuthUser(Some(actor.clone())));
        }
        let Some(presented) = presented_credentials(&parts.headers)? else {
            return Ok(MaybeAuthUser(None));
        };
        let actor = match parts.extensions.get::<VerifiedToken>() {
            Some(VerifiedToken(claims)) => actor::authenticate_verified(&state.services, claims).await?,
            None => actor::authenticate(&state.services, &presented).await?,
        };
        tracing::Span::current().record("user_id", actor.account_id.get());
        parts.extensions.insert(actor.clone());
        Ok(MaybeAuthUser(Some(actor)))
    }
}

/// The claims of the request's access token, put in its extensions by the
/// rate limiter once it has checked the signature and expiry, so that they
/// are checked once per request.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedToken(pub(crate) AccessClaims);

/// The credential a request carries (`X-API-Key`, else `Authorization:
/// Bearer|Token`), without checking it; malformed headers are an error.
pub(crate) fn presented_credentials(headers: &HeaderMap) -> Result<Option<Presented>, ApiError> {
    let invalid = || ApiError::unauthorized(AuthFailure::InvalidToken);
    if let Some(value) = headers.get("x-api-key") {
        let key = value.to_str().map_err(|_| invalid())?.trim();
        return Ok(Some(Presented::ApiKey(key.to_owned())));
    }
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| invalid())?.trim();
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
    let token = token.trim();
    if token.is_empty() || !(scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")) {
        return Err(invalid());
    }
    Ok(Some(Presented::Bearer(token.to_owned())))
}

/// The client's IP address: the peer's, or the one a trusted proxy names in
/// `X-Forwarded-For`.
#[derive(Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        Ok(ClientIp(client_ip(peer, &parts.headers, &state.services.settings.http.trusted_proxies)))
    }
}

/// The `User-Agent` header, if any: one header, where `HeaderMap` would
/// copy them all.
#[derive(Debug)]
pub struct UserAgent(pub Option<axum::http::HeaderValue>);

impl UserAgent {
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_ref().and_then(|v| v.to_str().ok())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UserAgent {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(UserAgent(parts.headers.get(header::USER_AGENT).cloned()))
    }
}

/// `Query<T>` whose rejection is a 422 problem naming the parameter.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(ValidQuery).map_err(|err| {
            let field = err.path().to_string();
            let message = err.inner().to_string();
            let field =
                if field == "." { message.split('`').nth(1).unwrap_or("query").to_owned() } else { field };
            ApiError::validation(vec![ValidationError::new(field, "invalid", message)])
        })
    }
}

/// A path id that must be a positive integer; anything else is a 404, since
/// no such resource can exist.
#[derive(Debug)]
pub struct PathId<T>(pub T);

impl<S: Send + Sync, T: From<PositiveId>> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "no resource at this path");
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await.map_err(|_| not_found())?;
        positive_id(&raw).map(|id| PathId(PositiveId(id).into())).ok_or_else(not_found)
    }
}

/// A path segment that is a positive integer id; no resource has any other.
pub(crate) fn positive_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

/// An id as a path carries it: a positive integer, turned into the typed id
/// the handler names.
#[derive(Debug, Clone, Copy)]
pub struct PositiveId(pub i64);

macro_rules! from_path {
    ($($id:ty),+) => {
        $(impl From<PositiveId> for $id {
            fn from(raw: PositiveId) -> $id {
                <$id>::new(raw.0)
            }
        })+
    };
}

from_path!(
    crate::domain::PostId,
    crate::domain::CommentId,
    crate::domain::AccountId,
    crate::domain::ApiKeyId,
    crate::domain::WebhookId
);

impl From<PositiveId> for i64 {
    fn from(raw: PositiveId) -> i64 {
        raw.0
    }
}

/// The version a client expects, from `If-Match: "v<version>-<digest>"` (as
/// sent in our `ETag`; the digest part is ignored, since likes and comments
/// change it without changing the post). `None` without the header or for `*`; a value that names no
/// version of ours can never match and yields version 0.
#[derive(Debug)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
            return Ok(IfMatch(None));
        };
        let value = value.trim();
        if value == "*" {
            return Ok(IfMatch(None));
        }
        let version = value
            .split(',')
            .filter_map(|tag| {
                // `"v<version>"` or `"v<version>-<digest>"`: only the version counts.
                let inner = tag.trim().trim_start_matches("W/").strip_prefix("\"v")?.strip_suffix('"')?;
                inner.split('-').next()?.parse::<i64>().ok()
            })
            .next();
        Ok(IfMatch(Some(version.unwrap_or(0))))
    }
}

/// The `ETag` of a versioned resource.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"v{version}\""))
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the
/// nearest untrusted address in `X-Forwarded-For`.
pub(super) fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let hops: Vec<IpAddr> = forwarded.split(',').filter_map(|hop| hop.trim().parse().ok()).collect();
    Some(hops.into_iter().rev().find(|ip| !trusted.contains(ip)).unwrap_or(peer))
}
