//! `herald worker` (queue workers without the HTTP server) and `herald jobs
//! list|retry|cancel`, through the same services as the admin API.

use std::sync::Arc;

use crate::clock::SystemClock;
use crate::config::Settings;
use crate::jobs::Jobs;
use crate::service::jobs::{self, JobParams};
use crate::service::{Actor, Context};

/// What `herald jobs` was asked to do.
#[derive(Debug)]
pub enum Request {
    List { states: Vec<String>, kind: Option<String>, limit: i64 },
    Retry { job_id: i64 },
    Cancel { job_id: i64 },
}

/// Runs `settings.workers` queue workers (at least one) until SIGINT or
/// SIGTERM, then lets running jobs finish within the grace period.
pub async fn worker(settings: Settings) -> anyhow::Result<()> {
    let mut ctx = Context::init(settings, Arc::new(SystemClock)).await?;
    ctx.origin = "worker";
    if ctx.settings.workers == 0 {
        let mut settings = (*ctx.settings).clone();
        settings.workers = 1;
        ctx.settings = Arc::new(settings);
    }
    let shutdown = tokio_util::sync::CancellationToken::new();
    crate::app::cancel_on_signal(shutdown.clone());
    tracing::info!(workers = ctx.settings.workers, "herald worker is running");
    let jobs = Jobs::workers(&ctx, &shutdown);
    shutdown.cancelled().await;
    jobs.stopped().await;
    ctx.db.close().await;
    tracing::info!("herald worker stopped");
    Ok(())
}

pub async fn run(settings: Settings, request: Request) -> anyhow::Result<()> {
    crate::cli_admin::on_context(settings, async |ctx| execute(ctx, request).await).await
}

async fn execute(ctx: &Context, request: Request) -> anyhow::Result<()> {
    let system = Actor::system();
    let explain = crate::cli_admin::explain;
    match request {
        Request::List { states, kind, limit } => {
            let params = JobParams { states, kind, cursor: None, limit: Some(limit) };
            let page = jobs::list(ctx, &system, &params).await.map_err(explain)?;
            println!(
                "{:>8}  {:<14} {:<10} {:>8}  {:<25} last error",
                "id", "kind", "state", "attempts", "run at"
            );
            for job in page.items {
                println!(
                    "{:>8}  {:<14} {:<10} {:>4}/{:<3}  {:<25} {}",
                    job.job_id,
                    job.kind.as_str(),
                    job.state.as_str(),
                    job.attempts,
                    job.max_attempts,
                    job.run_at.to_rfc3339(),
                    job.last_error.unwrap_or_default()
                );
            }
        }
        Request::Retry { job_id } => {
            let job = jobs::retry(ctx, &system, job_id).await.map_err(explain)?;
            println!("job {} is {}", job.job_id, job.state.as_str());
        }
        Request::Cancel { job_id } => {
            let job = jobs::cancel(ctx, &system, job_id).await.map_err(explain)?;
            println!("job {} is {}", job.job_id, job.state.as_str());
        }
    }
    Ok(())
}
