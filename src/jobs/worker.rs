//! A queue worker: claims one due job at a time, runs it while renewing its
//! lease, and records the outcome. On shutdown it stops claiming, lets the
//! running job finish within the grace period and otherwise hands it back.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::job::{Job, JobKind, JobPayload};
use crate::service::{self, Context, jobs, posts, webhooks};

/// How often an idle worker looks for due jobs.
const POLL: Duration = Duration::from_millis(200);

pub(super) async fn run(ctx: Context, name: String, shutdown: CancellationToken, grace: Duration) {
    while !shutdown.is_cancelled() {
        let claimed = match jobs::claim(&ctx, &name, 1).await {
            Ok(claimed) => claimed,
            Err(err) => {
                tracing::warn!(worker = %name, error = %err, "could not claim jobs");
                Vec::new()
            }
        };
        let Some(job) = claimed.into_iter().next() else {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(POLL) => continue,
            }
        };
        let started = std::time::Instant::now();
        let work = run_job(&ctx, &job);
        tokio::pin!(work);
        let renew_every = (jobs::lease(&ctx) / 3).to_std().unwrap_or(Duration::from_secs(10));
        let mut renewal = tokio::time::interval_at(tokio::time::Instant::now() + renew_every, renew_every);
        let mut deadline: Option<tokio::time::Instant> = None;
        let outcome = loop {
            tokio::select! {
                result = &mut work => break Some(result.map_err(|err| format!("{err:#}"))),
                _ = renewal.tick() => {
                    if let Ok(false) = jobs::renew(&ctx, &job, &name).await {
                        tracing::warn!(worker = %name, job_id = job.job_id, "lost the lease of a running job");
                    }
                }
                () = shutdown.cancelled(), if deadline.is_none() => {
                    deadline = Some(tokio::time::Instant::now() + grace);
                }
                () = async { tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)).await },
                    if deadline.is_some() => break None,
            }
        };
        let kind = job.kind.as_str();
        match outcome {
            Some(result) => {
                let outcome = if result.is_ok() { "succeeded" } else { "failed" };
                metrics::histogram!("herald_job_duration_seconds", "kind" => kind, "outcome" => outcome)
                    .record(started.elapsed().as_secs_f64());
                if let Err(err) = jobs::finish(&ctx, &job, &name, result).await {
                    tracing::warn!(worker = %name, job_id = job.job_id, error = %err, "could not record a job's outcome");
                }
            }
            None => {
                tracing::warn!(worker = %name, job_id = job.job_id, "shutting down: handing back an unfinished job");
                if let Err(err) = jobs::release(&ctx, &job, &name).await {
                    tracing::warn!(worker = %name, job_id = job.job_id, error = %err, "could not hand back a job");
                }
            }
        }
    }
}

/// Keeps the queue gauges current.
pub(super) async fn observe(ctx: Context, shutdown: CancellationToken) {
    loop {
        if let Err(err) = jobs::observe(&ctx).await {
            tracing::debug!(error = %err, "could not read the queue's statistics");
        }
        if let Err(err) = webhooks::observe(&ctx).await {
            tracing::debug!(error = %err, "could not read the webhooks' failure streaks");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(15)) => {}
        }
    }
}

/// Does the work of a claimed job. Handlers are idempotent: a job run twice
/// (its worker died after the effect, before recording success) changes
/// nothing the second time.
async fn run_job(ctx: &Context, job: &Job) -> Result<(), service::Error> {
    let payload = job.payload().map_err(|err| service::Error::Internal(err.into()))?;
    match (job.kind, payload) {
        (JobKind::PublishPost, JobPayload::Post { post_id }) => {
            posts::publish_scheduled(ctx, post_id).await?;
        }
        (JobKind::AnalysePost, JobPayload::Post { post_id }) => {
            posts::analyse_stored(ctx, post_id).await?;
        }
        (JobKind::DeliverWebhook, JobPayload::Delivery { delivery_id }) => {
            let last_attempt = job.attempts >= job.max_attempts;
            webhooks::deliver(ctx, delivery_id, last_attempt).await?;
        }
        (kind, payload) => {
            return Err(service::Error::Internal(anyhow::anyhow!("a {kind} job cannot carry {payload:?}")));
        }
    }
    Ok(())
}
