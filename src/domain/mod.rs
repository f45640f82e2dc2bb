//! Pure domain types and rules: no I/O, no HTTP, no SQL. Input is parsed into
//! these types at the edge, so code past the edge never re-validates.

mod validation;

pub use validation::{ValidationError, Validator};
