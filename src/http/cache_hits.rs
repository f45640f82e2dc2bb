//! Cache hits answered before the middleware stack. A hit needs no handler,
//! no query and no serialisation, yet walking it through a dozen layers
//! (each a boxed future, most adding a header or two) cost two thirds of
//! its throughput. So the outermost layer looks the read up first and, when
//! the response cache holds it, writes the whole response itself: the same
//! status, body and headers as the stack would (`cache_reads`' response,
//! then the rate limit's, compression's `Vary`, CORS's and the security
//! headers, the request id), the same rate-limit bucket taken, the same
//! metrics, access line and counted view.
//!
//! Clients that take compression get the bytes the compression layer made
//! for the first request with their `Accept-Encoding`: that response is
//! kept as a copy of its entry (same tags and stamp, so invalidated with
//! it; this instance's memory only), and later hits send the copy; until
//! then they go through the stack. Bodies too small to compress are sent
//! to them as they are, as the compression layer would.
//!
//! Whatever a hit would need the stack for goes through the stack: a
//! request with credentials, a body, an `Origin` (CORS decides per origin),
//! a path the input guard refuses, a client over its limit (the limiter
//! answers 429), or a trace being exported (its span belongs to the stack).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use futures_util::FutureExt as _;
use tower::{Layer as _, ServiceExt as _};
use tower_http::compression::Predicate as _;
use tower_http::cors::CorsLayer;

use super::extract::client_ip;
use super::rate_limit::RateLimits;
use super::request_id::{self, RequestId, X_REQUEST_ID};
use super::{AppState, caching, input_guard, response_cache, views};
use crate::cache::Cached;

/// What answering a hit needs, built once with the router.
pub(super) struct HitPath {
    state: AppState,
    limits: RateLimits,
    /// The headers the skipped layers put on every API response to a
    /// request without `Origin`: CORS's and the security headers.
    outer: HeaderMap,
}

impl HitPath {
    pub(super) fn new(state: AppState, limits: RateLimits, cors: &CorsLayer, hsts: bool) -> HitPath {
        let mut outer = cors_headers_without_origin(cors);
        super::secure(&mut outer, super::API_CSP, hsts);
        HitPath { state, limits, outer }
    }

    /// The cache key of a request this path may answer, and for a client
    /// that takes compression the key of its compressed copy.
    fn key(&self, request: &Request) -> Option<(String, Option<String>)> {
        let headers = request.headers();
        let bodiless = !headers.contains_key(header::TRANSFER_ENCODING)
            && headers.get(header::CONTENT_LENGTH).is_none_or(|len| len == "0");
        let answerable = self.state.cache.enabled()
            && response_cache::cacheable(request)
            && bodiless
            && !headers.contains_key(header::ORIGIN)
            && !crate::telemetry::traces::enabled()
            && input_guard::check_uri(request.uri()).is_ok();
        if !answerable {
            return None;
        }
        let key = response_cache::request_key(request);
        // One Accept-Encoding or none: the compression layer reads them all,
        // and with weights or a wildcard it may even answer 406.
        let mut all = headers.get_all(header::ACCEPT_ENCODING).iter();
        let Some(accepted) = all.next() else { return Some((key, None)) };
        if all.next().is_some() {
            return None;
        }
        let encodings = compressed_copy_name(accepted)?;
        let copy = format!("{key}\u{1}{encodings}");
        Some((key, Some(copy)))
    }
}

/// What names a compressed copy: the encodings an `Accept-Encoding` lists
/// that the compression layer offers, sorted (`br,gzip,zstd`). Without
/// weights or a wildcard the layer's choice depends on that set alone (it
/// breaks ties by its own order, not the header's), so browsers' headers
/// share a handful of copies and no header can make more than seven. With
/// weights, a wildcard or an encoding it does not know, `None`: the stack.
fn compressed_copy_name(accept_encoding: &HeaderValue) -> Option<String> {
    let mut offered = Vec::new();
    for token in accept_encoding.to_str().ok()?.split(',') {
        match token.trim().to_ascii_lowercase().as_str() {
            name @ ("gzip" | "br" | "zstd") => offered.push(name.to_owned()),
            // Listed, but not offered by the layer: it skips them too.
            "deflate" | "identity" | "" => {}
            _ => return None,
        }
    }
    offered.sort_unstable();
    offered.dedup();
    (!offered.is_empty()).then(|| offered.join(","))
}

/// What CORS adds to a request without `Origin`, asked of the layer itself
/// (it decides synchronously), so the two cannot disagree.
fn cors_headers_without_origin(cors: &CorsLayer) -> HeaderMap {
    let empty = tower::service_fn(|_: Request| async {
        Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
    });
    let probe = axum::http::Request::get("/api/tags").body(Body::empty()).unwrap_or_default();
    match cors.layer(empty).oneshot(probe).now_or_never() {
        Some(Ok(response)) => response.headers().clone(),
        _ => HeaderMap::new(),
    }
}

