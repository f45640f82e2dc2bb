//! Use cases: domain rules and authorisation, over the store. No HTTP types and
//! no SQL here; every surface (REST v1, RealWorld, CLI) goes through it.
//! Each public use case is a `service.<module>.<function>` span at debug
//! level: it appears in exported traces, not in the logs.

pub mod accounts;
pub mod actor;
pub mod analysis;
pub mod analytics;
pub mod api_keys;
pub mod categories;
pub mod changes;
pub mod comments;
pub mod context;
pub mod dispatch;
pub mod event_stream;
pub mod events;
pub mod generation;
pub mod jobs;
pub mod keys;
pub mod maintenance;
pub mod nats_fanout;
pub mod posts;
pub mod profiles;
pub mod sessions;
pub mod webhooks;

use crate::domain::ValidationError;
use crate::store::StoreError;

pub use actor::{Actor, Credential, Presented};
pub use context::Context;

/// Why authentication failed; each maps to 401 with its own challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No credentials were sent.
    Missing,
    /// A token or key was sent but is malformed, expired, revoked or unknown.
    InvalidToken,
    /// Sign-in with a wrong login or password (never says which).
    InvalidCredentials,
}

/// What a use case can fail with. `http::problem` maps it to a status in one place.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Validation(Vec<ValidationError>),
    #[error("authentication failed: {0:?}")]
    Unauthorized(AuthFailure),
    #[error("forbidden: {reason}")]
    Forbidden { reason: &'static str },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("conflict: {detail}")]
    Conflict { detail: String },
    /// A list cursor that is not one Herald made for this order.
    #[error("malformed cursor")]
    MalformedCursor,
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("temporarily unavailable")]
    Unavailable,
    /// An upstream provider (the LLM) failed; `unavailable` when its circuit breaker is open.
    #[error("the {provider} provider failed: {detail}")]
    Upstream { provider: &'static str, detail: String, unavailable: bool },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    pub fn invalid(field: &str, code: &'static str, message: &str) -> Error {
        Error::Validation(vec![ValidationError::new(field, code, message)])
    }

    /// Whether this is the store's unique violation on `what`.
    pub fn is_conflict_on(&self, what: &str) -> bool {
        matches!(self, Error::Conflict { detail } if detail.strip_suffix(CONFLICT_SUFFIX) == Some(what))
    }
}

const CONFLICT_SUFFIX: &str = " already exists";

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Error::NotFound { what: "resource" },
            StoreError::Conflict { what } => Error::Conflict { detail: format!("{what}{CONFLICT_SUFFIX}") },
            StoreError::Busy => Error::Unavailable,
            StoreError::Unreachable(cause) => {
                tracing::warn!(error = %cause, "database connection failed");
                Error::Unavailable
            }
            other => Error::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<Vec<ValidationError>> for Error {
    fn from(errors: Vec<ValidationError>) -> Self {
        Error::Validation(errors)
    }
}
