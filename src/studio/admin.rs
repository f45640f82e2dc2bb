//! Administration (admins): users and their roles, and the job queue with
//! retry, cancel and the dead-letter list.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::Studio;
use super::form::Form;
use super::render::{self, badge, error_for, field_error, time};
use super::session::Session;
use crate::domain::job::{JobKind, JobState};
use crate::domain::{AccountId, Role};
use crate::http::AppState;
use crate::http::extract::{PathId, positive_id};
use crate::service::Error;
use crate::service::accounts::{self, AdminChanges, Target};
use crate::service::jobs::{self, JobParams};

const USERS_PAGE: i64 = 100;

/// `GET /users`.
pub(super) async fn users(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let studio = Studio::of(&state);
    let form = Form::parse(query.unwrap_or_default().as_bytes());
    let after = form.number("after").filter(|a| *a > 0).map(AccountId::new);
    let found = match accounts::list(&state.services, &session.actor, after, USERS_PAGE).await {
        Ok(found) => found,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let p = studio.prefix;
    let body = html! {
        table #users {
            thead { tr {
                th scope="col" { "User" } th scope="col" { "E-mail" } th scope="col" { "Role" }
                th scope="col" { "State" } th scope="col" { "Joined" } th scope="col" { span.visually-hidden { "Change" } }
            } }
            tbody {
                @for a in &found {
                    @let id = a.account_id.get();
                    tr data-user=(a.username) {
                        td { (a.username) @if let Some(name) = &a.display_name { br; small { (name) } } }
                        td { (a.email) }
                        td { (a.role.as_str()) }
                        td { @if a.disabled { (badge("disabled")) } @else { (badge("active")) } }
                        td { (time(a.created_at)) }
                        td {
                            form.inline method="post" action={(p) "/users/" (id)} {
                                (render::csrf_field(&session))
                                // What the page showed: only what the admin changed is sent on,
                                // so another admin's change meanwhile is not undone.
                                input type="hidden" name="role_was" value=(a.role.as_str());
                                input type="hidden" name="disabled_was" value=(a.disabled);
                                label for={"role-" (id)} { "Role of " (a.username) }
                                select id={"role-" (id)} name="role" {
                                    @for role in Role::ALL { option value=(role.as_str()) selected[role == a.role] { (role.as_str()) } }
                                }
                                label for={"state-" (id)} { "State of " (a.username) }
                                select id={"state-" (id)} name="disabled" {
                                    option value="false" selected[!a.disabled] { "active" }
                                    option value="true" selected[a.disabled] { "disabled (signed out everywhere)" }
                                }
                                button type="submit" aria-label={"Save " (a.username)} { "Save" }
                            }
                        }
                    }
                }
            }
        }
        @if i64::try_from(found.len()).unwrap_or(0) == USERS_PAGE {
            @if let Some(last) = found.last() {
                nav.paging aria-label="Pages" { a rel="next" href={(p) "/users?after=" (last.account_id.get())} { "More users" } }
            }
        }
        p.muted { "New accounts: registration (when open) or " code { "herald admin create-user" } "." }
    };
    render::html(StatusCode::OK, render::page(&studio, &session, "/users", "Users", &body))
}

/// `POST /users/{id}`: role and enabled state.
pub(super) async fn administer(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<AccountId>,
    form: Form,
) -> Response {
    let studio = Studio::of(&state);
    let changed = |name: &str| form.get(name).filter(|now| Some(*now) != form.get(&format!("{name}_was")));
    let changes = AdminChanges {
        role: changed("role").map(str::to_owned),
        disabled: changed("disabled").map(|d| d == "true"),
    };
    let done = accounts::administer(&state.services, &session.actor, &Target::Id(id), &changes).await;
    render::see_or_explain(&studio, &session, done.map(|_| "/users".to_owned()))
}

