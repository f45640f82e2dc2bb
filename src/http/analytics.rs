//! Engagement analytics: reports of what readers did on pages Herald does
//! not serve (`POST /posts/{id}/engagement`, the tracking pixel), and the
//! reports (`/posts/{id}/analytics`, `/analytics/overview`, the CSV export).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthUser, ClientIp, MaybeAuthUser, PathId, UserAgent, ValidJson, ValidQuery};
use super::problem::{ApiError, Problem};
use crate::domain::PostId;
use crate::domain::engagement::{Day, DayRange, parse_period};
use crate::http::AppState;
use crate::service::Context;
use crate::service::analytics::reports::{self, Overview, PostReport};
use crate::service::analytics::{self, Client, EngagementInput};

pub(super) use super::problem::CONTENT_TYPE as PROBLEM;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report_engagement))
        .routes(routes!(pixel))
        .routes(routes!(post_analytics))
        .routes(routes!(overview))
        .routes(routes!(export_csv))
}

/// Something a reader did with a post on a page Herald does not serve.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EngagementBody {
    /// `view`, `share` or `click`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Where a share or click happened: blog, facebook, linkedin, x, instagram, threads, mastodon, bluesky.
    platform: Option<String>,
    /// The page's referrer (`document.referrer`); only its host is kept.
    referrer: Option<String>,
    /// The path of the page the post was read on (checked, not stored).
    path: Option<String>,
}

fn client<'a>(ip: &ClientIp, agent: &'a UserAgent) -> Client<'a> {
    Client { ip: ip.0, user_agent: agent.as_str() }
}

/// Report a view, share or click of a published post (anyone; rate-limited
/// per client by `rate_limit_engagement_per_minute`). Accepted reports are
/// counted unless they come from a bot or the post's author; with analytics
/// off they are accepted and not counted.
#[utoipa::path(post, path = "/api/v1/posts/{id}/engagement", tag = "analytics", params(("id" = i64, Path)),
    request_body = EngagementBody, security((), ("bearer" = []), ("api_key" = [])),
    responses(
        (status = 202, description = "Accepted"),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
        (status = 429, body = Problem, content_type = PROBLEM),
    ))]
async fn report_engagement(
    State(ctx): State<Context>,
    MaybeAuthUser(actor): MaybeAuthUser,
    PathId(id): PathId<PostId>,
    ip: ClientIp,
    agent: UserAgent,
    ValidJson(body): ValidJson<EngagementBody>,
) -> Result<StatusCode, ApiError> {
    let input = EngagementInput {
        kind: body.kind,
        platform: body.platform,
        referrer: body.referrer,
        path: body.path,
    };
    analytics::ingest(&ctx, actor.as_ref(), id, &input, client(&ip, &agent)).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct PixelParams {
    /// The page's referrer, if the page knows it; only its host is kept.
    referrer: Option<String>,
}

/// A transparent 1×1 GIF.
const GIF: &[u8] =
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00\
\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";

/// A tracking pixel counting one view, for pages without JavaScript:
/// `<img src="…/api/v1/posts/42/pixel.gif" alt="">`. Never cached.
#[utoipa::path(get, path = "/api/v1/posts/{id}/pixel.gif", tag = "analytics",
    params(("id" = i64, Path), PixelParams),
    responses(
        (status = 200, description = "A transparent 1×1 GIF", content_type = "image/gif"),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
        (status = 429, body = Problem, content_type = PROBLEM),
    ))]
async fn pixel(
    State(ctx): State<Context>,
    MaybeAuthUser(actor): MaybeAuthUser,
    PathId(id): PathId<PostId>,
    ip: ClientIp,
    agent: UserAgent,
    ValidQuery(params): ValidQuery<PixelParams>,
) -> Result<Response, ApiError> {
    let input =
        EngagementInput { kind: Some("view".to_owned()), referrer: params.referrer, ..Default::default() };
    analytics::ingest(&ctx, actor.as_ref(), id, &input, client(&ip, &agent)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/gif")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        GIF,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct RangeParams {
    /// First day, `YYYY-MM-DD` (UTC); default: 29 days before `to`.
    from: Option<String>,
    /// Last day, included; default: today (UTC).
    to: Option<String>,
}

fn range_of(
    ctx: &Context,
    from: Option<&str>,
    to: Option<&str>,
    default_days: i64,
) -> Result<DayRange, ApiError> {
    let today = Day::of(ctx.clock.now());
    DayRange::parse(from, to, today, default_days).map_err(ApiError::validation)
}

/// One post's engagement by day (its author, editors and admins): totals,
/// every day of the range (zeros included), top referrers and platforms.
#[utoipa::path(get, path = "/api/v1/posts/{id}/analytics", tag = "analytics",
    params(("id" = i64, Path), RangeParams), security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = PostReport),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn post_analytics(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId<PostId>,
    ValidQuery(params): ValidQuery<RangeParams>,
) -> Result<Json<PostReport>, ApiError> {
    let range = range_of(&ctx, params.from.as_deref(), params.to.as_deref(), 30)?;
    Ok(Json(reports::post_report(&ctx, &actor, id, range).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct OverviewParams {
    /// `7d`, `30d` (default), `90d` or `365d`, ending today; or give `from`/`to`.
    period: Option<String>,
    /// First day, `YYYY-MM-DD` (instead of `period`).
    from: Option<String>,
    /// Last day, included (instead of `period`).
    to: Option<String>,
}

/// Totals with the change against the previous period, the top 10 posts by
/// views and by engagement rate, and the daily series. Authors see their
/// own posts; editors and admins everyone's.
#[utoipa::path(get, path = "/api/v1/analytics/overview", tag = "analytics", params(OverviewParams),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = Overview),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn overview(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidQuery(params): ValidQuery<OverviewParams>,
) -> Result<Json<Overview>, ApiError> {
    let range = match (params.period.as_deref(), params.from.is_some() || params.to.is_some()) {
        (Some(_), true) => {
            return Err(crate::service::Error::invalid(
                "period",
                "invalid",
                "give either `period` or `from`/`to`, not both",
            )
            .into());
        }
        (Some(period), false) => {
            let days = parse_period(period).map_err(|e| ApiError::validation(vec![e]))?;
            DayRange::last(days, Day::of(ctx.clock.now()))
        }
        (None, _) => range_of(&ctx, params.from.as_deref(), params.to.as_deref(), 30)?,
    };
    Ok(Json(reports::overview(&ctx, &actor, range).await?))
}

/// Every post's engagement per day as CSV (one row per post and day with
/// any activity), streamed page by page. Authors get their own posts;
/// editors and admins everyone's.
#[utoipa::path(get, path = "/api/v1/analytics/export.csv", tag = "analytics", params(RangeParams),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "`date,post_id,slug,title,views,visitors,likes,unlikes,comments,shares,clicks`",
         content_type = "text/csv"),
        (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM),
    ))]
async fn export_csv(
    State(ctx): State<Context>,
    AuthUser(actor): AuthUser,
    ValidQuery(params): ValidQuery<RangeParams>,
) -> Result<Response, ApiError> {
    let range = range_of(&ctx, params.from.as_deref(), params.to.as_deref(), 30)?;
    let scope = reports::export_scope(&actor)?;
    let disposition = format!("attachment; filename=\"herald-analytics-{}-{}.csv\"", range.from, range.to);
    let body = Body::from_stream(reports::export(ctx, scope, range));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
