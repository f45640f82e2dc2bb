//! Registering, reading and changing accounts, by their owners and by admins.

use super::sessions::{self, Lifetime, SignedIn};
use super::{Actor, Error};
use crate::domain::Account;
use crate::domain::change::Change;
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::domain::{
    AccountId, AvatarUrl, Bio, DisplayName, Email, Password, Role, Scope, Username, ValidationError,
    Validator,
};
use crate::service::Context;
use crate::service::events::{self, by};
use crate::store::accounts::{self, NewAccount};
use crate::store::{Tx, sessions as session_store};
use serde_json::json;

/// Registration input as received; every field is checked and all problems
/// are reported together.
#[derive(Debug, Default, Clone)]
pub struct Registration {
    pub email: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub display_name: Option<String>,
}

struct ValidRegistration {
    email: Email,
    username: Username,
    password: Password,
    display_name: Option<DisplayName>,
}

fn required(field: &str, value: Option<&String>) -> Result<String, ValidationError> {
    value.cloned().ok_or_else(|| ValidationError::new(field, "required", "this field is required"))
}

fn parse_registration(input: &Registration) -> Result<ValidRegistration, Error> {
    let mut v = Validator::new();
    let email = v.check(required("email", input.email.as_ref()).and_then(|e| Email::parse("email", &e)));
    let username =
        v.check(required("username", input.username.as_ref()).and_then(|u| Username::parse("username", &u)));
    let password =
        v.check(required("password", input.password.as_ref()).and_then(|p| Password::parse("password", &p)));
    let display_name = match input.display_name.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(name) => v.check(DisplayName::parse("display_name", name)).map(Some),
        None => Some(None),
    };
    Ok(v.finish(|| {
        Some(ValidRegistration {
            email: email?,
            username: username?,
            password: password?,
            display_name: display_name?,
        })
    })?)
}

/// Self-service sign-up: creates an account with the configured default role
/// and signs it in.
#[tracing::instrument(level = "debug", name = "service.accounts.register", skip_all)]
pub async fn register(ctx: &Context, input: &Registration, lifetime: Lifetime) -> Result<SignedIn, Error> {
    if !ctx.settings.auth.open_registration {
        return Err(Error::Forbidden { reason: "registration is closed; ask an admin for an account" });
    }
    let valid = parse_registration(input)?;
    let role = ctx.settings.auth.default_role;
    // Hash before opening the transaction: argon2 is slow by design and the
    // SQLite writer must not wait on it.
    let hash = ctx.auth.hasher.hash(&valid.password).await.map_err(Error::Internal)?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let account = insert_account(&mut tx, &valid, &hash, role, now).await?;
    let tokens = sessions::open_session(ctx, &mut tx, &account, now, lifetime).await?;
    let payload = json!({"user_id": account.account_id, "role": account.role.as_str()});
    let subject = Subject::User(account.account_id);
    events::record(
        ctx,
        &mut tx,
        NewEvent::new(EventType::UserRegistered, Some(account.account_id), subject, payload),
    )
    .await?;
    tx.commit().await?;
    let name = account.username.clone();
    ctx.changes.publish(&[Change::Profile { old_username: name.clone(), new_username: name }]).await;
    tracing::info!(account_id = %account.account_id, "account registered");
    Ok(SignedIn { account, tokens })
}

/// An account created by an admin (or the CLI), with any role, regardless of
/// whether open registration is on.
#[tracing::instrument(level = "debug", name = "service.accounts.create_account", skip_all)]
pub async fn create_account(
    ctx: &Context,
    actor: &Actor,
    input: &Registration,
    role: Role,
) -> Result<Account, Error> {
    actor.require_admin()?;
    let valid = parse_registration(input)?;
    let hash = ctx.auth.hasher.hash(&valid.password).await.map_err(Error::Internal)?;
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let account = insert_account(&mut tx, &valid, &hash, role, now).await?;
    let payload = json!({"user_id": account.account_id, "role": account.role.as_str()});
    let subject = Subject::User(account.account_id);
    events::record(ctx, &mut tx, NewEvent::new(EventType::UserRegistered, by(actor), subject, payload))
        .await?;
    tx.commit().await?;
    let name = account.username.clone();
    ctx.changes.publish(&[Change::Profile { old_username: name.clone(), new_username: name }]).await;
    Ok(account)
}

