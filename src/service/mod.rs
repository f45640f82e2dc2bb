//! Use cases: domain rules and authorisation, over the store. No HTTP types and
//! no SQL here; every surface (REST v1, RealWorld, CLI) goes through it.

use crate::domain::ValidationError;
use crate::store::StoreError;

/// What a use case can fail with. `http::problem` maps it to a status in one place.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Validation(Vec<ValidationError>),
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("conflict: {detail}")]
    Conflict { detail: String },
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("temporarily unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Error::NotFound { what: "resource" },
            StoreError::Conflict { what } => Error::Conflict { detail: format!("{what} already exists") },
            StoreError::Busy => Error::Unavailable,
            other => Error::Internal(anyhow::Error::new(other)),
        }
    }
}