pub(super) async fn answer_hits(
    State(hits): State<Arc<HitPath>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let Some((key, compressed)) = hits.key(&request) else { return next.run(request).await };
    let state = &hits.state;
    let Some(cached) = lookup(state, &key, compressed.as_deref()).await else {
        let response = next.run(request).await;
        return match compressed {
            Some(copy) => keep_compressed(state, &key, copy, response).await,
            None => response,
        };
    };
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let mut response = response_cache::respond(state, cached, if_none_match);
    // As the security headers' layer does for a client that takes compression.
    caching::weaken_etag_if_compressed(&mut response, compressed.is_some());
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let ip = client_ip(peer, request.headers(), &state.services.settings.http.trusted_proxies);
    if !hits.limits.admit_anonymous_read(state, ip, response.headers_mut()).await {
        return next.run(request).await;
    }
    let compressed = response.headers().contains_key(header::CONTENT_ENCODING);
    if (compressed || super::compressible().should_compress(&response))
        && !response.headers().get_all(header::VARY).iter().any(|v| v == "accept-encoding")
    {
        response.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    let headers = response.headers_mut();
    for (name, value) in &hits.outer {
        headers.append(name, value.clone());
    }
    let id = request_id::of(request.headers());
    headers.insert(X_REQUEST_ID, id.clone());

    if views::may_count(state, &request) {
        views::Reader::of(state, &request).count(state, &response);
    }
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("<unmatched>", MatchedPath::as_str);
    if tracing::enabled!(tracing::Level::INFO) {
        // The access line carries the request's span, as it does in the stack.
        request.extensions_mut().insert(RequestId::new(id));
        let span = super::request_span(&request);
        return span.in_scope(|| crate::telemetry::metrics::finish(response, started, &Method::GET, route));
    }
    crate::telemetry::metrics::finish(response, started, &Method::GET, route)
}

/// The fresh entry at `key`; for a client that takes compression, its
/// compressed copy under `copy` instead, unless the body is too small to
/// be compressed (then the stack would send it as it is, too).
async fn lookup(state: &AppState, key: &str, copy: Option<&str>) -> Option<Cached> {
    let Some(copy) = copy else { return state.cache.peek(key).await };
    let entry = state.cache.fresh_local(key).await?;
    if super::compressible().should_compress(&Response::new(Body::from(entry.body.clone()))) {
        // A copy outlives its entry's expiry (it was kept later): it is
        // sent only while it still copies the entry.
        let copy = state.cache.fresh_local(copy).await?;
        if !copies(copy.etag.as_deref(), &entry) {
            return None;
        }
        state.cache.count_hit();
        return Some(copy);
    }
    state.cache.count_hit();
    Some(entry)
}

/// A compressed copy of the cached response the stack just sent, kept under
/// `copy` when it is a representation of the entry at `key` as it is now
/// (its ETag is that entry's, weakened). The body is gathered first, so
/// this one response goes out with a length instead of in chunks.
async fn keep_compressed(state: &AppState, key: &str, copy: String, response: Response) -> Response {
    let Some(encoding) = response.headers().get(header::CONTENT_ENCODING).cloned() else { return response };
    // The copy's name says what the layer would choose for its clients.
    if copy.rsplit('\u{1}').next().is_none_or(|offered| encoding != preferred(offered)) {
        return response;
    }
    let etag = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let Some(entry) = state.cache.fresh_local(key).await else { return response };
    if response.status() != axum::http::StatusCode::OK || !copies(etag.as_deref(), &entry) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_COMPRESSED).await else {
        tracing::warn!("compressing a cached response failed");
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let kept = Cached {
        content_type: entry.content_type.clone(),
        content_encoding: encoding.to_str().ok().map(str::to_owned),
        etag,
        body: bytes.clone(),
        tags: entry.tags,
        stamp: entry.stamp,
        verified: Arc::default(),
    };
    state.cache.insert_local(copy, kept).await;
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether a compressed body with ETag `etag` is a copy of `entry` as it is
/// now: its ETag is the entry's, weakened (compared as `If-None-Match` is).
fn copies(etag: Option<&str>, entry: &Cached) -> bool {
    matches!((etag, entry.etag.as_deref()), (Some(etag), Some(kept)) if caching::matches(etag, kept))
}

/// Cached bodies are at most 1 MiB before compression, which may add a
/// little to one that does not compress.
const MAX_COMPRESSED: usize = 2 * 1024 * 1024;

/// The encoding the compression layer picks from offered ones listed
/// without weights: its own order breaks the tie, zstd before br before gzip.
fn preferred(offered: &str) -> &'static str {
    ["zstd", "br", "gzip"].into_iter().find(|e| offered.split(',').any(|o| o == *e)).unwrap_or("gzip")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(header: &'static str) -> Option<String> {
        compressed_copy_name(&HeaderValue::from_static(header))
    }

    #[test]
    fn a_copy_is_named_by_the_offered_encodings_a_client_lists() {
        assert_eq!(name("gzip, deflate, br, zstd").as_deref(), Some("br,gzip,zstd"));
        assert_eq!(name("zstd,br , GZIP,gzip").as_deref(), Some("br,gzip,zstd"), "order, case and repeats");
        assert_eq!(name("gzip, deflate").as_deref(), Some("gzip"));
        for stack in ["gzip;q=0.5, br", "*", "gzip, x-gzip", "deflate", "compress, br"] {
            assert_eq!(name(stack), None, "{stack}: the compression layer decides");
        }
        assert_eq!(preferred("br,gzip,zstd"), "zstd");
        assert_eq!(preferred("br,gzip"), "br");
        assert_eq!(preferred("gzip"), "gzip");
    }
}
