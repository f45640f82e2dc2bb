//! Settings of engagement analytics: whether views are counted, how often
//! the in-memory counters are written, how long rollups are kept and how
//! hard one client may push the ingestion endpoint.

use std::time::Duration;

use super::parse::{Parser, boolean, int_in};
use super::setting::SettingDef;

const ANALYTICS_ENABLED: &str = "analytics_enabled";
const ANALYTICS_FLUSH_INTERVAL_MS: &str = "analytics_flush_interval_ms";
const ANALYTICS_RETENTION_DAYS: &str = "analytics_retention_days";
const ANALYTICS_MAX_VISITORS: &str = "analytics_max_visitors";
const RATE_LIMIT_ENGAGEMENT: &str = "rate_limit_engagement_per_minute";

pub(super) const ANALYTICS_SETTINGS: &[SettingDef] = &[
    SettingDef {
        key: ANALYTICS_ENABLED,
        env: &["HERALD_ANALYTICS_ENABLED"],
        default: Some("true"),
        secret: false,
        doc: "Count views, shares and clicks (`false`: reads count nothing and the ingestion endpoint answers 202 without counting). Likes and comments are rolled up from events either way.",
    },
    SettingDef {
        key: ANALYTICS_FLUSH_INTERVAL_MS,
        env: &["HERALD_ANALYTICS_FLUSH_INTERVAL_MS"],
        default: Some("1000"),
        secret: false,
        doc: "Views, shares and clicks collect in memory and are written in one transaction this often (and at graceful shutdown); a crash loses at most this interval's counts.",
    },
    SettingDef {
        key: ANALYTICS_RETENTION_DAYS,
        env: &["HERALD_ANALYTICS_RETENTION_DAYS"],
        default: Some("730"),
        secret: false,
        doc: "Days daily rollups are kept; older ones are pruned by a background job.",
    },
    SettingDef {
        key: ANALYTICS_MAX_VISITORS,
        env: &["HERALD_ANALYTICS_MAX_VISITORS"],
        default: Some("100000"),
        secret: false,
        doc: "Visitor keys (of the day, per post) one instance remembers to count unique visitors and repeat views; beyond it a new visitor is counted without being remembered.",
    },
    SettingDef {
        key: RATE_LIMIT_ENGAGEMENT,
        env: &["HERALD_RATE_LIMIT_ENGAGEMENT_PER_MINUTE"],
        default: Some("120"),
        secret: false,
        doc: "Engagement events (`POST /api/v1/posts/{id}/engagement`, the pixel) per minute per client.",
    },
];

#[derive(Debug, Clone)]
pub struct AnalyticsSettings {
    pub enabled: bool,
    pub flush_interval: Duration,
    pub retention_days: u32,
    pub max_visitors: usize,
    pub rate_limit_per_minute: u32,
}

pub(super) fn parse_analytics(p: &mut Parser<'_>) -> Option<AnalyticsSettings> {
    let enabled = p.parse(ANALYTICS_ENABLED, boolean);
    let interval = p.parse(ANALYTICS_FLUSH_INTERVAL_MS, |s| int_in(s, 50, 60_000));
    let retention = p.parse(ANALYTICS_RETENTION_DAYS, |s| int_in(s, 1, 36_500));
    let visitors = p.parse(ANALYTICS_MAX_VISITORS, |s| int_in(s, 100, 10_000_000));
    let rate = p.parse(RATE_LIMIT_ENGAGEMENT, |s| int_in(s, 1, 100_000_000));
    Some(AnalyticsSettings {
        enabled: enabled?,
        flush_interval: Duration::from_millis(interval?),
        retention_days: u32::try_from(retention?).ok()?,
        max_visitors: usize::try_from(visitors?).ok()?,
        rate_limit_per_minute: u32::try_from(rate?).ok()?,
    })
}
