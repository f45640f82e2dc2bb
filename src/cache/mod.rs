//! Two-level cache of rendered read responses.
//!
//! L1 is in-process (moka: TinyLFU admission, TTL, bounded by bytes, and
//! concurrent misses on one key coalesced into one load). L2 is Redis when
//! configured, shared by every instance. Keys carry a *generation*: any
//! successful write bumps it, which invalidates every cached read in O(1).
//! With Redis the generation lives there and is read per request, so after
//! a write returns on one instance the next read on any instance is fresh.
//! When Redis is slow or down a circuit breaker opens and Herald serves from
//! the database without caching (never from a possibly stale L1).

pub mod breaker;
mod redis_tier;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

pub use breaker::Breaker;
pub use redis_tier::RedisTier;

/// A cached response: status 200, the headers that matter and the body.
#[derive(Debug, Clone)]
pub struct Cached {
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub body: Bytes,
}

impl Cached {
    fn weight(&self) -> u32 {
        let size = self.body.len() + self.etag.as_ref().map_or(0, String::len) + 64;
        u32::try_from(size).unwrap_or(u32::MAX)
    }

    /// Compact binary form for Redis: two length-prefixed strings, then the body.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 64);
        for part in [self.content_type.as_deref().unwrap_or(""), self.etag.as_deref().unwrap_or("")] {
            let len = u16::try_from(part.len()).unwrap_or(0);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&part.as_bytes()[..usize::from(len)]);
        }
        out.extend_from_slice(&self.body);
        out
    }

    fn decode(bytes: &[u8]) -> Option<Cached> {
        let mut rest = bytes;
        let mut take = || -> Option<String> {
            let len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
            let text = std::str::from_utf8(rest.get(2..2 + len)?).ok()?.to_owned();
            rest = rest.get(2 + len..)?;
            Some(text)
        };
        let content_type = Some(take()?).filter(|s| !s.is_empty());
        let etag = Some(take()?).filter(|s| !s.is_empty());
        Some(Cached { content_type, etag, body: Bytes::copy_from_slice(rest) })
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
}

#[derive(Clone)]
pub struct Cache {
    l1: moka::future::Cache<String, Cached>,
    /// The local generation, used when there is no Redis.
    generation: Arc<AtomicU64>,
    l2: Option<RedisTier>,
    pub stats: Arc<Stats>,
}

/// Where a cacheable read stands.
pub enum Lookup {
    /// Cache this read under the key.
    Key(String),
    /// Caching is unavailable (shared tier down): go to the database.
    Bypass,
}

impl Cache {
    pub fn new(max_bytes: u64, ttl: Duration, l2: Option<RedisTier>) -> Cache {
        let stats = Arc::new(Stats::default());
        let evictions = Arc::clone(&stats);
        let l1 = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_key: &String, value: &Cached| value.weight())
            .time_to_live(ttl)
            .eviction_listener(move |_key, _value, cause| {
                if cause == moka::notification::RemovalCause::Size {
                    evictions.l1_evictions.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        Cache { l1, generation: Arc::new(AtomicU64::new(0)), l2, stats }
    }

    pub fn redis(&self) -> Option<&RedisTier> {
        self.l2.as_ref()
    }

    /// The full cache key for a request key, including the current generation.
    pub async fn lookup(&self, request_key: &str) -> Lookup {
        match &self.l2 {
            None => Lookup::Key(format!("{}:{request_key}", self.generation.load(Ordering::Acquire))),
            Some(redis) => match redis.generation().await {
                Some(generation) => Lookup::Key(format!("{generation}:{request_key}")),
                None => {
                    self.stats.bypassed.fetch_add(1, Ordering::Relaxed);
                    Lookup::Bypass
                }
            },
        }
    }

    /// Returns the cached value for `key`, or runs `load` once for all
    /// concurrent callers (stampede protection) and caches its `Some` result.
    pub async fn get_or_load<F>(&self, key: &str, load: F) -> Option<Cached>
    where
        F: Future<Output = Option<Cached>> + Send,
    {
        if let Some(hit) = self.l1.get(key).await {
            self.stats.l1_hits.fetch_add(1, Ordering::Relaxed);
            return Some(hit);
        }
        self.stats.l1_misses.fetch_add(1, Ordering::Relaxed);
        let l2 = self.l2.clone();
        let stats = Arc::clone(&self.stats);
        let owned_key = key.to_owned();
        let loaded = self
            .l1
            .try_get_with(owned_key.clone(), async move {
                if let Some(redis) = &l2 {
                    let started = std::time::Instant::now();
                    let found = redis.get(&owned_key).await;
                    metrics::histogram!("herald_cache_load_seconds", "level" => "l2")
                        .record(started.elapsed().as_secs_f64());
                    if let Some(hit) = found.and_then(|b| Cached::decode(&b)) {
                        stats.l2_hits.fetch_add(1, Ordering::Relaxed);
                        return Ok(hit);
                    }
                    stats.l2_misses.fetch_add(1, Ordering::Relaxed);
                }
                let started = std::time::Instant::now();
                let loaded = load.await;
                metrics::histogram!("herald_cache_load_seconds", "level" => "origin")
                    .record(started.elapsed().as_secs_f64());
                match loaded {
                    Some(value) => {
                        if let Some(redis) = &l2 {
                            redis.set(&owned_key, value.encode()).await;
                        }
                        Ok(value)
                    }
                    None => Err(NotCacheable),
                }
            })
            .await;
        loaded.ok()
    }

    /// Invalidates every cached read (on this instance and, through Redis, on all).
    pub async fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(redis) = &self.l2 {
            redis.bump().await;
        }
    }

    pub fn l1_entries(&self) -> u64 {
        self.l1.entry_count()
    }
}

/// The loader's answer when the response must not be cached (it is then
/// served to the caller that loaded it only).
#[derive(Debug, Clone, Copy)]
pub struct NotCacheable;

impl std::fmt::Display for NotCacheable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not cacheable")
    }
}

impl std::error::Error for NotCacheable {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_responses_survive_the_redis_encoding() {
        let value = Cached {
            content_type: Some("application/json".into()),
            etag: Some("\"abc\"".into()),
            body: Bytes::from_static(b"{\"x\":1}"),
        };
        let back = Cached::decode(&value.encode()).unwrap();
        assert_eq!(back.content_type, value.content_type);
        assert_eq!(back.etag, value.etag);
        assert_eq!(back.body, value.body);
        assert!(Cached::decode(&[0]).is_none());
    }

    #[tokio::test]
    async fn concurrent_misses_on_one_key_cause_one_load() {
        let cache = Cache::new(1 << 20, Duration::from_secs(60), None);
        let loads = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (cache, loads) = (cache.clone(), Arc::clone(&loads));
                tokio::spawn(async move {
                    cache
                        .get_or_load("k", async move {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Some(Cached { content_type: None, etag: None, body: Bytes::from_static(b"v") })
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().is_some());
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }
}
