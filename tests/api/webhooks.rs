//! Webhooks: subscriptions, Standard Webhooks signatures checked
//! independently by a real local receiver, retries on the schedule, 410
//! Gone, timeouts, the SSRF guard, secret rotation, the delivery log and
//! replay.

use std::sync::Arc;
use std::time::Duration;

use herald::clock::ManualClock;
use herald::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Session, Spawn, TestApp, both_backends, problem};
use crate::receiver::{Answer, Receiver};

/// A server that may deliver to the receiver on 127.0.0.1 and retries
/// after one second, twice.
pub(crate) fn spawn(backend: Backend) -> Spawn {
    Spawn::new(backend)
        .setting("webhook_allow_private_targets", true)
        .setting("webhook_retry_schedule", "0,1,1")
}

/// Subscribes `url`; pings reach it whatever `events` says.
pub(crate) async fn subscribe(app: &TestApp, admin: &Session, url: &str, events: &[&str]) -> Value {
    let response = app
        .request(Method::POST, "/api/v1/webhooks", &admin.access)
        .json(&json!({"url": url, "events": events, "description": "test receiver"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

pub(crate) async fn ping(app: &TestApp, admin: &Session, hook: &Value) -> Value {
    let path = format!("/api/v1/webhooks/{}/ping", hook["id"]);
    let response = app.request(Method::POST, &path, &admin.access).send().await.unwrap();
    assert_eq!(response.status(), 202);
    response.json().await.unwrap()
}

pub(crate) async fn deliveries(app: &TestApp, admin: &Session, hook: &Value, query: &str) -> Vec<Value> {
    let path = format!("/api/v1/webhooks/{}/deliveries?{query}", hook["id"]);
    let response = app.request(Method::GET, &path, &admin.access).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

/// Waits until the subscription's deliveries are all finished (none pending).
pub(crate) async fn settled(app: &TestApp, admin: &Session, hook: &Value, expected: usize) -> Vec<Value> {
    for _ in 0..200 {
        let found = deliveries(app, admin, hook, "").await;
        if found.len() >= expected && found.iter().all(|d| d["status"] != "pending") {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "deliveries of webhook {} never settled: {:#?}",
        hook["id"],
        deliveries(app, admin, hook, "").await
    );
}

both_backends!(a_published_post_reaches_its_subscriber_once_with_a_signature_that_verifies, |backend| {
    let receiver = Receiver::start().await;
    let app = spawn(backend).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.published"]).await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));

    let author = app.register("ada").await;
    let post = app.publish_post(&author, "Hello hooks", &[]).await;
    let received = receiver.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(received.len(), 1, "one delivery");
    let delivery = &received[0];
    assert!(delivery.signed_by(&secret), "the signature verifies: {:?}", delivery.headers);
    assert_eq!(delivery.header("content-type"), "application/json");
    let timestamp: i64 = delivery.header("webhook-timestamp").parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    let body = delivery.json();
    assert_eq!(body["type"], "post.published");
    assert_eq!(body["data"]["post_id"], post["id"]);
    assert_eq!(body["data"]["event_id"], delivery.header("webhook-id"));
    assert!(body["timestamp"].as_str().is_some());

    let log = settled(&app, &admin, &hook, 1).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "succeeded");
    assert_eq!(log[0]["event_id"], delivery.header("webhook-id"));
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(log[0]["attempts"][0]["status_code"], 200);
    // Nothing else arrives: each event is delivered once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 1);
});

both_backends!(subscriptions_receive_the_exact_types_and_families_they_name, |backend| {
    let comments = Receiver::start().await;
    let created = Receiver::start().await;
    let app = spawn(backend).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    subscribe(&app, &admin, &comments.url(), &["comment.*"]).await;
    subscribe(&app, &admin, &created.url(), &["post.created"]).await;

    let author = app.register("ada").await;
    let post = app.publish_post(&author, "Talk", &[]).await;
    let response = app
        .request(Method::POST, &format!("/api/v1/posts/{}/comments", post["id"]), &author.access)
        .json(&json!({"body": "First!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let got_comments = comments.wait_for(1, Duration::from_secs(10)).await;
    let got_created = created.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let types = |r: &Receiver| r.received().iter().map(|d| d.json()["type"].clone()).collect::<Vec<_>>();
    assert_eq!(got_comments.len(), 1);
    assert_eq!(types(&comments), vec![json!("comment.created")]);
    assert_eq!(got_created.len(), 1);
    assert_eq!(types(&created), vec![json!("post.created")]);
});

both_backends!(a_receiver_failing_twice_gets_three_attempts_with_one_webhook_id, |backend| {
    let receiver = Receiver::start().await;
    receiver.answer(&[Answer::Status(500), Answer::Status(503)]);
    let app = spawn(backend).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    ping(&app, &admin, &hook).await;

    let received = receiver.wait_for(3, Duration::from_secs(15)).await;
    assert_eq!(received.len(), 3, "two failures and the success");
    let ids: Vec<String> = received.iter().map(|r| r.header("webhook-id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one webhook-id across retries: {ids:?}");
    assert!(received.iter().all(|r| r.signed_by(hook["secret"].as_str().unwrap())));
    for pair in received.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(900), "retries wait for the schedule: {gap:?}");
    }
    let log = settled(&app, &admin, &hook, 1).await;
    assert_eq!(log[0]["status"], "succeeded");
    let codes: Vec<Value> =
        log[0]["attempts"].as_array().unwrap().iter().map(|a| a["status_code"].clone()).collect();
    assert_eq!(codes, vec![json!(500), json!(503), json!(200)]);
    assert_eq!(log[0]["attempts"][0]["error"], "the receiver answered 500");
    // A success ends the failure streak.
    let (_, current) = app.get_as(&format!("/api/v1/webhooks/{}", hook["id"]), Some(&admin)).await;
    assert_eq!(current["failing_since"], Value::Null);
});

both_backends!(an_answer_of_410_gone_disables_the_subscription_with_an_event, |backend| {
    let receiver = Receiver::start().await;
    receiver.answer(&[Answer::Status(410)]);
    let app = spawn(backend).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.published"]).await;
    ping(&app, &admin, &hook).await;

    let log = settled(&app, &admin, &hook, 1).await;
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 1, "410 is not retried");
    let (_, current) = app.get_as(&format!("/api/v1/webhooks/{}", hook["id"]), Some(&admin)).await;
    assert_eq!(current["active"], false);
    assert!(current["disabled_reason"].as_str().unwrap().contains("410"), "{current}");
    let (_, events) = app.get_as("/api/v1/events?type=webhook.disabled", Some(&admin)).await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");
    assert_eq!(events["items"][0]["subject"], json!({"type": "webhook", "id": hook["id"].to_string()}));

    // Events no longer go to a disabled subscription.
    let author = app.register("ada").await;
    app.publish_post(&author, "Unheard", &[]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 1);
});

both_backends!(a_receiver_that_hangs_hits_the_timeout, |backend| {
    let receiver = Receiver::start().await;
    receiver.answer(&[Answer::After(Duration::from_secs(10), 200)]);
    let app = spawn(backend)
        .setting("webhook_timeout_secs", 1)
        .setting("webhook_retry_schedule", "0")
        .start()
        .await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    ping(&app, &admin, &hook).await;

    let log = settled(&app, &admin, &hook, 1).await;
    assert_eq!(log[0]["status"], "failed");
    let attempt = &log[0]["attempts"][0];
    assert!(attempt["error"].as_str().unwrap().contains("timeout"), "{attempt}");
    assert_eq!(attempt["status_code"], Value::Null);
    let latency = attempt["latency_ms"].as_i64().unwrap();
    assert!((900..5000).contains(&latency), "gave up after about a second: {latency} ms");
});

both_backends!(private_and_metadata_targets_are_refused_and_not_retried, |backend| {
    let receiver = Receiver::start().await;
    let port = receiver.addr.port();
    let app = Spawn::new(backend)
        .setting("webhook_retry_schedule", "0,1,1")
        .setting("webhook_timeout_secs", 2)
        .start()
        .await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let targets = [
        format!("http://127.0.0.1:{port}/hook"),
        "http://10.0.0.1/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://[::1]:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://localhost:{port}/hook"),
    ];
    let mut hooks = Vec::new();
    for target in &targets {
        let hook = subscribe(&app, &admin, target, &["post.deleted"]).await;
        ping(&app, &admin, &hook).await;
        hooks.push(hook);
    }
    for (hook, target) in hooks.iter().zip(&targets) {
        let log = settled(&app, &admin, hook, 1).await;
        assert_eq!(log[0]["status"], "failed", "{target}");
        let attempts = log[0]["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "a refusal is not retried: {target}");
        let error = attempts[0]["error"].as_str().unwrap();
        assert!(error.starts_with("refused to deliver to"), "{target}: {error}");
    }
    assert!(receiver.received().is_empty(), "nothing reached the private receiver");
});

both_backends!(a_rotated_secret_signs_beside_the_new_one_until_the_overlap_ends, |backend| {
    let receiver = Receiver::start().await;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app =
        spawn(backend).clock(Arc::clone(&clock)).setting("webhook_secret_overlap_secs", 60).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    let old = hook["secret"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/webhooks/{}/rotate-secret", hook["id"]);
    let response = app.request(Method::POST, &path, &admin.access).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let rotated: Value = response.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    assert!(rotated["previous_secret_until"].as_str().is_some());

    ping(&app, &admin, &hook).await;
    let first = receiver.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(first[0].header("webhook-signature").split(' ').count(), 2);
    assert!(first[0].signed_by(&old) && first[0].signed_by(&new), "both during the overlap");

    clock.advance(chrono::Duration::seconds(61));
    ping(&app, &admin, &hook).await;
    let second = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(second.len(), 2);
    assert!(second[1].signed_by(&new), "the new secret signs");
    assert!(!second[1].signed_by(&old), "the old one no longer does");
});

both_backends!(a_delivery_is_replayed_with_the_same_webhook_id, |backend| {
    let receiver = Receiver::start().await;
    let app = spawn(backend).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    let pinged = ping(&app, &admin, &hook).await;
    assert_eq!(pinged["event_type"], "webhook.ping");
    settled(&app, &admin, &hook, 1).await;

    let path = format!("/api/v1/webhooks/{}/deliveries/{}/replay", hook["id"], pinged["id"]);
    let response = app.request(Method::POST, &path, &admin.access).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let received = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].header("webhook-id"), received[1].header("webhook-id"));
    assert_eq!(received[0].body, received[1].body, "the same event, byte for byte");
    let log = settled(&app, &admin, &hook, 1).await;
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1]["attempt"], 2);

    let succeeded = deliveries(&app, &admin, &hook, "status=succeeded").await;
    assert_eq!(succeeded.len(), 1);
    assert!(deliveries(&app, &admin, &hook, "status=failed").await.is_empty());
    let missing = format!("/api/v1/webhooks/{}/deliveries/999999/replay", hook["id"]);
    let response = app.request(Method::POST, &missing, &admin.access).send().await.unwrap();
    assert_eq!(response.status(), 404);
});

both_backends!(bad_subscriptions_are_refused_by_field_and_secrets_never_show_again, |backend| {
    let app = spawn(backend).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let author = app.register("ada").await;
    for (body, field) in [
        (json!({"url": "ftp://example.com/x", "events": ["*"]}), "url"),
        (json!({"url": "not a url", "events": ["*"]}), "url"),
        (json!({"events": ["*"]}), "url"),
        (json!({"url": "https://example.com/h", "events": ["post.exploded"]}), "events"),
        (json!({"url": "https://example.com/h", "events": []}), "events"),
        (json!({"url": "https://example.com/h"}), "events"),
    ] {
        let response =
            app.request(Method::POST, "/api/v1/webhooks", &admin.access).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 422, "{body}");
        let problem = problem(response).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }
    assert_eq!(app.count("webhook").await, 0, "nothing was stored");
    let response = app
        .request(Method::POST, "/api/v1/webhooks", &author.access)
        .json(&json!({"url": "https://example.com/h", "events": ["*"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        app.request(Method::GET, "/api/v1/webhooks", &author.access).send().await.unwrap().status(),
        403
    );

    let hook = subscribe(&app, &admin, "https://example.com/h", &["post.*"]).await;
    let secret = hook["secret"].as_str().unwrap();
    let response = app
        .request(Method::PATCH, &format!("/api/v1/webhooks/{}", hook["id"]), &admin.access)
        .json(&json!({"events": ["comment.created"], "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let patched: Value = response.json().await.unwrap();
    assert_eq!(patched["events"], json!(["comment.created"]));
    assert_eq!(patched["active"], false);
    let (_, listed) = app.get_as("/api/v1/webhooks", Some(&admin)).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "disabled subscriptions are listed too: {listed}");
    assert_eq!(listed[0]["active"], false);
    for path in [
        "/api/v1/webhooks".to_owned(),
        format!("/api/v1/webhooks/{}", hook["id"]),
        "/api/v1/events".to_owned(),
    ] {
        let text = app.request(Method::GET, &path, &admin.access).send().await.unwrap().text().await.unwrap();
        assert!(!text.contains(secret) && !text.contains("whsec_"), "{path} shows a secret: {text}");
    }
    let path = format!("/api/v1/webhooks/{}/deliveries?status=lost", hook["id"]);
    let response = app.request(Method::GET, &path, &admin.access).send().await.unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await["errors"][0]["field"], "status");

    let path = format!("/api/v1/webhooks/{}", hook["id"]);
    assert_eq!(app.request(Method::DELETE, &path, &admin.access).send().await.unwrap().status(), 204);
    assert_eq!(app.request(Method::GET, &path, &admin.access).send().await.unwrap().status(), 404);
    let (_, events) =
        app.get_as("/api/v1/events?type=webhook.created,webhook.updated,webhook.deleted", Some(&admin)).await;
    assert_eq!(events["items"].as_array().unwrap().len(), 3, "{events}");
});

both_backends!(a_subscription_failing_for_the_whole_period_is_disabled_with_an_event, |backend| {
    let receiver = Receiver::start().await;
    receiver.answer(&[Answer::Status(500), Answer::Status(502)]);
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn(backend)
        .clock(Arc::clone(&clock))
        .setting("webhook_retry_schedule", "0")
        .setting("webhook_disable_after_secs", 60)
        .start()
        .await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    let path = format!("/api/v1/webhooks/{}", hook["id"]);
    ping(&app, &admin, &hook).await;
    settled(&app, &admin, &hook, 1).await;
    let (_, failing) = app.get_as(&path, Some(&admin)).await;
    assert_eq!(failing["active"], true, "one failure is not enough");
    assert!(failing["failing_since"].as_str().is_some());

    clock.advance(chrono::Duration::seconds(61));
    ping(&app, &admin, &hook).await;
    settled(&app, &admin, &hook, 2).await;
    let (_, disabled) = app.get_as(&path, Some(&admin)).await;
    assert_eq!(disabled["active"], false, "{disabled}");
    assert_eq!(disabled["disabled_reason"], "every delivery failed for over 60 seconds");
    let (_, events) = app.get_as("/api/v1/events?type=webhook.disabled", Some(&admin)).await;
    assert_eq!(events["items"][0]["payload"]["reason"], "every delivery failed for over 60 seconds");

    // Turned on again by an admin, it starts afresh.
    let response =
        app.request(Method::PATCH, &path, &admin.access).json(&json!({"active": true})).send().await.unwrap();
    let revived: Value = response.json().await.unwrap();
    assert_eq!(revived["active"], true);
    assert_eq!(revived["disabled_reason"], Value::Null);
    assert_eq!(revived["failing_since"], Value::Null);
});

both_backends!(redirects_are_not_followed, |backend| {
    let receiver = Receiver::start().await;
    receiver.answer(&[Answer::Redirect(307)]);
    let app = spawn(backend).setting("webhook_retry_schedule", "0").start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    ping(&app, &admin, &hook).await;
    let log = settled(&app, &admin, &hook, 1).await;
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["attempts"][0]["status_code"], 307);
    assert_eq!(receiver.received().len(), 1, "the redirect was not followed");
});

both_backends!(an_event_dispatched_twice_is_delivered_once, |backend| {
    let receiver = Receiver::start().await;
    let app = spawn(backend).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    subscribe(&app, &admin, &receiver.url(), &["post.published"]).await;
    let ada = app.register("ada").await;
    app.publish_post(&ada, "Once", &[]).await;
    assert_eq!(receiver.wait_for(1, Duration::from_secs(30)).await.len(), 1);
    // At-least-once dispatch: the outbox hands every event on again (as after
    // a crash between handling and marking); the deliveries exist already.
    app.execute("UPDATE event SET dispatched_at = NULL, seq = NULL").await;
    app.all_dispatched().await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(receiver.received().len(), 1, "but delivered once");
    assert_eq!(app.count("webhook_delivery").await, 1);
});
