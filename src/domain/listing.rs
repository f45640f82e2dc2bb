//! What a list of posts asks for — which posts, in which order, which page —
//! parsed from what a client sends. Every surface (v1 lists and feed,
//! RealWorld articles) builds one of these; the post service turns it into
//! a query for the viewer.

use chrono::{DateTime, Utc};

use super::{ContentType, Platform, PostStatus, ValidationError};

/// The order of a post list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostSort {
    PublishedAt,
    CreatedAt,
    UpdatedAt,
    Title,
    /// Search rank; only with a search query.
    Relevance,
    /// Views over the last 7 days (UTC days, today included); lists only
    /// posts viewed in that time.
    Popular,
}

impl PostSort {
    pub fn as_str(self) -> &'static str {
        match self {
            PostSort::PublishedAt => "published_at",
            PostSort::CreatedAt => "created_at",
            PostSort::UpdatedAt => "updated_at",
            PostSort::Title => "title",
            PostSort::Relevance => "relevance",
            PostSort::Popular => "popular",
        }
    }
}

/// Which posts a list shows.
#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    /// `published` includes scheduled posts whose time has come.
    pub status: Option<PostStatus>,
    /// An author's username.
    pub author: Option<String>,
    /// Normalised to lower case.
    pub tag: Option<String>,
    /// A category slug.
    pub category: Option<String>,
    pub platform: Option<Platform>,
    pub content_type: Option<ContentType>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    /// Full-text search words (trimmed, never empty).
    pub search: Option<String>,
    /// Only posts this username likes.
    pub liked_by: Option<String>,
    /// Only posts by authors the viewer follows (the feed).
    pub followed_by_viewer: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostOrder {
    pub sort: PostSort,
    pub descending: bool,
}

impl Default for PostOrder {
    fn default() -> Self {
        PostOrder { sort: PostSort::PublishedAt, descending: true }
    }
}

/// Which page of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRequest {
    /// After the opaque cursor of the previous page (the first page without one).
    After { cursor: Option<String>, limit: i64 },
    /// Skipping `offset` posts (the RealWorld way; bounded by the service).
    Offset { offset: i64, limit: i64 },
}

impl PageRequest {
    pub fn limit(&self) -> i64 {
        match self {
            PageRequest::After { limit, .. } | PageRequest::Offset { limit, .. } => *limit,
        }
    }
}

/// A whole list request.
#[derive(Debug, Clone)]
pub struct PostList {
    pub filter: PostFilter,
    pub order: PostOrder,
    pub page: PageRequest,
}

