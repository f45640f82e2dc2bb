//! `tracing` setup: human-readable on a terminal, JSON lines otherwise; and,
//! when configured, OpenTelemetry span export beside the logs.

use std::io::IsTerminal as _;

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use super::traces::{self, Traces};
use crate::config::{LogFormat, LogSettings};

/// What traces carry: Herald's own spans down to `debug` (service calls and
/// queries, which logs leave out), other crates' warnings.
const TRACE_FILTER: &str = "warn,herald=debug";

/// Installs the global subscriber. Safe to call more than once (later calls
/// are ignored), which test harnesses rely on. Returns the trace exporter
/// to flush at exit when traces are configured.
pub fn init(settings: &LogSettings) -> Option<Traces> {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match settings.format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_span_events(FmtSpan::NONE);
    // Each layer has its own filter, so trace-only spans never show in logs.
    let logs = if json {
        fmt.json().with_current_span(true).with_span_list(false).with_filter(filter).boxed()
    } else {
        fmt.with_ansi(std::io::stderr().is_terminal()).with_filter(filter).boxed()
    };
    let registry = tracing_subscriber::registry().with(logs);
    // Without traces the trace layer is left out entirely rather than added
    // as `None`: an absent `Option` layer enables every callsite, which
    // would build every disabled span and event on the hot path.
    match settings.otlp.as_ref().map(traces::layer) {
        Some(Ok((layer, handle))) => {
            let _already_set = registry.with(layer.with_filter(EnvFilter::new(TRACE_FILTER))).try_init();
            Some(handle)
        }
        Some(Err(err)) => {
            eprintln!("herald: traces are off: cannot set up the OTLP exporter: {err:#}");
            let _already_set = registry.try_init();
            None
        }
        None => {
            let _already_set = registry.try_init();
            None
        }
    }
}
