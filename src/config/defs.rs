//! The table of every setting Herald understands: its key in `herald.toml`, the
//! environment variables that set it, its default and what it means.
//!
//! This table is the single source for validation ("unknown key"), for
//! `herald config` and for the README's configuration section, so the three
//! cannot drift apart.

pub(super) use super::keys::*;

/// One configurable value.
#[derive(Debug)]
pub struct SettingDef {
    /// Key in `herald.toml`.
    pub key: &'static str,
    /// Environment variables that set it, highest precedence first.
    pub env: &'static [&'static str],
    /// Built-in default, as text; `None` means "unset".
    pub default: Option<&'static str>,
    /// Whether the value holds credentials that must never be printed.
    pub secret: bool,
    /// One-line meaning, shown by `herald config --describe` and in the README.
    pub doc: &'static str,
}

pub(super) const SETTINGS: &[SettingDef] = &[
    SettingDef {
        key: LISTEN,
        env: &["HERALD_LISTEN"],
        default: Some("127.0.0.1:8080"),
        secret: false,
        doc: "Address and port the HTTP server binds (HTTP/1.1 and h2c). Also `--listen`.",
    },
    SettingDef {
        key: DATABASE_URL,
        env: &["HERALD_DATABASE_URL", "DATABASE_URL"],
        default: Some("sqlite:./data/herald.db"),
        secret: true,
        doc: "`sqlite:PATH` (file and folder created on first start) or `postgres://user:pass@host/db`. Any other scheme is refused.",
    },
    SettingDef {
        key: DATABASE_MAX_CONNECTIONS,
        env: &["HERALD_DATABASE_MAX_CONNECTIONS"],
        default: Some("10"),
        secret: false,
        doc: "Connection pool size (PostgreSQL pool; SQLite reader pool, writes always use one connection).",
    },
    SettingDef {
        key: DATABASE_TIMEOUT_SECS,
        env: &["HERALD_DATABASE_TIMEOUT_SECS"],
        default: Some("10"),
        secret: false,
        doc: "How long a query waits for a pooled connection (and, on SQLite, for the write lock) before failing.",
    },
    SettingDef {
        key: REDIS_URL,
        env: &["HERALD_REDIS_URL", "REDIS_URL"],
        default: None,
        secret: true,
        doc: "`redis://`, `rediss://` (TLS, verified against the system's roots) or `unix://` URL of the shared cache tier and cross-instance invalidation.",
    },
    SettingDef {
        key: LOG,
        env: &["HERALD_LOG", "RUST_LOG"],
        default: Some("info"),
        secret: false,
        doc: "Log filter in `tracing` syntax, e.g. `info` or `info,herald=debug,sqlx=warn`.",
    },
    SettingDef {
        key: LOG_FORMAT,
        env: &["HERALD_LOG_FORMAT"],
        default: Some("auto"),
        secret: false,
        doc: "`auto` (human-readable on a terminal, JSON otherwise), `json` or `pretty`.",
    },
    SettingDef {
        key: REQUEST_TIMEOUT_SECS,
        env: &["HERALD_REQUEST_TIMEOUT_SECS"],
        default: Some("30"),
        secret: false,
        doc: "A request still running after this many seconds is answered 503 problem+json.",
    },
    SettingDef {
        key: BODY_LIMIT_BYTES,
        env: &["HERALD_BODY_LIMIT_BYTES"],
        default: Some("1048576"),
        secret: false,
        doc: "Largest request body accepted; larger bodies get 413 problem+json.",
    },
    SettingDef {
        key: SHUTDOWN_GRACE_SECS,
        env: &["HERALD_SHUTDOWN_GRACE_SECS"],
        default: Some("30"),
        secret: false,
        doc: "On SIGINT/SIGTERM, how long in-flight requests may take to finish before the process exits anyway.",
    },
    SettingDef {
        key: WORKERS,
        env: &["HERALD_WORKERS"],
        default: Some("2"),
        secret: false,
        doc: "Queue workers inside `herald serve` (0: none; run `herald worker` processes instead).",
    },
    SettingDef {
        key: JOB_LEASE_SECS,
        env: &["HERALD_JOB_LEASE_SECS"],
        default: Some("30"),
        secret: false,
        doc: "How long a claimed job stays with its worker without a renewal (renewed every third of it); a job whose worker died runs again after this.",
    },
    SettingDef {
        key: NATS_URL,
        env: &["HERALD_NATS_URL"],
        default: None,
        secret: true,
        doc: "NATS server (nats://host:4222) to fan every event out to over JetStream, on subjects herald.events.<type>. Unset: no fan-out.",
    },
    SettingDef {
        key: NATS_STREAM,
        env: &["HERALD_NATS_STREAM"],
        default: Some("HERALD_EVENTS"),
        secret: false,
        doc: "The JetStream stream events are published to (created if missing, subjects herald.events.>).",
    },
    SettingDef {
        key: WEBHOOK_TIMEOUT_SECS,
        env: &["HERALD_WEBHOOK_TIMEOUT_SECS"],
        default: Some("10"),
        secret: false,
        doc: "How long a webhook receiver may take to answer a delivery before the attempt counts as failed.",
    },
    SettingDef {
        key: WEBHOOK_RETRY_SCHEDULE,
        env: &["HERALD_WEBHOOK_RETRY_SCHEDULE"],
        default: Some("0,5,300,1800,7200,18000,36000,36000"),
        secret: false,
        doc: "Seconds to wait before each delivery attempt (the first, then each retry); as many attempts as entries.",
    },
    SettingDef {
        key: WEBHOOK_ALLOW_PRIVATE_TARGETS,
        env: &["HERALD_WEBHOOK_ALLOW_PRIVATE_TARGETS"],
        default: Some("false"),
        secret: false,
        doc: "Deliver webhooks to loopback, private, link-local and metadata addresses too (private networks, tests).",
    },
    SettingDef {
        key: WEBHOOK_SECRET_OVERLAP_SECS,
        env: &["HERALD_WEBHOOK_SECRET_OVERLAP_SECS"],
        default: Some("86400"),
        secret: false,
        doc: "After a webhook secret is rotated, how long the old secret keeps signing beside the new one.",
    },
    SettingDef {
        key: WEBHOOK_DISABLE_AFTER_SECS,
        env: &["HERALD_WEBHOOK_DISABLE_AFTER_SECS"],
        default: Some("432000"),
        secret: false,
        doc: "A webhook subscription whose deliveries have all failed for this long is disabled (an event says so).",
    },
    SettingDef {
        key: EVENT_RETENTION_DAYS,
        env: &["HERALD_EVENT_RETENTION_DAYS"],
        default: Some("90"),
        secret: false,
        doc: "How long domain events (the audit log) and finished jobs are kept; older ones are pruned hourly.",
    },
    SettingDef {
        key: JWT_SECRET,
        env: &["HERALD_JWT_SECRET"],
        default: None,
        secret: true,
        doc: "HS256 secret, at least 32 bytes: with jwt_algorithm=HS256 it signs new tokens. Unset: keys are generated, stored in the database and rotated with `herald keys rotate`.",
    },
    SettingDef {
        key: ACCESS_TOKEN_TTL_SECS,
        env: &["HERALD_ACCESS_TOKEN_TTL_SECS"],
        default: Some("900"),
        secret: false,
        doc: "Lifetime of an access token (JWT).",
    },
    SettingDef {
        key: JWT_ALGORITHM,
        env: &["HERALD_JWT_ALGORITHM"],
        default: Some("HS256"),
        secret: false,
        doc: "`EdDSA` (Ed25519; public keys at /.well-known/jwks.json) or `HS256`: how new access tokens are signed. Keys are generated, stored in the database and rotated with `herald keys rotate`.",
    },
    SettingDef {
        key: REALWORLD_TOKEN_TTL_SECS,
        env: &["HERALD_REALWORLD_TOKEN_TTL_SECS"],
        default: Some("2592000"),
        secret: false,
        doc: "Lifetime of a RealWorld token (RealWorld clients never refresh); it is revoked with its session (logout, password change, disabled user).",
    },
    SettingDef {
        key: RECENT_AUTH_SECS,
        env: &["HERALD_RECENT_AUTH_SECS"],
        default: Some("600"),
        secret: false,
        doc: "A RealWorld session signed in this recently may change its password or e-mail without the current password.",
    },
    SettingDef {
        key: REFRESH_TOKEN_TTL_DAYS,
        env: &["HERALD_REFRESH_TOKEN_TTL_DAYS"],
        default: Some("30"),
        secret: false,
        doc: "Lifetime of a refresh token; each use rotates it.",
    },
    SettingDef {
        key: OPEN_REGISTRATION,
        env: &["HERALD_OPEN_REGISTRATION"],
        default: Some("true"),
        secret: false,
        doc: "Whether anyone may register. When `false`, accounts are created by an admin (`herald admin create-user`).",
    },
    SettingDef {
        key: DEFAULT_ROLE,
        env: &["HERALD_DEFAULT_ROLE"],
        default: Some("author"),
        secret: false,
        doc: "Role of self-registered users: `viewer`, `author` or `editor`.",
    },
    SettingDef {
        key: ARGON2_MEMORY_KIB,
        env: &["HERALD_ARGON2_MEMORY_KIB"],
        default: Some("19456"),
        secret: false,
        doc: "argon2id memory cost in KiB (OWASP: 19456).",
    },
    SettingDef {
        key: ARGON2_ITERATIONS,
        env: &["HERALD_ARGON2_ITERATIONS"],
        default: Some("2"),
        secret: false,
        doc: "argon2id passes (OWASP: 2).",
    },
    SettingDef {
        key: ARGON2_PARALLELISM,
        env: &["HERALD_ARGON2_PARALLELISM"],
        default: Some("1"),
        secret: false,
        doc: "argon2id lanes (OWASP: 1).",
    },
    SettingDef {
        key: LOGIN_FREE_FAILURES,
        env: &["HERALD_LOGIN_FREE_FAILURES"],
        default: Some("5"),
        secret: false,
        doc: "Failed logins allowed per account before exponential back-off (429 + Retry-After); a client IP gets four times as many.",
    },
    SettingDef {
        key: CORS_ORIGINS,
        env: &["HERALD_CORS_ORIGINS"],
        default: Some(
            "http://localhost:3000,http://localhost:4200,http://localhost:5173,http://localhost:8000",
        ),
        secret: false,
        doc: "Comma-separated browser origins allowed to call the API (CORS), or `*` for any. The default covers the usual local dev servers of Conduit frontends.",
    },
    SettingDef {
        key: MAX_IN_FLIGHT,
        env: &["HERALD_MAX_IN_FLIGHT"],
        default: Some("512"),
        secret: false,
        doc: "Requests handled at once; beyond it Herald answers 503 + Retry-After immediately (health and metrics exempt).",
    },
    SettingDef {
        key: CACHE_MAX_AGE_SECS,
        env: &["HERALD_CACHE_MAX_AGE_SECS"],
        default: Some("5"),
        secret: false,
        doc: "`Cache-Control: public, max-age` for anonymous reads (authenticated ones are `private, no-store`).",
    },
    SettingDef {
        key: HSTS,
        env: &["HERALD_HSTS"],
        default: Some("false"),
        secret: false,
        doc: "Send `Strict-Transport-Security` (set when Herald is served over TLS, e.g. behind a TLS proxy).",
    },
    SettingDef {
        key: RATE_LIMIT_AUTH,
        env: &["HERALD_RATE_LIMIT_AUTH_PER_MINUTE"],
        default: Some("20"),
        secret: false,
        doc: "Sign-in, registration and refresh requests per minute per client IP.",
    },
    SettingDef {
        key: RATE_LIMIT_WRITE,
        env: &["HERALD_RATE_LIMIT_WRITE_PER_MINUTE"],
        default: Some("300"),
        secret: false,
        doc: "Writes (POST, PUT, PATCH, DELETE) per minute per client (credential, else IP).",
    },
    SettingDef {
        key: RATE_LIMIT_READ,
        env: &["HERALD_RATE_LIMIT_READ_PER_MINUTE"],
        default: Some("6000"),
        secret: false,
        doc: "Reads (GET, HEAD) per minute per client (credential, else IP).",
    },
    SettingDef {
        key: TRUSTED_PROXIES,
        env: &["HERALD_TRUSTED_PROXIES"],
        default: Some(""),
        secret: false,
        doc: "Comma-separated IP addresses of reverse proxies whose `X-Forwarded-For` names the client (empty: trust none).",
    },
    SettingDef {
        key: CACHE_MAX_BYTES,
        env: &["HERALD_CACHE_MAX_BYTES"],
        default: Some("33554432"),
        secret: false,
        doc: "Size of the in-process response cache (L1) in bytes; 0 disables caching.",
    },
    SettingDef {
        key: CACHE_TTL_SECS,
        env: &["HERALD_CACHE_TTL_SECS"],
        default: Some("60"),
        secret: false,
        doc: "Longest time a cached read is kept (writes invalidate at once; this bounds staleness from outside writers such as the CLI).",
    },
    SettingDef {
        key: CACHE_NAMESPACE,
        env: &["HERALD_CACHE_NAMESPACE"],
        default: Some("herald"),
        secret: false,
        doc: "Prefix of Herald's Redis keys; instances sharing a database must share it.",
    },
    SettingDef {
        key: METRICS_TOKEN,
        env: &["HERALD_METRICS_TOKEN"],
        default: None,
        secret: true,
        doc: "When set, `GET /metrics` requires `Authorization: Bearer <token>` (set it whenever the port is reachable from outside).",
    },
    SettingDef {
        key: METRICS_LISTEN,
        env: &["HERALD_METRICS_LISTEN"],
        default: None,
        secret: false,
        doc: "Serve `GET /metrics` on this separate address (e.g. `127.0.0.1:9100`) instead of the API port, which then answers 404 there.",
    },
    SettingDef {
        key: OTLP_ENDPOINT,
        env: &["HERALD_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"],
        default: None,
        secret: false,
        doc: "Base URL of an OpenTelemetry collector's OTLP/HTTP receiver (e.g. `http://127.0.0.1:4318`; `/v1/traces` is appended). Unset: no traces are exported.",
    },
    SettingDef {
        key: OTLP_PROTOCOL,
        env: &["HERALD_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"],
        default: Some("http/protobuf"),
        secret: false,
        doc: "OTLP encoding: `http/protobuf` or `http/json`.",
    },
    SettingDef {
        key: OTLP_SERVICE_NAME,
        env: &["HERALD_OTLP_SERVICE_NAME", "OTEL_SERVICE_NAME"],
        default: Some("herald"),
        secret: false,
        doc: "`service.name` of the exported spans.",
    },
    SettingDef {
        key: MASTODON_MAX_CHARS,
        env: &["HERALD_MASTODON_MAX_CHARS"],
        default: Some("500"),
        secret: false,
        doc: "Character limit of the Mastodon instance posts are checked against (500 on mastodon.social; many instances raise it).",
    },
    SettingDef {
        key: GENERATION_PROVIDER,
        env: &["HERALD_GENERATION_PROVIDER"],
        default: Some("template"),
        secret: false,
        doc: "Who writes generated posts: `template` (built-in, offline, no LLM) or `openai` (any OpenAI-compatible chat-completions endpoint, see `llm_*`).",
    },
    SettingDef {
        key: GENERATION_FALLBACK,
        env: &["HERALD_GENERATION_FALLBACK"],
        default: Some("true"),
        secret: false,
        doc: "When the `openai` provider fails or its circuit breaker is open, answer with the `template` provider (and say so) instead of 502/503.",
    },
    SettingDef {
        key: GENERATION_CACHE_TTL_SECS,
        env: &["HERALD_GENERATION_CACHE_TTL_SECS"],
        default: Some("3600"),
        secret: false,
        doc: "How long a generation result is reused for the same normalised brief and provider settings (0 disables the cache).",
    },
    SettingDef {
        key: GENERATION_CONCURRENCY,
        env: &["HERALD_GENERATION_CONCURRENCY"],
        default: Some("4"),
        secret: false,
        doc: "How many briefs of one batch request are generated at the same time.",
    },
    SettingDef {
        key: LLM_BASE_URL,
        env: &["HERALD_LLM_BASE_URL"],
        default: None,
        secret: false,
        doc: "Base URL of the chat-completions API, e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1` (Ollama); `/chat/completions` is appended, a query string (Azure `api-version`) is kept. Required for `openai`.",
    },
    SettingDef {
        key: LLM_MODEL,
        env: &["HERALD_LLM_MODEL"],
        default: None,
        secret: false,
        doc: "Model name sent with every request (e.g. `gpt-4o-mini`, `llama3.1`). Required for `openai`.",
    },
    SettingDef {
        key: LLM_API_KEY,
        env: &["HERALD_LLM_API_KEY"],
        default: None,
        secret: true,
        doc: "API key for the chat-completions endpoint; unset for local servers that need none.",
    },
    SettingDef {
        key: LLM_API_KEY_HEADER,
        env: &["HERALD_LLM_API_KEY_HEADER"],
        default: Some("authorization"),
        secret: false,
        doc: "How the key is sent: `authorization` (`Bearer <key>`: OpenAI, vLLM, llama.cpp) or `api-key` (Azure OpenAI).",
    },
    SettingDef {
        key: LLM_TIMEOUT_SECS,
        env: &["HERALD_LLM_TIMEOUT_SECS"],
        default: Some("30"),
        secret: false,
        doc: "Timeout of one upstream request, connection included.",
    },
    SettingDef {
        key: LLM_MAX_RETRIES,
        env: &["HERALD_LLM_MAX_RETRIES"],
        default: Some("2"),
        secret: false,
        doc: "Retries after a 429, 5xx, timeout or connection failure, with exponential back-off honouring `Retry-After`.",
    },
    SettingDef {
        key: LLM_TEMPERATURE,
        env: &["HERALD_LLM_TEMPERATURE"],
        default: Some("0.7"),
        secret: false,
        doc: "Sampling temperature sent upstream (0 to 2).",
    },
    SettingDef {
        key: LLM_RATE_LIMIT,
        env: &["HERALD_LLM_RATE_LIMIT_PER_MINUTE"],
        default: Some("10"),
        secret: false,
        doc: "Upstream generation calls each user may cause per minute (cached results do not count); over it: 429.",
    },
    SettingDef {
        key: LLM_BREAKER_FAILURES,
        env: &["HERALD_LLM_BREAKER_FAILURES"],
        default: Some("5"),
        secret: false,
        doc: "Consecutive failed upstream attempts that open the circuit breaker (no upstream calls while open).",
    },
    SettingDef {
        key: LLM_BREAKER_COOLDOWN_SECS,
        env: &["HERALD_LLM_BREAKER_COOLDOWN_SECS"],
        default: Some("30"),
        secret: false,
        doc: "How long the breaker stays open before one trial request may close it.",
    },
];

/// Every setting: this table and the sections kept beside their parsers.
pub fn all() -> impl Iterator<Item = &'static SettingDef> {
    SETTINGS.iter().chain(super::connections::CONNECTION_SETTINGS)
}

/// Looks a setting up by its file key.
pub(super) fn find(key: &str) -> Option<&'static SettingDef> {
    all().find(|def| def.key == key)
}
