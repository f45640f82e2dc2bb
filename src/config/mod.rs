//! Typed, validated configuration. `Settings::load` turns the raw layers into
//! typed values and reports every problem at once; nothing starts before it
//! succeeds. Settings are passed around in the service context, never kept in a global.

mod analytics;
mod background;
mod connections;
mod defs;
mod keys;
mod layers;
mod parse;
mod setting;
mod studio;
mod url;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use analytics::AnalyticsSettings;
pub use background::{NatsSettings, WebhookSettings};
pub use connections::{ConnectionLimits, ListenerLimits};
pub use defs::all as all_settings;
pub use layers::{Origin, Resolved, Sources};
pub use setting::SettingDef;
pub use studio::StudioSettings;
pub use url::{DbBackend, RedisUrl, redact};

use crate::auth::password::HashParams;
use crate::domain::Role;
use secrecy::SecretString;

use parse::{Parser, boolean, http_url, int_in, parse_content, parse_origins};

/// Every problem found in the configuration, one line each, naming the setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration ({} problem(s)):", self.0.len())?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Auto,
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub backend: DbBackend,
    pub max_connections: u32,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub filter: String,
    pub format: LogFormat,
    /// Where to export traces, if anywhere.
    pub otlp: Option<OtlpSettings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    Protobuf,
    Json,
}

/// OpenTelemetry trace export over OTLP/HTTP.
#[derive(Debug, Clone)]
pub struct OtlpSettings {
    /// The collector's base URL, without `/v1/traces`.
    pub endpoint: String,
    pub protocol: OtlpProtocol,
    pub service_name: String,
}

#[derive(Clone)]
pub struct AuthSettings {
    /// How new access tokens are signed.
    pub jwt_algorithm: JwtAlgorithm,
    pub jwt_secret: Option<SecretString>,
    pub access_token_ttl: Duration,
    /// Lifetime of tokens given to RealWorld clients, which never refresh.
    pub realworld_token_ttl: Duration,
    /// How recent a sign-in lets a RealWorld client change its password
    /// without the current one.
    pub recent_auth: Duration,
    pub refresh_token_ttl: Duration,
    pub open_registration: bool,
    pub default_role: Role,
    pub hash: HashParams,
    pub login_free_failures: u32,
}

/// The signature algorithm of new access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// Ed25519: other services verify with the published public keys.
    EdDsa,
    /// HMAC-SHA256: only Herald can verify.
    Hs256,
}

impl JwtAlgorithm {
    pub fn parse(raw: &str) -> Result<JwtAlgorithm, String> {
        match raw {
            "EdDSA" => Ok(JwtAlgorithm::EdDsa),
            "HS256" => Ok(JwtAlgorithm::Hs256),
            _ => Err("must be EdDSA or HS256".to_owned()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::EdDsa => "EdDSA",
            JwtAlgorithm::Hs256 => "HS256",
        }
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_algorithm", &self.jwt_algorithm)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("access_token_ttl", &self.access_token_ttl)
            .field("realworld_token_ttl", &self.realworld_token_ttl)
            .field("recent_auth", &self.recent_auth)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("open_registration", &self.open_registration)
            .field("default_role", &self.default_role)
            .field("hash", &self.hash)
            .field("login_free_failures", &self.login_free_failures)
            .finish()
    }
}

/// Which browser origins may call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub cors_origins: CorsOrigins,
    pub max_in_flight: usize,
    pub cache_max_age_secs: u64,
    pub hsts: bool,
    /// Requests per minute: sign-in/registration, writes, reads.
    pub rate_limits: (u32, u32, u32),
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub cache_max_bytes: u64,
    pub cache_ttl: Duration,
    pub cache_namespace: String,
    pub metrics_token: Option<SecretString>,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    pub shutdown_grace: Duration,
    /// Limits of the listeners' connections.
    pub connections: ListenerLimits,
}

/// Which provider writes generated posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Template,
    OpenAi,
}

/// How the API key travels to the chat-completions endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyHeader {
    /// `Authorization: Bearer <key>` (OpenAI, vLLM, llama.cpp, Ollama).
    Bearer,
    /// `api-key: <key>` (Azure OpenAI).
    ApiKey,
}

/// An OpenAI-compatible chat-completions endpoint.
#[derive(Clone)]
pub struct LlmSettings {
    pub base_url: String,
    pub model: String,
    pub api_key: Option<SecretString>,
    pub api_key_header: ApiKeyHeader,
    pub timeout: Duration,
    pub max_retries: u32,
    pub temperature: f32,
    pub breaker_failures: u32,
    pub breaker_cooldown: Duration,
}

