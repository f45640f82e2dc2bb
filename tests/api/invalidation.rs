//! Invalidation by what changed: a write reloads the cached responses that
//! show what it changed (and the listings it can enter or leave) and leaves
//! every other cached response in place, on one instance and across
//! instances sharing Redis.

use std::sync::atomic::Ordering;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Session, TestApp, both_backends};

/// Reads `path` anonymously; returns the body and whether it was a cache hit.
async fn read(app: &TestApp, path: &str) -> (Value, bool) {
    let stats = &app.state.cache.stats;
    let hits = || stats.l1_hits.load(Ordering::SeqCst) + stats.l2_hits.load(Ordering::SeqCst);
    let before = hits();
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let body = response.json().await.unwrap();
    (body, hits() > before)
}

async fn act(app: &TestApp, method: Method, path: &str, who: &Session, body: Option<Value>) {
    let mut request = app.request(method, path, &who.access);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
}

fn titles(body: &Value) -> Vec<&str> {
    body["articles"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect()
}

both_backends!(a_write_reloads_only_the_cached_reads_it_changes, |backend| {
    let app = TestApp::spawn(backend).await;
    let ada = app.register("ada").await;
    let fan = app.register("fan").await;
    let a = app.publish_post(&ada, "Rusty", &["rust"]).await;
    let b = app.publish_post(&ada, "Webby", &["web"]).await;
    let (slug_a, slug_b) = (a["slug"].as_str().unwrap(), b["slug"].as_str().unwrap());
    let paths = [
        format!("/api/articles/{slug_a}"),
        format!("/api/articles/{slug_b}"),
        "/api/articles?tag=rust".to_owned(),
        "/api/articles?tag=web".to_owned(),
        "/api/tags".to_owned(),
        format!("/api/articles/{slug_b}/comments"),
        "/api/profiles/fan".to_owned(),
    ];
    for path in &paths {
        read(&app, path).await;
        assert!(read(&app, path).await.1, "{path} is cached once read");
    }

    // A like changes that article and the listings showing it, nothing else.
    act(&app, Method::POST, &format!("/api/articles/{slug_a}/favorite"), &fan, None).await;
    let (article, hit) = read(&app, &paths[0]).await;
    assert!(!hit && article["article"]["favoritesCount"] == 1, "the liked article is reloaded");
    let (listing, hit) = read(&app, "/api/articles?tag=rust").await;
    assert!(!hit && listing["articles"][0]["favoritesCount"] == 1, "so is the listing showing it");
    for path in [&paths[1], &paths[3], &paths[4], &paths[5]] {
        assert!(read(&app, path).await.1, "{path} is untouched by the like");
    }

    // A new post enters its tag's listing and the tag list, not another tag's.
    app.publish_post(&ada, "Rustier", &["rust"]).await;
    let (listing, hit) = read(&app, "/api/articles?tag=rust").await;
    assert!(!hit);
    assert_eq!(titles(&listing), ["Rustier", "Rusty"]);
    assert_eq!(listing["articlesCount"], 2);
    let (tags, hit) = read(&app, "/api/tags").await;
    assert!(!hit && tags["tags"][0] == "rust", "rust now leads the tag list: {tags}");
    assert!(read(&app, "/api/articles?tag=web").await.1, "the web listing cannot contain it");
    assert!(read(&app, &paths[1]).await.1);

    // A comment reloads that article's comments only.
    let comment = json!({"comment": {"body": "Nice"}});
    act(&app, Method::POST, &format!("/api/articles/{slug_b}/comments"), &fan, Some(comment)).await;
    let (comments, hit) = read(&app, &paths[5]).await;
    assert!(!hit && comments["comments"].as_array().unwrap().len() == 1);
    assert!(read(&app, &paths[0]).await.1);

    // A profile change reaches every response embedding that profile.
    act(&app, Method::PUT, "/api/user", &ada, Some(json!({"user": {"bio": "New bio"}}))).await;
    let (article, hit) = read(&app, &paths[1]).await;
    assert!(!hit && article["article"]["author"]["bio"] == "New bio");
    let (listing, _) = read(&app, "/api/articles?tag=web").await;
    assert_eq!(listing["articles"][0]["author"]["bio"], "New bio");

    // Unpublishing takes the post out of its listings at once.
    act(&app, Method::POST, &format!("/api/v1/posts/{}/archive", b["id"]), &ada, None).await;
    let (listing, _) = read(&app, "/api/articles?tag=web").await;
    assert_eq!(listing["articlesCount"], 0);
    let response = app.get(&paths[1]).await;
    assert_eq!(response.status(), 404, "an archived post is no longer an article");
});

async fn across_instances(backend: Backend) {
    let (a, b) = crate::cache::shared_redis_instances(backend).await;
    let ada = a.register("ada").await;
    let fan = a.register("fan").await;
    let one = a.publish_post(&ada, "One", &[]).await;
    let two = a.publish_post(&ada, "Two", &[]).await;
    // Their analyses land in the background and reload them once; wait for that first.
    a.analysed_post(&one["id"], &ada).await;
    a.analysed_post(&two["id"], &ada).await;
    let (one, two) = (
        format!("/api/articles/{}", one["slug"].as_str().unwrap()),
        format!("/api/articles/{}", two["slug"].as_str().unwrap()),
    );
    for path in [&one, &two] {
        read(&b, path).await;
        assert!(read(&b, path).await.1, "B caches {path}");
    }
    act(&a, Method::POST, &format!("{one}/favorite"), &fan, None).await;
    let (article, hit) = read(&b, &one).await;
    assert!(!hit && article["article"]["favoritesCount"] == 1, "B reloads what A changed");
    assert!(read(&b, &two).await.1, "and keeps the rest");
}

#[tokio::test]
#[cfg_attr(not(herald_test_redis), ignore = "skipped: set HERALD_TEST_REDIS_URL")]
async fn instances_sharing_redis_invalidate_only_what_changed_on_sqlite() {
    across_instances(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(all(herald_test_redis, herald_test_postgres)),
    ignore = "skipped: set HERALD_TEST_REDIS_URL and HERALD_TEST_POSTGRES_URL"
)]
async fn instances_sharing_redis_and_postgres_invalidate_only_what_changed() {
    across_instances(Backend::Postgres).await;
}
