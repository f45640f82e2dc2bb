//! Herald Studio over HTTP, as a browser without scripts uses it: cookies,
//! forms and redirects. (The scripted parts run in a real browser:
//! `scripts/studio-browser.sh`.)

use herald::domain::Role;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::{PASSWORD, Spawn, TestApp, both_backends};
use crate::studio_client::{Browser, between};

/// The id in a `/studio/posts/{id}?done=…` redirect.
fn post_id(location: &str) -> i64 {
    location.trim_start_matches("/studio/posts/").split('?').next().unwrap().parse().unwrap()
}

async fn api_status(app: &TestApp, id: i64) -> String {
    let admin = app.login_ok("boss").await;
    let post: serde_json::Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/posts/{id}"), &admin.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    post["status"].as_str().unwrap().to_owned()
}

both_backends!(sign_in_sets_a_studio_only_cookie_and_sign_out_ends_the_session, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut browser = Browser::new(&app);

    let root = app.get("/").await;
    assert!(root.status().is_redirection());
    assert_eq!(root.headers()[LOCATION], "/studio/posts");
    let (status, _, headers) = browser.get("/studio/posts").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "pages need a session");
    assert_eq!(headers[LOCATION], "/studio/sign-in?next=%2Fstudio%2Fposts");

    let (status, form, headers) = browser.get("/studio/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("<label for=\"login\">"));
    let csp = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(headers["cache-control"], "no-store");

    app.user_with_role("writer", Role::Author).await;
    let (status, page, _) = browser.sign_in("writer", "not the password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Wrong e-mail, username or password."));
    assert!(!browser.cookies.contains_key("herald_studio"));

    let (_, form, _) = browser.get("/studio/sign-in").await;
    let token = between(&form, "name=\"_csrf\" value=\"", "\"").unwrap().to_owned();
    let fields = [
        ("_csrf", token),
        ("login", "writer".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("next", "/studio/keys".to_owned()),
    ];
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
    let response = app
        .client
        .post(app.url("/studio/sign-in"))
        .header(COOKIE, browser.cookie_header())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/studio/keys", "back where the user was going");
    let set: Vec<&str> = response.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
    let session = set.iter().find(|c| c.starts_with("herald_studio=")).unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/studio"] {
        assert!(session.contains(attribute), "{session} lacks {attribute}");
    }
    assert!(!session.contains("Secure"), "plain HTTP here: a Secure cookie would never come back");
    browser.keep_cookies(&response);
    let old_cookie = browser.cookie_header();

    let (status, page, _) = browser.get("/studio/posts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("writer (author)"));

    let (status, _, location) = browser.post("/studio/sign-out", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/studio/sign-in?signed_out=1"));
    assert!(!browser.cookies.contains_key("herald_studio"), "the cookie is deleted");
    let replayed = app.client.get(app.url("/studio/posts")).header(COOKIE, old_cookie).send().await.unwrap();
    assert_eq!(replayed.status(), StatusCode::SEE_OTHER, "the session itself is revoked");
});

