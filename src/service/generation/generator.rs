//! The generator: providers, the result cache, coalescing, per-user
//! limits, fitting variants to their platforms and the fallback.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock as _, DefaultClock};
use governor::{Quota, RateLimiter};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::config::{ContentSettings, ProviderKind};
use crate::content::analysis::{Analysis, Analyzer};
use crate::content::generation::openai::OpenAiProvider;
use crate::content::generation::template::TemplateProvider;
use crate::content::generation::{DraftRequest, Provider, ProviderError, ProviderHealth, Usage};
use crate::domain::{Brief, Platform};
use crate::service::Error;

/// Most briefs one batch request may carry.
pub const MAX_BATCH: usize = 20;
/// Generation results kept in memory at most.
const CACHE_ENTRIES: u64 = 10_000;

/// How a variant was made to fit its platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Adjustment {
    /// It fitted as written.
    None,
    /// The provider was asked again for shorter text.
    Regenerated,
    /// Sentences were dropped from the end (or, for one long sentence,
    /// words, with an ellipsis): never cut mid-word.
    Trimmed,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Variant {
    pub text: String,
    pub adjustment: Adjustment,
    /// The variant's analysis, checked against its platform.
    pub analysis: Analysis,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlatformVariants {
    pub platform: String,
    pub variants: Vec<Variant>,
}

/// Why the configured provider was not the one that wrote.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Fallback {
    /// The provider that failed, e.g. `openai`.
    pub from: String,
    pub reason: String,
}

/// What a brief produced (shared by every request for the same brief).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Generation {
    /// SHA-256 of the normalised brief and the provider settings.
    pub brief_hash: String,
    /// Who wrote the variants: `template` or `openai`.
    pub provider: String,
    pub model: String,
    /// Present when the configured provider failed and `template` wrote instead.
    pub fallback: Option<Fallback>,
    pub platforms: Vec<PlatformVariants>,
    /// Tokens used upstream (LLM providers only).
    pub usage: Option<Usage>,
    pub notes: Vec<String>,
}

/// Failures worth sharing between coalesced requests (cheap to clone).
#[derive(Debug, Clone)]
enum Failure {
    Upstream {
        provider: &'static str,
        error: ProviderError,
    },
    /// `caller` is over their quota (only they should get the 429).
    RateLimited {
        caller: Option<i64>,
        retry_after_secs: u64,
    },
    /// Not an error: a fallback result, shared with waiting requests but not cached.
    Uncached(Arc<Generation>),
}

type UserLimiter = RateLimiter<i64, governor::state::keyed::DefaultKeyedStateStore<i64>, DefaultClock>;

#[derive(Debug)]
pub struct Generator {
    primary: Arc<dyn Provider>,
    template: Arc<TemplateProvider>,
    analyzer: Arc<Analyzer>,
    fallback: bool,
    cache: moka::future::Cache<String, Arc<Generation>>,
    upstream_limit: UserLimiter,
    pub(super) concurrency: usize,
}

impl Generator {
    pub fn new(settings: &ContentSettings, analyzer: Arc<Analyzer>) -> anyhow::Result<Generator> {
        let template = Arc::new(TemplateProvider);
        let primary: Arc<dyn Provider> = match (settings.provider, &settings.llm) {
            (ProviderKind::OpenAi, Some(llm)) => Arc::new(OpenAiProvider::new(llm)?),
            (ProviderKind::OpenAi, None) => {
                anyhow::bail!("the openai provider needs llm_base_url and llm_model")
            }
            (ProviderKind::Template, _) => template.clone(),
        };
        let per_minute = NonZeroU32::new(settings.llm_rate_limit_per_minute).unwrap_or(NonZeroU32::MIN);
        Ok(Generator {
            primary,
            template,
            analyzer,
            fallback: settings.fallback,
            cache: moka::future::Cache::builder()
                .max_capacity(if settings.cache_ttl.is_zero() { 0 } else { CACHE_ENTRIES })
                .time_to_live(settings.cache_ttl.max(std::time::Duration::from_secs(1)))
                .build(),
            upstream_limit: RateLimiter::keyed(Quota::per_minute(per_minute)),
            concurrency: settings.concurrency,
        })
    }

    /// The configured provider's name and whether it is usable now.
    pub fn health(&self) -> (&'static str, ProviderHealth) {
        (self.primary.name(), self.primary.health())
    }

