//! `/api/articles…` and `/api/tags`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    ErrorBody, Profile, RwAuth, RwError, RwJson, RwMaybeAuth, RwQuery, in_realworld_terms, timestamp,
};
use crate::cache::CacheTags;
use crate::domain::PostView;
use crate::domain::listing::offset_page;
use crate::domain::{PostFilter, PostList, PostOrder, PostStatus};
use crate::http::AppState;
use crate::http::cache_tags;
use crate::http::views::{self, ViewOf};
use crate::service::Context;
use crate::service::categories;
use crate::service::posts::{self, PostInput};
use crate::service::{Actor, Error};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_articles, create_article))
        .routes(routes!(feed))
        .routes(routes!(get_article, update_article, delete_article))
        .routes(routes!(favorite, unfavorite))
        .routes(routes!(tags))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Article {
    pub slug: String,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Alphabetical, as RealWorld clients expect.
    pub tag_list: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub favorited: bool,
    pub favorites_count: i64,
    pub author: Profile,
}

fn article(row: PostView, with_body: bool) -> Article {
    let mut tag_list = row.post.fields.tags.as_slice().to_vec();
    tag_list.sort();
    Article {
        tag_list,
        created_at: timestamp(row.post.created_at),
        updated_at: timestamp(row.post.updated_at),
        favorited: row.liked,
        favorites_count: row.like_count,
        author: Profile {
            username: row.author_username,
            bio: row.author_bio,
            image: row.author_avatar_url,
            following: row.following_author,
        },
        slug: row.post.fields.slug,
        title: row.post.fields.title,
        description: row.post.fields.excerpt,
        body: with_body.then_some(row.post.fields.body),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ArticleEnvelope {
    pub article: Article,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ArticlesEnvelope {
    pub articles: Vec<Article>,
    pub articles_count: i64,
}

fn one(row: PostView) -> Json<ArticleEnvelope> {
    Json(ArticleEnvelope { article: article(row, true) })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Filter by tag.
    tag: Option<String>,
    /// Filter by author username.
    author: Option<String>,
    /// Only articles this username favourited.
    favorited: Option<String>,
    /// 1–100, default 20.
    limit: Option<i64>,
    /// 0–10000, default 0.
    offset: Option<i64>,
}

/// Published posts, newest first, by offset (the RealWorld way).
fn articles(
    filter: PostFilter,
    limit: Option<i64>,
    offset: Option<i64>,
    max_offset: i64,
) -> Result<PostList, RwError> {
    let page =
        offset_page(limit, offset, max_offset).map_err(|e| RwError::from(Error::Validation(vec![e])))?;
    let filter = PostFilter { status: Some(PostStatus::Published), ..filter };
    Ok(PostList { filter, order: PostOrder::default(), page })
}

async fn run(
    ctx: &Context,
    actor: Option<&Actor>,
    list: &PostList,
) -> Result<(CacheTags, Json<ArticlesEnvelope>), RwError> {
    let page = posts::list(ctx, actor, list, true).await?;
    let depends_on = cache_tags::listing(list, &page.items, false);
    let articles = page.items.into_iter().map(|r| article(r, false)).collect();
    Ok((depends_on, Json(ArticlesEnvelope { articles, articles_count: page.total.unwrap_or(0) })))
}

/// List articles (RealWorld).
#[utoipa::path(get, path = "/api/articles", tag = "realworld", params(ListParams),
    responses((status = 200, body = ArticlesEnvelope), (status = 422, body = ErrorBody)))]
async fn list_articles(
    State(ctx): State<Context>,
    RwMaybeAuth(actor): RwMaybeAuth,
    RwQuery(params): RwQuery<ListParams>,
) -> Result<(CacheTags, Json<ArticlesEnvelope>), RwError> {
    let filter = PostFilter {
        tag: params.tag.map(|t| t.trim().to_lowercase()),
        author: params.author,
        liked_by: params.favorited,
        ..PostFilter::default()
    };
    let list = articles(filter, params.limit, params.offset, posts::MAX_OFFSET)?;
    run(&ctx, actor.as_ref(), &list).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FeedParams {
    /// 1–100, default 20.
    limit: Option<i64>,
    /// 0–1000, default 0.
    offset: Option<i64>,
}

/// Articles by followed users (RealWorld).
#[utoipa::path(get, path = "/api/articles/feed", tag = "realworld", params(FeedParams), security(("bearer" = [])),
    responses((status = 200, body = ArticlesEnvelope), (status = 401, body = ErrorBody)))]
async fn feed(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    RwQuery(params): RwQuery<FeedParams>,
) -> Result<(CacheTags, Json<ArticlesEnvelope>), RwError> {
    let filter = PostFilter { followed_by_viewer: true, ..PostFilter::default() };
    let list = articles(filter, params.limit, params.offset, posts::MAX_FEED_OFFSET)?;
    run(&ctx, Some(&actor), &list).await
}

