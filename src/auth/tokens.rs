//! Access tokens: JWTs with `sub`, `sid` (the session, so a logout can
//! revoke it), `role`, `iat`, `exp` and `jti`, signed with EdDSA or HS256
//! and naming their key (`kid`). A token is verified only with the key it
//! names and that key's own algorithm (no `none`, no algorithm confusion),
//! and expiry is checked against our own clock with a small leeway.

use std::sync::RwLock;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::{Jwk, KeyRing, LoadedKey};

/// Clock skew tolerated between instances when checking `exp` and `iat`.
pub const LEEWAY_SECS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The account id.
    pub sub: String,
    /// The session (refresh-token family) this token belongs to.
    pub sid: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid")]
    Invalid,
    /// Signed with a key this instance has not loaded (perhaps rotated in
    /// elsewhere a moment ago).
    #[error("token signed with an unknown key")]
    UnknownKey,
}

/// Signs access tokens with the ring's signing key and verifies them with
/// the key their `kid` names. The ring is replaced when keys are reloaded.
pub struct JwtKeys {
    ring: RwLock<KeyRing>,
    /// Verifies tokens without a `kid` (issued before keys had ids).
    legacy: Option<(DecodingKey, super::Legacy)>,
    ed_validation: Validation,
    hs_validation: Validation,
    ttl: Duration,
    /// When an unknown `kid` last made this instance reload its keys.
    reloaded_for_unknown: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    // Expiry is checked against our clock below, with our leeway.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["exp", "sub", "iat"]);
    validation
}