async fn insert_account(
    tx: &mut Tx,
    valid: &ValidRegistration,
    hash: &str,
    role: Role,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Account, Error> {
    check_unique(tx, Some(&valid.email), Some(&valid.username), None).await?;
    let new = NewAccount {
        email: valid.email.as_ref(),
        username: valid.username.as_ref(),
        password_hash: hash,
        role,
        display_name: valid.display_name.as_ref().map(AsRef::as_ref),
    };
    Ok(accounts::insert(tx, &new, now).await?)
}

/// 409 naming the field when an e-mail or username is already in use.
async fn check_unique(
    tx: &mut Tx,
    email: Option<&Email>,
    username: Option<&Username>,
    except: Option<AccountId>,
) -> Result<(), Error> {
    if let Some(email) = email
        && accounts::email_taken(tx, email.as_ref(), except).await?
    {
        return Err(Error::Conflict {
            detail: "email: this e-mail address is already registered".to_owned(),
        });
    }
    if let Some(username) = username
        && accounts::username_taken(tx, username.as_ref(), except).await?
    {
        return Err(Error::Conflict { detail: "username: this username is taken".to_owned() });
    }
    Ok(())
}

/// The caller's own account.
#[tracing::instrument(level = "debug", name = "service.accounts.me", skip_all)]
pub async fn me(ctx: &Context, actor: &Actor) -> Result<Account, Error> {
    actor.require_scope(Scope::Read)?;
    accounts::find_by_id(&ctx.db, actor.account_id).await?.ok_or(Error::NotFound { what: "account" })
}

/// Changes to one's own account. An empty string clears an optional field.
#[derive(Debug, Default, Clone)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub new_password: Option<String>,
    /// Required when `email` or `new_password` is given, unless
    /// `recent_sign_in_suffices` and the session signed in recently.
    pub current_password: Option<String>,
    /// RealWorld clients cannot send the current password (their settings
    /// page has no field for it): a sign-in within `recent_auth` stands in.
    pub recent_sign_in_suffices: bool,
}

