//! Deliveries survive what happens to the processes running them: a worker
//! killed with SIGKILL between attempts or in the middle of one (the real
//! binary, restarted), and a graceful shutdown that lets a running delivery
//! finish or hands it back for the next instance.

use std::process::{Child, Stdio};
use std::time::Duration;

use herald::domain::Role;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{Session, Spawn, TestApp, both_backends};
use crate::receiver::{Answer, Receiver};
use crate::webhooks::{ping, settled, spawn, subscribe};

/// A worker process, killed with SIGKILL when dropped (so a failing test
/// leaves none behind).
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `herald worker` on the test's database, delivering to 127.0.0.1.
fn start_worker(db_url: &str, settings: &[(&str, &str)]) -> Worker {
    let mut cmd = crate::cli::herald(&std::env::temp_dir());
    cmd.arg("worker")
        .env("HERALD_DATABASE_URL", db_url)
        .env("HERALD_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (key, value) in settings {
        cmd.env(key, value);
    }
    Worker(cmd.spawn().expect("herald worker started"))
}

fn kill_9(worker: Worker) {
    drop(worker);
}

async fn delivery_jobs(app: &TestApp, admin: &Session) -> Vec<Value> {
    let response =
        app.request(Method::GET, "/api/v1/jobs?kind=deliver_webhook", &admin.access).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

/// The state of the (only) delivery job once it is `wanted`, or after 10 s.
async fn job_state_becomes(app: &TestApp, admin: &Session, wanted: &str) -> Value {
    let mut state = Value::Null;
    for _ in 0..200 {
        state = delivery_jobs(app, admin).await[0]["state"].clone();
        if state == wanted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    state
}

both_backends!(a_delivery_interrupted_by_kill_9_between_attempts_completes_after_restart, |backend| {
    let receiver = Receiver::start().await;
    receiver.answer(&[Answer::Status(500)]);
    // The API instance runs no workers: the worker processes deliver.
    let app = spawn(backend).setting("workers", 0).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    let settings = [("HERALD_WEBHOOK_RETRY_SCHEDULE", "0,2")];
    let worker = start_worker(&app.db_url, &settings);
    ping(&app, &admin, &hook).await;

    assert_eq!(receiver.wait_for(1, Duration::from_secs(30)).await.len(), 1);
    // Wait until the job is failed (its retry scheduled), then kill the
    // worker while the retry waits for its time.
    assert_eq!(job_state_becomes(&app, &admin, "failed").await, "failed");
    kill_9(worker);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.received().len(), 1, "nobody delivers while no worker runs");

    let _worker = start_worker(&app.db_url, &settings);
    let received = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(received.len(), 2, "the retry came after the restart");
    assert_eq!(received[0].header("webhook-id"), received[1].header("webhook-id"));
    let log = settled(&app, &admin, &hook, 1).await;
    assert_eq!(log[0]["status"], "succeeded");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 2);
    // The job is marked done just after the delivery's outcome is logged.
    assert_eq!(job_state_becomes(&app, &admin, "succeeded").await, "succeeded");
    let jobs = delivery_jobs(&app, &admin).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["attempts"], 2);
});

both_backends!(a_job_whose_worker_was_killed_mid_run_completes_once_after_its_lease, |backend| {
    let receiver = Receiver::start().await;
    // The first attempt hangs: the worker is killed while it runs.
    receiver.answer(&[Answer::After(Duration::from_secs(60), 200)]);
    let app = spawn(backend).setting("workers", 0).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    let settings = [("HERALD_JOB_LEASE_SECS", "2"), ("HERALD_WEBHOOK_TIMEOUT_SECS", "120")];
    let worker = start_worker(&app.db_url, &settings);
    ping(&app, &admin, &hook).await;
    assert_eq!(receiver.wait_for(1, Duration::from_secs(30)).await.len(), 1);
    kill_9(worker);
    let running = delivery_jobs(&app, &admin).await;
    assert_eq!(running[0]["state"], "running", "the dead worker still holds it: {running:?}");

    let worker = start_worker(&app.db_url, &settings);
    let received = receiver.wait_for(2, Duration::from_secs(30)).await;
    let log = settled(&app, &admin, &hook, 1).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    kill_9(worker);
    assert_eq!(received.len(), 2, "taken again once the lease ran out");
    assert_eq!(receiver.received().len(), 2, "and run once more, not twice");
    assert_eq!(log[0]["status"], "succeeded");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 1, "only the finished attempt is logged");
    let jobs = delivery_jobs(&app, &admin).await;
    assert_eq!(jobs.len(), 1, "nothing doubled");
    assert_eq!(jobs[0]["state"], "succeeded");
    assert_eq!(jobs[0]["attempts"], 2);
    let (_, events) = app.get_as("/api/v1/events?type=webhook.ping", Some(&admin)).await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
});

both_backends!(shutdown_lets_a_running_delivery_finish_within_the_grace_period, |backend| {
    let receiver = Receiver::start().await;
    receiver.answer(&[Answer::After(Duration::from_millis(1500), 200)]);
    let mut app = spawn(backend).setting("shutdown_grace_secs", 10).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    ping(&app, &admin, &hook).await;
    assert_eq!(receiver.wait_for(1, Duration::from_secs(10)).await.len(), 1);
    tokio::time::timeout(Duration::from_secs(20), app.stop()).await.expect("stopped in time").unwrap();

    let after = Spawn::new(backend).setting("workers", 0).setting("database_url", &app.db_url).start().await;
    let admin = after.login_ok("root").await;
    let log = settled(&after, &admin, &hook, 1).await;
    assert_eq!(log[0]["status"], "succeeded", "the delivery finished before the process stopped");
    let jobs = delivery_jobs(&after, &admin).await;
    assert_eq!(jobs[0]["state"], "succeeded");
    assert_eq!(receiver.received().len(), 1);
});

both_backends!(shutdown_hands_back_a_delivery_that_outlasts_the_grace_period, |backend| {
    let receiver = Receiver::start().await;
    receiver.answer(&[Answer::After(Duration::from_secs(30), 200)]);
    let mut app = spawn(backend).setting("shutdown_grace_secs", 1).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let hook = subscribe(&app, &admin, &receiver.url(), &["post.deleted"]).await;
    ping(&app, &admin, &hook).await;
    assert_eq!(receiver.wait_for(1, Duration::from_secs(10)).await.len(), 1);
    tokio::time::timeout(Duration::from_secs(20), app.stop()).await.expect("stopped in time").unwrap();

    let idle = Spawn::new(backend).setting("workers", 0).setting("database_url", &app.db_url).start().await;
    let admin = idle.login_ok("root").await;
    let jobs = delivery_jobs(&idle, &admin).await;
    assert_eq!(jobs[0]["state"], "queued", "handed back, not left running: {jobs:?}");
    assert_eq!(jobs[0]["attempts"], 0, "the unfinished run does not count");
    drop(idle);

    let next = spawn(backend).setting("database_url", &app.db_url).start().await;
    let admin = next.login_ok("root").await;
    assert_eq!(receiver.wait_for(2, Duration::from_secs(15)).await.len(), 2, "the next instance delivers it");
    let log = settled(&next, &admin, &hook, 1).await;
    assert_eq!(log[0]["status"], "succeeded");
});
