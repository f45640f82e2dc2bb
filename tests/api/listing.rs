//! Listing posts: filters, sorting, cursors, totals and bad parameters.

use chrono::{Duration, Utc};
use herald::domain::{AccountId, ContentType, NewPost, Platform, Platforms, PostFields, PostStatus, Tags};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends, problem};

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

both_backends!(filters_narrow_the_list_and_can_be_combined, |backend| {
    let app = TestApp::spawn(backend).await;
    let editor = app.user_with_role("curator", herald::domain::Role::Editor).await;
    app.request(Method::POST, "/api/v1/categories", &editor.access)
        .json(&json!({"name": "Guides"}))
        .send()
        .await
        .unwrap();
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let a = app
        .create_post(
            &ada,
            json!({"title": "A", "body": "a", "tags": ["rust"], "platforms": ["x"], "category": "guides",
            "content_type": "educational", "publish": true}),
        )
        .await;
    let b = app
        .create_post(&bob, json!({"title": "B", "body": "b", "tags": ["rust", "web"], "publish": true}))
        .await;
    let _c =
        app.create_post(&bob, json!({"title": "C", "body": "c", "tags": ["web"], "publish": true})).await;
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());

    let cases = [
        ("author=ADA", vec![a]),
        ("tag=rust&order=asc", vec![a, b]),
        ("tag=rust&author=bob", vec![b]),
        ("category=guides", vec![a]),
        ("platform=x", vec![a]),
        ("content_type=educational", vec![a]),
        ("tag=nothing", vec![]),
    ];
    for (query, expected) in cases {
        let (status, page) = app.get_as(&format!("/api/v1/posts?{query}"), None).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(ids(&page), expected, "{query}");
    }
    let tomorrow = (Utc::now() + Duration::days(1)).to_rfc3339().replace('+', "%2B");
    let (_, page) = app.get_as(&format!("/api/v1/posts?published_after={tomorrow}"), None).await;
    assert!(ids(&page).is_empty());
    let (_, page) =
        app.get_as(&format!("/api/v1/posts?published_before={tomorrow}&include_total=true"), None).await;
    assert_eq!(page["total"], 3);
});

both_backends!(unknown_parameters_and_values_are_422_and_bad_cursors_400, |backend| {
    let app = TestApp::spawn(backend).await;
    for (query, field) in [
        ("colour=red", "colour"),
        ("status=deleted", "status"),
        ("sort=popularity", "sort"),
        ("order=sideways", "order"),
        ("platform=myspace", "platform"),
        ("content_type=rant", "content_type"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("published_after=yesterday", "published_after"),
        ("sort=relevance", "sort"),
    ] {
        let response = app.get(&format!("/api/v1/posts?{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        let body = problem(response).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    for cursor in ["garbage", "eyJzIjoidGl0bGUifQ", "e30"] {
        let response = app.get(&format!("/api/v1/posts?cursor={cursor}")).await;
        assert_eq!(response.status(), 400, "{cursor}");
        assert_eq!(problem(response).await["type"], "urn:herald:problem:malformed_cursor");
    }
});

/// Inserts `n` published posts directly (the HTTP path is covered elsewhere;
/// here only listing is under test), several sharing each timestamp.
async fn seed(app: &TestApp, author_id: i64, n: i64) {
    let start = Utc::now() - Duration::days(30);
    let mut tx = app.state.services.db.begin().await.unwrap();
    for i in 0..n {
        let at = start + Duration::seconds(i / 3);
        let row = NewPost {
            author_id: AccountId::new(author_id),
            fields: PostFields {
                slug: format!("seeded-{i}"),
                title: format!("Seeded {:05}", (i * 7919) % n),
                body: "body".to_owned(),
                body_html: "<p>body</p>".to_owned(),
                excerpt: "body".to_owned(),
                excerpt_given: false,
                status: if i % 10 == 0 { PostStatus::Draft } else { PostStatus::Published },
                publish_at: None,
                published_at: if i % 10 == 0 { None } else { Some(at) },
                category_id: None,
                tags: Tags::default(),
                platforms: Platforms(vec![Platform::Blog]),
                content_type: ContentType::Article,
                analysis: None,
            },
            brief_id: None,
            created_at: at,
        };
        herald::store::posts::insert(&mut tx, &row).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn walk(app: &TestApp, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = format!("/api/v1/posts?limit=100&{query}");
    loop {
        let (status, page) = app.get_as(&path, None).await;
        assert_eq!(status, 200, "{path}: {page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/posts?limit=100&{query}&cursor={cursor}"),
            None => return items,
        }
    }
}

both_backends!(paging_through_ten_thousand_posts_yields_each_visible_post_exactly_once_in_order, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("prolific").await;
    seed(&app, author.user_id, 10_000).await;
    let visible = 9_000;

    let newest_first = walk(&app, "").await;
    assert_eq!(newest_first.len(), visible);
    let mut ids: Vec<i64> = newest_first.iter().map(|p| p["id"].as_i64().unwrap()).collect();
    let keys: Vec<(String, i64)> = newest_first
        .iter()
        .map(|p| (p["published_at"].as_str().unwrap().to_owned(), p["id"].as_i64().unwrap()))
        .collect();
    let times: Vec<chrono::DateTime<Utc>> = keys.iter().map(|(t, _)| t.parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(keys.windows(2).all(
        |w| times_of(&w[0]) > times_of(&w[1]) || (times_of(&w[0]) == times_of(&w[1]) && w[0].1 > w[1].1)
    ));
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), visible, "no duplicates");

    let by_title = walk(&app, "sort=title&order=asc").await;
    let titles: Vec<&str> = by_title.iter().map(|p| p["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), visible);
    assert!(titles.windows(2).all(|w| w[0] <= w[1]), "titles ascending");
});

fn times_of(key: &(String, i64)) -> chrono::DateTime<Utc> {
    key.0.parse().unwrap()
}
