//! Graceful shutdown: stop accepting, let in-flight requests finish within
//! the grace period, then stop.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use herald::app::AppState;
use tokio::sync::{Notify, mpsc};

use crate::helpers::{Backend, Spawn};

/// A route that reports when it has started and then waits to be released,
/// so the test controls exactly when the request is "in flight".
fn gated_route(started: mpsc::UnboundedSender<()>, release: Arc<Notify>) -> Router<AppState> {
    Router::new().route(
        "/probe/slow",
        get(move || {
            let started = started.clone();
            let release = Arc::clone(&release);
            async move {
                let _ = started.send(());
                release.notified().await;
                "finished"
            }
        }),
    )
}

#[tokio::test]
async fn a_slow_in_flight_request_completes_during_shutdown() {
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let mut app =
        Spawn::new(Backend::Sqlite).routes(gated_route(started_tx, Arc::clone(&release))).start().await;

    let in_flight = tokio::spawn(app.client.get(app.url("/probe/slow")).send());
    started.recv().await.expect("the slow request reached its handler");

    app.shutdown.cancel();
    // New connections are refused once the listener is closed.
    let fresh = crate::helpers::client_builder().build().unwrap();
    let mut refused = false;
    for _ in 0..100 {
        if fresh.get(app.url("/health/live")).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the server kept accepting new connections after shutdown began");

    release.notify_one();
    let response = in_flight.await.unwrap().expect("the in-flight request got a response");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "finished");
    tokio::time::timeout(Duration::from_secs(10), app.stop()).await.expect("server stopped").unwrap();
}

#[tokio::test]
async fn shutdown_stops_waiting_for_requests_after_the_grace_period() {
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let mut app = Spawn::new(Backend::Sqlite)
        .routes(gated_route(started_tx, release))
        .setting("shutdown_grace_secs", 0)
        .start()
        .await;

    let _never_released = tokio::spawn(app.client.get(app.url("/probe/slow")).send());
    started.recv().await.expect("the slow request reached its handler");
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("the server gave up on the stuck request")
        .unwrap();
}
