//! The browser session: a sign-in puts a long-lived access token in an
//! `HttpOnly` cookie scoped to Studio's path, checked against its session on
//! every request (so signing out, a password change or a disabled account
//! ends it at once), and every state-changing request must carry the CSRF
//! token derived from that cookie. Sign-in itself is protected by a
//! double-submitted random token, since there is no session yet.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::Studio;
use crate::domain::Account;
use crate::http::AppState;
use crate::service::{Actor, Presented, accounts, actor};

/// The session cookie (the access token).
pub(super) const SESSION_COOKIE: &str = "herald_studio";
/// The sign-in form's double-submitted token, before a session exists.
pub(super) const SIGN_IN_COOKIE: &str = "herald_studio_signin";
/// The form field and the header that carry the CSRF token.
pub(super) const CSRF_FIELD: &str = "_csrf";
pub(super) const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in Studio user.
#[derive(Debug, Clone)]
pub(super) struct Session {
    pub actor: Actor,
    pub account: Account,
    /// Goes into every form and every script request.
    pub csrf: String,
}

/// Why a Studio page cannot be shown to this request: it has no valid
/// session, so the browser is sent to sign in (and back afterwards).
#[derive(Debug)]
pub(super) struct SignInFirst {
    to: String,
}

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        super::render::see_other(&self.to)
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(session) = parts.extensions.get::<Session>() {
            return Ok(session.clone());
        }
        let studio = Studio::of(state);
        let back = parts.uri.path_and_query().map_or("", |pq| pq.as_str());
        let sign_in = SignInFirst {
            to: format!(
                "{}/sign-in?next={}",
                studio.prefix,
                percent_encoding::utf8_percent_encode(back, percent_encoding::NON_ALPHANUMERIC)
            ),
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(sign_in);
        };
        let ctx = &state.services;
        let Ok(actor) = actor::authenticate(ctx, &Presented::Bearer(token.to_owned())).await else {
            return Err(sign_in);
        };
        let Ok(account) = accounts::me(ctx, &actor).await else {
            return Err(sign_in);
        };
        tracing::Span::current().record("user_id", actor.account_id.get());
        let session = Session { actor, account, csrf: csrf_token(token) };
        parts.extensions.insert(session.clone());
        Ok(session)
    }
}

/// The CSRF token of a session: a digest of its cookie, which scripts and
/// other sites cannot read, so only Studio's own pages know it.
pub(super) fn csrf_token(cookie_value: &str) -> String {
    let digest = Sha256::new().chain_update(b"herald-studio-csrf\n").chain_update(cookie_value).finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The value of cookie `name`, if the request carries it.
pub(super) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a Studio cookie: never readable by scripts, sent only
/// to Studio's own paths and not on cross-site sub-requests, `Secure` when
/// Herald is served over TLS. `max_age` 0 deletes it.
pub(super) fn set_cookie(
    studio: &Studio<'_>,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = if studio.tls || forwarded_https(headers) { "; Secure" } else { "" };
    let cookie =
        format!("{name}={value}; Path={}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}", studio.prefix);
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Refuses every state-changing Studio request that does not prove it comes
/// from a Studio page: a cross-site `Sec-Fetch-Site` or `Origin` is refused
/// outright, and the request must carry the session's CSRF token (the
/// sign-in form: its double-submitted token) in `X-CSRF-Token` or the
/// `_csrf` form field. Runs before any handler reads the body.
pub(super) async fn require_csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    let studio = Studio::of(&state);
    let headers = request.headers();
    if cross_site(headers) {
        return super::render::forbidden("This request came from another site.");
    }
    let signing_in = request.uri().path() == format!("{}/sign-in", studio.prefix);
    let expected = if signing_in {
        cookie(headers, SIGN_IN_COOKIE).map(str::to_owned)
    } else {
        cookie(headers, SESSION_COOKIE).map(csrf_token)
    };
    let Some(expected) = expected else {
        return super::render::see_other(&format!("{}/sign-in", studio.prefix));
    };
    if let Some(sent) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(sent, &expected) {
            next.run(request).await
        } else {
            super::render::forbidden("The form has expired. Reload the page and try again.")
        };
    }
    let (parts, body) = request.into_parts();
    let limit = state.services.settings.http.body_limit_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return super::render::forbidden("The form could not be read.");
    };
    let sent = form_urlencoded::parse(&bytes).find(|(key, _)| key == CSRF_FIELD).map(|(_, v)| v.into_owned());
    if sent.is_some_and(|sent| constant_time_eq(&sent, &expected)) {
        next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
    } else {
        super::render::forbidden("The form has expired. Reload the page and try again.")
    }
}

/// Whether the browser says the request came from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "cross-site" || site == "same-site";
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
        _ => false,
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; herald_studio_signin=x; herald_studio=tok"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, SIGN_IN_COOKIE), Some("x"));
        assert_eq!(cookie(&headers, "b"), None);
    }

    #[test]
    fn the_csrf_token_depends_on_the_session_and_is_not_the_cookie() {
        let one = csrf_token("session-one");
        assert_eq!(one.len(), 32);
        assert_ne!(one, csrf_token("session-two"));
        assert_eq!(one, csrf_token("session-one"));
    }

    #[test]
    fn requests_from_other_sites_are_recognised() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, HeaderValue::from_static(value));
            }
            cross_site(&headers)
        };
        assert!(with(&[("sec-fetch-site", "cross-site")]));
        assert!(!with(&[("sec-fetch-site", "same-origin")]));
        assert!(with(&[("origin", "https://evil.example"), ("host", "herald.example")]));
        assert!(!with(&[("origin", "https://herald.example"), ("host", "herald.example")]));
        assert!(with(&[("origin", "null")]));
        assert!(!with(&[]), "clients without either header are judged by the token alone");
    }
}
