//! What the composer's script asks for as the author types: the analysis
//! of the body against the chosen platforms (with Herald's exact counting
//! rules and a plain warning per platform over its limit) and the sanitised
//! preview; and the change feed that keeps an open list current.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::form::Form;
use super::render;
use super::session::Session;
use crate::content::analysis::Analysis;
use crate::http::AppState;
use crate::service::{Context, Error, analysis};

/// What the analysis panel says before there is any text.
pub(super) fn placeholder() -> Markup {
    html! { p.muted { "Start writing: sentiment, language, readability, keywords and per-platform counts appear here." } }
}

/// `POST /live/analysis` (`body`, `platforms`): the analysis panel.
pub(super) async fn analysis(State(state): State<AppState>, session: Session, form: Form) -> Response {
    let body = form.get("body").unwrap_or_default();
    fragment(analysis_of(&state.services, &session, body, &form.all("platforms")).await)
}

/// The analysis panel of `body` against `platforms`.
pub(super) async fn analysis_of(
    ctx: &Context,
    session: &Session,
    body: &str,
    platforms: &[String],
) -> Markup {
    match analysis::analyze_draft(ctx, &session.actor, body, platforms.to_vec()).await {
        Ok(Some(found)) => panel(&found),
        Ok(None) => placeholder(),
        Err(Error::Validation(errors)) => html! {
            @for e in &errors { p.field-error { (e.field) ": " (e.message) } }
        },
        Err(err) => render::alert(Some(&render::explain(&err).1)),
    }
}

fn panel(a: &Analysis) -> Markup {
    let sentiment = serde_json::to_value(a.sentiment.label).ok();
    let sentiment = sentiment.as_ref().and_then(|v| v.as_str()).unwrap_or("neutral");
    html! {
        dl.facts {
            dt { "Sentiment" } dd data-analysis="sentiment" { (sentiment) " (" (format!("{:+.2}", a.sentiment.compound)) ")" }
            dt { "Language" }
            dd data-analysis="language" {
                @match &a.language { Some(l) => { (l.name) " (" (l.code) ")" }, None => { "too short to tell" } }
            }
            dt { "Readability" }
            dd data-analysis="readability" {
                @match a.readability.flesch_reading_ease {
                    Some(ease) => { "reading ease " (format!("{ease:.0}")) }
                    None => { "too short to tell" }
                }
                @if let Some(grade) = a.readability.flesch_kincaid_grade { ", grade " (format!("{grade:.1}")) }
            }
            dt { "Length" }
            dd { (a.counts.words) " words, " (a.counts.sentences) " sentences, about " (a.counts.reading_time_seconds.div_ceil(60)) " min to read" }
            dt { "Keywords" }
            dd data-analysis="keywords" {
                @if a.keywords.is_empty() { "none yet" }
                @else { (a.keywords.iter().map(|k| k.phrase.as_str()).collect::<Vec<_>>().join(", ")) }
            }
        }
        table.counters {
            caption { "Per platform" }
            thead { tr { th scope="col" { "Platform" } th scope="col" { "Length" } th scope="col" { "Limit" } th scope="col" { "Fits" } } }
            tbody {
                @for check in &a.platforms {
                    tr data-platform=(check.platform) class=[(!check.fits).then_some("over")] {
                        th scope="row" { (check.platform) }
                        td { (check.length) }
                        td { @match check.limit { Some(limit) => { (limit) }, None => { "none" } } }
                        td {
                            @if check.fits && check.limit.is_some() { "yes, " (check.remaining) " left" }
                            @else if check.fits { "yes" }
                            @else { strong.warning { "Over the limit by " (check.over_by) } }
                            @for warning in &check.warnings { br; small { (warning.message) } }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /live/preview` (`body`): the body as readers will see it.
pub(super) async fn preview(State(state): State<AppState>, session: Session, form: Form) -> Response {
    let body = form.get("body").unwrap_or_default().to_owned();
    match analysis::preview(&state.services, &session.actor, body).await {
        // Sanitised by the same renderer as stored posts.
        Ok(html) => fragment(maud::PreEscaped(html)),
        Err(err) => {
            let (status, message) = render::explain(&err);
            let mut response = fragment(render::alert(Some(&message)));
            *response.status_mut() = status;
            response
        }
    }
}

/// `GET /live/events`: the API's change feed, for this session.
pub(super) async fn events(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    crate::http::event_stream::stream_for(state.services.clone(), session.actor, query.as_deref(), &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

fn fragment(markup: Markup) -> Response {
    render::html(StatusCode::OK, markup)
}