both_backends!(
    state_changing_requests_need_the_session_s_csrf_token_and_change_nothing_without_it,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let mut browser = Browser::signed_in(&app, "writer", Role::Author).await;
        let draft = [
            ("title", "Kept out".to_owned()),
            ("body", "Text".to_owned()),
            ("platforms", "blog".to_owned()),
            ("content_type", "article".to_owned()),
            ("action", "save".to_owned()),
        ];

        let (status, _, _) = browser.post_raw("/studio/posts", &draft, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "no token");
        let mut wrong = draft.to_vec();
        wrong.push(("_csrf", "0".repeat(32)));
        let (status, _, _) = browser.post_raw("/studio/posts", &wrong, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a wrong token");
        let mut right = draft.to_vec();
        right.push(("_csrf", browser.csrf.clone()));
        let (status, _, _) =
            browser.post_raw("/studio/posts", &right, &[("sec-fetch-site", "cross-site")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "another site, even with the token");
        let (status, _, _) =
            browser.post_raw("/studio/posts", &right, &[("origin", "https://evil.example")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "another origin, even with the token");
        let (status, _, _) = browser.post_raw("/studio/sign-out", &[], &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "signing out is a change too");
        assert_eq!(app.count("post").await, 0);

        let (status, _, location) = browser.post_raw("/studio/posts", &right, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(location.unwrap().ends_with("?done=created"));
        assert_eq!(app.count("post").await, 1);
    }
);

both_backends!(the_composer_shows_each_error_beside_its_field_and_stores_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut browser = Browser::signed_in(&app, "writer", Role::Author).await;
    let long_tag = "t".repeat(80);
    let fields = [
        ("title", ""),
        ("body", "Some text"),
        ("tags", long_tag.as_str()),
        ("platforms", "myspace"),
        ("content_type", "article"),
        ("action", "save"),
    ];
    let (status, page, _) = browser.post("/studio/posts", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["title", "tags", "platforms"] {
        assert!(page.contains(&format!("id=\"{field}-error\"")), "no error beside {field}: {page}");
    }
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(page.contains("Some text"), "what was typed is kept");
    assert_eq!(app.count("post").await, 0);

    let past = [
        ("title", "Late"),
        ("body", "x"),
        ("platforms", "blog"),
        ("content_type", "article"),
        ("action", "schedule"),
        ("publish_at", "2001-01-01T00:00:00Z"),
    ];
    let (status, page, _) = browser.post("/studio/posts", &past).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"publish_at-error\"") && page.contains("must be in the future"));
    assert_eq!(app.count("post").await, 0, "a refused schedule leaves no draft behind");
});

both_backends!(one_form_takes_a_post_through_its_whole_workflow, |backend| {
    let app = TestApp::spawn(backend).await;
    app.user_with_role("boss", Role::Admin).await;
    let mut browser = Browser::signed_in(&app, "writer", Role::Author).await;
    let base = [
        ("title", "Launch day"),
        ("body", "We **launch** today."),
        ("tags", "news, launch"),
        ("platforms", "blog"),
        ("platforms", "x"),
        ("content_type", "announcement"),
    ];
    let with = |action: &'static str, extra: &[(&'static str, &'static str)]| {
        let mut fields = base.to_vec();
        fields.push(("action", action));
        fields.extend_from_slice(extra);
        fields
    };

    let (status, _, location) = browser.post("/studio/posts", &with("save", &[])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let id = post_id(&location);
    let (status, page, _) = browser.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Draft created.") && page.contains("badge-draft"));
    assert!(page.contains("value=\"news, launch\""));
    assert_eq!(api_status(&app, id).await, "draft");

    let path = format!("/studio/posts/{id}");
    let version = |page: &str| between(page, "name=\"version\" value=\"", "\"").unwrap().to_owned();
    let steps = [
        ("schedule", "scheduled", "Scheduled."),
        ("unschedule", "draft", "Unscheduled"),
        ("publish", "published", "Published."),
        ("archive", "archived", "Archived."),
        ("restore", "draft", "Restored as a draft."),
    ];
    let mut page = page;
    for (action, state, notice) in steps {
        let v = version(&page);
        let mut fields = with(action, &[("publish_at", "2099-06-01T12:00:00Z")]);
        fields.push(("version", &v));
        let (status, body, location) = browser.post(&path, &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{action}: {body}");
        assert_eq!(api_status(&app, id).await, state, "after {action}");
        let (_, next, _) = browser.get(&location.unwrap()).await;
        assert!(next.contains(notice), "{action}");
        page = next;
    }

    // A stale form is refused rather than overwriting the newer version.
    let mut stale = with("save", &[]);
    stale.push(("version", "1"));
    let (status, body, _) = browser.post(&path, &stale).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(body.contains("Someone changed this post"));
    assert_eq!(
        version(&body),
        "1",
        "the form keeps the version being edited, so saving it again is refused again"
    );
    let unversioned = [
        ("title", "No version"),
        ("body", "x"),
        ("platforms", "blog"),
        ("content_type", "article"),
        ("action", "save"),
    ];
    let (status, body, _) = browser.post(&path, &unversioned).await;
    assert_eq!(status, StatusCode::CONFLICT, "a form that names no version changes nothing: {body}");
    assert!(!app.get(&format!("/api/v1/posts/{id}")).await.text().await.unwrap().contains("No version"));

    let v = version(&page);
    let (status, _, location) = browser.post(&format!("{path}/delete"), &[("version", &v)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/studio/posts"));
    assert_eq!(app.count("post").await, 0);
});

both_backends!(the_list_filters_and_searches_like_the_api_and_shows_status_as_text, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut browser = Browser::signed_in(&app, "writer", Role::Author).await;
    for (title, body, action) in [
        ("Gardening notes", "About tomatoes and soil.", "publish"),
        ("Secret plans", "Nothing to see.", "save"),
    ] {
        let fields = [
            ("title", title),
            ("body", body),
            ("platforms", "blog"),
            ("content_type", "article"),
            ("action", action),
        ];
        assert_eq!(browser.post("/studio/posts", &fields).await.0, StatusCode::SEE_OTHER);
    }
    let (_, all, _) = browser.get("/studio/posts").await;
    assert!(all.contains("Gardening notes") && all.contains("Secret plans"));
    assert!(all.contains(">published</span>") && all.contains(">draft</span>"));
    let (_, drafts, _) = browser.get("/studio/posts?status=draft").await;
    assert!(drafts.contains("Secret plans") && !drafts.contains("Gardening notes"));
    let (_, found, _) = browser.get("/studio/posts?q=tomatoes").await;
    assert!(found.contains("Gardening notes") && !found.contains("Secret plans"));
    assert!(found.contains("<mark>"), "matches are marked in the snippet");
    let (_, on_x, _) = browser.get("/studio/posts?platform=x").await;
    assert!(on_x.contains("No posts match."), "both posts are for the blog only");
    let (_, articles, _) = browser.get("/studio/posts?content_type=article&platform=blog").await;
    assert!(articles.contains("Gardening notes") && articles.contains("Secret plans"));
    let (status, bad, _) = browser.get("/studio/posts?status=lost").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("id=\"status-error\""));

    // Another author's drafts stay out of sight.
    let mut other = Browser::signed_in(&app, "reader", Role::Author).await;
    let (_, theirs, _) = other.get("/studio/posts").await;
    assert!(theirs.contains("Gardening notes") && !theirs.contains("Secret plans"));
});

both_backends!(live_analysis_counts_like_the_api_and_warns_per_platform, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut browser = Browser::signed_in(&app, "writer", Role::Author).await;
    let csrf = browser.csrf.clone();
    let text = "Herald makes writing easy and pleasant. ".repeat(8);
    let fields = [("body", text.clone()), ("platforms", "x".to_owned()), ("platforms", "blog".to_owned())];
    let (status, panel, _) =
        browser.post_raw("/studio/live/analysis", &fields, &[("x-csrf-token", &csrf)]).await;
    assert_eq!(status, StatusCode::OK);
    let token = app.login_ok("writer").await.access;
    let api = app
        .request(reqwest::Method::POST, "/api/v1/analyze", &token)
        .json(&serde_json::json!({"text": text.trim(), "platforms": ["x"]}))
        .send()
        .await
        .unwrap();
    let expected: serde_json::Value = api.json().await.unwrap();
    let over_by = expected["platforms"][0]["over_by"].as_u64().unwrap();
    assert!(over_by > 0);
    assert!(panel.contains(&format!("Over the limit by {over_by}")), "{panel}");
    assert!(panel.contains("data-platform=\"blog\"") && panel.contains("English"));

    let (status, preview, _) = browser
        .post_raw(
            "/studio/live/preview",
            &[("body", "**bold** <script>alert(1)</script>".to_owned())],
            &[("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(preview.contains("<strong>bold</strong>") && !preview.contains("<script>"));
    let (status, _, _) = browser
        .post_raw("/studio/live/preview", &[("body", "x".to_owned())], &[("x-csrf-token", "nope")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});

both_backends!(an_api_key_is_shown_once_and_can_be_revoked, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut browser = Browser::signed_in(&app, "writer", Role::Author).await;
    let (status, page, _) = browser.post("/studio/keys", &[("name", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"name-error\""));
    let (status, page, _) =
        browser.post("/studio/keys", &[("name", "deploy bot"), ("scopes", "write")]).await;
    assert_eq!(status, StatusCode::CREATED);
    let key = between(&page, "<code id=\"new-key\">", "<").unwrap().to_owned();
    assert!(key.starts_with("hk_"));
    let me = app.client.get(app.url("/api/v1/me")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK, "the key works");
    let (_, list, _) = browser.get("/studio/keys").await;
    assert!(list.contains("deploy bot") && !list.contains(&key), "never shown again");
    let id = between(&list, "/studio/keys/", "/revoke").unwrap().to_owned();
    let (status, _, _) = browser.post(&format!("/studio/keys/{id}/revoke"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let me = app.client.get(app.url("/api/v1/me")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
});

#[tokio::test]
async fn studio_moves_with_its_prefix_and_can_be_switched_off() {
    let app = Spawn::new(crate::helpers::Backend::Sqlite)
        .setting("studio_prefix", "/desk")
        .setting("hsts", "true")
        .start()
        .await;
    assert_eq!(app.get("/").await.headers()[LOCATION], "/desk/posts");
    let form = app.get("/desk/sign-in").await;
    assert_eq!(form.status(), StatusCode::OK);
    let cookie = form.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("Path=/desk") && cookie.contains("; Secure"), "served over TLS: {cookie}");
    assert_eq!(app.get("/studio/sign-in").await.status(), StatusCode::NOT_FOUND);

    let off = Spawn::new(crate::helpers::Backend::Sqlite).setting("studio_enabled", "false").start().await;
    assert_eq!(off.get("/").await.headers()[LOCATION], "/docs");
    assert_eq!(off.get("/studio/sign-in").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(off.get("/studio/assets/studio.js").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn assets_are_embedded_and_cached_for_good() {
    let app = Spawn::new(crate::helpers::Backend::Sqlite).start().await;
    let (_, page, _) = Browser::new(&app).get("/studio/sign-in").await;
    let script = between(&page, "<script src=\"", "\"").unwrap().replace("&amp;", "&");
    assert!(script.starts_with("/studio/assets/studio.js?v="));
    let response = app.get(&script).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(response.text().await.unwrap().contains("EventSource"));
    assert_eq!(app.get("/studio/assets/../Cargo.toml").await.status(), StatusCode::NOT_FOUND);
}
