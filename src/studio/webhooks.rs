//! Webhooks (admins): subscriptions, a new one's signing secret shown once,
//! and each subscription's delivery log with every attempt, a ping and a
//! replay.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::Studio;
use super::form::Form;
use super::render::{self, badge, error_for, field_error, time};
use super::session::Session;
use crate::domain::webhook::Webhook;
use crate::domain::{DeliveryId, ValidationError, WebhookId};
use crate::http::AppState;
use crate::http::extract::{PathId, positive_id};
use crate::service::Error;
use crate::service::webhooks::{self, DeliveryParams, LoggedDelivery, WebhookInput};

/// `GET /webhooks`.
pub(super) async fn list(State(state): State<AppState>, session: Session) -> Response {
    show_list(&state, &session, StatusCode::OK, None, &[], None, None).await
}

/// `POST /webhooks`: a new subscription; its secret is shown this once.
pub(super) async fn create(State(state): State<AppState>, session: Session, form: Form) -> Response {
    let events = form.get("events").unwrap_or_default();
    let input = WebhookInput {
        url: form.get("url").map(str::to_owned),
        events: Some(events.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect()),
        description: form.get("description").map(str::to_owned),
        active: Some(true),
    };
    match webhooks::create(&state.services, &session.actor, &input).await {
        Ok(made) => {
            let secret = made.secret.expose().to_owned();
            show_list(&state, &session, StatusCode::CREATED, Some(&secret), &[], None, None).await
        }
        Err(Error::Validation(errors)) => {
            show_list(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, None, &errors, None, Some(&form))
                .await
        }
        Err(err) => {
            let (status, message) = render::explain(&err);
            show_list(&state, &session, status, None, &[], Some(&message), Some(&form)).await
        }
    }
}

