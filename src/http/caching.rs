//! HTTP caching for reads: an `ETag` over the response bytes (weak once
//! compressed), `304 Not
//! Modified` for a matching `If-None-Match`, and `Cache-Control` that lets
//! shared caches (a CDN, nginx) keep anonymous responses briefly while
//! personalised ones stay private.
//!
//! Versioned resources (posts) already carry `"v<version>"`; it is extended
//! to `"v<version>-<digest>"`, so `If-Match` keeps comparing versions while
//! `If-None-Match` also notices changed counters.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

/// Bodies larger than this are passed through without an ETag.
const MAX_BUFFERED: usize = 4 * 1024 * 1024;

/// How long shared caches may keep anonymous responses.
#[derive(Clone, Copy)]
pub(super) struct PublicMaxAge(pub u64);

fn credentials_sent(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION) || headers.contains_key("x-api-key")
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}

/// Responses vary with the credentials sent (they decide visibility and flags).
pub(super) const VARY_CREDENTIALS: HeaderValue = HeaderValue::from_static("Authorization, X-API-Key");

/// `Cache-Control` for an anonymous, shareable read.
pub(super) fn public_cache_control(max_age_secs: u64) -> String {
    format!("public, max-age={max_age_secs}")
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 wants here).
pub(super) fn matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|tag| bare(tag) == bare(etag))
}

/// Whether the client takes a compressed body (one of the encodings the
/// compression layer offers).
pub(super) fn accepts_compression(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| ["gzip", "br", "zstd"].iter().any(|e| v.contains(e)))
}

/// A compressed body is another representation of the resource whose bytes
/// the ETag was computed over, so its ETag is weak (RFC 9110 §8.8.1) — and
/// so is a 304's for a client that takes compression, to name what it holds.
/// `If-None-Match` already compares weakly; `If-Match` reads the version only.
pub(super) fn weaken_etag_if_compressed(response: &mut Response, compressing_client: bool) {
    let compressed = response.headers().contains_key(header::CONTENT_ENCODING);
    let not_modified = compressing_client && response.status() == StatusCode::NOT_MODIFIED;
    if !(compressed || not_modified) {
        return;
    }
    let Some(etag) = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()) else { return };
    if etag.starts_with("W/") {
        return;
    }
    if let Ok(weak) = HeaderValue::from_str(&format!("W/{etag}")) {
        response.headers_mut().insert(header::ETAG, weak);
    }
}

pub(super) async fn conditional_get(
    State(max_age): State<PublicMaxAge>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let if_none_match =
        request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let personal = credentials_sent(request.headers());
    let health = request.uri().path().starts_with("/health/");
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || !is_json(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BUFFERED).await else {
        tracing::warn!("response body too large or failed while computing its ETag");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let digest = Sha256::digest(&bytes);
    let digest: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let etag = match parts.headers.get(header::ETAG).and_then(|v| v.to_str().ok()) {
        Some(version) => format!("{}-{digest}\"", version.trim_end_matches('"')),
        None => format!("\"{digest}\""),
    };
    let cache_control = if health {
        "no-store".to_owned()
    } else if personal {
        "private, no-store".to_owned()
    } else {
        public_cache_control(max_age.0)
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&cache_control) {
        parts.headers.insert(header::CACHE_CONTROL, value);
    }
    parts.headers.append(header::VARY, VARY_CREDENTIALS);
    if if_none_match.is_some_and(|tags| matches(&tags, &etag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        assert!(matches("\"abc\"", "\"abc\""));
        assert!(matches("W/\"abc\"", "\"abc\""));
        assert!(matches("\"x\", \"abc\"", "\"abc\""));
        assert!(matches("*", "\"abc\""));
        assert!(!matches("\"abd\"", "\"abc\""));
    }
}
