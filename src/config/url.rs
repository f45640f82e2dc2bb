//! Connection URLs parsed into what they mean, with credentials kept out of
//! `Debug` output and error messages.

use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

/// Which database Herald stores its data in, chosen by URL scheme. Unknown
/// schemes are refused rather than guessed at: a typo must not silently create
/// a SQLite file.
#[derive(Clone)]
pub enum DbBackend {
    Sqlite { path: PathBuf },
    Postgres { url: SecretString },
}

impl DbBackend {
    pub fn parse(raw: &str) -> Result<DbBackend, String> {
        if let Some(rest) = raw.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err("needs a file path, e.g. sqlite:./data/herald.db".to_owned());
            }
            return Ok(DbBackend::Sqlite { path: PathBuf::from(path) });
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DbBackend::Postgres { url: SecretString::from(raw.to_owned()) });
        }
        let scheme = raw.split_once(':').map_or(raw, |(scheme, _)| scheme);
        Err(format!("has an unsupported scheme `{scheme}`: use sqlite:PATH or postgres://USER@HOST/DB"))
    }

    pub fn name(&self) -> &'static str {
        match self {
            DbBackend::Sqlite { .. } => "sqlite",
            DbBackend::Postgres { .. } => "postgres",
        }
    }
}

impl fmt::Debug for DbBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbBackend::Sqlite { path } => write!(f, "Sqlite({})", path.display()),
            DbBackend::Postgres { url } => write!(f, "Postgres({})", redact(url.expose_secret())),
        }
    }
}

/// A Redis URL, kept secret because it may carry a password.
#[derive(Clone)]
pub struct RedisUrl(SecretString);

impl RedisUrl {
    pub fn parse(raw: &str) -> Result<RedisUrl, String> {
        if ["redis://", "rediss://", "unix://"].iter().any(|scheme| raw.starts_with(scheme)) {
            Ok(RedisUrl(SecretString::from(raw.to_owned())))
        } else {
            Err("must start with redis://, rediss:// (TLS) or unix://".to_owned())
        }
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({})", redact(self.0.expose_secret()))
    }
}

/// Replaces the password of `scheme://user:password@host…` with `***`; strings
/// that are not such URLs are returned unchanged.
pub fn redact(raw: &str) -> String {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return raw.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let masked = if userinfo.contains(':') { format!("{user}:***") } else { user.to_owned() };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => raw.to_owned(),
    }
}
