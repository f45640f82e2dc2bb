//! The RealWorld surface beyond what the official collection checks: per-
//! viewer flags, offset paging, one data set shared with /api/v1, the
//! spec's error body, and CORS for browser frontends.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Session, TestApp, both_backends};

async fn rw_register(app: &TestApp, name: &str) -> String {
    let response = app
        .post_json(
            "/api/users",
            json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": PASSWORD}}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["user"]["token"].as_str().unwrap().to_owned()
}

fn rw(app: &TestApp, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).header("authorization", format!("Token {token}"))
}

async fn rw_article(app: &TestApp, token: &str, title: &str) -> Value {
    let response = rw(app, Method::POST, "/api/articles", token)
        .json(&json!({"article": {"title": title, "description": "d", "body": "b", "tagList": ["zeta", "alpha"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["article"].clone()
}

both_backends!(favorited_is_per_viewer_and_per_article, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = rw_register(&app, "alice").await;
    let bob = rw_register(&app, "bob").await;
    let first = rw_article(&app, &alice, "First").await;
    rw_article(&app, &alice, "Second").await;
    assert_eq!(first["tagList"], json!(["alpha", "zeta"]), "tags in alphabetical order");
    let favourite =
        rw(&app, Method::POST, &format!("/api/articles/{}/favorite", first["slug"].as_str().unwrap()), &bob)
            .send()
            .await
            .unwrap();
    assert_eq!(favourite.status(), 200);

    let flags = |body: Value| -> Vec<(String, bool, i64)> {
        body["articles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["title"].as_str().unwrap().to_owned(),
                    a["favorited"].as_bool().unwrap(),
                    a["favoritesCount"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let as_bob: Value =
        rw(&app, Method::GET, "/api/articles", &bob).send().await.unwrap().json().await.unwrap();
    assert_eq!(flags(as_bob), [("Second".into(), false, 0), ("First".into(), true, 1)]);
    let as_alice: Value =
        rw(&app, Method::GET, "/api/articles", &alice).send().await.unwrap().json().await.unwrap();
    assert_eq!(flags(as_alice), [("Second".into(), false, 0), ("First".into(), false, 1)]);
    let anonymous: Value = app.get("/api/articles?favorited=bob").await.json().await.unwrap();
    assert_eq!(flags(anonymous), [("First".into(), false, 1)]);
});

both_backends!(offset_and_limit_page_stably_with_a_total_count, |backend| {
    let app = TestApp::spawn(backend).await;
    let token = rw_register(&app, "paginator").await;
    for i in 0..7 {
        rw_article(&app, &token, &format!("Article {i}")).await;
    }
    let mut titles = Vec::new();
    for offset in [0, 3, 6] {
        let page: Value =
            app.get(&format!("/api/articles?limit=3&offset={offset}")).await.json().await.unwrap();
        assert_eq!(page["articlesCount"], 7);
        titles.extend(
            page["articles"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_owned()),
        );
        assert!(page["articles"][0].get("body").is_none(), "lists carry no body");
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("Article {i}")).collect();
    assert_eq!(titles, expected, "newest first, every article once");
    let bad = app.get("/api/articles?limit=0").await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert!(body["errors"]["limit"].is_array(), "{body}");
});

both_backends!(both_surfaces_share_one_data_set_and_one_set_of_rules, |backend| {
    let app = TestApp::spawn(backend).await;
    let v1_author: Session = app.register("dual").await;
    let post = app.publish_post(&v1_author, "Made in v1", &["shared"]).await;
    let slug = post["slug"].as_str().unwrap();
    app.request(Method::PATCH, &format!("/api/v1/posts/{}", post["id"]), &v1_author.access)
        .json(&json!({"body": "edited through v1", "excerpt": "new description"}))
        .send()
        .await
        .unwrap();
    let seen: Value = app.get(&format!("/api/articles/{slug}")).await.json().await.unwrap();
    assert_eq!(seen["article"]["body"], "edited through v1");
    assert_eq!(seen["article"]["description"], "new description");

    let draft = app.create_post(&v1_author, json!({"title": "Not an article", "body": "b"})).await;
    assert_eq!(app.get(&format!("/api/articles/{}", draft["slug"].as_str().unwrap())).await.status(), 404);

    let stranger = rw_register(&app, "stranger").await;
    let response = rw(&app, Method::PUT, &format!("/api/articles/{slug}"), &stranger)
        .json(&json!({"article": {"body": "hijacked"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "the same ownership rule as /api/v1");
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"]["body"].is_array(), "{body}");

    let rw_token = rw_register(&app, "rw-writer").await;
    let article = rw_article(&app, &rw_token, "Made in RealWorld").await;
    let (status, listed) = app.get_as("/api/v1/posts?author=rw-writer", None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"][0]["slug"], article["slug"]);
    assert_eq!(listed["items"][0]["status"], "published");
});

both_backends!(bad_input_gets_the_specs_error_body_and_changes_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    let response = app
        .post_json("/api/users", json!({"user": {"username": "x", "email": "nope", "password": "short"}}))
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    for field in ["username", "email", "password"] {
        assert!(body["errors"][field][0].is_string(), "{field}: {body}");
    }
    let response = app.post_json("/api/users", json!({"username": "no-envelope"})).await;
    assert_eq!(response.status(), 422);
    let token = rw_register(&app, "taken").await;
    let response = app
        .post_json(
            "/api/users",
            json!({"user": {"username": "TAKEN", "email": "other@example.com", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response.json::<Value>().await.unwrap()["errors"]["username"].is_array());
    assert_eq!(app.count("account").await, 1);

    let login = app
        .post_json(
            "/api/users/login",
            json!({"user": {"email": "taken@example.com", "password": "wrong password"}}),
        )
        .await;
    assert_eq!(login.status(), 401);
    assert!(login.json::<Value>().await.unwrap()["errors"]["body"].is_array());

    // Errors name the fields as the client sent them, not as Herald calls them.
    let article = json!({"article": {"title": "T", "description": "d".repeat(1001), "body": "b", "tagList": ["ok", "not a tag!"]}});
    let response = rw(&app, Method::POST, "/api/articles", &token).json(&article).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"]["description"].is_array() && body["errors"]["tagList[1]"].is_array(), "{body}");
    assert_eq!(app.count("post").await, 0);
    assert_eq!(app.get("/api/user").await.status(), 401);
    assert_eq!(rw(&app, Method::GET, "/api/user", "not-a-token").send().await.unwrap().status(), 401);
    assert_eq!(app.get("/api/articles/no-such-article").await.status(), 404);
    assert_eq!(app.get("/api/profiles/nobody-here").await.status(), 404);
    let response = rw(&app, Method::POST, "/api/articles", &token)
        .json(&json!({"article": {"title": ""}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"]["title"].is_array() && body["errors"]["body"].is_array(), "{body}");
    assert_eq!(app.count("post").await, 0);

    let me: Value = rw(&app, Method::PUT, "/api/user", &token)
        .json(&json!({"user": {"bio": "I write", "image": "https://example.com/me.png", "password": ""}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["user"]["bio"].as_str(), me["user"]["token"].as_str()),
        (Some("I write"), Some(token.as_str()))
    );
    let response = rw(&app, Method::PUT, "/api/user", &token)
        .json(&json!({"user": {"password": "short"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422, "a new password must be a good one");
    assert!(
        response.json::<Value>().await.unwrap()["errors"]["password"].is_array(),
        "named as the client sent it"
    );
});

#[tokio::test]
async fn browser_frontends_on_allowed_origins_pass_cors_preflight() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/api/articles"))
        .header("origin", "http://localhost:4200")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "http://localhost:4200");
    let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");

    let foreign =
        app.client.get(app.url("/api/tags")).header("origin", "https://evil.example").send().await.unwrap();
    assert!(foreign.headers().get("access-control-allow-origin").is_none());
}
