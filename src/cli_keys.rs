//! `herald keys list|rotate`: the access-token signing keys, through the same
//! service as every surface.

use crate::config::Settings;
use crate::service::{Actor, Context, keys};

/// What `herald keys` was asked to do.
#[derive(Debug, Clone, Copy)]
pub enum Request {
    List,
    Rotate,
}

pub async fn run(settings: Settings, request: Request) -> anyhow::Result<()> {
    crate::cli_admin::on_context(settings, async |ctx| execute(ctx, request).await).await
}

async fn execute(ctx: &Context, request: Request) -> anyhow::Result<()> {
    let system = Actor::system();
    let explain = crate::cli_admin::explain;
    if let Request::Rotate = request {
        let kid = keys::rotate(ctx, &system).await.map_err(explain)?;
        println!("new tokens are signed with {kid}; running instances take it up within a minute");
    }
    for key in keys::list(ctx, &system).await.map_err(explain)? {
        let state = match (key.signing, key.retire_at) {
            (true, _) => "signing".to_owned(),
            (false, Some(at)) => format!("verifying until {}", at.format("%Y-%m-%d %H:%M UTC")),
            (false, None) => "verifying".to_owned(),
        };
        println!(
            "{}\t{}\tcreated {}\t{state}",
            key.kid,
            key.alg,
            key.created_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(())
}
