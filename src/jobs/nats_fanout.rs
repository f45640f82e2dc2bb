//! Publishes dispatched events to NATS JetStream (when `nats_url` is set),
//! in stream order; while NATS is away it waits and tries again, losing
//! nothing (the cursor only moves past what JetStream acknowledged).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::service::{Context, nats_fanout};

/// How often it looks for new events when it had caught up.
const IDLE: Duration = Duration::from_millis(200);
/// How long it waits after NATS failed before trying again.
const BACK_OFF: Duration = Duration::from_secs(2);

pub(super) async fn run(ctx: Context, shutdown: CancellationToken) {
    loop {
        let wait = match nats_fanout::publish(&ctx).await {
            Ok(true) => continue,
            Ok(false) => IDLE,
            Err(err) => {
                tracing::warn!(error = %err, "could not publish events to NATS; will retry");
                BACK_OFF
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}
