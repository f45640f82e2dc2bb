//! The listeners below HTTP: slow and idle clients are cut off, no client
//! address holds more than its share of connections, request heads are
//! bounded, and the server does not name itself.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// Waits until the server closes `stream` (EOF or reset); `Err` if it is
/// still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Result<(), ()> {
    let mut buf = [0_u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Ok(()),
            Ok(Ok(_)) => {}
            Err(_) => return Err(()),
        }
    }
}

/// A client that opens a new connection per request.
fn fresh_client() -> reqwest::Client {
    client_builder().pool_max_idle_per_host(0).build().unwrap()
}

async fn metric(app: &TestApp, line_start: &str) -> f64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_thousand_half_sent_requests_are_closed_after_the_header_timeout_while_others_are_served() {
    // Three seconds: long enough that on a loaded machine none of the
    // thousand is cut off before all are open and counted.
    let app = Spawn::new(Backend::Sqlite)
        .setting("header_read_timeout_secs", 3)
        .setting("max_connections_per_ip", 5000)
        .setting("rate_limit_read_per_minute", 100_000)
        .start()
        .await;
    let opening = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..1000 {
        let mut stream = TcpStream::connect(addr(&app.base)).await.unwrap();
        stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: herald\r\nX-Half: ").await.unwrap();
        slow.push(stream);
    }
    // A few bytes of the HTTP/2 preface, then silence.
    let mut preface = TcpStream::connect(addr(&app.base)).await.unwrap();
    preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    slow.push(preface);
    // The accept loop may trail the kernel's handshakes by a moment on a
    // busy machine: wait for it to count them all (well before the timeout).
    let mut open = metric(&app, "herald_connections_open{listener=\"api\"}").await;
    while open < 1001.0 && opening.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        open = metric(&app, "herald_connections_open{listener=\"api\"}").await;
    }
    if opening.elapsed() < Duration::from_secs(3) {
        assert!(open >= 1001.0, "every half-sent connection is held until the timeout: {open}");
    }
    let client = fresh_client();
    for _ in 0..20 {
        let response = client.get(app.url("/health/live")).send().await.unwrap();
        assert_eq!(response.status(), 200, "others are served while a thousand dawdle");
    }
    for stream in &mut slow {
        closed_within(stream, Duration::from_secs(10)).await.expect("a half-sent request is cut off");
    }
    assert!(opening.elapsed() >= Duration::from_millis(2900), "not before the timeout");
    // An idle keep-alive connection goes the same way.
    let mut idle = TcpStream::connect(addr(&app.base)).await.unwrap();
    idle.write_all(b"GET /health/live HTTP/1.1\r\nHost: herald\r\n\r\n").await.unwrap();
    let mut buf = [0_u8; 512];
    assert!(idle.read(&mut buf).await.unwrap() > 0, "the complete request is answered");
    closed_within(&mut idle, Duration::from_secs(8)).await.expect("an idle connection is closed");
    assert_eq!(client.get(app.url("/health/live")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections() {
    let app = Spawn::new(Backend::Sqlite).setting("max_connections_per_ip", 4).start().await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr(&app.base)).await.unwrap());
    }
    let mut extra = TcpStream::connect(addr(&app.base)).await.unwrap();
    extra.write_all(b"GET /health/live HTTP/1.1\r\nHost: herald\r\n\r\n").await.unwrap();
    closed_within(&mut extra, Duration::from_secs(2))
        .await
        .expect("the fifth connection is closed unanswered");
    drop(held);
    // The slots come back as the server sees the connections go.
    let client = fresh_client();
    let mut status = 0;
    for _ in 0..50 {
        if let Ok(response) = client.get(app.url("/health/live")).send().await {
            status = response.status().as_u16();
            if status == 200 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200);
    let refused = metric(&app, "herald_connections_refused_total{listener=\"api\",reason=\"per_ip\"}").await;
    assert!(refused >= 1.0, "refusals are counted: {refused}");
}

#[tokio::test]
async fn the_total_cap_and_the_metrics_listener_limits_hold_too() {
    let app = Spawn::new(Backend::Sqlite)
        .setting("max_connections", 3)
        .setting("metrics_listen", "127.0.0.1:0")
        .setting("metrics_max_connections", 2)
        .setting("header_read_timeout_secs", 1)
        .start()
        .await;
    let held: Vec<TcpStream> =
        futures_util::future::join_all((0..3).map(|_| TcpStream::connect(addr(&app.base))))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    let mut extra = TcpStream::connect(addr(&app.base)).await.unwrap();
    closed_within(&mut extra, Duration::from_secs(2)).await.expect("over the total cap");
    drop(held);

    let metrics = app.metrics_addr.unwrap();
    let mut slow = TcpStream::connect(metrics).await.unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\n").await.unwrap();
    let mut second = TcpStream::connect(metrics).await.unwrap();
    let mut third = TcpStream::connect(metrics).await.unwrap();
    closed_within(&mut third, Duration::from_millis(800)).await.expect("over the metrics listener's cap");
    closed_within(&mut slow, Duration::from_secs(5)).await.expect("the metrics listener times out heads too");
    closed_within(&mut second, Duration::from_secs(5)).await.expect("and idle connections");
    let scraped = fresh_client().get(format!("http://{metrics}/metrics")).send().await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.text().await.unwrap().contains("herald_connections_refused_total"));
}

#[tokio::test]
async fn request_heads_are_bounded_in_size_and_count_and_no_banner_is_sent() {
    let app = Spawn::new(Backend::Sqlite)
        .setting("max_request_headers", 20)
        .setting("max_header_bytes", 8192)
        .start()
        .await;
    let mut many = fresh_client().get(app.url("/health/live"));
    for i in 0..30 {
        many = many.header(format!("x-filler-{i}"), "v");
    }
    assert_eq!(many.send().await.unwrap().status(), 431, "more headers than configured");
    let big =
        fresh_client().get(app.url("/health/live")).header("x-big", "v".repeat(10_000)).send().await.unwrap();
    assert_eq!(big.status(), 431, "a larger head than configured");
    let fine = fresh_client().get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(fine.status(), 200);
    for banner in ["server", "x-powered-by"] {
        assert!(!fine.headers().contains_key(banner), "{banner} is not sent");
    }
}

#[tokio::test]
async fn a_compressed_body_has_a_weak_etag_that_still_gives_304() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let author = app.register("zipper").await;
    for n in 0..5 {
        let body = format!("{} {n}", "Long enough text to compress. ".repeat(40));
        let article =
            serde_json::json!({"article": {"title": format!("Post {n}"), "description": "d", "body": body}});
        let created = app
            .request(reqwest::Method::POST, "/api/articles", &author.access)
            .json(&article)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
    }
    let client = fresh_client();
    let path = app.url("/api/articles?limit=20");
    let first = client.get(&path).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "a compressed body's ETag is weak: {etag}");
    let again = client
        .get(&path)
        .header("accept-encoding", "gzip")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str(), "the 304 names the same representation");
    let plain = app.client.get(&path).header("accept-encoding", "identity").send().await.unwrap();
    let strong = plain.headers()["etag"].to_str().unwrap().to_owned();
    assert!(strong.starts_with('"'), "an uncompressed body keeps a strong ETag: {strong}");
    assert_eq!(strong.trim_start_matches('"'), etag.trim_start_matches("W/\""), "one tag, two strengths");
}
