//! Access-token signing keys: EdDSA tokens other services can verify from
//! the published key set, rotation that signs nobody out, on every instance.

use std::sync::Arc;

use chrono::{Duration, Utc};
use herald::clock::ManualClock;
use herald::service::{Actor, keys};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn jwks(app: &TestApp) -> Vec<Value> {
    let response = app.get("/.well-known/jwks.json").await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["keys"].as_array().unwrap().clone()
}

async fn me(app: &TestApp, token: &str) -> u16 {
    app.request(Method::GET, "/api/v1/me", token).send().await.unwrap().status().as_u16()
}

both_backends!(eddsa_tokens_verify_with_the_published_keys_and_survive_a_rotation, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend)
        .clock(Arc::clone(&clock))
        .setting("jwt_algorithm", "EdDSA")
        .setting("access_token_ttl_secs", 3600)
        .setting("realworld_token_ttl_secs", 7200)
        .start()
        .await;
    let before = app.register("signer").await;
    let header = jsonwebtoken::decode_header(&before.access).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    let first_kid = kid_of(&before.access);

    // Another service verifies the token with nothing but the published key.
    let published = jwks(&app).await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["kid"], first_kid.as_str());
    assert_eq!((published[0]["kty"].as_str(), published[0]["crv"].as_str()), (Some("OKP"), Some("Ed25519")));
    let key = jsonwebtoken::DecodingKey::from_ed_components(published[0]["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(&before.access, &key, &validation).unwrap().claims;
    assert_eq!(claims["sub"], before.user_id.to_string());

    // A second instance on the same database, started before the rotation.
    let second = Spawn::new(backend)
        .clock(Arc::clone(&clock))
        .setting("jwt_algorithm", "EdDSA")
        .setting("access_token_ttl_secs", 3600)
        .setting("realworld_token_ttl_secs", 7200)
        .setting("database_url", &app.db_url)
        .start()
        .await;
    assert_eq!(me(&second, &before.access).await, 200);

    let new_kid = keys::rotate(&app.state.services, &Actor::system()).await.unwrap();
    assert_ne!(new_kid, first_kid);
    let after = app.login_ok("signer").await;
    assert_eq!(kid_of(&after.access), new_kid, "new tokens are signed with the new key");
    assert_eq!(me(&app, &before.access).await, 200, "a token signed before the rotation still works");
    assert_eq!(
        me(&second, &after.access).await,
        200,
        "the other instance learns the new key when it meets it"
    );
    let kids: Vec<String> = jwks(&app).await.iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
    assert!(kids.contains(&first_kid) && kids.contains(&new_kid), "{kids:?}");
    let listed = keys::list(&app.state.services, &Actor::system()).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().any(|k| k.kid == new_kid && k.signing));
    assert!(listed.iter().any(|k| k.kid == first_kid && !k.signing && k.retire_at.is_some()));

    // Once the longest token lifetime has passed, the old key is retired.
    clock.advance(Duration::seconds(7200 + 31));
    keys::reload(&app.state.services).await.unwrap();
    let kids: Vec<String> = jwks(&app).await.iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kids, std::slice::from_ref(&new_kid));
    let fresh = app.login_ok("signer").await;
    assert_eq!(me(&app, &fresh.access).await, 200);
    assert_eq!(me(&second, &fresh.access).await, 200);
});

both_backends!(hs256_tokens_carry_a_key_id_and_a_configured_secret_is_not_rotated, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.register("classic").await;
    let header = jsonwebtoken::decode_header(&user.access).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
    assert!(header.kid.is_some());
    assert!(jwks(&app).await.is_empty(), "HS256 keys are secret: nothing is published");
    let rotated = keys::rotate(&app.state.services, &Actor::system()).await.unwrap();
    assert_eq!(kid_of(&app.login_ok("classic").await.access), rotated);
    assert_eq!(me(&app, &user.access).await, 200);

    let secret = "a configured secret of at least 32 bytes";
    let configured = Spawn::new(backend).setting("jwt_secret", secret).start().await;
    let err = keys::rotate(&configured.state.services, &Actor::system()).await.unwrap_err();
    assert!(matches!(err, herald::service::Error::Conflict { .. }), "{err:?}");

    // Moving from the configured secret to EdDSA keeps what the secret signed valid.
    let signed_with_secret = configured.register("migrant").await;
    let switched = Spawn::new(backend)
        .setting("database_url", &configured.db_url)
        .setting("jwt_secret", secret)
        .setting("jwt_algorithm", "EdDSA")
        .start()
        .await;
    assert_eq!(me(&switched, &signed_with_secret.access).await, 200);
    let fresh = switched.login_ok("migrant").await;
    assert_eq!(jsonwebtoken::decode_header(&fresh.access).unwrap().alg, jsonwebtoken::Algorithm::EdDSA);
});

#[test]
fn herald_keys_lists_and_rotates_the_signing_keys() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = crate::cli::herald(dir.path())
            .args(args)
            .env("HERALD_DATABASE_URL", "sqlite:keys.db")
            .env("HERALD_JWT_ALGORITHM", "EdDSA")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let listed = run(&["keys", "list"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("EdDSA") && listed.contains("signing"), "{listed}");
    let rotated = run(&["keys", "rotate"]);
    assert!(rotated.starts_with("new tokens are signed with eddsa-"), "{rotated}");
    let listed = run(&["keys", "list"]);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.contains("verifying until"), "{listed}");
}

#[tokio::test]
async fn upgrading_from_tokens_without_key_ids_reuses_the_generated_secret_for_the_first_key() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let migrate =
        crate::cli::herald(dir.path()).args(["migrate"]).env("HERALD_DATABASE_URL", "sqlite:up.db").output();
    assert!(migrate.unwrap().status.success());
    // What the previous version left: a generated HS256 secret, no keys.
    let url = format!("sqlite:{}", dir.path().join("up.db").display());
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO instance_setting (name, value, created_at, updated_at)
         VALUES ('auth.jwt_hs256_secret', 'the-previous-versions-generated-secret', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')",
    )
    .execute(&db)
    .await
    .unwrap();
    let listed = crate::cli::herald(dir.path())
        .args(["keys", "list"])
        .env("HERALD_DATABASE_URL", "sqlite:up.db")
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let stored: String =
        sqlx::query_scalar("SELECT value FROM instance_setting WHERE name = 'auth.jwt_keys'")
            .fetch_one(&db)
            .await
            .unwrap();
    let keys: Vec<Value> = serde_json::from_str(&stored).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "HS256");
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(keys[0]["secret"].as_str().unwrap()).unwrap();
    assert_eq!(
        secret, b"the-previous-versions-generated-secret",
        "instances not yet upgraded verify what the first key signs"
    );
}
