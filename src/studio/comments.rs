//! A post's comments, for moderation: editors see hidden ones too and hide,
//! show or delete any; authors of comments delete their own.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::Studio;
use super::render::{self, badge, time};
use super::session::Session;
use crate::domain::{CommentId, PostId};
use crate::http::AppState;
use crate::http::extract::{PathId, positive_id};
use crate::service::{Error, comments, posts};

const PAGE: i64 = 50;

#[derive(Debug, Deserialize)]
pub(super) struct After {
    after: Option<i64>,
}

/// `GET /posts/{id}/comments`.
pub(super) async fn list(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<PostId>,
    Query(after): Query<After>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let found = async {
        let post = posts::get(ctx, Some(&session.actor), id).await?;
        let after = after.after.filter(|a| *a > 0).map(CommentId::new);
        Ok::<_, Error>((post, comments::list(ctx, Some(&session.actor), id, after, PAGE).await?))
    }
    .await;
    let (post, (rows, more)) = match found {
        Ok(found) => found,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let here = format!("{}/posts/{}", studio.prefix, id.get());
    let moderator = session.actor.role.can_manage_others_content();
    let body = html! {
        p { a href=(here) { "Back to the post" } }
        @if rows.is_empty() { p { "No comments." } }
        @else {
            ol #comments.comments {
                @for c in &rows {
                    li data-comment-id=(c.comment_id.get()) {
                        p.meta {
                            strong { (c.author_username) } " · " (time(c.created_at))
                            @if c.parent_id.is_some() { " · reply" }
                            @if c.hidden { " " (badge("hidden")) }
                        }
                        p { (c.body) }
                        div.actions {
                            @if moderator {
                                form method="post" action={(studio.prefix) "/comments/" (c.comment_id.get()) (if c.hidden { "/unhide" } else { "/hide" })} {
                                    (render::csrf_field(&session))
                                    button type="submit" aria-label={(if c.hidden { "Show" } else { "Hide" }) " the comment by " (c.author_username)} {
                                        (if c.hidden { "Show" } else { "Hide" })
                                    }
                                }
                            }
                            @if moderator || c.author_id == session.actor.account_id {
                                form.danger method="post" action={(studio.prefix) "/comments/" (c.comment_id.get()) "/delete"} data-confirm="Delete this comment?" {
                                    (render::csrf_field(&session))
                                    button type="submit" aria-label={"Delete the comment by " (c.author_username)} { "Delete" }
                                }
                            }
                        }
                    }
                }
            }
            @if more {
                @if let Some(last) = rows.last() {
                    nav.paging aria-label="Pages" { a rel="next" href={(here) "/comments?after=" (last.comment_id.get())} { "More comments" } }
                }
            }
        }
    };
    let title = format!("Comments: {}", post.post.fields.title);
    render::html(StatusCode::OK, render::page(&studio, &session, "/posts", &title, &body))
}

/// `POST /comments/{id}/{hide|unhide|delete}`, then back to the post's comments.
pub(super) async fn moderate(
    State(state): State<AppState>,
    session: Session,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let Some(id) = positive_id(&id).map(CommentId::new) else {
        return render::error_page(&studio, &session, &Error::NotFound { what: "comment" });
    };
    let post = match action.as_str() {
        "hide" | "unhide" => {
            comments::set_hidden(ctx, &session.actor, id, action == "hide").await.map(|c| c.post_id)
        }
        "delete" => match comments::find(ctx, Some(&session.actor), id).await {
            Ok(found) => comments::delete(ctx, &session.actor, id).await.map(|()| found.post_id),
            Err(err) => Err(err),
        },
        _ => Err(Error::NotFound { what: "action" }),
    };
    render::see_or_explain(&studio, &session, post.map(|post| format!("/posts/{}/comments", post.get())))
}
