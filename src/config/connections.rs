//! Settings of the listeners themselves, below HTTP routing: how long a
//! client may take to send its request head, how many connections it may
//! hold, and how large a head may be.

use std::time::Duration;

use super::parse::{Parser, int_in};
use super::setting::SettingDef;

const HEADER_READ_TIMEOUT_SECS: &str = "header_read_timeout_secs";
const MAX_CONNECTIONS: &str = "max_connections";
const MAX_CONNECTIONS_PER_IP: &str = "max_connections_per_ip";
const MAX_REQUEST_HEADERS: &str = "max_request_headers";
const MAX_HEADER_BYTES: &str = "max_header_bytes";
const METRICS_MAX_CONNECTIONS: &str = "metrics_max_connections";

pub(super) const CONNECTION_SETTINGS: &[SettingDef] = &[
    SettingDef {
        key: HEADER_READ_TIMEOUT_SECS,
        env: &["HERALD_HEADER_READ_TIMEOUT_SECS"],
        default: Some("10"),
        secret: false,
        doc: "A client must send a whole request head within this many seconds, and an idle HTTP/1 keep-alive connection is closed after it (both listeners).",
    },
    SettingDef {
        key: MAX_CONNECTIONS,
        env: &["HERALD_MAX_CONNECTIONS"],
        default: Some("10000"),
        secret: false,
        doc: "Open connections the API listener holds at most; beyond it new ones are closed at once (`herald_connections_refused_total`).",
    },
    SettingDef {
        key: MAX_CONNECTIONS_PER_IP,
        env: &["HERALD_MAX_CONNECTIONS_PER_IP"],
        default: Some("256"),
        secret: false,
        doc: "Open connections one client address (an IPv6 /64 counts as one) holds at most (trusted proxies are exempt); beyond it new ones are closed at once.",
    },
    SettingDef {
        key: MAX_REQUEST_HEADERS,
        env: &["HERALD_MAX_REQUEST_HEADERS"],
        default: Some("100"),
        secret: false,
        doc: "Headers one request may carry; more get 431.",
    },
    SettingDef {
        key: MAX_HEADER_BYTES,
        env: &["HERALD_MAX_HEADER_BYTES"],
        default: Some("32768"),
        secret: false,
        doc: "Size of a request head at most (8192 or more); a larger one gets 431.",
    },
    SettingDef {
        key: METRICS_MAX_CONNECTIONS,
        env: &["HERALD_METRICS_MAX_CONNECTIONS"],
        default: Some("32"),
        secret: false,
        doc: "Open connections the separate metrics listener holds at most.",
    },
];

/// Limits applied to every connection of one listener.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub max_per_ip: usize,
    pub max_headers: usize,
    pub max_header_bytes: usize,
}

/// The API listener's limits and the metrics listener's.
#[derive(Debug, Clone)]
pub struct ListenerLimits {
    pub api: ConnectionLimits,
    pub metrics: ConnectionLimits,
}

pub(super) fn parse_connections(p: &mut Parser<'_>) -> Option<ListenerLimits> {
    let timeout = p.parse(HEADER_READ_TIMEOUT_SECS, |s| int_in(s, 1, 3600));
    let total = p.parse(MAX_CONNECTIONS, |s| int_in(s, 1, 1_000_000));
    let per_ip = p.parse(MAX_CONNECTIONS_PER_IP, |s| int_in(s, 1, 1_000_000));
    let headers = p.parse(MAX_REQUEST_HEADERS, |s| int_in(s, 1, 1000));
    let bytes = p.parse(MAX_HEADER_BYTES, |s| int_in(s, 8192, 1 << 20));
    let metrics = p.parse(METRICS_MAX_CONNECTIONS, |s| int_in(s, 1, 10_000));
    let api = ConnectionLimits {
        header_read_timeout: Duration::from_secs(timeout?),
        max_connections: usize::try_from(total?).ok()?,
        max_per_ip: usize::try_from(per_ip?).ok()?,
        max_headers: usize::try_from(headers?).ok()?,
        max_header_bytes: usize::try_from(bytes?).ok()?,
    };
    let metrics_total = usize::try_from(metrics?).ok()?;
    let metrics =
        ConnectionLimits { max_connections: metrics_total, max_per_ip: metrics_total, ..api.clone() };
    Some(ListenerLimits { api, metrics })
}
