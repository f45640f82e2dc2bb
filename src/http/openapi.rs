//! The OpenAPI 3.1 document, assembled from the routes themselves (utoipa-axum
//! registers each handler's path with its route), served at `/openapi.json`.

use std::sync::Arc;

use axum::Extension;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;

use super::problem::Problem;
use crate::domain::ValidationError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Herald",
        description = "Self-hosted backend for blog and social-media posts. Errors are RFC 9457 \
                       `application/problem+json` documents carrying the request id.",
    ),
    components(schemas(Problem, ValidationError)),
    modifiers(&SecuritySchemes),
    tags((name = "health", description = "Liveness and readiness probes"),
         (name = "auth", description = "Registration, sign-in, token refresh and sign-out"),
         (name = "me", description = "The signed-in account"),
         (name = "users", description = "Account administration (admins)"),
         (name = "api-keys", description = "Scoped API keys"),
         (name = "posts", description = "Posts: create, read, list, search, change, like"),
         (name = "workflow", description = "draft → scheduled → published → archived → draft"),
         (name = "revisions", description = "Stored versions of a post's text"),
         (name = "comments", description = "Comments and one level of replies"),
         (name = "categories", description = "Categories and tags"),
         (name = "profiles", description = "Public profiles, following and the feed"),
         (name = "intelligence", description = "Text analysis and post generation from a brief"),
         (name = "events", description = "The audit log: every change as a domain event"),
         (name = "jobs", description = "The durable job queue (admins)"),
         (name = "webhooks", description = "Webhook subscriptions and their delivery log (admins)"),
         (name = "analytics", description = "Engagement: views, shares and clicks counted, daily reports, CSV export"),
         (name = "realworld", description = "The RealWorld (Conduit) API under /api: the same data and rules as /api/v1"),
         (name = "meta", description = "This API's own description")),
)]
#[derive(Debug)]
pub struct ApiDoc;

/// `bearer`: an access token (JWT) or API key in `Authorization: Bearer …`;
/// `api_key`: an API key in `X-API-Key`.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from /api/v1/auth/login, or an API key (hk_…)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key (hk_…)",
            ))),
        );
    }
}

/// The serialised document, built once at start.
#[derive(Debug, Clone)]
pub struct OpenApiJson(pub Arc<String>);

#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "This OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(Extension(doc): Extension<OpenApiJson>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], doc.0.as_str().to_owned())
}

/// Documents the answers every operation of a kind can give, which the
/// handlers' own annotations leave out because the middleware or the
/// extractors produce them: 401/403 where credentials are required, 400
/// (malformed JSON), 413, 415 and 422 where a body is read, 404 where a path
/// names a resource, and 429/503 (rate limits, load shedding, time-outs)
/// everywhere but the probes. RealWorld paths answer with its error body, the rest with problems.
pub fn add_common_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

    /// Which body a status has: the surface's own (RealWorld handlers answer
    /// in its format), or a problem (what the middleware writes everywhere).
    #[derive(Clone, Copy)]
    enum Shape {
        Surface,
        Problem,
        /// A body-size refusal comes from the extractor (surface format) or
        /// from the body-limit layer (a problem).
        Either,
    }

    for (path, item) in &mut doc.paths.paths {
        let realworld = path.starts_with("/api/") && !path.starts_with("/api/v1/");
        let operations: [&mut Option<Operation>; 5] =
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let mut statuses: Vec<(u16, &str, Shape)> = Vec::new();
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                statuses.push((401, "Missing, invalid or expired credentials", Shape::Surface));
            }
            if path.starts_with("/api/") && operation.security.is_some() {
                statuses.push((403, "The credentials do not allow this", Shape::Surface));
            }
            if operation.request_body.is_some() {
                statuses.push((400, "The body is not well-formed JSON", Shape::Surface));
                statuses.push((413, "The body exceeds the size limit", Shape::Either));
                statuses.push((415, "The body is not `application/json`", Shape::Surface));
                statuses.push((422, "Invalid input, one entry per field", Shape::Surface));
            }
            let has_query = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
            if has_query || (realworld && path.contains('{')) {
                statuses.push((422, "Invalid parameters, one entry per parameter", Shape::Surface));
            }
            if path.contains('{') {
                statuses.push((404, "No such resource (or not visible to the caller)", Shape::Surface));
            }
            // Probes and metrics are exempt from rate limits and shedding.
            if !path.starts_with("/health/") && path != "/metrics" {
                statuses.push((429, "Rate limit exceeded; see Retry-After", Shape::Problem));
                statuses.push((503, "Overloaded or timed out; retry later", Shape::Problem));
            }
            for (status, description, shape) in statuses {
                operation.responses.responses.entry(status.to_string()).or_insert_with(|| {
                    let content = |schema: &str| {
                        ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build()
                    };
                    let problem = (super::problem::CONTENT_TYPE, "Problem");
                    let surface = if realworld { ("application/json", "ErrorBody") } else { problem };
                    let mut response = ResponseBuilder::new().description(description);
                    for (content_type, schema) in match shape {
                        Shape::Surface => vec![surface],
                        Shape::Problem => vec![problem],
                        Shape::Either if realworld => vec![surface, problem],
                        Shape::Either => vec![problem],
                    } {
                        response = response.content(content_type, content(schema));
                    }
                    RefOr::T(response.build())
                });
            }
        }
    }
}
