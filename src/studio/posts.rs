//! The posts list: the API's filters, sort and full-text search, cursor
//! paging, a status badge per post. The script refreshes the rows when the
//! change feed reports a post event (a schedule coming due, a colleague's
//! edit), so an open list never shows a stale state for long.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::Studio;
use super::form::Form;
use super::render::{self, badge, error_for, field_error, time};
use super::session::Session;
use crate::domain::{Category, ContentType, Platform, PostListParams, PostStatus, PostView, ValidationError};
use crate::http::AppState;
use crate::service::{Error, categories, posts};

const SORTS: &[(&str, &str)] = &[
    ("published_at", "Publication date"),
    ("created_at", "Created"),
    ("updated_at", "Last changed"),
    ("title", "Title"),
    ("relevance", "Relevance (with a search)"),
];

/// `GET /posts`.
pub(super) async fn list(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let studio = Studio::of(&state);
    let form = Form::parse(query.unwrap_or_default().as_bytes());
    let text = |name: &str| form.filled(name).map(str::to_owned);
    let params = PostListParams {
        status: text("status"),
        tag: text("tag"),
        author: text("author"),
        category: text("category"),
        platform: text("platform"),
        content_type: text("content_type"),
        q: text("q"),
        sort: text("sort"),
        order: text("order"),
        cursor: text("cursor"),
        ..PostListParams::default()
    };
    let result = match params.clone().parse() {
        Ok(list) => posts::list(&state.services, Some(&session.actor), &list, false).await,
        Err(errors) => Err(Error::Validation(errors)),
    };
    let (status, rows, next, errors, problem) = match result {
        Ok(page) => (StatusCode::OK, page.items, page.next_cursor, Vec::new(), None),
        Err(Error::Validation(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, Vec::new(), None, errors, None),
        Err(err) => {
            let (status, message) = render::explain(&err);
            (status, Vec::new(), None, Vec::new(), Some(message))
        }
    };
    let next_link = next.map(|cursor| {
        let mut link = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &params.q),
            ("status", &params.status),
            ("tag", &params.tag),
            ("author", &params.author),
            ("category", &params.category),
            ("platform", &params.platform),
            ("content_type", &params.content_type),
            ("sort", &params.sort),
            ("order", &params.order),
        ] {
            if let Some(value) = value {
                link.append_pair(name, value);
            }
        }
        link.append_pair("cursor", &cursor);
        format!("{}/posts?{}", studio.prefix, link.finish())
    });
    let categories = categories::list(&state.services).await.unwrap_or_default();
    let body = html! {
        (filters(&studio, &params, &categories, &errors))
        (render::alert(problem.as_deref()))
        (table(&studio, &rows, params.q.is_some()))
        @if let Some(link) = next_link {
            nav.paging aria-label="Pages" { a href=(link) rel="next" { "Next page" } }
        }
    };
    render::html(status, render::page(&studio, &session, "/posts", "Posts", &body))
}

fn filters(
    studio: &Studio<'_>,
    params: &PostListParams,
    categories: &[Category],
    errors: &[ValidationError],
) -> Markup {
    let same = |v: &'static str| (v, v);
    let statuses: Vec<_> = PostStatus::ALL.iter().map(|s| same(s.as_str())).collect();
    let platforms: Vec<_> = Platform::ALL.iter().map(|p| same(p.as_str())).collect();
    let kinds: Vec<_> = ContentType::ALL.iter().map(|k| same(k.as_str())).collect();
    let categories: Vec<_> = categories.iter().map(|c| (c.slug.as_str(), c.name.as_str())).collect();
    let orders = [("desc", "Newest / Z first"), ("asc", "Oldest / A first")];
    html! {
        form.filters method="get" action={(studio.prefix) "/posts"} role="search" {
            (filter_text("q", "Search", "search", &params.q, errors))
            (filter_choice("status", "Status", "Any", &params.status, &statuses, errors))
            (filter_text("tag", "Tag", "text", &params.tag, errors))
            (filter_text("author", "Author", "text", &params.author, errors))
            (filter_choice("category", "Category", "Any", &params.category, &categories, errors))
            (filter_choice("platform", "Platform", "Any", &params.platform, &platforms, errors))
            (filter_choice("content_type", "Content type", "Any", &params.content_type, &kinds, errors))
            (filter_choice("sort", "Sort by", "Default", &params.sort, SORTS, errors))
            (filter_choice("order", "Order", "Default", &params.order, &orders, errors))
            div.actions { button type="submit" { "Apply" } }
        }
    }
}

