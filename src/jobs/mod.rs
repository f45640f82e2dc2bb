//! Background work that runs beside the HTTP server inside `herald serve`.
//! Each job is a loop over a service call; none touches the store directly.
//! They stop when the shutdown token fires.

mod analysis_backfill;
mod event_dispatch;
mod scheduled_publishing;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::service::Context;

/// The running background jobs.
#[derive(Debug)]
pub struct Jobs {
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

impl Jobs {
    /// Starts every background job on `ctx` until `shutdown` is cancelled.
    pub fn start(ctx: &Context, shutdown: &CancellationToken) -> Jobs {
        let handles = vec![
            ("scheduled publishing", tokio::spawn(scheduled_publishing::run(ctx.clone(), shutdown.clone()))),
            ("analysis backfill", tokio::spawn(analysis_backfill::run(ctx.clone(), shutdown.clone()))),
            ("event dispatch", tokio::spawn(event_dispatch::run(ctx.clone(), shutdown.clone()))),
        ];
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
}
