//! Analysis of any text a client sends (posts are analysed on save by
//! `posts`). Input is checked here so the CLI and the API refuse alike.

use super::{Actor, Context, Error};
use crate::content::analysis::{Analysis, Analyzer};
use crate::domain::post::parse_list;
use crate::domain::{Platform, Scope, ValidationError, Validator};

/// Longest text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// Checks the text and platforms (every platform when none are named) and analyses.
pub fn analyze_text(
    analyzer: &Analyzer,
    text: Option<&str>,
    platforms: Option<&[String]>,
) -> Result<Analysis, Error> {
    let mut v = Validator::new();
    let text = match text {
        Some(t) if t.trim().is_empty() => {
            v.check(Err(ValidationError::new("text", "required", "must not be empty")))
        }
        Some(t) if t.chars().count() > MAX_TEXT_CHARS => v.check(Err(ValidationError::new(
            "text",
            "too_long",
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ))),
        Some(t) => Some(t),
        None => v.check(Err(ValidationError::new("text", "required", "the text to analyse is required"))),
    };
    let platforms = match platforms {
        Some(raw) => v.check(parse_list("platforms", raw, Platform::parse)),
        None => Some(Platform::ALL.to_vec()),
    };
    let (text, platforms) = v.finish(|| Some((text?, platforms?)))?;
    Ok(analyzer.analyze(text, &platforms))
}

/// `analyze_text` for an authenticated caller, off the async workers (a
/// long text takes milliseconds of CPU), within the CPU-bound work's bound.
pub async fn analyze(
    ctx: &Context,
    actor: &Actor,
    text: Option<String>,
    platforms: Option<Vec<String>>,
) -> Result<Analysis, Error> {
    actor.require_scope(Scope::Read)?;
    let analyzer = std::sync::Arc::clone(&ctx.analyzer);
    ctx.cpu
        .run(move || analyze_text(&analyzer, text.as_deref(), platforms.as_deref()))
        .await
        .map_err(Error::Internal)?
}

/// The sanitised HTML a Markdown body renders to, as readers will see it
/// (the composer's preview), off the async workers.
pub async fn preview(ctx: &Context, actor: &Actor, body: String) -> Result<String, Error> {
    actor.require_scope(Scope::Read)?;
    if body.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::invalid("body", "too_long", "must be at most 100000 characters"));
    }
    ctx.cpu.run(move || crate::content::markdown::to_safe_html(&body)).await.map_err(Error::Internal)
}

/// The analysis of a Markdown body as a post's stored analysis sees it
/// (its plain text), for the composer as the author types; `None` for an
/// empty body.
pub async fn analyze_draft(
    ctx: &Context,
    actor: &Actor,
    body: &str,
    platforms: Vec<String>,
) -> Result<Option<Analysis>, Error> {
    let text = crate::content::markdown::plain_text(body);
    if text.trim().is_empty() {
        return Ok(None);
    }
    let platforms = if platforms.is_empty() { None } else { Some(platforms) };
    analyze(ctx, actor, Some(text), platforms).await.map(Some)
}
