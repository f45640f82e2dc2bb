//! Public profiles and following.

use super::{Actor, Error};
use crate::domain::Profile;
use crate::domain::Scope;
use crate::domain::change::Change;
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::service::Context;
use crate::service::events::{self, by};
use crate::store::profiles;
use serde_json::json;

#[tracing::instrument(level = "debug", name = "service.profiles.get", skip_all)]
pub async fn get(ctx: &Context, actor: Option<&Actor>, username: &str) -> Result<Profile, Error> {
    profiles::find_by_username(&ctx.db, actor.map(|a| a.account_id), username)
        .await?
        .ok_or(Error::NotFound { what: "profile" })
}

/// Follows or unfollows; idempotent. Following oneself is refused.
#[tracing::instrument(level = "debug", name = "service.profiles.set_follow", skip_all)]
pub async fn set_follow(
    ctx: &Context,
    actor: &Actor,
    username: &str,
    follow: bool,
) -> Result<Profile, Error> {
    actor.require_scope(Scope::Write)?;
    let target = get(ctx, Some(actor), username).await?;
    if target.account_id == actor.account_id && follow {
        return Err(Error::invalid("username", "self", "you cannot follow yourself"));
    }
    let mut tx = ctx.db.begin().await?;
    if profiles::set_follow(&mut tx, actor.account_id, target.account_id, follow, ctx.clock.now()).await? {
        let event_type = if follow { EventType::UserFollowed } else { EventType::UserUnfollowed };
        let payload = json!({"follower_id": actor.account_id, "followee_id": target.account_id});
        let subject = Subject::User(target.account_id);
        events::record(ctx, &mut tx, NewEvent::new(event_type, by(actor), subject, payload)).await?;
    }
    tx.commit().await?;
    let me = crate::store::accounts::find_by_id(&ctx.db, actor.account_id).await?;
    let follower = me.map(|a| a.username).unwrap_or_default();
    ctx.changes.publish(&[Change::Follow { follower, followee: target.username.clone() }]).await;
    get(ctx, Some(actor), username).await
}
