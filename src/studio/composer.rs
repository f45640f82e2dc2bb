//! Writing a post: create, edit, and move it through its workflow from one
//! form. Every button saves what is in the form first (with the version the
//! page was loaded at, so someone else's change is never overwritten
//! silently), then takes its action.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use super::Studio;
use super::composer_view::{Composer, Values, composer};
use super::form::Form;
use super::live;
use super::render;
use super::session::Session;
use crate::domain::{Category, PostId, PostStatus, PostView, Transition, ValidationError};
use crate::http::AppState;
use crate::http::extract::PathId;
use crate::service::posts::{self, PostInput};
use crate::service::{Context, Error, categories};

/// What the last action did, named in the page's query after a redirect.
#[derive(Debug, Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "Draft created.",
        "created-not-scheduled" => "Saved as a draft, but it could not be scheduled: try Schedule again.",
        "saved" => "Saved.",
        "publish" => "Published.",
        "schedule" => "Scheduled.",
        "unschedule" => "Unscheduled: the post is a draft again.",
        "archive" => "Archived.",
        "restore" => "Restored as a draft.",
        "restored-revision" => "The earlier version is back (as a new revision).",
        _ => return None,
    })
}

/// `GET /posts/new`.
pub(super) async fn new(State(state): State<AppState>, session: Session) -> Response {
    let studio = Studio::of(&state);
    let categories = categories::list(&state.services).await.unwrap_or_default();
    let c = Composer {
        values: Values::default(),
        post: None,
        categories: &categories,
        errors: Vec::new(),
        problem: None,
        notice: None,
        analysis: live::placeholder(),
        version: None,
        schedule_at: None,
    };
    show(&studio, &session, StatusCode::OK, "New post", &c)
}

/// `GET /posts/{id}`.
pub(super) async fn edit(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<PostId>,
    Query(done): Query<Done>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let post = match posts::get(ctx, Some(&session.actor), id).await {
        Ok(post) => post,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let values = Values::of(&post);
    let categories = categories::list(ctx).await.unwrap_or_default();
    let analysis = live::analysis_of(ctx, &session, &values.body, &values.platforms).await;
    let c = Composer {
        values,
        post: Some(&post),
        categories: &categories,
        errors: Vec::new(),
        problem: None,
        notice: notice(done.done.as_deref()),
        analysis,
        version: Some(post.post.version),
        schedule_at: post.post.fields.publish_at.filter(|_| post.post.fields.status == PostStatus::Scheduled),
    };
    show(&studio, &session, StatusCode::OK, &post.post.fields.title.clone(), &c)
}

/// `POST /posts`: a new draft, published or scheduled at once if asked.
pub(super) async fn create(State(state): State<AppState>, session: Session, form: Form) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let values = values_of(&form);
    let action = form.get("action").unwrap_or("save");
    let result = async {
        let transition = transition_of(action, &form)?;
        // Checked before the draft exists, so a refused schedule leaves nothing behind.
        if let Some(Transition::Schedule(at)) = transition
            && at <= ctx.clock.now()
        {
            return Err(Error::invalid("publish_at", "not_in_future", "must be in the future"));
        }
        let post = posts::create(ctx, &session.actor, &input_of(&values, true), action == "publish").await?;
        let mut done = if action == "save" { "created" } else { action };
        if let Some(Transition::Schedule(at)) = transition {
            // The draft exists now: a failure here must not bring back the
            // empty form (a second submit would make a second draft).
            if posts::transition(ctx, &session.actor, post.id(), Transition::Schedule(at), None)
                .await
                .is_err()
            {
                done = "created-not-scheduled";
            }
        }
        Ok::<_, Error>((post.id(), done))
    }
    .await;
    match result {
        Ok((id, done)) => render::see_other(&format!("{}/posts/{}?done={done}", studio.prefix, id.get())),
        Err(err) => refuse(ctx, &studio, &session, None, None, &form, &err).await,
    }
}

/// `POST /posts/{id}`: save, then the button's action.
pub(super) async fn save(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<PostId>,
    form: Form,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let values = values_of(&form);
    let action = form.get("action").unwrap_or("save");
    let version = form.number("version");
    let result = async {
        // Studio always says which version it changes: without one, a
        // save could overwrite a change the person never saw.
        let Some(version) = version else {
            return Err(Error::Conflict {
                detail: "the form did not say which version it changes; reload the post".to_owned(),
            });
        };
        let transition = transition_of(action, &form)?;
        let saved = posts::update(ctx, &session.actor, id, &input_of(&values, false), Some(version)).await?;
        if let Some(transition) = transition {
            posts::transition(ctx, &session.actor, id, transition, Some(saved.post.version)).await?;
        }
        Ok::<_, Error>(())
    }
    .await;
    match result {
        Ok(()) => {
            let done = if action == "save" { "saved" } else { action };
            render::see_other(&format!("{}/posts/{}?done={done}", studio.prefix, id.get()))
        }
        Err(err) => {
            let post = posts::get(ctx, Some(&session.actor), id).await.ok();
            refuse(ctx, &studio, &session, post.as_ref(), version, &form, &err).await
        }
    }
}

