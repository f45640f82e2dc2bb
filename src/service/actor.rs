//! Who is acting: authentication of presented credentials into an `Actor`,
//! and the authorisation checks every use case calls.

use chrono::Duration;

use super::{AuthFailure, Error};
use crate::auth::{AccessClaims, secrets};
use crate::domain::{AccountId, ApiKeyId};
use crate::domain::{Role, Scope};
use crate::service::Context;
use crate::store::{api_keys, sessions};

/// How often at most `last_used_at` of an API key is written: often enough
/// to be useful, rarely enough not to turn every read into a write.
const API_KEY_TOUCH_INTERVAL: Duration = Duration::seconds(60);

/// Credentials as a client presented them.
#[derive(Debug, Clone)]
pub enum Presented {
    /// `Authorization: Bearer …` (or RealWorld's `Token …`): a JWT or an API key.
    Bearer(String),
    /// `X-API-Key: hk_…`.
    ApiKey(String),
}

impl Presented {
    /// The token or key itself, whichever header carried it.
    pub fn secret(&self) -> &str {
        match self {
            Presented::Bearer(secret) | Presented::ApiKey(secret) => secret,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A signed-in session (access token).
    Session { session_id: String },
    /// An API key, limited to its scopes.
    ApiKey { api_key_id: ApiKeyId, scopes: Vec<Scope> },
    /// The operator at the command line: an admin with every scope.
    System,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account_id: AccountId,
    pub role: Role,
    pub credential: Credential,
}

impl Actor {
    /// The command-line operator, acting as an admin.
    pub fn system() -> Actor {
        Actor { account_id: AccountId::new(0), role: Role::Admin, credential: Credential::System }
    }

    /// Whether the credential carries `scope` (`admin` ⊇ `write` ⊇ `read`).
    pub fn has_scope(&self, scope: Scope) -> bool {
        match &self.credential {
            Credential::Session { .. } | Credential::System => true,
            Credential::ApiKey { scopes, .. } => scopes.iter().any(|granted| *granted >= scope),
        }
    }

    pub fn require_scope(&self, scope: Scope) -> Result<(), Error> {
        if self.has_scope(scope) {
            return Ok(());
        }
        Err(Error::Forbidden {
            reason: match scope {
                Scope::Read => "this API key lacks the `read` scope",
                Scope::Write => "this API key lacks the `write` scope",
                Scope::Admin => "this API key lacks the `admin` scope",
            },
        })
    }

    /// Managing users, roles and other people's keys: the admin role and,
    /// for API keys, the admin scope.
    pub fn require_admin(&self) -> Result<(), Error> {
        if !self.role.can_manage_users() {
            return Err(Error::Forbidden { reason: "only admins may do this" });
        }
        self.require_scope(Scope::Admin)
    }

    pub fn session_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { session_id } => Some(session_id),
            _ => None,
        }
    }
}

/// Turns presented credentials into an actor, checking signature, expiry,
/// revocation and that the account is still enabled.
#[tracing::instrument(level = "debug", name = "service.actor.authenticate", skip_all)]
pub async fn authenticate(ctx: &Context, presented: &Presented) -> Result<Actor, Error> {
    let invalid = || Error::Unauthorized(AuthFailure::InvalidToken);
    match presented {
        Presented::ApiKey(key) => authenticate_api_key(ctx, key).await,
        Presented::Bearer(token) if token.starts_with(secrets::API_KEY_PREFIX) => {
            authenticate_api_key(ctx, token).await
        }
        Presented::Bearer(token) => {
            let now = ctx.clock.now();
            let claims = match ctx.auth.jwt.verify(token, now) {
                // Rotated in by another instance or the CLI since this one
                // last loaded its keys.
                Err(crate::auth::TokenError::UnknownKey) if ctx.auth.jwt.may_reload_for_unknown_key(now) => {
                    if let Err(err) = super::keys::reload(ctx).await {
                        tracing::warn!(error = %err, "could not reload the signing keys");
                    }
                    ctx.auth.jwt.verify(token, now)
                }
                verified => verified,
            }
            .map_err(|_| invalid())?;
            authenticate_verified(ctx, &claims).await
        }
    }
}

