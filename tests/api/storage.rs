//! The store under concurrency, on both backends.

use chrono::Utc;
use herald::store::instance_settings;

use crate::helpers::{TestApp, both_backends};

both_backends!(sixty_four_concurrent_writers_all_succeed_without_lock_errors, |backend| {
    let app = TestApp::spawn(backend).await;
    let writers = (0..64).map(|i| {
        let db = app.state.services.db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await?;
            let name = format!("concurrent.{i}");
            instance_settings::upsert(&mut tx, &name, &i.to_string(), Utc::now()).await?;
            instance_settings::upsert(&mut tx, &name, &format!("{i}!"), Utc::now()).await?;
            tx.commit().await
        })
    });
    let results = futures_join(writers).await;
    let failures: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
    assert!(failures.is_empty(), "{} writers failed: {failures:?}", failures.len());

    for i in 0..64 {
        let value =
            instance_settings::find(&app.state.services.db, &format!("concurrent.{i}")).await.unwrap();
        assert_eq!(value.as_deref(), Some(format!("{i}!").as_str()));
    }
});

both_backends!(racing_get_or_insert_callers_all_see_the_same_winner, |backend| {
    let app = TestApp::spawn(backend).await;
    let callers = (0..16).map(|i| {
        let db = app.state.services.db.clone();
        tokio::spawn(async move {
            instance_settings::get_or_insert(&db, "shared.secret", &format!("candidate-{i}"), Utc::now())
                .await
        })
    });
    let values: Vec<String> = futures_join(callers).await.into_iter().map(Result::unwrap).collect();
    assert!(values.iter().all(|v| v == &values[0]), "{values:?}");
    assert!(values[0].starts_with("candidate-"));
    let stored = instance_settings::find(&app.state.services.db, "shared.secret").await.unwrap();
    assert_eq!(stored.as_ref(), Some(&values[0]));
});

both_backends!(a_transaction_dropped_without_commit_leaves_nothing_behind, |backend| {
    let app = TestApp::spawn(backend).await;
    {
        let mut tx = app.state.services.db.begin().await.unwrap();
        instance_settings::upsert(&mut tx, "half.written", "x", Utc::now()).await.unwrap();
        // Dropped here: as if the service call failed after this write.
    }
    assert_eq!(instance_settings::find(&app.state.services.db, "half.written").await.unwrap(), None);
    // Its locks went with it: the next writer takes the same row at once.
    let next = async {
        let mut tx = app.state.services.db.begin().await?;
        instance_settings::upsert(&mut tx, "half.written", "y", Utc::now()).await?;
        tx.commit().await
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), next).await.expect("not blocked").unwrap();
    let stored = instance_settings::find(&app.state.services.db, "half.written").await.unwrap();
    assert_eq!(stored.as_deref(), Some("y"));
});

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<Result<T, herald::store::StoreError>>>,
) -> Vec<Result<T, herald::store::StoreError>> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.expect("task did not panic"));
    }
    out
}

both_backends!(sixty_four_concurrent_post_creations_over_http_all_succeed, |backend| {
    let app = crate::helpers::TestApp::spawn(backend).await;
    let author = app.register("burst").await;
    let requests: Vec<_> = (0..64)
        .map(|i| {
            let request = app.request(reqwest::Method::POST, "/api/v1/posts", &author.access).json(
                &serde_json::json!({"title": format!("Burst {i}"), "body": "same time", "tags": ["burst"]}),
            );
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(app.count("post").await, 64);
    assert_eq!(app.count("post_tag").await, 64);
});

/// Managed PostgreSQL services require TLS (`sslmode=require`): Herald
/// connects over rustls, verifying against the system's roots when the mode
/// asks for it (`verify-full`).
#[tokio::test]
#[cfg_attr(not(herald_test_postgres), ignore = "skipped: set HERALD_TEST_POSTGRES_URL")]
async fn postgres_connections_can_require_tls() {
    let app = crate::helpers::Spawn::new(crate::helpers::Backend::Postgres)
        .db_url_suffix("?sslmode=require")
        .start()
        .await;
    let herald::store::Db::Postgres(pool) = &app.state.services.db else { panic!("a PostgreSQL test") };
    let encrypted: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut **pool.get().await.unwrap())
        .await
        .unwrap();
    assert!(encrypted, "the connection is encrypted");
    app.register("over-tls").await;
}

#[tokio::test]
#[cfg_attr(not(herald_test_postgres), ignore = "skipped: set HERALD_TEST_POSTGRES_URL")]
async fn postgres_connections_the_server_closes_are_replaced() {
    // Uncached, so every read reaches the database.
    let app = crate::helpers::Spawn::new(crate::helpers::Backend::Postgres)
        .setting("cache_max_bytes", 0)
        .start()
        .await;
    assert_eq!(app.get("/api/articles").await.status(), 200);
    // What a database restart does to every pooled connection.
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&app.db_url).await.unwrap();
    let closed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!closed.is_empty(), "the server had connections to close");

    // Each dead connection fails one statement (503: retry) and is dropped,
    // never reused; background jobs meet some of them first.
    let mut failures = 0;
    loop {
        match app.get("/api/articles").await.status().as_u16() {
            200 => break,
            status => assert_eq!(status, 503, "a lost connection is a retryable failure"),
        }
        failures += 1;
        assert!(failures <= closed.len(), "dead connections are not reused ({failures} failures)");
    }
    for _ in 0..20 {
        let response = app.get("/api/articles").await;
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    }
}
