//! Writes the engagement counters every `analytics_flush_interval_ms` (the
//! server writes them once more after draining), rolls up likes and comments from the event
//! stream, and prunes rollups past their retention every hour.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::service::{Context, analytics};

const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Rounds of event roll-up per interval (each reads up to 1,000 events).
const ROLL_UP_ROUNDS: usize = 10;

/// Flushes the counters, logging (not failing on) a database error: the
/// counts stay for the next attempt.
pub(crate) async fn flush(ctx: &Context) {
    if let Err(err) = analytics::flush(ctx).await {
        metrics::counter!("herald_analytics_flush_errors_total").increment(1);
        tracing::warn!(error = %err, "could not write engagement counts; will retry");
    }
}

pub(super) async fn run(ctx: Context, shutdown: CancellationToken) {
    let interval = ctx.settings.analytics.flush_interval;
    let mut last_prune: Option<tokio::time::Instant> = None;
    loop {
        // The last flush is the server's, once it has drained
        // (`Jobs::final_flush`): views of requests still in flight count.
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        flush(&ctx).await;
        for _ in 0..ROLL_UP_ROUNDS {
            match analytics::rollup::roll_up(&ctx).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "could not roll up likes and comments; will retry");
                    break;
                }
            }
        }
        if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(tokio::time::Instant::now());
            match analytics::prune(&ctx).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned engagement rollups"),
                Err(err) => tracing::warn!(error = %err, "could not prune engagement rollups"),
            }
        }
    }
}
