//! Marks due scheduled posts published.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::service::{Context, posts};

/// How often due scheduled posts are marked published. Reads never wait for
/// it (a due post is shown as published anyway); it keeps the stored status
/// and `published_at` true for filters, counts and exports.
const INTERVAL: Duration = Duration::from_secs(5);

/// Publishes due scheduled posts until shutdown. Idempotent, so every
/// instance may run it; a failure is logged and retried next round.
pub(super) async fn run(ctx: Context, shutdown: CancellationToken) {
    loop {
        match posts::publish_due(&ctx).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "published scheduled posts"),
            Err(err) => tracing::warn!(error = %err, "could not publish scheduled posts"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(INTERVAL) => {}
        }
    }
}
