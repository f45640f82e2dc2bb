//! Engagement analytics: what a reader did with a post (viewed, shared,
//! clicked), the UTC day it is counted on and the report ranges.

use chrono::{DateTime, Datelike as _, NaiveDate, NaiveTime, Utc};

use super::ValidationError;
use super::post::closed_set;

closed_set!(
    /// What a reader did, as reported to the ingestion endpoint.
    EngagementKind, "view, share, click", {
        View => "view", Share => "share", Click => "click",
    }
);

/// A UTC calendar day, as days since 1970-01-01 (how rollups store it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Day(pub i64);

impl Day {
    pub fn of(at: DateTime<Utc>) -> Day {
        Day(at.timestamp().div_euclid(86_400))
    }

    pub fn date(self) -> NaiveDate {
        DateTime::from_timestamp(self.0.saturating_mul(86_400), 0).unwrap_or_default().date_naive()
    }

    pub fn from_date(date: NaiveDate) -> Day {
        Day(date.and_time(NaiveTime::MIN).and_utc().timestamp().div_euclid(86_400))
    }

    pub fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// `YYYY-MM-DD`.
    pub fn parse(field: &str, raw: &str) -> Result<Day, ValidationError> {
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| d.year() >= 1970)
            .map(Day::from_date)
            .ok_or_else(|| ValidationError::new(field, "invalid", "must be a date as YYYY-MM-DD"))
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.date().format("%Y-%m-%d"))
    }
}

/// Engagement summed over a range, or of one day: what the rollups store and
/// the reports show.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Totals {
    pub views: i64,
    /// Unique visitors (counted once per post and day).
    pub visitors: i64,
    pub likes: i64,
    pub comments: i64,
    pub shares: i64,
    pub clicks: i64,
}

impl Totals {
    pub fn add(&mut self, other: Totals) {
        self.views += other.views;
        self.visitors += other.visitors;
        self.likes += other.likes;
        self.comments += other.comments;
        self.shares += other.shares;
        self.clicks += other.clicks;
    }
}

/// The longest range one report covers: a little over two years, the
/// default retention of rollups.
pub const MAX_RANGE_DAYS: i64 = 800;

/// Days `from..=to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: Day,
    pub to: Day,
}

impl DayRange {
    /// From `from`/`to` as sent (either may be absent): `to` defaults to
    /// today, `from` to `default_days - 1` days before `to`.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        today: Day,
        default_days: i64,
    ) -> Result<DayRange, Vec<ValidationError>> {
        let to = to.map(|raw| Day::parse("to", raw)).transpose();
        let from = from.map(|raw| Day::parse("from", raw)).transpose();
        let (from, to) = match (from, to) {
            (Ok(from), Ok(to)) => (from, to.unwrap_or(today)),
            (from, to) => return Err([from.err(), to.err()].into_iter().flatten().collect()),
        };
        let from = from.unwrap_or(to.plus(1 - default_days));
        if from > to {
            return Err(vec![ValidationError::new("from", "invalid", "must not be after `to`")]);
        }
        if to.0 - from.0 + 1 > MAX_RANGE_DAYS {
            return Err(vec![ValidationError::new(
                "from",
                "too_long",
                format!("a range covers at most {MAX_RANGE_DAYS} days"),
            )]);
        }
        Ok(DayRange { from, to })
    }

    /// The last `days` days up to and including `today`.
    pub fn last(days: i64, today: Day) -> DayRange {
        DayRange { from: today.plus(1 - days), to: today }
    }

    pub fn days_count(self) -> i64 {
        self.to.0 - self.from.0 + 1
    }

    /// The range of the same length just before this one.
    pub fn previous(self) -> DayRange {
        DayRange { from: self.from.plus(-self.days_count()), to: self.from.plus(-1) }
    }

    pub fn days(self) -> impl Iterator<Item = Day> {
        (self.from.0..=self.to.0).map(Day)
    }
}

