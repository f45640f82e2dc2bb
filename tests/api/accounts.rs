//! Registration, sign-in, profile changes and brute-force protection.

use std::sync::Arc;

use chrono::{Duration, Utc};
use herald::clock::ManualClock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Spawn, TestApp, both_backends, problem};

both_backends!(registering_signs_the_new_author_in, |backend| {
    let app = TestApp::spawn(backend).await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            json!({"email": "Ada@Example.COM", "username": "Ada", "password": PASSWORD, "display_name": "Ada L."}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["email"], "ada@example.com", "e-mail stored lower-cased");
    assert_eq!(body["user"]["username"], "Ada", "username keeps its case");
    assert_eq!(body["user"]["role"], "author");
    assert_eq!(body["user"]["display_name"], "Ada L.");
    assert!(body["user"].get("password_hash").is_none());

    let me =
        app.request(Method::GET, "/api/v1/me", body["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "Ada");
});

both_backends!(emails_and_usernames_are_unique_ignoring_case_and_a_clash_writes_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    app.register("grace").await;
    let cases = [
        (json!({"email": "GRACE@example.com", "username": "other", "password": PASSWORD}), "email"),
        (json!({"email": "other@example.com", "username": "GrAcE", "password": PASSWORD}), "username"),
    ];
    for (body, field) in cases {
        let response = app.post_json("/api/v1/auth/register", body).await;
        assert_eq!(response.status(), 409, "{field}");
        let problem = problem(response).await;
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{problem}");
    }
    assert_eq!(app.count("account").await, 1);
    assert_eq!(app.count("session").await, 1);
});

both_backends!(invalid_registrations_name_every_bad_field_and_write_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            json!({"email": "not-an-email", "username": "x", "password": "short"}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = problem(response).await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "username", "password"], "{body}");

    let response = app.post_json("/api/v1/auth/register", json!({})).await;
    let body = problem(response).await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 3, "missing fields are each reported: {body}");
    let response = app
        .post_json(
            "/api/v1/auth/register",
            json!({"email": "a@b.co", "username": "abc", "password": "Password123"}),
        )
        .await;
    assert_eq!(problem(response).await["errors"][0]["code"], "too_common");
    assert_eq!(app.count("account").await, 0);
});

both_backends!(closed_registration_refuses_sign_up_and_the_default_role_is_configurable, |backend| {
    let closed = Spawn::new(backend).setting("open_registration", false).start().await;
    let response = closed
        .post_json(
            "/api/v1/auth/register",
            json!({"email": "a@example.com", "username": "abc", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 403);
    problem(response).await;
    assert_eq!(closed.count("account").await, 0);

    let viewers = Spawn::new(backend).setting("default_role", "viewer").start().await;
    let session = viewers.register("watcher").await;
    let me: Value = viewers
        .request(Method::GET, "/api/v1/me", &session.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "viewer");
});

both_backends!(login_works_with_email_or_username_in_any_case, |backend| {
    let app = TestApp::spawn(backend).await;
    app.register("linus").await;
    for login in ["linus", "LINUS", "linus@example.com", "Linus@Example.com"] {
        assert_eq!(app.login(login, PASSWORD).await.status(), 200, "{login}");
    }
});

both_backends!(an_unknown_user_and_a_wrong_password_get_the_same_answer, |backend| {
    let app = TestApp::spawn(backend).await;
    app.register("known").await;
    let strip = |mut body: Value| {
        body.as_object_mut().unwrap().remove("request_id");
        body
    };
    let wrong_password = app.login("known", "not the password at all").await;
    let unknown_user = app.login("nobody-here", "not the password at all").await;
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_user.status(), 401);
    assert_eq!(wrong_password.headers()["www-authenticate"], unknown_user.headers()["www-authenticate"]);
    let (a, b) = (strip(problem(wrong_password).await), strip(problem(unknown_user).await));
    assert_eq!(a, b);
    assert_eq!(a["detail"], "invalid credentials");
});

both_backends!(profile_changes_apply_and_sensitive_ones_need_the_current_password, |backend| {
    let app = TestApp::spawn(backend).await;
    let session = app.register("hopper").await;
    let patch = |body: Value| app.request(Method::PATCH, "/api/v1/me", &session.access).json(&body).send();

    let response =
        patch(json!({"display_name": "Grace Hopper", "bio": "COBOL", "avatar_url": "https://x.org/g.png"}))
            .await
            .unwrap();
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!((me["display_name"].as_str(), me["bio"].as_str()), (Some("Grace Hopper"), Some("COBOL")));

    let cleared: Value = patch(json!({"bio": ""})).await.unwrap().json().await.unwrap();
    assert!(cleared["bio"].is_null());

    let response = patch(json!({"email": "new@example.com"})).await.unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await["errors"][0]["field"], "current_password");
    let response =
        patch(json!({"email": "new@example.com", "current_password": "wrong password"})).await.unwrap();
    assert_eq!(problem(response).await["errors"][0]["code"], "incorrect");
    let response = patch(json!({"email": "new@example.com", "current_password": PASSWORD})).await.unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["email"], "new@example.com");

    let response =
        patch(json!({"avatar_url": "javascript:alert(1)", "username": "no spaces"})).await.unwrap();
    assert_eq!(problem(response).await["errors"].as_array().unwrap().len(), 2);
});

