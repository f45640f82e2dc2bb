//! Likes, follows, the feed, categories and tags.

use herald::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends, problem};

both_backends!(likes_are_idempotent_counted_and_flagged_per_viewer, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("liked-author").await;
    let fan = app.register("fan").await;
    let other = app.register("indifferent").await;
    let post = app.publish_post(&author, "Likeable", &[]).await;
    let other_post = app.publish_post(&author, "Unliked", &[]).await;
    let like_path = format!("/api/v1/posts/{}/like", post["id"]);
    for _ in 0..2 {
        let liked: Value =
            app.request(Method::PUT, &like_path, &fan.access).send().await.unwrap().json().await.unwrap();
        assert_eq!((liked["like_count"].as_i64(), liked["liked"].as_bool()), (Some(1), Some(true)));
    }
    let (_, as_other) = app.get_as(&format!("/api/v1/posts/{}", post["id"]), Some(&other)).await;
    assert_eq!((as_other["like_count"].as_i64(), as_other["liked"].as_bool()), (Some(1), Some(false)));
    let (_, list) = app.get_as("/api/v1/posts", Some(&fan)).await;
    let flags: Vec<(String, bool)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["title"].as_str().unwrap().to_owned(), p["liked"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        flags,
        [("Unliked".to_owned(), false), ("Likeable".to_owned(), true)],
        "per viewer and per post"
    );
    let _ = other_post;
    for _ in 0..2 {
        let unliked: Value =
            app.request(Method::DELETE, &like_path, &fan.access).send().await.unwrap().json().await.unwrap();
        assert_eq!((unliked["like_count"].as_i64(), unliked["liked"].as_bool()), (Some(0), Some(false)));
    }
    assert_eq!(app.client.put(app.url(&like_path)).send().await.unwrap().status(), 401);
});

both_backends!(following_shapes_profiles_and_the_feed, |backend| {
    let app = TestApp::spawn(backend).await;
    let star = app.register("star").await;
    let fan = app.register("follower").await;
    let other = app.register("someone-else").await;
    app.publish_post(&star, "Star post", &[]).await;
    app.publish_post(&other, "Other post", &[]).await;
    app.create_post(&star, json!({"title": "Star draft", "body": "b"})).await;

    let follow_path = "/api/v1/profiles/star/follow";
    for _ in 0..2 {
        let profile: Value =
            app.request(Method::PUT, follow_path, &fan.access).send().await.unwrap().json().await.unwrap();
        assert_eq!(
            (profile["following"].as_bool(), profile["follower_count"].as_i64()),
            (Some(true), Some(1))
        );
    }
    let (_, anonymous) = app.get_as("/api/v1/profiles/STAR", None).await;
    assert_eq!(
        (anonymous["following"].as_bool(), anonymous["follower_count"].as_i64()),
        (Some(false), Some(1))
    );
    let (_, fan_profile) = app.get_as("/api/v1/profiles/follower", None).await;
    assert_eq!(fan_profile["following_count"], 1);

    let (_, feed) = app.get_as("/api/v1/feed", Some(&fan)).await;
    let titles: Vec<&str> =
        feed["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Star post"], "followed authors' published posts only");
    assert_eq!(feed["items"][0]["author"]["following"], true);

    let own = app.request(Method::PUT, "/api/v1/profiles/follower/follow", &fan.access).send().await.unwrap();
    assert_eq!(own.status(), 422, "no following oneself");
    let unfollowed: Value =
        app.request(Method::DELETE, follow_path, &fan.access).send().await.unwrap().json().await.unwrap();
    assert_eq!(unfollowed["following"], false);
    let (_, feed) = app.get_as("/api/v1/feed", Some(&fan)).await;
    assert!(feed["items"].as_array().unwrap().is_empty());
    assert_eq!(app.get("/api/v1/feed").await.status(), 401);
    assert_eq!(app.get("/api/v1/profiles/nobody-at-all").await.status(), 404);
});

both_backends!(editors_manage_categories_listed_with_published_post_counts, |backend| {
    let app = TestApp::spawn(backend).await;
    let editor = app.user_with_role("cat-editor", Role::Editor).await;
    let author = app.register("cat-author").await;
    let create = |who: &crate::helpers::Session, body: Value| {
        app.request(Method::POST, "/api/v1/categories", &who.access).json(&body).send()
    };
    assert_eq!(create(&author, json!({"name": "News"})).await.unwrap().status(), 403);
    let created =
        create(&editor, json!({"name": "Release Notes", "description": "What shipped"})).await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["slug"], "release-notes");
    assert_eq!(
        create(&editor, json!({"name": "Again", "slug": "release-notes"})).await.unwrap().status(),
        409
    );
    let response = create(&editor, json!({"name": ""})).await.unwrap();
    assert_eq!(problem(response).await["errors"][0]["field"], "name");

    app.create_post(
        &author,
        json!({"title": "v1", "body": "b", "category": "release-notes", "publish": true}),
    )
    .await;
    app.create_post(&author, json!({"title": "v2 draft", "body": "b", "category": "release-notes"})).await;
    let unknown = app
        .request(Method::POST, "/api/v1/posts", &author.access)
        .json(&json!({"title": "t", "body": "b", "category": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(unknown).await["errors"][0]["field"], "category");

    let (_, list) = app.get_as("/api/v1/categories", None).await;
    assert_eq!(list[0]["post_count"], 1, "drafts are not counted");
    let renamed: Value = app
        .request(Method::PATCH, "/api/v1/categories/release-notes", &editor.access)
        .json(&json!({"name": "Changelog", "slug": "changelog"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((renamed["slug"].as_str(), renamed["name"].as_str()), (Some("changelog"), Some("Changelog")));
    let (_, posts) = app.get_as("/api/v1/posts?category=changelog", None).await;
    assert_eq!(posts["items"][0]["category"]["name"], "Changelog");
    assert_eq!(
        app.request(Method::DELETE, "/api/v1/categories/changelog", &editor.access)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let (_, posts) = app.get_as("/api/v1/posts", None).await;
    assert!(posts["items"][0]["category"].is_null(), "posts survive their category");
    assert_eq!(app.get("/api/v1/categories/changelog").await.status(), 404);
});

both_backends!(tags_are_listed_by_popularity_among_published_posts, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("tagger").await;
    app.publish_post(&author, "one", &["rust", "web"]).await;
    app.publish_post(&author, "two", &["Rust"]).await;
    app.publish_post(&author, "three", &["rust", "cli"]).await;
    app.create_post(&author, json!({"title": "draft", "body": "b", "tags": ["secret", "cli", "cli2"]})).await;
    let (_, tags) = app.get_as("/api/v1/tags", None).await;
    assert_eq!(
        tags,
        json!([{"tag": "rust", "post_count": 3}, {"tag": "cli", "post_count": 1}, {"tag": "web", "post_count": 1}])
    );
});