impl fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmSettings")
            .field("base_url", &url::redact(&self.base_url))
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("api_key_header", &self.api_key_header)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("temperature", &self.temperature)
            .finish_non_exhaustive()
    }
}

/// Analysis and generation.
#[derive(Debug, Clone)]
pub struct ContentSettings {
    pub mastodon_max_chars: usize,
    pub provider: ProviderKind,
    /// Present whenever the `llm_*` settings are complete (required for `openai`).
    pub llm: Option<LlmSettings>,
    pub fallback: bool,
    pub cache_ttl: Duration,
    pub concurrency: usize,
    pub llm_rate_limit_per_minute: u32,
}

/// The effective configuration. `Debug` never shows secrets: URLs are wrapped
/// in types whose `Debug` redacts credentials.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// A separate address for `/metrics`, if any.
    pub metrics_listen: Option<SocketAddr>,
    pub database: DatabaseSettings,
    pub redis_url: Option<RedisUrl>,
    pub log: LogSettings,
    pub http: HttpSettings,
    pub auth: AuthSettings,
    pub content: ContentSettings,
    /// Days dispatched events are kept.
    pub event_retention_days: u32,
    /// Queue workers inside `herald serve`.
    pub workers: usize,
    /// How long a claimed job is its worker's without a renewal.
    pub job_lease: Duration,
    pub webhooks: WebhookSettings,
    /// Fan-out of events to NATS JetStream, when configured.
    pub nats: Option<NatsSettings>,
    pub analytics: AnalyticsSettings,
    pub studio: StudioSettings,
}