/// The caller of an access token whose signature and expiry were already
/// checked (by the rate limiter, earlier in the same request): only the
/// session behind it is looked up.
pub async fn authenticate_verified(ctx: &Context, claims: &AccessClaims) -> Result<Actor, Error> {
    let invalid = || Error::Unauthorized(AuthFailure::InvalidToken);
    let account_id = AccountId::new(claims.sub.parse().map_err(|_| invalid())?);
    let owner = sessions::find_owner(&ctx.db, &claims.sid, account_id).await?.ok_or_else(invalid)?;
    if owner.disabled || owner.revoked_at.is_some() {
        return Err(invalid());
    }
    Ok(Actor {
        account_id,
        role: Role::parse("role", &owner.role).unwrap_or(Role::Viewer),
        credential: Credential::Session { session_id: claims.sid.clone() },
    })
}

async fn authenticate_api_key(ctx: &Context, key: &str) -> Result<Actor, Error> {
    let invalid = || Error::Unauthorized(AuthFailure::InvalidToken);
    if !key.starts_with(secrets::API_KEY_PREFIX) {
        return Err(invalid());
    }
    let now = ctx.clock.now();
    let found = api_keys::find_by_hash(&ctx.db, &secrets::digest(key)).await?.ok_or_else(invalid)?;
    let expired = found.expires_at.is_some_and(|at| at <= now);
    if found.disabled || found.revoked_at.is_some() || expired {
        return Err(invalid());
    }
    if found.last_used_at.is_none_or(|at| now - at >= API_KEY_TOUCH_INTERVAL) {
        // Bookkeeping only: a failure here must not fail the request.
        if let Err(err) = api_keys::touch(&ctx.db, found.api_key_id, now).await {
            tracing::warn!(error = %err, api_key_id = %found.api_key_id, "could not record API key use");
        }
    }
    Ok(Actor {
        account_id: found.account_id,
        role: Role::parse("role", &found.role).unwrap_or(Role::Viewer),
        credential: Credential::ApiKey { api_key_id: found.api_key_id, scopes: parse_scopes(&found.scopes) },
    })
}

/// Scopes as stored (comma-separated); unknown names are ignored.
pub fn parse_scopes(stored: &str) -> Vec<Scope> {
    stored.split(',').filter_map(|s| Scope::parse("scopes", s.trim()).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_with(scopes: &[Scope]) -> Actor {
        Actor {
            account_id: AccountId::new(1),
            role: Role::Admin,
            credential: Credential::ApiKey { api_key_id: ApiKeyId::new(1), scopes: scopes.to_vec() },
        }
    }

    #[test]
    fn api_key_scopes_are_hierarchical_and_sessions_have_them_all() {
        let read = key_with(&[Scope::Read]);
        assert!(
            read.has_scope(Scope::Read) && !read.has_scope(Scope::Write) && !read.has_scope(Scope::Admin)
        );
        let write = key_with(&[Scope::Write]);
        assert!(
            write.has_scope(Scope::Read) && write.has_scope(Scope::Write) && !write.has_scope(Scope::Admin)
        );
        assert!(key_with(&[Scope::Admin]).has_scope(Scope::Write));
        let session = Actor {
            account_id: AccountId::new(1),
            role: Role::Viewer,
            credential: Credential::Session { session_id: "s".into() },
        };
        assert!(session.has_scope(Scope::Admin));
        assert!(session.require_admin().is_err(), "a viewer is no admin whatever the credential");
        assert!(key_with(&[Scope::Write]).require_admin().is_err(), "an admin's key needs the admin scope");
        assert!(key_with(&[Scope::Admin]).require_admin().is_ok());
    }
}
