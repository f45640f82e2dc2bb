//! Short-lived access tokens: HS256 JWTs with `sub`, `sid` (the session, so a
//! logout can revoke it), `role`, `iat`, `exp` and `jti`. Only HS256 is
//! accepted (no `none`, no algorithm confusion), and expiry is checked against
//! our own clock with a small leeway.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

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
}

#[derive(Debug)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl JwtKeys {
    pub fn hs256(secret: &[u8], ttl: Duration) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the injected clock in `verify`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs a token for `account_id` in `session_id`, valid from `now` for the TTL.
    pub fn issue(
        &self,
        account_id: crate::domain::AccountId,
        session_id: &str,
        role: crate::domain::Role,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = AccessClaims {
            sub: account_id.to_string(),
            sid: session_id.to_owned(),
            role: role.as_str().to_owned(),
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|err| anyhow::anyhow!("cannot sign access token: {err}"))
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
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

    use super::*;

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
        assert_eq!(keys().verify(&other, now), Err(TokenError::Invalid), "signed with another secret");

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
}
