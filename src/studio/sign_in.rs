//! Signing in and out of Studio. Sign-in goes through the same service as
//! the API's login (the same throttling of failures and the same answer for
//! an unknown login and a wrong password); the session it opens is the
//! API's kind, so it appears and ends like any other.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::Studio;
use super::form::Form;
use super::render;
use super::session::{self, CSRF_FIELD, SESSION_COOKIE, SIGN_IN_COOKIE, Session};
use crate::auth::secrets;
use crate::http::AppState;
use crate::http::extract::ClientIp;
use crate::service::sessions::{self, Lifetime};

#[derive(Debug, Deserialize)]
pub(super) struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

/// `GET /sign-in`: the form, with a fresh double-submitted token.
pub(super) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Response {
    let studio = Studio::of(&state);
    let notice = query.signed_out.is_some().then_some("You have signed out.");
    render_form(&studio, &headers, StatusCode::OK, query.next.as_deref(), "", notice, None)
}

fn render_form(
    studio: &Studio<'_>,
    headers: &HeaderMap,
    status: StatusCode,
    next: Option<&str>,
    login: &str,
    notice: Option<&str>,
    problem: Option<&str>,
) -> Response {
    let token = secrets::random_token();
    let p = studio.prefix;
    let content = html! {
        main #main.narrow tabindex="-1" {
            h1 { "Sign in to Herald Studio" }
            @if let Some(notice) = notice { p.notice role="status" { (notice) } }
            (render::alert(problem))
            form.stack method="post" action={(p) "/sign-in"} {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                input type="hidden" name="next" value=(safe_next(studio, next));
                label for="login" { "E-mail or username" }
                input #login name="login" type="text" autocomplete="username" required value=(login);
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        }
    };
    let mut response = render::html(status, render::shell(studio, "Sign in", None, &content));
    response
        .headers_mut()
        .append(header::SET_COOKIE, session::set_cookie(studio, headers, SIGN_IN_COOKIE, &token, 3600));
    response
}

/// Where to go after signing in: a Studio path the form carried, never
/// another site.
fn safe_next(studio: &Studio<'_>, next: Option<&str>) -> String {
    let home = format!("{}/posts", studio.prefix);
    match next {
        Some(next)
            if (next == studio.prefix || next.starts_with(&format!("{}/", studio.prefix)))
                && !next.contains("//")
                && !next.contains('\\') =>
        {
            next.to_owned()
        }
        _ => home,
    }
}

/// `POST /sign-in`.
pub(super) async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Form,
) -> Response {
    let studio = Studio::of(&state);
    let login = form.filled("login").unwrap_or_default();
    let password = form.get("password").unwrap_or_default();
    let next = form.get("next");
    if login.is_empty() || password.is_empty() {
        let problem = Some("Enter your e-mail or username and your password.");
        return render_form(&studio, &headers, StatusCode::UNPROCESSABLE_ENTITY, next, login, None, problem);
    }
    match sessions::login(&state.services, login, password, ip, Lifetime::LongLived).await {
        Ok(signed_in) => {
            let max_age =
                i64::try_from(state.services.settings.auth.realworld_token_ttl.as_secs()).unwrap_or(i64::MAX);
            let mut response = render::see_other(&safe_next(&studio, next));
            let cookies = response.headers_mut();
            let token = &signed_in.tokens.access_token;
            cookies.append(
                header::SET_COOKIE,
                session::set_cookie(&studio, &headers, SESSION_COOKIE, token, max_age),
            );
            cookies.append(header::SET_COOKIE, session::set_cookie(&studio, &headers, SIGN_IN_COOKIE, "", 0));
            response
        }
        Err(err) => {
            let (status, message) = match &err {
                crate::service::Error::Unauthorized(_) => {
                    (StatusCode::UNAUTHORIZED, "Wrong e-mail, username or password.".to_owned())
                }
                other => render::explain(other),
            };
            render_form(&studio, &headers, status, next, login, None, Some(&message))
        }
    }
}

/// `POST /sign-out`: ends the session everywhere it is used, then forgets the cookie.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let studio = Studio::of(&state);
    if let Err(err) = sessions::logout(&state.services, &session.actor).await {
        return render::error_page(&studio, &session, &err);
    }
    let mut response = render::see_other(&format!("{}/sign-in?signed_out=1", studio.prefix));
    response
        .headers_mut()
        .append(header::SET_COOKIE, session::set_cookie(&studio, &headers, SESSION_COOKIE, "", 0));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_sign_in_only_studio_paths_are_followed() {
        let studio = Studio { prefix: "/studio", tls: false };
        assert_eq!(safe_next(&studio, Some("/studio/posts/7")), "/studio/posts/7");
        assert_eq!(safe_next(&studio, Some("/studio")), "/studio");
        for hostile in [
            "https://evil.example/",
            "//evil.example",
            "/studio//evil.example",
            "/api/v1/me",
            "/studio\\x",
            "/studioo",
        ] {
            assert_eq!(safe_next(&studio, Some(hostile)), "/studio/posts", "{hostile}");
        }
        assert_eq!(safe_next(&studio, None), "/studio/posts");
    }
}
