//! The publishing workflow and who sees posts in each state.

use std::sync::Arc;

use chrono::{Duration, Utc};
use herald::clock::{Clock as _, ManualClock};
use herald::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Spawn, TestApp, both_backends, problem};

both_backends!(posts_move_only_along_the_documented_transitions, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend).clock(Arc::clone(&clock)).start().await;
    let author = app.register("flow").await;
    let post = app.create_post(&author, json!({"title": "Flowing", "body": "b"})).await;
    let path = format!("/api/v1/posts/{}", post["id"]);
    let act = |action: &str, body: Option<Value>| {
        let mut request = app.request(Method::POST, &format!("{path}/{action}"), &author.access);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };

    let response = act("archive", None).await.unwrap();
    assert_eq!(response.status(), 409);
    assert_eq!(problem(response).await["detail"], "cannot archive a post that is draft");

    let past = (clock.now() - Duration::minutes(1)).to_rfc3339();
    let response = act("schedule", Some(json!({"publish_at": past}))).await.unwrap();
    assert_eq!(response.status(), 422, "scheduling needs a future time");

    let at = clock.now() + Duration::hours(1);
    let scheduled: Value =
        act("schedule", Some(json!({"publish_at": at.to_rfc3339()}))).await.unwrap().json().await.unwrap();
    assert_eq!(scheduled["status"], "scheduled");
    let unscheduled: Value = act("unschedule", None).await.unwrap().json().await.unwrap();
    assert_eq!(unscheduled["status"], "draft");
    assert!(unscheduled["publish_at"].is_null());

    let published: Value = act("publish", None).await.unwrap().json().await.unwrap();
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    let response = act("publish", None).await.unwrap();
    assert_eq!(problem(response).await["detail"], "cannot publish a post that is published");

    let archived: Value = act("archive", None).await.unwrap().json().await.unwrap();
    assert_eq!(archived["status"], "archived");
    let restored: Value = act("restore", None).await.unwrap().json().await.unwrap();
    assert_eq!(restored["status"], "draft");
    assert!(restored["published_at"].is_null());

    let stale = app
        .request(Method::POST, &format!("{path}/publish"), &author.access)
        .header("if-match", "\"v1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412, "actions honour If-Match");
});

both_backends!(a_scheduled_post_becomes_public_at_its_time_even_across_a_restart, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend).clock(Arc::clone(&clock)).start().await;
    let author = app.register("planner").await;
    let post = app.create_post(&author, json!({"title": "Future news", "body": "b"})).await;
    let path = format!("/api/v1/posts/{}", post["id"]);
    let at = clock.now() + Duration::hours(2);
    app.request(Method::POST, &format!("{path}/schedule"), &author.access)
        .json(&json!({"publish_at": at.to_rfc3339()}))
        .send()
        .await
        .unwrap();
    assert_eq!(app.get_as(&path, None).await.0, 404, "not public before its time");
    let (_, list) = app.get_as("/api/v1/posts", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);

    // A second instance on the same database stands in for a restart.
    let restarted =
        Spawn::new(backend).clock(Arc::clone(&clock)).setting("database_url", &app.db_url).start().await;
    clock.advance(Duration::hours(2));
    let (status, seen) = restarted.get_as(&path, None).await;
    assert_eq!(status, 200);
    assert_eq!(seen["status"], "published");
    assert_eq!(seen["published_at"].as_str().map(|s| s.parse::<chrono::DateTime<Utc>>().unwrap()), Some(at));
    let (_, list) = restarted.get_as("/api/v1/posts?status=published", None).await;
    assert_eq!(list["items"][0]["id"], post["id"]);

    herald::service::posts::publish_due(&restarted.state.services).await.unwrap();
    herald::service::posts::publish_due(&restarted.state.services).await.unwrap();
    let published_events =
        restarted.count("event WHERE event_type = 'post.published' AND actor_id IS NULL").await;
    assert_eq!(published_events, 1, "publishing a scheduled post records exactly one event, by the system");
    let stored: String = match &restarted.state.services.db {
        herald::store::Db::Sqlite { read, .. } => sqlx::query_scalar("SELECT status FROM post")
            .fetch_one(&mut **read.get().await.unwrap())
            .await
            .unwrap(),
        herald::store::Db::Postgres(pool) => sqlx::query_scalar("SELECT status FROM post")
            .fetch_one(&mut **pool.get().await.unwrap())
            .await
            .unwrap(),
    };
    assert_eq!(stored, "published", "the publisher materialises the status");
});

both_backends!(visibility_depends_on_role_and_ownership, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("visible-author").await;
    let other = app.register("other-author").await;
    let viewer = app.user_with_role("just-viewing", Role::Viewer).await;
    let editor = app.user_with_role("editing", Role::Editor).await;
    let draft = app.create_post(&author, json!({"title": "Secret draft", "body": "b"})).await;
    let public = app.publish_post(&author, "Public post", &[]).await;
    let archived = app.publish_post(&author, "Old post", &[]).await;
    app.request(Method::POST, &format!("/api/v1/posts/{}/archive", archived["id"]), &author.access)
        .send()
        .await
        .unwrap();

    let ids = |page: &Value| -> Vec<i64> {
        page["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
    };
    let public_id = public["id"].as_i64().unwrap();
    let mut all = vec![draft["id"].as_i64().unwrap(), public_id, archived["id"].as_i64().unwrap()];
    all.sort_unstable();

    for who in [None, Some(&viewer), Some(&other)] {
        let (_, page) = app.get_as("/api/v1/posts", who).await;
        assert_eq!(ids(&page), [public_id], "anonymous, viewers and other authors see published posts only");
        assert_eq!(app.get_as(&format!("/api/v1/posts/{}", draft["id"]), who).await.0, 404);
    }
    for who in [&author, &editor] {
        let (_, page) = app.get_as("/api/v1/posts?sort=created_at&order=asc", Some(who)).await;
        assert_eq!(ids(&page), all, "authors see their own posts, editors everything");
        assert_eq!(app.get_as(&format!("/api/v1/posts/{}", draft["id"]), Some(who)).await.0, 200);
    }
    let (_, drafts) = app.get_as("/api/v1/posts?status=draft", Some(&editor)).await;
    assert_eq!(ids(&drafts), [draft["id"].as_i64().unwrap()]);
});
