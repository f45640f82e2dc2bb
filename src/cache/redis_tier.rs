//! The Redis tier: shared cached responses and the shared generation. Every
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

#[derive(Clone)]
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

    fn generation_key(&self) -> String {
        format!("{}:cache:generation", self.namespace)
    }

    pub async fn generation(&self) -> Option<u64> {
        let key = self.generation_key();
        self.run(|mut c| async move { c.get::<_, Option<u64>>(key).await }).await.map(|g| g.unwrap_or(0))
    }

    pub async fn bump(&self) {
        let key = self.generation_key();
        if self.run(|mut c| async move { c.incr::<_, _, u64>(key, 1).await }).await.is_none() {
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
