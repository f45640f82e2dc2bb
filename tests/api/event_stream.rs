//! The live change feed (`GET /api/v1/events/stream`, Server-Sent Events):
//! live delivery, resuming with `Last-Event-ID` without gap or duplicate,
//! type filters and visibility, across instances, and the per-user limit.

use std::time::Duration;

use herald::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Session, Spawn, TestApp, both_backends, problem};

/// One server-sent event.
#[derive(Debug, Clone)]
struct Message {
    id: i64,
    event: String,
    data: Value,
}

/// A stream read the way a browser's EventSource reads it.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, who: &Session, query: &str, last: Option<i64>) -> Stream {
        let mut request = app.request(Method::GET, &format!("/api/v1/events/stream{query}"), &who.access);
        if let Some(last) = last {
            request = request.header("last-event-id", last.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        assert_eq!(response.headers()["x-accel-buffering"], "no");
        Stream { response, buffer: String::new() }
    }

    /// The next event within `within`, skipping heartbeats.
    async fn next(&mut self, within: Duration) -> Option<Message> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(id) = id {
                    return Some(Message { id, event, data: serde_json::from_str(&data).unwrap() });
                }
                continue;
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// Every event up to and including the first of type `last` (which must
    /// come within 20 s).
    async fn until(&mut self, last: &str) -> Vec<Message> {
        let mut all = Vec::new();
        loop {
            let message = self.next(Duration::from_secs(20)).await;
            let message = message.unwrap_or_else(|| panic!("no {last} event came; got {all:?}"));
            let done = message.event == last;
            all.push(message);
            if done {
                return all;
            }
        }
    }

    /// Every event until none arrives for `quiet`.
    async fn drain(&mut self, quiet: Duration) -> Vec<Message> {
        let mut all = Vec::new();
        while let Some(message) = self.next(quiet).await {
            all.push(message);
        }
        all
    }
}

async fn draft(app: &TestApp, author: &Session, title: &str) -> Value {
    app.create_post(author, json!({"title": title, "body": "b"})).await
}

both_backends!(a_stream_resumes_with_last_event_id_with_no_gap_and_no_duplicate, |backend| {
    let app = Spawn::new(backend).start().await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let ada = app.register("ada").await;
    let mut stream = Stream::open(&app, &admin, "", None).await;
    // The registrations above, dispatched after the stream opened.
    stream.drain(Duration::from_millis(700)).await;
    for n in 0..3 {
        draft(&app, &ada, &format!("Live {n}")).await;
    }
    let mut live = Vec::new();
    while live.len() < 3 {
        live.push(stream.next(Duration::from_secs(20)).await.expect("a live event"));
    }
    assert!(live.iter().all(|m| m.event == "post.created"), "{live:?}");
    assert_eq!(live[0].data["type"], "post.created");
    assert_eq!(live[0].data["seq"], live[0].id);
    let last_seen = live[1].id;
    drop(stream);

    // Missed while away: the third event above and everything after it.
    draft(&app, &ada, "While away").await;
    app.register("bob").await;
    // Every write above is dispatched before the client comes back.
    for _ in 0..400 {
        if app.count("event WHERE seq IS NULL").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut resumed = Stream::open(&app, &admin, "", Some(last_seen)).await;
    let mut missed = resumed.until("user.registered").await;
    missed.extend(resumed.drain(Duration::from_millis(300)).await);
    let ids: Vec<i64> = missed.iter().map(|m| m.id).collect();
    let expected: Vec<i64> = (last_seen + 1..=last_seen + 3).collect();
    assert_eq!(ids, expected, "exactly the missed events, in order: {missed:?}");
    let types: Vec<&str> = missed.iter().map(|m| m.event.as_str()).collect();
    assert_eq!(types, ["post.created", "post.created", "user.registered"]);
    assert_eq!(missed[0].data["id"], live[2].data["id"], "the first one missed is the one not yet read");

    // And it goes on live after the catch-up.
    draft(&app, &ada, "After").await;
    let next = resumed.next(Duration::from_secs(20)).await.expect("live again");
    assert_eq!(next.id, last_seen + 4);
});

both_backends!(users_see_only_what_they_may_read_and_the_types_they_ask_for, |backend| {
    let app = Spawn::new(backend).start().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let mut everything = Stream::open(&app, &bob, "", None).await;
    let mut published_only = Stream::open(&app, &bob, "?types=post.published", None).await;

    let hidden = draft(&app, &ada, "Ada's draft").await;
    let public = app.publish_post(&ada, "Ada's news", &[]).await;
    let response = app
        .request(Method::PUT, &format!("/api/v1/posts/{}/like", public["id"]), &bob.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Bob's like came last: everything before it has been streamed by then.
    let seen = everything.until("post.liked").await;
    assert!(seen.iter().all(|m| m.data["post_id"] != hidden["id"]), "another's draft stays hidden: {seen:?}");
    let types: Vec<&str> = seen.iter().map(|m| m.event.as_str()).collect();
    assert!(types.contains(&"post.published") && types.contains(&"post.liked"), "{types:?}");
    let mut filtered = vec![published_only.next(Duration::from_secs(20)).await.expect("post.published")];
    filtered.extend(published_only.drain(Duration::from_millis(300)).await);
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    assert_eq!(filtered[0].data["post_id"], public["id"]);

    let response = app
        .request(Method::GET, "/api/v1/events/stream?types=post.exploded", &bob.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await["errors"][0]["field"], "types");
    assert_eq!(app.get("/api/v1/events/stream").await.status(), 401);
});

both_backends!(a_write_on_one_instance_reaches_a_stream_on_another, |backend| {
    let first = Spawn::new(backend).start().await;
    let second = Spawn::new(backend).setting("database_url", &first.db_url).start().await;
    let admin = first.user_with_role("root", Role::Admin).await;
    let ada = first.register("ada").await;
    let head_before = herald::store::events::last_seq(&second.state.services.db).await.unwrap();
    let mut on_second = Stream::open(&second, &admin, "?types=post.created", None).await;
    let post = draft(&first, &ada, "Written on the first").await;
    let Some(message) = on_second.next(Duration::from_secs(20)).await else {
        let ctx = &second.state.services;
        let last = herald::store::events::last_seq(&ctx.db).await.unwrap();
        let undispatched = second.count("event WHERE seq IS NULL").await;
        let all = herald::store::events::after(&ctx.db, 0, 100).await.unwrap();
        let seqs: Vec<_> = all.iter().map(|e| (e.seq, e.event_type.as_str(), e.origin.clone())).collect();
        panic!(
            "the event did not cross instances: head before {head_before}, last seq {last}, {undispatched} undispatched: {seqs:?}"
        );
    };
    assert_eq!(message.data["post_id"], post["id"]);
});

both_backends!(a_user_holds_at_most_five_streams, |backend| {
    let app = Spawn::new(backend).start().await;
    let ada = app.register("ada").await;
    let mut open = Vec::new();
    for _ in 0..5 {
        open.push(Stream::open(&app, &ada, "", None).await);
    }
    let sixth = app.request(Method::GET, "/api/v1/events/stream", &ada.access).send().await.unwrap();
    assert_eq!(sixth.status(), 429);
    drop(open.pop());
    // The freed slot is taken again once the closed stream is noticed.
    let mut reopened = None;
    for _ in 0..50 {
        let response = app.request(Method::GET, "/api/v1/events/stream", &ada.access).send().await.unwrap();
        if response.status() == 200 {
            reopened = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "a closed stream frees its slot");
});
