//! The access-token signing keys as admins see them: the list, rotation,
//! the public set other services verify with, and the periodic reload that
//! brings every instance a rotation made elsewhere.

use chrono::{DateTime, Utc};

use super::{Actor, Error};
use crate::auth::{self, Jwk};
use crate::service::Context;

/// One signing key, without its secret.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub created_at: DateTime<Utc>,
    /// When it stops verifying, if it was replaced.
    pub retire_at: Option<DateTime<Utc>>,
    /// Whether new tokens are signed with it.
    pub signing: bool,
}

/// The stored keys, newest first, and the configured secret if it signs.
pub async fn list(ctx: &Context, actor: &Actor) -> Result<Vec<KeyInfo>, Error> {
    actor.require_admin()?;
    let signing = ctx.auth.jwt.signing_kid();
    let now = ctx.clock.now();
    let mut keys: Vec<KeyInfo> = auth::stored_keys(&ctx.db)
        .await
        .map_err(Error::Internal)?
        .into_iter()
        .filter(|k| k.live_at(now))
        .map(|k| KeyInfo {
            signing: k.kid == signing,
            kid: k.kid,
            alg: k.alg,
            created_at: k.created_at,
            retire_at: k.retire_at,
        })
        .collect();
    if auth::signs_with_configured_secret(&ctx.settings.auth) {
        keys.insert(
            0,
            KeyInfo {
                kid: signing,
                alg: "HS256".to_owned(),
                created_at: now,
                retire_at: None,
                signing: true,
            },
        );
    }
    Ok(keys)
}

/// Starts signing with a new key; the previous ones keep verifying for the
/// longest token lifetime, so nobody is signed out.
pub async fn rotate(ctx: &Context, actor: &Actor) -> Result<String, Error> {
    actor.require_admin()?;
    if auth::signs_with_configured_secret(&ctx.settings.auth) {
        return Err(Error::Conflict {
            detail: "tokens are signed with the configured jwt_secret: change it in the configuration, \
                     or set jwt_algorithm and remove jwt_secret to use rotating keys"
                .to_owned(),
        });
    }
    let now = ctx.clock.now();
    let kid = auth::rotate_keys(&ctx.settings.auth, &ctx.db, now).await.map_err(Error::Internal)?;
    reload(ctx).await?;
    tracing::info!(kid, "rotated the access-token signing key");
    Ok(kid)
}

/// Puts the stored keys in use on this instance.
pub async fn reload(ctx: &Context) -> Result<(), Error> {
    ctx.auth.reload_keys(&ctx.settings.auth, &ctx.db, ctx.clock.now()).await.map_err(Error::Internal)
}

/// The public keys (EdDSA) that verify Herald's access tokens.
pub fn public_keys(ctx: &Context) -> Vec<Jwk> {
    ctx.auth.jwt.jwks()
}
