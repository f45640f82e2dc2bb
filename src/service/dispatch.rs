//! The outbox's dispatcher: hands recorded events to the in-process
//! handlers (the response caches, webhook subscriptions) once each, at least
//! once across processes.

use super::Error;
use super::events::ORIGIN_API;
use crate::domain::event::Event;
use crate::service::Context;
use crate::store::events;

/// Events dispatched per round.
const DISPATCH_BATCH: i64 = 200;
/// Event ids remembered as handled, so a redelivery is not handled twice.
const REMEMBERED: usize = 10_000;

/// Hands undispatched events to the in-process handlers: the response cache
/// (changes made by a process without one — the CLI, a standalone worker —
/// are reported on this instance's change feed, so every instance's cache
/// learns of them) and webhook subscriptions (one delivery job each). Each event is handled once per process
/// (by id); delivery across processes is at least once.
#[derive(Debug, Default)]
pub struct Dispatcher {
    handled: std::collections::HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl Dispatcher {
    /// One round; `true` when the batch was full (more may be waiting).
    pub async fn dispatch_pending(&mut self, ctx: &Context) -> Result<bool, Error> {
        let pending = events::pending(&ctx.db, DISPATCH_BATCH).await?;
        let lag =
            pending.first().map_or(0.0, |e| (ctx.clock.now() - e.occurred_at).as_seconds_f64().max(0.0));
        metrics::gauge!("herald_outbox_lag_seconds").set(lag);
        if pending.is_empty() {
            return Ok(false);
        }
        let fresh: Vec<&Event> = pending.iter().filter(|e| !self.handled.contains(&e.event_id)).collect();
        if fresh.iter().any(|e| e.origin != ORIGIN_API) {
            // Not reported when they were made: their effect on listings is
            // unknown here, so every cached response is reloaded.
            ctx.changes.publish(&[crate::domain::change::Change::Everything]).await;
        }
        for event in &fresh {
            metrics::counter!("herald_events_dispatched_total", "type" => event.event_type.as_str())
                .increment(1);
            self.remember(event.event_id.clone());
        }
        // Deliveries are made in the transaction that marks their events
        // dispatched, so an event is handed on completely or not at all; the
        // database, not this process's memory, knows which exist already.
        let ids: Vec<String> = pending.iter().map(|e| e.event_id.clone()).collect();
        let all: Vec<&Event> = pending.iter().collect();
        let mut tx = ctx.db.begin().await?;
        super::webhooks::fan_out(ctx, &mut tx, &all).await?;
        events::mark_dispatched(&mut tx, &ids, ctx.clock.now()).await?;
        tx.commit().await?;
        Ok(pending.len() as i64 == DISPATCH_BATCH)
    }

    fn remember(&mut self, id: String) {
        if self.handled.insert(id.clone()) {
            self.order.push_back(id);
        }
        while self.order.len() > REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.handled.remove(&old);
            }
        }
    }
}
