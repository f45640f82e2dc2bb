//! The response cache: hits, invalidation on writes, per-viewer safety, two
//! instances sharing Redis, and Redis outages.

use std::sync::atomic::Ordering;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Spawn, TestApp, both_backends};

fn titles(body: &Value) -> Vec<String> {
    body["articles"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_owned()).collect()
}

both_backends!(anonymous_reads_are_served_from_cache_until_a_write_invalidates_them, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("cachey").await;
    app.publish_post(&author, "First", &[]).await;
    let stats = &app.state.cache.stats;

    let first: Value = app.get("/api/articles").await.json().await.unwrap();
    let hits_before = stats.l1_hits.load(Ordering::Relaxed);
    let second: Value = app.get("/api/articles").await.json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(stats.l1_hits.load(Ordering::Relaxed), hits_before + 1, "the second read is a cache hit");
    let reordered = app.get("/api/articles?offset=0&limit=20").await;
    let same_params = app.get("/api/articles?limit=20&offset=0").await;
    assert_eq!(reordered.headers()["etag"], same_params.headers()["etag"]);

    app.publish_post(&author, "Second", &[]).await;
    let after: Value = app.get("/api/articles").await.json().await.unwrap();
    assert_eq!(titles(&after), ["Second", "First"], "a write is visible on the very next read");
});

both_backends!(cached_anonymous_reads_never_leak_per_viewer_flags, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("writer").await;
    let fan = app.register("fan").await;
    let post = app.publish_post(&author, "Liked", &[]).await;
    app.request(Method::PUT, &format!("/api/v1/posts/{}/like", post["id"]), &fan.access)
        .send()
        .await
        .unwrap();

    let anonymous: Value = app.get("/api/articles").await.json().await.unwrap();
    assert_eq!(anonymous["articles"][0]["favorited"], false);
    let as_fan: Value = app
        .client
        .get(app.url("/api/articles"))
        .header("authorization", format!("Token {}", fan.access))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(as_fan["articles"][0]["favorited"], true);
    let anonymous_again: Value = app.get("/api/articles").await.json().await.unwrap();
    assert_eq!(anonymous_again["articles"][0]["favorited"], false);
});

/// A response's headers as sorted (name, value) pairs, without those that
/// differ between any two requests.
fn lasting_headers(response: &reqwest::Response) -> Vec<(String, String)> {
    let per_request = ["x-request-id", "date", "ratelimit-remaining", "ratelimit-reset"];
    let mut pairs: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !per_request.contains(&name.as_str()))
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
        .collect();
    pairs.sort();
    pairs
}

both_backends!(a_cache_hit_is_answered_exactly_as_the_read_that_filled_the_cache, |backend| {
    // One read refills every two seconds: each read below shows in the budget.
    let app = Spawn::new(backend).setting("rate_limit_read_per_minute", 30).start().await;
    let author = app.register("hitter").await;
    for n in 0..6 {
        app.publish_post(&author, &format!("Earlier post {n}"), &["cached"]).await;
    }
    let post = app.publish_post(&author, "The newest post", &["cached"]).await;
    let slug = post["slug"].as_str().unwrap();
    let stats = &app.state.cache.stats;
    // A list over 1 KiB (compressible: it varies with Accept-Encoding), a
    // small tag list, and an article (a counted view).
    for path in ["/api/articles?limit=20", "/api/tags", &format!("/api/articles/{slug}")] {
        let filled = app.get(path).await;
        let compressible = path.contains("limit");
        let varies = filled.headers().get_all("vary").iter().any(|v| v == "accept-encoding");
        assert_eq!(varies, compressible, "{path}: only bodies over 1 KiB vary with Accept-Encoding");
        let hits_before = stats.l1_hits.load(Ordering::Relaxed);
        let hit = app.client.get(app.url(path)).header("x-request-id", "chained-id.1").send().await.unwrap();
        assert_eq!(
            stats.l1_hits.load(Ordering::Relaxed),
            hits_before + 1,
            "{path}: the second read is a hit"
        );
        assert_eq!(hit.status(), filled.status(), "{path}");
        assert_eq!(lasting_headers(&hit), lasting_headers(&filled), "{path}");
        assert_eq!(hit.headers()["x-request-id"], "chained-id.1", "{path}: a well-formed request id is kept");
        assert_ne!(filled.headers()["x-request-id"], hit.headers()["x-request-id"]);
        let remaining = |r: &reqwest::Response| -> u64 {
            r.headers()["ratelimit-remaining"].to_str().unwrap().parse().unwrap()
        };
        assert!(remaining(&hit) < remaining(&filled), "{path}: the hit takes from the read limit");
        let etag = hit.headers()["etag"].clone();
        assert_eq!(hit.bytes().await.unwrap(), filled.bytes().await.unwrap(), "{path}");

        let revalidated =
            app.client.get(app.url(path)).header("if-none-match", etag.clone()).send().await.unwrap();
        assert_eq!(revalidated.status(), 304, "{path}");
        assert_eq!(revalidated.headers()["etag"], etag);
        assert_eq!(revalidated.headers()["x-content-type-options"], "nosniff");
        assert!(revalidated.bytes().await.unwrap().is_empty());
    }
});

