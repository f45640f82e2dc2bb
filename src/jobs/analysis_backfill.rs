//! Gives posts stored before text analysis existed their analysis.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::PostId;
use crate::service::{Context, posts};

/// Posts analysed per round, the pause between rounds while some are left,
/// and how often to look again once none are (posts saved since always
/// carry their analysis).
const BATCH: i64 = 100;
const PAUSE: Duration = Duration::from_secs(1);
const RECHECK: Duration = Duration::from_secs(600);

/// Analyses posts stored without an analysis, a batch at a time, until
/// shutdown. The analysis is derived data: the response cache is not
/// invalidated for it (cached reads catch up within `cache_ttl_secs`).
/// Several instances may overlap; the service keeps that harmless.
pub(super) async fn run(ctx: Context, shutdown: CancellationToken) {
    let mut after = PostId::new(0);
    loop {
        let pause = match posts::backfill_analysis(&ctx, after, BATCH).await {
            Ok(round) => {
                if round.filled > 0 {
                    tracing::info!(count = round.filled, "analysed posts stored without an analysis");
                }
                match round.next_after {
                    Some(last) => {
                        after = last;
                        PAUSE
                    }
                    None => {
                        after = PostId::new(0);
                        RECHECK
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not look for posts without an analysis");
                RECHECK
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}
