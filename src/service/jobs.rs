//! The job queue's rules: which jobs a change queues (in its transaction),
//! running a claimed job, retries with back-off and dead letters, and the
//! admins' view and controls.

use chrono::Duration;

use super::{Actor, Error};
use crate::domain::job::{Job, JobKind, JobState, NewJob, backoff, publication_key};
use crate::domain::listing::trim_to_page;
use crate::domain::{PostId, ValidationError};
use crate::service::Context;
use crate::store::Tx;
use crate::store::jobs::{self, JobQuery};

/// How long a claimed job is a worker's before others may take it; the
/// worker renews it every third of that while the job runs.
pub fn lease(ctx: &Context) -> Duration {
    Duration::from_std(ctx.settings.job_lease).unwrap_or(Duration::seconds(30))
}

/// Queues the publication of a scheduled post at `at`, replacing any
/// earlier one (rescheduling).
pub async fn schedule_publication(
    ctx: &Context,
    tx: &mut Tx,
    post_id: PostId,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), Error> {
    let now = ctx.clock.now();
    jobs::cancel_key(tx, &publication_key(post_id), now).await?;
    jobs::enqueue_later(tx, &NewJob::publish_post(post_id, at), now);
    Ok(())
}

/// Cancels a post's pending publication (unscheduled, published by hand,
/// archived or deleted).
pub async fn cancel_publication(ctx: &Context, tx: &mut Tx, post_id: PostId) -> Result<(), Error> {
    jobs::cancel_key(tx, &publication_key(post_id), ctx.clock.now()).await?;
    Ok(())
}

/// Queues `job` on its own (tests and tools).
pub async fn enqueue(ctx: &Context, job: &NewJob) -> Result<bool, Error> {
    let mut tx = ctx.db.begin().await?;
    let queued = jobs::enqueue(&mut tx, job, ctx.clock.now()).await?;
    tx.commit().await?;
    Ok(queued)
}

/// Claims up to `limit` due jobs for `worker`.
pub async fn claim(ctx: &Context, worker: &str, limit: i64) -> Result<Vec<Job>, Error> {
    let now = ctx.clock.now();
    Ok(jobs::claim(&ctx.db, worker, now, now + lease(ctx), limit).await?)
}

/// Extends `worker`'s lease on a running job; `false` if it was lost.
pub async fn renew(ctx: &Context, job: &Job, worker: &str) -> Result<bool, Error> {
    Ok(jobs::renew(&ctx.db, job.job_id, worker, ctx.clock.now() + lease(ctx)).await?)
}

/// Records how a run ended: success, a retry after back-off, or death
/// after the last attempt.
pub async fn finish(
    ctx: &Context,
    job: &Job,
    worker: &str,
    outcome: Result<(), String>,
) -> Result<JobState, Error> {
    let now = ctx.clock.now();
    let kind = job.kind.as_str();
    match outcome {
        Ok(()) => {
            jobs::succeed(&ctx.db, job.job_id, worker, now).await?;
            metrics::counter!("herald_jobs_total", "kind" => kind, "outcome" => "succeeded").increment(1);
            Ok(JobState::Succeeded)
        }
        Err(error) if job.attempts >= job.max_attempts => {
            jobs::fail(&ctx.db, job.job_id, worker, &error, None, now).await?;
            metrics::counter!("herald_jobs_total", "kind" => kind, "outcome" => "dead").increment(1);
            tracing::error!(job_id = job.job_id, kind, error, "a job failed its last attempt and is dead");
            Ok(JobState::Dead)
        }
        Err(error) => {
            let retry_at = now + retry_delay(ctx, job);
            jobs::fail(&ctx.db, job.job_id, worker, &error, Some(retry_at), now).await?;
            metrics::counter!("herald_jobs_total", "kind" => kind, "outcome" => "failed").increment(1);
            metrics::counter!("herald_job_retries_total", "kind" => kind).increment(1);
            tracing::warn!(job_id = job.job_id, kind, error, %retry_at, "a job failed; it will be retried");
            Ok(JobState::Failed)
        }
    }
}

/// The wait before a failed job's next attempt: webhook deliveries follow
/// their configured schedule, everything else backs off exponentially.
fn retry_delay(ctx: &Context, job: &Job) -> Duration {
    if job.kind == JobKind::DeliverWebhook {
        let schedule = &ctx.settings.webhooks.retry_schedule;
        let next = usize::try_from(job.attempts).unwrap_or(usize::MAX);
        if let Some(wait) = schedule.get(next).and_then(|w| Duration::from_std(*w).ok()) {
            return wait;
        }
    }
    backoff(job.attempts, 0.5 + rand::random::<f64>())
}

