//! The fan-out to NATS JetStream: every event on `herald.events.<type>`,
//! once per event id even when Herald republishes after a crash, in stream
//! order; NATS being down delays it (readiness says so) and loses nothing.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Backend, Spawn, TestApp};

fn nats_url() -> String {
    std::env::var("HERALD_TEST_NATS_URL").expect("HERALD_TEST_NATS_URL is set")
}

fn stream_name() -> String {
    format!("HERALD_TEST_{}", uuid::Uuid::now_v7().simple())
}

/// Every message in `stream`, in stream order.
async fn messages(url: &str, stream: &str) -> Vec<async_nats::jetstream::message::StreamMessage> {
    // A server still starting up has nothing to show yet.
    let Ok(client) = async_nats::connect(url).await else {
        return Vec::new();
    };
    let jetstream = async_nats::jetstream::new(client);
    let Ok(mut handle) = jetstream.get_stream(stream).await else {
        return Vec::new();
    };
    let last = handle.info().await.unwrap().state.last_sequence;
    let mut all = Vec::new();
    for seq in 1..=last {
        if let Ok(message) = handle.get_raw_message(seq).await {
            all.push(message);
        }
    }
    all
}

async fn delete_stream(url: &str, stream: &str) {
    let client = async_nats::connect(url).await.unwrap();
    let _ = async_nats::jetstream::new(client).delete_stream(stream).await;
}

/// Event id → (type, seq) of every dispatched event.
async fn dispatched(app: &TestApp) -> HashMap<String, (String, i64)> {
    let ctx = &app.state.services;
    let events = herald::store::events::after(&ctx.db, 0, 10_000).await.unwrap();
    events.into_iter().map(|e| (e.event_id, (e.event_type.as_str().to_owned(), e.seq.unwrap()))).collect()
}

/// Waits until the stream holds `n` messages.
async fn wait_for_messages(
    url: &str,
    stream: &str,
    n: usize,
) -> Vec<async_nats::jetstream::message::StreamMessage> {
    for _ in 0..300 {
        let found = messages(url, stream).await;
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    messages(url, stream).await
}

/// Checks the stream against the database: one message per event, on its
/// type's subject, with its id, in seq order.
fn check_once_each_in_order(
    found: &[async_nats::jetstream::message::StreamMessage],
    events: &HashMap<String, (String, i64)>,
) {
    assert_eq!(found.len(), events.len(), "one message per event");
    let mut ids = HashSet::new();
    let mut last_seq = 0;
    for message in found {
        let id = message.headers.get("Nats-Msg-Id").expect("a message id").as_str().to_owned();
        assert!(ids.insert(id.clone()), "event {id} appears twice");
        let (event_type, seq) = events.get(&id).unwrap_or_else(|| panic!("{id} is not an event"));
        assert_eq!(message.subject.as_str(), format!("herald.events.{event_type}"));
        let body: Value = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(body["type"], event_type.as_str());
        assert_eq!(body["data"]["event_id"], id.as_str());
        assert!(*seq > last_seq, "published in stream order");
        last_seq = *seq;
    }
}

async fn every_event_reaches_its_subject_once_across_a_restart(backend: Backend) {
    let (url, stream) = (nats_url(), stream_name());
    let mut first =
        Spawn::new(backend).setting("nats_url", &url).setting("nats_stream", &stream).start().await;
    let ada = first.register("ada").await;
    for n in 0..3 {
        first.publish_post(&ada, &format!("Fanned out {n}"), &["nats"]).await;
    }
    first.all_dispatched().await;
    let before = dispatched(&first).await;
    check_once_each_in_order(&wait_for_messages(&url, &stream, before.len()).await, &before);
    first.stop().await.unwrap();

    // A crash after JetStream acknowledged but before the cursor moved: the
    // restarted instance sends everything again.
    let idle = Spawn::new(backend).setting("workers", 0).setting("database_url", &first.db_url).start().await;
    idle.execute("UPDATE stream_cursor SET position = 0").await;
    drop(idle);
    let second = Spawn::new(backend)
        .setting("database_url", &first.db_url)
        .setting("nats_url", &url)
        .setting("nats_stream", &stream)
        .start()
        .await;
    let bob = second.register("bob").await;
    second.publish_post(&bob, "After the restart", &[]).await;
    second.all_dispatched().await;
    let after = dispatched(&second).await;
    assert!(after.len() > before.len());
    check_once_each_in_order(&wait_for_messages(&url, &stream, after.len()).await, &after);
    delete_stream(&url, &stream).await;
}

#[tokio::test]
#[cfg_attr(not(herald_test_nats), ignore = "skipped: set HERALD_TEST_NATS_URL")]
async fn every_event_reaches_its_subject_once_across_a_restart_sqlite() {
    every_event_reaches_its_subject_once_across_a_restart(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(all(herald_test_nats, herald_test_postgres)),
    ignore = "skipped: set HERALD_TEST_NATS_URL and HERALD_TEST_POSTGRES_URL"
)]
async fn every_event_reaches_its_subject_once_across_a_restart_postgres() {
    every_event_reaches_its_subject_once_across_a_restart(Backend::Postgres).await;
}

/// A NATS server of the test's own on `port`, so the test can start it late.
fn nats_server(port: u16, dir: &std::path::Path) -> Child {
    Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server is installed (as .ci/run requires)")
}

async fn nats_down_delays_the_fan_out_and_loses_nothing(backend: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("nats://127.0.0.1:{port}");
    let stream = stream_name();
    let app = Spawn::new(backend).setting("nats_url", &url).setting("nats_stream", &stream).start().await;
    let ada = app.register("ada").await;
    app.publish_post(&ada, "Written while NATS is down", &[]).await;
    app.all_dispatched().await;
    let ready: Value = app.get("/health/ready").await.json().await.unwrap();
    assert_eq!(ready["checks"]["nats"]["status"], "degraded", "{ready}");
    assert_eq!(ready["status"], "degraded");

    let dir = tempfile::tempdir().unwrap();
    let mut server = nats_server(port, dir.path());
    let events = dispatched(&app).await;
    let found = wait_for_messages(&url, &stream, events.len()).await;
    check_once_each_in_order(&found, &events);
    let mut up = false;
    for _ in 0..100 {
        let ready: Value = app.get("/health/ready").await.json().await.unwrap();
        if ready["checks"]["nats"]["status"] == "up" {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(up, "readiness recovers once NATS is back");
}

#[tokio::test]
#[cfg_attr(not(herald_test_nats), ignore = "skipped: set HERALD_TEST_NATS_URL")]
async fn nats_down_delays_the_fan_out_and_loses_nothing_sqlite() {
    nats_down_delays_the_fan_out_and_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(all(herald_test_nats, herald_test_postgres)),
    ignore = "skipped: set HERALD_TEST_NATS_URL and HERALD_TEST_POSTGRES_URL"
)]
async fn nats_down_delays_the_fan_out_and_loses_nothing_postgres() {
    nats_down_delays_the_fan_out_and_loses_nothing(Backend::Postgres).await;
}
