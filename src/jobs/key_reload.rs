//! Reloads the access-token signing keys every minute, so a rotation made
//! by `herald keys rotate` or another instance reaches this one: it starts
//! signing with the new key, and verifies tokens the others sign with it.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::service::{Context, keys};

const EVERY: Duration = Duration::from_secs(60);

pub(super) async fn run(ctx: Context, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        if let Err(err) = keys::reload(&ctx).await {
            tracing::warn!(error = %err, "could not reload the signing keys");
        }
    }
}