impl Settings {
    /// Resolves the layers and validates every value, collecting all problems.
    pub fn load(sources: &Sources) -> Result<(Settings, Resolved), ConfigErrors> {
        let (resolved, mut problems) = layers::resolve(sources);
        let mut p = Parser { resolved: &resolved, problems: &mut problems };

        let listen = p.parse(defs::LISTEN, |s| {
            s.parse::<SocketAddr>()
                .map_err(|_| "is not an IP address and port, e.g. 127.0.0.1:8080".to_owned())
        });
        let backend = p.parse(defs::DATABASE_URL, DbBackend::parse);
        let max_connections = p.parse_optional(defs::DATABASE_MAX_CONNECTIONS, |s| int_in(s, 1, 1000));
        let db_timeout = p.parse(defs::DATABASE_TIMEOUT_SECS, |s| int_in(s, 1, 3600));
        let redis_url = p.parse_optional(defs::REDIS_URL, RedisUrl::parse);
        let log_filter = p.parse(defs::LOG, |s| {
            tracing_subscriber::EnvFilter::try_new(s)
                .map(|_| s.to_owned())
                .map_err(|err| format!("is not a valid log filter ({err})"))
        });
        let log_format = p.parse(defs::LOG_FORMAT, |s| match s {
            "auto" => Ok(LogFormat::Auto),
            "json" => Ok(LogFormat::Json),
            "pretty" => Ok(LogFormat::Pretty),
            _ => Err("must be one of auto, json, pretty".to_owned()),
        });
        let otlp_endpoint = p.parse_optional(defs::OTLP_ENDPOINT, |s| {
            http_url(s, "http://127.0.0.1:4318").map(|url| url.trim_end_matches("/v1/traces").to_owned())
        });
        let otlp_protocol = p.parse(defs::OTLP_PROTOCOL, |s| match s {
            "http/protobuf" => Ok(OtlpProtocol::Protobuf),
            "http/json" => Ok(OtlpProtocol::Json),
            _ => Err("must be http/protobuf or http/json (gRPC is not supported)".to_owned()),
        });
        let otlp_service = p.parse(defs::OTLP_SERVICE_NAME, |s| {
            if s.is_empty() { Err("must not be empty".to_owned()) } else { Ok(s.to_owned()) }
        });
        let metrics_listen = p.parse_optional(defs::METRICS_LISTEN, |s| {
            s.parse::<SocketAddr>()
                .map_err(|_| "is not an IP address and port, e.g. 127.0.0.1:9100".to_owned())
        });
        let request_timeout = p.parse(defs::REQUEST_TIMEOUT_SECS, |s| int_in(s, 1, 3600));
        let body_limit = p.parse(defs::BODY_LIMIT_BYTES, |s| int_in(s, 1024, 1 << 30));
        let grace = p.parse(defs::SHUTDOWN_GRACE_SECS, |s| int_in(s, 0, 3600));
        let event_retention = p.parse(defs::EVENT_RETENTION_DAYS, |s| int_in(s, 1, 36_500));
        let workers = p.parse(defs::WORKERS, |s| int_in(s, 0, 64));
        let jwt_secret = p.parse_optional(defs::JWT_SECRET, |s| {
            if s.len() < 32 {
                Err("must be at least 32 bytes long".to_owned())
            } else {
                Ok(SecretString::from(s.to_owned()))
            }
        });
        let access_ttl = p.parse(defs::ACCESS_TOKEN_TTL_SECS, |s| int_in(s, 30, 86_400));
        let jwt_algorithm = p.parse(defs::JWT_ALGORITHM, JwtAlgorithm::parse);
        let realworld_ttl = p.parse(defs::REALWORLD_TOKEN_TTL_SECS, |s| int_in(s, 30, 365 * 86_400));
        let recent_auth = p.parse(defs::RECENT_AUTH_SECS, |s| int_in(s, 0, 86_400));
        let refresh_ttl = p.parse(defs::REFRESH_TOKEN_TTL_DAYS, |s| int_in(s, 1, 365));
        let open_registration = p.parse(defs::OPEN_REGISTRATION, boolean);
        let default_role = p.parse(defs::DEFAULT_ROLE, |s| match Role::parse("", s) {
            Ok(Role::Admin) => Err("may not be admin: admins are created with `herald admin`".to_owned()),
            Ok(role) => Ok(role),
            Err(_) => Err("must be one of viewer, author, editor".to_owned()),
        });
        let memory = p.parse(defs::ARGON2_MEMORY_KIB, |s| int_in(s, 64, 4 * 1024 * 1024));
        let iterations = p.parse(defs::ARGON2_ITERATIONS, |s| int_in(s, 1, 100));
        let parallelism = p.parse(defs::ARGON2_PARALLELISM, |s| int_in(s, 1, 64));
        let free_failures = p.parse(defs::LOGIN_FREE_FAILURES, |s| int_in(s, 1, 1000));
        let cors = p.parse(defs::CORS_ORIGINS, parse_origins);
        let cache_max_bytes = p.parse(defs::CACHE_MAX_BYTES, |s| int_in(s, 0, 1 << 40));
        let cache_ttl = p.parse(defs::CACHE_TTL_SECS, |s| int_in(s, 1, 86_400));
        let metrics_token = p.parse_optional(defs::METRICS_TOKEN, |s| {
            if s.len() >= 16 {
                Ok(SecretString::from(s.to_owned()))
            } else {
                Err("must be at least 16 characters".to_owned())
            }
        });
        let cache_namespace = p.parse(defs::CACHE_NAMESPACE, |s| {
            if !s.is_empty()
                && s.len() <= 64
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                Ok(s.to_owned())
            } else {
                Err("must be 1 to 64 letters, digits, '-' or '_'".to_owned())
            }
        });
        let max_in_flight = p.parse(defs::MAX_IN_FLIGHT, |s| int_in(s, 1, 1_000_000));
        let cache_max_age = p.parse(defs::CACHE_MAX_AGE_SECS, |s| int_in(s, 0, 86_400));
        let hsts = p.parse(defs::HSTS, boolean);
        let rl_auth = p.parse(defs::RATE_LIMIT_AUTH, |s| int_in(s, 1, 1_000_000));
        let rl_write = p.parse(defs::RATE_LIMIT_WRITE, |s| int_in(s, 1, 10_000_000));
        let rl_read = p.parse(defs::RATE_LIMIT_READ, |s| int_in(s, 1, 100_000_000));
        let trusted = p.parse(defs::TRUSTED_PROXIES, |s| {
            s.split(',')
                .map(str::trim)
                .filter(|ip| !ip.is_empty())
                .map(|ip| ip.parse::<std::net::IpAddr>().map_err(|_| format!("`{ip}` is not an IP address")))
                .collect::<Result<Vec<_>, _>>()
        });
        let content = parse_content(&mut p);
        let background = background::parse_background(&mut p);
        let connections = connections::parse_connections(&mut p);
        let analytics = analytics::parse_analytics(&mut p);
        let studio = studio::parse_studio(&mut p);

