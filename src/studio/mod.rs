//! Herald Studio: the web interface inside the binary, for people rather
//! than programs. Pages are rendered on the server (maud) from the same
//! services the API calls; one small script of our own adds live analysis,
//! previews, local times and live list updates, and everything works
//! without it except those. Assets are compiled in; nothing is fetched from
//! anywhere else, and the Content-Security-Policy allows nothing else.

mod admin;
mod analytics;
mod assets;
mod calendar;
mod chart;
mod comments;
mod composer;
mod composer_view;
mod form;
mod generate;
mod keys;
mod live;
mod posts;
mod render;
mod revisions;
mod session;
mod sign_in;
mod webhooks;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::http::AppState;

/// What a Studio page must know of the configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Studio<'s> {
    /// `/studio` by default.
    pub prefix: &'s str,
    /// Whether Herald is served over TLS (cookies are then `Secure`).
    pub tls: bool,
}

impl<'s> Studio<'s> {
    pub(crate) fn of(state: &'s AppState) -> Studio<'s> {
        let settings = &state.services.settings;
        Studio { prefix: &settings.studio.prefix, tls: settings.http.hsts }
    }
}

/// Scripts and styles from Studio's own origin only; no inline code, no
/// `eval`, no framing, forms only to itself.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Studio's routes under its prefix, or none when it is switched off; `/`
/// sends a browser to Studio (or to the API docs without it).
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let settings = &state.services.settings.studio;
    let home = if settings.enabled { format!("{}/posts", settings.prefix) } else { "/docs".to_owned() };
    let root = Router::new().route("/", get(move || async move { Redirect::to(&home) }));
    if !settings.enabled {
        return root;
    }
    let at = |path: &str| format!("{}{path}", settings.prefix);
    let to_posts = at("/posts");
    let pages = Router::new()
        .route(&at(""), get(move || async move { Redirect::to(&to_posts) }))
        .route(&at("/sign-in"), get(sign_in::form).post(sign_in::submit))
        .route(&at("/sign-out"), post(sign_in::sign_out))
        .route(&at("/posts"), get(posts::list).post(composer::create))
        .route(&at("/posts/new"), get(composer::new))
        .route(&at("/posts/{id}"), get(composer::edit).post(composer::save))
        .route(&at("/posts/{id}/delete"), post(composer::delete))
        .route(&at("/posts/{id}/analytics"), get(analytics::post))
        .route(&at("/posts/{id}/revisions"), get(revisions::list))
        .route(&at("/posts/{id}/revisions/{no}"), get(revisions::show))
        .route(&at("/posts/{id}/revisions/{no}/restore"), post(revisions::restore))
        .route(&at("/analytics"), get(analytics::overview))
        .route(&at("/calendar"), get(calendar::calendar))
        .route(&at("/posts/{id}/comments"), get(comments::list))
        .route(&at("/comments/{id}/{action}"), post(comments::moderate))
        .route(&at("/users"), get(admin::users))
        .route(&at("/users/{id}"), post(admin::administer))
        .route(&at("/jobs"), get(admin::jobs))
        .route(&at("/jobs/{id}/{action}"), post(admin::act_on_job))
        .route(&at("/keys"), get(keys::list).post(keys::create))
        .route(&at("/keys/{id}/revoke"), post(keys::revoke))
        .route(&at("/webhooks"), get(webhooks::list).post(webhooks::create))
        .route(&at("/webhooks/{id}"), get(webhooks::detail))
        .route(&at("/webhooks/{id}/ping"), post(webhooks::ping))
        .route(&at("/webhooks/{id}/delete"), post(webhooks::delete))
        .route(&at("/webhooks/{id}/deliveries/{delivery}/replay"), post(webhooks::replay))
        .route(&at("/live/analysis"), post(live::analysis))
        .route(&at("/live/preview"), post(live::preview))
        .route(&at("/live/generate"), post(generate::variants))
        .route(&at("/live/events"), get(live::events))
        .route(&at("/assets/{file}"), get(assets::serve))
        .layer(middleware::from_fn_with_state(state.clone(), session::require_csrf))
        .layer(middleware::from_fn(studio_headers));
    root.merge(pages)
}

/// Studio's own Content-Security-Policy (the API's forbids all scripts),
/// and no caching of anything personal.
async fn studio_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    // Browsers without `Sec-Fetch-Site` (Safari before 16.4) send `Origin: null`
    // on same-origin form posts under `no-referrer`, which the CSRF check refuses.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response.into_response()
}
