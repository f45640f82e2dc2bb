//! `herald admin …`: account management from the server's shell, through the
//! same services (and rules) as the HTTP API, acting as the system admin.

use std::io::{BufRead as _, IsTerminal as _};
use std::sync::Arc;

use anyhow::{Context as _, bail};

use crate::clock::SystemClock;
use crate::config::Settings;
use crate::domain::Role;
use crate::service::Context;
use crate::service::accounts::{self, AdminChanges, Registration, Target};
use crate::service::{Actor, Error};

#[derive(Debug)]
pub enum Request {
    CreateUser {
        email: String,
        username: String,
        role: String,
        display_name: Option<String>,
        password: String,
    },
    SetRole {
        username: String,
        role: String,
    },
    SetDisabled {
        username: String,
        disabled: bool,
    },
}

/// Reads a password without it ever appearing in argv or shell history:
/// prompted twice on a terminal, else the first line of standard input.
pub fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
        let second = rpassword::prompt_password("Repeat password: ").context("cannot read the password")?;
        if first != second {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs one CLI command's `work` on a service context over `settings`, and
/// closes the database afterwards whatever the outcome (every one-shot
/// command uses it).
pub async fn on_context(
    settings: Settings,
    work: impl AsyncFnOnce(&Context) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let ctx = Context::init(settings, Arc::new(SystemClock)).await?;
    let result = work(&ctx).await;
    ctx.db.close().await;
    result
}

pub async fn run(settings: Settings, request: Request) -> anyhow::Result<()> {
    crate::cli_admin::on_context(settings, async |ctx| execute(ctx, request).await).await
}

async fn execute(ctx: &Context, request: Request) -> anyhow::Result<()> {
    let system = Actor::system();
    match request {
        Request::CreateUser { email, username, role, display_name, password } => {
            let role = Role::parse("--role", &role).map_err(|e| anyhow::anyhow!("{e}"))?;
            let input = Registration {
                email: Some(email),
                username: Some(username),
                password: Some(password),
                display_name,
            };
            let account = accounts::create_account(ctx, &system, &input, role).await.map_err(explain)?;
            println!(
                "created {} {} (id {}) with role {}",
                account.username, account.email, account.account_id, account.role
            );
        }
        Request::SetRole { username, role } => {
            let changes = AdminChanges { role: Some(role), disabled: None };
            let account = accounts::administer(ctx, &system, &Target::Username(username), &changes)
                .await
                .map_err(explain)?;
            println!("{} now has role {}", account.username, account.role);
        }
        Request::SetDisabled { username, disabled } => {
            let changes = AdminChanges { role: None, disabled: Some(disabled) };
            let account = accounts::administer(ctx, &system, &Target::Username(username), &changes)
                .await
                .map_err(explain)?;
            let state = if account.disabled { "disabled; its sessions are ended" } else { "enabled" };
            println!("{} is {state}", account.username);
        }
    }
    Ok(())
}

/// A service error as an operator-readable message (every CLI command uses it).
pub fn explain(err: Error) -> anyhow::Error {
    match err {
        Error::Validation(errors) => {
            let lines: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            anyhow::anyhow!("invalid input: {}", lines.join("; "))
        }
        Error::Internal(cause) => cause,
        other => anyhow::anyhow!("{other}"),
    }
}
