//! The HTTP surface: one module per resource, each exporting a router, merged
//! here with the middleware stack. Handlers are thin: extract, call a
//! service, map the result.

mod analytics;
mod api_keys;
mod auth;
mod cache_hits;
mod cache_tags;
mod caching;
mod categories;
mod comments;
pub(crate) mod event_stream;
mod events;
pub mod extract;
mod health;
mod input_guard;
mod intelligence;
mod jobs;
mod jwks;
mod me;
pub mod openapi;
mod post_actions;
mod posts;
pub mod problem;
mod profiles;
mod rate_limit;
mod realworld;
pub mod request_id;
mod response_cache;
pub mod server;
mod shed;
mod state;
mod users;
mod views;
mod webhooks;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router, middleware};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate as _, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_response_body::MapResponseBodyLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use openapi::{ApiDoc, OpenApiJson};
use request_id::RequestId;
pub use state::AppState;

/// Builds the complete application router. `extra` lets tests mount probe
/// routes behind the very same middleware stack.
pub fn router(state: AppState, extra: Option<Router<AppState>>) -> Router {
    let (mut routes, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(jwks::router())
        .merge(v1_router())
        .merge(realworld::router())
        .routes(routes!(openapi::openapi_json))
        .split_for_parts();
    let mut doc = doc;
    openapi::add_common_responses(&mut doc);
    let doc = doc.to_pretty_json().unwrap_or_else(|_| "{}".to_owned());
    // The browsable docs: Swagger UI's assets are vendored in the binary, so
    // the page works without internet access; it reads /openapi.json.
    let docs =
        utoipa_swagger_ui::SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from("/openapi.json"));
    routes = routes.merge(Router::from(docs));
    routes = routes.merge(crate::studio::router(&state));
    if let Some(extra) = extra {
        routes = routes.merge(extra);
    }
    let settings = Arc::clone(&state.services.settings);

    let http = &settings.http;
    let (auth, write, read) = http.rate_limits;
    let limits = rate_limit::RateLimits::new(
        (auth, write, read, settings.analytics.rate_limit_per_minute),
        http.trusted_proxies.clone(),
        format!("{}/sign-in", settings.studio.prefix),
    );

    // Outermost first. The request id comes before everything so that every
    // log line and problem carries it, and security headers go on every
    // response; the trace span wraps the rest; panics are caught inside
    // `finalize` so they become problems too; shedding and rate limits turn
    // work away before it starts, and the input guard refuses control
    // characters in paths and queries before anything reads them; views of
    // posts are counted from the responses on their way out (cached ones
    // too); compression wraps the cached (ETag'd)
    // bytes; timeouts and the body limit sit closest to the handlers.
    let cors = cors(&settings.http.cors_origins);
    let hits = cache_hits::HitPath::new(state.clone(), limits.clone(), &cors, http.hsts);
    let stack = ServiceBuilder::new()
        // Hits of the response cache skip the rest (see `cache_hits`).
        .layer(middleware::from_fn_with_state(Arc::new(hits), cache_hits::answer_hits))
        .layer(middleware::from_fn(request_id::assign))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                // One line per request comes from `access_log` (through
                // `metrics::track`), once the body is sent; internal errors
                // are logged once by `finalize`.
                .on_response(())
                .on_failure(()),
        )
        .layer(cors)
        .layer(middleware::from_fn_with_state(http.hsts, security_headers))
        .layer(middleware::from_fn(crate::telemetry::metrics::track))
        .layer(middleware::from_fn(problem::finalize))
        .layer(CatchPanicLayer::custom(problem::from_panic))
        .layer(middleware::from_fn_with_state(shed::InFlight::new(http.max_in_flight), shed::shed))
        // Middleware state is cloned for every request: one `Arc` is one
        // counter to bump, where the limiter's buckets are five.
        .layer(middleware::from_fn_with_state(Arc::new((state.clone(), limits)), rate_limit::limit))
        .layer(middleware::from_fn(refuse_control_characters))
        .layer(middleware::from_fn_with_state(state.clone(), views::count_views))
        // Back to axum's body type for the middleware outside.
        .layer(MapResponseBodyLayer::new(axum::body::Body::new))
        .layer(CompressionLayer::new().compress_when(compressible()))
        .layer(middleware::from_fn_with_state(state.clone(), response_cache::cache_reads))
        .layer(middleware::from_fn_with_state(
            caching::PublicMaxAge(http.cache_max_age_secs),
            caching::conditional_get,
        ))
        .layer(MapResponseBodyLayer::new(axum::body::Body::new))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, settings.http.request_timeout))
        .layer(RequestBodyLimitLayer::new(settings.http.body_limit_bytes))
        .layer(DefaultBodyLimit::max(settings.http.body_limit_bytes));

    routes
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(Extension(OpenApiJson(Arc::new(doc))))
        .layer(stack)
        .with_state(state)
}

