//! Categories (managed by editors) and tag statistics.

use super::{Actor, Error};
use crate::domain::change::Change;
use crate::domain::event::{EventType, NewEvent, Subject};
use crate::domain::{Category, TagCount};
use crate::domain::{Scope, Slug, ValidationError, Validator};
use crate::service::Context;
use crate::service::events::{self, by};
use crate::store::categories;
use serde_json::json;

#[derive(Debug, Default, Clone)]
pub struct CategoryInput {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

fn require_editor(actor: &Actor) -> Result<(), Error> {
    actor.require_scope(Scope::Write)?;
    if !actor.role.can_manage_others_content() {
        return Err(Error::Forbidden { reason: "only editors manage categories" });
    }
    Ok(())
}

fn parse(input: &CategoryInput, current: Option<&Category>) -> Result<(String, String, String), Error> {
    let mut v = Validator::new();
    let name = match (input.name.as_deref().map(str::trim), current) {
        (Some(name), _) if !name.is_empty() && name.chars().count() <= 100 => Some(name.to_owned()),
        (Some(_), _) | (None, None) => {
            v.check::<()>(Err(ValidationError::new(
                "name",
                "invalid",
                "a name of 1 to 100 characters is required",
            )));
            None
        }
        (None, Some(c)) => Some(c.name.clone()),
    };
    let slug = match (&input.slug, current, &name) {
        (Some(raw), _, _) => v.check(Slug::parse("slug", raw)).map(|s| s.to_string()),
        (None, Some(c), _) => Some(c.slug.clone()),
        (None, None, Some(name)) => Some(Slug::from_title(name).to_string()),
        (None, None, None) => None,
    };
    let description = match (&input.description, current) {
        (Some(d), _) if d.chars().count() > 1000 => {
            v.check::<()>(Err(ValidationError::new("description", "too_long", "at most 1000 characters")));
            None
        }
        (Some(d), _) => Some(d.trim().to_owned()),
        (None, Some(c)) => Some(c.description.clone()),
        (None, None) => Some(String::new()),
    };
    Ok(v.finish(|| Some((slug?, name?, description?)))?)
}

#[tracing::instrument(level = "debug", name = "service.categories.list", skip_all)]
pub async fn list(ctx: &Context) -> Result<Vec<Category>, Error> {
    super::posts::publish_due_before_counting(ctx).await?;
    Ok(categories::list(&ctx.db).await?)
}

#[tracing::instrument(level = "debug", name = "service.categories.get", skip_all)]
pub async fn get(ctx: &Context, slug: &str) -> Result<Category, Error> {
    super::posts::publish_due_before_counting(ctx).await?;
    categories::find_by_slug(&ctx.db, slug).await?.ok_or(Error::NotFound { what: "category" })
}

#[tracing::instrument(level = "debug", name = "service.categories.create", skip_all)]
pub async fn create(ctx: &Context, actor: &Actor, input: &CategoryInput) -> Result<Category, Error> {
    require_editor(actor)?;
    let (slug, name, description) = parse(input, None)?;
    let mut tx = ctx.db.begin().await?;
    categories::insert(&mut tx, &slug, &name, &description, ctx.clock.now()).await.map_err(conflict)?;
    let payload = json!({"slug": slug, "name": name});
    let subject = Subject::Category(slug.clone());
    events::record(ctx, &mut tx, NewEvent::new(EventType::CategoryCreated, by(actor), subject, payload))
        .await?;
    tx.commit().await?;
    ctx.changes.publish(&[Change::Category { old_slug: None, new_slug: Some(slug.clone()) }]).await;
    get(ctx, &slug).await
}

fn conflict(err: crate::store::StoreError) -> Error {
    match err {
        crate::store::StoreError::Conflict { .. } => {
            Error::Conflict { detail: "slug: another category uses this slug".to_owned() }
        }
        other => other.into(),
    }
}

#[tracing::instrument(level = "debug", name = "service.categories.update", skip_all)]
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    slug: &str,
    input: &CategoryInput,
) -> Result<Category, Error> {
    require_editor(actor)?;
    let current = get(ctx, slug).await?;
    let (new_slug, name, description) = parse(input, Some(&current))?;
    let mut tx = ctx.db.begin().await?;
    categories::update(&mut tx, current.category_id, &new_slug, &name, &description, ctx.clock.now())
        .await
        .map_err(conflict)?;
    let payload = json!({"slug": new_slug, "previous_slug": current.slug});
    let subject = Subject::Category(new_slug.clone());
    events::record(ctx, &mut tx, NewEvent::new(EventType::CategoryUpdated, by(actor), subject, payload))
        .await?;
    tx.commit().await?;
    let change = Change::Category { old_slug: Some(current.slug.clone()), new_slug: Some(new_slug.clone()) };
    ctx.changes.publish(&[change]).await;
    get(ctx, &new_slug).await
}

/// Deletes a category; its posts stay, uncategorised.
#[tracing::instrument(level = "debug", name = "service.categories.delete", skip_all)]
pub async fn delete(ctx: &Context, actor: &Actor, slug: &str) -> Result<(), Error> {
    require_editor(actor)?;
    let current = get(ctx, slug).await?;
    let mut tx = ctx.db.begin().await?;
    categories::delete(&mut tx, current.category_id).await?;
    let payload = json!({"slug": current.slug});
    let subject = Subject::Category(current.slug.clone());
    events::record(ctx, &mut tx, NewEvent::new(EventType::CategoryDeleted, by(actor), subject, payload))
        .await?;
    tx.commit().await?;
    ctx.changes.publish(&[Change::Category { old_slug: Some(current.slug), new_slug: None }]).await;
    Ok(())
}

/// Tags of public posts, most used first.
#[tracing::instrument(level = "debug", name = "service.categories.tags", skip_all)]
pub async fn tags(ctx: &Context, limit: i64) -> Result<Vec<TagCount>, Error> {
    super::posts::publish_due_before_counting(ctx).await?;
    Ok(categories::tag_counts(&ctx.db, limit).await?)
}
