//! Per-client rate limiting (GCRA, via governor) in four classes: sign-in
//! and registration (strictest, per IP), engagement reports, writes, and
//! reads. Clients are told
//! where they stand on every limited response (`RateLimit-Limit`,
//! `RateLimit-Remaining`, `RateLimit-Reset`) and get `429` with
//! `Retry-After` when over.
//!
//! A client is its API key, else its user (from a valid access token), else
//! its IP address. With Redis configured the buckets live there (one atomic
//! GCRA script per request), so limits hold across instances; if Redis is
//! unusable each instance falls back to its own buckets.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{Quota, RateLimiter};
use sha2::{Digest as _, Sha256};

use super::extract::{VerifiedToken, client_ip};
use super::problem::ApiError;
use crate::http::AppState;
use crate::service::Presented;

type Limiter = RateLimiter<
    String,
    governor::state::keyed::DefaultKeyedStateStore<String>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// Buckets kept before idle ones are dropped, bounding memory under a flood
/// of distinct clients.
const MAX_TRACKED_CLIENTS: usize = 100_000;

struct Class {
    name: &'static str,
    limiter: Limiter,
    per_minute: u32,
}

impl Class {
    fn new(name: &'static str, per_minute: u32) -> Class {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Class {
            name,
            limiter: RateLimiter::keyed(Quota::per_minute(n)).with_middleware::<StateInformationMiddleware>(),
            per_minute: n.get(),
        }
    }
}

/// The limits for each route class, and which proxies may name the client.
#[derive(Clone)]
pub(super) struct RateLimits {
    auth: Arc<Class>,
    engagement: Arc<Class>,
    write: Arc<Class>,
    read: Arc<Class>,
    trusted_proxies: Arc<Vec<IpAddr>>,
    /// Studio's sign-in form, limited like the API's sign-in.
    studio_sign_in: Arc<str>,
}

impl RateLimits {
    /// Per minute: sign-in, writes, reads, engagement reports.
    pub(super) fn new(
        (auth, write, read, engagement): (u32, u32, u32, u32),
        trusted_proxies: Vec<IpAddr>,
        studio_sign_in: String,
    ) -> RateLimits {
        RateLimits {
            auth: Arc::new(Class::new("auth", auth)),
            engagement: Arc::new(Class::new("engagement", engagement)),
            write: Arc::new(Class::new("write", write)),
            read: Arc::new(Class::new("read", read)),
            trusted_proxies: Arc::new(trusted_proxies),
            studio_sign_in: studio_sign_in.into(),
        }
    }
}

/// Engagement reports (`POST …/engagement`, `GET …/pixel.gif`) have a class
/// of their own: anonymous and frequent, they must neither eat a reader's
/// write budget nor be limited as loosely as reads.
fn is_engagement_route(path: &str) -> bool {
    path.starts_with("/api/v1/posts/") && (path.ends_with("/engagement") || path.ends_with("/pixel.gif"))
}

fn is_auth_route(method: &Method, path: &str) -> bool {
    method == Method::POST
        && matches!(
            path,
            "/api/v1/auth/login"
                | "/api/v1/auth/register"
                | "/api/v1/auth/refresh"
                | "/api/users"
                | "/api/users/login"
        )
}