/// `GET /jobs?state=…&kind=…`: the queue, newest first; `state=dead` is the dead-letter list.
pub(super) async fn jobs(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let studio = Studio::of(&state);
    let form = Form::parse(query.unwrap_or_default().as_bytes());
    let chosen_state = form.filled("state").unwrap_or_default().to_owned();
    let chosen_kind = form.filled("kind").unwrap_or_default().to_owned();
    let params = JobParams {
        states: form.filled("state").map(str::to_owned).into_iter().collect(),
        kind: form.filled("kind").map(str::to_owned),
        cursor: form.filled("cursor").map(str::to_owned),
        limit: Some(50),
    };
    let (status, page, errors) = match jobs::list(&state.services, &session.actor, &params).await {
        Ok(page) => (StatusCode::OK, Some(page), Vec::new()),
        Err(Error::Validation(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, None, errors),
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let p = studio.prefix;
    let body = html! {
        form.filters method="get" action={(p) "/jobs"} {
            div {
                label for="state" { "State" }
                select #state name="state" {
                    option value="" { "Any" }
                    @for s in JobState::ALL { option value=(s.as_str()) selected[chosen_state == s.as_str()] { (s.as_str()) @if *s == JobState::Dead { " (dead letters)" } } }
                }
                (field_error("state", error_for(&errors, "state")))
            }
            div {
                label for="kind" { "Kind" }
                select #kind name="kind" {
                    option value="" { "Any" }
                    @for k in JobKind::ALL { option value=(k.as_str()) selected[chosen_kind == k.as_str()] { (k.as_str()) } }
                }
                (field_error("kind", error_for(&errors, "kind")))
            }
            div.actions { button type="submit" { "Show" } }
        }
        @if let Some(page) = &page {
            @if page.items.is_empty() { p #jobs { "No jobs match." } }
            @else {
                table #jobs {
                    thead { tr {
                        th scope="col" { "Job" } th scope="col" { "Kind" } th scope="col" { "State" } th scope="col" { "Attempts" }
                        th scope="col" { "Runs at" } th scope="col" { "Last error" } th scope="col" { span.visually-hidden { "Actions" } }
                    } }
                    tbody {
                        @for job in &page.items {
                            tr data-job-id=(job.job_id) {
                                td { (job.job_id) }
                                td { (job.kind.as_str()) }
                                td { (badge(job.state.as_str())) }
                                td { (job.attempts) " of " (job.max_attempts) }
                                td { (time(job.run_at)) }
                                td { @if let Some(error) = &job.last_error { small { (error) } } }
                                td {
                                    @if matches!(job.state, JobState::Dead | JobState::Failed) {
                                        form method="post" action={(p) "/jobs/" (job.job_id) "/retry"} {
                                            (render::csrf_field(&session))
                                            button type="submit" aria-label={"Retry job " (job.job_id)} { "Retry" }
                                        }
                                    }
                                    @if matches!(job.state, JobState::Queued | JobState::Failed) {
                                        form.danger method="post" action={(p) "/jobs/" (job.job_id) "/cancel"} {
                                            (render::csrf_field(&session))
                                            button type="submit" aria-label={"Cancel job " (job.job_id)} { "Cancel" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(cursor) = &page.next_cursor {
                    nav.paging aria-label="Pages" {
                        a rel="next" href=(older_jobs(p, &chosen_state, &chosen_kind, cursor)) { "Older jobs" }
                    }
                }
            }
        }
    };
    render::html(status, render::page(&studio, &session, "/jobs", "Jobs", &body))
}

fn older_jobs(prefix: &str, state: &str, kind: &str, cursor: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("state", state)
        .append_pair("kind", kind)
        .append_pair("cursor", cursor)
        .finish();
    format!("{prefix}/jobs?{query}")
}

/// `POST /jobs/{id}/{retry|cancel}`.
pub(super) async fn act_on_job(
    State(state): State<AppState>,
    session: Session,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let Some(id) = positive_id(&id) else {
        return render::error_page(&studio, &session, &Error::NotFound { what: "job" });
    };
    let result = match action.as_str() {
        "retry" => jobs::retry(ctx, &session.actor, id).await,
        "cancel" => jobs::cancel(ctx, &session.actor, id).await,
        _ => Err(Error::NotFound { what: "action" }),
    };
    render::see_or_explain(&studio, &session, result.map(|_| "/jobs".to_owned()))
}
