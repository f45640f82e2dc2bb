//! Domain events: one per action, written with the change it describes, read
//! back as the audit log; and the dispatcher bringing outside writes (the
//! CLI) to the serving instance's cache.

use std::sync::atomic::Ordering;
use std::time::Duration;

use herald::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends, problem};

async fn events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let response = app.request(Method::GET, &format!("/api/v1/events?{query}"), token).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET /api/v1/events?{query}");
    response.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

fn types(items: &[Value]) -> Vec<&str> {
    items.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

both_backends!(every_action_records_one_event_newest_first, |backend| {
    let app = TestApp::spawn(backend).await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let post = app.create_post(&ada, json!({"title": "Hello", "body": "World"})).await;
    let id = post["id"].as_i64().unwrap();
    let path = format!("/api/v1/posts/{id}");
    let patched =
        app.request(Method::PATCH, &path, &ada.access).json(&json!({"title": "Hi"})).send().await.unwrap();
    assert_eq!(patched.status(), 200);
    let published = app.request(Method::POST, &format!("{path}/publish"), &ada.access).send().await.unwrap();
    assert_eq!(published.status(), 200);
    for _ in 0..2 {
        let liked = app.request(Method::PUT, &format!("{path}/like"), &bob.access).send().await.unwrap();
        assert_eq!(liked.status(), 200);
    }
    let comment = app
        .request(Method::POST, &format!("{path}/comments"), &bob.access)
        .json(&json!({"body": "Nice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(comment.status(), 201);
    let follow = app.request(Method::PUT, "/api/v1/profiles/ada/follow", &bob.access).send().await.unwrap();
    assert_eq!(follow.status(), 200);

    let all = events(&app, &admin.access, "limit=100").await;
    assert_eq!(
        types(&all),
        [
            "user.followed",
            "comment.created",
            "post.liked",
            "post.published",
            "post.updated",
            "post.created",
            "user.registered",
            "user.registered",
            "user.registered",
        ],
        "one event per change, none for the repeated like"
    );
    let updated = &all[4];
    assert_eq!(updated["actor_id"], ada.user_id);
    assert_eq!(updated["subject"], json!({"type": "post", "id": id.to_string()}));
    assert_eq!(updated["payload"]["fields"], json!(["title"]));
    assert!(!all.iter().any(|e| e.to_string().contains("password")), "no secrets in payloads");

    let filtered = events(&app, &admin.access, "type=post.created&type=post.published,post.liked").await;
    assert_eq!(types(&filtered), ["post.liked", "post.published", "post.created"]);
    let by_bob = events(&app, &admin.access, &format!("actor={}", bob.user_id)).await;
    assert_eq!(types(&by_bob), ["user.followed", "comment.created", "post.liked", "user.registered"]);
    let of_post = events(&app, &admin.access, &format!("subject=post:{id}")).await;
    assert_eq!(of_post.len(), 4);

    // Paging: two at a time, the cursor continues where the page ended.
    let response = app.request(Method::GET, "/api/v1/events?limit=2", &admin.access).send().await.unwrap();
    let first: Value = response.json().await.unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = events(&app, &admin.access, &format!("limit=2&cursor={cursor}")).await;
    assert_eq!(types(&second), ["post.liked", "post.published"]);

    let one = app.request(
        Method::GET,
        &format!("/api/v1/events/{}", all[0]["id"].as_str().unwrap()),
        &admin.access,
    );
    let one: Value = one.send().await.unwrap().json().await.unwrap();
    assert_eq!(one["type"], "user.followed");

    // The author reads the history of her post, comments included.
    let response = app.request(Method::GET, &format!("{path}/events"), &ada.access).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let history: Value = response.json().await.unwrap();
    let history: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(history, ["comment.created", "post.liked", "post.published", "post.updated", "post.created"]);
});

both_backends!(the_audit_log_is_for_admins_and_rejects_bad_filters, |backend| {
    let app = TestApp::spawn(backend).await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let post = app.create_post(&ada, json!({"title": "Mine", "body": "Text"})).await;
    let id = post["id"].as_i64().unwrap();

    let denied = app.request(Method::GET, "/api/v1/events", &ada.access).send().await.unwrap();
    assert_eq!(denied.status(), 403);
    let others =
        app.request(Method::GET, &format!("/api/v1/posts/{id}/events"), &bob.access).send().await.unwrap();
    assert_eq!(others.status(), 404, "a draft of someone else does not exist for bob");
    let anonymous = app.get("/api/v1/events").await;
    assert_eq!(anonymous.status(), 401);

    for (query, field) in [
        ("type=post.exploded", "type"),
        ("subject=planet:3", "subject"),
        ("limit=0", "limit"),
        ("actor=abc", "actor"),
        ("since=yesterday", "since"),
        ("colour=red", "colour"),
    ] {
        let response =
            app.request(Method::GET, &format!("/api/v1/events?{query}"), &admin.access).send().await.unwrap();
        assert_eq!(response.status(), 422, "{query}");
        let body = problem(response).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    let cursor = app.request(Method::GET, "/api/v1/events?cursor=zzz", &admin.access).send().await.unwrap();
    assert_eq!(cursor.status(), 400);
    let missing =
        app.request(Method::GET, "/api/v1/events/0190c7a8-0000-7000-8000-000000000000", &admin.access);
    assert_eq!(missing.send().await.unwrap().status(), 404);
});

both_backends!(a_change_that_fails_records_no_event, |backend| {
    let app = TestApp::spawn(backend).await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let ada = app.register("ada").await;
    app.create_post(&ada, json!({"title": "One", "body": "x", "slug": "taken"})).await;
    let before = app.count("event").await;
    let conflict = app
        .request(Method::POST, "/api/v1/posts", &ada.access)
        .json(&json!({"title": "Two", "body": "y", "slug": "taken"}))
        .send()
        .await
        .unwrap();
    assert_eq!(conflict.status(), 409);
    let invalid = app
        .request(Method::POST, "/api/v1/posts", &ada.access)
        .json(&json!({"title": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    assert_eq!(app.count("event").await, before, "neither failed create left an event");
    assert_eq!(types(&events(&app, &admin.access, "type=post.created").await), ["post.created"]);
});

both_backends!(a_cli_write_reaches_the_serving_instances_cache_through_the_outbox, |backend| {
    let app = TestApp::spawn(backend).await;
    let ada = app.register("ada").await;
    app.create_post(&ada, json!({"title": "Visible", "body": "x", "publish": true})).await;
    let hits = &app.state.cache.stats.l1_hits;
    let read_is_a_hit = || async {
        let before = hits.load(Ordering::Relaxed);
        assert_eq!(app.get("/api/articles").await.status(), 200);
        hits.load(Ordering::Relaxed) > before
    };
    read_is_a_hit().await;
    assert!(read_is_a_hit().await, "served from the cache");

    let dir = tempfile::tempdir().unwrap();
    let output = crate::cli::herald(dir.path())
        .env("HERALD_DATABASE_URL", &app.db_url)
        .args(["admin", "disable", "--username", "ada"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // Cached reads live for a minute; the dispatcher must do far better.
    let mut reloaded = false;
    for _ in 0..40 {
        if !read_is_a_hit().await {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the CLI's change never reached the cache");
    // The cache hears of a change before its events are marked dispatched.
    let mut undispatched = -1;
    for _ in 0..100 {
        undispatched = app.count("event WHERE dispatched_at IS NULL").await;
        if undispatched == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(undispatched, 0, "every event was dispatched");
});

both_backends!(events_and_finished_jobs_are_pruned_after_the_retention_period, |backend| {
    let clock = std::sync::Arc::new(herald::clock::ManualClock::new(chrono::Utc::now()));
    let app = crate::helpers::Spawn::new(backend).clock(std::sync::Arc::clone(&clock)).start().await;
    let ada = app.register("ada").await;
    let post = app.create_post(&ada, json!({"title": "Old news", "body": "b"})).await;
    app.analysed_post(&post["id"], &ada).await;
    // Wait until every event is dispatched and the analysis job has finished
    // (its result is stored a moment before the job is marked succeeded; on
    // a loaded machine that took longer than two seconds once).
    let mut settled = false;
    for _ in 0..200 {
        let pending = app.count("event WHERE dispatched_at IS NULL").await;
        if pending == 0 && app.count("job WHERE state = 'succeeded'").await == 1 {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(settled, "the events were dispatched and the analysis job finished");
    let ctx = &app.state.services;
    assert_eq!(herald::service::events::prune(ctx).await.unwrap(), 0, "nothing is old yet");
    clock.advance(chrono::Duration::days(91));
    let pruned = herald::service::events::prune(ctx).await.unwrap();
    assert_eq!(pruned, 2, "user.registered and the analysis job");
    assert_eq!(app.count("event").await, 1, "the latest event stays: stream positions go on from it");
    assert_eq!(app.count("job").await, 0);
    assert_eq!(app.count("post").await, 1, "the post itself stays");
    let last = herald::store::events::last_seq(&ctx.db).await.unwrap();
    let ada = app.login_ok("ada").await;
    app.create_post(&ada, json!({"title": "New news", "body": "b"})).await;
    let mut next = Vec::new();
    for _ in 0..40 {
        next = herald::store::events::after(&ctx.db, last, 10).await.unwrap();
        if !next.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(next[0].seq, Some(last + 1), "numbering did not restart after pruning");
});
