//! Studio's pages for admins, over HTTP on both databases: webhooks and
//! their delivery log.

use std::time::Duration;

use herald::domain::Role;
use reqwest::StatusCode;

use crate::analytics::reader;
use crate::helpers::{Spawn, both_backends};
use crate::receiver::Receiver;
use crate::studio_client::{Browser, between};

both_backends!(admins_subscribe_a_webhook_see_its_deliveries_and_replay_one, |backend| {
    let app = Spawn::new(backend).setting("webhook_allow_private_targets", true).start().await;
    let receiver = Receiver::start().await;
    let mut writer = Browser::signed_in(&app, "writer", Role::Editor).await;
    let (status, _, _) = writer.get("/studio/webhooks").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only admins manage webhooks");
    let (_, posts, _) = writer.get("/studio/posts").await;
    assert!(!posts.contains("/studio/webhooks"), "and only admins see the link");

    let mut admin = Browser::signed_in(&app, "boss", Role::Admin).await;
    let (status, page, _) =
        admin.post("/studio/webhooks", &[("url", "ftp://example.com"), ("events", "post.*")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"url-error\""));
    assert_eq!(app.count("webhook").await, 0);

    let url = receiver.url();
    let (status, page, _) = admin
        .post(
            "/studio/webhooks",
            &[("url", &url), ("events", "post.*"), ("description", "the test receiver")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = between(&page, "<code id=\"new-secret\">", "<").unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = between(&page, "/studio/webhooks/", "\"").unwrap().to_owned();

    let (status, _, location) = admin.post(&format!("/studio/webhooks/{id}/ping"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.unwrap(), format!("/studio/webhooks/{id}"));
    let got = receiver.wait_for(1, Duration::from_secs(30)).await;
    assert!(got[0].signed_by(&secret), "signed with the secret Studio showed");

    let mut log = String::new();
    for _ in 0..100 {
        log = admin.get(&format!("/studio/webhooks/{id}")).await.1;
        if log.contains("badge-succeeded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        log.contains("webhook.ping") && log.contains("badge-succeeded") && log.contains("HTTP 200"),
        "{log}"
    );
    assert!(!log.contains(&secret), "the secret is never shown again");

    let delivery = between(&log, "data-delivery-id=\"", "\"").unwrap().to_owned();
    let (status, _, _) =
        admin.post(&format!("/studio/webhooks/{id}/deliveries/{delivery}/replay"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let again = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(again[1].header("webhook-id"), got[0].header("webhook-id"), "a replay is the same message");

    let (status, _, _) = admin.post(&format!("/studio/webhooks/{id}/delete"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("webhook").await, 0);
});

both_backends!(analytics_pages_chart_a_post_s_views_and_rank_it_among_the_top_posts, |backend| {
    let app = Spawn::new(backend).setting("analytics_flush_interval_ms", 100).start().await;
    let mut writer = Browser::signed_in(&app, "writer", Role::Author).await;
    let fields = [
        ("title", "Counted"),
        ("body", "Read me."),
        ("platforms", "blog"),
        ("content_type", "article"),
        ("action", "publish"),
    ];
    let (_, _, location) = writer.post("/studio/posts", &fields).await;
    let id = location.unwrap().trim_start_matches("/studio/posts/").split('?').next().unwrap().to_owned();
    for n in 0..3 {
        let read = app.client.get(app.url(&format!("/api/v1/posts/{id}"))).header("user-agent", reader(n));
        assert_eq!(read.send().await.unwrap().status(), StatusCode::OK);
    }

    let mut page = String::new();
    for _ in 0..100 {
        page = writer.get(&format!("/studio/posts/{id}/analytics")).await.1;
        if page.contains("data-total=\"Views\">3") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(page.contains("data-total=\"Views\">3"), "three readers are three views: {page}");
    assert!(page.contains("<svg") && page.contains("role=\"img\"") && page.contains("3 views over 30 days"));
    assert!(page.contains("data-views>3<"), "the numbers are in the table too");

    let (status, overview, _) = writer.get("/studio/analytics").await;
    assert_eq!(status, StatusCode::OK);
    let top = between(&overview, "id=\"top-views\"", "</table>").unwrap();
    assert!(top.contains("Counted") && top.contains(&format!("/studio/posts/{id}/analytics")));

    let (status, bad, _) = writer.get("/studio/analytics?from=2026-12-31&to=2026-01-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("-error\""), "the range's error is beside its field: {bad}");

    let mut other = Browser::signed_in(&app, "other", Role::Author).await;
    let (status, _, _) = other.get(&format!("/studio/posts/{id}/analytics")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the author and editors see a post's analytics");
});
