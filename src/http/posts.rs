//! `/api/v1/posts`: create, read (by id or slug), list and search, change
//! and delete posts. Workflow actions, likes and revisions are in
//! `post_actions`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cache_tags;
use super::extract::{AuthUser, IfMatch, MaybeAuthUser, PathId, ValidJson, ValidQuery, etag};
use super::problem::{ApiError, Problem};
use crate::cache::CacheTags;
use crate::domain::PostId;
use crate::domain::PostView as Post;
use crate::domain::{BriefId, PostFields, PostList, PostListParams, PostRecord};
use crate::http::AppState;
use crate::service::Context;
use crate::service::posts::{self, BySlug, PostInput};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_posts, create_post))
        .routes(routes!(get_post, update_post, delete_post))
        .routes(routes!(get_post_by_slug))
}

pub(super) use super::problem::CONTENT_TYPE as PROBLEM;

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AuthorView {
    pub username: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    /// Whether the viewer follows the author.
    pub following: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CategoryRef {
    pub slug: String,
    pub name: String,
}

/// What every post representation shows: all but the text.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PostSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    /// `draft`, `scheduled`, `published` or `archived`.
    pub status: String,
    pub publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub author: AuthorView,
    pub category: Option<CategoryRef>,
    pub tags: Vec<String>,
    pub platforms: Vec<String>,
    pub content_type: String,
    pub like_count: i64,
    pub comment_count: i64,
    /// Whether the viewer likes this post.
    pub liked: bool,
    /// Increases with every change; the `ETag` starts with `"v<version>`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A post with its full text.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PostView {
    #[serde(flatten)]
    pub summary: PostSummary,
    /// Markdown source.
    pub body: String,
    /// The body rendered to sanitised HTML.
    pub body_html: String,
    /// Analysis of the body's text (sentiment, keywords, language,
    /// readability, entities) checked against the post's platforms;
    /// recomputed whenever the body or the platforms change.
    pub analysis: Option<crate::content::analysis::Analysis>,
    /// `done`, or `pending` while the analysis of the current text is queued
    /// (it is computed in the background after every save).
    pub analysis_status: &'static str,
    /// The generation brief this post was drafted from, if any.
    pub brief_id: Option<i64>,
}

/// A post in a list: the summary, plus the search snippet.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PostListItem {
    #[serde(flatten)]
    pub summary: PostSummary,
    /// With `q`: where the post matched, HTML-escaped, matches in `<mark>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