fn optional<T>(
    v: &mut Validator,
    raw: Option<&String>,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Option<Option<Option<String>>>
where
    T: AsRef<str>,
{
    match raw.map(|s| s.trim()) {
        None => Some(None),
        Some("") => Some(Some(None)),
        Some(value) => v.check(parse(value)).map(|parsed| Some(Some(parsed.as_ref().to_owned()))),
    }
}

/// Whether the actor's session signed in within `recent_auth`: the proof of
/// identity a RealWorld client can give for a password or e-mail change.
async fn require_recent_sign_in(ctx: &Context, actor: &Actor, field: &str) -> Result<(), Error> {
    let window = chrono::Duration::from_std(ctx.settings.auth.recent_auth).unwrap_or_default();
    let signed_in = match actor.session_id() {
        Some(session_id) => session_store::signed_in_at(&ctx.db, session_id).await?,
        None => None,
    };
    if signed_in.is_some_and(|at| ctx.clock.now() - at <= window) {
        return Ok(());
    }
    Err(Error::invalid(
        field,
        "reauthentication_required",
        "sign in again (or send current_password) to change your password or e-mail",
    ))
}

/// Applies profile changes. Changing the e-mail or password needs the
/// current password; a new password ends every other session.
#[tracing::instrument(level = "debug", name = "service.accounts.update_me", skip_all)]
pub async fn update_me(ctx: &Context, actor: &Actor, changes: &ProfileChanges) -> Result<Account, Error> {
    actor.require_scope(Scope::Write)?;
    let mut v = Validator::new();
    let display_name =
        optional(&mut v, changes.display_name.as_ref(), |s| DisplayName::parse("display_name", s));
    let bio = optional(&mut v, changes.bio.as_ref(), |s| Bio::parse("bio", s));
    let avatar_url = optional(&mut v, changes.avatar_url.as_ref(), |s| AvatarUrl::parse("avatar_url", s));
    let username = match &changes.username {
        Some(raw) => v.check(Username::parse("username", raw)).map(Some),
        None => Some(None),
    };
    let email = match &changes.email {
        Some(raw) => v.check(Email::parse("email", raw)).map(Some),
        None => Some(None),
    };
    let password = match &changes.new_password {
        Some(raw) => v.check(Password::parse("new_password", raw)).map(Some),
        None => Some(None),
    };
    let (display_name, bio, avatar_url, username, email, password) =
        v.finish(|| Some((display_name?, bio?, avatar_url?, username?, email?, password?)))?;

    let current =
        accounts::find_by_id(&ctx.db, actor.account_id).await?.ok_or(Error::NotFound { what: "account" })?;
    // Re-sending the current e-mail (as RealWorld clients do) is no change.
    let email = email.filter(|e| e.as_ref() != current.email);
    if email.is_some() || password.is_some() {
        match changes.current_password.as_deref() {
            None if changes.recent_sign_in_suffices => {
                let field = if password.is_some() { "password" } else { "email" };
                require_recent_sign_in(ctx, actor, field).await?;
            }
            None => {
                return Err(Error::invalid(
                    "current_password",
                    "required",
                    "needed to change e-mail or password",
                ));
            }
            Some(given) => {
                let ok = ctx
                    .auth
                    .hasher
                    .verify(given, Some(current.password_hash.clone()))
                    .await
                    .map_err(Error::Internal)?;
                if !ok {
                    return Err(Error::invalid(
                        "current_password",
                        "incorrect",
                        "the current password is incorrect",
                    ));
                }
            }
        }
    }
    let new_hash = match &password {
        Some(password) => Some(ctx.auth.hasher.hash(password).await.map_err(Error::Internal)?),
        None => None,
    };

    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    check_unique(&mut tx, email.as_ref(), username.as_ref(), Some(actor.account_id)).await?;
    let mut account = accounts::lock(&mut tx, actor.account_id).await?;
    let fields: Vec<&str> = [
        ("display_name", display_name.is_some()),
        ("bio", bio.is_some()),
        ("avatar_url", avatar_url.is_some()),
        ("username", username.is_some()),
        ("email", email.is_some()),
        ("password", new_hash.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| given.then_some(name))
    .collect();
    if let Some(value) = display_name {
        account.display_name = value;
    }
    if let Some(value) = bio {
        account.bio = value;
    }
    if let Some(value) = avatar_url {
        account.avatar_url = value;
    }
    if let Some(value) = username {
        account.username = value.into_inner();
    }
    if let Some(value) = email {
        account.email = value.into_inner();
    }
    if let Some(hash) = &new_hash {
        account.password_hash = hash.clone();
    }
    let payload = json!({"user_id": actor.account_id, "fields": fields});
    let subject = Subject::User(actor.account_id);
    events::record(ctx, &mut tx, NewEvent::new(EventType::UserUpdated, by(actor), subject, payload)).await?;
    let account = accounts::update(&mut tx, &account, now).await?;
    if new_hash.is_some() {
        session_store::revoke_all(&mut tx, account.account_id, actor.session_id(), "password change", now)
            .await?;
    }
    tx.commit().await?;
    let change = Change::Profile { old_username: current.username, new_username: account.username.clone() };
    ctx.changes.publish(&[change]).await;
    Ok(account)
}

/// A page of accounts for admins, in id order after `after`.
#[tracing::instrument(level = "debug", name = "service.accounts.list", skip_all)]
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    after: Option<AccountId>,
    limit: i64,
) -> Result<Vec<Account>, Error> {
    actor.require_admin()?;
    Ok(accounts::list_page(&ctx.db, after, limit).await?)
}

/// Which account an admin action targets.
#[derive(Debug, Clone)]
pub enum Target {
    Id(AccountId),
    Username(String),
}

/// Admin changes to another account's role or enabled state.
#[derive(Debug, Default, Clone)]
pub struct AdminChanges {
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// Changes a user's role or disables them (ending all their sessions).
/// Admins cannot demote or disable themselves, so an instance always keeps
/// the admin who is making changes.
#[tracing::instrument(level = "debug", name = "service.accounts.administer", skip_all)]
pub async fn administer(
    ctx: &Context,
    actor: &Actor,
    target: &Target,
    changes: &AdminChanges,
) -> Result<Account, Error> {
    actor.require_admin()?;
    let role = match &changes.role {
        Some(raw) => Some(Role::parse("role", raw).map_err(|e| Error::Validation(vec![e]))?),
        None => None,
    };
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin().await?;
    let id = match target {
        Target::Id(id) => *id,
        Target::Username(name) => {
            accounts::find_by_username_in(&mut tx, name)
                .await?
                .ok_or(Error::NotFound { what: "user" })?
                .account_id
        }
    };
    if id == actor.account_id && (role.is_some_and(|r| r != Role::Admin) || changes.disabled == Some(true)) {
        return Err(Error::Forbidden { reason: "admins cannot demote or disable themselves" });
    }
    let mut account = match accounts::lock(&mut tx, id).await {
        Ok(account) => account,
        Err(crate::store::StoreError::NotFound) => return Err(Error::NotFound { what: "user" }),
        Err(other) => return Err(other.into()),
    };
    let (role_before, disabled_before) = (account.role, account.disabled);
    if let Some(role) = role {
        account.role = role;
    }
    if let Some(disabled) = changes.disabled {
        account.disabled = disabled;
    }
    let account = accounts::update(&mut tx, &account, now).await?;
    if changes.disabled == Some(true) {
        session_store::revoke_all(&mut tx, id, None, "account disabled", now).await?;
    }
    if let Some(role) = role.filter(|r| *r != role_before) {
        let payload = json!({"user_id": id, "role": role.as_str(), "previous_role": role_before.as_str()});
        events::record(
            ctx,
            &mut tx,
            NewEvent::new(EventType::UserRoleChanged, by(actor), Subject::User(id), payload),
        )
        .await?;
    }
    if let Some(disabled) = changes.disabled.filter(|d| *d != disabled_before) {
        let event_type = if disabled { EventType::UserDisabled } else { EventType::UserEnabled };
        let payload = json!({"user_id": id});
        events::record(ctx, &mut tx, NewEvent::new(event_type, by(actor), Subject::User(id), payload))
            .await?;
    }
    tx.commit().await?;
    // A disabled author's posts leave every listing: too wide to enumerate.
    ctx.changes.publish(&[Change::Everything]).await;
    tracing::info!(target: "security", account_id = %id, by = %actor.account_id, role = %account.role,
        disabled = account.disabled, "account administered");
    Ok(account)
}
