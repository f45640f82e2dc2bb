//! One rule at the edge for text: characters Herald cannot store or show
//! never reach a service. PostgreSQL refuses NUL in text outright (SQLite
//! stores it and truncates it in places), and control characters in names,
//! tags or slugs make them impossible to show or type, so both databases
//! must see the same, already-clean input.
//!
//! - Path segments and query parameters are identifiers and filters: no C0
//!   control character and no DEL. A path that holds one cannot name
//!   anything (404); a query parameter that holds one is named in a 422.
//! - JSON strings, keys included, at any depth: no C0 control character but
//!   tab, line feed and carriage return, which free text (a Markdown body, a
//!   bio) legitimately has (422 naming the field). serde_json already refuses
//!   raw control bytes and lone surrogate escapes as malformed JSON (400), so
//!   only `\u00XX` escapes can carry one in.
//!
//! Stored headers would need the same care, but Herald stores none, and
//! hyper refuses control characters other than tab in header values.

use axum::http::{StatusCode, Uri};
use percent_encoding::percent_decode_str;

use super::problem::ApiError;
use crate::domain::ValidationError;

/// Refuses a path or query that carries a control character (the router's
/// `input_guard` middleware answers in the addressed surface's format).
pub(super) fn check_uri(uri: &Uri) -> Result<(), ApiError> {
    let path = percent_decode_str(uri.path()).collect::<Vec<u8>>();
    if std::str::from_utf8(&path).is_err() || path.iter().any(|&b| is_control(b)) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource"));
    }
    let Some(query) = uri.query() else { return Ok(()) };
    let mut errors = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name.chars().chain(value.chars()).any(|c| u8::try_from(c).is_ok_and(is_control)) {
            let field = printable(&name);
            if errors.iter().all(|e: &ValidationError| e.field != field) {
                errors.push(ValidationError::new(field, "invalid_characters", CONTROL_MESSAGE));
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

const CONTROL_MESSAGE: &str = "must not contain control characters (such as NUL)";

fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// A parameter's name as it can be shown: its control characters escaped.
fn printable(name: &str) -> String {
    name.chars().flat_map(char::escape_default).collect::<String>()
}

/// Refuses a JSON body with a character no text may have, naming the first
/// field (`user.bio`, `tags[2]`) that holds one.
pub(super) fn check_json_text(body: &[u8]) -> Result<(), ApiError> {
    // Only an escape can carry a control character into a valid document.
    if !body.windows(2).any(|w| w == b"\\u") {
        return Ok(());
    }
    // Fail closed: a body the generic parser cannot read (a number beyond
    // f64, nesting past its limit, in a field the target type would skip)
    // cannot be checked, so it is not let through.
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|err| {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("malformed JSON: {err}"))
    })?;
    match find_in_value(&value, "") {
        Some(field) => Err(ApiError::validation(vec![ValidationError::new(
            field,
            "invalid_characters",
            CONTROL_MESSAGE,
        )])),
        None => Ok(()),
    }
}

fn find_in_value(value: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    let here = || if at.is_empty() { "body".to_owned() } else { at.to_owned() };
    match value {
        Value::String(text) => text.chars().any(forbidden_in_text).then(here),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| find_in_value(item, &format!("{}[{i}]", here())))
        }
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let path = if at.is_empty() { printable(key) } else { format!("{at}.{}", printable(key)) };
            if key.chars().any(forbidden_in_text) { Some(path) } else { find_in_value(item, &path) }
        }),
        _ => None,
    }
}

fn forbidden_in_text(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn a_path_with_a_control_character_names_nothing() {
        let err = check_uri(&uri("/api/profiles/a%00b")).unwrap_err();
        assert_eq!(err.status(), StatusCode::NOT_FOUND);
        assert_eq!(check_uri(&uri("/api/profiles/a%0Ab")).unwrap_err().status(), StatusCode::NOT_FOUND);
        assert_eq!(check_uri(&uri("/api/profiles/%FF")).unwrap_err().status(), StatusCode::NOT_FOUND);
        assert!(check_uri(&uri("/api/profiles/j%C3%BCrgen%20x")).is_ok());
    }

    #[test]
    fn a_query_parameter_with_a_control_character_is_named() {
        let err = check_uri(&uri("/api/articles?limit=5&tag=a%00b&author=x%1F")).unwrap_err();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = err.problem().errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tag", "author"]);
        assert!(
            check_uri(&uri("/api/v1/posts?q=%E2%80%AEevil+%F0%9F%98%80")).is_ok(),
            "RTL marks and emoji are text"
        );
    }

    #[test]
    fn json_text_may_hold_tabs_and_newlines_but_no_other_control() {
        let named = |body: &[u8]| match check_json_text(body) {
            Ok(()) => None,
            Err(err) => err.problem().errors.first().map(|e| e.field.clone()),
        };
        assert_eq!(named(br#"{"user":{"bio":"a\tb\r\nc"}}"#), None);
        assert_eq!(named(br#"{"user":{"bio":"a\u0000b"}}"#).as_deref(), Some("user.bio"));
        assert_eq!(named(br#"{"tags":["ok","x\u001b"]}"#).as_deref(), Some("tags[1]"));
        assert_eq!(named(br#""\u0007""#).as_deref(), Some("body"));
        assert_eq!(named(br#"{"a\u0000":1}"#).as_deref(), Some("a\\u{0}"));
        assert_eq!(named(br#"{"bio":"a\\u0000 is how NUL is written"}"#), None);
    }

    #[test]
    fn a_body_the_check_cannot_read_is_refused_not_let_through() {
        // serde would skip `z` in a type without it; the check cannot parse it.
        let body = br#"{"article":{"body":"x\u0000y","z":1e400}}"#;
        assert_eq!(check_json_text(body).unwrap_err().status(), StatusCode::BAD_REQUEST);
        let deep = format!("{{\"a\":\"\\u0000\",\"z\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(check_json_text(deep.as_bytes()).unwrap_err().status(), StatusCode::BAD_REQUEST);
    }
}
