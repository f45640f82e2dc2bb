//! Engagement analytics: views counted where reads happen (cached ones
//! too), shares, clicks and outside views reported to the ingestion
//! endpoint, likes and comments rolled up from domain events, and the
//! reports over the daily rollups.
//!
//! Counting is write-behind: a view touches only in-memory counters
//! (`tally`), which a background job flushes in one transaction per
//! interval and at graceful shutdown. Each instance flushes its own
//! increments as additive upserts, so totals are exact across a fleet; a
//! crash loses at most the counts of the last interval.

pub mod reports;
pub mod rollup;
pub mod tally;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

pub use self::tally::Client;
use self::tally::{Counters, Outcome, Tally};
use super::{Actor, Error};
use crate::config::AnalyticsSettings;
use crate::domain::engagement::{self, Day, EngagementKind};
use crate::domain::{AccountId, Platform, PostId, ValidationError};
use crate::service::Context;
use crate::store::analytics as store;

/// How long the ingestion endpoint trusts what it learnt about a post (that
/// it is public, and whose it is).
const OWNER_TTL: Duration = Duration::from_secs(10);
const MAX_URL_CHARS: usize = 2048;

/// The counters of this instance and what they need to decide.
pub struct Analytics {
    enabled: bool,
    counters: Counters,
    /// Registered once: a view must not look metrics up by name.
    meters: Meters,
    /// Post → its author while public (`None`: not public or absent).
    owners: moka::future::Cache<PostId, Option<AccountId>>,
}

impl std::fmt::Debug for Analytics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analytics").field("enabled", &self.enabled).finish_non_exhaustive()
    }
}

/// An engagement report as sent to `POST /posts/{id}/engagement`.
#[derive(Debug, Clone, Default)]
pub struct EngagementInput {
    pub kind: Option<String>,
    pub platform: Option<String>,
    pub referrer: Option<String>,
    pub path: Option<String>,
}

/// Handles of the engagement metrics.
struct Meters {
    views: metrics::Counter,
    shares: metrics::Counter,
    clicks: metrics::Counter,
    bots: metrics::Counter,
    repeats: metrics::Counter,
    own: metrics::Counter,
}

impl Meters {
    fn new() -> Meters {
        let counted =
            |kind: &'static str| metrics::counter!("herald_engagement_events_total", "type" => kind);
        let dropped =
            |reason: &'static str| metrics::counter!("herald_engagement_dropped_total", "reason" => reason);
        Meters {
            views: counted("view"),
            shares: counted("share"),
            clicks: counted("click"),
            bots: dropped("bot"),
            repeats: dropped("repeat"),
            own: dropped("own"),
        }
    }
}

