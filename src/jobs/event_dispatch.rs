//! Delivers outbox events to in-process handlers, at least once, and prunes
//! events past their retention.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::service::{Context, dispatch, events};

/// How often the outbox is looked at when it was empty.
const IDLE: Duration = Duration::from_millis(250);
/// How often events past their retention are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub(super) async fn run(ctx: Context, shutdown: CancellationToken) {
    let mut dispatcher = dispatch::Dispatcher::default();
    let mut last_prune: Option<tokio::time::Instant> = None;
    loop {
        let busy = match dispatcher.dispatch_pending(&ctx).await {
            Ok(full) => full,
            Err(err) => {
                metrics::counter!("herald_dispatch_errors_total").increment(1);
                tracing::warn!(error = %err, "could not dispatch events");
                false
            }
        };
        if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(tokio::time::Instant::now());
            match events::prune(&ctx).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "pruned events and finished jobs past their retention"),
                Err(err) => tracing::warn!(error = %err, "could not prune events and finished jobs"),
            }
        }
        if busy {
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(IDLE) => {}
        }
    }
}