/// The router of the separate metrics listener: `/metrics` only.
pub fn metrics_router(state: AppState) -> Router {
    let (routes, _) = health::metrics_router().split_for_parts();
    routes
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(Extension(health::MetricsPort))
        .with_state(state)
}

/// Headers that make browsers treat responses as inert data: no sniffing,
/// no framing, no referrer leaks, no powerful features, no scripts; HSTS
/// when configured as served over TLS.
/// Refuses a request whose path or query carries a control character, in
/// the error format of the surface it addressed.
async fn refuse_control_characters(request: Request, next: middleware::Next) -> Response {
    match input_guard::check_uri(request.uri()) {
        Ok(()) => next.run(request).await,
        Err(err) if realworld::is_realworld_path(request.uri().path()) => {
            realworld::RwError::from(err).into_response()
        }
        Err(err) => err.into_response(),
    }
}

async fn security_headers(State(hsts): State<bool>, request: Request, next: middleware::Next) -> Response {
    // The docs page is the one HTML page: it needs its own scripts and styles.
    let csp = if request.uri().path().starts_with("/docs") {
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; frame-ancestors 'none'"
    } else {
        API_CSP
    };
    let compressing_client = caching::accepts_compression(request.headers());
    let mut response = next.run(request).await;
    caching::weaken_etag_if_compressed(&mut response, compressing_client);
    secure(response.headers_mut(), csp, hsts);
    response
}

/// The API's content security policy (every path but the docs page).
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Sets the security headers a response does not set itself.
fn secure(headers: &mut axum::http::HeaderMap, csp: &'static str, hsts: bool) {
    use axum::http::{HeaderName, HeaderValue, header};
    let mut set = |name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    set(header::CONTENT_SECURITY_POLICY, csp);
    if hsts {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
}

/// Which responses the compression layer compresses (for clients that take
/// it): JSON and text of 1 KiB or more.
fn compressible() -> impl tower_http::compression::Predicate {
    DefaultPredicate::new().and(SizeAbove::new(1024))
}

/// CORS for browser frontends on other origins. Credentials travel in the
/// `Authorization` header, never in cookies, so no `allow_credentials`.
fn cors(origins: &crate::config::CorsOrigins) -> CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    let layer = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("x-requested-with"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(std::time::Duration::from_secs(3600));
    match origins {
        crate::config::CorsOrigins::Any => layer.allow_origin(AllowOrigin::any()),
        crate::config::CorsOrigins::List(list) => {
            layer.allow_origin(list.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect::<Vec<_>>())
        }
    }
}

/// `/api/v1`: Herald's own REST API.
fn v1_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(me::router())
        .merge(users::router())
        .merge(api_keys::router())
        .merge(posts::router())
        .merge(post_actions::router())
        .merge(comments::router())
        .merge(categories::router())
        .merge(profiles::router())
        .merge(intelligence::router())
        .merge(events::router())
        .merge(event_stream::router())
        .merge(jobs::router())
        .merge(webhooks::router())
        .merge(analytics::router())
}

/// The root span of a request: every log line inside carries these fields.
/// Routes are labelled by template, never by raw path (unbounded cardinality).
fn request_span(request: &Request) -> tracing::Span {
    let request_id = request.extensions().get::<RequestId>().map(RequestId::as_str).unwrap_or_default();
    let route = request.extensions().get::<MatchedPath>().map_or("<unmatched>", MatchedPath::as_str);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        route = %route,
        user_id = tracing::field::Empty,
        // For the OpenTelemetry layer only (the span's name and kind there);
        // left empty, so they cost nothing and stay out of the logs, unless
        // traces are exported.
        otel.name = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
    );
    if crate::telemetry::traces::enabled() {
        span.record("otel.name", format!("{} {route}", request.method()));
        span.record("otel.kind", "server");
        crate::telemetry::traces::continue_remote_trace(&span, request.headers());
    }
    span
}
