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
    tags((name = "health", description = "Liveness and readiness probes"),
         (name = "meta", description = "This API's own description")),
)]
pub struct ApiDoc;

/// The serialised document, built once at start.
#[derive(Clone)]
pub struct OpenApiJson(pub Arc<String>);

#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "This OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(Extension(doc): Extension<OpenApiJson>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], doc.0.as_str().to_owned())
}
