//! Maintained counts stay exactly right through every kind of write: post
//! totals per scope (all, author, tag, category, feed, favourited), tag and
//! category counts, likes and visible comments per post, and orders.

use herald::clock::{Clock as _, ManualClock};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, both_backends};

async fn articles_count(app: &TestApp, query: &str, who: Option<&Session>) -> i64 {
    let (status, body) = app.get_as(&format!("/api/articles?{query}"), who).await;
    assert_eq!(status, 200, "{query}: {body}");
    let listed = body["articles"].as_array().unwrap().len() as i64;
    let count = body["articlesCount"].as_i64().unwrap();
    assert!(listed <= count, "{query}: {listed} listed but a count of {count}");
    count
}

async fn v1_total(app: &TestApp, query: &str, who: Option<&Session>) -> i64 {
    let (status, body) =
        app.get_as(&format!("/api/v1/posts?include_total=true&limit=100&{query}"), who).await;
    assert_eq!(status, 200, "{query}: {body}");
    assert_eq!(body["items"].as_array().unwrap().len() as i64, body["total"].as_i64().unwrap(), "{query}");
    body["total"].as_i64().unwrap()
}

async fn tag_counts(app: &TestApp) -> Vec<(String, i64)> {
    let (_, body) = app.get_as("/api/v1/tags", None).await;
    body.as_array()
        .unwrap()
        .iter()
        .map(|t| (t["tag"].as_str().unwrap().to_owned(), t["post_count"].as_i64().unwrap()))
        .collect()
}

async fn post(app: &TestApp, id: i64) -> Value {
    app.get_as(&format!("/api/v1/posts/{id}"), None).await.1
}