async fn show_list(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    secret: Option<&str>,
    errors: &[ValidationError],
    problem: Option<&str>,
    submitted: Option<&Form>,
) -> Response {
    let studio = Studio::of(state);
    let kept = |name: &str| submitted.and_then(|f| f.get(name)).map(str::to_owned);
    let hooks = match webhooks::list(&state.services, &session.actor).await {
        Ok(hooks) => hooks,
        Err(err) => return render::error_page(&studio, session, &err),
    };
    let p = studio.prefix;
    let body = html! {
        @if let Some(secret) = secret {
            div.notice role="status" {
                p { "Subscribed. The signing secret, shown this once (receivers verify each delivery's signature with it):" }
                p { code #new-secret { (secret) } }
            }
        }
        (render::alert(problem))
        form.stack method="post" action={(p) "/webhooks"} {
            (render::csrf_field(session))
            label for="url" { "Receiver URL" }
            input #url type="text" name="url" value=[kept("url")] inputmode="url" required placeholder="https://example.com/herald"
                aria-describedby=[error_for(errors, "url").map(|_| "url-error")] aria-invalid=[error_for(errors, "url").map(|_| "true")];
            (field_error("url", error_for(errors, "url")))
            label for="events" { "Events (comma-separated: exact types like post.published, families like comment.*, or *)" }
            input #events type="text" name="events" value=(kept("events").unwrap_or_else(|| "post.*".to_owned()))
                aria-describedby=[error_for(errors, "events").map(|_| "events-error")] aria-invalid=[error_for(errors, "events").map(|_| "true")];
            (field_error("events", error_for(errors, "events")))
            label for="description" { "Description" }
            input #description type="text" name="description" value=[kept("description")];
            (field_error("description", error_for(errors, "description")))
            div.actions { button type="submit" { "Subscribe" } }
        }
        h2 { "Subscriptions" }
        @if hooks.is_empty() { p { "No webhooks yet." } }
        @else {
            table {
                thead { tr { th scope="col" { "Receiver" } th scope="col" { "Events" } th scope="col" { "State" } th scope="col" { "Created" } } }
                tbody {
                    @for hook in &hooks {
                        tr {
                            td { a href={(p) "/webhooks/" (hook.webhook_id.get())} { (hook.url) } @if !hook.description.is_empty() { br; small { (hook.description) } } }
                            td { (events_of(hook)) }
                            td { (hook_state(hook)) }
                            td { (time(hook.created_at)) }
                        }
                    }
                }
            }
        }
    };
    render::html(status, render::page(&studio, session, "/webhooks", "Webhooks", &body))
}

fn events_of(hook: &Webhook) -> String {
    serde_json::from_str::<Vec<String>>(&hook.events)
        .map_or_else(|_| hook.events.clone(), |list| list.join(", "))
}

fn hook_state(hook: &Webhook) -> Markup {
    html! {
        @if hook.active { (badge("active")) } @else { (badge("disabled")) }
        @if let Some(reason) = &hook.disabled_reason { br; small { (reason) } }
        @if let Some(since) = hook.failing_since { br; small { "failing since " (time(since)) } }
    }
}

/// `GET /webhooks/{id}`: the subscription and its delivery log.
pub(super) async fn detail(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<WebhookId>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let hook = match webhooks::get(ctx, &session.actor, id).await {
        Ok(hook) => hook,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let log = match webhooks::deliveries(ctx, &session.actor, id, &DeliveryParams::default()).await {
        Ok(page) => page.items,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let p = studio.prefix;
    let here = format!("{p}/webhooks/{}", id.get());
    let body = html! {
        dl.facts {
            dt { "Receiver" } dd { code { (hook.url) } }
            dt { "Events" } dd { (events_of(&hook)) }
            dt { "State" } dd { (hook_state(&hook)) }
        }
        div.actions {
            form method="post" action={(here) "/ping"} {
                (render::csrf_field(&session))
                button type="submit" { "Send a ping" }
            }
            form.danger method="post" action={(here) "/delete"} data-confirm="Delete this webhook and its delivery log?" {
                (render::csrf_field(&session))
                button type="submit" { "Delete webhook" }
            }
        }
        h2 { "Deliveries (newest first)" }
        p.muted { a href=(here) { "Refresh" } }
        (delivery_log(&here, &session, &log))
    };
    render::html(StatusCode::OK, render::page(&studio, &session, "/webhooks", "Webhook", &body))
}

fn delivery_log(here: &str, session: &Session, log: &[LoggedDelivery]) -> Markup {
    html! {
        @if log.is_empty() { p #deliveries { "Nothing delivered yet." } }
        @else {
            table #deliveries {
                thead { tr {
                    th scope="col" { "Event" } th scope="col" { "State" } th scope="col" { "Attempts" }
                    th scope="col" { "Last answer" } th scope="col" { "Created" } th scope="col" { span.visually-hidden { "Actions" } }
                } }
                tbody {
                    @for item in log {
                        @let d = &item.delivery;
                        tr data-delivery-id=(d.delivery_id.get()) {
                            td { (d.event_type.as_str()) }
                            td { (badge(d.state.as_str())) }
                            td { (d.attempts) }
                            td {
                                @if let Some(last) = item.attempts.last() {
                                    @match last.status_code { Some(code) => { "HTTP " (code) }, None => { "no answer" } }
                                    " in " (last.latency_ms) " ms"
                                    @if let Some(error) = &last.error { br; small { (error) } }
                                } @else { "not tried yet" }
                            }
                            td { (time(d.created_at)) }
                            td {
                                form method="post" action={(here) "/deliveries/" (d.delivery_id.get()) "/replay"} {
                                    (render::csrf_field(session))
                                    button type="submit" aria-label={"Replay delivery " (d.delivery_id.get())} { "Replay" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /webhooks/{id}/ping`.
pub(super) async fn ping(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<WebhookId>,
) -> Response {
    let pinged = webhooks::ping(&state.services, &session.actor, id).await;
    render::see_or_explain(&Studio::of(&state), &session, pinged.map(|_| log_of(id)))
}

/// `POST /webhooks/{id}/delete`.
pub(super) async fn delete(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<WebhookId>,
) -> Response {
    let deleted = webhooks::delete(&state.services, &session.actor, id).await;
    render::see_or_explain(&Studio::of(&state), &session, deleted.map(|()| "/webhooks".to_owned()))
}

/// `POST /webhooks/{id}/deliveries/{delivery}/replay`.
pub(super) async fn replay(
    State(state): State<AppState>,
    session: Session,
    Path((id, delivery)): Path<(String, String)>,
) -> Response {
    let studio = Studio::of(&state);
    let (Some(id), Some(delivery)) = (positive_id(&id), positive_id(&delivery)) else {
        return render::error_page(&studio, &session, &Error::NotFound { what: "delivery" });
    };
    let id = WebhookId::new(id);
    let replayed = webhooks::replay(&state.services, &session.actor, id, DeliveryId::new(delivery)).await;
    render::see_or_explain(&studio, &session, replayed.map(|_| log_of(id)))
}

/// A subscription's page (under Studio's prefix), where its delivery log is.
fn log_of(id: WebhookId) -> String {
    format!("/webhooks/{}", id.get())
}
