//! Where views, shares and clicks collect between flushes: shards by post,
//! each holding the post's counts and the visitor keys of the day, so a
//! view takes one short, rarely contended lock and no database write.
//!
//! A visitor key is HMAC-SHA256(salt of the day, address ‖ user agent ‖
//! post), truncated to 128 bits. The salt is random, made when a shard first
//! counts on a new UTC day, and dropped with the day's keys: nothing that
//! could link a key back to an address outlives the day, and nothing of it
//! is written anywhere.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::engagement::Day;
use crate::domain::{Platform, PostId};

/// A repeated view of one post by one visitor within this many seconds
/// counts once.
pub const REPEAT_WINDOW_SECS: i64 = 30 * 60;

const SHARDS: usize = 16;

/// Views, unique visitors, shares and clicks of one post on one day.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub views: i64,
    pub visitors: i64,
    pub shares: i64,
    pub clicks: i64,
}

/// Increments to write: per post and day, per referring host, per platform.
#[derive(Debug, Default)]
pub struct Tally {
    pub counts: HashMap<(PostId, Day), Counts>,
    pub referrers: HashMap<(PostId, Day, String), i64>,
    /// `(shares, clicks)`.
    pub platforms: HashMap<(PostId, Day, Platform), (i64, i64)>,
}

impl Tally {
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.referrers.is_empty() && self.platforms.is_empty()
    }

    /// Rows a flush of this tally writes.
    pub fn rows(&self) -> usize {
        self.counts.len() + self.referrers.len() + self.platforms.len()
    }

    fn merge(&mut self, other: Tally) {
        for (key, add) in other.counts {
            let c = self.counts.entry(key).or_default();
            c.views += add.views;
            c.visitors += add.visitors;
            c.shares += add.shares;
            c.clicks += add.clicks;
        }
        for (key, add) in other.referrers {
            *self.referrers.entry(key).or_default() += add;
        }
        for (key, (shares, clicks)) in other.platforms {
            let p = self.platforms.entry(key).or_default();
            p.0 += shares;
            p.1 += clicks;
        }
    }

    /// Rough heap bytes held (for the memory gauge).
    fn approximate_bytes(&self) -> usize {
        self.counts.capacity() * 56
            + self.referrers.iter().map(|((_, _, host), _)| 48 + host.len()).sum::<usize>()
            + self.platforms.capacity() * 40
    }
}

/// What happened to one reported action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Counted,
    /// The same visitor viewed the same post within the repeat window.
    Repeat,
}

/// Who did it, as far as counting needs to know (never stored).
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

#[derive(Debug)]
struct Visitors {
    day: Day,
    salt: [u8; 32],
    /// Visitor key → when its last counted view was (unix seconds).
    seen: HashMap<u128, i64>,
}

#[derive(Debug)]
struct Shard {
    tally: Tally,
    visitors: Visitors,
}

/// The counters of one instance.
#[derive(Debug)]
pub struct Counters {
    shards: Box<[Mutex<Shard>]>,
    max_visitors_per_shard: usize,
}

impl Counters {
    pub fn new(max_visitors: usize) -> Counters {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    tally: Tally::default(),
                    visitors: Visitors { day: Day(0), salt: [0; 32], seen: HashMap::new() },
                })
            })
            .collect();
        Counters { shards, max_visitors_per_shard: (max_visitors / SHARDS).max(1) }
    }

    fn shard(&self, post: PostId) -> std::sync::MutexGuard<'_, Shard> {
        let index = usize::try_from(post.get().unsigned_abs() % SHARDS as u64).unwrap_or(0);
        self.shards[index].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a view unless the same visitor viewed the post within the
    /// repeat window; a visitor's first view of the post today also counts
    /// a unique visitor.
    pub fn view(&self, post: PostId, reader: Client<'_>, referrer: Option<String>, now_secs: i64) -> Outcome {
        let day = Day(now_secs.div_euclid(86_400));
        let mut shard = self.shard(post);
        let visitors = &mut shard.visitors;
        if visitors.day != day {
            visitors.day = day;
            visitors.salt = rand::random();
            visitors.seen = HashMap::new();
        }
        let key = visitor_key(&visitors.salt, reader, post);
        let new_visitor = match visitors.seen.get_mut(&key) {
            Some(last) if now_secs - *last < REPEAT_WINDOW_SECS => return Outcome::Repeat,
            Some(last) => {
                *last = now_secs;
                false
            }
            None => {
                if visitors.seen.len() < self.max_visitors_per_shard {
                    visitors.seen.insert(key, now_secs);
                } else {
                    metrics::counter!("herald_engagement_visitors_untracked_total").increment(1);
                }
                true
            }
        };
        let counts = shard.tally.counts.entry((post, day)).or_default();
        counts.views += 1;
        counts.visitors += i64::from(new_visitor);
        if let Some(host) = referrer {
            *shard.tally.referrers.entry((post, day, host)).or_default() += 1;
        }
        Outcome::Counted
    }

    /// Counts a share or a click (never de-duplicated: each is an act).
    pub fn act(&self, post: PostId, share: bool, platform: Option<Platform>, now_secs: i64) {
        let day = Day(now_secs.div_euclid(86_400));
        let mut shard = self.shard(post);
        let counts = shard.tally.counts.entry((post, day)).or_default();
        let (shares, clicks) = if share { (1, 0) } else { (0, 1) };
        counts.shares += shares;
        counts.clicks += clicks;
        if let Some(platform) = platform {
            let by_platform = shard.tally.platforms.entry((post, day, platform)).or_default();
            by_platform.0 += shares;
            by_platform.1 += clicks;
        }
    }

    /// Takes everything counted since the last take.
    pub fn take(&self) -> Tally {
        let mut out = Tally::default();
        for shard in &self.shards {
            let taken = std::mem::take(&mut shard.lock().unwrap_or_else(PoisonError::into_inner).tally);
            out.merge(taken);
        }
        out
    }

    /// Puts back a tally whose flush failed, so the next flush writes it.
    pub fn restore(&self, tally: Tally) {
        let mut shard = self.shards[0].lock().unwrap_or_else(PoisonError::into_inner);
        shard.tally.merge(tally);
    }

    /// Rough bytes held by counts and visitor keys.
    pub fn approximate_bytes(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
                shard.tally.approximate_bytes() + shard.visitors.seen.capacity() * 32
            })
            .sum()
    }
}

