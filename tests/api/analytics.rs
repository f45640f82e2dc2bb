//! Engagement analytics: views counted where reads happen (fresh, cached
//! and 304 alike), reports from pages Herald does not serve, likes and
//! comments from events, the reports and the export — and what is not
//! counted: bots, repeat views, the author's own.

use std::time::Duration;

use herald::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Session, Spawn, TestApp, both_backends, problem};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

pub(crate) fn spawn(backend: Backend) -> Spawn {
    Spawn::new(backend).setting("analytics_flush_interval_ms", 100)
}

/// A browser-like reader: its own user agent makes it its own visitor.
pub(crate) fn reader(n: usize) -> String {
    format!("{FIREFOX} reader/{n}")
}

async fn read_as(app: &TestApp, path: &str, agent: &str) -> reqwest::Response {
    app.client.get(app.url(path)).header("user-agent", agent).send().await.unwrap()
}

async fn report(app: &TestApp, who: &Session, post: &Value, query: &str) -> Value {
    let path = format!("/api/v1/posts/{post}/analytics{query}");
    let response = app.request(Method::GET, &path, &who.access).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// Waits until the post's totals show `field` ≥ `expected` (flushes are
/// asynchronous), then once more so late increments would show, and
/// returns the report.
pub(crate) async fn settled(app: &TestApp, who: &Session, post: &Value, field: &str, expected: i64) -> Value {
    for _ in 0..200 {
        let body = report(app, who, post, "").await;
        if body["totals"][field].as_i64().unwrap() >= expected {
            tokio::time::sleep(Duration::from_millis(300)).await;
            return report(app, who, post, "").await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{field} of post {post} never reached {expected}");
}

async fn engage(app: &TestApp, post: &Value, body: Value, agent: &str) -> reqwest::Response {
    let url = app.url(&format!("/api/v1/posts/{post}/engagement"));
    app.client.post(url).header("user-agent", agent).json(&body).send().await.unwrap()
}

both_backends!(views_are_counted_on_every_read_path_once_per_visitor, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let post = app.publish_post(&author, "Counting views", &["stats"]).await;
    let (id, slug) = (&post["id"], post["slug"].as_str().unwrap());
    // The stored analysis changes the body (and its ETag) once: wait for it.
    app.analysed_post(id, &author).await;

    // Not views: crawlers, clients without a user agent, the author.
    read_as(&app, &format!("/api/v1/posts/{id}"), "Mozilla/5.0 (compatible; Googlebot/2.1)").await;
    app.client.get(app.url(&format!("/api/v1/posts/{id}"))).send().await.unwrap();
    let own = app.request(Method::GET, &format!("/api/v1/posts/{id}"), &author.access);
    assert_eq!(own.header("user-agent", FIREFOX).send().await.unwrap().status(), 200);

    // Views: the v1 read (first a miss, then from the cache), by slug, the
    // RealWorld article, and a conditional GET answered 304.
    let first = read_as(&app, &format!("/api/v1/posts/{id}"), &reader(1)).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    read_as(&app, &format!("/api/v1/posts/{id}"), &reader(2)).await;
    read_as(&app, &format!("/api/v1/posts/by-slug/{slug}"), &reader(3)).await;
    assert_eq!(read_as(&app, &format!("/api/articles/{slug}"), &reader(4)).await.status(), 200);
    let conditional = app
        .client
        .get(app.url(&format!("/api/v1/posts/{id}")))
        .header("user-agent", reader(5))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(conditional.status(), 304);
    // A repeat within 30 minutes counts once; a referrer keeps its host only.
    read_as(&app, &format!("/api/articles/{slug}"), &reader(1)).await;
    let referred = app
        .client
        .get(app.url(&format!("/api/articles/{slug}")))
        .header("user-agent", reader(6))
        .header("referer", "https://www.News.example/item?id=7&user=me")
        .send()
        .await
        .unwrap();
    assert_eq!(referred.status(), 200);
    // Lists are not views.
    read_as(&app, "/api/v1/posts", &reader(7)).await;

    let body = settled(&app, &author, id, "views", 6).await;
    assert_eq!(body["totals"]["views"], 6, "{body}");
    assert_eq!(body["totals"]["visitors"], 6, "{body}");
    assert_eq!(body["referrers"], json!([{"host": "news.example", "views": 1}]));
    let daily = body["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30, "every day of the default range is present");
    assert_eq!(daily[29]["views"], 6);
    assert!(daily[..29].iter().all(|d| d["views"] == 0), "{body}");
    assert_eq!(body["to"], daily[29]["date"]);
});

both_backends!(outside_pages_report_views_shares_and_clicks, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let post = app.publish_post(&author, "Shared far and wide", &[]).await;
    let id = &post["id"];

    let view = json!({"type": "view", "referrer": "https://t.co/abc", "path": "/blog/shared"});
    assert_eq!(engage(&app, id, view, &reader(1)).await.status(), 202);
    assert_eq!(engage(&app, id, json!({"type": "share", "platform": "x"}), &reader(1)).await.status(), 202);
    assert_eq!(engage(&app, id, json!({"type": "share", "platform": "x"}), &reader(2)).await.status(), 202);
    assert_eq!(
        engage(&app, id, json!({"type": "click", "platform": "linkedin"}), &reader(1)).await.status(),
        202
    );
    // Accepted, not counted: a bot, the author.
    assert_eq!(engage(&app, id, json!({"type": "share"}), "curl/8.5.0").await.status(), 202);
    let own = app.request(Method::POST, &format!("/api/v1/posts/{id}/engagement"), &author.access);
    let own = own.header("user-agent", FIREFOX).json(&json!({"type": "view"})).send().await.unwrap();
    assert_eq!(own.status(), 202);
    // The pixel counts a view and is never cached.
    let pixel = read_as(&app, &format!("/api/v1/posts/{id}/pixel.gif"), &reader(3)).await;
    assert_eq!(pixel.status(), 200);
    assert_eq!(pixel.headers()["content-type"], "image/gif");
    assert_eq!(pixel.headers()["cache-control"], "no-store");
    assert!(pixel.bytes().await.unwrap().starts_with(b"GIF89a"));

    let body = settled(&app, &author, id, "clicks", 1).await;
    let totals = &body["totals"];
    assert_eq!(
        (totals["views"].as_i64(), totals["shares"].as_i64(), totals["clicks"].as_i64()),
        (Some(2), Some(2), Some(1)),
        "{body}"
    );
    assert_eq!(body["referrers"], json!([{"host": "t.co", "views": 1}]));
    assert_eq!(
        body["platforms"],
        json!([{"platform": "linkedin", "shares": 0, "clicks": 1}, {"platform": "x", "shares": 2, "clicks": 0}])
    );
});

both_backends!(bad_engagement_reports_are_refused_and_change_nothing, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let post = app.publish_post(&author, "Guarded", &[]).await;
    let draft = app.create_post(&author, json!({"title": "Not yet", "body": "Draft"})).await;
    let id = &post["id"];

    let bad = engage(&app, id, json!({"platform": "myspace", "path": "no-slash"}), &reader(1)).await;
    assert_eq!(bad.status(), 422);
    let body = problem(bad).await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["type", "platform", "path"], "{body}");
    let unknown = engage(&app, id, json!({"type": "view", "ip": "1.2.3.4"}), &reader(1)).await;
    assert_eq!(unknown.status(), 422);
    let wrong_type = engage(&app, id, json!({"type": "purchase"}), &reader(1)).await;
    assert_eq!(problem(wrong_type).await["errors"][0]["field"], "type");
    for missing in [json!(999_999), draft["id"].clone()] {
        assert_eq!(engage(&app, &missing, json!({"type": "view"}), &reader(1)).await.status(), 404);
    }
    let pixel = read_as(&app, &format!("/api/v1/posts/{id}/pixel.gif?colour=red"), &reader(1)).await;
    assert_eq!(pixel.status(), 422);

    // Only now a valid view: the total shows nothing else was counted.
    assert_eq!(engage(&app, id, json!({"type": "view"}), &reader(1)).await.status(), 202);
    let body = settled(&app, &author, id, "views", 1).await;
    assert_eq!(
        body["totals"],
        json!({"views": 1, "visitors": 1, "likes": 0, "comments": 0, "shares": 0, "clicks": 0})
    );
});

