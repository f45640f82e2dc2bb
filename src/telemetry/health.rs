//! Liveness and readiness: what each dependency looks like right now.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cache::RedisTier;
use crate::content::generation::ProviderHealth;
use crate::service::{Context, jobs, nats_fanout};

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the oldest due job may wait before the queue counts as behind.
const QUEUE_BEHIND_SECS: f64 = 300.0;
/// Readiness calls the NATS fan-out degraded past this lag (seconds).
const NATS_BEHIND_SECS: f64 = 60.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Working normally.
    Up,
    /// Working with reduced capability; the instance still serves.
    Degraded,
    /// Not working; the instance cannot serve without it.
    Down,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Check {
    pub status: Status,
    /// Time the check took, in milliseconds.
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// `up` when every required dependency is up, else the worst status.
    pub status: Status,
    pub checks: BTreeMap<&'static str, Check>,
}

impl Report {
    pub fn is_ready(&self) -> bool {
        self.status != Status::Down
    }
}

/// Checks the database (reachable) and its schema (no pending migrations),
/// both required; and Redis when configured, which is optional: without it
/// Herald serves uncached, so it is `degraded`, not `down`.
/// The generation provider is reported from its breaker, without calling
/// the upstream (probes must stay cheap): `degraded` while the breaker is
/// open, never `down`, since the template provider can still answer.
/// The job queue is `degraded` when its oldest due job has waited more
/// than five minutes (no or too few workers), never `down`.
pub async fn readiness(ctx: &Context, redis: Option<&RedisTier>) -> Report {
    let (db, generator) = (&ctx.db, &ctx.generator);
    let mut checks = BTreeMap::new();

    let started = Instant::now();
    let database = match tokio::time::timeout(CHECK_TIMEOUT, db.ping()).await {
        Ok(Ok(_)) => check(Status::Up, started, Some(db.backend_name().to_owned())),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: database check failed");
            check(Status::Down, started, Some("database unreachable".to_owned()))
        }
        Err(_) => check(Status::Down, started, Some("database did not answer in time".to_owned())),
    };
    checks.insert("database", database);

    let started = Instant::now();
    let migrations = match tokio::time::timeout(CHECK_TIMEOUT, db.schema_status()).await {
        Ok(Ok(status)) if status.pending.is_empty() => {
            check(Status::Up, started, Some(format!("{} applied", status.applied)))
        }
        Ok(Ok(status)) => check(
            Status::Down,
            started,
            Some(format!("{} pending migration(s); run `herald migrate`", status.pending.len())),
        ),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: migration check failed");
            check(Status::Down, started, Some("schema status unavailable".to_owned()))
        }
        Err(_) => check(Status::Down, started, Some("schema check did not answer in time".to_owned())),
    };
    checks.insert("migrations", migrations);

    if let Some(redis) = redis {
        let started = Instant::now();
        let check = if redis.ping().await {
            check(Status::Up, started, None)
        } else {
            check(Status::Degraded, started, Some("unreachable; serving without the shared cache".to_owned()))
        };
        checks.insert("redis", check);
    }

    let started = Instant::now();
    let (provider, health) = generator.health();
    let generation = match health {
        ProviderHealth::Up => check(Status::Up, started, Some(provider.to_owned())),
        ProviderHealth::Degraded => check(
            Status::Degraded,
            started,
            Some(format!("{provider}: circuit breaker open after repeated upstream failures")),
        ),
    };
    checks.insert("generation", generation);

    let started = Instant::now();
    let queue = match tokio::time::timeout(CHECK_TIMEOUT, jobs::observe(ctx)).await {
        Ok(Ok(age)) if age > QUEUE_BEHIND_SECS => check(
            Status::Degraded,
            started,
            Some(format!("the oldest due job has waited {age:.0} s; are workers running?")),
        ),
        Ok(Ok(_)) => check(Status::Up, started, None),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: queue check failed");
            check(Status::Degraded, started, Some("queue state unavailable".to_owned()))
        }
        Err(_) => check(Status::Degraded, started, Some("queue check did not answer in time".to_owned())),
    };
    checks.insert("queue", queue);

    let started = Instant::now();
    match tokio::time::timeout(CHECK_TIMEOUT, nats_fanout::health(ctx)).await {
        Ok(Ok(None)) => {}
        Ok(Ok(Some((false, _)))) => {
            let detail = "disconnected; events wait in the outbox until it is back".to_owned();
            checks.insert("nats", check(Status::Degraded, started, Some(detail)));
        }
        Ok(Ok(Some((true, lag)))) if lag > NATS_BEHIND_SECS => {
            let detail = format!("the oldest unpublished event has waited {lag:.0} s");
            checks.insert("nats", check(Status::Degraded, started, Some(detail)));
        }
        Ok(Ok(Some(_))) => {
            checks.insert("nats", check(Status::Up, started, None));
        }
        Ok(Err(_)) | Err(_) => {
            checks.insert(
                "nats",
                check(Status::Degraded, started, Some("fan-out state unavailable".to_owned())),
            );
        }
    }

    let status = checks.values().map(|c| c.status).max_by_key(|s| severity(*s)).unwrap_or(Status::Up);
    Report { status, checks }
}

fn severity(status: Status) -> u8 {
    match status {
        Status::Up => 0,
        Status::Degraded => 1,
        Status::Down => 2,
    }
}

fn check(status: Status, started: Instant, detail: Option<String>) -> Check {
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
    Check { status, latency_ms, detail }
}