/// `POST /posts/{id}/delete`.
pub(super) async fn delete(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<PostId>,
    form: Form,
) -> Response {
    let studio = Studio::of(&state);
    let deleted = posts::delete(&state.services, &session.actor, id, form.number("version")).await;
    render::see_or_explain(&studio, &session, deleted.map(|()| "/posts".to_owned()))
}

/// The form again, with what was submitted (and the version it was
/// editing) and why it was refused.
async fn refuse(
    ctx: &Context,
    studio: &Studio<'_>,
    session: &Session,
    post: Option<&PostView>,
    version: Option<i64>,
    form: &Form,
    err: &Error,
) -> Response {
    let values = values_of(form);
    let (status, message) = render::explain(err);
    let (errors, problem) = match err {
        Error::Validation(errors) => (errors.clone(), None),
        _ => (Vec::new(), Some(message)),
    };
    let categories: Vec<Category> = categories::list(ctx).await.unwrap_or_default();
    let analysis = live::analysis_of(ctx, session, &values.body, &values.platforms).await;
    let title = post.map_or_else(|| "New post".to_owned(), |post| post.post.fields.title.clone());
    let schedule_at = publish_at(form).ok();
    let c = Composer {
        values,
        post,
        categories: &categories,
        errors,
        problem,
        notice: None,
        analysis,
        version,
        schedule_at,
    };
    show(studio, session, status, &title, &c)
}

fn show(
    studio: &Studio<'_>,
    session: &Session,
    status: StatusCode,
    title: &str,
    c: &Composer<'_>,
) -> Response {
    let current = if c.post.is_none() { "/posts/new" } else { "/posts" };
    render::html(status, render::page(studio, session, current, title, &composer(studio, session, c)))
}

fn values_of(form: &Form) -> Values {
    let text = |name: &str| form.get(name).unwrap_or_default().to_owned();
    Values {
        title: text("title"),
        body: text("body"),
        excerpt: text("excerpt"),
        tags: text("tags"),
        category: text("category"),
        platforms: form.all("platforms"),
        content_type: text("content_type"),
    }
}

fn input_of(values: &Values, creating: bool) -> PostInput {
    let tags = values.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    PostInput {
        title: Some(values.title.clone()),
        body: Some(values.body.clone()),
        excerpt: if creating && values.excerpt.trim().is_empty() {
            None
        } else {
            Some(values.excerpt.clone())
        },
        slug: None,
        tags: Some(tags),
        category: if creating && values.category.is_empty() { None } else { Some(values.category.clone()) },
        platforms: Some(values.platforms.clone()),
        content_type: Some(values.content_type.clone()),
        brief_id: None,
    }
}

/// The workflow step a button asks for (`None`: just save).
fn transition_of(action: &str, form: &Form) -> Result<Option<Transition>, Error> {
    Ok(Some(match action {
        "save" => return Ok(None),
        "publish" => Transition::Publish,
        "schedule" => Transition::Schedule(publish_at(form)?),
        "unschedule" => Transition::Unschedule,
        "archive" => Transition::Archive,
        "restore" => Transition::Restore,
        _ => return Err(Error::invalid("action", "invalid", "unknown action")),
    }))
}

/// When to publish: the UTC instant the script computed from the picker,
/// or else the picker's value read as UTC.
fn publish_at(form: &Form) -> Result<DateTime<Utc>, Error> {
    let invalid =
        |message: &str| Error::Validation(vec![ValidationError::new("publish_at", "invalid", message)]);
    if let Some(utc) = form.filled("publish_at") {
        return DateTime::parse_from_rfc3339(utc)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|_| invalid("is not a time"));
    }
    let Some(local) = form.filled("publish_at_local") else {
        return Err(Error::Validation(vec![ValidationError::new(
            "publish_at",
            "required",
            "choose when to publish",
        )]));
    };
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(local, format).ok())
        .map(|naive| naive.and_utc())
        .ok_or_else(|| invalid("is not a date and time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_the_scripts_utc_instant_or_else_the_picker_read_as_utc() {
        let at = |body: &str| publish_at(&Form::parse(body.as_bytes())).map(|t| t.to_rfc3339());
        assert_eq!(
            at("publish_at=2027-01-02T03%3A04%3A00.000Z&publish_at_local=x").ok().as_deref(),
            Some("2027-01-02T03:04:00+00:00")
        );
        assert_eq!(
            at("publish_at=&publish_at_local=2027-01-02T03%3A04").ok().as_deref(),
            Some("2027-01-02T03:04:00+00:00")
        );
        assert!(
            matches!(at("publish_at_local="), Err(Error::Validation(e)) if e[0].field == "publish_at" && e[0].code == "required")
        );
        assert!(
            matches!(at("publish_at_local=tomorrow"), Err(Error::Validation(e)) if e[0].code == "invalid")
        );
    }

    #[test]
    fn only_known_actions_are_taken() {
        let form = Form::default();
        assert!(matches!(transition_of("save", &form), Ok(None)));
        assert!(matches!(transition_of("archive", &form), Ok(Some(Transition::Archive))));
        assert!(transition_of("drop-table", &form).is_err());
    }
}
