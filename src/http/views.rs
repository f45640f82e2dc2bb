//! Counting views where reads happen: the single-post read endpoints mark a
//! response that shows a public post to someone other than its author
//! (`ViewOf`, and a `view:<id>` cache tag so a cached copy keeps the mark),
//! and `count_views` counts each such response on its way out — fresh,
//! from the response cache, or as a 304 — without waiting for anything.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponseParts, Response, ResponseParts};

use super::extract::client_ip;
use crate::cache::CacheTags;
use crate::domain::{PostId, PostStatus, PostView};
use crate::http::AppState;
use crate::service::Actor;
use crate::service::analytics::Client;

/// This response shows post `.0` to a reader whose view counts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ViewOf(pub PostId);

impl IntoResponseParts for ViewOf {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

const TAG_PREFIX: &str = "view:";

/// Marks a read of `row` as a view when the post is public and the reader
/// is not its author; the tag carries the mark into the response cache.
pub(super) fn view_of(row: &PostView, actor: Option<&Actor>, tags: &mut CacheTags) -> Option<ViewOf> {
    let public = row.post.fields.status == PostStatus::Published;
    let own = actor.is_some_and(|a| a.account_id == row.post.author_id);
    if !public || own {
        return None;
    }
    tags.0.push(format!("{TAG_PREFIX}{}", row.post.post_id));
    Some(ViewOf(row.post.post_id))
}

/// The mark a cached response carries in its tags.
pub(super) fn from_tags(tags: &[String]) -> Option<ViewOf> {
    tags.iter().find_map(|t| t.strip_prefix(TAG_PREFIX)?.parse().ok().map(|id| ViewOf(PostId::new(id))))
}

/// Whether responses to `request` may show a post whose view counts.
pub(super) fn may_count(state: &AppState, request: &Request) -> bool {
    let path = request.uri().path();
    let may_show_a_post = path.starts_with("/api/v1/posts/") || path.starts_with("/api/articles/");
    request.method() == Method::GET && state.services.analytics.enabled() && may_show_a_post
}

/// Who read a response, as analytics records it.
pub(super) struct Reader {
    ip: Option<IpAddr>,
    user_agent: Option<HeaderValue>,
    referrer: Option<HeaderValue>,
}

impl Reader {
    pub(super) fn of(state: &AppState, request: &Request) -> Reader {
        let headers = request.headers();
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Reader {
            ip: client_ip(peer, headers, &state.services.settings.http.trusted_proxies),
            user_agent: headers.get(header::USER_AGENT).cloned(),
            referrer: headers.get(header::REFERER).cloned(),
        }
    }

    /// Counts the view `response` is marked with, if it is one (a post
    /// shown in full, or a 304 for it), without waiting for anything.
    pub(super) fn count(&self, state: &AppState, response: &Response) {
        if let Some(ViewOf(post)) = response.extensions().get::<ViewOf>().copied()
            && matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED)
        {
            let client =
                Client { ip: self.ip, user_agent: self.user_agent.as_ref().and_then(|v| v.to_str().ok()) };
            let referrer = self.referrer.as_ref().and_then(|v| v.to_str().ok());
            state.services.analytics.viewed(post, client, referrer, state.services.clock.now());
        }
    }
}

pub(super) async fn count_views(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !may_count(&state, &request) {
        return next.run(request).await;
    }
    let reader = Reader::of(&state, &request);
    let response = next.run(request).await;
    reader.count(&state, &response);
    response
}
