//! Refreshes the database's planner statistics every hour (SQLite's
//! `PRAGMA optimize`; the writer also runs it when it opens).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::service::{Context, maintenance};

const EVERY: Duration = Duration::from_secs(3600);

pub(super) async fn run(ctx: Context, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        if let Err(err) = maintenance::refresh_planner_statistics(&ctx).await {
            tracing::warn!(error = %err, "could not refresh the planner statistics; will retry");
        }
    }
}
