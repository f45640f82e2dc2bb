//! Extractors that turn malformed input into our problem responses instead of
//! axum's plain-text rejections.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::problem::ApiError;
use crate::domain::ValidationError;

/// `Json<T>` whose rejections are problem+json: 415 without a JSON content
/// type, 400 with the position of a syntax error, 422 naming the field whose
/// value has the wrong shape, 413 for an oversized body.
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ValidJson(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected a body with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(_) => {
            let detail = serde_error(rejection)
                .map(|err| format!("malformed JSON: {}", err.inner()))
                .unwrap_or_else(|| "malformed JSON".to_owned());
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", detail)
        }
        JsonRejection::JsonDataError(_) => match serde_error(rejection) {
            Some(err) => ApiError::validation(vec![field_error(err)]),
            None => {
                ApiError::validation(vec![ValidationError::new("body", "invalid", "invalid JSON document")])
            }
        },
        JsonRejection::BytesRejection(_) => ApiError::new(
            rejection.status(),
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else {
                "bad_request"
            },
            "the request body could not be read",
        ),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "the request body could not be read"),
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