/// Hands a running job back unfinished (shutdown before it completed).
pub async fn release(ctx: &Context, job: &Job, worker: &str) -> Result<(), Error> {
    jobs::release(&ctx.db, job.job_id, worker, ctx.clock.now()).await?;
    Ok(())
}

/// Publishes queue depth and the age of the oldest due job as gauges;
/// returns that age in seconds (0 when nothing is due).
pub async fn observe(ctx: &Context) -> Result<f64, Error> {
    let now = ctx.clock.now();
    let mut oldest_due = 0.0_f64;
    for stat in jobs::stats(&ctx.db).await? {
        metrics::gauge!("herald_jobs", "kind" => stat.kind.clone(), "state" => stat.state.clone())
            .set(stat.jobs as f64);
        if matches!(stat.state.as_str(), "queued" | "failed")
            && let Some(at) = stat.oldest_run_at
        {
            let age = (now - at).as_seconds_f64().max(0.0);
            metrics::gauge!("herald_job_oldest_due_seconds", "kind" => stat.kind.clone()).set(age);
            oldest_due = oldest_due.max(age);
        }
    }
    Ok(oldest_due)
}

/// The admins' job list as asked.
#[derive(Debug, Clone, Default)]
pub struct JobParams {
    /// States, each possibly a comma-separated list.
    pub states: Vec<String>,
    pub kind: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug)]
pub struct JobPage {
    pub items: Vec<Job>,
    pub next_cursor: Option<String>,
}

/// Jobs, newest first (admins).
#[tracing::instrument(level = "debug", name = "service.jobs.list", skip_all)]
pub async fn list(ctx: &Context, actor: &Actor, params: &JobParams) -> Result<JobPage, Error> {
    actor.require_admin()?;
    let mut errors = Vec::new();
    let mut states = Vec::new();
    for raw in params.states.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        match JobState::parse("state", raw) {
            Ok(state) => states.push(state),
            Err(err) => errors.push(err),
        }
    }
    let kind = match params.kind.as_deref().map(|k| JobKind::parse("kind", k)) {
        Some(Ok(kind)) => Some(kind),
        Some(Err(err)) => {
            errors.push(err);
            None
        }
        None => None,
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        errors.push(ValidationError::new("limit", "invalid", "must be 1 to 100"));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let before = match params.cursor.as_deref() {
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| Error::MalformedCursor)?),
        None => None,
    };
    let mut items = jobs::list(&ctx.db, &JobQuery { states, kind, before, limit: limit + 1 }).await?;
    let more = trim_to_page(&mut items, limit);
    let next_cursor = if more { items.last().map(|j| j.job_id.to_string()) } else { None };
    Ok(JobPage { items, next_cursor })
}

#[tracing::instrument(level = "debug", name = "service.jobs.get", skip_all)]
pub async fn get(ctx: &Context, actor: &Actor, job_id: i64) -> Result<Job, Error> {
    actor.require_admin()?;
    jobs::find(&ctx.db, job_id).await?.ok_or(Error::NotFound { what: "job" })
}

/// Queues a dead or failed job again, at once, with fresh attempts.
#[tracing::instrument(level = "debug", name = "service.jobs.retry", skip_all)]
pub async fn retry(ctx: &Context, actor: &Actor, job_id: i64) -> Result<Job, Error> {
    move_job(ctx, actor, job_id, &[JobState::Dead, JobState::Failed], JobState::Queued, "retry").await
}

/// Cancels a job that has not started (queued, or failed awaiting retry).
#[tracing::instrument(level = "debug", name = "service.jobs.cancel", skip_all)]
pub async fn cancel(ctx: &Context, actor: &Actor, job_id: i64) -> Result<Job, Error> {
    move_job(ctx, actor, job_id, &[JobState::Queued, JobState::Failed], JobState::Cancelled, "cancel").await
}

async fn move_job(
    ctx: &Context,
    actor: &Actor,
    job_id: i64,
    from: &[JobState],
    to: JobState,
    action: &str,
) -> Result<Job, Error> {
    let job = get(ctx, actor, job_id).await?;
    if !jobs::transition(&ctx.db, job_id, from, to, ctx.clock.now()).await? {
        let state = jobs::find(&ctx.db, job_id).await?.map_or(job.state, |j| j.state);
        return Err(Error::Conflict { detail: format!("cannot {action} a job that is {state}") });
    }
    get(ctx, actor, job_id).await
}
