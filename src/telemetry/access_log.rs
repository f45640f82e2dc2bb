//! The one structured line per request: method, route template, status,
//! latency, bytes sent and (through the request span) request and user ids.
//!
//! It is written when the response body has been sent, not when the headers
//! leave, so `bytes` is what went over the wire (after compression) and
//! `latency_ms` includes streaming the body. A client that hangs up early
//! gets the line too, marked `complete = false`.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};

/// Arranges the request's line for `response`: written when its body has
/// been sent. Called by `metrics::track`, which already knows the method,
/// route and start time (one middleware layer for both: each layer costs
/// measurable throughput on cached reads).
pub fn attach(response: Response, started: Instant, method: &str, route: &str) -> Response {
    let status = response.status().as_u16();
    // With request lines filtered out (log level above info), skip the
    // bookkeeping; server errors are still logged, without the byte count.
    if !tracing::enabled!(tracing::Level::INFO) {
        if status >= 500 {
            tracing::warn!(method, route, status, latency_ms = latency_ms(started), "request");
        }
        return response;
    }
    let entry = Entry {
        started,
        method: method.to_owned(),
        route: route.to_owned(),
        status,
        span: tracing::Span::current(),
    };
    response.map(|body| Body::new(Counted { inner: body, bytes: 0, entry: Some(entry) }))
}

struct Entry {
    started: Instant,
    method: String,
    route: String,
    status: u16,
    /// The request span (request and user ids); the body may finish
    /// outside it, when hyper drops a body it knows is complete.
    span: tracing::Span,
}

impl Entry {
    fn write(self, bytes: u64, complete: bool) {
        let latency_ms = latency_ms(self.started);
        let _in_request = self.span.enter();
        let (method, route, status) = (self.method.as_str(), self.route.as_str(), self.status);
        if status >= 500 {
            tracing::warn!(method, route, status, latency_ms, bytes, complete, "request");
        } else {
            tracing::info!(method, route, status, latency_ms, bytes, complete, "request");
        }
    }
}

/// Milliseconds since `started`, to the microsecond.
fn latency_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

/// The response body, counting the bytes it yields.
struct Counted {
    inner: Body,
    bytes: u64,
    entry: Option<Entry>,
}

impl HttpBody for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        // Every field is Unpin, so the wrapper is too.
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                this.bytes += frame.data_ref().map_or(0, |d| d.len() as u64);
            }
            Poll::Ready(None) => {
                if let Some(entry) = this.entry.take() {
                    entry.write(this.bytes, true);
                }
            }
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        // hyper may drop a body it knows is empty (HEAD, 204, 304) without
        // polling it to the end; that is complete, not an abort.
        if let Some(entry) = self.entry.take() {
            let complete = self.inner.is_end_stream();
            entry.write(self.bytes, complete);
        }
    }
}
