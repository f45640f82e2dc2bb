//! Generation: a brief in, platform-ready variants out. The provider writes;
//! this service makes every variant fit its platform (asking an LLM once more
//! for shorter text, then trimming at a sentence boundary), analyses it,
//! caches the result by brief, coalesces identical concurrent requests into
//! one upstream call, limits upstream calls per user, falls back to the
//! template provider when the LLM fails, and saves drafts when asked.

mod generator;

use serde::Serialize;

use super::posts::{self, PostInput};
use super::{Actor, Error};
use crate::domain::brief::BriefInput;
use crate::domain::{Brief, Scope, Tags};
use crate::domain::{BriefId, PostId};
use crate::service::Context;
use crate::store::generation_briefs::{self, NewBrief};

pub use generator::{Adjustment, Fallback, Generation, Generator, MAX_BATCH, PlatformVariants, Variant};

/// A draft post saved from a generation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedDraft {
    pub platform: String,
    #[schema(value_type = i64)]
    pub post_id: PostId,
    pub slug: String,
}

/// One answered brief.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Generated {
    #[serde(flatten)]
    pub generation: Generation,
    /// Whether this result was served from the generation cache.
    pub cached: bool,
    /// With `save_as_draft`: the saved brief and one draft post per platform
    /// (its first variant).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub brief_id: Option<BriefId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drafts: Vec<SavedDraft>,
}

/// Generates for one brief; with `save_as_draft`, stores the brief and the
/// first variant of each platform as draft posts of the caller.
#[tracing::instrument(level = "debug", name = "service.generation.generate", skip_all)]
pub async fn generate(
    ctx: &Context,
    actor: &Actor,
    input: &BriefInput,
    save_as_draft: bool,
) -> Result<Generated, Error> {
    actor.require_scope(Scope::Write)?;
    let brief = Brief::parse(input, "")?;
    answer(ctx, actor, &brief, save_as_draft, deadline(ctx)).await
}

/// When upstream work must give way to the fallback: well before the
/// request's own time-out, leaving time to write the rest and save drafts.
fn deadline(ctx: &Context) -> tokio::time::Instant {
    tokio::time::Instant::now() + ctx.settings.http.request_timeout.mul_f64(0.8)
}

/// Up to `MAX_BATCH` briefs (each with its own `save_as_draft`), validated
/// together first (nothing runs if any is invalid), then generated with
/// bounded concurrency, sharing one time budget. Answers come in request
/// order, each its own success or failure (one brief over the rate limit
/// does not discard the others).
#[tracing::instrument(level = "debug", name = "service.generation.generate_batch", skip_all)]
pub async fn generate_batch(
    ctx: &Context,
    actor: &Actor,
    inputs: &[(BriefInput, bool)],
) -> Result<Vec<Result<Generated, Error>>, Error> {
    use futures_util::StreamExt as _;
    actor.require_scope(Scope::Write)?;
    if inputs.is_empty() || inputs.len() > MAX_BATCH {
        return Err(Error::invalid("briefs", "out_of_range", &format!("send 1 to {MAX_BATCH} briefs")));
    }
    let mut briefs = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (i, (input, save)) in inputs.iter().enumerate() {
        match Brief::parse(input, &format!("briefs[{i}].")) {
            Ok(brief) => briefs.push((brief, *save)),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    // Each future owns its inputs: borrowing them from the iterator trips a
    // known limit of the compiler's `Send` inference for async closures.
    let concurrency = ctx.generator.concurrency;
    let deadline = deadline(ctx);
    let jobs = briefs.into_iter().map(|(brief, save)| {
        let (ctx, actor) = (ctx.clone(), actor.clone());
        async move { answer(&ctx, &actor, &brief, save, deadline).await }
    });
    Ok(futures_util::stream::iter(jobs).buffered(concurrency).collect().await)
}

async fn answer(
    ctx: &Context,
    actor: &Actor,
    brief: &Brief,
    save_as_draft: bool,
    deadline: tokio::time::Instant,
) -> Result<Generated, Error> {
    let (generation, cached) =
        ctx.generator.generate(Some(actor.account_id.get()), brief, Some(deadline)).await?;
    let mut generated =
        Generated { generation: (*generation).clone(), cached, brief_id: None, drafts: Vec::new() };
    if save_as_draft {
        let (brief_id, drafts) = save_drafts(ctx, actor, brief, &generated.generation).await?;
        generated.brief_id = Some(brief_id);
        generated.drafts = drafts;
    }
    Ok(generated)
}

async fn save_drafts(
    ctx: &Context,
    actor: &Actor,
    brief: &Brief,
    generation: &Generation,
) -> Result<(BriefId, Vec<SavedDraft>), Error> {
    let brief_json = serde_json::to_string(brief).map_err(|e| Error::Internal(e.into()))?;
    let brief_id = generation_briefs::insert(
        &ctx.db,
        &NewBrief {
            account_id: actor.account_id,
            brief_hash: &generation.brief_hash,
            brief: &brief_json,
            provider: &generation.provider,
            model: &generation.model,
            created_at: ctx.clock.now(),
        },
    )
    .await?;
    let mut drafts = Vec::new();
    for platform in &generation.platforms {
        let Some(first) = platform.variants.iter().find(|v| !v.text.trim().is_empty()) else { continue };
        let title: String = format!("{} ({})", brief.topic, platform.platform).chars().take(200).collect();
        let input = PostInput {
            title: Some(title),
            body: Some(first.text.clone()),
            platforms: Some(vec![platform.platform.clone()]),
            tags: Some(Tags::from_keywords(&brief.keywords).as_slice().to_vec()),
            brief_id: Some(brief_id),
            ..PostInput::default()
        };
        let post = posts::create(ctx, actor, &input, false).await?;
        drafts.push(SavedDraft {
            platform: platform.platform.clone(),
            post_id: post.post.post_id,
            slug: post.post.fields.slug,
        });
    }
    Ok((brief_id, drafts))
}
