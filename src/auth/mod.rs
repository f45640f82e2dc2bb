//! Credentials: password hashing, access tokens (JWT), refresh tokens and API
//! keys. Pure mechanisms; who may do what is decided in `service`.

pub mod keys;
pub mod password;
pub mod secrets;
pub mod tokens;

pub use keys::{Jwk, StoredKey};
pub use password::PasswordHasher;
pub use tokens::{AccessClaims, JwtKeys, TokenError};

use std::sync::Arc;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;

use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::config::{AuthSettings, JwtAlgorithm};
use crate::store::{Db, instance_settings};
use keys::{KeyRing, LoadedKey, RingBuilder};

/// Name under which the HS256 secret generated before keys had ids is kept:
/// it still verifies tokens without a `kid`.
const GENERATED_SECRET: &str = "auth.jwt_hs256_secret";
/// Name under which the signing keys (JSON) are shared through the database.
const KEYS: &str = "auth.jwt_keys";
/// When tokens started naming their key: a token without a `kid` must be
/// older, and the legacy secret retires a token lifetime after it.
const KEYS_SINCE: &str = "auth.jwt_keys_since";
/// The `kid` of tokens signed with a configured `jwt_secret`.
const CONFIGURED_KID: &str = "hs256-configured";

/// The credential machinery an instance needs at run time.
#[derive(Debug)]
pub struct Auth {
    pub jwt: JwtKeys,
    pub hasher: PasswordHasher,
}

impl Auth {
    /// Loads the signing keys from the database, generating and storing the
    /// first key of the configured algorithm on first start, so that every
    /// instance on this database (and every restart) uses the same keys.
    pub async fn init(settings: &AuthSettings, db: &Db, clock: &Arc<dyn Clock>) -> anyhow::Result<Auth> {
        let now = clock.now();
        let since = instance_settings::get_or_insert(db, KEYS_SINCE, &now.to_rfc3339(), now).await?;
        let since = DateTime::parse_from_rfc3339(&since).map_or(now, |at| at.with_timezone(&Utc));
        let legacy_secret = match &settings.jwt_secret {
            Some(secret) => Some(secret.expose_secret().as_bytes().to_vec()),
            None => instance_settings::find(db, GENERATED_SECRET).await?.map(String::into_bytes),
        };
        let legacy = legacy_secret.map(|secret| Legacy {
            secret,
            issued_before: since,
            verifies_until: since + longest_token_life(settings),
        });
        if settings.jwt_secret.is_none()
            && settings.jwt_algorithm == JwtAlgorithm::Hs256
            && let Some(generated) = &legacy
        {
            // The first key reuses the secret instances of the previous
            // version sign and verify with, so a rolling upgrade signs nobody out.
            let first = encode_keys(&[StoredKey::hs256_from(&generated.secret, now)]);
            instance_settings::get_or_insert(db, KEYS, &first, now).await?;
        }
        let ring = load_ring(settings, db, now).await?;
        let ttl =
            chrono::Duration::from_std(settings.access_token_ttl).context("access token TTL out of range")?;
        Ok(Auth { jwt: JwtKeys::new(ring, legacy, ttl), hasher: PasswordHasher::new(settings.hash)? })
    }

    /// Puts the stored keys in use (another instance or the CLI may have
    /// rotated them).
    pub async fn reload_keys(
        &self,
        settings: &AuthSettings,
        db: &Db,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        self.jwt.replace(load_ring(settings, db, now).await?);
        Ok(())
    }
}

/// The secret that verifies tokens from before key ids, and for how long.
#[derive(Debug, Clone)]
pub struct Legacy {
    pub secret: Vec<u8>,
    /// Only tokens issued before this carry no `kid`.
    pub issued_before: DateTime<Utc>,
    /// After this, no such token can still be valid.
    pub verifies_until: DateTime<Utc>,
}

/// Whether the configured `jwt_secret` signs (HS256 with a secret given):
/// that key then changes in the configuration, not by rotation.
pub fn signs_with_configured_secret(settings: &AuthSettings) -> bool {
    settings.jwt_algorithm == JwtAlgorithm::Hs256 && settings.jwt_secret.is_some()
}

