//! Generation from a brief inside the composer: the provider's variants for
//! each chosen platform, already fitted to it, each with an "Insert" that
//! puts its text into the body.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::form::Form;
use super::render;
use super::session::Session;
use crate::domain::brief::BriefInput;
use crate::http::AppState;
use crate::service::Error;
use crate::service::generation::{self, Adjustment, Generated};

const TONES: &[&str] = &["professional", "casual", "friendly", "enthusiastic", "informative", "persuasive"];
const LENGTHS: &[&str] = &["short", "medium", "long"];

/// The brief's fields, under the composer; the script sends them with the
/// composer's platforms and shows the answer below.
pub(super) fn brief_form() -> Markup {
    html! {
        h2 { "Generation" }
        details.brief {
            summary { "Generate from a brief" }
            div #brief.stack {
                label for="brief-topic" { "Topic" }
                input #brief-topic type="text" name="topic";
                label for="brief-audience" { "Audience" }
                input #brief-audience type="text" name="audience";
                label for="brief-keywords" { "Keywords (comma-separated)" }
                input #brief-keywords type="text" name="keywords";
                label for="brief-cta" { "Call to action" }
                input #brief-cta type="text" name="call_to_action";
                label for="brief-tone" { "Tone" }
                select #brief-tone name="tone" { @for tone in TONES { option value=(tone) { (tone) } } }
                label for="brief-length" { "Length" }
                select #brief-length name="length" { @for length in LENGTHS { option value=(length) selected[*length == "medium"] { (length) } } }
                div.actions { button type="button" data-generate { "Generate variants" } }
                div #variants aria-live="polite" {}
            }
        }
    }
}

/// `POST /live/generate`: the variants, or the brief's errors.
pub(super) async fn variants(State(state): State<AppState>, session: Session, form: Form) -> Response {
    let list = |name: &str| -> Option<Vec<String>> {
        let raw = form.get(name)?;
        Some(raw.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned).collect())
    };
    let text = |name: &str| form.filled(name).map(str::to_owned);
    let platforms = form.all("platforms");
    let input = BriefInput {
        topic: text("topic"),
        audience: text("audience"),
        tone: text("tone"),
        platforms: if platforms.is_empty() { None } else { Some(platforms) },
        keywords: list("keywords"),
        call_to_action: text("call_to_action"),
        length: text("length"),
        language: None,
        variants: Some(2),
    };
    match generation::generate(&state.services, &session.actor, &input, false).await {
        Ok(generated) => render::html(StatusCode::OK, answer(&generated)),
        Err(Error::Validation(errors)) => {
            let markup =
                html! { @for e in &errors { p.field-error { "Brief " (e.field) ": " (e.message) } } };
            render::html(StatusCode::UNPROCESSABLE_ENTITY, markup)
        }
        Err(err) => {
            let (status, message) = render::explain(&err);
            render::html(status, render::alert(Some(&message)))
        }
    }
}

fn answer(generated: &Generated) -> Markup {
    let g = &generated.generation;
    html! {
        p.muted {
            "Written by " (g.provider) @if !g.model.is_empty() { " (" (g.model) ")" }
            @if let Some(fallback) = &g.fallback { ", because " (fallback.from) " failed: " (fallback.reason) }
            "."
        }
        @for platform in &g.platforms {
            h3 { (platform.platform) }
            ol.variants {
                @for (i, variant) in platform.variants.iter().enumerate() {
                    @let check = variant.analysis.platforms.first();
                    li data-variant=(platform.platform) {
                        p.variant-text { (variant.text) }
                        p.muted {
                            @if let Some(check) = check { (check.length) @if let Some(limit) = check.limit { " of " (limit) } " characters" }
                            @match variant.adjustment {
                                Adjustment::None => {},
                                Adjustment::Regenerated => { ", rewritten shorter to fit" },
                                Adjustment::Trimmed => { ", trimmed to fit" },
                            }
                        }
                        button type="button" data-insert-text=(variant.text)
                            aria-label={"Insert " (platform.platform) " variant " (i + 1) " into the body"} { "Insert" }
                    }
                }
            }
        }
    }
}
