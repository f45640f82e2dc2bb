//! `/.well-known/jwks.json`: the public keys (EdDSA) that verify Herald's
//! access tokens, for other services that accept them (RFC 7517).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Jwk;
use crate::http::AppState;
use crate::service::{Context, keys};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jwks))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct JwkSet {
    /// Every key that verifies tokens now: the signing key and those
    /// replaced but not yet retired. Empty when tokens are signed with HS256.
    keys: Vec<Jwk>,
}

/// The JSON Web Key Set of the access-token signing keys.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "The public keys, by `kid`", body = JwkSet)))]
async fn jwks(State(ctx): State<Context>) -> impl IntoResponse {
    // Verifiers refetch on an unknown `kid`; a short max-age bounds how
    // long a rotated-in key stays unknown to a cache.
    let cache = [(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"))];
    (cache, Json(JwkSet { keys: keys::public_keys(&ctx) }))
}
