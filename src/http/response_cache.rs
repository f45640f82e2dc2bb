//! Read-through caching of anonymous reads under `/api`. Each handler
//! declares what its response depends on (`CacheTags` in the response's
//! extensions); writes invalidate through the services' change feed, so a
//! response is reloaded only when something it shows has changed. A
//! response that declares nothing is reloaded after any write.
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
use crate::cache::{CacheTags, Cached, Lookup, tags};
use crate::http::AppState;

const MAX_CACHED_BODY: usize = 1024 * 1024;

pub(super) fn cacheable(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::GET
        && path.starts_with("/api/")
        // Each request of the pixel is a view to count, never a copy to keep.
        && !path.ends_with("/pixel.gif")
        && !request.headers().contains_key(header::AUTHORIZATION)
        && !request.headers().contains_key("x-api-key")
}

/// Path plus query parameters in a canonical order.
pub(super) fn request_key(request: &Request) -> String {
    let mut pairs: Vec<&str> =
        request.uri().query().unwrap_or_default().split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_unstable();
    format!("{}?{}", request.uri().path(), pairs.join("&"))
}

pub(super) async fn cache_reads(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.cache.enabled() || !cacheable(&request) {
        return next.run(request).await;
    }
    let key = request_key(&request);
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let (mut parts, _) = request.into_parts();
    parts.headers.remove(header::IF_NONE_MATCH);

    // The caller whose load turns out not to be cacheable (an error, a
    // redirect) still gets its own response.
    let uncached: Arc<Mutex<Option<Response>>> = Arc::default();
    let slot = Arc::clone(&uncached);
    let (loader_parts, loader_next) = (parts.clone(), next.clone());
    let lookup = state
        .cache
        .get_or_load(&key, async move {
            let response = loader_next.run(Request::from_parts(loader_parts, Body::empty())).await;
            let json = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.starts_with("application/json"));
            if response.status() != StatusCode::OK || !json {
                *slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(response);
                return None;
            }
            let (head, body) = response.into_parts();
            let depends_on = match head.extensions.get::<CacheTags>() {
                Some(CacheTags(declared)) => declared.clone(),
                None => vec![tags::WRITES.to_owned()],
            };
            let body = axum::body::to_bytes(body, MAX_CACHED_BODY).await.ok()?;
            let text =
                |name| head.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
            Some(Cached {
                content_type: text(header::CONTENT_TYPE),
                content_encoding: None,
                etag: text(header::ETAG),
                body,
                tags: depends_on.into(),
                stamp: 0,
                verified: Arc::default(),
            })
        })
        .await;
    match lookup {
        Lookup::Found(cached) => respond(&state, cached, if_none_match),
        Lookup::NotCacheable => {
            let own = uncached.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
            match own {
                Some(response) => response,
                // Another request's load was not cacheable; make our own.
                None => next.run(restore(parts, if_none_match)).await,
            }
        }
        Lookup::Bypass | Lookup::Overtaken => next.run(restore(parts, if_none_match)).await,
    }
}

/// The request as it came (with its `If-None-Match`), for the handler itself.
fn restore(mut parts: axum::http::request::Parts, if_none_match: Option<HeaderValue>) -> Request {
    if let Some(value) = if_none_match {
        parts.headers.insert(header::IF_NONE_MATCH, value);
    }
    Request::from_parts(parts, Body::empty())
}

pub(super) fn respond(state: &AppState, cached: Cached, if_none_match: Option<HeaderValue>) -> Response {
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
        if let Some(value) = cached.content_encoding.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            response.headers_mut().insert(header::CONTENT_ENCODING, value);
        }
        response
    };
    let headers = response.headers_mut();
    if let Some(value) = cached.etag.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) =
        HeaderValue::from_str(&caching::public_cache_control(state.services.settings.http.cache_max_age_secs))
    {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.insert(header::VARY, caching::VARY_CREDENTIALS);
    if let Some(view) = super::views::from_tags(&cached.tags) {
        response.extensions_mut().insert(view);
    }
    response
}