impl Analytics {
    pub fn new(settings: &AnalyticsSettings) -> Analytics {
        Analytics {
            enabled: settings.enabled,
            counters: Counters::new(settings.max_visitors),
            meters: Meters::new(),
            owners: moka::future::Cache::builder().max_capacity(10_000).time_to_live(OWNER_TTL).build(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// A successful read of a public post by someone other than its author
    /// (the read endpoints decide that); `referrer` is the full URL, of which
    /// only the host is kept.
    pub fn viewed(&self, post: PostId, client: Client<'_>, referrer: Option<&str>, now: DateTime<Utc>) {
        if !self.enabled {
            return;
        }
        if engagement::is_bot(client.user_agent) {
            return self.meters.bots.increment(1);
        }
        let host = referrer.and_then(engagement::referrer_host);
        match self.counters.view(post, client, host, now.timestamp()) {
            Outcome::Counted => self.meters.views.increment(1),
            Outcome::Repeat => self.meters.repeats.increment(1),
        }
    }

    /// Takes what was counted since the last flush.
    pub(crate) fn take(&self) -> Tally {
        self.counters.take()
    }

    /// Rough bytes held by the counters and the day's visitor keys.
    pub fn memory_bytes(&self) -> usize {
        self.counters.approximate_bytes()
    }
}

/// Parses a report; every invalid field is named.
fn parse(input: &EngagementInput) -> Result<(EngagementKind, Option<Platform>, Option<String>), Error> {
    let mut errors = Vec::new();
    let kind = match input.kind.as_deref() {
        Some(raw) => EngagementKind::parse("type", raw).map_err(|e| errors.push(e)).ok(),
        None => {
            errors.push(ValidationError::new("type", "required", "must be one of view, share, click"));
            None
        }
    };
    let platform = input
        .platform
        .as_deref()
        .and_then(|raw| Platform::parse("platform", raw).map_err(|e| errors.push(e)).ok());
    for (field, value) in [("referrer", &input.referrer), ("path", &input.path)] {
        if value.as_deref().is_some_and(|s| s.chars().count() > MAX_URL_CHARS) {
            errors.push(ValidationError::new(field, "too_long", "must be at most 2048 characters"));
        }
    }
    if input.path.as_deref().is_some_and(|p| !p.starts_with('/')) {
        errors.push(ValidationError::new("path", "invalid", "must be a path starting with /"));
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok((kind, platform, input.referrer.clone())),
        _ => Err(Error::Validation(errors)),
    }
}

/// Counts a view, share or click of a public post reported by a page Herald
/// does not serve itself. Reports by bots or by the post's author are
/// accepted and not counted; with analytics off nothing is counted.
#[tracing::instrument(level = "debug", name = "service.analytics.ingest", skip_all)]
pub async fn ingest(
    ctx: &Context,
    actor: Option<&Actor>,
    post: PostId,
    input: &EngagementInput,
    client: Client<'_>,
) -> Result<(), Error> {
    let (kind, platform, referrer) = parse(input)?;
    let analytics = &ctx.analytics;
    let now = ctx.clock.now();
    let owner = analytics
        .owners
        .try_get_with(post, async { store::public_post_author(&ctx.db, post, now).await })
        .await
        .map_err(|err| Error::Internal(anyhow::anyhow!("cannot look up the post: {err}")))?;
    let author = owner.ok_or(Error::NotFound { what: "post" })?;
    if !analytics.enabled {
        return Ok(());
    }
    if actor.is_some_and(|a| a.account_id == author) {
        analytics.meters.own.increment(1);
        return Ok(());
    }
    match kind {
        EngagementKind::View => analytics.viewed(post, client, referrer.as_deref(), now),
        EngagementKind::Share | EngagementKind::Click => {
            if engagement::is_bot(client.user_agent) {
                analytics.meters.bots.increment(1);
                return Ok(());
            }
            let share = kind == EngagementKind::Share;
            analytics.counters.act(post, share, platform, now.timestamp());
            if share { &analytics.meters.shares } else { &analytics.meters.clicks }.increment(1);
        }
    }
    Ok(())
}

/// Writes what was counted since the last flush, in one transaction;
/// returns the rows written. On failure the counts are kept for the next
/// flush.
pub async fn flush(ctx: &Context) -> Result<usize, Error> {
    let tally = ctx.analytics.take();
    metrics::gauge!("herald_analytics_counter_bytes").set(ctx.analytics.memory_bytes() as f64);
    if tally.is_empty() {
        return Ok(0);
    }
    let started = Instant::now();
    match write(ctx, &tally).await {
        Ok(()) => {
            metrics::histogram!("herald_analytics_flush_duration_seconds")
                .record(started.elapsed().as_secs_f64());
            metrics::counter!("herald_analytics_flushed_rows_total").increment(tally.rows() as u64);
            Ok(tally.rows())
        }
        Err(err) => {
            ctx.analytics.counters.restore(tally);
            Err(err)
        }
    }
}

async fn write(ctx: &Context, tally: &Tally) -> Result<(), Error> {
    let mut tx = ctx.db.begin().await?;
    for ((post, day), c) in &tally.counts {
        store::add_counts(&mut tx, *post, *day, c.views, c.visitors, c.shares, c.clicks).await?;
    }
    for ((post, day, host), views) in &tally.referrers {
        store::add_referrer(&mut tx, *post, *day, host, *views).await?;
    }
    for ((post, day, platform), (shares, clicks)) in &tally.platforms {
        store::add_platform(&mut tx, *post, *day, *platform, *shares, *clicks).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Hosts kept per post and closed day.
const REFERRERS_KEPT: i64 = 10;

/// Deletes rollups older than the retention and trims closed days to their
/// top referrers; returns the rows deleted.
pub async fn prune(ctx: &Context) -> Result<u64, Error> {
    let today = Day::of(ctx.clock.now());
    let retention = i64::from(ctx.settings.analytics.retention_days);
    let mut deleted = store::prune(&ctx.db, today.plus(-retention)).await?;
    for back in 1..=2 {
        deleted += store::trim_referrers(&ctx.db, today.plus(-back), REFERRERS_KEPT).await?;
    }
    Ok(deleted)
}
