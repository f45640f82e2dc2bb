//! `GET /api/v1/events/stream`: the live change feed as Server-Sent Events.
//! Each event's SSE `id` is its place in the stream (`seq`), so a client
//! that reconnects with `Last-Event-ID` gets exactly what it missed. A
//! client too slow to take its events is disconnected rather than buffered
//! without bound; heartbeats keep idle connections (and proxies) alive.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::{broadcast, mpsc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::events::{EventView, PROBLEM};
use super::extract::AuthUser;
use super::problem::{ApiError, Problem};
use crate::domain::ValidationError;
use crate::domain::event::Event;
use crate::http::AppState;
use crate::service::event_stream::{self, Slot, StreamFilter};
use crate::service::{Actor, Context};

/// Events waiting for one client; a client this far behind is dropped.
const CLIENT_BUFFER: usize = 256;
/// How long one event may wait for a client to take it.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream_events))
}

/// One server-sent event of the stream, as a client's SSE parser sees it.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // Documents the wire format; frames are written by axum's `Sse`.
pub(super) struct StreamFrame {
    /// The event's place in the stream (`seq`): send it back as `Last-Event-ID`.
    id: String,
    /// The event type, e.g. `post.published`.
    event: String,
    /// The event as JSON (the audit log's shape, with `seq`).
    data: String,
}

#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the parameters; they are parsed by `stream_params`.
pub(super) struct StreamParams {
    /// Only these event types (repeat, or separate with commas).
    types: Option<Vec<String>>,
    /// Resume after this event (as the `Last-Event-ID` header does).
    last_event_id: Option<i64>,
}

fn stream_params(raw: Option<&str>, headers: &HeaderMap) -> Result<(StreamFilter, Option<i64>), ApiError> {
    let mut types = Vec::new();
    let mut last = headers.get("last-event-id").map(|v| v.to_str().unwrap_or("invalid").to_owned());
    let mut errors = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "types" => types.push(value.into_owned()),
            "last_event_id" => last = Some(value.into_owned()),
            other => errors.push(ValidationError::new(other, "unknown", "unknown parameter")),
        }
    }
    let last = match last.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(seq) if seq >= 0 => Some(seq),
            _ => {
                errors.push(ValidationError::new("last_event_id", "invalid", "must be an event's stream id"));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok((StreamFilter::parse(&types)?, last))
}

/// The live change feed (Server-Sent Events). Admins see every event;
/// others what they did, what was done to their account, every event of
/// posts they write or edit and the public events (created, published,
/// updated, liked, comments) of posts they may read. Resumable with
/// `Last-Event-ID`; a heartbeat comment every 15 s; at most five streams
/// per user; a stream ends after the access-token lifetime (reconnect and
/// resume).
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "events", params(StreamParams,
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event")),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "`text/event-stream`: `id` (stream position), `event` (the type), `data` (the event as JSON)",
            content_type = "text/event-stream", body = StreamFrame),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
        (status = 429, description = "Too many open streams", body = Problem, content_type = PROBLEM),
        (status = 503, description = "The instance is still starting", body = Problem, content_type = PROBLEM),
    ))]
async fn stream_events(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    stream_for(ctx, actor, query.as_deref(), &headers).await
}

/// The change feed of `actor` (also Studio's, for its signed-in user).
pub(crate) async fn stream_for(
    ctx: Context,
    actor: Actor,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let (filter, last) = stream_params(query, headers)?;
    let slot = ctx.stream.admit(&actor)?;
    // Subscribed before the catch-up is read, so nothing falls in between.
    let live = ctx.stream.subscribe();
    let start = event_stream::start(&ctx, last).await?;
    let (sender, receiver) = mpsc::channel(CLIENT_BUFFER);
    // The credential was checked once, here: the stream ends when an access
    // token would have expired, so a revoked key, a disabled account or a
    // lost role stops receiving within that time (the client resumes).
    let ends = tokio::time::Instant::now() + ctx.settings.auth.access_token_ttl;
    tokio::spawn(pump(Pump { ctx, actor, filter, _slot: slot, sender }, start, live, ends));
    let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|event| (Ok::<_, Infallible>(event), receiver))
    });
    let sse = Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    // nginx would otherwise buffer the stream.
    Ok(([("x-accel-buffering", "no")], sse).into_response())
}

/// What one client's stream is fed from.
struct Pump {
    ctx: Context,
    actor: Actor,
    filter: StreamFilter,
    _slot: Slot,
    sender: mpsc::Sender<SseEvent>,
}

impl Pump {
    /// Sends `event` if the client may see it; `false` ends the stream (the
    /// client left, or is too slow).
    async fn offer(&self, event: &Event) -> bool {
        if !event_stream::visible(&self.ctx, &self.actor, &self.filter, event).await {
            return true;
        }
        let data = serde_json::to_string(&EventView::from(event.clone())).unwrap_or_default();
        let sse = SseEvent::default()
            .id(event.seq.unwrap_or_default().to_string())
            .event(event.event_type.as_str())
            .data(data);
        match tokio::time::timeout(SEND_TIMEOUT, self.sender.send(sse)).await {
            Ok(Ok(())) => true,
            Ok(Err(_)) => false,
            Err(_) => {
                metrics::counter!("herald_event_streams_dropped_total").increment(1);
                false
            }
        }
    }
}

async fn pump(
    client: Pump,
    mut seq: i64,
    mut live: broadcast::Receiver<Arc<Event>>,
    ends: tokio::time::Instant,
) {
    // Catch up from the table, then follow the hub; `seq` only grows, so an
    // event seen in both is sent once.
    loop {
        let missed = match event_stream::after(&client.ctx, seq).await {
            Ok(missed) => missed,
            Err(err) => {
                // The client resumes from `seq` when it reconnects.
                tracing::warn!(error = %err, "could not read a stream's missed events; closing it");
                return;
            }
        };
        let more = missed.len() as i64 >= event_stream::PAGE;
        for event in &missed {
            if !client.offer(event).await {
                return;
            }
            seq = event.seq.unwrap_or(seq);
        }
        if !more {
            break;
        }
    }
    loop {
        let event = tokio::select! {
            received = live.recv() => received,
            () = client.sender.closed() => return,
            () = client.ctx.stream.closed() => return,
            () = tokio::time::sleep_until(ends) => return,
        };
        match event {
            Ok(event) if event.seq.is_some_and(|s| s > seq) => {
                if !client.offer(&event).await {
                    return;
                }
                seq = event.seq.unwrap_or(seq);
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => {
                metrics::counter!("herald_event_streams_dropped_total").increment(1);
                return;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