#[tokio::test]
async fn engagement_reports_are_rate_limited_per_client() {
    let app = spawn(Backend::Sqlite).setting("rate_limit_engagement_per_minute", 3).start().await;
    let author = app.register("writer").await;
    let post = app.publish_post(&author, "Popular", &[]).await;
    let mut statuses = Vec::new();
    for n in 0..5 {
        statuses.push(engage(&app, &post["id"], json!({"type": "view"}), &reader(n)).await.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 429, 429]);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let dropped = metrics
        .lines()
        .find(|l| l.starts_with("herald_engagement_dropped_total{reason=\"rate_limit\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
    assert!(dropped.is_some_and(|n| n >= 2.0), "rate-limited reports are counted as dropped");
    // Reads of the API are not charged to that budget.
    assert_eq!(app.get("/api/v1/posts").await.status(), 200);
}

both_backends!(likes_and_comments_are_rolled_up_from_events, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let fan = app.register("fan").await;
    let post = app.publish_post(&author, "Liked and discussed", &[]).await;
    let id = &post["id"];
    let like = |method| app.request(method, &format!("/api/v1/posts/{id}/like"), &fan.access).send();
    assert_eq!(like(Method::PUT).await.unwrap().status(), 200);
    assert_eq!(like(Method::DELETE).await.unwrap().status(), 200);
    assert_eq!(like(Method::PUT).await.unwrap().status(), 200);
    for text in ["First!", "Thoughtful reply"] {
        let comment = app.request(Method::POST, &format!("/api/v1/posts/{id}/comments"), &fan.access);
        assert_eq!(comment.json(&json!({"body": text})).send().await.unwrap().status(), 201);
    }
    let body = settled(&app, &author, id, "comments", 2).await;
    assert_eq!(
        (body["totals"]["likes"].as_i64(), body["totals"]["comments"].as_i64()),
        (Some(2), Some(2)),
        "{body}"
    );
});

both_backends!(reports_belong_to_the_author_and_editors, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let other = app.register("other").await;
    let editor = app.user_with_role("editor", Role::Editor).await;
    let viewer = app.user_with_role("viewer", Role::Viewer).await;
    let post = app.publish_post(&author, "Private numbers", &[]).await;
    let path = format!("/api/v1/posts/{}/analytics", post["id"]);

    assert_eq!(app.get(&path).await.status(), 401);
    assert_eq!(app.request(Method::GET, &path, &other.access).send().await.unwrap().status(), 403);
    assert_eq!(app.request(Method::GET, &path, &editor.access).send().await.unwrap().status(), 200);
    assert_eq!(
        app.request(Method::GET, "/api/v1/posts/999999/analytics", &editor.access)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let overview =
        app.request(Method::GET, "/api/v1/analytics/overview", &viewer.access).send().await.unwrap();
    assert_eq!(overview.status(), 403);
    for query in
        ["?from=2026-13-01", "?from=2026-12-02&to=2026-12-01", "?from=2020-01-01&to=2026-12-01", "?days=3"]
    {
        let response =
            app.request(Method::GET, &format!("{path}{query}"), &author.access).send().await.unwrap();
        assert_eq!(response.status(), 422, "{query}");
    }
    let both = "/api/v1/analytics/overview?period=7d&from=2026-11-01";
    let response = app.request(Method::GET, both, &author.access).send().await.unwrap();
    assert_eq!(problem(response).await["errors"][0]["field"], "period");
});

both_backends!(the_overview_ranks_posts_and_compares_periods, |backend| {
    let app = spawn(backend).start().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let editor = app.user_with_role("editor", Role::Editor).await;
    let popular = app.publish_post(&alice, "Popular", &[]).await;
    let engaging = app.publish_post(&alice, "Engaging", &[]).await;
    let bobs = app.publish_post(&bob, "Bob's", &[]).await;
    for n in 0..3 {
        read_as(&app, &format!("/api/v1/posts/{}", popular["id"]), &reader(n)).await;
    }
    read_as(&app, &format!("/api/v1/posts/{}", engaging["id"]), &reader(10)).await;
    engage(&app, &engaging["id"], json!({"type": "share", "platform": "mastodon"}), &reader(10)).await;
    for n in 20..25 {
        read_as(&app, &format!("/api/v1/posts/{}", bobs["id"]), &reader(n)).await;
    }
    settled(&app, &bob, &bobs["id"], "views", 5).await;
    settled(&app, &alice, &engaging["id"], "shares", 1).await;

    let response =
        app.request(Method::GET, "/api/v1/analytics/overview?period=7d", &alice.access).send().await;
    let own: Value = response.unwrap().json().await.unwrap();
    assert_eq!(own["scope"], "own");
    assert_eq!(own["totals"]["views"], 4, "{own}");
    assert_eq!(own["previous"]["views"], 0);
    assert_eq!(own["change"]["views"], Value::Null, "no change against an empty period");
    assert_eq!(own["daily"].as_array().unwrap().len(), 7);
    let titles = |list: &Value| -> Vec<String> {
        list.as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(titles(&own["top_by_views"]), ["Popular", "Engaging"]);
    assert_eq!(titles(&own["top_by_engagement"]), ["Engaging", "Popular"]);
    assert_eq!(own["top_by_engagement"][0]["engagement_rate"], 1.0);

    let response = app.request(Method::GET, "/api/v1/analytics/overview", &editor.access).send().await;
    let all: Value = response.unwrap().json().await.unwrap();
    assert_eq!((all["scope"].as_str(), all["totals"]["views"].as_i64()), (Some("all"), Some(9)), "{all}");
    assert_eq!(titles(&all["top_by_views"]), ["Bob's", "Popular", "Engaging"]);
});

both_backends!(the_csv_export_has_a_row_per_post_and_day, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let tricky = app.publish_post(&author, "=cmd, \"quoted\"", &[]).await;
    let plain = app.publish_post(&author, "Plain", &[]).await;
    read_as(&app, &format!("/api/v1/posts/{}", tricky["id"]), &reader(1)).await;
    read_as(&app, &format!("/api/v1/posts/{}", plain["id"]), &reader(1)).await;
    read_as(&app, &format!("/api/v1/posts/{}", plain["id"]), &reader(2)).await;
    settled(&app, &author, &plain["id"], "views", 2).await;

    let response =
        app.request(Method::GET, "/api/v1/analytics/export.csv", &author.access).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,post_id,slug,title,views,visitors,likes,unlikes,comments,shares,clicks");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains(",\"'=cmd, \"\"quoted\"\"\",1,1,0,0,0,0,0"), "{csv}");
    assert!(lines[2].ends_with(",\"Plain\",2,2,0,0,0,0,0"), "{csv}");

    // Compressed, the stream still ends cleanly (the encoder polls past its end).
    let gzip = app.request(Method::GET, "/api/v1/analytics/export.csv", &author.access);
    let gzip = gzip.header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert!(!gzip.bytes().await.expect("a complete body").is_empty());

    let stranger = app.register("stranger").await;
    let response =
        app.request(Method::GET, "/api/v1/analytics/export.csv", &stranger.access).send().await.unwrap();
    assert_eq!(response.text().await.unwrap().lines().count(), 1, "an author exports only their own posts");
});

