//! What write-behind counting may lose: a `kill -9` loses at most the
//! counts of the last flush interval, and a graceful stop loses nothing.
//! The real binary serves the reads; an in-process instance on the same
//! database reads the reports afterwards.

use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::analytics::{reader, settled, spawn};
use crate::helpers::{Session, TestApp, both_backends};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `herald serve` on the test's database; returns it with its address.
fn start_server(app: &TestApp, flush_ms: u32) -> (Server, String) {
    let dir = std::env::temp_dir();
    let mut child = crate::cli::herald(&dir)
        .arg("serve")
        .env("HERALD_DATABASE_URL", &app.db_url)
        .env("HERALD_LISTEN", "127.0.0.1:0")
        .env("HERALD_WORKERS", "0")
        .env("HERALD_ANALYTICS_FLUSH_INTERVAL_MS", flush_ms.to_string())
        .env("HERALD_CACHE_MAX_BYTES", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("herald serve started");
    let (addr, _logs) = crate::cli::wait_until_serving(&mut child);
    (Server(child), format!("http://{addr}"))
}

async fn view(app: &TestApp, base: &str, post: &Value, n: usize) {
    let url = format!("{base}/api/v1/posts/{post}");
    let response = app.client.get(url).header("user-agent", reader(n)).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

async fn views_now(app: &TestApp, author: &Session, post: &Value) -> i64 {
    let (status, body) = app.get_as(&format!("/api/v1/posts/{post}/analytics"), Some(author)).await;
    assert_eq!(status, 200);
    body["totals"]["views"].as_i64().unwrap()
}

both_backends!(kill_9_loses_at_most_the_last_flush_interval, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let post = app.publish_post(&author, "Survives a crash", &[]).await;
    let (server, base) = start_server(&app, 200);
    for n in 0..10 {
        view(&app, &base, &post["id"], n).await;
    }
    // Past one interval the counts are in the database...
    settled(&app, &author, &post["id"], "views", 10).await;
    // ...and what comes after the last flush may be lost with the process.
    for n in 10..13 {
        view(&app, &base, &post["id"], n).await;
    }
    drop(server); // SIGKILL
    tokio::time::sleep(Duration::from_millis(300)).await;
    let views = views_now(&app, &author, &post["id"]).await;
    assert!((10..=13).contains(&views), "kept everything flushed before the crash: {views}");
});

both_backends!(a_graceful_stop_writes_every_count, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let post = app.publish_post(&author, "Counted to the end", &[]).await;
    // An interval far longer than the test: only the stop can write them.
    let (mut server, base) = start_server(&app, 60_000);
    for n in 0..7 {
        view(&app, &base, &post["id"], n).await;
    }
    assert_eq!(views_now(&app, &author, &post["id"]).await, 0, "nothing is written before the interval");
    let pid = server.0.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert_eq!(server.0.wait().unwrap().code(), Some(0));
    assert_eq!(views_now(&app, &author, &post["id"]).await, 7);
});
