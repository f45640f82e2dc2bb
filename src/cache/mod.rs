//! Two-level cache of rendered read responses.
//!
//! L1 is in-process (moka: TinyLFU admission, TTL, bounded by bytes, and
//! concurrent misses on one key coalesced into one load). L2 is Redis when
//! configured, shared by every instance.
//!
//! Invalidation is by tag (see `tags`): each entry keeps the tags its
//! response depends on and the *stamp* of the moment its load began; a
//! change sets its tags' versions to a newer stamp. An entry is fresh while
//! every one of its tags is older than it, so a write invalidates what it
//! touched and nothing else, and a write racing a load leaves that load
//! stale, never silently current. Without Redis, stamps come from a local
//! counter; with Redis, from Redis's clock, and the versions live there, so
//! after a write returns on one instance the next read on any instance is
//! fresh. Versions outlive the entries they can invalidate (twice the TTL).
//! When Redis is slow or down a circuit breaker opens and Herald serves from
//! the database without caching (never from a possibly stale L1).

pub mod breaker;
mod redis_tier;
pub mod tags;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;

pub use breaker::Breaker;
pub use redis_tier::RedisTier;
pub use tags::CacheTags;

use crate::domain::change::Change;
use crate::service::changes::ChangeListener;

/// A cached response: status 200, the headers that matter and the body,
/// with what it depends on.
#[derive(Debug, Clone)]
pub struct Cached {
    pub content_type: Option<String>,
    /// Set on a compressed copy (`insert_local`), which stays in this
    /// instance's memory; what Redis keeps is never compressed.
    pub content_encoding: Option<String>,
    pub etag: Option<String>,
    pub body: Bytes,
    pub tags: Arc<[String]>,
    /// When its load began (local counter or Redis clock, µs).
    pub stamp: u64,
    /// Without Redis: a later stamp its tags were all found older than
    /// (see `fresh`), shared by every copy of the entry.
    pub verified: Arc<AtomicU64>,
}

impl Cached {
    fn weight(&self) -> u32 {
        let tags: usize = self.tags.iter().map(|t| t.len() + 16).sum();
        let size = self.body.len() + self.etag.as_ref().map_or(0, String::len) + tags + 64;
        u32::try_from(size).unwrap_or(u32::MAX)
    }

    /// Compact binary form for Redis: the stamp, length-prefixed strings
    /// (content type, ETag, then the tags after their count), then the body.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 256);
        out.extend_from_slice(&self.stamp.to_be_bytes());
        let mut put = |part: &str| {
            let len = u16::try_from(part.len()).unwrap_or(0);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&part.as_bytes()[..usize::from(len)]);
        };
        put(self.content_type.as_deref().unwrap_or(""));
        put(self.etag.as_deref().unwrap_or(""));
        put(&self.tags.len().to_string());
        for tag in self.tags.iter() {
            put(tag);
        }
        out.extend_from_slice(&self.body);
        out
    }

    fn decode(bytes: &[u8]) -> Option<Cached> {
        let stamp = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let mut rest = bytes.get(8..)?;
        let mut take = || -> Option<String> {
            let len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
            let text = std::str::from_utf8(rest.get(2..2 + len)?).ok()?.to_owned();
            rest = rest.get(2 + len..)?;
            Some(text)
        };
        let content_type = Some(take()?).filter(|s| !s.is_empty());
        let etag = Some(take()?).filter(|s| !s.is_empty());
        let count: usize = take()?.parse().ok()?;
        let tags: Vec<String> = (0..count).map(|_| take()).collect::<Option<_>>()?;
        Some(Cached {
            content_type,
            content_encoding: None,
            etag,
            body: Bytes::copy_from_slice(rest),
            tags: tags.into(),
            stamp,
            verified: Arc::default(),
        })
    }
}

/// Hit and miss counts per level (exported as metrics).
#[derive(Debug, Default)]
pub struct Stats {
    pub l1_hits: AtomicU64,
    pub l1_misses: AtomicU64,
    pub l2_hits: AtomicU64,
    pub l2_misses: AtomicU64,
    pub bypassed: AtomicU64,
    /// L1 entries dropped for size (not for expiry or invalidation).
    pub l1_evictions: AtomicU64,
    /// Entries found stale (a tag changed since they were loaded).
    pub invalidated: AtomicU64,
}

#[derive(Debug, Clone)]
pub struct Cache {
    l1: moka::future::Cache<String, Cached>,
    /// Without Redis: the stamp counter and each changed tag's version.
    clock: Arc<AtomicU64>,
    versions: moka::future::Cache<String, u64>,
    /// Without Redis: the newest version any invalidation has set (or is
    /// setting). An entry stamped after it is fresh without looking up its
    /// tags: a list page depends on dozens, and those lookups were the
    /// largest cost of a cache hit.
    newest_version: Arc<AtomicU64>,
    /// Without Redis: invalidations that have taken a version and not yet
    /// set all their tags to it.
    invalidating: Arc<AtomicU64>,
    l2: Option<RedisTier>,
    /// Off when its size is 0: reads go straight to the database.
    enabled: bool,
    pub stats: Arc<Stats>,
}

