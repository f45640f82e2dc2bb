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
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let status = value(&params.status);
    let sort = value(&params.sort);
    let order = value(&params.order);
    let category = value(&params.category);
    let platform = value(&params.platform);
    let content_type = value(&params.content_type);
    html! {
        form.filters method="get" action={(studio.prefix) "/posts"} role="search" {
            div {
                label for="q" { "Search" }
                input #q type="search" name="q" value=(value(&params.q)) aria-describedby=[described(errors, "q")] aria-invalid=[invalid(errors, "q")];
                (field_error("q", error_for(errors, "q")))
            }
            div {
                label for="status" { "Status" }
                select #status name="status" aria-describedby=[described(errors, "status")] aria-invalid=[invalid(errors, "status")] {
                    option value="" selected[status.is_empty()] { "Any" }
                    @for s in PostStatus::ALL {
                        option value=(s.as_str()) selected[status == s.as_str()] { (s.as_str()) }
                    }
                }
                (field_error("status", error_for(errors, "status")))
            }
            div {
                label for="tag" { "Tag" }
                input #tag type="text" name="tag" value=(value(&params.tag)) aria-describedby=[described(errors, "tag")] aria-invalid=[invalid(errors, "tag")];
                (field_error("tag", error_for(errors, "tag")))
            }
            div {
                label for="author" { "Author" }
                input #author type="text" name="author" value=(value(&params.author)) aria-describedby=[described(errors, "author")] aria-invalid=[invalid(errors, "author")];
                (field_error("author", error_for(errors, "author")))
            }
            div {
                label for="category" { "Category" }
                select #category name="category" aria-describedby=[described(errors, "category")] aria-invalid=[invalid(errors, "category")] {
                    option value="" selected[category.is_empty()] { "Any" }
                    @for c in categories { option value=(c.slug) selected[category == c.slug] { (c.name) } }
                }
                (field_error("category", error_for(errors, "category")))
            }
            div {
                label for="platform" { "Platform" }
                select #platform name="platform" aria-describedby=[described(errors, "platform")] aria-invalid=[invalid(errors, "platform")] {
                    option value="" selected[platform.is_empty()] { "Any" }
                    @for p in Platform::ALL { option value=(p.as_str()) selected[platform == p.as_str()] { (p.as_str()) } }
                }
                (field_error("platform", error_for(errors, "platform")))
            }
            div {
                label for="content_type" { "Content type" }
                select #content_type name="content_type" aria-describedby=[described(errors, "content_type")] aria-invalid=[invalid(errors, "content_type")] {
                    option value="" selected[content_type.is_empty()] { "Any" }
                    @for k in ContentType::ALL { option value=(k.as_str()) selected[content_type == k.as_str()] { (k.as_str()) } }
                }
                (field_error("content_type", error_for(errors, "content_type")))
            }
            div {
                label for="sort" { "Sort by" }
                select #sort name="sort" aria-describedby=[described(errors, "sort")] aria-invalid=[invalid(errors, "sort")] {
                    option value="" selected[sort.is_empty()] { "Default" }
                    @for (key, label) in SORTS {
                        option value=(key) selected[sort == *key] { (label) }
                    }
                }
                (field_error("sort", error_for(errors, "sort")))
            }
            div {
                label for="order" { "Order" }
                select #order name="order" {
                    option value="" selected[order.is_empty()] { "Default" }
                    option value="desc" selected[order == "desc"] { "Newest / Z first" }
                    option value="asc" selected[order == "asc"] { "Oldest / A first" }
                }
            }
            div.actions { button type="submit" { "Apply" } }
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
