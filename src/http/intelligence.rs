//! `/api/v1/analyze` and `/api/v1/generate`: content intelligence.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, ValidJson};
use super::posts::PROBLEM;
use super::problem::{ApiError, Problem};
use crate::content::analysis::Analysis;
use crate::domain::brief::BriefInput;
use crate::http::AppState;
use crate::service::Context;
use crate::service::analysis;
use crate::service::generation::{self, Generated};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(analyze)).routes(routes!(generate)).routes(routes!(generate_batch))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AnalyzeRequest {
    /// 1 to 100,000 characters of plain text.
    text: Option<String>,
    /// Platforms to check the text against (`blog`, `facebook`, `linkedin`,
    /// `x`, `instagram`, `threads`, `mastodon`, `bluesky`); all when absent.
    platforms: Option<Vec<String>>,
}

/// Analyse a text: sentiment, keywords, language, readability, counts,
/// hashtags/mentions/links and each platform's length rule.
#[utoipa::path(post, path = "/api/v1/analyze", tag = "intelligence", request_body = AnalyzeRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Analysis)))]
async fn analyze(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidJson(body): ValidJson<AnalyzeRequest>,
) -> Result<Json<Analysis>, ApiError> {
    Ok(Json(analysis::analyze(&ctx, &actor, body.text, body.platforms).await?))
}

/// A brief: what to write about, for whom, where.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BriefBody {
    /// What the posts are about (1–500 characters). Required.
    topic: Option<String>,
    /// Who they are for, e.g. "backend developers".
    audience: Option<String>,
    /// `professional` (default), `casual`, `friendly`, `enthusiastic`, `informative`, `persuasive`.
    tone: Option<String>,
    /// Target platforms (at least one): `blog`, `facebook`, `linkedin`, `x`, `instagram`, `threads`, `mastodon`, `bluesky`.
    platforms: Option<Vec<String>>,
    /// Up to 20 keywords to include (also the source of hashtags).
    keywords: Option<Vec<String>>,
    /// What readers should do, e.g. "read the guide".
    call_to_action: Option<String>,
    /// `short`, `medium` (default) or `long`.
    length: Option<String>,
    /// ISO 639-1 code of the language to write in (default `en`).
    language: Option<String>,
    /// Variants per platform, 1–5 (default 1).
    variants: Option<i64>,
    /// Store the brief and the first variant of each platform as draft posts of the caller.
    save_as_draft: Option<bool>,
}

impl From<BriefBody> for (BriefInput, bool) {
    fn from(b: BriefBody) -> Self {
        let input = BriefInput {
            topic: b.topic,
            audience: b.audience,
            tone: b.tone,
            platforms: b.platforms,
            keywords: b.keywords,
            call_to_action: b.call_to_action,
            length: b.length,
            language: b.language,
            variants: b.variants,
        };
        (input, b.save_as_draft.unwrap_or(false))
    }
}

/// Generate post variants from a brief with the configured provider
/// (`template` offline by default, or an OpenAI-compatible LLM). Every
/// variant is analysed and fits its platform. When the LLM fails the
/// `template` provider answers and `fallback` says why, unless fallback is
/// disabled: then 502 (upstream failed) or 503 (its circuit breaker is open).
#[utoipa::path(post, path = "/api/v1/generate", tag = "intelligence", request_body = BriefBody,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Generated),
        (status = 502, description = "The upstream provider failed (fallback disabled)", body = Problem, content_type = PROBLEM),
        (status = 503, description = "The upstream's circuit breaker is open (fallback disabled), or overload", body = Problem, content_type = PROBLEM)))]
async fn generate(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidJson(body): ValidJson<BriefBody>,
) -> Result<Json<Generated>, ApiError> {
    let (input, save) = body.into();
    Ok(Json(generation::generate(&ctx, &actor, &input, save).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BatchRequest {
    /// 1 to 20 briefs.
    briefs: Option<Vec<BriefBody>>,
}

/// One brief's outcome: its generation, or the problem that stopped it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BatchItem {
    /// The HTTP status this brief alone would have had.
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Generated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BatchResponse {
    /// One item per brief, in request order.
    results: Vec<BatchItem>,
}

/// Generate for up to 20 briefs at once, with bounded concurrency. All briefs
/// are validated first: if any is invalid nothing is generated (422 naming
/// `briefs[i].field`). Then each brief gets its own item: its status and its
/// result, or the problem (429, 502, 503…) that stopped that brief alone.
#[utoipa::path(post, path = "/api/v1/generate/batch", tag = "intelligence", request_body = BatchRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = BatchResponse)))]
async fn generate_batch(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidJson(body): ValidJson<BatchRequest>,
) -> Result<Json<BatchResponse>, ApiError> {
    let inputs: Vec<(BriefInput, bool)> =
        body.briefs.unwrap_or_default().into_iter().map(Into::into).collect();
    let results = generation::generate_batch(&ctx, &actor, &inputs)
        .await?
        .into_iter()
        .map(|outcome| match outcome {
            Ok(generated) => BatchItem { status: 200, result: Some(generated), error: None },
            Err(err) => {
                let err = ApiError::from(err);
                err.log_cause();
                BatchItem { status: err.status().as_u16(), result: None, error: Some(err.problem().clone()) }
            }
        })
        .collect();
    Ok(Json(BatchResponse { results }))
}