/// The API key (by digest) or the user of a valid access token. Tokens are
/// only checked for signature and expiry here (no database), which is enough
/// to know whose bucket to use; their claims go with the request so the
/// extractor does not check them again.
fn credential_key(headers: &HeaderMap, state: &AppState) -> Option<(String, Option<VerifiedToken>)> {
    let digest = |secret: &str| -> String {
        Sha256::digest(secret.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect()
    };
    match super::extract::presented_credentials(headers).ok()?? {
        Presented::ApiKey(key) => Some((format!("key:{}", digest(&key)), None)),
        Presented::Bearer(token) if token.starts_with(crate::auth::secrets::API_KEY_PREFIX) => {
            Some((format!("key:{}", digest(&token)), None))
        }
        Presented::Bearer(token) => state
            .services
            .auth
            .jwt
            .verify(&token, state.services.clock.now())
            .ok()
            .map(|claims| (format!("user:{}", claims.sub), Some(VerifiedToken(claims)))),
    }
}

pub(super) async fn limit(
    State(shared): State<Arc<(AppState, RateLimits)>>,
    mut request: Request,
    next: Next,
) -> Response {
    let (state, limits) = &*shared;
    let mut verified = None;
    let (class, key) = {
        let path = request.uri().path();
        let method = request.method();
        if path.starts_with("/health/") || path == "/metrics" || method == Method::OPTIONS {
            return next.run(request).await;
        }
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = client_ip(peer, request.headers(), &limits.trusted_proxies);
        let ip_key = ip_key(ip);
        if is_auth_route(method, path) || (method == Method::POST && path == &*limits.studio_sign_in) {
            (Arc::clone(&limits.auth), ip_key)
        } else {
            let (key, claims) = credential_key(request.headers(), state).unwrap_or((ip_key, None));
            verified = claims;
            let class = if is_engagement_route(path) {
                &limits.engagement
            } else if method == Method::GET || method == Method::HEAD {
                &limits.read
            } else {
                &limits.write
            };
            (Arc::clone(class), key)
        }
    };
    if let Some(claims) = verified {
        request.extensions_mut().insert(claims);
    }
    let per_minute = class.per_minute;
    match decide(state, &class, &key).await {
        Ok(remaining) => {
            let mut response = next.run(request).await;
            set_allowed_headers(response.headers_mut(), per_minute, remaining);
            response
        }
        Err(wait) => {
            let retry_after = wait.as_secs().saturating_add(1);
            let mut response =
                ApiError::from(crate::service::Error::TooManyRequests { retry_after_secs: retry_after })
                    .into_response();
            set_headers(response.headers_mut(), per_minute, 0, retry_after);
            tracing::info!(client = %key, "rate limited");
            metrics::counter!("herald_rate_limited_total").increment(1);
            if class.name == "engagement" {
                metrics::counter!("herald_engagement_dropped_total", "reason" => "rate_limit").increment(1);
            }
            response
        }
    }
}

/// Takes one request from `key`'s bucket of `class`: the capacity left, or
/// how long until there is some (nothing taken then).
async fn decide(state: &AppState, class: &Class, key: &String) -> Result<u32, Duration> {
    if class.limiter.len() > MAX_TRACKED_CLIENTS {
        class.limiter.retain_recent();
    }
    let shared = match state.cache.redis() {
        Some(redis) => redis.gcra(&format!("{}:{key}", class.name), class.per_minute).await,
        None => None,
    };
    match shared {
        Some((true, _, remaining)) => Ok(remaining),
        Some((false, retry_ms, _)) => Err(Duration::from_millis(retry_ms)),
        // Decided before awaiting, so nothing of the limiter is held across it.
        None => class
            .limiter
            .check_key(key)
            .map(|snapshot| snapshot.remaining_burst_capacity())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now())),
    }
}

fn ip_key(ip: Option<IpAddr>) -> String {
    format!("ip:{}", ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()))
}

impl RateLimits {
    /// Takes one anonymous read from the bucket of the client at `ip` and
    /// sets where it stands on `headers`; `false` (nothing taken, nothing
    /// set) when the client is over its limit. For cache hits, which are
    /// answered before this module's middleware: the read class and the key
    /// are the ones `limit` picks for a GET without credentials.
    pub(super) async fn admit_anonymous_read(
        &self,
        state: &AppState,
        ip: Option<IpAddr>,
        headers: &mut HeaderMap,
    ) -> bool {
        match decide(state, &self.read, &ip_key(ip)).await {
            Ok(remaining) => {
                set_allowed_headers(headers, self.read.per_minute, remaining);
                true
            }
            Err(_) => false,
        }
    }
}

/// `RateLimit-*` of an admitted request: `remaining` left of `per_minute`,
/// full again after `reset` seconds.
fn set_allowed_headers(headers: &mut HeaderMap, per_minute: u32, remaining: u32) {
    let refill = Duration::from_secs(60) / per_minute;
    let reset = (refill * per_minute.saturating_sub(remaining)).as_secs().saturating_add(1).min(60);
    set_headers(headers, per_minute, remaining, reset);
}

fn set_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, reset: u64) {
    headers.insert("ratelimit-limit", HeaderValue::from(limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(reset));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4, 203.0.113.9"));
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_ip(Some(proxy), &headers, &[proxy]), Some(client));
        assert_eq!(client_ip(Some(proxy), &headers, &[]), Some(proxy), "untrusted peers cannot spoof");
        let direct: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(client_ip(Some(direct), &headers, &[proxy]), Some(direct));
    }
}
