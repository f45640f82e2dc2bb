//! The durable job queue: scheduled publishing as a job, retries with
//! back-off and dead letters, the admin controls, and workers that never
//! share a job.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use herald::clock::{Clock as _, ManualClock};
use herald::domain::job::{JobKind, JobPayload, JobState, NewJob, Priority};
use herald::domain::{PostId, Role};
use herald::service::{Actor, jobs};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Spawn, TestApp, both_backends, problem};

async fn job_list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let response = app.request(Method::GET, &format!("/api/v1/jobs?{query}"), token).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET /api/v1/jobs?{query}");
    response.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

fn unpublishable(max_attempts: i64) -> NewJob {
    NewJob {
        kind: JobKind::PublishPost,
        payload: JobPayload::Post { post_id: PostId::new(999_999) },
        priority: Priority::Normal,
        run_at: Utc::now() - Duration::days(1),
        max_attempts,
        unique_key: None,
    }
}

both_backends!(a_scheduled_post_is_published_by_its_job_exactly_once, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend).clock(Arc::clone(&clock)).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let ada = app.register("ada").await;
    let post = app.create_post(&ada, json!({"title": "Later", "body": "Soon"})).await;
    let path = format!("/api/v1/posts/{}", post["id"]);
    let schedule = |at: chrono::DateTime<Utc>| {
        app.request(Method::POST, &format!("{path}/schedule"), &ada.access)
            .json(&json!({"publish_at": at}))
            .send()
    };
    assert_eq!(schedule(clock.now() + Duration::hours(1)).await.unwrap().status(), 200);
    let queued = job_list(&app, &admin.access, "kind=publish_post&state=queued").await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["priority"], "critical");
    assert_eq!(queued[0]["payload"], json!({"post_id": post["id"]}));

    // Rescheduling (unschedule, schedule again) replaces the job.
    let response =
        app.request(Method::POST, &format!("{path}/unschedule"), &ada.access).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(schedule(clock.now() + Duration::hours(2)).await.unwrap().status(), 200);
    assert_eq!(job_list(&app, &admin.access, "kind=publish_post&state=queued").await.len(), 1);
    assert_eq!(job_list(&app, &admin.access, "kind=publish_post&state=cancelled").await.len(), 1);

    // Another post is scheduled, then unscheduled: its job is cancelled.
    let other = app.create_post(&ada, json!({"title": "Never", "body": "Mind"})).await;
    let other_path = format!("/api/v1/posts/{}", other["id"]);
    let at = clock.now() + Duration::minutes(30);
    let response = app
        .request(Method::POST, &format!("{other_path}/schedule"), &ada.access)
        .json(&json!({"publish_at": at}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response =
        app.request(Method::POST, &format!("{other_path}/unschedule"), &ada.access).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(job_list(&app, &admin.access, "kind=publish_post&state=cancelled").await.len(), 2);

    clock.advance(Duration::hours(3));
    let admin = app.login_ok("root").await;
    let mut done = false;
    for _ in 0..50 {
        if job_list(&app, &admin.access, "kind=publish_post&state=succeeded").await.len() == 1 {
            done = true;
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(done, "the publication job ran");
    assert_eq!(app.count("post WHERE status = 'published'").await, 1, "the stored status changed");
    assert_eq!(app.count("post WHERE status = 'draft'").await, 1, "the unscheduled post stayed a draft");
    let published = app.count("event WHERE event_type = 'post.published' AND actor_id IS NULL").await;
    assert_eq!(published, 1, "exactly one post.published event, by the system");
});

both_backends!(failed_jobs_back_off_then_die_and_admins_retry_or_cancel_them, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend).clock(Arc::clone(&clock)).setting("workers", 0).start().await;
    app.user_with_role("root", Role::Admin).await;
    app.register("ada").await;
    let ctx = &app.state.services;
    assert!(jobs::enqueue(ctx, &unpublishable(2)).await.unwrap());

    let first = jobs::claim(ctx, "w1", 1).await.unwrap();
    assert_eq!((first.len(), first[0].attempts), (1, 1));
    let state = jobs::finish(ctx, &first[0], "w1", Err("boom".to_owned())).await.unwrap();
    assert_eq!(state, JobState::Failed);
    assert!(jobs::claim(ctx, "w1", 1).await.unwrap().is_empty(), "not before its back-off");
    clock.advance(Duration::milliseconds(900));
    assert!(jobs::claim(ctx, "w1", 1).await.unwrap().is_empty(), "at least a second of back-off");
    clock.advance(Duration::hours(1));
    let second = jobs::claim(ctx, "w2", 1).await.unwrap();
    assert_eq!(second[0].attempts, 2);
    let state = jobs::finish(ctx, &second[0], "w2", Err("boom again".to_owned())).await.unwrap();
    assert_eq!(state, JobState::Dead, "the last attempt failed");
    clock.advance(Duration::hours(10));
    assert!(jobs::claim(ctx, "w1", 1).await.unwrap().is_empty(), "dead jobs are not run");

    let (admin, ada) = (app.login_ok("root").await, app.login_ok("ada").await);
    let dead = job_list(&app, &admin.access, "state=dead").await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["last_error"], "boom again");
    let id = dead[0]["id"].as_i64().unwrap();
    let post = |action: &str| {
        app.request(Method::POST, &format!("/api/v1/jobs/{id}/{action}"), &admin.access).send()
    };
    let retried: Value = post("retry").await.unwrap().json().await.unwrap();
    assert_eq!((retried["state"].as_str(), retried["attempts"].as_i64()), (Some("queued"), Some(0)));
    assert_eq!(post("retry").await.unwrap().status(), 409, "a queued job is not retried");
    let cancelled: Value = post("cancel").await.unwrap().json().await.unwrap();
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(post("cancel").await.unwrap().status(), 409);

    // A job that succeeded cannot be retried.
    jobs::enqueue(ctx, &unpublishable(3)).await.unwrap();
    let claimed = jobs::claim(ctx, "w1", 1).await.unwrap();
    assert_eq!(jobs::finish(ctx, &claimed[0], "w1", Ok(())).await.unwrap(), JobState::Succeeded);
    let response =
        app.request(Method::POST, &format!("/api/v1/jobs/{}/retry", claimed[0].job_id), &admin.access).send();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 409);
    assert!(problem(response).await["detail"].as_str().unwrap().contains("succeeded"));

    let denied = app.request(Method::GET, "/api/v1/jobs", &ada.access).send().await.unwrap();
    assert_eq!(denied.status(), 403);
    for (query, field) in
        [("state=stuck", "state"), ("kind=mine_bitcoin", "kind"), ("limit=500", "limit"), ("x=1", "x")]
    {
        let response =
            app.request(Method::GET, &format!("/api/v1/jobs?{query}"), &admin.access).send().await.unwrap();
        assert_eq!(response.status(), 422, "{query}");
        assert_eq!(problem(response).await["errors"][0]["field"], field, "{query}");
    }
    let missing = app.request(Method::GET, "/api/v1/jobs/987654", &admin.access).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let system = Actor::system();
    assert_eq!(jobs::get(ctx, &system, id).await.unwrap().state, JobState::Cancelled);
});

