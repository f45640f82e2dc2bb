//! The Redis tier: shared cached responses and the tag versions that invalidate them. Every
//! command has a short timeout and goes through the circuit breaker, so a
//! slow or absent Redis degrades caching, never requests.

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands as _;
use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

use super::Breaker;

const COMMAND_TIMEOUT: Duration = Duration::from_millis(150);

static GCRA: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();
static BUMP: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();

/// Sets each key to Redis's time in µs (plus one, so a load stamped in the
/// same microsecond counts as older) with the given expiry.
const BUMP_LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) + 1
for _, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%d', now), 'EX', ARGV[1])
end
return #KEYS
"#;

/// Generic cell rate algorithm over one key holding the theoretical arrival
/// time (µs). Burst = the per-minute limit.
const GCRA_LUA: &str = r#"
local limit = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = 60000000 / limit
local tolerance = interval * (limit - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then
  return {0, math.ceil((allow_at - now) / 1000), 0}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, 0, math.floor((tolerance + interval - (new_tat - now)) / interval)}
"#;

#[derive(Debug, Clone)]
pub struct RedisTier {
    client: redis::Client,
    /// Connected lazily, so an unreachable Redis never delays start-up.
    connection: Arc<OnceCell<ConnectionManager>>,
    breaker: Arc<Breaker>,
    namespace: Arc<str>,
    ttl_secs: u64,
}

impl RedisTier {
    pub fn new(url: &str, namespace: &str, ttl: Duration) -> anyhow::Result<RedisTier> {
        let client = redis::Client::open(url).map_err(|err| anyhow::anyhow!("invalid redis_url: {err}"))?;
        Ok(RedisTier {
            client,
            connection: Arc::new(OnceCell::new()),
            breaker: Arc::new(Breaker::new(3, Duration::from_secs(5))),
            namespace: Arc::from(namespace),
            ttl_secs: ttl.as_secs().max(1),
        })
    }

    async fn connection(&self) -> Option<ConnectionManager> {
        let connect = async {
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_millis(500)))
                .set_response_timeout(Some(COMMAND_TIMEOUT))
                .set_number_of_retries(1);
            tokio::time::timeout(
                Duration::from_secs(1),
                self.client.get_connection_manager_with_config(config),
            )
            .await
            .map_err(|_| ())
            .and_then(|r| r.map_err(|_| ()))
        };
        self.connection.get_or_try_init(|| connect).await.ok().cloned()
    }

    /// Runs one command under the timeout and the breaker; `None` on failure.
    async fn run<T, F, Fut>(&self, command: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if !self.breaker.allow() {
            return None;
        }
        let Some(connection) = self.connection().await else {
            self.breaker.failure();
            return None;
        };
        match tokio::time::timeout(COMMAND_TIMEOUT, command(connection)).await {
            Ok(Ok(value)) => {
                self.breaker.success();
                Some(value)
            }
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "redis command failed");
                self.breaker.failure();
                None
            }
            Err(_) => {
                self.breaker.failure();
                None
            }
        }
    }

    fn tag_key(&self, tag: &str) -> String {
        format!("{}:cache:tag:{tag}", self.namespace)
    }

    /// Redis's clock in µs: the one clock every instance shares, and one
    /// that survives a Redis restart (a counter would start again from 0).
    pub async fn now_micros(&self) -> Option<u64> {
        let (secs, micros): (u64, u64) =
            self.run(|mut c| async move { redis::cmd("TIME").query_async(&mut c).await }).await?;
        Some(secs * 1_000_000 + micros)
    }

    /// The versions (change times) of `tags`; `None` for a tag not changed recently.
    pub async fn tag_versions<'a>(&self, tags: impl Iterator<Item = &'a str>) -> Option<Vec<Option<u64>>> {
        let keys: Vec<String> = tags.map(|t| self.tag_key(t)).collect();
        self.run(|mut c| async move { redis::cmd("MGET").arg(&keys).query_async(&mut c).await }).await
    }

    /// Sets every tag's version to Redis's current time, atomically, for
    /// twice the entry TTL (an entry never outlives the versions that can
    /// invalidate it).
    pub async fn bump_tags(&self, tags: &[String]) {
        let script = BUMP.get_or_init(|| redis::Script::new(BUMP_LUA));
        let mut invocation = script.prepare_invoke();
        for tag in tags {
            invocation.key(self.tag_key(tag));
        }
        invocation.arg(self.ttl_secs * 2);
        let done: Option<i64> = self.run(|mut c| async move { invocation.invoke_async(&mut c).await }).await;
        if done.is_none() {
            tracing::warn!("could not invalidate the shared cache; entries expire by TTL");
        }
    }

    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let key = format!("{}:cache:{key}", self.namespace);
        self.run(|mut c| async move { c.get::<_, Option<Vec<u8>>>(key).await }).await.flatten()
    }

    pub async fn set(&self, key: &str, value: Vec<u8>) {
        let key = format!("{}:cache:{key}", self.namespace);
        let ttl = self.ttl_secs;
        self.run(|mut c| async move { c.set_ex::<_, _, ()>(key, value, ttl).await }).await;
    }

    /// One GCRA decision for `key` at `per_minute`, taken atomically in Redis
    /// (with Redis's clock), so every instance shares the bucket. Returns
    /// `(allowed, retry_after_ms, remaining)`, or `None` when Redis is unusable.
    pub async fn gcra(&self, key: &str, per_minute: u32) -> Option<(bool, u64, u32)> {
        let key = format!("{}:ratelimit:{key}", self.namespace);
        let script = GCRA.get_or_init(|| redis::Script::new(GCRA_LUA));
        let result: Option<(i64, i64, i64)> =
            self.run(|mut c| async move { script.key(key).arg(per_minute).invoke_async(&mut c).await }).await;
        result.map(|(allowed, retry_ms, remaining)| {
            (allowed == 1, u64::try_from(retry_ms).unwrap_or(0), u32::try_from(remaining).unwrap_or(0))
        })
    }

    /// Round-trips a PING, for readiness.
    pub async fn ping(&self) -> bool {
        self.run(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
            .is_some()
    }

    pub fn breaker_open(&self) -> bool {
        self.breaker.is_open()
    }
}
