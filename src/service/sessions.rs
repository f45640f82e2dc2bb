//! Signing in and out: login with back-off, refresh-token rotation with reuse
//! detection, logout of one session or all of them.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use super::{Actor, AuthFailure, Error};
use crate::auth::secrets;
use crate::domain::Account;
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::service::Context;
use crate::service::events;
use crate::store::accounts;
use crate::store::{Tx, login_failures, sessions};
use serde_json::json;

/// The longest a client is made to wait after repeated failed logins.
const MAX_LOCKOUT_SECS: i64 = 15 * 60;
/// A client IP may fail this many times as often as one account.
const IP_ALLOWANCE_FACTOR: i64 = 4;

/// How long the access token of a new session lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// `access_token_ttl`: the client refreshes (the v1 API).
    Refreshed,
    /// `realworld_token_ttl`: RealWorld clients keep one token and never
    /// refresh. The token is still checked against its session on every
    /// request, so logout, a password change or disabling the user ends it
    /// at once whatever its lifetime.
    LongLived,
}

/// A fresh pair of tokens.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub session_id: String,
}

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Account,
    pub tokens: Tokens,
}

/// Opens a session for `account` inside `tx` and returns its first tokens.
pub(super) async fn open_session(
    ctx: &Context,
    tx: &mut Tx,
    account: &Account,
    now: DateTime<Utc>,
    lifetime: Lifetime,
) -> Result<Tokens, Error> {
    let session_id = uuid::Uuid::now_v7().to_string();
    sessions::create(tx, &session_id, account.account_id, now).await?;
    issue_tokens(ctx, tx, account, session_id, now, lifetime).await
}

async fn issue_tokens(
    ctx: &Context,
    tx: &mut Tx,
    account: &Account,
    session_id: String,
    now: DateTime<Utc>,
    lifetime: Lifetime,
) -> Result<Tokens, Error> {
    let refresh_token = secrets::random_token();
    let refresh_ttl = Duration::from_std(ctx.settings.auth.refresh_token_ttl).unwrap_or(Duration::days(30));
    sessions::insert_refresh_token(tx, &secrets::digest(&refresh_token), &session_id, now, now + refresh_ttl)
        .await?;
    let ttl = match lifetime {
        Lifetime::Refreshed => ctx.auth.jwt.ttl(),
        Lifetime::LongLived => {
            Duration::from_std(ctx.settings.auth.realworld_token_ttl).unwrap_or(Duration::days(30))
        }
    };
    let access_token = ctx
        .auth
        .jwt
        .issue_for(account.account_id, &session_id, account.role, now, ttl)
        .map_err(Error::Internal)?;
    Ok(Tokens { access_token, refresh_token, expires_in: ttl.num_seconds(), session_id })
}

fn throttle_keys(login: &str, ip: Option<IpAddr>) -> Vec<(String, i64)> {
    let mut keys = vec![(format!("account:{}", login.trim().to_lowercase()), 1)];
    if let Some(ip) = ip {
        keys.push((format!("ip:{ip}"), IP_ALLOWANCE_FACTOR));
    }
    keys
}

/// Signs in by e-mail or username. Unknown logins and wrong passwords take
/// the same time and give the same answer; repeated failures back off
/// exponentially per login and per client IP.
#[tracing::instrument(level = "debug", name = "service.sessions.login", skip_all)]
pub async fn login(
    ctx: &Context,
    login: &str,
    password: &str,
    ip: Option<IpAddr>,
    lifetime: Lifetime,
) -> Result<SignedIn, Error> {
    let now = ctx.clock.now();
    let keys = throttle_keys(login, ip);
    let key_refs: Vec<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
    if let Some(until) = login_failures::locked_until(&ctx.db, &key_refs, now).await? {
        return Err(too_many(until, now));
    }

    let account = accounts::find_by_login(&ctx.db, login).await?;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let valid = ctx.auth.hasher.verify(password, stored).await.map_err(Error::Internal)?;

    let mut tx = ctx.db.begin().await?;
    let Some(account) = account.filter(|_| valid) else {
        let free = i64::from(ctx.settings.auth.login_free_failures);
        for (key, factor) in &keys {
            let failures = login_failures::record(&mut tx, key, now).await?;
            let over = failures - free * factor;
            if over > 0 {
                let wait =
                    1_i64.checked_shl(u32::try_from(over - 1).unwrap_or(31)).unwrap_or(MAX_LOCKOUT_SECS);
                login_failures::lock_until(&mut tx, key, now + Duration::seconds(wait.min(MAX_LOCKOUT_SECS)))
                    .await?;
            }
        }
        tx.commit().await?;
        return Err(Error::Unauthorized(AuthFailure::InvalidCredentials));
    };
    if account.disabled {
        return Err(Error::Forbidden { reason: "this account is disabled" });
    }
    login_failures::clear(&mut tx, &keys[0].0).await?;
    let tokens = open_session(ctx, &mut tx, &account, now, lifetime).await?;
    tx.commit().await?;
    Ok(SignedIn { account, tokens })
}