/// The longest a token lives: how long a replaced key keeps verifying.
fn longest_token_life(settings: &AuthSettings) -> Duration {
    let longest = settings.access_token_ttl.max(settings.realworld_token_ttl);
    Duration::from_std(longest).unwrap_or(Duration::days(30)) + Duration::seconds(tokens::LEEWAY_SECS)
}

fn parse_keys(raw: &str) -> anyhow::Result<Vec<StoredKey>> {
    serde_json::from_str(raw).context("the stored signing keys are unreadable")
}

fn encode_keys(keys: &[StoredKey]) -> String {
    serde_json::to_string(keys).unwrap_or_else(|_| "[]".to_owned())
}

fn has_signer(keys: &[StoredKey], alg: JwtAlgorithm, now: DateTime<Utc>) -> bool {
    keys.iter().any(|k| k.algorithm() == Some(alg) && k.retire_at.is_none() && k.live_at(now))
}

/// The stored keys as a ring. A key of the configured algorithm is added
/// if there is none (first start, or a changed algorithm) - without retiring
/// the others, which instances configured otherwise may still sign with.
/// Reading writes nothing when the keys are as they should be.
async fn load_ring(settings: &AuthSettings, db: &Db, now: DateTime<Utc>) -> anyhow::Result<KeyRing> {
    let alg = settings.jwt_algorithm;
    let found = instance_settings::find(db, KEYS).await?;
    let stored = match found.as_deref().map(parse_keys).transpose()? {
        Some(keys) if has_signer(&keys, alg, now) => keys,
        _ => {
            let initial = encode_keys(&[StoredKey::generate(alg, now)]);
            let mut unreadable = None;
            let stored =
                instance_settings::update_with(db, KEYS, &initial, now, |current| {
                    match parse_keys(current) {
                        Ok(keys) if has_signer(&keys, alg, now) => None,
                        Ok(mut keys) => {
                            keys.push(StoredKey::generate(alg, now));
                            Some(encode_keys(&keys))
                        }
                        Err(err) => {
                            unreadable = Some(err);
                            None
                        }
                    }
                })
                .await
                .context("cannot store the signing keys")?;
            if let Some(err) = unreadable {
                return Err(err);
            }
            parse_keys(&stored)?
        }
    };
    let mut ring = RingBuilder::from_stored(&stored, alg, now);
    if let Some(secret) = &settings.jwt_secret {
        // A configured secret verifies what it signed even once it no longer
        // signs (the algorithm switched to EdDSA).
        let key = LoadedKey::hs256(secret.expose_secret().as_bytes());
        ring.add(CONFIGURED_KID, key, signs_with_configured_secret(settings));
    }
    ring.finish(alg)
}

/// Adds a new signing key and retires the previous ones after the longest
/// token lifetime; returns the new key's id.
pub async fn rotate_keys(settings: &AuthSettings, db: &Db, now: DateTime<Utc>) -> anyhow::Result<String> {
    let alg = settings.jwt_algorithm;
    let overlap = longest_token_life(settings);
    let mut outcome: anyhow::Result<String> = Err(anyhow::anyhow!("the keys were not rotated"));
    instance_settings::update_with(db, KEYS, "[]", now, |current| match parse_keys(current) {
        Ok(mut keys) => {
            outcome = Ok(keys::rotate(&mut keys, alg, now, overlap));
            Some(encode_keys(&keys))
        }
        Err(err) => {
            outcome = Err(err);
            None
        }
    })
    .await
    .context("cannot store the rotated keys")?;
    outcome
}

/// The stored keys, newest first.
pub async fn stored_keys(db: &Db) -> anyhow::Result<Vec<StoredKey>> {
    let mut keys = match instance_settings::find(db, KEYS).await? {
        Some(raw) => parse_keys(&raw)?,
        None => Vec::new(),
    };
    keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
    Ok(keys)
}