both_backends!(clients_that_take_compression_get_the_compressed_copy_from_the_cache, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("squeezer").await;
    for n in 0..7 {
        app.publish_post(&author, &format!("Compressible post {n}"), &["zipped"]).await;
    }
    let path = "/api/articles?limit=20";
    let get_from = |path: &str, accept: &'static str, etag: Option<reqwest::header::HeaderValue>| {
        let mut request = app.client.get(app.url(path)).header("accept-encoding", accept);
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send()
    };
    let get = |accept: &'static str, etag| get_from(path, accept, etag);
    let stats = &app.state.cache.stats;
    // Two Accept-Encoding headers: the layer reads both (and picks zstd);
    // what it sends must not become the copy for clients that list gzip.
    let both = app
        .client
        .get(app.url(path))
        .header("accept-encoding", "gzip")
        .header("accept-encoding", "zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(both.headers()["content-encoding"], "zstd");
    // The first read for gzip alone makes the copy for gzip.
    let first = get("gzip", None).await.unwrap();
    assert_eq!(first.headers()["content-encoding"], "gzip");
    let first_etag = first.headers()["etag"].clone();
    let kept = app.state.cache.fresh_local("/api/articles?limit=20\u{1}gzip").await.expect("a copy is kept");
    assert_eq!(kept.content_encoding.as_deref(), Some("gzip"));
    let hits_before = stats.l1_hits.load(Ordering::Relaxed);
    let copy = get("gzip", None).await.unwrap();
    assert_eq!(stats.l1_hits.load(Ordering::Relaxed), hits_before + 1, "one lookup, of the copy");
    assert_eq!(lasting_headers(&copy), lasting_headers(&first));
    assert!(copy.headers()["etag"].to_str().unwrap().starts_with("W/"), "a compressed body's ETag is weak");
    let etag = copy.headers()["etag"].clone();
    assert_eq!(copy.bytes().await.unwrap(), first.bytes().await.unwrap());

    // A 304 from the copy is the one the stack gives (another Accept-Encoding has no copy yet).
    let from_stack = get("gzip;q=1.0", Some(etag.clone())).await.unwrap();
    let from_copy = get("gzip", Some(etag)).await.unwrap();
    assert_eq!((from_stack.status().as_u16(), from_copy.status().as_u16()), (304, 304));
    assert_eq!(lasting_headers(&from_copy), lasting_headers(&from_stack));

    // A body too small to compress is sent as it is, from the entry itself.
    let tags = |etag| get_from("/api/tags", "gzip", etag);
    let (filled, hit) = (tags(None).await.unwrap(), tags(None).await.unwrap());
    assert!(hit.headers().get("content-encoding").is_none());
    assert_eq!(lasting_headers(&hit), lasting_headers(&filled));
    let not_modified = tags(Some(hit.headers()["etag"].clone())).await.unwrap();
    assert_eq!(not_modified.status(), 304);
    let weak = not_modified.headers()["etag"].to_str().unwrap();
    assert!(weak.starts_with("W/"), "{weak}: the 304 names what a compressing client may hold");
    assert_eq!(hit.bytes().await.unwrap(), filled.bytes().await.unwrap());

    // A write invalidates the copy with its entry.
    app.publish_post(&author, "The newest post", &["zipped"]).await;
    assert!(app.state.cache.fresh_local("/api/articles?limit=20\u{1}gzip").await.is_none());
    let after = get("gzip", None).await.unwrap();
    assert_eq!(after.headers()["content-encoding"], "gzip");
    assert_ne!(after.headers()["etag"], first_etag, "the copy went with its entry");
});