/// A text filter with its error beside it.
fn filter_text(
    name: &str,
    label: &str,
    kind: &str,
    value: &Option<String>,
    errors: &[ValidationError],
) -> Markup {
    html! {
        div {
            label for=(name) { (label) }
            input id=(name) type=(kind) name=(name) value=(value.as_deref().unwrap_or_default())
                aria-describedby=[described(errors, name)] aria-invalid=[invalid(errors, name)];
            (field_error(name, error_for(errors, name)))
        }
    }
}

/// A choice among `options` (value, label), `blank` meaning none, with its
/// error beside it.
fn filter_choice(
    name: &str,
    label: &str,
    blank: &str,
    chosen: &Option<String>,
    options: &[(&str, &str)],
    errors: &[ValidationError],
) -> Markup {
    let chosen = chosen.as_deref().unwrap_or_default();
    html! {
        div {
            label for=(name) { (label) }
            select id=(name) name=(name) aria-describedby=[described(errors, name)] aria-invalid=[invalid(errors, name)] {
                option value="" selected[chosen.is_empty()] { (blank) }
                @for (value, text) in options { option value=(value) selected[chosen == *value] { (text) } }
            }
            (field_error(name, error_for(errors, name)))
        }
    }
}

/// The id of `field`'s error text, when it has one.
fn described(errors: &[ValidationError], field: &str) -> Option<String> {
    error_for(errors, field).map(|_| format!("{field}-error"))
}

fn invalid(errors: &[ValidationError], field: &str) -> Option<&'static str> {
    error_for(errors, field).map(|_| "true")
}

fn table(studio: &Studio<'_>, rows: &[PostView], searching: bool) -> Markup {
    html! {
        div #post-rows data-live-list {
        @if rows.is_empty() {
            p { "No posts match." }
        } @else {
            table.posts {
                caption.visually-hidden { "Posts" }
                thead { tr {
                    th scope="col" { "Title" }
                    th scope="col" { "Status" }
                    th scope="col" { "Author" }
                    th scope="col" { "Tags" }
                    th scope="col" { "Date" }
                    th scope="col" { "Likes" }
                    th scope="col" { "Comments" }
                } }
                tbody {
                    @for row in rows { (post_row(studio, row, searching)) }
                }
            }
        }
        }
    }
}

fn post_row(studio: &Studio<'_>, row: &PostView, searching: bool) -> Markup {
    let f = &row.post.fields;
    let when = match f.status {
        PostStatus::Scheduled => f.publish_at,
        PostStatus::Published | PostStatus::Archived => f.published_at,
        PostStatus::Draft => None,
    };
    html! {
        tr data-post-id=(row.id().get()) {
            td {
                a href={(studio.prefix) "/posts/" (row.id().get())} { (f.title) }
                @if searching {
                    @if let Some(snippet) = &row.snippet { p.snippet { (snippet_markup(snippet)) } }
                }
            }
            td { (badge(f.status.as_str())) }
            td data-label="Author" { (row.author_username) }
            td data-label="Tags" { (f.tags.as_slice().join(", ")) }
            td data-label="Date" {
                @match (f.status, when) {
                    (PostStatus::Scheduled, Some(at)) => { "for " (time(at)) }
                    (_, Some(at)) => { (time(at)) }
                    _ => { "created " (time(row.post.created_at)) }
                }
            }
            td data-label="Likes" { (row.like_count) }
            td data-label="Comments" { (row.comment_count) }
        }
    }
}

/// A search snippet: the text escaped, the matches (between the store's
/// control-character marks) in `<mark>`.
fn snippet_markup(raw: &str) -> Markup {
    let mut parts = Vec::new();
    let mut marked = false;
    for piece in raw.split(['\u{1}', '\u{2}']) {
        parts.push((marked, piece));
        marked = !marked;
    }
    html! { @for (marked, piece) in parts { @if marked { mark { (piece) } } @else { (piece) } } }
}
