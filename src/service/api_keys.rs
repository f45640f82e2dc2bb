//! API keys: created by their owner (shown once), listed, revoked.

use chrono::{DateTime, Utc};

use super::{Actor, Credential, Error};
use crate::auth::secrets;
use crate::domain::ApiKey;
use crate::domain::ApiKeyId;
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::domain::{Scope, ValidationError, Validator};
use crate::service::Context;
use crate::service::events::{self, by};
use crate::store::api_keys::{self, NewApiKey};
use serde_json::json;

#[derive(Debug, Default, Clone)]
pub struct NewKeyRequest {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key just created: the only time its secret is available.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: String,
}

/// Keys can be managed from a signed-in session, or with a key that has the
/// `admin` scope; a `read`/`write` key cannot mint more keys.
fn require_key_management(actor: &Actor) -> Result<(), Error> {
    match actor.credential {
        Credential::Session { .. } | Credential::System => Ok(()),
        Credential::ApiKey { .. } => actor.require_scope(Scope::Admin),
    }
}

#[tracing::instrument(level = "debug", name = "service.api_keys.create", skip_all)]
pub async fn create(ctx: &Context, actor: &Actor, request: &NewKeyRequest) -> Result<CreatedKey, Error> {
    require_key_management(actor)?;
    let now = ctx.clock.now();
    let mut v = Validator::new();
    let name = v.check(match request.name.as_deref().map(str::trim) {
        None | Some("") => Err(ValidationError::new("name", "required", "a name is required")),
        Some(name) if name.chars().count() > 100 => {
            Err(ValidationError::new("name", "too_long", "at most 100 characters"))
        }
        Some(name) => Ok(name.to_owned()),
    });
    let scopes = v.check(parse_scopes(request.scopes.as_deref()));
    let expires_at = v.check(match request.expires_at {
        Some(at) if at <= now => Err(ValidationError::new("expires_at", "in_past", "must be in the future")),
        other => Ok(other),
    });
    let (name, scopes, expires_at) = v.finish(|| Some((name?, scopes?, expires_at?)))?;

    let secret = secrets::random_api_key();
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let new = NewApiKey {
        account_id: actor.account_id,
        name: &name,
        prefix: &secrets::api_key_prefix(&secret),
        key_hash: &secrets::digest(&secret),
        scopes: &scopes.join(","),
        expires_at,
    };
    let mut tx = ctx.db.begin().await?;
    let key = api_keys::insert(&mut tx, &new, now).await?;
    let payload = json!({"api_key_id": key.api_key_id, "name": key.name, "scopes": scopes});
    let subject = Subject::ApiKey(key.api_key_id);
    events::record(ctx, &mut tx, NewEvent::new(EventType::ApiKeyCreated, by(actor), subject, payload))
        .await?;
    tx.commit().await?;
    Ok(CreatedKey { key, secret })
}

fn parse_scopes(raw: Option<&[String]>) -> Result<Vec<Scope>, ValidationError> {
    let raw = raw.unwrap_or_default();
    if raw.is_empty() {
        return Err(ValidationError::new("scopes", "required", "at least one of read, write, admin"));
    }
    let mut scopes = Vec::new();
    for (i, name) in raw.iter().enumerate() {
        let scope = Scope::parse(&format!("scopes[{i}]"), name)?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes.sort();
    Ok(scopes)
}

/// The caller's keys; with `all`, every account's keys (admins only).
#[tracing::instrument(level = "debug", name = "service.api_keys.list", skip_all)]
pub async fn list(ctx: &Context, actor: &Actor, all: bool) -> Result<Vec<ApiKey>, Error> {
    require_key_management(actor)?;
    if all {
        actor.require_admin()?;
        return Ok(api_keys::list(&ctx.db, None).await?);
    }
    Ok(api_keys::list(&ctx.db, Some(actor.account_id)).await?)
}

/// Revokes a key of the caller's, or any key for an admin. Someone else's
/// key looks like a missing one, so key ids reveal nothing.
#[tracing::instrument(level = "debug", name = "service.api_keys.revoke", skip_all)]
pub async fn revoke(ctx: &Context, actor: &Actor, api_key_id: ApiKeyId) -> Result<(), Error> {
    require_key_management(actor)?;
    let mut tx = ctx.db.begin().await?;
    let key = api_keys::find(&mut tx, api_key_id).await?.ok_or(Error::NotFound { what: "API key" })?;
    if key.account_id != actor.account_id && actor.require_admin().is_err() {
        return Err(Error::NotFound { what: "API key" });
    }
    api_keys::revoke(&mut tx, api_key_id, ctx.clock.now()).await?;
    let payload = json!({"api_key_id": api_key_id, "owner_id": key.account_id});
    let subject = Subject::ApiKey(api_key_id);
    events::record(ctx, &mut tx, NewEvent::new(EventType::ApiKeyRevoked, by(actor), subject, payload))
        .await?;
    tx.commit().await?;
    Ok(())
}
