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
//! Whatever a hit would need the stack for goes through the stack: a
//! request with credentials, a body, an `Origin` (CORS decides per origin),
//! a client that takes compression (the compression layer encodes), a path
//! the input guard refuses, a client over its limit (the limiter answers
//! 429), or a trace being exported (its span belongs to the stack).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::FutureExt as _;
use tower::{Layer as _, ServiceExt as _};
use tower_http::compression::Predicate as _;
use tower_http::cors::CorsLayer;

use super::extract::client_ip;
use super::rate_limit::RateLimits;
use super::request_id::{self, RequestId, X_REQUEST_ID};
use super::{AppState, caching, input_guard, response_cache, views};

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

    /// The cache key of a request this path may answer.
    fn key(&self, request: &Request) -> Option<String> {
        let headers = request.headers();
        let bodiless = !headers.contains_key(header::TRANSFER_ENCODING)
            && headers.get(header::CONTENT_LENGTH).is_none_or(|len| len == "0");
        let answerable = self.state.cache.enabled()
            && response_cache::cacheable(request)
            && bodiless
            && !headers.contains_key(header::ORIGIN)
            && !caching::accepts_compression(headers)
            && !crate::telemetry::traces::enabled()
            && input_guard::check_uri(request.uri()).is_ok();
        answerable.then(|| response_cache::request_key(request))
    }
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
    let Some(key) = hits.key(&request) else { return next.run(request).await };
    let state = &hits.state;
    let Some(cached) = state.cache.peek(&key).await else { return next.run(request).await };
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let mut response = response_cache::respond(state, cached, if_none_match);
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let ip = client_ip(peer, request.headers(), hits.limits.trusted_proxies());
    if !hits.limits.admit_anonymous_read(state, ip, response.headers_mut()).await {
        return next.run(request).await;
    }
    if super::compressible().should_compress(&response)
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
