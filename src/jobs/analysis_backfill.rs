//! At start, queues an analysis job for every post stored without an
//! analysis (before analysis existed, or whose job died), so the backfill
//! runs on the queue's workers like any analysis.

use crate::service::{Context, posts};

pub(super) async fn run(ctx: Context) {
    match posts::queue_missing_analyses(&ctx).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "queued the analysis of posts stored without one"),
        Err(err) => tracing::warn!(error = %err, "could not queue the analysis of posts stored without one"),
    }
}
