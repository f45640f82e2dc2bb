//! The keys that sign and verify access tokens. One key signs (the newest of
//! the configured algorithm); every key not yet retired verifies, found by
//! the token's `kid`, so rotating the signing key signs nobody out. Tokens
//! from before keys had ids carry no `kid` and are verified with the legacy
//! HS256 secret (`jwt_secret`, or the generated one) until they expire.
//!
//! Generated keys are kept in the database (`instance_setting`
//! `auth.jwt_keys`, JSON), shared by every instance; each instance reloads
//! them every minute, so a rotation reaches the fleet without a restart.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};

pub use crate::config::JwtAlgorithm;

fn jwt_algorithm(alg: JwtAlgorithm) -> Algorithm {
    match alg {
        JwtAlgorithm::EdDsa => Algorithm::EdDSA,
        JwtAlgorithm::Hs256 => Algorithm::HS256,
    }
}

/// One key as stored.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    /// base64url: the Ed25519 seed, or the HS256 secret.
    pub secret: String,
    pub created_at: DateTime<Utc>,
    /// From then on the key verifies nothing (set when a newer key took
    /// over, the longest token lifetime later).
    pub retire_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("retire_at", &self.retire_at)
            .finish_non_exhaustive()
    }
}

impl StoredKey {
    /// A fresh random key.
    pub fn generate(alg: JwtAlgorithm, now: DateTime<Utc>) -> StoredKey {
        let secret: [u8; 32] = rand::random();
        // Random, not time-ordered: two keys made in one instant must differ.
        let kid = format!("{}-{:016x}", alg.as_str().to_lowercase(), rand::random::<u64>());
        StoredKey {
            kid,
            alg: alg.as_str().to_owned(),
            secret: URL_SAFE_NO_PAD.encode(secret),
            created_at: now,
            retire_at: None,
        }
    }

    /// An HS256 key with a given secret (the one generated before keys had
    /// ids, so instances not yet upgraded verify what upgraded ones sign).
    pub fn hs256_from(secret: &[u8], now: DateTime<Utc>) -> StoredKey {
        StoredKey { secret: URL_SAFE_NO_PAD.encode(secret), ..StoredKey::generate(JwtAlgorithm::Hs256, now) }
    }

    pub fn algorithm(&self) -> Option<JwtAlgorithm> {
        JwtAlgorithm::parse(&self.alg).ok()
    }

    pub fn live_at(&self, now: DateTime<Utc>) -> bool {
        self.retire_at.is_none_or(|at| at > now)
    }
}

/// The PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410): a fixed prefix.
const ED25519_PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// A usable key: what signs with it and what verifies it.
pub(super) struct LoadedKey {
    pub alg: JwtAlgorithm,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// The Ed25519 public key, base64url (the JWK's `x`).
    pub public_x: Option<String>,
    pub retire_at: Option<DateTime<Utc>>,
}

impl LoadedKey {
    pub(super) fn hs256(secret: &[u8]) -> LoadedKey {
        LoadedKey {
            alg: JwtAlgorithm::Hs256,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            public_x: None,
            retire_at: None,
        }
    }

    pub(super) fn from_stored(stored: &StoredKey) -> anyhow::Result<LoadedKey> {
        let alg = stored
            .algorithm()
            .ok_or_else(|| anyhow::anyhow!("key {} has an unknown algorithm", stored.kid))?;
        let secret = URL_SAFE_NO_PAD.decode(&stored.secret)?;
        match alg {
            JwtAlgorithm::Hs256 => Ok(LoadedKey { retire_at: stored.retire_at, ..LoadedKey::hs256(&secret) }),
            JwtAlgorithm::EdDsa => {
                let seed: [u8; 32] = secret
                    .try_into()
                    .map_err(|_| anyhow::anyhow!("key {} is not an Ed25519 seed", stored.kid))?;
                let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
                let mut pkcs8 = ED25519_PKCS8_PREFIX.to_vec();
                pkcs8.extend_from_slice(&seed);
                let x = URL_SAFE_NO_PAD.encode(public);
                Ok(LoadedKey {
                    alg,
                    encoding: EncodingKey::from_ed_der(&pkcs8),
                    decoding: DecodingKey::from_ed_components(&x)?,
                    public_x: Some(x),
                    retire_at: stored.retire_at,
                })
            }
        }
    }

    pub(super) fn algorithm(&self) -> Algorithm {
        jwt_algorithm(self.alg)
    }
}

/// The keys in use: by id, and which one signs.
pub(super) struct KeyRing {
    pub keys: HashMap<String, LoadedKey>,
    pub signing: String,
}

/// A ring being assembled: the keys that verify, and the one that signs.
pub(super) struct RingBuilder {
    keys: HashMap<String, LoadedKey>,
    signing: Option<(String, DateTime<Utc>)>,
}

impl RingBuilder {
    /// The live stored keys; the newest unretired key of `alg` signs. A key
    /// this version cannot read is skipped (with a warning), not fatal.
    pub(super) fn from_stored(stored: &[StoredKey], alg: JwtAlgorithm, now: DateTime<Utc>) -> RingBuilder {
        let mut ring = RingBuilder { keys: HashMap::new(), signing: None };
        for key in stored.iter().filter(|k| k.live_at(now)) {
            let loaded = match LoadedKey::from_stored(key) {
                Ok(loaded) => loaded,
                Err(err) => {
                    tracing::warn!(kid = %key.kid, error = %err, "skipping an unreadable signing key");
                    continue;
                }
            };
            ring.keys.insert(key.kid.clone(), loaded);
            let newer = ring.signing.as_ref().is_none_or(|(_, at)| *at < key.created_at);
            if key.algorithm() == Some(alg) && key.retire_at.is_none() && newer {
                ring.signing = Some((key.kid.clone(), key.created_at));
            }
        }
        ring
    }

    /// Adds a key; `signs` makes it the signing key.
    pub(super) fn add(&mut self, kid: &str, key: LoadedKey, signs: bool) {
        self.keys.insert(kid.to_owned(), key);
        if signs {
            self.signing = Some((kid.to_owned(), DateTime::<Utc>::MAX_UTC));
        }
    }

    pub(super) fn finish(self, alg: JwtAlgorithm) -> anyhow::Result<KeyRing> {
        let (signing, _) =
            self.signing.ok_or_else(|| anyhow::anyhow!("no {} signing key is stored", alg.as_str()))?;
        Ok(KeyRing { keys: self.keys, signing })
    }
}

/// One JSON Web Key of the public set.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub usage: String,
}

/// Adds a new signing key of `alg` to `stored` and schedules the retirement
/// of those it replaces, `overlap` after now (the longest token lifetime).
pub fn rotate(
    stored: &mut Vec<StoredKey>,
    alg: JwtAlgorithm,
    now: DateTime<Utc>,
    overlap: chrono::Duration,
) -> String {
    stored.retain(|key| key.live_at(now));
    for key in stored.iter_mut().filter(|k| k.retire_at.is_none()) {
        key.retire_at = Some(now + overlap);
    }
    let key = StoredKey::generate(alg, now);
    let kid = key.kid.clone();
    stored.push(key);
    kid
}
