//! API keys: one's own keys listed, a new key shown once (it is stored
//! hashed), revocation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::Studio;
use super::form::Form;
use super::render::{self, error_for, field_error, time};
use super::session::Session;
use crate::domain::{ApiKey, ApiKeyId, ValidationError};
use crate::http::AppState;
use crate::http::extract::PathId;
use crate::service::Error;
use crate::service::api_keys::{self, NewKeyRequest};

const SCOPES: &[(&str, &str)] = &[
    ("read", "read: read what you may see"),
    ("write", "write: also write your content"),
    ("admin", "admin: also manage keys and, for admins, users"),
];

/// `GET /keys`.
pub(super) async fn list(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, StatusCode::OK, None, &[], None, None).await
}

/// `POST /keys`: a new key, shown this once.
pub(super) async fn create(State(state): State<AppState>, session: Session, form: Form) -> Response {
    let request = NewKeyRequest {
        name: form.get("name").map(str::to_owned),
        scopes: Some(form.all("scopes")),
        expires_at: None,
    };
    match api_keys::create(&state.services, &session.actor, &request).await {
        Ok(created) => {
            show(&state, &session, StatusCode::CREATED, Some(&created.secret), &[], None, None).await
        }
        Err(Error::Validation(errors)) => {
            show(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, None, &errors, None, Some(&form)).await
        }
        Err(err) => {
            let (status, message) = render::explain(&err);
            show(&state, &session, status, None, &[], Some(&message), Some(&form)).await
        }
    }
}

/// `POST /keys/{id}/revoke`.
pub(super) async fn revoke(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<ApiKeyId>,
) -> Response {
    let studio = Studio::of(&state);
    let revoked = api_keys::revoke(&state.services, &session.actor, id).await;
    render::see_or_explain(&studio, &session, revoked.map(|()| "/keys".to_owned()))
}

async fn show(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    secret: Option<&str>,
    errors: &[ValidationError],
    problem: Option<&str>,
    submitted: Option<&Form>,
) -> Response {
    let studio = Studio::of(state);
    let keys = match api_keys::list(&state.services, &session.actor, false).await {
        Ok(keys) => keys,
        Err(err) => return render::error_page(&studio, session, &err),
    };
    let body = html! {
        @if let Some(secret) = secret {
            div.notice role="status" {
                p { "Your new key. Copy it now: Herald keeps only its hash and cannot show it again." }
                p { code #new-key { (secret) } }
            }
        }
        (render::alert(problem))
        (new_key_form(&studio, session, errors, submitted))
        h2 { "Your keys" }
        (key_table(&studio, session, &keys))
    };
    render::html(status, render::page(&studio, session, "/keys", "API keys", &body))
}

fn new_key_form(
    studio: &Studio<'_>,
    session: &Session,
    errors: &[ValidationError],
    submitted: Option<&Form>,
) -> Markup {
    let name = submitted.and_then(|f| f.get("name"));
    let scopes = submitted.map_or_else(|| vec!["read".to_owned()], |f| f.all("scopes"));
    html! {
        form.stack method="post" action={(studio.prefix) "/keys"} {
            (render::csrf_field(session))
            label for="name" { "Name" }
            input #name type="text" name="name" value=[name] required aria-describedby=[error_for(errors, "name").map(|_| "name-error")];
            (field_error("name", error_for(errors, "name")))
            fieldset {
                legend { "Scopes" }
                @for (scope, label) in SCOPES {
                    @let id = format!("scope-{scope}");
                    span.choice {
                        input type="checkbox" id=(id) name="scopes" value=(scope) checked[scopes.iter().any(|s| s == scope)];
                        label for=(id) { (label) }
                    }
                }
            }
            (field_error("scopes", error_for(errors, "scopes")))
            div.actions { button type="submit" { "Create key" } }
        }
    }
}

fn key_table(studio: &Studio<'_>, session: &Session, keys: &[ApiKey]) -> Markup {
    html! {
        @if keys.is_empty() { p { "No keys yet." } }
        @else {
            table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Starts with" } th scope="col" { "Scopes" }
                    th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "State" }
                } }
                tbody {
                    @for key in keys {
                        tr {
                            td { (key.name) }
                            td { code { (key.prefix) "…" } }
                            td { (key.scopes.replace(',', ", ")) }
                            td { (time(key.created_at)) }
                            td { @match key.last_used_at { Some(at) => { (time(at)) }, None => { "never" } } }
                            td {
                                @if key.revoked_at.is_some() { (render::badge("revoked")) }
                                @else {
                                    form method="post" action={(studio.prefix) "/keys/" (key.api_key_id.get()) "/revoke"} data-confirm="Revoke this key? Programs using it stop working." {
                                        (render::csrf_field(session))
                                        button type="submit" aria-label={"Revoke " (key.name)} { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
