//! Field-level validation errors, collected so a client learns about every
//! invalid field in one response.

use std::fmt;

/// One invalid input field: the field's name as the client sent it, a stable
/// machine-readable code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ValidationError {
    /// Name (or JSON path) of the offending field, e.g. `title` or `tags[3]`.
    pub field: String,
    /// Stable code such as `required`, `too_long`, `invalid`.
    pub code: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        ValidationError { field: field.into(), code, message: message.into() }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

/// Collects the outcome of parsing several fields, so that every error is
/// reported, and yields the parsed values only if all of them were valid.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<ValidationError>,
}

impl Validator {
    pub fn new() -> Self {
        Validator::default()
    }

    /// Records the error of a failed parse and returns the value otherwise.
    pub fn check<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.errors.push(err);
                None
            }
        }
    }

    /// `Ok(value)` when no check failed, every recorded error otherwise.
    /// `build` runs only in the success case, when each checked `Option` is `Some`.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Vec<ValidationError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        build().ok_or_else(|| {
            vec![ValidationError::new("body", "invalid", "the request could not be interpreted")]
        })
    }
}
