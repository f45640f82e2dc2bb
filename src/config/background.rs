//! Settings of background work: the job queue's lease and webhook delivery.

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

pub(super) struct Background {
    pub job_lease: Duration,
    pub webhooks: WebhookSettings,
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
    Some(Background {
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
