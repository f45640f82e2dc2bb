//! `/.well-known/jwks.json`: the public keys (EdDSA) that verify Herald's
//! access tokens, for other services that accept them (RFC 7517).

use axum::Json;
use axum::extract::State;
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
async fn jwks(State(ctx): State<Context>) -> Json<JwkSet> {
    // Cached like every anonymous read (`cache_max_age_secs`); a verifier
    // meeting an unknown `kid` fetches the set again.
    Json(JwkSet { keys: keys::public_keys(&ctx) })
}