both_backends!(a_password_change_ends_every_other_session_but_keeps_the_current_one, |backend| {
    let app = TestApp::spawn(backend).await;
    let current = app.register("turing").await;
    let other = app.login_ok("turing").await;
    let response = app
        .request(Method::PATCH, "/api/v1/me", &current.access)
        .json(&json!({"new_password": "a brand new passphrase", "current_password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    assert_eq!(app.request(Method::GET, "/api/v1/me", &current.access).send().await.unwrap().status(), 200);
    assert_eq!(app.request(Method::GET, "/api/v1/me", &other.access).send().await.unwrap().status(), 401);
    let refresh = app.post_json("/api/v1/auth/refresh", json!({"refresh_token": other.refresh})).await;
    assert_eq!(refresh.status(), 401);
    assert_eq!(app.login("turing", PASSWORD).await.status(), 401);
    assert_eq!(app.login("turing", "a brand new passphrase").await.status(), 200);
});

both_backends!(repeated_failed_logins_back_off_per_account_until_time_passes, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend).clock(Arc::clone(&clock)).setting("login_free_failures", 2).start().await;
    app.register("target").await;

    for attempt in 1..=3 {
        assert_eq!(app.login("target", "guess number one").await.status(), 401, "attempt {attempt}");
    }
    // The third failure exceeded the allowance: even the right password waits.
    let response = app.login("target", PASSWORD).await;
    assert_eq!(response.status(), 429);
    let retry_after: i64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(problem(response).await["type"], "urn:herald:problem:too_many_requests");

    clock.advance(Duration::seconds(retry_after));
    assert_eq!(
        app.login("TARGET", PASSWORD).await.status(),
        200,
        "login case does not dodge or extend the lock"
    );
    // Success reset the account's counter: two more failures are free again.
    for _ in 0..2 {
        assert_eq!(app.login("target", "wrong again").await.status(), 401);
    }
    assert_eq!(app.login("target", PASSWORD).await.status(), 200);
});

both_backends!(one_client_guessing_many_accounts_is_throttled_by_ip, |backend| {
    let app = Spawn::new(backend).setting("login_free_failures", 1).start().await;
    app.register("bystander").await;
    // One free failure per account means four per IP.
    for i in 0..5 {
        assert_eq!(app.login(&format!("victim{i}"), "guess").await.status(), 401, "attempt {i}");
    }
    let response = app.login("bystander", PASSWORD).await;
    assert_eq!(response.status(), 429, "the IP is locked out, whatever the account");
    assert!(response.headers().contains_key("retry-after"));
});
