//! RFC 9457 `application/problem+json`: the only place where errors become
//! HTTP statuses.
//!
//! Handlers return `ApiError`; its `IntoResponse` puts a `Problem` in the
//! response extensions. The `finalize` middleware, which knows the request id,
//! serialises it, logs internal causes once with their whole chain, and turns
//! any other bodiless or plain-text error (unknown route, wrong method, body
//! too large, timeout, panic) into a problem too. Clients never see internals.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::request_id::RequestId;
use crate::domain::ValidationError;
use crate::service;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// The problem document sent to clients.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI identifying the problem kind, e.g. `urn:herald:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The `X-Request-Id` of this request, to quote when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// One entry per invalid field (422 only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ValidationError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<Option<String>>) -> Problem {
        Problem {
            kind: format!("urn:herald:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            request_id: None,
            errors: Vec::new(),
        }
    }

    /// The problem for an error response that carries no problem of its own.
    fn for_bare_status(status: StatusCode) -> Problem {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no resource at this path"),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "this path does not support the method; see the Allow header")
            }
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body exceeds the size limit"),
            StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
                ("unavailable", "the server could not finish the request in time; retry later")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "unsupported Content-Type"),
            s if s.is_server_error() => ("internal", "an unexpected error occurred"),
            _ => ("bad_request", "the request could not be processed"),
        };
        Problem::new(status, code, detail.to_owned())
    }
}

/// An internal cause, carried to `finalize` for logging, never serialised.
#[derive(Clone)]
struct InternalCause(Arc<anyhow::Error>);

/// Every error a handler can return.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    problem: Box<Problem>,
    cause: Option<anyhow::Error>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            problem: Box::new(Problem::new(status, code, detail.into())),
            cause: None,
            headers: Vec::new(),
        }
    }

    /// 401 with the `WWW-Authenticate` challenge RFC 6750 prescribes.
    pub fn unauthorized(failure: service::AuthFailure) -> ApiError {
        use service::AuthFailure as F;
        let (code, detail, challenge) = match failure {
            F::Missing => ("unauthorized", "authentication required", "Bearer"),
            F::InvalidToken => (
                "invalid_token",
                "the access token or API key is invalid, expired or revoked",
                "Bearer error=\"invalid_token\"",
            ),
            F::InvalidCredentials => ("invalid_credentials", "invalid credentials", "Bearer"),
        };
        let mut err = ApiError::new(StatusCode::UNAUTHORIZED, code, detail);
        err.headers.push((header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge)));
        err
    }

    pub fn internal(cause: anyhow::Error) -> ApiError {
        let mut err =
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an unexpected error occurred");
        err.cause = Some(cause);
        err
    }

    pub fn validation(errors: Vec<ValidationError>) -> ApiError {
        let n = errors.len();
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            format!("{n} field(s) failed validation"),
        );
        err.problem.errors = errors;
        err
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Logs the internal cause, if any, where the error does not become the
    /// response itself (one item of a batch).
    pub fn log_cause(&self) {
        if let Some(cause) = &self.cause {
            tracing::error!(error = %format_args!("{cause:#}"), "internal error in one item of a batch");
        }
    }

    /// The problem this error would send.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// Renders the error with another body format (the RealWorld surface):
    /// status, headers and cause logging stay those of this error.
    pub fn into_response_with(self, body: impl FnOnce(&Problem) -> Response) -> Response {
        let rendered = body(&self.problem);
        let mut response = self.into_response();
        response.extensions_mut().remove::<Problem>();
        let (parts, _) = response.into_parts();
        let (body_parts, body) = rendered.into_parts();
        let mut response = Response::from_parts(parts, body);
        for (name, value) in &body_parts.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

impl From<service::Error> for ApiError {
    fn from(err: service::Error) -> Self {
        use service::Error as E;
        match err {
            E::Validation(errors) => ApiError::validation(errors),
            E::Unauthorized(failure) => ApiError::unauthorized(failure),
            E::Forbidden { reason } => ApiError::new(StatusCode::FORBIDDEN, "forbidden", reason),
            E::NotFound { what } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            E::Conflict { detail } => ApiError::new(StatusCode::CONFLICT, "conflict", detail),
            E::MalformedCursor => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_cursor",
                "cursor is malformed or belongs to another sort order",
            ),
            E::PreconditionFailed => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "the resource changed since you read it (If-Match did not match)",
            ),
            E::Unavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the server is busy; retry later",
            ),
            E::TooManyRequests { retry_after_secs } => {
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    format!("too many attempts; retry in {retry_after_secs} s"),
                );
                err.headers.push((header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1))));
                err
            }
            E::Upstream { provider, detail, unavailable } => {
                let (status, code, what) = if unavailable {
                    (StatusCode::SERVICE_UNAVAILABLE, "upstream_unavailable", "is unavailable")
                } else {
                    (StatusCode::BAD_GATEWAY, "upstream_failed", "failed")
                };
                ApiError::new(status, code, format!("the upstream `{provider}` provider {what}: {detail}"))
            }
            E::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(InternalCause(Arc::new(cause)));
        }
        response.extensions_mut().insert(*self.problem);
        response
    }
}

/// Middleware: writes problem bodies (with request id and path) and logs
/// internal causes. Successful responses and JSON error bodies pass unchanged.
pub async fn finalize(request: Request, next: Next) -> Response {
    let request_id = request.extensions().get::<RequestId>().map(|id| id.as_str().to_owned());
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;

    if let Some(InternalCause(cause)) = response.extensions_mut().remove::<InternalCause>() {
        // `{:#}` prints the whole cause chain on one line.
        tracing::error!(error.chain = %format_args!("{cause:#}"), "request failed with an internal error");
    }
    let status = response.status();
    let problem = match response.extensions_mut().remove::<Problem>() {
        Some(problem) => problem,
        None if (status.is_client_error() || status.is_server_error()) && !explains_itself(&response) => {
            Problem::for_bare_status(status)
        }
        None => return response,
    };
    let problem = Problem { instance: Some(path), request_id, ..problem };
    let (mut parts, _) = response.into_parts();
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    parts.headers.remove(header::CONTENT_LENGTH);
    if status == StatusCode::SERVICE_UNAVAILABLE && !parts.headers.contains_key(header::RETRY_AFTER) {
        parts.headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// Whether an error response already says what went wrong: JSON for the
/// API's clients, or a page for Studio's readers.
fn explains_itself(response: &Response) -> bool {
    response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        ct.starts_with("application/json") || ct.starts_with(CONTENT_TYPE) || ct.starts_with("text/html")
    })
}

/// Turns a panic caught by `CatchPanicLayer` into a 500 problem; the payload
/// is logged, never sent.
pub fn from_panic(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    ApiError::internal(anyhow::anyhow!("handler panicked: {message}")).into_response()
}
