//! Read-through caching of anonymous reads under `/api`, and invalidation
//! on every successful write.
//!
//! Only requests without credentials are cached, so per-viewer data (liked,
//! favorited, following, one's own drafts) is never served to anyone else.
//! The cached value is the rendered JSON with its ETag, so a hit costs no
//! database query, no serialisation and no hashing.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::caching;
use crate::app::AppState;
use crate::cache::{Cached, Lookup};

const MAX_CACHED_BODY: usize = 1024 * 1024;

fn cacheable(request: &Request) -> bool {
    request.method() == Method::GET
        && request.uri().path().starts_with("/api/")
        && !request.headers().contains_key(header::AUTHORIZATION)
        && !request.headers().contains_key("x-api-key")
}

/// Path plus query parameters in a canonical order.
fn request_key(request: &Request) -> String {
    let mut pairs: Vec<&str> =
        request.uri().query().unwrap_or_default().split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_unstable();
    format!("{}?{}", request.uri().path(), pairs.join("&"))
}

pub async fn cache_reads(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    if !cacheable(&request) {
        let response = next.run(request).await;
        let write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        if write && response.status().is_success() {
            state.cache.bump().await;
        }
        return response;
    }
    let key = match state.cache.lookup(&request_key(&request)).await {
        Lookup::Key(key) => key,
        Lookup::Bypass => return next.run(request).await,
    };
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let (mut parts, _) = request.into_parts();
    parts.headers.remove(header::IF_NONE_MATCH);

    // The caller whose load turns out not to be cacheable (an error, a
    // redirect) still gets its own response.
    let uncached: Arc<Mutex<Option<Response>>> = Arc::default();
    let slot = Arc::clone(&uncached);
    let (loader_parts, loader_next) = (parts.clone(), next.clone());
    let cached = state
        .cache
        .get_or_load(&key, async move {
            let response = loader_next.run(Request::from_parts(loader_parts, Body::empty())).await;
            let json = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.starts_with("application/json"));
            if response.status() != StatusCode::OK || !json {
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(response);
                return None;
            }
            let (head, body) = response.into_parts();
            let body = axum::body::to_bytes(body, MAX_CACHED_BODY).await.ok()?;
            let text =
                |name| head.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
            Some(Cached { content_type: text(header::CONTENT_TYPE), etag: text(header::ETAG), body })
        })
        .await;
    let Some(cached) = cached else {
        if let Some(response) = uncached.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return response;
        }
        // Another request's load was not cacheable; make our own.
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    respond(&state, cached, if_none_match)
}

fn respond(state: &AppState, cached: Cached, if_none_match: Option<HeaderValue>) -> Response {
    let not_modified = match (&if_none_match, &cached.etag) {
        (Some(tags), Some(etag)) => tags.to_str().is_ok_and(|tags| caching::matches(tags, etag)),
        _ => false,
    };
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(cached.body));
        if let Some(value) = cached.content_type.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        response
    };
    let headers = response.headers_mut();
    if let Some(value) = cached.etag.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) =
        HeaderValue::from_str(&caching::public_cache_control(state.settings.http.cache_max_age_secs))
    {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.insert(header::VARY, caching::VARY_CREDENTIALS);
    response
}
