//! Lists of posts as the viewer may see them: the v1 lists and feed and the
//! RealWorld articles all come through `list`, which decides visibility
//! from the actor, bounds the cost of a page and pages by cursor or offset.

use super::super::{Actor, AuthFailure, Error};
use super::changes::publish_due_before_counting;
use super::cursor::{self, Position};
use super::reads::{effective, viewer_of};
use crate::content::snippet::{SearchWords, snippet};
use crate::domain::{PageRequest, PostList, PostView};
use crate::service::Context;
use crate::store::post_views::{self, PostQuery};

/// The deepest offset served: an offset is walked entry by entry (from the
/// index alone, but still in proportion), so its cost is bounded here;
/// cursors page any depth at the cost of one page.
pub const MAX_OFFSET: i64 = 10_000;
/// The feed merges every followed author's newest posts, so its offset
/// costs once per followed author: it stops sooner.
pub const MAX_FEED_OFFSET: i64 = 1_000;

/// One page of a list.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<PostView>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
    /// The number of matching posts, when asked for.
    pub total: Option<i64>,
}

/// A page of `list` as `actor` may see it (anonymous: public posts only;
/// authors also their own; editors everything), with the total if asked.
#[tracing::instrument(level = "debug", name = "service.posts.list", skip_all)]
pub async fn list(
    ctx: &Context,
    actor: Option<&Actor>,
    list: &PostList,
    with_total: bool,
) -> Result<Page, Error> {
    let query = to_query(ctx, actor, list)?;
    let mut probe = query.clone();
    // One extra row tells whether more follow.
    probe.limit = query.limit + 1;
    let mut rows = post_views::find(&ctx.db, &probe).await?;
    let more = crate::domain::listing::trim_to_page(&mut rows, query.limit);
    let search = post_views::search_text(&query).map(SearchWords::of);
    let items: Vec<PostView> =
        rows.into_iter().map(|row| with_snippet(effective(row, query.now), search.as_ref())).collect();
    let next_cursor = if more {
        cursor::encode(list.order, items.last(), query.offset.unwrap_or(0) + query.limit)
    } else {
        None
    };
    let total = if with_total {
        publish_due_before_counting(ctx).await?;
        Some(post_views::count(&ctx.db, &query).await?)
    } else {
        None
    };
    Ok(Page { items, next_cursor, total })
}

/// A search result carries a snippet of its body around the match (the
/// store hands over the body's start for it); lists carry no text.
fn with_snippet(mut row: PostView, search: Option<&SearchWords>) -> PostView {
    if let Some(search) = search {
        let body = std::mem::take(&mut row.post.fields.body);
        row.snippet = Some(snippet(&body, search));
    }
    row
}

fn to_query(ctx: &Context, actor: Option<&Actor>, list: &PostList) -> Result<PostQuery, Error> {
    let filter = &list.filter;
    let mut query = PostQuery::new(viewer_of(actor), ctx.clock.now());
    if filter.followed_by_viewer {
        let actor = actor.ok_or(Error::Unauthorized(AuthFailure::Missing))?;
        query.feed_of = Some(actor.account_id);
    }
    query.status = filter.status;
    query.author.clone_from(&filter.author);
    query.tag.clone_from(&filter.tag);
    query.category.clone_from(&filter.category);
    query.platform = filter.platform;
    query.content_type = filter.content_type;
    query.published_after = filter.published_after;
    query.published_before = filter.published_before;
    query.search.clone_from(&filter.search);
    query.liked_by.clone_from(&filter.liked_by);
    query.sort = list.order.sort;
    query.descending = list.order.descending;
    query.limit = list.page.limit();
    match &list.page {
        PageRequest::After { cursor: None, .. } => {}
        PageRequest::After { cursor: Some(raw), .. } => match cursor::decode(raw, list.order) {
            Some(Position::After(after)) => query.after = Some(after),
            Some(Position::Offset(offset)) => query.offset = Some(offset),
            None => return Err(Error::MalformedCursor),
        },
        PageRequest::Offset { offset, .. } => {
            let max = if filter.followed_by_viewer { MAX_FEED_OFFSET } else { MAX_OFFSET };
            if !(0..=max).contains(offset) {
                let message = format!("must be 0 to {max} (page further with cursors in /api/v1)");
                return Err(Error::invalid("offset", "out_of_range", &message));
            }
            query.offset = Some(*offset);
        }
    }
    Ok(query)
}
