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
use keys::{KeyRing, LoadedKey};

/// Name under which the HS256 secret generated before keys had ids is kept:
/// it still verifies tokens without a `kid`.
const GENERATED_SECRET: &str = "auth.jwt_hs256_secret";
/// Name under which the signing keys (JSON) are shared through the database.
const KEYS: &str = "auth.jwt_keys";

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
        let legacy = match &settings.jwt_secret {
            Some(secret) => Some(secret.expose_secret().as_bytes().to_vec()),
            None => instance_settings::find(db, GENERATED_SECRET).await?.map(String::into_bytes),
        };
        let ring = load_ring(settings, db, clock.now()).await?;
        let ttl =
            chrono::Duration::from_std(settings.access_token_ttl).context("access token TTL out of range")?;
        Ok(Auth {
            jwt: JwtKeys::new(ring, legacy.as_deref(), ttl),
            hasher: PasswordHasher::new(settings.hash)?,
        })
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

fn parse_keys(raw: &str) -> Vec<StoredKey> {
    serde_json::from_str(raw).unwrap_or_else(|err| {
        tracing::error!(error = %err, "the stored signing keys are unreadable; generating new ones");
        Vec::new()
    })
}

fn encode_keys(keys: &[StoredKey]) -> Option<String> {
    serde_json::to_string(keys).ok()
}

/// The stored keys, with a live signing key of the configured algorithm
/// added (and the others retiring) if there is none: on first start, or
/// after the algorithm was changed.
async fn load_ring(settings: &AuthSettings, db: &Db, now: DateTime<Utc>) -> anyhow::Result<KeyRing> {
    let alg = settings.jwt_algorithm;
    let overlap = longest_token_life(settings);
    let initial = encode_keys(&[StoredKey::generate(alg, now)]).unwrap_or_default();
    let stored = instance_settings::update_with(db, KEYS, &initial, now, |current| {
        let mut keys = parse_keys(current);
        let has_signer = keys.iter().any(|k| k.algorithm() == Some(alg) && k.retire_at.is_none());
        if has_signer && keys.iter().all(|k| k.live_at(now)) {
            return None;
        }
        if !has_signer {
            keys::rotate(&mut keys, alg, now, overlap);
        }
        keys.retain(|k| k.live_at(now));
        encode_keys(&keys)
    })
    .await
    .context("cannot load or store the signing keys")?;
    let stored = parse_keys(&stored);
    if signs_with_configured_secret(settings) {
        let secret =
            settings.jwt_secret.as_ref().map(|s| s.expose_secret().as_bytes().to_vec()).unwrap_or_default();
        return KeyRing::with_signer(&stored, now, "hs256-configured", LoadedKey::hs256(&secret));
    }
    KeyRing::build(&stored, alg, now)
}

/// Adds a new signing key and retires the previous ones after the longest
/// token lifetime; returns the new key's id.
pub async fn rotate_keys(settings: &AuthSettings, db: &Db, now: DateTime<Utc>) -> anyhow::Result<String> {
    let alg = settings.jwt_algorithm;
    let overlap = longest_token_life(settings);
    let initial = encode_keys(&[]).unwrap_or_default();
    let mut new_kid = String::new();
    instance_settings::update_with(db, KEYS, &initial, now, |current| {
        let mut keys = parse_keys(current);
        new_kid = keys::rotate(&mut keys, alg, now, overlap);
        encode_keys(&keys)
    })
    .await
    .context("cannot store the rotated keys")?;
    Ok(new_kid)
}

/// The stored keys, newest first.
pub async fn stored_keys(db: &Db) -> anyhow::Result<Vec<StoredKey>> {
    let mut keys = instance_settings::find(db, KEYS).await?.map(|raw| parse_keys(&raw)).unwrap_or_default();
    keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
    Ok(keys)
}
