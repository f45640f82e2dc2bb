//! `/api/v1/categories` (editors manage) and `/api/v1/tags`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cache_tags;
use super::extract::{AuthUser, ValidJson, ValidQuery};
use super::posts::PROBLEM;
use super::problem::{ApiError, Problem};
use crate::cache::CacheTags;
use crate::domain::Category;
use crate::http::AppState;
use crate::service::Context;
use crate::service::categories::{self, CategoryInput};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(get_category, update_category, delete_category))
        .routes(routes!(list_tags))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CategoryView {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Published posts in this category.
    pub post_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Category> for CategoryView {
    fn from(c: Category) -> Self {
        CategoryView {
            slug: c.slug,
            name: c.name,
            description: c.description,
            post_count: c.post_count,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    /// 1–100 characters.
    name: Option<String>,
    /// Derived from the name when absent.
    slug: Option<String>,
    description: Option<String>,
}

impl From<CategoryBody> for CategoryInput {
    fn from(b: CategoryBody) -> Self {
        CategoryInput { slug: b.slug, name: b.name, description: b.description }
    }
}

/// All categories with their published-post counts.
#[utoipa::path(get, path = "/api/v1/categories", tag = "categories", responses((status = 200, body = Vec<CategoryView>)))]
async fn list_categories(
    State(ctx): State<Context>,
) -> Result<(CacheTags, Json<Vec<CategoryView>>), ApiError> {
    let all = categories::list(&ctx).await?;
    Ok((cache_tags::categories(), Json(all.into_iter().map(Into::into).collect())))
}

/// Create a category (editors).
#[utoipa::path(post, path = "/api/v1/categories", tag = "categories", request_body = CategoryBody,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = CategoryView), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
async fn create_category(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidJson(body): ValidJson<CategoryBody>,
) -> Result<(StatusCode, Json<CategoryView>), ApiError> {
    Ok((StatusCode::CREATED, Json(categories::create(&ctx, &actor, &body.into()).await?.into())))
}

/// One category.
#[utoipa::path(get, path = "/api/v1/categories/{slug}", tag = "categories", params(("slug" = String, Path)),
    responses((status = 200, body = CategoryView), (status = 404, body = Problem, content_type = PROBLEM)))]
async fn get_category(
    State(ctx): State<Context>,
    Path(slug): Path<String>,
) -> Result<(CacheTags, Json<CategoryView>), ApiError> {
    Ok((cache_tags::categories(), Json(categories::get(&ctx, &slug).await?.into())))
}

/// Change a category (editors).
#[utoipa::path(patch, path = "/api/v1/categories/{slug}", tag = "categories", params(("slug" = String, Path)),
    request_body = CategoryBody, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = CategoryView), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
async fn update_category(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    Path(slug): Path<String>,
    ValidJson(body): ValidJson<CategoryBody>,
) -> Result<Json<CategoryView>, ApiError> {
    Ok(Json(categories::update(&ctx, &actor, &slug, &body.into()).await?.into()))
}

/// Delete a category (editors); its posts become uncategorised.
#[utoipa::path(delete, path = "/api/v1/categories/{slug}", tag = "categories", params(("slug" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
async fn delete_category(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    categories::delete(&ctx, &actor, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TagView {
    pub tag: String,
    /// Published posts with this tag.
    pub post_count: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct TagParams {
    /// 1–1000, default 100.
    limit: Option<i64>,
}

/// Tags of published posts, most used first.
#[utoipa::path(get, path = "/api/v1/tags", tag = "categories", params(TagParams),
    responses((status = 200, body = Vec<TagView>), (status = 422, body = Problem, content_type = PROBLEM)))]
async fn list_tags(
    State(ctx): State<Context>,
    ValidQuery(params): ValidQuery<TagParams>,
) -> Result<(CacheTags, Json<Vec<TagView>>), ApiError> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(crate::service::Error::invalid("limit", "out_of_range", "must be 1 to 1000").into());
    }
    let tags = categories::tags(&ctx, limit).await?;
    let views = tags.into_iter().map(|t| TagView { tag: t.tag, post_count: t.post_count }).collect();
    Ok((cache_tags::tag_list(), Json(views)))
}