/// What the cache did with a read.
#[derive(Debug)]
pub enum Lookup {
    /// Served from a fresh entry, or loaded now and cached.
    Found(Cached),
    /// The load's response is not cacheable (an error, a redirect).
    NotCacheable,
    /// Caching is unavailable (shared tier down): go to the database.
    Bypass,
    /// This read joined a load that a write overtook: it must not get that
    /// load's result (its write may have returned before this read began),
    /// so it goes to the database itself.
    Overtaken,
}

#[derive(Debug, Clone, Copy)]
enum Miss {
    NotCacheable,
    Unavailable,
}

impl Cache {
    pub fn new(max_bytes: u64, ttl: Duration, l2: Option<RedisTier>) -> Cache {
        let stats = Arc::new(Stats::default());
        let evictions = Arc::clone(&stats);
        let l1 = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, value: &Cached| {
                value.weight().saturating_add(u32::try_from(key.len()).unwrap_or(u32::MAX))
            })
            .time_to_live(ttl)
            .eviction_listener(move |_key, _value, cause| {
                if cause == moka::notification::RemovalCause::Size {
                    evictions.l1_evictions.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        // Only expiry may forget a version (an evicted one would make the
        // entries it invalidated fresh again); they outlive every entry.
        let versions = moka::future::Cache::builder().time_to_live(ttl * 2).build();
        Cache {
            l1,
            clock: Arc::new(AtomicU64::new(0)),
            versions,
            newest_version: Arc::new(AtomicU64::new(0)),
            invalidating: Arc::new(AtomicU64::new(0)),
            l2,
            enabled: max_bytes > 0,
            stats,
        }
    }

    /// Whether responses are cached at all (`cache_max_bytes` > 0).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn redis(&self) -> Option<&RedisTier> {
        self.l2.as_ref()
    }

    /// A stamp newer than every version set so far.
    async fn stamp(&self) -> Option<u64> {
        match &self.l2 {
            None => Some(self.clock.fetch_add(1, Ordering::AcqRel) + 1),
            Some(redis) => redis.now_micros().await,
        }
    }

    /// Whether no tag of `entry` changed since it was loaded; `None` when
    /// that cannot be known (Redis unavailable).
    async fn fresh(&self, entry: &Cached) -> Option<bool> {
        let names = || std::iter::once(tags::EVERYTHING).chain(entry.tags.iter().map(String::as_str));
        match &self.l2 {
            None => {
                let stamp = entry.stamp.max(entry.verified.load(Ordering::Acquire));
                let newest = self.newest_version.load(Ordering::SeqCst);
                if newest < stamp {
                    return Some(true);
                }
                // Every invalidation up to `newest` has set its tags when
                // none is under way now: one that took a smaller version
                // counted itself in before the one that published `newest`.
                let settled = self.invalidating.load(Ordering::SeqCst) == 0;
                for name in names() {
                    if self.versions.get(name).await.is_some_and(|v| v >= stamp) {
                        return Some(false);
                    }
                }
                // Fresh as of `newest`: later reads take the fast path
                // above until the next invalidation, instead of looking
                // up dozens of tags on every hit while writes go on.
                if settled {
                    entry.verified.fetch_max(newest + 1, Ordering::AcqRel);
                }
                Some(true)
            }
            Some(redis) => {
                let versions = redis.tag_versions(names()).await?;
                Some(versions.iter().all(|v| v.is_none_or(|v| v < entry.stamp)))
            }
        }
    }

    /// A fresh value for `key` already in this instance's memory, without
    /// loading anything (the hit path that answers before the middleware).
    /// A miss, a stale entry or an unreachable Redis all say `None`, and
    /// `get_or_load` then decides (and counts) what happens.
    pub async fn peek(&self, key: &str) -> Option<Cached> {
        let hit = self.fresh_local(key).await?;
        self.count_hit();
        Some(hit)
    }

    /// Counts a hit on an entry found with `fresh_local`.
    pub fn count_hit(&self) {
        self.stats.l1_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// `peek` without counting a hit.
    pub async fn fresh_local(&self, key: &str) -> Option<Cached> {
        let hit = self.l1.get(key).await?;
        (self.fresh(&hit).await == Some(true)).then_some(hit)
    }

    /// Keeps `value` in this instance's memory only: another representation
    /// of an entry (a compressed copy), with that entry's tags and stamp so
    /// that whatever invalidates the one invalidates the other.
    pub async fn insert_local(&self, key: String, value: Cached) {
        self.l1.insert(key, value).await;
    }

    /// Returns a fresh cached value for `key`, or runs `load` once for all
    /// concurrent callers (stampede protection) and caches its `Some` result.
    pub async fn get_or_load<F>(&self, key: &str, load: F) -> Lookup
    where
        F: Future<Output = Option<Cached>> + Send,
    {
        if let Some(hit) = self.l1.get(key).await {
            match self.fresh(&hit).await {
                Some(true) => {
                    self.stats.l1_hits.fetch_add(1, Ordering::Relaxed);
                    return Lookup::Found(hit);
                }
                Some(false) => {
                    self.stats.invalidated.fetch_add(1, Ordering::Relaxed);
                    self.l1.invalidate(key).await;
                }
                None => {
                    self.stats.bypassed.fetch_add(1, Ordering::Relaxed);
                    return Lookup::Bypass;
                }
            }
        }
        self.stats.l1_misses.fetch_add(1, Ordering::Relaxed);
        let this = self.clone();
        let owned_key = key.to_owned();
        let loaded = self
            .l1
            .try_get_with(owned_key.clone(), async move {
                if let Some(redis) = &this.l2 {
                    let started = std::time::Instant::now();
                    let found = redis.get(&owned_key).await.and_then(|b| Cached::decode(&b));
                    metrics::histogram!("herald_cache_load_seconds", "level" => "l2")
                        .record(started.elapsed().as_secs_f64());
                    if let Some(hit) = found
                        && this.fresh(&hit).await == Some(true)
                    {
                        this.stats.l2_hits.fetch_add(1, Ordering::Relaxed);
                        return Ok(hit);
                    }
                    this.stats.l2_misses.fetch_add(1, Ordering::Relaxed);
                }
                let stamp = this.stamp().await.ok_or(Miss::Unavailable)?;
                let started = std::time::Instant::now();
                let loaded = load.await;
                metrics::histogram!("herald_cache_load_seconds", "level" => "origin")
                    .record(started.elapsed().as_secs_f64());
                let mut value = loaded.ok_or(Miss::NotCacheable)?;
                value.stamp = stamp;
                if let Some(redis) = &this.l2 {
                    redis.set(&owned_key, value.encode()).await;
                }
                Ok(value)
            })
            .await;
        match loaded {
            Ok(value) => match self.fresh(&value).await {
                Some(true) => Lookup::Found(value),
                Some(false) => {
                    self.stats.invalidated.fetch_add(1, Ordering::Relaxed);
                    Lookup::Overtaken
                }
                None => {
                    self.stats.bypassed.fetch_add(1, Ordering::Relaxed);
                    Lookup::Bypass
                }
            },
            Err(miss) => match *miss {
                Miss::NotCacheable => Lookup::NotCacheable,
                Miss::Unavailable => {
                    self.stats.bypassed.fetch_add(1, Ordering::Relaxed);
                    Lookup::Bypass
                }
            },
        }
    }

    /// Makes every entry depending on one of `names` stale, on this instance
    /// and (through Redis) on all.
    pub async fn invalidate(&self, names: &[String]) {
        match &self.l2 {
            None => {
                let _counted = Invalidating::enter(&self.invalidating);
                let version = self.clock.fetch_add(1, Ordering::SeqCst) + 1;
                // Published before the tags' versions, so that no entry the
                // tags below invalidate can take the fast path in `fresh`
                // once they are set.
                self.newest_version.fetch_max(version, Ordering::SeqCst);
                for name in names {
                    // Never backwards: a slower concurrent invalidation
                    // must not replace a newer version with its older one.
                    let newest = |old: Option<moka::Entry<String, u64>>| {
                        std::future::ready(old.map_or(version, |e| e.into_value().max(version)))
                    };
                    self.versions.entry(name.clone()).and_upsert_with(newest).await;
                }
            }
            Some(redis) => redis.bump_tags(names).await,
        }
    }

    pub fn l1_entries(&self) -> u64 {
        self.l1.entry_count()
    }
}

/// One invalidation under way, counted until it ends (or is dropped).
struct Invalidating<'a>(&'a AtomicU64);

impl<'a> Invalidating<'a> {
    fn enter(count: &'a AtomicU64) -> Invalidating<'a> {
        count.fetch_add(1, Ordering::SeqCst);
        Invalidating(count)
    }
}

impl Drop for Invalidating<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ChangeListener for Cache {
    fn changed<'a>(&'a self, changes: &'a [Change]) -> BoxFuture<'a, ()> {
        Box::pin(self.invalidate_changes(changes))
    }
}

impl Cache {
    async fn invalidate_changes(&self, changes: &[Change]) {
        self.invalidate(&tags::invalidated_by(changes)).await;
    }
}

#[cfg(test)]
mod tests;
