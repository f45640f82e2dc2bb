//! The listeners' accept loop, below routing: what `axum::serve` did, plus
//! what a server on the internet needs and it does not offer — a deadline
//! for the request head (hyper's timer, which also closes idle HTTP/1
//! keep-alive connections), caps on open connections per client address and
//! in total, and limits on the head's size and header count (431 beyond).
//! A connection over a cap is closed as soon as it is accepted: nothing is
//! read from it, and `herald_connections_refused_total` counts it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::config::ConnectionLimits;

/// One listener's settings.
#[derive(Debug, Clone)]
pub struct Listener {
    /// `api` or `metrics`, for the metrics' labels.
    pub name: &'static str,
    pub limits: ConnectionLimits,
    /// Addresses exempt from the per-address cap (trusted proxies, which
    /// carry many clients' connections).
    pub exempt: Vec<IpAddr>,
    /// How long requests in flight may finish after shutdown begins.
    pub grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` fires, then lets open
/// requests finish within the grace period.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: Listener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let builder = builder(&config.limits);
    let graceful = GracefulShutdown::new();
    let open = Arc::new(OpenConnections::new(&config));
    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, most likely: wait for some to
                    // close instead of spinning.
                    tracing::warn!(listener = config.name, error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(slot) = OpenConnections::admit(&open, peer.ip().to_canonical()) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        // Set once the connection has delivered a complete request head.
        let served = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&served);
        let service = router.clone().map_request(move |mut request: axum::http::Request<Incoming>| {
            seen.store(true, Ordering::Relaxed);
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request
        });
        let (builder, watcher, stop) = (builder.clone(), graceful.watcher(), shutdown.clone());
        let head_deadline = config.limits.header_read_timeout;
        tokio::spawn(async move {
            let deadline = tokio::time::sleep(head_deadline);
            tokio::pin!(deadline);
            // hyper's own head deadline starts only once it has chosen
            // HTTP/1, which takes bytes: a client that sends nothing, or a
            // few bytes of the HTTP/2 preface, is cut here instead.
            let mut first = [0_u8; 1];
            tokio::select! {
                () = stop.cancelled() => return,
                () = &mut deadline => return,
                peeked = stream.peek(&mut first) => {
                    if !matches!(peeked, Ok(1..)) {
                        return;
                    }
                }
            }
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
            let connection = watcher.watch(connection.into_owned());
            tokio::pin!(connection);
            let mut awaiting_first_request = true;
            loop {
                tokio::select! {
                    result = &mut connection => {
                        if let Err(err) = result {
                            tracing::debug!(error = %err, "connection ended with an error");
                        }
                        break;
                    }
                    () = &mut deadline, if awaiting_first_request => {
                        awaiting_first_request = false;
                        if !served.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!(
        listener = config.name,
        grace_secs = config.grace.as_secs(),
        "shutting down: draining in-flight requests"
    );
    if tokio::time::timeout(config.grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(listener = config.name, "grace period over: dropping requests still in flight");
    }
    Ok(())
}

fn builder(limits: &ConnectionLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_header_bytes);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(128)
        // Pings find peers that vanished without closing.
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(limits.header_read_timeout.max(Duration::from_secs(10)));
    builder
}

/// Open connections, per client address and in total.
#[derive(Debug)]
struct OpenConnections {
    name: &'static str,
    limits: ConnectionLimits,
    exempt: Vec<IpAddr>,
    counts: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

impl OpenConnections {
    fn new(config: &Listener) -> OpenConnections {
        OpenConnections {
            name: config.name,
            limits: config.limits.clone(),
            exempt: config.exempt.clone(),
            counts: Mutex::new((0, HashMap::new())),
        }
    }

    /// A slot for a new connection from `ip`, or `None` (counted) when a cap
    /// is reached. The slot is given back when dropped.
    fn admit(this: &Arc<OpenConnections>, ip: IpAddr) -> Option<Slot> {
        let mut counts = this.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (total, per_ip) = &mut *counts;
        let client = client_key(ip);
        let reason = if *total >= this.limits.max_connections {
            Some("total")
        } else if !this.exempt.contains(&ip)
            && per_ip.get(&client).copied().unwrap_or(0) >= this.limits.max_per_ip
        {
            Some("per_ip")
        } else {
            None
        };
        if let Some(reason) = reason {
            metrics::counter!("herald_connections_refused_total", "listener" => this.name, "reason" => reason)
                .increment(1);
            return None;
        }
        *total += 1;
        *per_ip.entry(client).or_default() += 1;
        metrics::gauge!("herald_connections_open", "listener" => this.name).set(*total as f64);
        Some(Slot { open: Arc::clone(this), ip: client })
    }
}

/// Whom a connection counts against: an IPv4 address, or an IPv6 /64 (one
/// subscriber's network, which hands out its addresses freely).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1_u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(network))
        }
        v4 => v4,
    }
}

struct Slot {
    open: Arc<OpenConnections>,
    /// The `client_key` it counts against.
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.open.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (total, per_ip) = &mut *counts;
        *total = total.saturating_sub(1);
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
        metrics::gauge!("herald_connections_open", "listener" => self.open.name).set(*total as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::client_key;

    #[test]
    fn connections_count_against_an_ipv4_address_or_an_ipv6_network() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert_eq!(client_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(client_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"), "IPv4-mapped is IPv4");
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), client_key(ip("2001:db8:1:2:ffff::9")), "one /64");
        assert_ne!(client_key(ip("2001:db8:1:2::1")), client_key(ip("2001:db8:1:3::1")));
    }
}