        // Every `None` above has pushed a problem, so this only yields `Some`
        // when the whole configuration is valid.
        let settings = (|| {
            Some(Settings {
                listen: listen?,
                database: DatabaseSettings {
                    max_connections: match max_connections? {
                        Some(n) => u32::try_from(n).ok()?,
                        None => default_pool_size(backend.as_ref()?),
                    },
                    backend: backend?,
                    timeout: Duration::from_secs(db_timeout?),
                },
                redis_url: redis_url?,
                log: LogSettings {
                    filter: log_filter?,
                    format: log_format?,
                    otlp: match otlp_endpoint? {
                        Some(endpoint) => Some(OtlpSettings {
                            endpoint,
                            protocol: otlp_protocol?,
                            service_name: otlp_service?,
                        }),
                        None => None,
                    },
                },
                metrics_listen: metrics_listen?,
                event_retention_days: u32::try_from(event_retention?).ok()?,
                workers: usize::try_from(workers?).ok()?,
                job_lease: background.as_ref()?.job_lease,
                nats: background.as_ref()?.nats.clone(),
                webhooks: background?.webhooks,
                http: HttpSettings {
                    cors_origins: cors?,
                    max_in_flight: usize::try_from(max_in_flight?).ok()?,
                    cache_max_age_secs: cache_max_age?,
                    hsts: hsts?,
                    rate_limits: (
                        u32::try_from(rl_auth?).ok()?,
                        u32::try_from(rl_write?).ok()?,
                        u32::try_from(rl_read?).ok()?,
                    ),
                    trusted_proxies: trusted?,
                    cache_max_bytes: cache_max_bytes?,
                    cache_ttl: Duration::from_secs(cache_ttl?),
                    cache_namespace: cache_namespace?,
                    metrics_token: metrics_token?,
                    request_timeout: Duration::from_secs(request_timeout?),
                    body_limit_bytes: usize::try_from(body_limit?).ok()?,
                    shutdown_grace: Duration::from_secs(grace?),
                    connections: connections?,
                },
                auth: AuthSettings {
                    jwt_algorithm: jwt_algorithm?,
                    jwt_secret: jwt_secret?,
                    access_token_ttl: Duration::from_secs(access_ttl?),
                    realworld_token_ttl: Duration::from_secs(realworld_ttl?),
                    recent_auth: Duration::from_secs(recent_auth?),
                    refresh_token_ttl: Duration::from_secs(refresh_ttl? * 86_400),
                    open_registration: open_registration?,
                    default_role: default_role?,
                    hash: HashParams {
                        memory_kib: u32::try_from(memory?).ok()?,
                        iterations: u32::try_from(iterations?).ok()?,
                        parallelism: u32::try_from(parallelism?).ok()?,
                    },
                    login_free_failures: u32::try_from(free_failures?).ok()?,
                },
                content: content?,
                analytics: analytics?,
                studio: studio?,
            })
        })();
        match settings {
            Some(settings) if problems.is_empty() => Ok((settings, resolved)),
            _ => Err(ConfigErrors(problems)),
        }
    }

    /// Settings for an embedded SQLite database at `path` with every other
    /// value at its default: the starting point for tests and tools.
    pub fn for_sqlite_file(path: PathBuf) -> Result<Settings, ConfigErrors> {
        let sources = Sources {
            flags: vec![(defs::DATABASE_URL, format!("sqlite:{}", path.display()), "--database-url")],
            ..Sources::default()
        };
        Settings::load(&sources).map(|(settings, _)| settings)
    }
}

/// The pool when `database_max_connections` is unset. SQLite's readers
/// each run on their own thread with their own page cache and prepared
/// statements (about 4.7 MB each at 200,000 posts), and past two per core
/// they only queue for the CPU: with four readers instead of ten on two
/// cores the uncached scale walk peaked at 73 MB instead of 101, and a list
/// read beside a stream of 300-comment reads kept a lower p99
/// (bench/RESULTS.md). A PostgreSQL pool waits on the server instead.
fn default_pool_size(backend: &DbBackend) -> u32 {
    match backend {
        DbBackend::Sqlite { .. } => {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            u32::try_from(2 * cores).unwrap_or(u32::MAX).min(1000)
        }
        DbBackend::Postgres { .. } => 10,
    }
}

/// Renders the effective configuration as TOML with secrets redacted and the
/// origin of each value in a comment.
pub fn describe(resolved: &Resolved) -> String {
    let mut out = String::from("# Effective Herald configuration (secrets redacted)\n");
    for def in defs::all() {
        match resolved.get(def.key) {
            Some((value, origin)) => {
                let shown = if def.secret { url::redact(value) } else { value.to_owned() };
                let value = toml::Value::String(shown);
                out.push_str(&format!("{} = {value}  # {origin}\n", def.key));
            }
            None => out.push_str(&format!("# {} is unset\n", def.key)),
        }
    }
    out
}

#[cfg(test)]
mod tests;