both_backends!(two_workers_racing_for_a_thousand_jobs_each_take_every_job_once, |backend| {
    let app = Spawn::new(backend).setting("workers", 0).start().await;
    let ctx = app.state.services.clone();
    for _ in 0..1000 {
        jobs::enqueue(&ctx, &unpublishable(3)).await.unwrap();
    }
    let race = |name: &'static str| {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = jobs::claim(&ctx, name, 7).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|j| j.job_id));
            }
        })
    };
    let (a, b) = (race("a"), race("b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let all: HashSet<i64> = a.iter().chain(&b).copied().collect();
    assert_eq!(a.len() + b.len(), 1000, "{} + {} claims", a.len(), b.len());
    assert_eq!(all.len(), 1000, "no job was claimed twice");
    assert!(!a.is_empty() && !b.is_empty(), "both workers took part");
});

both_backends!(operators_list_retry_and_cancel_jobs_from_the_shell, |backend| {
    let app = Spawn::new(backend).setting("workers", 0).start().await;
    let ctx = &app.state.services;
    jobs::enqueue(ctx, &unpublishable(3)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        crate::cli::herald(dir.path())
            .env("HERALD_DATABASE_URL", &app.db_url)
            .arg("jobs")
            .args(args)
            .output()
            .unwrap()
    };
    let listed = cli(&["list", "--state", "queued"]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let stdout = String::from_utf8_lossy(&listed.stdout).into_owned();
    let id = stdout.lines().nth(1).and_then(|line| line.split_whitespace().next()).unwrap().to_owned();
    assert!(stdout.contains("publish_post") && stdout.contains("queued"), "{stdout}");
    let cancelled = cli(&["cancel", &id]);
    assert_eq!(String::from_utf8_lossy(&cancelled.stdout).trim(), format!("job {id} is cancelled"));
    let again = cli(&["retry", &id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("cannot retry a job that is cancelled"));
    let unknown = cli(&["list", "--state", "stuck"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("state:"));
});

both_backends!(posts_due_while_herald_was_down_are_published_once_by_several_instances, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    // No workers: scheduled posts wait, as they would while Herald is down.
    let first = Spawn::new(backend).clock(Arc::clone(&clock)).setting("workers", 0).start().await;
    let ada = first.register("ada").await;
    for n in 0..5 {
        let post = first.create_post(&ada, json!({"title": format!("Due {n}"), "body": "b"})).await;
        let response = first
            .request(Method::POST, &format!("/api/v1/posts/{}/schedule", post["id"]), &ada.access)
            .json(&json!({"publish_at": clock.now() + Duration::minutes(10 + n)}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    clock.advance(Duration::hours(2));
    // Two instances start together on the same database and catch up.
    let (second, third) = tokio::join!(
        Spawn::new(backend).clock(Arc::clone(&clock)).setting("database_url", &first.db_url).start(),
        Spawn::new(backend).clock(Arc::clone(&clock)).setting("database_url", &first.db_url).start(),
    );
    let mut done = 0;
    for _ in 0..100 {
        done = first.count("job WHERE kind = 'publish_post' AND state = 'succeeded'").await;
        if done == 5 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert_eq!(done, 5, "every publication job ran");
    assert_eq!(first.count("post WHERE status = 'published'").await, 5);
    assert_eq!(first.count("event WHERE event_type = 'post.published'").await, 5, "one event per post");
    assert_eq!(
        first.count("job WHERE kind = 'publish_post' AND attempts <> 1").await,
        0,
        "no job was claimed twice"
    );
    drop((second, third));
});

both_backends!(readiness_reports_a_queue_that_falls_behind, |backend| {
    let app = Spawn::new(backend).setting("workers", 0).start().await;
    let ready: Value = app.get("/health/ready").await.json().await.unwrap();
    assert_eq!(ready["checks"]["queue"]["status"], "up", "{ready}");
    // A job due a day ago that no worker takes.
    jobs::enqueue(&app.state.services, &unpublishable(3)).await.unwrap();
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 200, "a queue behind degrades, it does not take the instance out");
    let ready: Value = response.json().await.unwrap();
    assert_eq!(ready["checks"]["queue"]["status"], "degraded", "{ready}");
    assert!(ready["checks"]["queue"]["detail"].as_str().unwrap().contains("workers"), "{ready}");
    assert_eq!(ready["status"], "degraded");
});

both_backends!(a_job_whose_worker_died_is_taken_again_when_its_lease_runs_out, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let first = Spawn::new(backend).clock(Arc::clone(&clock)).setting("workers", 0).start().await;
    let ada = first.register("ada").await;
    let post = first.create_post(&ada, json!({"title": "Orphan", "body": "b"})).await;
    let response = first
        .request(Method::POST, &format!("/api/v1/posts/{}/schedule", post["id"]), &ada.access)
        .json(&json!({"publish_at": clock.now() + Duration::minutes(1)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    clock.advance(Duration::minutes(2));
    // A worker claims the publication and dies before finishing: no renewal, no outcome.
    let ctx = &first.state.services;
    let claimed = jobs::claim(ctx, "dead-worker", 10).await.unwrap();
    let orphan =
        claimed.iter().find(|j| j.kind == JobKind::PublishPost).expect("the publication was claimed");
    // A live instance does not take it while the lease holds...
    let second =
        Spawn::new(backend).clock(Arc::clone(&clock)).setting("database_url", &first.db_url).start().await;
    tokio::time::sleep(StdDuration::from_millis(600)).await;
    let system = Actor::system();
    assert_eq!(jobs::get(ctx, &system, orphan.job_id).await.unwrap().state, JobState::Running);
    // ...and does once it has run out.
    clock.advance(jobs::lease(ctx) + Duration::seconds(1));
    let mut state = JobState::Running;
    for _ in 0..60 {
        state = jobs::get(ctx, &system, orphan.job_id).await.unwrap().state;
        if state == JobState::Succeeded {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert_eq!(state, JobState::Succeeded);
    assert_eq!(
        jobs::get(ctx, &system, orphan.job_id).await.unwrap().attempts,
        2,
        "claimed twice, run to the end once"
    );
    assert_eq!(first.count("event WHERE event_type = 'post.published'").await, 1, "published once");
    // The dead worker's late outcome changes nothing: the job is the other worker's.
    jobs::finish(ctx, orphan, "dead-worker", Err("late".to_owned())).await.unwrap();
    let after = jobs::get(ctx, &system, orphan.job_id).await.unwrap();
    assert_eq!((after.state, after.last_error), (JobState::Succeeded, None));
    assert_ne!(after.worker.as_deref(), Some("dead-worker"));
    drop(second);
});
