//! Safe on the internet: security headers, HTTP caching, compression, rate
//! limits and load shedding.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use herald::app::AppState;
use reqwest::Method;
use serde_json::json;
use tokio::sync::{Notify, mpsc};

use crate::helpers::{Backend, Spawn, TestApp, both_backends, problem};

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = Spawn::new(Backend::Sqlite).setting("hsts", true).start().await;
    for path in ["/health/live", "/api/v1/posts", "/no/such/route"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert!(headers.contains_key("permissions-policy"));
        assert!(headers["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
    }
    let plain = TestApp::spawn(Backend::Sqlite).await;
    assert!(!plain.get("/health/live").await.headers().contains_key("strict-transport-security"));
}

both_backends!(reads_carry_etags_and_a_matching_if_none_match_is_a_bodiless_304, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("cached").await;
    app.publish_post(&author, "Cache me", &["etag"]).await;

    let first = app.get("/api/articles").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(first.headers()["cache-control"], "public, max-age=5");
    assert!(first.headers()["vary"].to_str().unwrap().contains("Authorization"));
    let again = app.client.get(app.url("/api/articles")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.headers().get("content-encoding").is_none());
    assert!(again.bytes().await.unwrap().is_empty());

    app.publish_post(&author, "Something new", &[]).await;
    let changed =
        app.client.get(app.url("/api/articles")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(changed.status(), 200, "a write changes the representation");
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);

    let personal = app.request(Method::GET, "/api/articles", &author.access).send().await.unwrap();
    assert_eq!(personal.headers()["cache-control"], "private, no-store");
    assert_eq!(app.get("/health/ready").await.headers()["cache-control"], "no-store");
});

both_backends!(a_likes_changes_the_etag_but_if_match_still_compares_versions, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("versioned").await;
    let fan = app.register("liker").await;
    let post = app.publish_post(&author, "Versioned", &[]).await;
    let path = format!("/api/v1/posts/{}", post["id"]);
    let before = app.get(&path).await.headers()["etag"].to_str().unwrap().to_owned();
    app.request(Method::PUT, &format!("{path}/like"), &fan.access).send().await.unwrap();
    let after = app.get(&path).await.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(before, after, "the like count is part of the representation");
    assert!(before.starts_with("\"v1-") && after.starts_with("\"v1-"), "{before} {after}");
    let edit = app
        .request(Method::PATCH, &path, &author.access)
        .header("if-match", &before)
        .json(&json!({"body": "still version 1 underneath"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 200);
});

#[tokio::test]
async fn large_responses_are_compressed_as_negotiated_and_small_ones_are_not() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let author = app.register("verbose").await;
    for i in 0..15 {
        app.publish_post(&author, &format!("A fairly long title for post number {i}"), &["compression"])
            .await;
    }
    for encoding in ["gzip", "br", "zstd"] {
        let response = app
            .client
            .get(app.url("/api/v1/posts"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
    }
    let plain =
        app.client.get(app.url("/api/v1/posts")).header("accept-encoding", "identity").send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let small =
        app.client.get(app.url("/health/live")).header("accept-encoding", "gzip").send().await.unwrap();
    assert!(small.headers().get("content-encoding").is_none(), "tiny bodies are sent as they are");
}

#[tokio::test]
async fn clients_over_their_rate_are_told_when_to_retry() {
    let app = Spawn::new(Backend::Sqlite)
        .setting("rate_limit_read_per_minute", 3)
        .setting("rate_limit_auth_per_minute", 2)
        .start()
        .await;
    for expected_remaining in ["2", "1", "0"] {
        let response = app.get("/api/v1/posts").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-limit"], "3");
        assert_eq!(response.headers()["ratelimit-remaining"], expected_remaining);
        assert!(response.headers().contains_key("ratelimit-reset"));
    }
    let limited = app.get("/api/v1/posts").await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(problem(limited).await["type"], "urn:herald:problem:too_many_requests");
    assert_eq!(app.get("/health/live").await.status(), 200, "health probes are never limited");
    let forged =
        app.client.get(app.url("/api/v1/posts")).bearer_auth("not-a-valid-token").send().await.unwrap();
    assert_eq!(forged.status(), 429, "an invalid token does not buy a fresh bucket");

    let user = app.register("own-bucket").await;
    let signed_in = app.request(Method::GET, "/api/v1/posts", &user.access).send().await.unwrap();
    assert_eq!(signed_in.status(), 200, "a signed-in user has a bucket of their own");
    assert_eq!(app.login("nobody", "whatever-password").await.status(), 401);
    assert_eq!(
        app.login("nobody", "whatever-password").await.status(),
        429,
        "sign-in is the strictest class"
    );
}

#[tokio::test]
async fn beyond_max_in_flight_requests_are_shed_at_once_with_503() {
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let gate = Arc::clone(&release);
    let routes: Router<AppState> = Router::new().route(
        "/probe/slow",
        get(move || {
            let (started, release) = (started_tx.clone(), Arc::clone(&gate));
            async move {
                let _ = started.send(());
                release.notified().await;
                "done"
            }
        }),
    );
    let app = Spawn::new(Backend::Sqlite).routes(routes).setting("max_in_flight", 1).start().await;
    let held = tokio::spawn(app.client.get(app.url("/probe/slow")).send());
    started.recv().await.unwrap();

    let shed = app.get("/api/v1/posts").await;
    assert_eq!(shed.status(), 503);
    assert!(shed.headers().contains_key("retry-after"));
    assert_eq!(problem(shed).await["type"], "urn:herald:problem:overloaded");
    assert_eq!(app.get("/health/ready").await.status(), 200, "probes are exempt");

    release.notify_one();
    assert_eq!(held.await.unwrap().unwrap().status(), 200);
    assert_eq!(app.get("/api/v1/posts").await.status(), 200, "capacity is back");
}

#[tokio::test]
async fn http2_with_prior_knowledge_and_http1_keep_alive_share_one_port() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let h2 = crate::helpers::client_builder().http2_prior_knowledge().build().unwrap();
    let response = h2.get(app.url("/api/v1/posts")).send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let h1 = crate::helpers::client_builder().http1_only().build().unwrap();
    for _ in 0..3 {
        let response = h1.get(app.url("/api/v1/posts")).send().await.unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_11);
        assert!(response.headers().get("connection").is_none_or(|c| c != "close"), "kept alive");
    }
}

#[tokio::test]
async fn a_users_sessions_share_one_rate_budget() {
    let app = Spawn::new(Backend::Sqlite).setting("rate_limit_read_per_minute", 2).start().await;
    let first = app.register("budgeted").await;
    let second = app.login_ok("budgeted").await;
    assert_eq!(app.request(Method::GET, "/api/v1/me", &first.access).send().await.unwrap().status(), 200);
    assert_eq!(app.request(Method::GET, "/api/v1/me", &second.access).send().await.unwrap().status(), 200);
    let third = app.request(Method::GET, "/api/v1/me", &first.access).send().await.unwrap();
    assert_eq!(third.status(), 429, "the user, not the token, is the client");
    let other = app.register("unbudgeted").await;
    assert_eq!(app.request(Method::GET, "/api/v1/me", &other.access).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_request_with_too_many_headers_is_refused_with_431() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut request = app.client.get(app.url("/health/live"));
    for i in 0..120 {
        request = request.header(format!("x-filler-{i}"), "v");
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 431, "hyper's limit of 100 headers applies");
    assert_eq!(app.get("/health/live").await.status(), 200, "and the server keeps serving");
}
