//! The composer's markup: the post's fields with their errors beside them,
//! the workflow buttons its state allows, the schedule picker in the
//! author's time zone, and the live analysis and preview panels.

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::Studio;
use super::render::{self, badge, error_for, field_error, time};
use super::session::Session;
use crate::domain::{Category, ContentType, Platform, PostStatus, PostView, ValidationError};

/// The values in the form: a stored post's, or what was just submitted.
#[derive(Debug, Clone)]
pub(super) struct Values {
    pub title: String,
    pub body: String,
    pub excerpt: String,
    pub tags: String,
    pub category: String,
    pub platforms: Vec<String>,
    pub content_type: String,
}

impl Default for Values {
    fn default() -> Values {
        Values {
            title: String::new(),
            body: String::new(),
            excerpt: String::new(),
            tags: String::new(),
            category: String::new(),
            platforms: vec![Platform::Blog.as_str().to_owned()],
            content_type: ContentType::Article.as_str().to_owned(),
        }
    }
}

impl Values {
    pub(super) fn of(row: &PostView) -> Values {
        let f = &row.post.fields;
        Values {
            title: f.title.clone(),
            body: f.body.clone(),
            excerpt: if f.excerpt_given { f.excerpt.clone() } else { String::new() },
            tags: f.tags.as_slice().join(", "),
            category: row.category_slug.clone().unwrap_or_default(),
            platforms: f.platforms.as_slice().iter().map(|p| p.as_str().to_owned()).collect(),
            content_type: f.content_type.as_str().to_owned(),
        }
    }
}

/// Everything the composer shows.
#[derive(Debug)]
pub(super) struct Composer<'a> {
    pub values: Values,
    /// The stored post, when editing.
    pub post: Option<&'a PostView>,
    pub categories: &'a [Category],
    pub errors: Vec<ValidationError>,
    /// An error that belongs to no field.
    pub problem: Option<String>,
    /// What the last action did ("Published.").
    pub notice: Option<&'static str>,
    /// The live analysis of the body, rendered.
    pub analysis: Markup,
    /// The version the form was loaded at: the stored one, or after a
    /// refusal the one the person was editing (so a save after someone
    /// else's change is refused again rather than overwriting it).
    pub version: Option<i64>,
    /// The time the schedule picker starts at (the script shows it in the
    /// reader's zone).
    pub schedule_at: Option<DateTime<Utc>>,
}

pub(super) fn composer(studio: &Studio<'_>, session: &Session, c: &Composer<'_>) -> Markup {
    let p = studio.prefix;
    let v = &c.values;
    let e = &c.errors;
    let action = match c.post {
        Some(post) => format!("{p}/posts/{}", post.id().get()),
        None => format!("{p}/posts"),
    };
    html! {
        @if let Some(notice) = c.notice { p.notice role="status" { (notice) } }
        (render::alert(c.problem.as_deref()))
        @if let Some(post) = c.post { (post_facts(studio, post)) }
        div.composer {
            form #composer.stack method="post" action=(action) novalidate {
                (render::csrf_field(session))
                @if let Some(version) = c.version { input type="hidden" name="version" value=(version); }
                (text_input("title", "Title", &v.title, e, true))
                label for="body" { "Body (Markdown)" }
                textarea #body name="body" rows="14" required data-live-source
                    aria-describedby=[error_for(e, "body").map(|_| "body-error")] aria-invalid=[error_for(e, "body").map(|_| "true")] { (v.body) }
                (field_error("body", error_for(e, "body")))
                (text_input("excerpt", "Excerpt (leave empty to derive it from the body)", &v.excerpt, e, false))
                (text_input("tags", "Tags (comma-separated, at most 20)", &v.tags, e, false))
                label for="category" { "Category" }
                select #category name="category" {
                    option value="" selected[v.category.is_empty()] { "None" }
                    @for cat in c.categories { option value=(cat.slug) selected[v.category == cat.slug] { (cat.name) } }
                }
                (field_error("category", error_for(e, "category")))
                fieldset.platforms aria-describedby=[error_for(e, "platforms").map(|_| "platforms-error")] {
                    legend { "Platforms" }
                    @for platform in Platform::ALL {
                        @let id = format!("platform-{}", platform.as_str());
                        span.choice {
                            input type="checkbox" id=(id) name="platforms" value=(platform.as_str())
                                checked[v.platforms.iter().any(|chosen| chosen == platform.as_str())] data-live-source;
                            label for=(id) { (platform.as_str()) }
                        }
                    }
                }
                (field_error("platforms", error_for(e, "platforms")))
                label for="content_type" { "Content type" }
                select #content_type name="content_type" {
                    @for kind in ContentType::ALL { option value=(kind.as_str()) selected[v.content_type == kind.as_str()] { (kind.as_str()) } }
                }
                (field_error("content_type", error_for(e, "content_type")))
                (schedule_picker(e, c.schedule_at))
                div.actions { (buttons(c.post.map(|post| post.post.fields.status))) }
            }
            aside.live aria-label="Generation, analysis and preview" {
                (super::generate::brief_form())
                h2 { "Analysis" }
                // One short line is announced; the whole panel would be re-read on every pause.
                p #analysis-summary.visually-hidden aria-live="polite" {}
                div #analysis { (c.analysis) }
                h2 { "Preview" }
                div #preview.preview { p.muted { "The preview appears as you write." } }
            }
        }
        @if let Some(post) = c.post {
            form.danger method="post" action={(p) "/posts/" (post.id().get()) "/delete"} data-confirm="Delete this post for good?" {
                (render::csrf_field(session))
                input type="hidden" name="version" value=(post.post.version);
                button type="submit" { "Delete post" }
            }
        }
    }
}

