//! Posts: creation, validation, rendering, slugs, revisions, optimistic
//! concurrency and who may change what.

use herald::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends, problem};

both_backends!(a_new_post_is_a_draft_with_derived_slug_excerpt_and_sanitised_html, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("writer").await;
    let response = app
        .request(Method::POST, "/api/v1/posts", &author.access)
        .json(&json!({
            "title": "  Über Café: Ñandú & Friends ",
            "body": "Intro with [a link](javascript:alert(1)).\n\n<script>steal()</script>\n\n<img src=x onerror=\"boom()\">\n\n**Bold** words.",
            "tags": ["Rust", "rust", "Web Dev"],
            "platforms": ["blog", "x"],
            "content_type": "educational"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(response.headers()["etag"].to_str().unwrap().starts_with("\"v1"));
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let post: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/posts/{}", post["id"]));
    assert_eq!(post["status"], "draft");
    assert_eq!(post["title"], "Über Café: Ñandú & Friends");
    assert_eq!(post["slug"], "uber-cafe-nandu-friends");
    assert_eq!(post["tags"], json!(["rust", "web-dev"]));
    assert_eq!(post["platforms"], json!(["blog", "x"]));
    assert_eq!(post["content_type"], "educational");
    assert_eq!(post["author"]["username"], "writer");
    assert!(post["published_at"].is_null());
    assert!(post["excerpt"].as_str().unwrap().starts_with("Intro with a link."), "{}", post["excerpt"]);
    let html = post["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>Bold</strong>"), "{html}");
    for inert in ["<script", "onerror", "javascript:", "steal()"] {
        assert!(!html.contains(inert), "{inert} in {html}");
    }
});

both_backends!(invalid_posts_are_rejected_field_by_field_and_nothing_is_written, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("sloppy").await;
    let response = app
        .request(Method::POST, "/api/v1/posts", &author.access)
        .json(&json!({
            "title": "x".repeat(301),
            "body": "",
            "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>(),
            "platforms": ["blog", "myspace"],
            "content_type": "rant",
            "slug": "Not A Slug"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body = problem(response).await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "body", "slug", "tags", "platforms[1]", "content_type"], "{body}");
    let response =
        app.request(Method::POST, "/api/v1/posts", &author.access).json(&json!({})).send().await.unwrap();
    assert_eq!(
        problem(response).await["errors"].as_array().unwrap().len(),
        2,
        "title and body are both required"
    );
    let huge = "x".repeat(100_001);
    let response = app
        .request(Method::POST, "/api/v1/posts", &author.access)
        .json(&json!({"title": "t", "body": huge}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(app.count("post").await, 0);
    assert_eq!(app.count("post_revision").await, 0);
});

both_backends!(duplicate_titles_get_distinct_slugs_and_a_chosen_slug_must_be_free, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("dup").await;
    let first = app.create_post(&author, json!({"title": "Same Title", "body": "a"})).await;
    let second = app.create_post(&author, json!({"title": "Same Title", "body": "b"})).await;
    assert_eq!(first["slug"], "same-title");
    assert_eq!(second["slug"], "same-title-2");
    let response = app
        .request(Method::POST, "/api/v1/posts", &author.access)
        .json(&json!({"title": "Other", "body": "c", "slug": "same-title"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    problem(response).await;
});

both_backends!(concurrent_creates_and_retitles_with_one_title_all_succeed_with_distinct_slugs, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("racer").await;
    let create = |n: usize| {
        let request = app.request(Method::POST, "/api/articles", &author.access).json(
            &json!({"article": {"title": "Race Day", "description": "d", "body": format!("entry {n}")}}),
        );
        async move { request.send().await.unwrap() }
    };
    let responses = futures_util::future::join_all((0..32).map(create)).await;
    let mut slugs = std::collections::BTreeSet::new();
    for response in responses {
        assert_eq!(response.status(), 201, "every racer's post is created");
        let body: serde_json::Value = response.json().await.unwrap();
        slugs.insert(body["article"]["slug"].as_str().unwrap().to_owned());
    }
    assert_eq!(slugs.len(), 32, "distinct slugs: {slugs:?}");
    assert!(slugs.contains("race-day") && slugs.contains("race-day-32"), "{slugs:?}");

    // Sixteen drafts retitled to one title at once.
    let mut ids = Vec::new();
    for n in 0..16 {
        ids.push(
            app.create_post(&author, json!({"title": format!("Draft {n}"), "body": "b"})).await["id"].clone(),
        );
    }
    let retitle = |id: serde_json::Value| {
        let request = app
            .request(Method::PATCH, &format!("/api/v1/posts/{id}"), &author.access)
            .json(&json!({"title": "Common Name"}));
        async move { request.send().await.unwrap() }
    };
    let responses = futures_util::future::join_all(ids.into_iter().map(retitle)).await;
    let mut renamed = std::collections::BTreeSet::new();
    for response in responses {
        assert_eq!(response.status(), 200, "every retitle succeeds");
        let body: serde_json::Value = response.json().await.unwrap();
        renamed.insert(body["slug"].as_str().unwrap().to_owned());
    }
    assert_eq!(renamed.len(), 16, "distinct slugs: {renamed:?}");
    assert!(renamed.iter().all(|s| s.starts_with("common-name")), "{renamed:?}");
});

both_backends!(the_slug_follows_the_title_until_publication_then_old_slugs_redirect, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("slugger").await;
    let post = app.create_post(&author, json!({"title": "First Draft", "body": "text"})).await;
    let path = format!("/api/v1/posts/{}", post["id"]);
    let renamed: Value = app
        .request(Method::PATCH, &path, &author.access)
        .json(&json!({"title": "Better Title"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["slug"], "better-title", "drafts follow their title");

    app.request(Method::POST, &format!("{path}/publish"), &author.access).send().await.unwrap();
    let retitled: Value = app
        .request(Method::PATCH, &path, &author.access)
        .json(&json!({"title": "Even Better Title"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(retitled["slug"], "better-title", "published slugs are stable");

    let moved: Value = app
        .request(Method::PATCH, &path, &author.access)
        .json(&json!({"slug": "the-final-word"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(moved["slug"], "the-final-word");
    let old = app.get("/api/v1/posts/by-slug/better-title").await;
    assert_eq!(old.status(), 301);
    assert_eq!(old.headers()["location"], "/api/v1/posts/by-slug/the-final-word");
    let (status, current) = app.get_as("/api/v1/posts/by-slug/the-final-word", None).await;
    assert_eq!((status, current["id"].clone()), (200, post["id"].clone()));
    assert_eq!(app.get("/api/v1/posts/by-slug/never-existed").await.status(), 404);
});

both_backends!(every_text_change_is_a_revision_that_can_be_listed_fetched_and_restored, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("reviser").await;
    let post = app.create_post(&author, json!({"title": "Version one", "body": "first body"})).await;
    let path = format!("/api/v1/posts/{}", post["id"]);
    let patch = |body: Value| app.request(Method::PATCH, &path, &author.access).json(&body).send();
    patch(json!({"body": "second body"})).await.unwrap();
    patch(json!({"tags": ["only-tags"]})).await.unwrap();
    patch(json!({"title": "Version three"})).await.unwrap();

    let revisions: Value = app
        .request(Method::GET, &format!("{path}/revisions"), &author.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let numbers: Vec<i64> =
        revisions.as_array().unwrap().iter().map(|r| r["revision"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [3, 2, 1], "a tags-only change stores no revision");
    assert_eq!(revisions[0]["editor"], "reviser");

    let first: Value = app
        .request(Method::GET, &format!("{path}/revisions/1"), &author.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((first["title"].as_str(), first["body"].as_str()), (Some("Version one"), Some("first body")));

    let restored = app
        .request(Method::POST, &format!("{path}/revisions/1/restore"), &author.access)
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(
        (restored["title"].as_str(), restored["body"].as_str()),
        (Some("Version one"), Some("first body"))
    );
    let revisions: Value = app
        .request(Method::GET, &format!("{path}/revisions"), &author.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revisions[0]["revision"], 4, "restoring creates a new revision");

    let stranger = app.register("stranger").await;
    let response =
        app.request(Method::GET, &format!("{path}/revisions"), &stranger.access).send().await.unwrap();
    assert_eq!(response.status(), 404, "a draft's revisions are invisible to others");
    assert_eq!(
        app.request(Method::GET, &format!("{path}/revisions/99"), &author.access)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
});

both_backends!(if_match_guards_changes_and_concurrent_edits_let_exactly_one_win, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("racer").await;
    let post = app.create_post(&author, json!({"title": "Contended", "body": "v1"})).await;
    let path = format!("/api/v1/posts/{}", post["id"]);

    let read = app.request(Method::GET, &path, &author.access).send().await.unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("\"v1-"), "{etag}");

    let edits: Vec<_> = (0..6)
        .map(|i| {
            let request = app
                .request(Method::PATCH, &path, &author.access)
                .header("if-match", &etag)
                .json(&json!({"body": format!("edit {i}")}));
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for edit in edits {
        statuses.push(edit.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 5, "{statuses:?}");

    let stale =
        app.request(Method::DELETE, &path, &author.access).header("if-match", "\"v1\"").send().await.unwrap();
    assert_eq!(stale.status(), 412);
    problem(stale).await;
    let current = app.request(Method::GET, &path, &author.access).send().await.unwrap();
    assert!(current.headers()["etag"].to_str().unwrap().starts_with("\"v2-"));
    let without = app
        .request(Method::PATCH, &path, &author.access)
        .json(&json!({"body": "last write wins"}))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 200, "no If-Match: last write wins");
    let deleted =
        app.request(Method::DELETE, &path, &author.access).header("if-match", "\"v3\"").send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.request(Method::GET, &path, &author.access).send().await.unwrap().status(), 404);
});

both_backends!(only_authors_of_a_post_or_editors_may_change_it, |backend| {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("owner").await;
    let other = app.register("other-author").await;
    let editor = app.user_with_role("the-editor", Role::Editor).await;
    let viewer = app.user_with_role("the-viewer", Role::Viewer).await;
    let post = app.publish_post(&owner, "Owned", &[]).await;
    let path = format!("/api/v1/posts/{}", post["id"]);
    let patch = |who: &crate::helpers::Session| {
        app.request(Method::PATCH, &path, &who.access).json(&json!({"body": "changed"})).send()
    };
    assert_eq!(patch(&other).await.unwrap().status(), 403);
    assert_eq!(patch(&viewer).await.unwrap().status(), 403);
    assert_eq!(patch(&editor).await.unwrap().status(), 200);
    assert_eq!(patch(&owner).await.unwrap().status(), 200);
    let response = app
        .request(Method::POST, "/api/v1/posts", &viewer.access)
        .json(&json!({"title": "t", "body": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "viewers cannot write");
    assert_eq!(app.request(Method::DELETE, &path, &other.access).send().await.unwrap().status(), 403);
    let anonymous = app.client.patch(app.url(&path)).json(&json!({"body": "x"})).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        app.request(Method::PATCH, "/api/v1/posts/abc", &owner.access)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
});