fn visitor_key(salt: &[u8; 32], reader: Client<'_>, post: PostId) -> u128 {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(salt) else {
        return 0;
    };
    match reader.ip {
        Some(IpAddr::V4(ip)) => mac.update(&ip.octets()),
        Some(IpAddr::V6(ip)) => mac.update(&ip.octets()),
        None => mac.update(b"-"),
    }
    mac.update(&[0]);
    mac.update(reader.user_agent.unwrap_or_default().as_bytes());
    mac.update(&[0]);
    mac.update(&post.get().to_le_bytes());
    let digest = mac.finalize().into_bytes();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_547_200; // 2025-12-01T00:00:00Z

    fn reader(ip: &str, agent: &'static str) -> Client<'static> {
        Client { ip: Some(ip.parse().unwrap()), user_agent: Some(agent) }
    }

    #[test]
    fn a_visitor_counts_once_per_window_and_once_a_day_as_unique() {
        let counters = Counters::new(1000);
        let post = PostId::new(7);
        let alice = reader("203.0.113.1", "Firefox");
        assert_eq!(counters.view(post, alice, None, NOW), Outcome::Counted);
        assert_eq!(counters.view(post, alice, None, NOW + 60), Outcome::Repeat);
        assert_eq!(counters.view(post, alice, None, NOW + REPEAT_WINDOW_SECS + 1), Outcome::Counted);
        // Another browser on the same address is another visitor.
        assert_eq!(counters.view(post, reader("203.0.113.1", "Chrome"), None, NOW + 5), Outcome::Counted);
        // The same visitor on another post is counted there.
        assert_eq!(counters.view(PostId::new(8), alice, None, NOW + 5), Outcome::Counted);
        let tally = counters.take();
        let day = Day(NOW / 86_400);
        assert_eq!(tally.counts[&(post, day)], Counts { views: 3, visitors: 2, shares: 0, clicks: 0 });
        assert_eq!(tally.counts[&(PostId::new(8), day)].views, 1);
        assert!(counters.take().is_empty(), "a take empties the counters");
    }

    #[test]
    fn a_new_day_forgets_yesterdays_visitors() {
        let counters = Counters::new(1000);
        let post = PostId::new(1);
        let bob = reader("198.51.100.2", "Safari");
        counters.view(post, bob, None, NOW + 86_399);
        assert_eq!(counters.view(post, bob, None, NOW + 86_400 + 10), Outcome::Counted);
        let tally = counters.take();
        assert_eq!(tally.counts[&(post, Day(NOW / 86_400 + 1))].visitors, 1);
    }

    #[test]
    fn shares_clicks_and_referrers_are_counted_by_platform_and_host() {
        let counters = Counters::new(1000);
        let post = PostId::new(3);
        counters.act(post, true, Some(Platform::X), NOW);
        counters.act(post, false, Some(Platform::X), NOW);
        counters.act(post, false, None, NOW);
        counters.view(post, reader("192.0.2.1", "Edge"), Some("news.example".to_owned()), NOW);
        let restored = counters.take();
        counters.restore(restored);
        let tally = counters.take();
        let day = Day(NOW / 86_400);
        assert_eq!(tally.counts[&(post, day)], Counts { views: 1, visitors: 1, shares: 1, clicks: 2 });
        assert_eq!(tally.platforms[&(post, day, Platform::X)], (1, 1));
        assert_eq!(tally.referrers[&(post, day, "news.example".to_owned())], 1);
    }

    #[test]
    fn beyond_the_visitor_limit_views_still_count() {
        let counters = Counters::new(16);
        let post = PostId::new(16);
        for n in 0..10 {
            let ip = format!("192.0.2.{n}");
            counters.view(post, Client { ip: Some(ip.parse().unwrap()), user_agent: Some("x") }, None, NOW);
        }
        assert_eq!(counters.take().counts[&(post, Day(NOW / 86_400))].views, 10);
    }
}