async fn act(app: &TestApp, method: Method, path: &str, who: &Session, body: Option<Value>) -> Value {
    let mut request = app.request(method, path, &who.access);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

both_backends!(post_counts_follow_every_write, |backend| {
    let app = TestApp::spawn(backend).await;
    let editor = app.user_with_role("curator", herald::domain::Role::Editor).await;
    act(&app, Method::POST, "/api/v1/categories", &editor, Some(json!({"name": "Guides"}))).await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let reader = app.register("reader").await;
    act(&app, Method::PUT, "/api/v1/profiles/ada/follow", &reader, None).await;

    let a = app
        .create_post(&ada, json!({"title": "A", "body": "a", "tags": ["rust", "web"], "category": "guides", "publish": true}))
        .await["id"]
        .as_i64()
        .unwrap();
    let b = app.publish_post(&ada, "B", &["rust"]).await["id"].as_i64().unwrap();
    let c = app.publish_post(&bob, "C", &["web"]).await["id"].as_i64().unwrap();
    let draft = app.create_post(&ada, json!({"title": "D", "body": "d", "tags": ["rust"]})).await["id"]
        .as_i64()
        .unwrap();

    assert_eq!(articles_count(&app, "", None).await, 3);
    assert_eq!(articles_count(&app, "tag=rust", None).await, 2);
    assert_eq!(articles_count(&app, "author=ada", None).await, 2);
    assert_eq!(v1_total(&app, "", None).await, 3);
    assert_eq!(v1_total(&app, "", Some(&ada)).await, 4, "an author also sees their own draft");
    assert_eq!(v1_total(&app, "tag=rust", Some(&ada)).await, 3);
    assert_eq!(v1_total(&app, "status=published", Some(&ada)).await, 3);
    assert_eq!(v1_total(&app, "", Some(&editor)).await, 4, "editors see everything");
    assert_eq!(v1_total(&app, "category=guides", None).await, 1);
    assert_eq!(articles_count(&app, "", Some(&reader)).await, 3);
    let (_, feed) = app.get_as("/api/articles/feed", Some(&reader)).await;
    assert_eq!(feed["articlesCount"], 2, "the feed counts the followed author's published posts");
    assert_eq!(tag_counts(&app).await, [("rust".to_owned(), 2), ("web".to_owned(), 2)]);
    let (_, categories) = app.get_as("/api/v1/categories", None).await;
    assert_eq!(categories[0]["post_count"], 1);

    // Likes and unlikes, twice over (idempotent).
    for who in [&bob, &reader, &reader] {
        act(&app, Method::PUT, &format!("/api/v1/posts/{a}/like"), who, None).await;
    }
    assert_eq!(post(&app, a).await["like_count"], 2);
    assert_eq!(articles_count(&app, "favorited=reader", None).await, 1);
    act(&app, Method::DELETE, &format!("/api/v1/posts/{a}/like"), &bob, None).await;
    act(&app, Method::DELETE, &format!("/api/v1/posts/{a}/like"), &bob, None).await;
    assert_eq!(post(&app, a).await["like_count"], 1);

    // Comments: replies, hiding, and a deleted parent taking its replies along.
    let top =
        act(&app, Method::POST, &format!("/api/v1/posts/{a}/comments"), &bob, Some(json!({"body": "hi"})))
            .await;
    let top = top["id"].as_i64().unwrap();
    let body = json!({"body": "re", "parent_id": top});
    act(&app, Method::POST, &format!("/api/v1/posts/{a}/comments"), &reader, Some(body)).await;
    let other =
        act(&app, Method::POST, &format!("/api/v1/posts/{a}/comments"), &reader, Some(json!({"body": "x"})))
            .await;
    let other = other["id"].as_i64().unwrap();
    assert_eq!(post(&app, a).await["comment_count"], 3);
    act(&app, Method::POST, &format!("/api/v1/comments/{other}/hide"), &editor, None).await;
    assert_eq!(post(&app, a).await["comment_count"], 2, "hidden comments do not count");
    act(&app, Method::POST, &format!("/api/v1/comments/{other}/unhide"), &editor, None).await;
    act(&app, Method::POST, &format!("/api/v1/comments/{other}/hide"), &editor, None).await;
    act(&app, Method::DELETE, &format!("/api/v1/comments/{top}"), &bob, None).await;
    assert_eq!(
        post(&app, a).await["comment_count"],
        0,
        "the reply went with its parent; the hidden one never counted"
    );

    // Status changes: archive, restore to draft, publish again, schedule.
    act(&app, Method::POST, &format!("/api/v1/posts/{b}/archive"), &ada, None).await;
    assert_eq!(articles_count(&app, "tag=rust", None).await, 1);
    assert_eq!(articles_count(&app, "author=ada", None).await, 1);
    assert_eq!(tag_counts(&app).await, [("web".to_owned(), 2), ("rust".to_owned(), 1)]);
    act(&app, Method::POST, &format!("/api/v1/posts/{b}/restore"), &ada, None).await;
    act(&app, Method::POST, &format!("/api/v1/posts/{draft}/publish"), &ada, None).await;
    assert_eq!(articles_count(&app, "", None).await, 3);
    assert_eq!(articles_count(&app, "tag=rust", None).await, 2);

    // Retagging and recategorising move the post between counts.
    let changes = json!({"tags": ["go"], "category": ""});
    act(&app, Method::PATCH, &format!("/api/v1/posts/{a}"), &ada, Some(changes)).await;
    assert_eq!(tag_counts(&app).await, [("go".to_owned(), 1), ("rust".to_owned(), 1), ("web".to_owned(), 1)]);
    assert_eq!(v1_total(&app, "category=guides", None).await, 0);
    let (_, categories) = app.get_as("/api/v1/categories", None).await;
    assert_eq!(categories[0]["post_count"], 0);

    // Deleting takes the post, its likes and tags out of every count.
    act(&app, Method::DELETE, &format!("/api/v1/posts/{c}"), &bob, None).await;
    assert_eq!(articles_count(&app, "", None).await, 2);
    assert_eq!(articles_count(&app, "author=bob", None).await, 0);
    assert_eq!(tag_counts(&app).await, [("go".to_owned(), 1), ("rust".to_owned(), 1)]);
    assert_eq!(articles_count(&app, "favorited=reader", None).await, 1);
    assert_eq!(app.count("post_like").await, 1);

    // Listing order: newest publication first, ties broken by id.
    let (_, page) = app.get_as("/api/v1/posts", None).await;
    let ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [draft, a], "the just-published draft is newest");
});