fn text_input(name: &str, label: &str, value: &str, errors: &[ValidationError], required: bool) -> Markup {
    let error = error_for(errors, name);
    html! {
        label for=(name) { (label) }
        input id=(name) name=(name) type="text" value=(value) required[required] data-live-source[name == "title"]
            aria-describedby=[error.map(|_| format!("{name}-error"))] aria-invalid=[error.map(|_| "true")];
        (field_error(name, error))
    }
}

/// The schedule picker: a local date and time; the script fills in the
/// UTC instant and names the zone (without it, the time is read as UTC).
fn schedule_picker(errors: &[ValidationError], at: Option<DateTime<Utc>>) -> Markup {
    let error = error_for(errors, "publish_at");
    let at = at.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    html! {
        label for="publish_at_local" {
            "Publish at (your time zone: " span data-time-zone { "UTC" } "; stored in UTC)"
        }
        input #publish_at_local type="datetime-local" name="publish_at_local" data-utc-value=[at]
            aria-describedby=[error.map(|_| "publish_at-error")] aria-invalid=[error.map(|_| "true")];
        input type="hidden" name="publish_at" data-utc-of="publish_at_local";
        (field_error("publish_at", error))
    }
}

/// The buttons of the actions the post's state allows; each saves the
/// form first.
fn buttons(status: Option<PostStatus>) -> Markup {
    let (save, others): (&str, &[(&str, &str)]) = match status {
        None => ("Save draft", &[("publish", "Publish now"), ("schedule", "Schedule")]),
        Some(PostStatus::Draft) => ("Save draft", &[("publish", "Publish now"), ("schedule", "Schedule")]),
        Some(PostStatus::Scheduled) => {
            ("Save", &[("publish", "Publish now"), ("schedule", "Reschedule"), ("unschedule", "Unschedule")])
        }
        Some(PostStatus::Published) => ("Save", &[("archive", "Archive")]),
        Some(PostStatus::Archived) => ("Save", &[("restore", "Restore as draft")]),
    };
    html! {
        button type="submit" name="action" value="save" { (save) }
        @for (action, label) in others { button type="submit" name="action" value=(action) { (label) } }
    }
}

fn post_facts(studio: &Studio<'_>, post: &PostView) -> Markup {
    let f = &post.post.fields;
    html! {
        dl.facts {
            dt { "Status" } dd { (badge(f.status.as_str())) }
            @if let Some(at) = f.publish_at.filter(|_| f.status == PostStatus::Scheduled) { dt { "Publishes" } dd { (time(at)) } }
            @if let Some(at) = f.published_at { dt { "Published" } dd { (time(at)) } }
            dt { "Slug" } dd { code { (f.slug) } }
            dt { "Version" } dd { (post.post.version) }
            dt { "Likes, comments" } dd { (post.like_count) ", " (post.comment_count) }
        }
        p.links {
            a href={(studio.prefix) "/posts"} { "Back to posts" }
            " · " a href={(studio.prefix) "/posts/" (post.id().get()) "/revisions"} { "Revisions" }
            " · " a href={(studio.prefix) "/posts/" (post.id().get()) "/comments"} { "Comments" }
            " · " a href={(studio.prefix) "/posts/" (post.id().get()) "/analytics"} { "Analytics" }
        }
    }
}
