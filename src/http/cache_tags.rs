//! What each cacheable response shows, as cache tags (see `cache::tags`):
//! handlers attach these to their responses, and the response cache keeps
//! them with the entry.

use axum::response::{IntoResponseParts, ResponseParts};

use crate::cache::tags::{self, CacheTags};
use crate::domain::{PostId, PostList, PostSort, PostView};

impl IntoResponseParts for CacheTags {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

fn with(mut base: Vec<String>, categories: bool) -> Vec<String> {
    base.push(tags::USERS.to_owned());
    if categories {
        base.push(tags::CATEGORIES.to_owned());
    }
    base
}

/// One post: its own tag and the author's profile (and, for the v1 view,
/// which embeds them, category names and the text analysis).
pub(super) fn post(row: &PostView, v1_view: bool) -> CacheTags {
    let mut own = vec![tags::post(row.post.post_id)];
    if v1_view {
        own.push(tags::analysis(row.post.post_id));
    }
    CacheTags(with(own, v1_view))
}

/// A page of posts: its scope (which posts, in which order, how many) and
/// each post it shows.
pub(super) fn listing(list: &PostList, rows: &[PostView], embeds_categories: bool) -> CacheTags {
    let query = &list.filter;
    let mut out = with(rows.iter().map(|r| tags::post(r.post.post_id)).collect(), embeds_categories);
    let mut scoped = false;
    if let Some(author) = &query.author {
        out.push(tags::author_list(author));
        scoped = true;
    }
    if let Some(tag) = &query.tag {
        out.push(tags::tag_list(tag));
        scoped = true;
    }
    if let Some(category) = &query.category {
        out.push(tags::category_list(category));
        scoped = true;
    }
    if query.liked_by.is_some() {
        out.extend([tags::LIKES.to_owned(), tags::LIST.to_owned()]);
    }
    // Filters and orders that edits can change are not kept per scope.
    let edit_sensitive = query.search.is_some()
        || list.order.sort != PostSort::PublishedAt
        || query.platform.is_some()
        || query.content_type.is_some()
        || query.published_after.is_some()
        || query.published_before.is_some();
    if edit_sensitive {
        out.extend([tags::LIST.to_owned(), tags::EDITS.to_owned()]);
    } else if !scoped {
        out.push(tags::LIST.to_owned());
    }
    CacheTags(out)
}

/// A post's comments (and the post, whose visibility decides whether they show).
pub(super) fn comments(post_id: PostId) -> CacheTags {
    CacheTags(with(vec![tags::comments(post_id), tags::post(post_id)], false))
}

pub(super) fn profile(username: &str) -> CacheTags {
    CacheTags(with(vec![tags::profile(username)], false))
}

pub(super) fn tag_list() -> CacheTags {
    CacheTags(vec![tags::TAGS.to_owned()])
}

pub(super) fn categories() -> CacheTags {
    CacheTags(vec![tags::CATEGORIES.to_owned()])
}