    pub fn provider_name(&self) -> &'static str {
        self.primary.name()
    }

    fn key(&self, brief: &Brief) -> String {
        let mut hasher = Sha256::new();
        hasher.update(serde_json::to_vec(brief).unwrap_or_default());
        hasher.update(b"\0");
        hasher.update(self.primary.fingerprint().as_bytes());
        hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The generation for `brief`, and whether it came from the cache.
    /// `caller` is charged one upstream call per platform, only when the
    /// request really reaches the LLM (not for cache hits, not for requests
    /// joining one already in flight, not while the breaker is open).
    /// Upstream work stops at `deadline`; the fallback then writes instead,
    /// so the answer comes before the request times out.
    pub async fn generate(
        &self,
        caller: Option<i64>,
        brief: &Brief,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<(Arc<Generation>, bool), Error> {
        let key = self.key(brief);
        if let Some(hit) = self.cache.get(&key).await {
            metrics::counter!("herald_generation_requests_total", "provider" => hit.provider.clone(), "outcome" => "cache_hit").increment(1);
            return Ok((hit, true));
        }
        let mut loaded =
            self.cache.try_get_with(key.clone(), self.produce(brief, key.clone(), caller, deadline)).await;
        // A request that joined another caller's load which was refused for
        // *that* caller's quota tries again as itself (once is enough: its
        // own load then decides).
        if let Err(failure) = &loaded
            && let Failure::RateLimited { caller: refused, .. } = **failure
            && refused != caller
        {
            loaded = self.cache.try_get_with(key.clone(), self.produce(brief, key, caller, deadline)).await;
        }
        match loaded {
            Ok(generation) => {
                metrics::counter!("herald_generation_requests_total", "provider" => generation.provider.clone(), "outcome" => "ok").increment(1);
                Ok((generation, false))
            }
            Err(failure) => match &*failure {
                Failure::RateLimited { retry_after_secs, .. } => {
                    metrics::counter!("herald_generation_rate_limited_total").increment(1);
                    Err(Error::TooManyRequests { retry_after_secs: *retry_after_secs })
                }
                Failure::Uncached(generation) => {
                    metrics::counter!("herald_generation_requests_total", "provider" => generation.provider.clone(), "outcome" => "fallback").increment(1);
                    Ok((Arc::clone(generation), false))
                }
                Failure::Upstream { provider, error } => {
                    metrics::counter!("herald_generation_requests_total", "provider" => *provider, "outcome" => "error").increment(1);
                    Err(Error::Upstream {
                        provider,
                        detail: error.to_string(),
                        unavailable: matches!(error, ProviderError::BreakerOpen),
                    })
                }
            },
        }
    }

    /// Charges `caller` for the upstream calls a brief will make.
    fn charge(&self, caller: Option<i64>, brief: &Brief) -> Result<(), Failure> {
        let reaches_upstream = self.primary.can_rewrite() && self.primary.health() == ProviderHealth::Up;
        let (Some(caller), true) = (caller, reaches_upstream) else { return Ok(()) };
        let calls =
            u32::try_from(brief.platforms.len()).ok().and_then(NonZeroU32::new).unwrap_or(NonZeroU32::MIN);
        match self.upstream_limit.check_key_n(&caller, calls) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(Failure::RateLimited { caller: Some(caller), retry_after_secs: wait.as_secs().max(1) })
            }
            // More platforms than the whole per-minute budget: never allowed.
            Err(_) => Err(Failure::RateLimited { caller: Some(caller), retry_after_secs: 60 }),
        }
    }

    async fn produce(
        &self,
        brief: &Brief,
        key: String,
        caller: Option<i64>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Arc<Generation>, Failure> {
        // Past the deadline (a late batch item) nothing goes upstream, so
        // nothing is charged: the fallback writes it.
        if deadline.is_none_or(|d| tokio::time::Instant::now() < d) {
            self.charge(caller, brief)?;
        }
        let primary = self.primary.as_ref();
        let written = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, self.write_all(primary, brief))
                .await
                .unwrap_or(Err(ProviderError::Deadline)),
            None => self.write_all(primary, brief).await,
        };
        match written {
            Ok((platforms, usage)) => {
                Ok(Arc::new(self.generation(primary, brief, key, platforms, usage, None)))
            }
            Err(error) if self.fallback && primary.name() != self.template.name() => {
                tracing::warn!(provider = primary.name(), error = %error, "generation falls back to the template provider");
                let template = self.template.as_ref();
                let (platforms, _) = self
                    .write_all(template, brief)
                    .await
                    .map_err(|error| Failure::Upstream { provider: template.name(), error })?;
                let fallback = Fallback { from: primary.name().to_owned(), reason: error.to_string() };
                Err(Failure::Uncached(Arc::new(self.generation(
                    template,
                    brief,
                    key,
                    platforms,
                    None,
                    Some(fallback),
                ))))
            }
            Err(error) => Err(Failure::Upstream { provider: primary.name(), error }),
        }
    }

    fn generation(
        &self,
        provider: &dyn Provider,
        brief: &Brief,
        brief_hash: String,
        platforms: Vec<PlatformVariants>,
        usage: Option<Usage>,
        fallback: Option<Fallback>,
    ) -> Generation {
        let mut notes = Vec::new();
        if provider.name() == self.template.name() && brief.language != "en" {
            notes.push(format!(
                "the template provider writes English only; `{}` needs an LLM provider",
                brief.language
            ));
        }
        for platform in &platforms {
            if platform.variants.len() < usize::from(brief.variants) {
                notes.push(format!(
                    "{}: the provider wrote {} distinct variant(s) of {} asked for",
                    platform.platform,
                    platform.variants.len(),
                    brief.variants
                ));
            }
        }
        Generation {
            brief_hash,
            provider: provider.name().to_owned(),
            model: provider.model().to_owned(),
            fallback,
            platforms,
            usage,
            notes,
        }
    }

    /// Every platform of the brief, concurrently.
    async fn write_all(
        &self,
        provider: &dyn Provider,
        brief: &Brief,
    ) -> Result<(Vec<PlatformVariants>, Option<Usage>), ProviderError> {
        // While the breaker is not closed only one trial call may pass: the
        // first platform goes alone, and the rest follow once it succeeded.
        let mut results = Vec::with_capacity(brief.platforms.len());
        let mut remaining = brief.platforms.as_slice();
        if provider.health() != ProviderHealth::Up
            && let Some((first, rest)) = remaining.split_first()
        {
            results.push(self.write_for(provider, brief, *first).await?);
            remaining = rest;
        }
        // Every call runs to completion (no cancelling siblings mid-flight on
        // the first failure); the first error, if any, decides.
        let concurrent =
            futures_util::future::join_all(remaining.iter().map(|p| self.write_for(provider, brief, *p)))
                .await;
        for result in concurrent {
            results.push(result?);
        }
        let mut usage: Option<Usage> = None;
        let mut platforms = Vec::with_capacity(results.len());
        for (variants, used) in results {
            if let Some(used) = used {
                usage.get_or_insert_default().add(used);
            }
            platforms.push(variants);
        }
        Ok((platforms, usage))
    }

    /// Variants for one platform, each fitting its limit.
    async fn write_for(
        &self,
        provider: &dyn Provider,
        brief: &Brief,
        platform: Platform,
    ) -> Result<(PlatformVariants, Option<Usage>), ProviderError> {
        let wanted = usize::from(brief.variants);
        let limit = self.analyzer.limit(platform);
        let request = DraftRequest { brief, platform, variants: wanted, limit, shorter: false };
        let drafted = provider.draft(request).await?;
        let mut usage = drafted.usage;
        let mut texts: Vec<(String, Adjustment)> = Vec::new();
        for text in drafted.texts {
            if !texts.iter().any(|(t, _)| *t == text) && texts.len() < wanted {
                texts.push((text, Adjustment::None));
            }
        }
        let fits = |text: &str| self.analyzer.fits(text, platform);
        if provider.can_rewrite() && texts.iter().any(|(t, _)| !fits(t)) {
            let shorter = provider.draft(DraftRequest { shorter: true, ..request }).await?;
            if let Some(used) = shorter.usage {
                usage.get_or_insert_default().add(used);
            }
            let mut replacements = shorter.texts.into_iter().filter(|t| fits(t));
            for (text, adjustment) in texts.iter_mut().filter(|(t, _)| !fits(t)) {
                if let Some(better) = replacements.next() {
                    *text = better;
                    *adjustment = Adjustment::Regenerated;
                }
            }
        }
        let variants = texts
            .into_iter()
            .map(|(text, adjustment)| {
                let (text, adjustment) = if fits(&text) {
                    (text, adjustment)
                } else {
                    (self.analyzer.trim_to_fit(&text, platform), Adjustment::Trimmed)
                };
                let analysis = self.analyzer.analyze(&text, &[platform]);
                Variant { text, adjustment, analysis }
            })
            .collect();
        Ok((PlatformVariants { platform: platform.as_str().to_owned(), variants }, usage))
    }
}