#[tokio::test]
async fn with_analytics_off_nothing_is_counted() {
    let app = spawn(Backend::Sqlite).setting("analytics_enabled", false).start().await;
    let author = app.register("writer").await;
    let post = app.publish_post(&author, "Unwatched", &[]).await;
    read_as(&app, &format!("/api/v1/posts/{}", post["id"]), &reader(1)).await;
    assert_eq!(engage(&app, &post["id"], json!({"type": "share"}), &reader(1)).await.status(), 202);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.count("post_daily_stats WHERE views > 0 OR shares > 0").await, 0);
}

both_backends!(sort_popular_lists_posts_by_views_of_the_last_week, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let quiet = app.publish_post(&author, "Quiet", &[]).await;
    let loud = app.publish_post(&author, "Loud", &[]).await;
    app.publish_post(&author, "Unseen", &[]).await;
    for n in 0..3 {
        read_as(&app, &format!("/api/v1/posts/{}", loud["id"]), &reader(n)).await;
    }
    read_as(&app, &format!("/api/v1/posts/{}", quiet["id"]), &reader(9)).await;
    settled(&app, &author, &loud["id"], "views", 3).await;
    settled(&app, &author, &quiet["id"], "views", 1).await;

    let titles = |body: &Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_owned()).collect()
    };
    let (status, body) = app.get_as("/api/v1/posts?sort=popular&include_total=true", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(titles(&body), ["Loud", "Quiet"], "posts nobody viewed this week are not listed");
    assert_eq!(body["total"], 2);
    let (_, body) = app.get_as("/api/v1/posts?sort=popular&order=asc", None).await;
    assert_eq!(titles(&body), ["Quiet", "Loud"]);
    let (_, first) = app.get_as("/api/v1/posts?sort=popular&limit=1", None).await;
    assert_eq!(titles(&first), ["Loud"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app.get_as(&format!("/api/v1/posts?sort=popular&limit=1&cursor={cursor}"), None).await;
    assert_eq!(titles(&second), ["Quiet"]);
    assert_eq!(second["next_cursor"], Value::Null);
    let response = app.get("/api/v1/posts?sort=popular&q=loud").await;
    assert_eq!(problem(response).await["errors"][0]["field"], "sort");
});

both_backends!(old_rollups_are_pruned_and_closed_days_keep_their_top_referrers, |backend| {
    let app = spawn(backend).start().await;
    let author = app.register("writer").await;
    let post = app.publish_post(&author, "Long history", &[]).await;
    let id = post["id"].as_i64().unwrap();
    let today = chrono::Utc::now().timestamp().div_euclid(86_400);
    let (ancient, yesterday) = (today - 731, today - 1);
    for day in [ancient, yesterday] {
        app.execute(&format!("INSERT INTO post_daily_stats (post_id, day, views) VALUES ({id}, {day}, 5)"))
            .await;
    }
    for n in 1..=12 {
        let sql = format!(
            "INSERT INTO post_daily_referrer (post_id, day, host, views) VALUES ({id}, {yesterday}, 'site{n}.example', {n})"
        );
        app.execute(&sql).await;
    }
    herald::service::analytics::prune(&app.state.services).await.unwrap();
    assert_eq!(app.count(&format!("post_daily_stats WHERE day = {ancient}")).await, 0, "past the retention");
    assert_eq!(app.count(&format!("post_daily_stats WHERE day = {yesterday}")).await, 1);
    assert_eq!(app.count("post_daily_referrer").await, 10, "a closed day keeps its top 10 hosts");
    assert_eq!(app.count("post_daily_referrer WHERE views <= 2").await, 0, "the least viewing hosts went");
});