/// Two instances on one database sharing a fresh Redis namespace.
pub(crate) async fn shared_redis_instances(backend: Backend) -> (TestApp, TestApp) {
    let redis = std::env::var("HERALD_TEST_REDIS_URL").expect("HERALD_TEST_REDIS_URL is set");
    let namespace = format!("test{}", uuid::Uuid::now_v7().simple());
    let a =
        Spawn::new(backend).setting("redis_url", &redis).setting("cache_namespace", &namespace).start().await;
    let b = Spawn::new(backend)
        .setting("redis_url", &redis)
        .setting("cache_namespace", &namespace)
        .setting("database_url", &a.db_url)
        .start()
        .await;
    (a, b)
}

async fn a_write_on_one_instance_is_seen_by_the_next_read_on_another(backend: Backend) {
    let (a, b) = shared_redis_instances(backend).await;
    let author = a.register("multi").await;
    a.publish_post(&author, "Before", &[]).await;
    let on_b: Value = b.get("/api/articles").await.json().await.unwrap();
    assert_eq!(titles(&on_b), ["Before"]);
    let _warm: Value = b.get("/api/articles").await.json().await.unwrap();
    assert!(b.state.cache.stats.l1_hits.load(Ordering::Relaxed) >= 1, "B serves it from its cache");

    a.publish_post(&author, "After", &[]).await;
    let on_b: Value = b.get("/api/articles").await.json().await.unwrap();
    assert_eq!(titles(&on_b), ["After", "Before"], "B's next read after A's write is fresh");

    let ready: Value = b.get("/health/ready").await.json().await.unwrap();
    assert_eq!(ready["checks"]["redis"]["status"], "up");
}

#[tokio::test]
#[cfg_attr(not(herald_test_redis), ignore = "skipped: set HERALD_TEST_REDIS_URL")]
async fn two_instances_sharing_redis_stay_coherent_on_sqlite() {
    a_write_on_one_instance_is_seen_by_the_next_read_on_another(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(all(herald_test_redis, herald_test_postgres)),
    ignore = "skipped: set HERALD_TEST_REDIS_URL and HERALD_TEST_POSTGRES_URL"
)]
async fn two_instances_sharing_redis_and_postgres_stay_coherent() {
    a_write_on_one_instance_is_seen_by_the_next_read_on_another(Backend::Postgres).await;
}

both_backends!(with_redis_unreachable_requests_succeed_and_readiness_is_degraded, |backend| {
    // Port 1 on loopback refuses connections: Redis is "down".
    let app = Spawn::new(backend).setting("redis_url", "redis://127.0.0.1:1").start().await;
    let author = app.register("resilient").await;
    app.publish_post(&author, "Still works", &[]).await;
    for _ in 0..5 {
        let response = app.get("/api/articles").await;
        assert_eq!(response.status(), 200);
        assert_eq!(titles(&response.json().await.unwrap()), ["Still works"]);
    }
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 200, "degraded is still ready");
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["redis"]["status"], "degraded");
    assert!(app.state.cache.stats.bypassed.load(Ordering::Relaxed) >= 5, "reads went to the database");
    let _ = json!({});
});

#[tokio::test]
#[cfg_attr(not(herald_test_redis), ignore = "skipped: set HERALD_TEST_REDIS_URL")]
async fn rate_limits_hold_across_instances_sharing_redis() {
    let redis = std::env::var("HERALD_TEST_REDIS_URL").expect("HERALD_TEST_REDIS_URL is set");
    let namespace = format!("test{}", uuid::Uuid::now_v7().simple());
    let a = Spawn::new(Backend::Sqlite)
        .setting("redis_url", &redis)
        .setting("cache_namespace", &namespace)
        .setting("rate_limit_read_per_minute", 3)
        .start()
        .await;
    let b = Spawn::new(Backend::Sqlite)
        .setting("redis_url", &redis)
        .setting("cache_namespace", &namespace)
        .setting("rate_limit_read_per_minute", 3)
        .setting("database_url", &a.db_url)
        .start()
        .await;
    assert_eq!(a.get("/api/tags").await.status(), 200);
    assert_eq!(b.get("/api/tags").await.status(), 200);
    let third = a.get("/api/tags").await;
    assert_eq!(third.status(), 200);
    assert_eq!(third.headers()["ratelimit-remaining"], "0");
    let fourth = b.get("/api/tags").await;
    assert_eq!(fourth.status(), 429, "one client, one budget, whichever instance it reaches");
    assert!(fourth.headers().contains_key("retry-after"));
}
