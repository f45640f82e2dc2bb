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
    // Deleted while the worker may still be logging the replay's attempt:
    // the two take the same rows in the same order, so neither fails.

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

both_backends!(editors_hide_show_and_delete_comments_and_authors_only_their_own, |backend| {
    let app = Spawn::new(backend).start().await;
    let mut editor = Browser::signed_in(&app, "editor", Role::Editor).await;
    let fields = [
        ("title", "Discussed"),
        ("body", "Talk to me."),
        ("platforms", "blog"),
        ("content_type", "article"),
        ("action", "publish"),
    ];
    let (_, _, location) = editor.post("/studio/posts", &fields).await;
    let id = location.unwrap().trim_start_matches("/studio/posts/").split('?').next().unwrap().to_owned();
    let reader = app.register("reader").await;
    for body in ["First!", "Buy cheap watches"] {
        let made = app
            .request(reqwest::Method::POST, &format!("/api/v1/posts/{id}/comments"), &reader.access)
            .json(&serde_json::json!({"body": body}))
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), StatusCode::CREATED);
    }
    let (status, page, _) = editor.get(&format!("/studio/posts/{id}/comments")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("First!") && page.contains("Buy cheap watches"));
    // Oldest first: the spam is the last one.
    let spam_id = page.rsplit("data-comment-id=\"").next().unwrap().split('"').next().unwrap().to_owned();

    let (status, _, location) = editor.post(&format!("/studio/comments/{spam_id}/hide"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.unwrap(), format!("/studio/posts/{id}/comments"));
    let public: serde_json::Value =
        app.get(&format!("/api/v1/posts/{id}/comments")).await.json().await.unwrap();
    assert_eq!(public["items"].as_array().unwrap().len(), 1, "hidden from readers");
    let (_, page, _) = editor.get(&format!("/studio/posts/{id}/comments")).await;
    assert!(
        page.contains("badge-hidden") && page.contains("Show the comment by reader"),
        "editors still see it"
    );
    assert_eq!(
        editor.post(&format!("/studio/comments/{spam_id}/unhide"), &[]).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        editor.post(&format!("/studio/comments/{spam_id}/delete"), &[]).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("comment").await, 1);

    let mut author = Browser::signed_in(&app, "writer", Role::Author).await;
    let (_, page, _) = author.get(&format!("/studio/posts/{id}/comments")).await;
    assert!(
        !page.contains("Hide the comment") && !page.contains("Delete the comment"),
        "not theirs to moderate"
    );
    let first = between(&page, "data-comment-id=\"", "\"").unwrap().to_owned();
    assert_eq!(author.post(&format!("/studio/comments/{first}/hide"), &[]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.count("comment").await, 1);
});

both_backends!(admins_change_roles_disable_users_and_work_the_job_queue, |backend| {
    let app = Spawn::new(backend).start().await;
    let mut admin = Browser::signed_in(&app, "boss", Role::Admin).await;
    let mut writer = Browser::signed_in(&app, "writer", Role::Author).await;
    let writer_id = app.login_ok("writer").await.user_id;

    let (_, users, _) = admin.get("/studio/users").await;
    assert!(users.contains("data-user=\"writer\"") && users.contains("writer@example.com"));
    let path = format!("/studio/users/{writer_id}");
    assert_eq!(
        admin.post(&path, &[("role", "editor"), ("disabled", "false")]).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, page, _) = writer.get("/studio/posts").await;
    assert!(page.contains("writer (editor)"));
    let (status, page, _) = admin.post(&path, &[("role", "overlord"), ("disabled", "false")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let boss_id = app.login_ok("boss").await.user_id;
    let (status, _, _) =
        admin.post(&format!("/studio/users/{boss_id}"), &[("role", "viewer"), ("disabled", "false")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins cannot demote themselves");
    assert_eq!(admin.post(&path, &[("role", "editor"), ("disabled", "true")]).await.0, StatusCode::SEE_OTHER);
    assert_eq!(
        writer.get("/studio/posts").await.0,
        StatusCode::SEE_OTHER,
        "a disabled user is signed out at once"
    );
    assert_eq!(writer.get("/studio/users").await.0, StatusCode::SEE_OTHER);
    // A page loaded before that, changing only the role, must not enable the user again.
    let stale =
        [("role_was", "editor"), ("role", "author"), ("disabled_was", "false"), ("disabled", "false")];
    assert_eq!(admin.post(&path, &stale).await.0, StatusCode::SEE_OTHER);
    let (_, users, _) = admin.get("/studio/users").await;
    let row = between(&users, "data-user=\"writer\"", "</tr>").unwrap();
    assert!(row.contains("<td>author</td>") && row.contains("badge-disabled"), "{row}");

    let fields = [
        ("title", "Later"),
        ("body", "Soon."),
        ("platforms", "blog"),
        ("content_type", "article"),
        ("action", "schedule"),
        ("publish_at", "2035-01-01T00:00:00Z"),
    ];
    assert_eq!(admin.post("/studio/posts", &fields).await.0, StatusCode::SEE_OTHER);
    let (_, queue, _) = admin.get("/studio/jobs?state=queued&kind=publish_post").await;
    let job = between(&queue, "data-job-id=\"", "\"").unwrap().to_owned();
    assert!(queue.contains(&format!("Cancel job {job}")) && !queue.contains(&format!("Retry job {job}")));
    assert_eq!(
        admin.post(&format!("/studio/jobs/{job}/retry"), &[]).await.0,
        StatusCode::CONFLICT,
        "a queued job is not retried"
    );
    assert_eq!(admin.post(&format!("/studio/jobs/{job}/cancel"), &[]).await.0, StatusCode::SEE_OTHER);
    let (_, cancelled, _) = admin.get("/studio/jobs?state=cancelled").await;
    assert!(cancelled.contains(&format!("data-job-id=\"{job}\"")));
    let (status, bad, _) = admin.get("/studio/jobs?state=lost").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("id=\"state-error\""));
});
