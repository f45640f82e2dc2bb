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
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};

/// Middleware: wraps the response body so the line is logged at its end.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route =
        request.extensions().get::<MatchedPath>().map_or("<unmatched>", MatchedPath::as_str).to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let entry = Entry { started, method, route, status, span: tracing::Span::current() };
    response.map(|body| Body::new(Counted { inner: body, bytes: 0, entry: Some(entry) }))
}

struct Entry {
    started: Instant,
    method: axum::http::Method,
    route: String,
    status: u16,
    /// The request span (request and user ids); the body may finish
    /// outside it, when hyper drops a body it knows is complete.
    span: tracing::Span,
}

impl Entry {
    fn write(self, bytes: u64, complete: bool) {
        let latency_ms = (self.started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
        let _in_request = self.span.enter();
        let (method, route, status) = (self.method.as_str(), self.route.as_str(), self.status);
        if status >= 500 {
            tracing::warn!(method, route, status, latency_ms, bytes, complete, "request");
        } else {
            tracing::info!(method, route, status, latency_ms, bytes, complete, "request");
        }
    }
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
