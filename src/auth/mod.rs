//! Credentials: password hashing, access tokens (JWT), refresh tokens and API
//! keys. Pure mechanisms; who may do what is decided in `service`.

pub mod password;
pub mod secrets;
pub mod tokens;

pub use password::PasswordHasher;
pub use tokens::{AccessClaims, JwtKeys, TokenError};

use std::sync::Arc;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;

use crate::clock::Clock;
use crate::config::AuthSettings;
use crate::store::{Db, instance_settings};

/// Name under which a generated signing secret is shared through the database.
const GENERATED_SECRET: &str = "auth.jwt_hs256_secret";

/// The credential machinery an instance needs at run time.
#[derive(Debug)]
pub struct Auth {
    pub jwt: JwtKeys,
    pub hasher: PasswordHasher,
}

impl Auth {
    /// Uses the configured JWT secret, or the one stored in the database,
    /// generating and storing it on first start so that every instance on
    /// this database (and every restart) accepts the same tokens.
    pub async fn init(settings: &AuthSettings, db: &Db, clock: &Arc<dyn Clock>) -> anyhow::Result<Auth> {
        let secret = match &settings.jwt_secret {
            Some(secret) => secret.expose_secret().as_bytes().to_vec(),
            None => {
                let candidate = secrets::random_token();
                let stored = instance_settings::get_or_insert(db, GENERATED_SECRET, &candidate, clock.now())
                    .await
                    .context("cannot load or store the generated JWT secret")?;
                if stored == candidate {
                    tracing::warn!(
                        "no jwt_secret configured: generated one and stored it in the database; \
                         set HERALD_JWT_SECRET to manage it yourself"
                    );
                }
                stored.into_bytes()
            }
        };
        let ttl =
            chrono::Duration::from_std(settings.access_token_ttl).context("access token TTL out of range")?;
        Ok(Auth { jwt: JwtKeys::hs256(&secret, ttl), hasher: PasswordHasher::new(settings.hash)? })
    }
}
