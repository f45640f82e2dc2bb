//! Settings of background work: the job queue's lease, webhook delivery and
//! the NATS fan-out.

use std::time::Duration;

use super::defs;
use super::parse::{Parser, boolean, int_in};

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// How long a receiver may take to answer.
    pub timeout: Duration,
    /// The wait before each attempt: the first (usually 0) and every retry;
    /// its length is the number of attempts.
    pub retry_schedule: Vec<Duration>,
    /// Deliver to loopback, private and link-local addresses too.
    pub allow_private_targets: bool,
    /// How long a rotated-out secret keeps signing beside the new one.
    pub secret_overlap: Duration,
    /// A subscription whose deliveries all failed for this long is disabled.
    pub disable_after: Duration,
}

/// Where events are fanned out to NATS JetStream.
#[derive(Clone)]
pub struct NatsSettings {
    /// May carry credentials (`nats://user:pass@host`): never printed.
    pub url: String,
    pub stream: String,
}

impl std::fmt::Debug for NatsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsSettings")
            .field("url", &super::url::redact(&self.url))
            .field("stream", &self.stream)
            .finish()
    }
}

pub(super) struct Background {
    pub job_lease: Duration,
    pub webhooks: WebhookSettings,
    pub nats: Option<NatsSettings>,
}

fn nats_url(s: &str) -> Result<String, String> {
    let scheme_ok = ["nats://", "tls://", "ws://", "wss://"].iter().any(|p| s.starts_with(p));
    if scheme_ok && s.len() > 7 {
        Ok(s.to_owned())
    } else {
        Err("must be a nats:// (or tls://) URL, e.g. nats://127.0.0.1:4222".to_owned())
    }
}

fn stream_name(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(s.to_owned())
    } else {
        Err("must be 1 to 64 letters, digits, '-' or '_'".to_owned())
    }
}

/// `0,5,300` → waits of 0 s, 5 s and 5 min.
fn schedule(s: &str) -> Result<Vec<Duration>, String> {
    let waits = s
        .split(',')
        .map(str::trim)
        .map(|n| n.parse::<u64>().ok().filter(|n| *n <= 7 * 86_400).map(Duration::from_secs))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| "must be seconds (0 to 604800) separated by commas, e.g. 0,5,300".to_owned())?;
    if waits.is_empty() || waits.len() > 20 {
        return Err("must list 1 to 20 waits".to_owned());
    }
    Ok(waits)
}

pub(super) fn parse_background(p: &mut Parser<'_>) -> Option<Background> {
    let lease = p.parse(defs::JOB_LEASE_SECS, |s| int_in(s, 1, 3600));
    let timeout = p.parse(defs::WEBHOOK_TIMEOUT_SECS, |s| int_in(s, 1, 300));
    let retry_schedule = p.parse(defs::WEBHOOK_RETRY_SCHEDULE, schedule);
    let private = p.parse(defs::WEBHOOK_ALLOW_PRIVATE_TARGETS, boolean);
    let overlap = p.parse(defs::WEBHOOK_SECRET_OVERLAP_SECS, |s| int_in(s, 0, 30 * 86_400));
    let disable_after = p.parse(defs::WEBHOOK_DISABLE_AFTER_SECS, |s| int_in(s, 60, 365 * 86_400));
    let nats = p.parse_optional(defs::NATS_URL, nats_url);
    let stream = p.parse(defs::NATS_STREAM, stream_name);
    Some(Background {
        nats: nats?.and_then(|url| Some(NatsSettings { url, stream: stream? })),
        job_lease: Duration::from_secs(lease?),
        webhooks: WebhookSettings {
            timeout: Duration::from_secs(timeout?),
            retry_schedule: retry_schedule?,
            allow_private_targets: private?,
            secret_overlap: Duration::from_secs(overlap?),
            disable_after: Duration::from_secs(disable_after?),
        },
    })
}
