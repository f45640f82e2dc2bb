//! Fan-out of every dispatched event to NATS JetStream, on subject
//! `herald.events.<type>` of a stream Herald creates if missing. Events go
//! out in stream order (`seq`) from a cursor kept in the database (moved
//! every few acknowledged messages), each with its event id as
//! `Nats-Msg-Id`, so JetStream drops the copies a restart (published,
//! cursor not yet moved) or a second instance sends within its duplicate
//! window: at least once from here, once in the stream. NATS being down only
//! delays it; events are not pruned before the fan-out has passed them.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use async_nats::jetstream;

use super::Error;
use crate::service::Context;
use crate::store::events;

/// The cursor's name in `stream_cursor`.
const CURSOR: &str = "nats";
/// Events published per round.
const BATCH: i64 = 200;
/// The cursor moves after this many acknowledged messages, so a crash sends
/// at most this many again.
const CHECKPOINT: usize = 20;
/// How long JetStream remembers message ids to drop repeats.
const DUPLICATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

/// A connection to NATS and the stream events go to.
#[derive(Debug)]
pub struct NatsFanout {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    stream: String,
    stream_ready: AtomicBool,
}

impl NatsFanout {
    /// Connects in the background (a NATS that is down at start is retried
    /// like one that goes away later).
    pub async fn connect(url: &str, stream: &str) -> anyhow::Result<NatsFanout> {
        crate::tls::install_crypto_provider();
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connection_timeout(std::time::Duration::from_secs(5))
            .name("herald")
            .connect(url)
            .await
            .with_context(|| format!("cannot use the NATS server at {}", crate::config::redact(url)))?;
        let jetstream = jetstream::new(client.clone());
        Ok(NatsFanout { client, jetstream, stream: stream.to_owned(), stream_ready: AtomicBool::new(false) })
    }

    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    async fn ensure_stream(&self) -> Result<(), Error> {
        if self.stream_ready.load(Ordering::Relaxed) {
            return Ok(());
        }
        let config = jetstream::stream::Config {
            name: self.stream.clone(),
            subjects: vec!["herald.events.>".to_owned()],
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        };
        self.jetstream.get_or_create_stream(config).await.map_err(|err| unavailable(&err))?;
        self.stream_ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Publishes the next batch after the cursor and moves it; returns how
    /// many went out (a full batch means more may be waiting).
    pub async fn publish_pending(&self, ctx: &Context) -> Result<usize, Error> {
        let from = events::cursor(&ctx.db, CURSOR).await?;
        let batch = events::after(&ctx.db, from, BATCH).await?;
        let lag = batch.first().map_or(0.0, |e| (ctx.clock.now() - e.occurred_at).as_seconds_f64().max(0.0));
        metrics::gauge!("herald_nats_lag_seconds").set(lag);
        let Some(last) = batch.last().and_then(|e| e.seq) else {
            return Ok(0);
        };
        self.ensure_stream().await?;
        let mut position = from;
        for chunk in batch.chunks(CHECKPOINT) {
            for event in chunk {
                if let Err(err) = self.publish_one(event).await {
                    // The stream may have been deleted: look again next time.
                    self.stream_ready.store(false, Ordering::Relaxed);
                    return Err(err);
                }
            }
            let reached = chunk.last().and_then(|e| e.seq).unwrap_or(last);
            // `false`: another instance moved it first; what both sent,
            // JetStream has de-duplicated. Follow it from the next round.
            if !events::advance_cursor(&ctx.db, CURSOR, position, reached).await? {
                break;
            }
            position = reached;
        }
        Ok(batch.len())
    }
}

impl NatsFanout {
    async fn publish_one(&self, event: &crate::domain::event::Event) -> Result<(), Error> {
        let subject = format!("herald.events.{}", event.event_type.as_str());
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", event.event_id.as_str());
        let body = super::webhooks::event_body(event);
        let ack = self
            .jetstream
            .publish_with_headers(subject, headers, body.into())
            .await
            .map_err(|err| unavailable(&err))?;
        ack.await.map_err(|err| unavailable(&err))?;
        metrics::counter!("herald_nats_published_total").increment(1);
        Ok(())
    }
}

fn unavailable(err: &dyn std::fmt::Display) -> Error {
    metrics::counter!("herald_nats_publish_errors_total").increment(1);
    Error::Upstream { provider: "nats", detail: err.to_string(), unavailable: true }
}

/// Publishes while events are waiting; `true` when a full batch went out.
pub async fn publish(ctx: &Context) -> Result<bool, Error> {
    match &ctx.nats {
        Some(nats) => Ok(nats.publish_pending(ctx).await? as i64 == BATCH),
        None => Ok(false),
    }
}

/// How the fan-out stands for readiness: `None` when it is not configured,
/// else whether it is connected and how far behind it is, in seconds.
pub async fn health(ctx: &Context) -> Result<Option<(bool, f64)>, Error> {
    let Some(nats) = &ctx.nats else {
        return Ok(None);
    };
    let from = events::cursor(&ctx.db, CURSOR).await?;
    let next = events::after(&ctx.db, from, 1).await?;
    let lag = next.first().map_or(0.0, |e| (ctx.clock.now() - e.occurred_at).as_seconds_f64().max(0.0));
    Ok(Some((nats.connected(), lag)))
}
