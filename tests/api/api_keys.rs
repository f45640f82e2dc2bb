//! API keys: shown once, stored hashed, scoped, revocable, expiring.

use std::sync::Arc;

use chrono::{Duration, Utc};
use herald::clock::{Clock as _, ManualClock};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Session, Spawn, TestApp, both_backends, problem};

async fn create_key(app: &TestApp, owner: &Session, body: Value) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/api-keys", &owner.access).json(&body).send().await.unwrap()
}

async fn new_key(app: &TestApp, owner: &Session, scopes: &[&str]) -> Value {
    let response = create_key(app, owner, json!({"name": "ci", "scopes": scopes})).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

fn with_key(app: &TestApp, method: Method, path: &str, key: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).header("x-api-key", key)
}

both_backends!(a_key_is_shown_once_stored_hashed_and_works_in_either_header, |backend| {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("keeper").await;
    let created = new_key(&app, &owner, &["read"]).await;
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("hk_"));
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));

    let listed: Value = app
        .request(Method::GET, "/api/v1/api-keys", &owner.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("key").is_none(), "the secret is never listed");
    assert!(listed[0]["last_used_at"].is_null());
    assert_eq!(listed[0]["scopes"], json!(["read"]));
    assert!(!listed.to_string().contains(key));

    assert_eq!(app.request(Method::GET, "/api/v1/me", key).send().await.unwrap().status(), 200, "as Bearer");
    let me = with_key(&app, Method::GET, "/api/v1/me", key).send().await.unwrap();
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "keeper", "a key acts as its owner");

    let listed: Value = app
        .request(Method::GET, "/api/v1/api-keys", &owner.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed[0]["last_used_at"].is_string(), "use is recorded");
});

both_backends!(a_key_is_limited_to_its_scopes, |backend| {
    let app = TestApp::spawn(backend).await;
    let owner = app.user_with_role("chief", herald::domain::Role::Admin).await;
    let read = new_key(&app, &owner, &["read"]).await;
    let read = read["key"].as_str().unwrap();
    let write = new_key(&app, &owner, &["write"]).await;
    let write = write["key"].as_str().unwrap();
    let admin = new_key(&app, &owner, &["admin"]).await;
    let admin = admin["key"].as_str().unwrap();

    let patch =
        |key: &str| with_key(&app, Method::PATCH, "/api/v1/me", key).json(&json!({"bio": "hi"})).send();
    let response = patch(read).await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(problem(response).await["detail"].as_str().unwrap().contains("write"));
    assert_eq!(patch(write).await.unwrap().status(), 200);

    let mint = |key: &str| {
        with_key(&app, Method::POST, "/api/v1/api-keys", key)
            .json(&json!({"name": "x", "scopes": ["read"]}))
            .send()
    };
    assert_eq!(mint(write).await.unwrap().status(), 403, "only admin-scoped keys manage keys");
    assert_eq!(mint(admin).await.unwrap().status(), 201);

    let users = |key: &str| with_key(&app, Method::GET, "/api/v1/users", key).send();
    assert_eq!(users(write).await.unwrap().status(), 403, "an admin's write key is not an admin");
    assert_eq!(users(admin).await.unwrap().status(), 200);
});

both_backends!(a_revoked_or_expired_key_is_rejected, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend).clock(Arc::clone(&clock)).start().await;
    let owner = app.register("revoker").await;
    let doomed = new_key(&app, &owner, &["read"]).await;
    let expires_at = (clock.now() + Duration::hours(1)).to_rfc3339();
    let expiring =
        create_key(&app, &owner, json!({"name": "temp", "scopes": ["read"], "expires_at": expires_at})).await;
    let expiring: Value = expiring.json().await.unwrap();

    let path = format!("/api/v1/api-keys/{}", doomed["id"]);
    assert_eq!(app.request(Method::DELETE, &path, &owner.access).send().await.unwrap().status(), 204);
    let response =
        with_key(&app, Method::GET, "/api/v1/me", doomed["key"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");

    let key = expiring["key"].as_str().unwrap();
    assert_eq!(with_key(&app, Method::GET, "/api/v1/me", key).send().await.unwrap().status(), 200);
    clock.advance(Duration::hours(1));
    assert_eq!(with_key(&app, Method::GET, "/api/v1/me", key).send().await.unwrap().status(), 401);
});

both_backends!(someone_elses_key_cannot_be_revoked_and_looks_missing, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await;
    let mallory = app.register("mallory").await;
    let key = new_key(&app, &alice, &["read"]).await;
    let path = format!("/api/v1/api-keys/{}", key["id"]);
    let response = app.request(Method::DELETE, &path, &mallory.access).send().await.unwrap();
    assert_eq!(response.status(), 404);
    problem(response).await;
    assert_eq!(
        with_key(&app, Method::GET, "/api/v1/me", key["key"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let response =
        app.request(Method::DELETE, "/api/v1/api-keys/not-a-number", &alice.access).send().await.unwrap();
    assert_eq!(response.status(), 404);
});

both_backends!(invalid_key_requests_name_each_field_and_create_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("sloppy").await;
    let response = create_key(
        &app,
        &owner,
        json!({"name": "", "scopes": ["read", "root"], "expires_at": "2001-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    let body = problem(response).await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "scopes[1]", "expires_at"], "{body}");
    let response = create_key(&app, &owner, json!({"name": "none", "scopes": []})).await;
    assert_eq!(problem(response).await["errors"][0]["field"], "scopes");
    assert_eq!(app.count("api_key").await, 0);
});