fn too_many(until: DateTime<Utc>, now: DateTime<Utc>) -> Error {
    let secs = (until - now).num_seconds().max(1);
    Error::TooManyRequests { retry_after_secs: u64::try_from(secs).unwrap_or(1) }
}

/// Exchanges a refresh token for a new pair. Each refresh token works once:
/// presenting a used one revokes its whole session, since either it was
/// stolen or the legitimate client is being impersonated.
#[tracing::instrument(level = "debug", name = "service.sessions.refresh", skip_all)]
pub async fn refresh(ctx: &Context, refresh_token: &str) -> Result<SignedIn, Error> {
    let invalid = || Error::Unauthorized(AuthFailure::InvalidToken);
    let now = ctx.clock.now();
    let hash = secrets::digest(refresh_token.trim());
    let mut tx = ctx.db.begin().await?;
    let token = sessions::find_refresh_token(&mut tx, &hash).await?.ok_or_else(invalid)?;
    if token.session_revoked_at.is_some() {
        return Err(invalid());
    }
    let first_use = token.used_at.is_none() && sessions::mark_refresh_token_used(&mut tx, &hash, now).await?;
    if !first_use {
        sessions::revoke(&mut tx, &token.session_id, "refresh token reuse", now).await?;
        let payload = json!({"user_id": token.account_id, "session_id": token.session_id});
        let subject = Subject::Session(token.session_id.clone());
        let event = NewEvent::new(EventType::SessionReuseDetected, Some(token.account_id), subject, payload);
        events::record(ctx, &mut tx, event).await?;
        tx.commit().await?;
        metrics::counter!("herald_refresh_token_reuse_total").increment(1);
        tracing::warn!(
            target: "security",
            event = "refresh_token_reuse",
            account_id = %token.account_id,
            session_id = %token.session_id,
            "a used refresh token was presented again; the session is revoked"
        );
        return Err(invalid());
    }
    if token.expires_at <= now {
        return Err(invalid());
    }
    let account = accounts::lock(&mut tx, token.account_id).await?;
    if account.disabled {
        return Err(invalid());
    }
    let tokens = issue_tokens(ctx, &mut tx, &account, token.session_id, now, Lifetime::Refreshed).await?;
    tx.commit().await?;
    Ok(SignedIn { account, tokens })
}

/// Ends the caller's current session: its access and refresh tokens stop working.
#[tracing::instrument(level = "debug", name = "service.sessions.logout", skip_all)]
pub async fn logout(ctx: &Context, actor: &Actor) -> Result<(), Error> {
    let session_id = actor.session_id().ok_or(Error::Forbidden {
        reason: "API keys have no session to log out of; revoke the key instead",
    })?;
    let mut tx = ctx.db.begin().await?;
    sessions::revoke(&mut tx, session_id, "logout", ctx.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the caller's account, on every device.
#[tracing::instrument(level = "debug", name = "service.sessions.logout_everywhere", skip_all)]
pub async fn logout_everywhere(ctx: &Context, actor: &Actor) -> Result<u64, Error> {
    let mut tx = ctx.db.begin().await?;
    let revoked =
        sessions::revoke_all(&mut tx, actor.account_id, None, "logout everywhere", ctx.clock.now()).await?;
    tx.commit().await?;
    Ok(revoked)
}