/// One article (RealWorld).
#[utoipa::path(get, path = "/api/articles/{slug}", tag = "realworld", params(("slug" = String, Path)),
    responses((status = 200, body = ArticleEnvelope), (status = 404, body = ErrorBody)))]
async fn get_article(
    State(ctx): State<Context>,
    RwMaybeAuth(actor): RwMaybeAuth,
    Path(slug): Path<String>,
) -> Result<(CacheTags, Option<ViewOf>, Json<ArticleEnvelope>), RwError> {
    let row = posts::published_by_slug(&ctx, actor.as_ref(), &slug).await?;
    let mut depends_on = cache_tags::post(&row, false);
    let view = views::view_of(&row, actor.as_ref(), &mut depends_on);
    Ok((depends_on, view, one(row)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct ArticleRequest<T> {
    article: Option<T>,
}

fn unwrap_envelope<T>(request: ArticleRequest<T>) -> Result<T, RwError> {
    request
        .article
        .ok_or_else(|| Error::invalid("article", "required", "the body must be {\"article\": {…}}").into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleFields {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
    tag_list: Option<Vec<String>>,
}

impl From<ArticleFields> for PostInput {
    fn from(a: ArticleFields) -> Self {
        PostInput {
            title: a.title,
            body: a.body,
            excerpt: a.description,
            tags: a.tag_list,
            ..PostInput::default()
        }
    }
}

/// Create an article, published at once (RealWorld).
#[utoipa::path(post, path = "/api/articles", tag = "realworld", request_body = ArticleRequest<ArticleFields>,
    security(("bearer" = [])),
    responses((status = 201, body = ArticleEnvelope), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_article(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    RwJson(body): RwJson<ArticleRequest<ArticleFields>>,
) -> Result<(StatusCode, Json<ArticleEnvelope>), RwError> {
    let input: PostInput = unwrap_envelope(body)?.into();
    Ok((
        StatusCode::CREATED,
        one(posts::create(&ctx, &actor, &input, true).await.map_err(in_realworld_terms)?),
    ))
}

/// Update an article (its author or an editor; RealWorld).
#[utoipa::path(put, path = "/api/articles/{slug}", tag = "realworld", params(("slug" = String, Path)),
    request_body = ArticleRequest<ArticleFields>, security(("bearer" = [])),
    responses((status = 200, body = ArticleEnvelope), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_article(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    Path(slug): Path<String>,
    RwJson(body): RwJson<ArticleRequest<ArticleFields>>,
) -> Result<Json<ArticleEnvelope>, RwError> {
    let input: PostInput = unwrap_envelope(body)?.into();
    let post = posts::published_by_slug(&ctx, Some(&actor), &slug).await?;
    Ok(one(posts::update(&ctx, &actor, post.post.post_id, &input, None).await.map_err(in_realworld_terms)?))
}

/// Delete an article (its author or an editor; RealWorld).
#[utoipa::path(delete, path = "/api/articles/{slug}", tag = "realworld", params(("slug" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_article(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    Path(slug): Path<String>,
) -> Result<StatusCode, RwError> {
    let post = posts::published_by_slug(&ctx, Some(&actor), &slug).await?;
    posts::delete(&ctx, &actor, post.post.post_id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Favourite an article (RealWorld).
#[utoipa::path(post, path = "/api/articles/{slug}/favorite", tag = "realworld", params(("slug" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ArticleEnvelope), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn favorite(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    Path(slug): Path<String>,
) -> Result<Json<ArticleEnvelope>, RwError> {
    let post = posts::published_by_slug(&ctx, Some(&actor), &slug).await?;
    Ok(one(posts::set_like(&ctx, &actor, post.post.post_id, true).await?))
}

/// Remove a favourite (RealWorld).
#[utoipa::path(delete, path = "/api/articles/{slug}/favorite", tag = "realworld", params(("slug" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ArticleEnvelope), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unfavorite(
    State(ctx): State<Context>,
    RwAuth(actor): RwAuth,
    Path(slug): Path<String>,
) -> Result<Json<ArticleEnvelope>, RwError> {
    let post = posts::published_by_slug(&ctx, Some(&actor), &slug).await?;
    Ok(one(posts::set_like(&ctx, &actor, post.post.post_id, false).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TagsEnvelope {
    pub tags: Vec<String>,
}

/// Tags, most used first (RealWorld).
#[utoipa::path(get, path = "/api/tags", tag = "realworld", responses((status = 200, body = TagsEnvelope)))]
async fn tags(State(ctx): State<Context>) -> Result<(CacheTags, Json<TagsEnvelope>), RwError> {
    let tags = categories::tags(&ctx, 100).await?;
    Ok((cache_tags::tag_list(), Json(TagsEnvelope { tags: tags.into_iter().map(|t| t.tag).collect() })))
}
