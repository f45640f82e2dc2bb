//! Follows the shared event table for this instance's live streams: every
//! event dispatched by any instance is handed to the local hub in stream
//! order.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::service::{Context, event_stream};

/// How often the table is looked at when nothing new was there.
const IDLE: Duration = Duration::from_millis(200);

pub(super) async fn run(ctx: Context, shutdown: CancellationToken) {
    let mut position = None;
    loop {
        let step = match position {
            None => event_stream::begin_following(&ctx).await.map(|head| (head, false)),
            Some(seq) => event_stream::follow(&ctx, &ctx.stream, seq).await,
        };
        match step {
            Ok((seq, true)) => {
                position = Some(seq);
                continue;
            }
            Ok((seq, false)) => position = Some(seq),
            Err(err) => tracing::warn!(error = %err, "could not follow the event stream"),
        }
        tokio::select! {
            () = shutdown.cancelled() => {
                ctx.stream.close();
                return;
            }
            () = tokio::time::sleep(IDLE) => {}
        }
    }
}