/// The default page size, and the largest.
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// A v1 list request as received, before validation.
#[derive(Debug, Clone, Default)]
pub struct PostListParams {
    pub status: Option<String>,
    pub author: Option<String>,
    pub tag: Option<String>,
    pub category: Option<String>,
    pub platform: Option<String>,
    pub content_type: Option<String>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

fn invalid(field: &str, message: &str) -> ValidationError {
    ValidationError::new(field, "invalid", message)
}

/// Parses an optional closed-set value, reporting `message` when unknown.
fn known<T: Copy>(
    errors: &mut Vec<ValidationError>,
    field: &str,
    raw: Option<&str>,
    all: &[T],
    name: impl Fn(T) -> &'static str,
    message: &str,
) -> Option<T> {
    let raw = raw?;
    let found = all.iter().copied().find(|v| name(*v) == raw);
    if found.is_none() {
        errors.push(invalid(field, message));
    }
    found
}

impl PostListParams {
    /// Checks every parameter, reporting each bad one.
    pub fn parse(self) -> Result<PostList, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let status = known(
            &mut errors,
            "status",
            self.status.as_deref(),
            PostStatus::ALL,
            PostStatus::as_str,
            "must be one of draft, scheduled, published, archived",
        );
        let platform = known(
            &mut errors,
            "platform",
            self.platform.as_deref(),
            Platform::ALL,
            Platform::as_str,
            "unknown platform",
        );
        let content_type = known(
            &mut errors,
            "content_type",
            self.content_type.as_deref(),
            ContentType::ALL,
            ContentType::as_str,
            "unknown content type",
        );
        let search = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
        let sort = match self.sort.as_deref() {
            None if search.is_some() => Some(PostSort::Relevance),
            None | Some("published_at") => Some(PostSort::PublishedAt),
            Some("created_at") => Some(PostSort::CreatedAt),
            Some("updated_at") => Some(PostSort::UpdatedAt),
            Some("title") => Some(PostSort::Title),
            Some("relevance") if search.is_some() => Some(PostSort::Relevance),
            Some("popular") if search.is_none() => Some(PostSort::Popular),
            Some(_) => None,
        };
        if sort.is_none() {
            errors.push(invalid(
                "sort",
                "must be published_at, created_at, updated_at, title, popular (without q), or relevance (with q)",
            ));
        }
        let descending = match self.order.as_deref() {
            None => Some(sort != Some(PostSort::Title)),
            Some("desc") => Some(true),
            Some("asc") => Some(false),
            Some(_) => None,
        };
        if descending.is_none() {
            errors.push(invalid("order", "must be asc or desc"));
        }
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(invalid("limit", "must be 1 to 100"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let filter = PostFilter {
            status,
            author: self.author,
            tag: self.tag.map(|t| t.trim().to_lowercase()),
            category: self.category,
            platform,
            content_type,
            published_after: self.published_after,
            published_before: self.published_before,
            search,
            liked_by: None,
            followed_by_viewer: false,
        };
        let order =
            PostOrder { sort: sort.unwrap_or(PostSort::PublishedAt), descending: descending.unwrap_or(true) };
        Ok(PostList { filter, order, page: PageRequest::After { cursor: self.cursor, limit } })
    }
}

/// Cuts a page read with one row beyond `limit` back to `limit`; `true`
/// when that extra row was there (more follow, so a next cursor is owed).
pub fn trim_to_page<T>(rows: &mut Vec<T>, limit: i64) -> bool {
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    more
}

/// An offset page (the RealWorld way): `limit` 1–100 (default 20), `offset`
/// 0–`max_offset` (default 0).
pub fn offset_page(
    limit: Option<i64>,
    offset: Option<i64>,
    max_offset: i64,
) -> Result<PageRequest, ValidationError> {
    let (limit, offset) = (limit.unwrap_or(DEFAULT_LIMIT), offset.unwrap_or(0));
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ValidationError::new("limit", "out_of_range", "must be 1 to 100"));
    }
    if !(0..=max_offset).contains(&offset) {
        let message = format!("must be 0 to {max_offset} (page further with cursors in /api/v1)");
        return Err(ValidationError::new("offset", "out_of_range", message));
    }
    Ok(PageRequest::Offset { offset, limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_parameter_is_reported_at_once() {
        let params = PostListParams {
            status: Some("gone".into()),
            platform: Some("myspace".into()),
            sort: Some("random".into()),
            order: Some("sideways".into()),
            limit: Some(0),
            ..PostListParams::default()
        };
        let fields: Vec<String> = params.parse().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["status", "platform", "sort", "order", "limit"]);
    }

    #[test]
    fn a_search_sorts_by_relevance_and_titles_ascend_unless_asked() {
        let search =
            PostListParams { q: Some("  rust ".into()), ..PostListParams::default() }.parse().unwrap();
        assert_eq!(search.filter.search.as_deref(), Some("rust"));
        assert_eq!(search.order, PostOrder { sort: PostSort::Relevance, descending: true });
        let titles =
            PostListParams { sort: Some("title".into()), ..PostListParams::default() }.parse().unwrap();
        assert_eq!(titles.order, PostOrder { sort: PostSort::Title, descending: false });
        let relevance_alone = PostListParams { sort: Some("relevance".into()), ..PostListParams::default() };
        assert!(relevance_alone.parse().is_err(), "relevance needs a query");
    }

    #[test]
    fn offsets_are_bounded() {
        assert_eq!(offset_page(None, None, 10), Ok(PageRequest::Offset { offset: 0, limit: 20 }));
        assert_eq!(offset_page(Some(5), Some(10), 10), Ok(PageRequest::Offset { offset: 10, limit: 5 }));
        assert_eq!(offset_page(None, Some(11), 10).unwrap_err().field, "offset");
        assert_eq!(offset_page(Some(101), None, 10).unwrap_err().field, "limit");
    }
}
