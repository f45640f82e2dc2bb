//! The page shell every Studio page shares, and the responses Studio sends:
//! pages, fragments, redirects and errors, all `no-store` since they show
//! one signed-in person's view.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use super::Studio;
use super::assets;
use super::session::{CSRF_FIELD, Session};
use crate::domain::ValidationError;
use crate::service::Error;

/// The pages in the navigation, in order: (path after the prefix, label,
/// whether only admins see it).
const NAVIGATION: &[(&str, &str, bool)] = &[
    ("/posts", "Posts", false),
    ("/posts/new", "New post", false),
    ("/calendar", "Calendar", false),
    ("/analytics", "Analytics", false),
    ("/keys", "API keys", false),
    ("/webhooks", "Webhooks", true),
    ("/users", "Users", true),
    ("/jobs", "Jobs", true),
];

/// A full page for a signed-in user. `current` is the navigation entry it belongs to.
pub(super) fn page(
    studio: &Studio<'_>,
    session: &Session,
    current: &str,
    title: &str,
    body: &Markup,
) -> Markup {
    let p = studio.prefix;
    let account = &session.account;
    shell(
        studio,
        title,
        Some(&session.csrf),
        &html! {
            header.top {
                a.brand href=(p) { "Herald Studio" }
                nav aria-label="Studio" {
                    ul {
                        @for (path, label, admin_only) in NAVIGATION {
                            @if !admin_only || account.role.can_manage_users() { li { a href={(p) (path)} aria-current=[(*path == current).then_some("page")] { (label) } } }
                        }
                    }
                }
                div.account {
                    span { (account.username) " (" (account.role.as_str()) ")" }
                    form method="post" action={(p) "/sign-out"} {
                        (csrf_field(session))
                        button type="submit" { "Sign out" }
                    }
                }
            }
            main #main tabindex="-1" {
                h1 { (title) }
                (body)
            }
        },
    )
}

/// The document around `content`: styles, the one script, the CSRF token
/// for scripts, and a skip link.
pub(super) fn shell(studio: &Studio<'_>, title: &str, csrf: Option<&str>, content: &Markup) -> Markup {
    let p = studio.prefix;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                @if let Some(csrf) = csrf { meta name="csrf-token" content=(csrf); }
                title { (title) " · Herald Studio" }
                // No favicon to fetch (and no 404 for it).
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(assets::url(p, &assets::STYLES));
                script src=(assets::url(p, &assets::SCRIPT)) defer {}
            }
            body data-prefix=(p) {
                a.skip href="#main" { "Skip to content" }
                (content)
            }
        }
    }
}

/// The hidden field that carries the session's CSRF token in a form.
pub(super) fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(session.csrf); }
}

/// A time as UTC text, marked up for the script to show in the reader's zone.
pub(super) fn time(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) data-local {
            (at.format("%Y-%m-%d %H:%M UTC"))
        }
    }
}

/// A status shown as text (readable without colour), styled by its name.
pub(super) fn badge(status: &str) -> Markup {
    html! { span class={"badge badge-" (status)} { (status) } }
}

/// The message of the first error about `field`, if any.
pub(super) fn error_for<'e>(errors: &'e [ValidationError], field: &str) -> Option<&'e str> {
    errors
        .iter()
        .find(|e| e.field == field || e.field.starts_with(&format!("{field}[")))
        .map(|e| e.message.as_str())
}

/// The error under a control, linked to it with `aria-describedby`.
pub(super) fn field_error(id: &str, message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            p.field-error id={(id) "-error"} { (message) }
        }
    }
}

/// An alert at the top of a form (errors that belong to no one field).
pub(super) fn alert(message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            div.alert role="alert" { (message) }
        }
    }
}

/// What a person should read for a service error that is not about a field.
pub(super) fn explain(err: &Error) -> (StatusCode, String) {
    match err {
        Error::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Some fields need attention.".to_owned()),
        Error::Forbidden { reason } => (StatusCode::FORBIDDEN, format!("Not allowed: {reason}.")),
        Error::NotFound { what } => {
            (StatusCode::NOT_FOUND, format!("That {what} does not exist (or is not yours to see)."))
        }
        Error::Conflict { detail } => (StatusCode::CONFLICT, capitalised(detail)),
        Error::PreconditionFailed => (
            StatusCode::PRECONDITION_FAILED,
            "Someone changed this post while you were editing it. Reload to see their version.".to_owned(),
        ),
        Error::TooManyRequests { retry_after_secs } => {
            (StatusCode::TOO_MANY_REQUESTS, format!("Too many attempts. Try again in {retry_after_secs} s."))
        }
        Error::Unavailable | Error::Upstream { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "A service Herald needs is unavailable. Try again shortly.".to_owned(),
        ),
        Error::Unauthorized(_) => {
            (StatusCode::UNAUTHORIZED, "Your session has ended. Sign in again.".to_owned())
        }
        Error::MalformedCursor => {
            (StatusCode::BAD_REQUEST, "That page link is not valid any more.".to_owned())
        }
        Error::Internal(err) => {
            tracing::error!(error = %err, "studio request failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on the server.".to_owned())
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// An HTML response; Studio pages are personal and never stored.
pub(super) fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An error page for a signed-in user.
pub(super) fn error_page(studio: &Studio<'_>, session: &Session, err: &Error) -> Response {
    let (status, message) = explain(err);
    html(status, page(studio, session, "", "Something went wrong", &html! { (alert(Some(&message))) }))
}

/// After a form's action: on to `to` (a path under Studio's prefix), or
/// the error page saying why the action was refused.
pub(super) fn see_or_explain(studio: &Studio<'_>, session: &Session, to: Result<String, Error>) -> Response {
    match to {
        Ok(path) => see_other(&format!("{}{path}", studio.prefix)),
        Err(err) => error_page(studio, session, &err),
    }
}

/// `303 See Other`: after a form, the browser loads `to` with GET.
pub(super) fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A refused request (failed CSRF or origin checks): a page that says why.
pub(super) fn forbidden(message: &'static str) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Refused · Herald Studio" } }
            body { main { h1 { "Refused" } p { (message) } } }
        }
    };
    html(StatusCode::FORBIDDEN, page)
}