impl JwtKeys {
    pub(super) fn new(ring: KeyRing, legacy: Option<super::Legacy>, ttl: Duration) -> JwtKeys {
        JwtKeys {
            ring: RwLock::new(ring),
            legacy: legacy.map(|legacy| (DecodingKey::from_secret(&legacy.secret), legacy)),
            ed_validation: validation(Algorithm::EdDSA),
            hs_validation: validation(Algorithm::HS256),
            ttl,
            reloaded_for_unknown: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// One HS256 key from `secret`, which also verifies tokens without a
    /// `kid` (tests and tools).
    pub fn hs256(secret: &[u8], ttl: Duration) -> JwtKeys {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(secret);
        let kid = format!("hs256-{}", digest.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>());
        let loaded = LoadedKey::hs256(secret);
        let ring = KeyRing { keys: std::collections::HashMap::from([(kid.clone(), loaded)]), signing: kid };
        let legacy = super::Legacy {
            secret: secret.to_vec(),
            issued_before: DateTime::<Utc>::MAX_UTC,
            verifies_until: DateTime::<Utc>::MAX_UTC,
        };
        JwtKeys::new(ring, Some(legacy), ttl)
    }

    /// Whether a token with an unknown `kid` may make this instance reload
    /// its keys now: at most once per 5 s, so forged ids cannot make every
    /// request read the database.
    pub fn may_reload_for_unknown_key(&self, now: DateTime<Utc>) -> bool {
        use std::sync::atomic::Ordering;
        let now = now.timestamp();
        let last = self.reloaded_for_unknown.load(Ordering::Relaxed);
        now - last >= 5
            && self
                .reloaded_for_unknown
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Puts freshly loaded keys in use.
    pub(super) fn replace(&self, ring: KeyRing) {
        *self.ring.write().unwrap_or_else(std::sync::PoisonError::into_inner) = ring;
    }

    fn ring(&self) -> std::sync::RwLockReadGuard<'_, KeyRing> {
        self.ring.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The id of the key that signs new tokens.
    pub fn signing_kid(&self) -> String {
        self.ring().signing.clone()
    }

    /// The public keys of the ring (EdDSA only: HS256 keys are secret).
    pub fn jwks(&self) -> Vec<Jwk> {
        let ring = self.ring();
        let mut keys: Vec<Jwk> = ring
            .keys
            .iter()
            .filter_map(|(kid, key)| {
                Some(Jwk {
                    kty: "OKP".to_owned(),
                    crv: "Ed25519".to_owned(),
                    x: key.public_x.clone()?,
                    kid: kid.clone(),
                    alg: "EdDSA".to_owned(),
                    usage: "sig".to_owned(),
                })
            })
            .collect();
        keys.sort_by(|a, b| a.kid.cmp(&b.kid));
        keys
    }

    /// Issues a token valid for the configured access-token lifetime.
    pub fn issue(
        &self,
        account_id: crate::domain::AccountId,
        session_id: &str,
        role: crate::domain::Role,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        self.issue_for(account_id, session_id, role, now, self.ttl)
    }

    /// Like `issue`, valid for `ttl` (RealWorld clients, which never refresh).
    pub fn issue_for(
        &self,
        account_id: crate::domain::AccountId,
        session_id: &str,
        role: crate::domain::Role,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        let claims = AccessClaims {
            sub: account_id.to_string(),
            sid: session_id.to_owned(),
            role: role.as_str().to_owned(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        let ring = self.ring();
        let key =
            ring.keys.get(&ring.signing).ok_or_else(|| anyhow::anyhow!("the signing key is not loaded"))?;
        let mut header = Header::new(key.algorithm());
        header.kid = Some(ring.signing.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|err| anyhow::anyhow!("cannot sign access token: {err}"))
    }

    /// Checks signature, algorithm and lifetime.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let data = match &header.kid {
            Some(kid) => {
                let ring = self.ring();
                let key = ring.keys.get(kid).ok_or(TokenError::UnknownKey)?;
                if key.retire_at.is_some_and(|at| at <= now) {
                    return Err(TokenError::Invalid);
                }
                let validation = match key.algorithm() {
                    Algorithm::EdDSA => &self.ed_validation,
                    _ => &self.hs_validation,
                };
                jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, validation)
            }
            None => {
                // Only tokens from before key ids, and only as long as one
                // of them can still be valid: the old secret cannot mint new ones.
                let (key, legacy) = self.legacy.as_ref().ok_or(TokenError::Invalid)?;
                if now >= legacy.verifies_until {
                    return Err(TokenError::Invalid);
                }
                let data = jsonwebtoken::decode::<AccessClaims>(token, key, &self.hs_validation)
                    .map_err(|_| TokenError::Invalid)?;
                if data.claims.iat >= legacy.issued_before.timestamp() {
                    return Err(TokenError::Invalid);
                }
                Ok(data)
            }
        }
        .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        let now = now.timestamp();
        if claims.exp + LEEWAY_SECS <= now {
            return Err(TokenError::Expired);
        }
        if claims.iat - LEEWAY_SECS > now {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use jsonwebtoken::EncodingKey;

    use super::*;
    use crate::auth::keys::{JwtAlgorithm, RingBuilder, StoredKey, rotate};
    use crate::domain::{AccountId, Role};

    fn keys() -> JwtKeys {
        JwtKeys::hs256(&[7u8; 32], Duration::minutes(15))
    }

    #[test]
    fn a_token_verifies_until_it_expires_plus_leeway() {
        let t0 = Utc::now();
        let token =
            keys().issue(crate::domain::AccountId::new(42), "s1", crate::domain::Role::Author, t0).unwrap();
        let claims = keys().verify(&token, t0).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str(), claims.role.as_str()), ("42", "s1", "author"));
        assert_eq!(claims.exp - claims.iat, 15 * 60);
        assert!(keys().verify(&token, t0 + Duration::minutes(15) + Duration::seconds(29)).is_ok());
        assert_eq!(keys().verify(&token, t0 + Duration::minutes(16)), Err(TokenError::Expired));
    }

    #[test]
    fn tampered_foreign_and_unsigned_tokens_are_rejected() {
        let now = Utc::now();
        let token =
            keys().issue(crate::domain::AccountId::new(42), "s1", crate::domain::Role::Author, now).unwrap();
        let [header, payload, signature]: [&str; 3] =
            token.split('.').collect::<Vec<_>>().try_into().unwrap();

        let other = JwtKeys::hs256(&[8u8; 32], Duration::minutes(15))
            .issue(crate::domain::AccountId::new(42), "s1", crate::domain::Role::Author, now)
            .unwrap();
        assert_eq!(keys().verify(&other, now), Err(TokenError::UnknownKey), "another secret is another key");

        let admin_payload = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap().replace("author", "admin"),
        );
        let tampered = format!("{header}.{admin_payload}.{signature}");
        assert_eq!(keys().verify(&tampered, now), Err(TokenError::Invalid), "payload changed");

        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        for unsigned in [format!("{none_header}.{payload}."), format!("{none_header}.{payload}")] {
            assert_eq!(keys().verify(&unsigned, now), Err(TokenError::Invalid), "alg none");
        }
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &keys().verify(&token, now).unwrap(),
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert_eq!(keys().verify(&hs512, now), Err(TokenError::Invalid), "algorithm not allowed");
        assert_eq!(keys().verify("garbage", now), Err(TokenError::Invalid));
    }

    #[test]
    fn a_token_issued_in_the_future_is_rejected() {
        let now = Utc::now();
        let token = keys()
            .issue(
                crate::domain::AccountId::new(1),
                "s",
                crate::domain::Role::Viewer,
                now + Duration::minutes(5),
            )
            .unwrap();
        assert_eq!(keys().verify(&token, now), Err(TokenError::Invalid));
    }

    fn ring_of(stored: &[StoredKey], now: DateTime<Utc>) -> KeyRing {
        RingBuilder::from_stored(stored, JwtAlgorithm::EdDsa, now).finish(JwtAlgorithm::EdDsa).unwrap()
    }

    fn kid_of(token: &str) -> String {
        jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
    }

    #[test]
    fn eddsa_tokens_name_their_key_and_verify_through_rotation_until_retirement() {
        let t0 = Utc::now();
        let mut stored = vec![StoredKey::generate(JwtAlgorithm::EdDsa, t0)];
        let keys = JwtKeys::new(ring_of(&stored, t0), None, Duration::minutes(15));
        let old = keys.issue(AccountId::new(7), "s", Role::Author, t0).unwrap();
        let header = jsonwebtoken::decode_header(&old).unwrap();
        assert_eq!((header.alg, header.kid.as_deref()), (Algorithm::EdDSA, Some(stored[0].kid.as_str())));
        assert_eq!(keys.jwks().len(), 1, "the public key is published");

        let new_kid = rotate(&mut stored, JwtAlgorithm::EdDsa, t0, Duration::days(1));
        keys.replace(ring_of(&stored, t0));
        let new = keys.issue(AccountId::new(7), "s", Role::Author, t0).unwrap();
        assert_eq!(kid_of(&new), new_kid, "the new key signs");
        assert!(keys.verify(&old, t0).is_ok(), "the replaced key still verifies");
        assert_eq!(keys.jwks().len(), 2);

        let later = t0 + Duration::days(1);
        keys.replace(ring_of(&stored, later));
        assert_eq!(keys.verify(&old, later), Err(TokenError::UnknownKey), "a retired key verifies nothing");
        assert_eq!(keys.jwks().len(), 1);
    }

    #[test]
    fn a_kid_cannot_be_used_with_another_algorithm_and_unknown_kids_are_refused() {
        let now = Utc::now();
        let stored = vec![StoredKey::generate(JwtAlgorithm::EdDsa, now)];
        let keys = JwtKeys::new(ring_of(&stored, now), None, Duration::minutes(15));
        let token = keys.issue(AccountId::new(7), "s", Role::Admin, now).unwrap();
        let claims = keys.verify(&token, now).unwrap();
        // The public key used as an HMAC secret: the classic confusion attack.
        let x = keys.jwks()[0].x.clone();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(stored[0].kid.clone());
        let forged = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(x.as_bytes())).unwrap();
        assert_eq!(keys.verify(&forged, now), Err(TokenError::Invalid));
        let mut unknown = Header::new(Algorithm::HS256);
        unknown.kid = Some("nobody".to_owned());
        let stray = jsonwebtoken::encode(&unknown, &claims, &EncodingKey::from_secret(b"guess")).unwrap();
        assert_eq!(keys.verify(&stray, now), Err(TokenError::UnknownKey));
        let no_kid = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"guess"),
        )
        .unwrap();
        assert_eq!(keys.verify(&no_kid, now), Err(TokenError::Invalid), "no legacy secret here");
    }

    #[test]
    fn tokens_from_before_key_ids_verify_with_the_legacy_secret() {
        let now = Utc::now();
        let stored = vec![StoredKey::generate(JwtAlgorithm::EdDsa, now)];
        let secret = b"the old shared secret, 32 bytes+";
        let since = now - Duration::minutes(5);
        let legacy = crate::auth::Legacy {
            secret: secret.to_vec(),
            issued_before: since,
            verifies_until: since + Duration::days(30),
        };
        let keys = JwtKeys::new(ring_of(&stored, now), Some(legacy), Duration::minutes(15));
        let sign = |iat: DateTime<Utc>| {
            let claims = AccessClaims {
                sub: "7".to_owned(),
                sid: "s".to_owned(),
                role: "author".to_owned(),
                iat: iat.timestamp(),
                exp: iat.timestamp() + 3600,
                jti: "j".to_owned(),
            };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))
                .unwrap()
        };
        let old = sign(since - Duration::minutes(10));
        assert!(keys.verify(&old, now).is_ok(), "issued before key ids");
        assert_eq!(
            keys.verify(&sign(now), now),
            Err(TokenError::Invalid),
            "the old secret cannot mint new tokens without a key id"
        );
        assert_eq!(keys.verify(&old, since + Duration::days(30)), Err(TokenError::Invalid), "retired");
    }
}
