//! Every error is RFC 9457 problem+json carrying the request id, and no
//! internal detail reaches the client. Probe routes mounted behind the real
//! middleware stack exercise the extractor and failure paths.

use axum::Router;
use axum::routing::{get, post};
use herald::app::AppState;
use herald::domain::ValidationError;
use herald::http::extract::ValidJson;
use herald::http::problem::ApiError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::helpers::{Backend, Spawn, TestApp, problem};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Sample {
    title: String,
    count: u32,
    nested: Option<Nested>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Nested {
    size: u8,
}

fn probes() -> Router<AppState> {
    Router::new()
        .route("/probe/json", post(|ValidJson(sample): ValidJson<Sample>| async move { sample.title }))
        .route(
            "/probe/validation",
            post(|| async {
                Err::<(), _>(ApiError::from(herald::service::Error::Validation(vec![
                    ValidationError::new("title", "required", "a title is required"),
                    ValidationError::new("tags[2]", "too_long", "a tag has at most 50 characters"),
                ])))
            }),
        )
        .route(
            "/probe/internal",
            get(|| async {
                let cause = anyhow::anyhow!("SELECT password_hash FROM account").context("loading user 42");
                Err::<(), _>(ApiError::internal(cause))
            }),
        )
        .route("/probe/panic", get(panics))
        .route("/probe/hang", get(std::future::pending::<&'static str>))
}

async fn panics() -> &'static str {
    panic!("secret invariant broken at src/x.rs:1")
}

async fn spawn() -> TestApp {
    Spawn::new(Backend::Sqlite)
        .routes(probes())
        .setting("body_limit_bytes", 2048)
        .setting("request_timeout_secs", 1)
        .start()
        .await
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem_naming_the_path() {
    let app = spawn().await;
    let response = app.get("/no/such/thing").await;
    assert_eq!(response.status(), 404);
    let body = problem(response).await;
    assert_eq!(body["type"], "urn:herald:problem:not_found");
    assert_eq!(body["instance"], "/no/such/thing");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_an_allow_header() {
    let app = spawn().await;
    let response = app.client.delete(app.url("/health/live")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET"), "{allow}");
    problem(response).await;
}

#[tokio::test]
async fn a_well_formed_request_id_is_echoed_and_a_malformed_one_replaced() {
    let app = spawn().await;
    let response =
        app.client.get(app.url("/nope")).header("x-request-id", "client-id.42").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "client-id.42");
    assert_eq!(problem(response).await["request_id"], "client-id.42");

    let response =
        app.client.get(app.url("/health/live")).header("x-request-id", "bad id;drop").send().await.unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(id, "bad id;drop");
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "generated ids are UUIDs: {id}");

    let first = app.get("/health/live").await.headers()["x-request-id"].clone();
    let second = app.get("/health/live").await.headers()["x-request-id"].clone();
    assert_ne!(first, second, "each request gets its own id");
}

#[tokio::test]
async fn malformed_json_is_a_400_problem_saying_where() {
    let app = spawn().await;
    let response = app
        .client
        .post(app.url("/probe/json"))
        .header("content-type", "application/json")
        .body("{\"title\": \"x\",\n \"count\": }")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = problem(response).await;
    assert_eq!(body["type"], "urn:herald:problem:malformed_json");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("line 2 column"), "{detail}");
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_a_415_problem() {
    let app = spawn().await;
    let response = app
        .client
        .post(app.url("/probe/json"))
        .header("content-type", "text/plain")
        .body("{\"title\":\"x\",\"count\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(problem(response).await["type"], "urn:herald:problem:unsupported_media_type");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_422_problem_naming_the_field() {
    let app = spawn().await;
    let cases = [
        (json!({"count": 1}), "title", "required", "a missing field"),
        (json!({"title": 5, "count": 1}), "title", "invalid", "a wrong type"),
        (json!({"title": "x", "count": -1}), "count", "invalid", "an out-of-range number"),
        (json!({"title": "x", "count": 1, "colour": "red"}), "colour", "unknown_field", "an unknown field"),
        (
            json!({"title": "x", "count": 1, "nested": {"size": 300}}),
            "nested.size",
            "invalid",
            "a nested field",
        ),
    ];
    for (input, field, code, case) in cases {
        let response = app.client.post(app.url("/probe/json")).json(&input).send().await.unwrap();
        assert_eq!(response.status(), 422, "{case}");
        let body = problem(response).await;
        assert_eq!(body["type"], "urn:herald:problem:validation", "{case}");
        assert_eq!(body["errors"][0]["field"], field, "{case}: {body}");
        assert_eq!(body["errors"][0]["code"], code, "{case}: {body}");
        assert!(!body["errors"][0]["message"].as_str().unwrap().contains("line"), "{case}: {body}");
    }
    let ok = app
        .client
        .post(app.url("/probe/json"))
        .json(&json!({"title": "fine", "count": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "fine");
}

#[tokio::test]
async fn a_validation_failure_lists_one_entry_per_invalid_field() {
    let app = spawn().await;
    let response = app.client.post(app.url("/probe/validation")).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let body = problem(response).await;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0], json!({"field": "title", "code": "required", "message": "a title is required"}));
    assert_eq!(errors[1]["field"], "tags[2]");
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem() {
    let app = spawn().await;
    let big = format!("{{\"title\":\"{}\",\"count\":1}}", "x".repeat(4096));
    let response = app
        .client
        .post(app.url("/probe/json"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(problem(response).await["type"], "urn:herald:problem:payload_too_large");
}

#[tokio::test]
async fn an_internal_error_is_a_generic_500_that_reveals_nothing() {
    let app = spawn().await;
    let response = app.get("/probe/internal").await;
    assert_eq!(response.status(), 500);
    let body = problem(response).await;
    let text = body.to_string();
    for secret in ["SELECT", "password", "user 42"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(body["type"], "urn:herald:problem:internal");
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_problem_and_the_server_keeps_serving() {
    let app = spawn().await;
    let response = app.get("/probe/panic").await;
    assert_eq!(response.status(), 500);
    let body = problem(response).await;
    assert!(!body.to_string().contains("invariant"), "{body}");
    assert_eq!(app.get("/health/live").await.status(), 200);
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_a_503_problem_with_retry_after() {
    let app = spawn().await;
    let response = app.get("/probe/hang").await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = problem(response).await;
    assert_eq!(body["type"], "urn:herald:problem:unavailable");
}