/// `7d`, `30d`, `90d` or `365d`.
pub fn parse_period(raw: &str) -> Result<i64, ValidationError> {
    match raw.trim() {
        "7d" => Ok(7),
        "30d" => Ok(30),
        "90d" => Ok(90),
        "365d" => Ok(365),
        _ => Err(ValidationError::new("period", "invalid", "must be one of 7d, 30d, 90d, 365d")),
    }
}

/// The host of a referring URL, lower-cased and without `www.` — never the
/// path or query, which can carry personal data. `None` for anything that
/// is not an http(s) URL with a host.
pub fn referrer_host(raw: &str) -> Option<String> {
    let rest = raw.trim();
    let lower = rest.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &rest[8..]
    } else if lower.starts_with("http://") {
        &rest[7..]
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().map(|h| format!("{h}]"))?
    } else {
        host_port.split(':').next().unwrap_or_default().to_owned()
    };
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    valid.then(|| host.to_owned())
}

/// Substrings (lower case) of the user agents of crawlers, link previewers,
/// monitors and HTTP libraries, whose requests are not readers.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "embedly",
    "preview",
    "monitor",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "java/",
    "okhttp",
    "headless",
    "lighthouse",
    "pingdom",
    "uptime",
    "scrapy",
    "httpclient",
    "libwww",
    "feedfetcher",
    "mediapartners",
];

/// Whether a request with this user agent is a machine rather than a reader
/// (an absent or empty user agent included: every browser sends one).
pub fn is_bot(user_agent: Option<&str>) -> bool {
    let Some(agent) = user_agent.map(str::trim).filter(|a| !a.is_empty()) else {
        return true;
    };
    let lower = agent.to_ascii_lowercase();
    BOT_MARKERS.iter().any(|marker| lower.contains(marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_calendar_days() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(Day::of(at("1970-01-01T23:59:59Z")), Day(0));
        assert_eq!(Day::of(at("2026-12-01T00:00:00Z")).to_string(), "2026-12-01");
        assert_eq!(Day::parse("from", "2026-12-01").unwrap(), Day::of(at("2026-12-01T12:00:00Z")));
        assert!(Day::parse("from", "2026-13-01").is_err());
        assert!(Day::parse("from", "yesterday").is_err());
    }

    #[test]
    fn ranges_default_to_the_last_days_and_refuse_inverted_or_huge_ones() {
        let today = Day(20_000);
        let range = DayRange::parse(None, None, today, 30).unwrap();
        assert_eq!((range.from, range.to, range.days_count()), (Day(19_971), today, 30));
        assert_eq!(range.previous(), DayRange { from: Day(19_941), to: Day(19_970) });
        let err = DayRange::parse(Some("2026-12-02"), Some("2026-12-01"), today, 30).unwrap_err();
        assert_eq!(err[0].field, "from");
        let err = DayRange::parse(Some("2020-01-01"), Some("2026-12-01"), today, 30).unwrap_err();
        assert_eq!(err[0].code, "too_long");
        let err = DayRange::parse(Some("x"), Some("y"), today, 30).unwrap_err();
        assert_eq!(err.len(), 2, "both fields are named");
    }

    #[test]
    fn referrers_keep_only_the_host() {
        assert_eq!(
            referrer_host("https://www.Example.com/a/b?email=me@x.org").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            referrer_host("http://user:pw@news.ycombinator.com:8080/item").as_deref(),
            Some("news.ycombinator.com")
        );
        assert_eq!(referrer_host("android-app://com.slack"), None);
        assert_eq!(referrer_host("not a url"), None);
        assert_eq!(referrer_host("https://"), None);
    }

    #[test]
    fn crawlers_and_tools_are_bots_browsers_are_not() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert!(!is_bot(Some(firefox)));
        assert!(is_bot(Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")));
        assert!(is_bot(Some("curl/8.5.0")));
        assert!(is_bot(Some("facebookexternalhit/1.1")));
        assert!(is_bot(None));
        assert!(is_bot(Some("  ")));
    }
}
