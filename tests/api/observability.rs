//! Prometheus metrics: per-route RED metrics by template, histograms with
//! buckets, cache/pool/process gauges, build info, and token protection.

use crate::helpers::{Backend, Spawn, TestApp};

#[tokio::test]
async fn metrics_expose_route_templates_histograms_and_process_gauges() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let author = app.register("measured").await;
    let post = app.publish_post(&author, "Measured", &[]).await;
    app.get(&format!("/api/v1/posts/{}", post["id"])).await;
    app.get("/api/v1/posts/999999").await;
    app.get("/definitely/not/a/route/12345").await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    for expected in [
        r#"http_requests_total{method="GET",route="/api/v1/posts/{id}",status="2xx"}"#,
        r#"http_requests_total{method="GET",route="/api/v1/posts/{id}",status="4xx"}"#,
        r#"route="<unmatched>""#,
        r#"http_request_duration_seconds_bucket{method="GET",route="/api/v1/posts/{id}",status="2xx",le="0.005"}"#,
        "http_requests_in_flight",
        r#"herald_cache_hits_total{level="l1"}"#,
        r#"herald_db_pool_connections{pool="write"}"#,
        r#"herald_db_query_duration_seconds_bucket{pool="read",le="0.001"}"#,
        r#"herald_db_query_duration_seconds_bucket{pool="tx",le="#,
        r#"herald_db_pool_wait_seconds_bucket{pool="write",le="#,
        "process_resident_memory_bytes",
        "process_open_fds",
        "herald_build_info{",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    // Only the path's own text: "12345" alone also turns up inside gauge values.
    assert!(!text.contains("/definitely/not/a/route"), "raw paths never become labels");
}

#[tokio::test]
async fn a_metrics_token_keeps_metrics_private() {
    let app = Spawn::new(Backend::Sqlite).setting("metrics_token", "a-long-metrics-token").start().await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("not-the-token-at-all").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app.client.get(app.url("/metrics")).bearer_auth("a-long-metrics-token").send().await.unwrap();
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn metrics_can_move_to_their_own_address_off_the_api_port() {
    let app = Spawn::new(Backend::Sqlite)
        .setting("metrics_listen", "127.0.0.1:0")
        .setting("metrics_token", "a-long-metrics-token")
        .start()
        .await;
    app.get("/health/live").await;
    let on_api_port = app.get("/metrics").await;
    assert_eq!(on_api_port.status(), 404, "not on the API port any more");
    crate::helpers::problem(on_api_port).await;

    let metrics = format!("http://{}/metrics", app.metrics_addr.unwrap());
    assert_eq!(app.client.get(&metrics).send().await.unwrap().status(), 401, "the token still applies");
    let response = app.client.get(&metrics).bearer_auth("a-long-metrics-token").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/health/live",status="2xx"}"#),
        "{text}"
    );
    let elsewhere = format!("http://{}/health/live", app.metrics_addr.unwrap());
    assert_eq!(app.client.get(&elsewhere).send().await.unwrap().status(), 404, "only /metrics there");
}
