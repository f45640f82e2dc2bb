//! A post's revisions: who changed what and when, each one's change shown
//! as a line diff against the version before it, and a restore (which is
//! itself a new revision, so nothing is lost).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use similar::{ChangeTag, TextDiff};

use super::Studio;
use super::form::Form;
use super::render::{self, time};
use super::session::Session;
use crate::domain::{PostId, Revision};
use crate::http::AppState;
use crate::http::extract::{PathId, positive_id};
use crate::service::{Error, posts};

/// `GET /posts/{id}/revisions`.
pub(super) async fn list(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<PostId>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let found = async {
        let post = posts::get(ctx, Some(&session.actor), id).await?;
        Ok::<_, Error>((post, posts::revisions(ctx, &session.actor, id).await?))
    }
    .await;
    let (post, revisions) = match found {
        Ok(found) => found,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let here = format!("{}/posts/{}", studio.prefix, id.get());
    let body = html! {
        p { a href=(here) { "Back to the post" } }
        @if revisions.is_empty() { p { "No revisions yet." } }
        @else {
            table #revisions {
                thead { tr { th scope="col" { "Revision" } th scope="col" { "By" } th scope="col" { "When" } th scope="col" { "Title" } } }
                tbody {
                    @for r in revisions.iter().rev() {
                        tr {
                            td { a href={(here) "/revisions/" (r.revision_no)} { "Revision " (r.revision_no) } }
                            td { (r.editor_username.as_deref().unwrap_or("the system")) }
                            td { (time(r.created_at)) }
                            td { (r.title) }
                        }
                    }
                }
            }
        }
    };
    let title = format!("Revisions: {}", post.post.fields.title);
    render::html(StatusCode::OK, render::page(&studio, &session, "/posts", &title, &body))
}

/// `GET /posts/{id}/revisions/{n}`: what revision `n` changed.
pub(super) async fn show(
    State(state): State<AppState>,
    session: Session,
    Path((id, no)): Path<(String, String)>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let Some((id, no)) = ids(&id, &no) else {
        return render::error_page(&studio, &session, &Error::NotFound { what: "revision" });
    };
    let found = async {
        let post = posts::get(ctx, Some(&session.actor), id).await?;
        let this = posts::revision(ctx, &session.actor, id, no).await?;
        let before = match no {
            1 => None,
            _ => posts::revision(ctx, &session.actor, id, no - 1).await.ok(),
        };
        Ok::<_, Error>((post, this, before))
    }
    .await;
    let (post, this, before) = match found {
        Ok(found) => found,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let here = format!("{}/posts/{}", studio.prefix, id.get());
    let empty = Revision {
        revision_no: 0,
        title: String::new(),
        body: String::new(),
        excerpt: String::new(),
        ..this.clone()
    };
    let before = before.unwrap_or(empty);
    let body = html! {
        p { a href={(here) "/revisions"} { "All revisions" } " · " a href=(here) { "Back to the post" } }
        p {
            "Revision " (this.revision_no) " by " (this.editor_username.as_deref().unwrap_or("the system")) ", " (time(this.created_at))
            @if before.revision_no > 0 { ", compared with revision " (before.revision_no) } @else { ", the first version" } "."
        }
        p.muted { "Lines marked + were added, lines marked − were removed." }
        h2 { "Title" } (diff(&before.title, &this.title))
        h2 { "Excerpt" } (diff(&before.excerpt, &this.excerpt))
        h2 { "Body" } (diff(&before.body, &this.body))
        form method="post" action={(here) "/revisions/" (this.revision_no) "/restore"} {
            (render::csrf_field(&session))
            input type="hidden" name="version" value=(post.post.version);
            button type="submit" { "Restore this version" }
        }
    };
    let title = format!("Revision {} of {}", this.revision_no, post.post.fields.title);
    render::html(StatusCode::OK, render::page(&studio, &session, "/posts", &title, &body))
}

/// `POST /posts/{id}/revisions/{n}/restore`.
pub(super) async fn restore(
    State(state): State<AppState>,
    session: Session,
    Path((id, no)): Path<(String, String)>,
    form: Form,
) -> Response {
    let studio = Studio::of(&state);
    let Some((id, no)) = ids(&id, &no) else {
        return render::error_page(&studio, &session, &Error::NotFound { what: "revision" });
    };
    let restored =
        posts::restore_revision(&state.services, &session.actor, id, no, form.number("version")).await;
    render::see_or_explain(
        &studio,
        &session,
        restored.map(|_| format!("/posts/{}?done=restored-revision", id.get())),
    )
}

fn ids(id: &str, no: &str) -> Option<(PostId, i64)> {
    Some((PostId::new(positive_id(id)?), positive_id(no)?))
}

/// A line diff, each line marked in text as well as by colour.
fn diff(before: &str, after: &str) -> Markup {
    if before == after {
        return html! { p.muted { "Unchanged." } };
    }
    let diff = TextDiff::from_lines(before, after);
    html! {
        pre.diff {
            @for change in diff.iter_all_changes() {
                @let line = change.value().trim_end_matches('\n');
                @match change.tag() {
                    ChangeTag::Delete => { del { "− " (line) } "\n" }
                    ChangeTag::Insert => { ins { "+ " (line) } "\n" }
                    ChangeTag::Equal => { span { "  " (line) } "\n" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_marks_removed_and_added_lines_in_text() {
        let shown = diff("one\ntwo\nthree\n", "one\n2\nthree\n").into_string();
        assert!(shown.contains("<del>− two</del>"), "{shown}");
        assert!(shown.contains("<ins>+ 2</ins>"), "{shown}");
        assert!(shown.contains("<span>  one</span>"));
        assert_eq!(diff("same", "same").into_string(), "<p class=\"muted\">Unchanged.</p>");
        assert!(diff("", "<b>").into_string().contains("+ &lt;b&gt;"), "escaped");
    }
}
