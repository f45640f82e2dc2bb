//! Prometheus metrics: RED metrics per route template (never the raw path),
//! latency histograms with explicit buckets (so instances can be summed),
//! in-flight requests, cache, database pool, protection and process gauges.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{LazyLock, OnceLock, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::cache::Cache;
use crate::service::Context;
use crate::store::Db;

const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often recorded latencies are folded into their histograms' buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Installs the process-wide recorder once; later calls (tests building
/// several apps in one process) share it.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
                .ok()?
                .install_recorder()
                .map_err(|err| tracing::warn!(error = %err, "metrics recorder not installed"))
                .ok()?;
            start_upkeep(handle.clone());
            Some(handle)
        })
        .as_ref()
}

/// The exporter keeps every latency it is given (8 bytes each) until its
/// upkeep folds them into bucket counts, which only a scrape did here:
/// unscraped, a server answering 90,000 requests a second grew by 7 MB
/// every ten seconds. A thread of its own, so no runtime has to be there.
fn start_upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new().name(UPKEEP_THREAD.to_owned()).spawn(move || {
        loop {
            std::thread::sleep(UPKEEP_EVERY);
            handle.run_upkeep();
        }
    });
    if let Err(err) = started {
        tracing::warn!(error = %err, "metrics upkeep not started: latencies accumulate until scraped");
    }
}

const UPKEEP_THREAD: &str = "metrics-upkeep";

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The request counter and latency histogram of one method, route template
/// and status class.
type RequestMeters = (Method, &'static str, metrics::Counter, metrics::Histogram);

/// Meters by route template, registered on first use: looking a metric up
/// by its labels builds and hashes them, several allocations per request.
/// Routes are templates, so the map stays as small as the router.
static REQUEST_METERS: LazyLock<RwLock<HashMap<String, Vec<RequestMeters>>>> = LazyLock::new(RwLock::default);

fn record_request(method: &Method, route: &str, status: &'static str, seconds: f64) {
    let meters = REQUEST_METERS.read().unwrap_or_else(PoisonError::into_inner);
    if let Some((.., counter, histogram)) =
        meters.get(route).and_then(|all| all.iter().find(|(m, s, ..)| m == method && *s == status))
    {
        counter.increment(1);
        histogram.record(seconds);
        return;
    }
    drop(meters);
    let labels =
        [("method", method.as_str().to_owned()), ("route", route.to_owned()), ("status", status.to_owned())];
    let counter = metrics::counter!("http_requests_total", &labels);
    let histogram = metrics::histogram!("http_request_duration_seconds", &labels);
    counter.increment(1);
    histogram.record(seconds);
    let mut meters = REQUEST_METERS.write().unwrap_or_else(PoisonError::into_inner);
    let all = meters.entry(route.to_owned()).or_default();
    if !all.iter().any(|(m, s, ..)| m == method && *s == status) {
        all.push((method.clone(), status, counter, histogram));
    }
}

static IN_FLIGHT: LazyLock<metrics::Gauge> = LazyLock::new(|| metrics::gauge!("http_requests_in_flight"));

/// Middleware: counts and times every request by method, route template and
/// status class, and arranges its log line (`access_log`).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    IN_FLIGHT.increment(1.0);
    let started = Instant::now();
    let response = next.run(request).await;
    IN_FLIGHT.decrement(1.0);
    let route = route.as_ref().map_or("<unmatched>", MatchedPath::as_str);
    finish(response, started, &method, route)
}

/// Counts, times and arranges the log line of a response, as `track` does;
/// also for a response answered before `track` runs (a cache hit).
pub fn finish(response: Response, started: Instant, method: &Method, route: &str) -> Response {
    let response = super::access_log::attach(response, started, method.as_str(), route);
    let status = status_class(response.status().as_u16());
    record_request(method, route, status, started.elapsed().as_secs_f64());
    response
}

/// Gauges read at scrape time, then the rendered exposition.
pub fn render(ctx: &Context, cache: &Cache, started_at: Instant) -> String {
    let stats = &cache.stats;
    for (level, hits, misses) in
        [("l1", &stats.l1_hits, &stats.l1_misses), ("l2", &stats.l2_hits, &stats.l2_misses)]
    {
        metrics::counter!("herald_cache_hits_total", "level" => level).absolute(hits.load(Ordering::Relaxed));
        metrics::counter!("herald_cache_misses_total", "level" => level)
            .absolute(misses.load(Ordering::Relaxed));
    }
    metrics::counter!("herald_cache_bypassed_total").absolute(stats.bypassed.load(Ordering::Relaxed));
    metrics::counter!("herald_cache_evictions_total", "level" => "l1")
        .absolute(stats.l1_evictions.load(Ordering::Relaxed));
    metrics::counter!("herald_cache_invalidated_total").absolute(stats.invalidated.load(Ordering::Relaxed));
    metrics::gauge!("herald_cache_l1_entries").set(cache.l1_entries() as f64);
    let pools: Vec<(&str, usize, usize)> = match &ctx.db {
        Db::Sqlite { read, write } => {
            let ((read_size, read_idle), (write_size, write_idle)) = (read.sizes(), write.sizes());
            vec![("read", read_size, read_idle), ("write", write_size, write_idle)]
        }
        Db::Postgres(pool) => {
            let (size, idle) = pool.sizes();
            vec![("main", size, idle)]
        }
    };
    for (pool, size, idle) in pools {
        metrics::gauge!("herald_db_pool_connections", "pool" => pool).set(size as f64);
        metrics::gauge!("herald_db_pool_idle_connections", "pool" => pool).set(idle as f64);
    }
    let (provider, health) = ctx.generator.health();
    let open = if health == crate::content::generation::ProviderHealth::Up { 0.0 } else { 1.0 };
    metrics::gauge!("herald_generation_breaker_open", "provider" => provider).set(open);
    metrics::gauge!("herald_build_info", "version" => env!("CARGO_PKG_VERSION"), "git_sha" => env!("HERALD_GIT_SHA"))
        .set(1.0);
    metrics::gauge!("process_uptime_seconds").set(started_at.elapsed().as_secs_f64());
    process_gauges();
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

/// Resident memory, CPU time and open file descriptors from /proc (Linux).
fn process_gauges() {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines() {
            if let Some(kib) =
                line.strip_prefix("VmRSS:").and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            {
                metrics::gauge!("process_resident_memory_bytes").set(kib * 1024.0);
            }
        }
    }
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        // Fields after the command name: utime and stime are the 12th and 13th.
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
        let ticks: f64 = [11, 12].iter().filter_map(|i| fields.get(*i)?.parse::<f64>().ok()).sum();
        metrics::gauge!("process_cpu_seconds_total").set(ticks / 100.0);
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(entries.count() as f64);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recorded_latencies_are_folded_by_a_thread_of_their_own() {
        assert!(super::handle().is_some());
        let threads = || -> Vec<String> {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_owned())
                .collect()
        };
        // A new thread names itself once it runs; until then it has its parent's name.
        for _ in 0..100 {
            if threads().iter().any(|n| n == super::UPKEEP_THREAD) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("no {} thread among {:?}", super::UPKEEP_THREAD, threads());
    }
}
