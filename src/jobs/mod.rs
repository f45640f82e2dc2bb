//! Background work: queue workers (inside `herald serve`, or alone with
//! `herald worker`), the event dispatcher, the analysis backfill, the
//! analytics flush and the queue's gauges. Each is a loop over service calls; none touches the store
//! directly. They stop when the shutdown token fires.

mod analysis_backfill;
mod analytics;
mod event_dispatch;
mod event_stream;
mod key_reload;
mod nats_fanout;
mod planner_statistics;
mod worker;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::service::Context;

/// The running background jobs.
#[derive(Debug)]
pub struct Jobs {
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

impl Jobs {
    /// Starts what `herald serve` runs beside the HTTP server: `workers`
    /// queue workers, the event dispatcher, the follower of the event
    /// stream (for live streams), the analysis backfill, the signing keys'
    /// reload, the analytics flush, the planner statistics and the queue gauges.
    pub fn start(ctx: &Context, shutdown: &CancellationToken) -> Jobs {
        let mut jobs = Jobs::workers(ctx, shutdown);
        jobs.handles
            .push(("event dispatch", tokio::spawn(event_dispatch::run(ctx.clone(), shutdown.clone()))));
        jobs.handles.push(("event stream", tokio::spawn(event_stream::run(ctx.clone(), shutdown.clone()))));
        if ctx.nats.is_some() {
            jobs.handles
                .push(("nats fan-out", tokio::spawn(nats_fanout::run(ctx.clone(), shutdown.clone()))));
        }
        jobs.handles.push(("analysis backfill", tokio::spawn(analysis_backfill::run(ctx.clone()))));
        jobs.handles.push(("key reload", tokio::spawn(key_reload::run(ctx.clone(), shutdown.clone()))));
        jobs.handles.push(("analytics", tokio::spawn(analytics::run(ctx.clone(), shutdown.clone()))));
        jobs.handles.push((
            "planner statistics",
            tokio::spawn(planner_statistics::run(ctx.clone(), shutdown.clone())),
        ));
        jobs
    }

    /// Only the queue workers and gauges (`herald worker`).
    pub fn workers(ctx: &Context, shutdown: &CancellationToken) -> Jobs {
        let grace = ctx.settings.http.shutdown_grace;
        let instance = uuid::Uuid::now_v7().simple().to_string();
        let mut handles =
            vec![("queue gauges", tokio::spawn(worker::observe(ctx.clone(), shutdown.clone())))];
        for n in 0..ctx.settings.workers {
            let name = format!("{}-{n}", &instance[instance.len() - 8..]);
            handles.push((
                "queue worker",
                tokio::spawn(worker::run(ctx.clone(), name, shutdown.clone(), grace)),
            ));
        }
        Jobs { handles }
    }

    /// Waits for every job to return (after the shutdown token fired).
    pub async fn stopped(self) {
        for (name, handle) in self.handles {
            if let Err(err) = handle.await {
                tracing::error!(job = name, error = %err, "a background job panicked");
            }
        }
    }

    /// Writes the engagement counts of requests that finished after the
    /// background jobs stopped (the server drains after they are told to).
    pub async fn final_flush(ctx: &Context) {
        analytics::flush(ctx).await;
    }
}