/// Escapes the snippet's text and marks matches (the database marks them
/// with control characters, which cannot occur in escaped text).
fn safe_snippet(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '\u{1}' => out.push_str("<mark>"),
            '\u{2}' => out.push_str("</mark>"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The one conversion from the read model: the text goes to `PostView`,
/// the snippet to `PostListItem`.
fn split_row(row: Post) -> (PostSummary, PostFields, Option<String>) {
    let PostRecord { post_id, fields, version, created_at, updated_at, .. } = row.post;
    let summary = PostSummary {
        author: AuthorView {
            username: row.author_username,
            display_name: row.author_display_name,
            avatar_url: row.author_avatar_url,
            following: row.following_author,
        },
        category: match (row.category_slug, row.category_name) {
            (Some(slug), Some(name)) => Some(CategoryRef { slug, name }),
            _ => None,
        },
        tags: fields.tags.as_slice().to_vec(),
        platforms: fields.platforms.as_slice().iter().map(|p| p.as_str().to_owned()).collect(),
        id: post_id.get(),
        slug: fields.slug.clone(),
        title: fields.title.clone(),
        excerpt: fields.excerpt.clone(),
        status: fields.status.as_str().to_owned(),
        publish_at: fields.publish_at,
        published_at: fields.published_at,
        content_type: fields.content_type.as_str().to_owned(),
        like_count: row.like_count,
        comment_count: row.comment_count,
        liked: row.liked,
        version,
        created_at,
        updated_at,
    };
    (summary, fields, row.snippet)
}

impl From<Post> for PostView {
    fn from(row: Post) -> Self {
        let brief_id = row.post.brief_id.map(BriefId::get);
        let (summary, fields, _) = split_row(row);
        let analysis = fields.analysis.as_deref().and_then(|json| serde_json::from_str(json).ok());
        let analysis_status = if analysis.is_some() { "done" } else { "pending" };
        PostView {
            summary,
            body: fields.body,
            body_html: fields.body_html,
            analysis,
            analysis_status,
            brief_id,
        }
    }
}

impl From<Post> for PostListItem {
    fn from(row: Post) -> Self {
        let (summary, _, snippet) = split_row(row);
        PostListItem { summary, snippet: snippet.as_deref().map(safe_snippet) }
    }
}

/// A post response with its `ETag`.
pub(super) fn with_etag(status: StatusCode, row: Post) -> Response {
    let version = row.post.version;
    let depends_on = cache_tags::post(&row, true);
    (status, [etag(version)], depends_on, Json(PostView::from(row))).into_response()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreatePost {
    title: Option<String>,
    /// Markdown, up to 100,000 characters.
    body: Option<String>,
    /// Derived from the body when absent or empty.
    excerpt: Option<String>,
    /// Derived from the title when absent.
    slug: Option<String>,
    /// At most 20; normalised to lower case.
    tags: Option<Vec<String>>,
    /// A category slug.
    category: Option<String>,
    /// Any of blog, facebook, linkedin, x, instagram, threads, mastodon, bluesky (default: blog).
    platforms: Option<Vec<String>>,
    /// article (default), announcement, educational, promotional, update.
    content_type: Option<String>,
    /// `true` publishes at once instead of creating a draft.
    publish: Option<bool>,
}

/// Create a post (authors, editors, admins). It starts as a draft unless `publish` is set.
#[utoipa::path(post, path = "/api/v1/posts", tag = "posts", request_body = CreatePost,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, body = PostView, headers(("ETag" = String), ("Location" = String))),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, description = "The requested slug is taken", body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn create_post(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidJson(body): ValidJson<CreatePost>,
) -> Result<Response, ApiError> {
    let publish = body.publish.unwrap_or(false);
    let input = PostInput {
        title: body.title,
        body: body.body,
        excerpt: body.excerpt,
        slug: body.slug,
        tags: body.tags,
        category: body.category,
        platforms: body.platforms,
        content_type: body.content_type,
        brief_id: None,
    };
    let row = posts::create(&ctx, &actor, &input, publish).await?;
    let location = format!("/api/v1/posts/{}", row.post.post_id);
    let mut response = with_etag(StatusCode::CREATED, row);
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// A post by id, as the caller may see it.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "posts", params(("id" = i64, Path)),
    security((), ("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PostView, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
    ))]
async fn get_post(
    State(ctx): State<Context>,
    MaybeAuthUser(actor): MaybeAuthUser,
    PathId(id): PathId<PostId>,
) -> Result<Response, ApiError> {
    Ok(read_response(posts::get(&ctx, actor.as_ref(), id).await?, actor.as_ref()))
}

/// A post as read by `actor`, counted as a view when it is one.
fn read_response(row: Post, actor: Option<&crate::service::Actor>) -> Response {
    let version = row.post.version;
    let mut depends_on = cache_tags::post(&row, true);
    let view = super::views::view_of(&row, actor, &mut depends_on);
    (StatusCode::OK, [etag(version)], depends_on, view, Json(PostView::from(row))).into_response()
}

/// A post by slug; an old slug answers 301 with the current location.
#[utoipa::path(get, path = "/api/v1/posts/by-slug/{slug}", tag = "posts", params(("slug" = String, Path)),
    security((), ("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PostView, headers(("ETag" = String))),
        (status = 301, description = "The post has a new slug; see Location"),
        (status = 404, body = Problem, content_type = PROBLEM),
    ))]
async fn get_post_by_slug(
    State(ctx): State<Context>,
    MaybeAuthUser(actor): MaybeAuthUser,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    match posts::get_by_slug(&ctx, actor.as_ref(), &slug).await? {
        BySlug::Found(row) => Ok(read_response(*row, actor.as_ref())),
        BySlug::Moved(current) => Ok((
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, format!("/api/v1/posts/by-slug/{current}"))],
        )
            .into_response()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UpdatePost {
    title: Option<String>,
    body: Option<String>,
    /// Empty string: derive from the body again.
    excerpt: Option<String>,
    /// Changing the slug of a published post keeps the old one redirecting.
    slug: Option<String>,
    tags: Option<Vec<String>>,
    /// Category slug; empty string removes the category.
    category: Option<String>,
    platforms: Option<Vec<String>>,
    content_type: Option<String>,
}

/// Change a post (its author or an editor). Send `If-Match` with the `ETag`
/// you read to avoid overwriting someone else's change (412 if it moved on).
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "posts", params(("id" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed")),
    request_body = UpdatePost, security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PostView, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM),
        (status = 412, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn update_post(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<PostId>,
    IfMatch(if_match): IfMatch,
    ValidJson(body): ValidJson<UpdatePost>,
) -> Result<Response, ApiError> {
    let input = PostInput {
        title: body.title,
        body: body.body,
        excerpt: body.excerpt,
        slug: body.slug,
        tags: body.tags,
        category: body.category,
        platforms: body.platforms,
        content_type: body.content_type,
        brief_id: None,
    };
    Ok(with_etag(StatusCode::OK, posts::update(&ctx, &actor, id, &input, if_match).await?))
}

/// Delete a post (its author or an editor); honours `If-Match`.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "posts", params(("id" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted")),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 412, body = Problem, content_type = PROBLEM),
    ))]
async fn delete_post(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<PostId>,
    IfMatch(if_match): IfMatch,
) -> Result<StatusCode, ApiError> {
    posts::delete(&ctx, &actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// draft, scheduled, published or archived (within what you may see).
    status: Option<String>,
    /// Author username.
    author: Option<String>,
    tag: Option<String>,
    /// Category slug.
    category: Option<String>,
    platform: Option<String>,
    content_type: Option<String>,
    /// RFC 3339; inclusive.
    published_after: Option<DateTime<Utc>>,
    /// RFC 3339; exclusive.
    published_before: Option<DateTime<Utc>>,
    /// Full-text search over title, tags and body.
    q: Option<String>,
    /// published_at (default), created_at, updated_at, title, relevance (default with `q`), or popular: views over the last 7 days, listing only posts viewed then (not with `q`; pages by offset cursor).
    sort: Option<String>,
    /// asc or desc (default desc; asc for title).
    order: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1–100, default 20.
    limit: Option<i64>,
    /// Also return `total`, the number of matching posts.
    include_total: Option<bool>,
}

impl From<ListParams> for PostListParams {
    fn from(p: ListParams) -> Self {
        PostListParams {
            status: p.status,
            author: p.author,
            tag: p.tag,
            category: p.category,
            platform: p.platform,
            content_type: p.content_type,
            published_after: p.published_after,
            published_before: p.published_before,
            q: p.q,
            sort: p.sort,
            order: p.order,
            cursor: p.cursor,
            limit: p.limit,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PostPage {
    pub items: Vec<PostListItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// Renders a service page, with the cache tags of what it shows.
pub(super) fn page(list: &PostList, page: posts::Page) -> (CacheTags, Json<PostPage>) {
    let depends_on = cache_tags::listing(list, &page.items, true);
    let items = page.items.into_iter().map(Into::into).collect();
    (depends_on, Json(PostPage { items, next_cursor: page.next_cursor, total: page.total }))
}

/// List and search posts visible to the caller, with filters, sorting and
/// keyset pagination.
#[utoipa::path(get, path = "/api/v1/posts", tag = "posts", params(ListParams),
    security((), ("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PostPage),
        (status = 400, description = "Malformed cursor", body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 422, description = "Unknown parameter or value", body = Problem, content_type = PROBLEM),
    ))]
async fn list_posts(
    State(ctx): State<Context>,
    MaybeAuthUser(actor): MaybeAuthUser,
    ValidQuery(params): ValidQuery<ListParams>,
) -> Result<(CacheTags, Json<PostPage>), ApiError> {
    let include_total = params.include_total.unwrap_or(false);
    let list = PostListParams::from(params).parse().map_err(ApiError::validation)?;
    Ok(page(&list, posts::list(&ctx, actor.as_ref(), &list, include_total).await?))
}
