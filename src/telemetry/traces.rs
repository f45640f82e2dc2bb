//! Optional OpenTelemetry traces, exported over OTLP/HTTP to a collector.
//!
//! The request span (`http`), service spans, `db.query` spans and the
//! outbound `llm.chat_completions` span become OpenTelemetry spans with their
//! parent/child links. An incoming W3C `traceparent` makes the request span a
//! child of the caller's; outbound calls carry the current context onward.
//! Spans leave in batches from a background thread, so a slow or absent
//! collector never delays a request; `Traces::shutdown` flushes on exit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::config::{OtlpProtocol, OtlpSettings};

/// Whether spans are exported: without it the per-request propagation work is skipped.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Keeps the exporter alive; `shutdown` sends what is still buffered.
#[derive(Debug)]
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    pub fn shutdown(self) {
        if let Err(err) = self.provider.shutdown_with_timeout(Duration::from_secs(5)) {
            eprintln!("herald: could not flush traces: {err}");
        }
    }
}

/// The exporting layer and its handle.
pub fn layer<S>(
    settings: &OtlpSettings,
) -> anyhow::Result<(tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>, Traces)>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(match settings.protocol {
            OtlpProtocol::Protobuf => Protocol::HttpBinary,
            OtlpProtocol::Json => Protocol::HttpJson,
        })
        .with_endpoint(format!("{}/v1/traces", settings.endpoint))
        .with_timeout(Duration::from_secs(10))
        .build()?;
    let resource =
        opentelemetry_sdk::Resource::builder().with_service_name(settings.service_name.clone()).build();
    // Always on, not parent-based: the sampled flag of an incoming
    // traceparent comes from the client and must not switch tracing off.
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOn)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("herald");
    ENABLED.store(true, Ordering::Relaxed);
    Ok((tracing_opentelemetry::layer().with_tracer(tracer), Traces { provider }))
}

/// Whether spans are exported.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Makes `span` a child of the caller's trace when the request carries a
/// valid `traceparent`. Every request is sampled whatever the caller's
/// flag says (see `layer`), so a client cannot keep its requests out of
/// the traces.
pub fn continue_remote_trace(span: &tracing::Span, headers: &HeaderMap) {
    if !enabled() || !headers.contains_key("traceparent") {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    // Fails only when no OpenTelemetry layer is installed, i.e. nothing to link.
    let _ = span.set_parent(parent);
}

/// Adds `traceparent` for the current span to outbound headers. A caller's
/// `tracestate` is not passed on to third parties.
pub fn inject_current(headers: &mut HeaderMap) {
    if !enabled() {
        return;
    }
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    headers.remove("tracestate");
}