both_backends!(a_scheduled_post_counts_from_its_time_on, |backend| {
    let clock = std::sync::Arc::new(ManualClock::new(chrono::Utc::now()));
    // Uncached: this is about counting; the cache catches up when the
    // background publisher reports the post (tests/api/workflow.rs).
    let app =
        crate::helpers::Spawn::new(backend).clock(clock.clone()).setting("cache_max_bytes", 0).start().await;
    let ada = app.register("ada").await;
    app.publish_post(&ada, "Now", &["rust"]).await;
    let later = app.create_post(&ada, json!({"title": "Later", "body": "l", "tags": ["rust"]})).await;
    let at = (clock.now() + chrono::Duration::hours(1)).to_rfc3339();
    act(
        &app,
        Method::POST,
        &format!("/api/v1/posts/{}/schedule", later["id"]),
        &ada,
        Some(json!({"publish_at": at})),
    )
    .await;
    assert_eq!(articles_count(&app, "tag=rust", None).await, 1);
    assert_eq!(tag_counts(&app).await, [("rust".to_owned(), 1)]);

    clock.advance(chrono::Duration::hours(2));
    assert_eq!(articles_count(&app, "tag=rust", None).await, 2, "due, though the publisher has not run");
    assert_eq!(articles_count(&app, "", None).await, 2);
    assert_eq!(tag_counts(&app).await, [("rust".to_owned(), 2)]);
});

both_backends!(realworld_offsets_are_bounded_with_a_clear_error, |backend| {
    let app = TestApp::spawn(backend).await;
    let ada = app.register("ada").await;
    app.publish_post(&ada, "Only", &[]).await;
    let (status, body) = app.get_as("/api/articles?offset=10000", None).await;
    assert_eq!(
        (status, body["articles"].as_array().unwrap().len(), body["articlesCount"].as_i64()),
        (200, 0, Some(1))
    );
    let (status, body) = app.get_as("/api/articles?offset=10001", None).await;
    assert_eq!(status, 422);
    assert!(body["errors"]["offset"][0].as_str().unwrap().contains("10000"), "{body}");
});

both_backends!(favourites_list_in_publication_order_and_follow_republishing, |backend| {
    let app = TestApp::spawn(backend).await;
    let ada = app.register("ada").await;
    let reader = app.register("reader").await;
    let mut ids = Vec::new();
    for title in ["First", "Second", "Third"] {
        ids.push(app.publish_post(&ada, title, &["rust"]).await["id"].as_i64().unwrap());
    }
    let [first, second, third] = ids[..] else { unreachable!() };
    // Liked in another order than they were published.
    for id in [second, first, third] {
        act(&app, Method::PUT, &format!("/api/v1/posts/{id}/like"), &reader, None).await;
    }
    let titles = |query: &'static str| {
        let app = &app;
        async move {
            let (status, body) = app.get_as(&format!("/api/articles?favorited=reader{query}"), None).await;
            assert_eq!(status, 200, "{body}");
            let titles: Vec<String> = body["articles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["title"].as_str().unwrap().to_owned())
                .collect();
            titles
        }
    };
    assert_eq!(titles("").await, ["Third", "Second", "First"], "newest publication first");
    assert_eq!(titles("&limit=1&offset=1").await, ["Second"]);
    assert_eq!(articles_count(&app, "favorited=reader", None).await, 3);

    // Taken back and published again, the first post is now the newest.
    for step in ["archive", "restore", "publish"] {
        act(&app, Method::POST, &format!("/api/v1/posts/{first}/{step}"), &ada, None).await;
        let public = if step == "publish" { 3 } else { 2 };
        assert_eq!(articles_count(&app, "favorited=reader", None).await, public, "after {step}");
    }
    assert_eq!(titles("").await, ["First", "Third", "Second"]);
    // Archived, it leaves the favourites (RealWorld lists published posts
    // only, to its author too) and their count.
    act(&app, Method::POST, &format!("/api/v1/posts/{third}/archive"), &ada, None).await;
    assert_eq!(titles("").await, ["First", "Second"]);
    for who in [None, Some(&reader), Some(&ada)] {
        assert_eq!(articles_count(&app, "favorited=reader", who).await, 2);
    }

    // A like given to a draft (its author's own) counts once the draft is published.
    let draft = app.create_post(&ada, json!({"title": "Draft", "body": "b"})).await["id"].as_i64().unwrap();
    act(&app, Method::PUT, &format!("/api/v1/posts/{draft}/like"), &ada, None).await;
    assert_eq!(articles_count(&app, "favorited=ada", None).await, 0);
    assert_eq!(articles_count(&app, "favorited=ada", Some(&ada)).await, 0);
    act(&app, Method::POST, &format!("/api/v1/posts/{draft}/publish"), &ada, None).await;
    assert_eq!(articles_count(&app, "favorited=ada", None).await, 1);
    assert_eq!(articles_count(&app, "favorited=nobody", None).await, 0);
});
