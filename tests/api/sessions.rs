//! Access and refresh tokens: rotation, reuse detection, expiry, logout and
//! every way a token can be bad.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use herald::clock::ManualClock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Spawn, TestApp, both_backends, problem};

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.request(Method::GET, "/api/v1/me", token).send().await.unwrap().status().as_u16()
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/refresh", json!({"refresh_token": token})).await
}

both_backends!(a_refresh_token_rotates_and_works_exactly_once, |backend| {
    let app = TestApp::spawn(backend).await;
    let first = app.register("rotor").await;
    let response = refresh(&app, &first.refresh).await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first.refresh);
    assert_eq!(me_status(&app, second["access_token"].as_str().unwrap()).await, 200);
    assert_eq!(refresh(&app, second_refresh).await.status(), 200, "the rotated token works once");
});

both_backends!(reusing_a_refresh_token_revokes_the_whole_family, |backend| {
    let app = TestApp::spawn(backend).await;
    let stolen = app.register("victim").await;
    let rotated: Value = refresh(&app, &stolen.refresh).await.json().await.unwrap();
    let other_device = app.login_ok("victim").await;

    // The thief replays the old token: rejected, and the family is burnt.
    let replay = refresh(&app, &stolen.refresh).await;
    assert_eq!(replay.status(), 401);
    assert_eq!(replay.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");
    assert_eq!(refresh(&app, rotated["refresh_token"].as_str().unwrap()).await.status(), 401);
    assert_eq!(me_status(&app, rotated["access_token"].as_str().unwrap()).await, 401);
    assert_eq!(me_status(&app, &stolen.access).await, 401);
    // Other sessions of the same account are unaffected.
    assert_eq!(me_status(&app, &other_device.access).await, 200);
});

both_backends!(concurrent_presentations_of_one_refresh_token_let_at_most_one_through, |backend| {
    let app = TestApp::spawn(backend).await;
    let session = app.register("racer").await;
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let request = app
                .client
                .post(app.url("/api/v1/auth/refresh"))
                .json(&json!({"refresh_token": session.refresh}));
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    assert!(statuses.iter().filter(|s| **s == 200).count() <= 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 401), "{statuses:?}");
});

both_backends!(access_tokens_expire_after_15_minutes_and_refresh_tokens_after_30_days, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend).clock(Arc::clone(&clock)).start().await;
    let session = app.register("mortal").await;

    clock.advance(Duration::minutes(14));
    assert_eq!(me_status(&app, &session.access).await, 200);
    clock.advance(Duration::minutes(2));
    let response = app.request(Method::GET, "/api/v1/me", &session.access).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");

    let renewed: Value = refresh(&app, &session.refresh).await.json().await.unwrap();
    assert_eq!(me_status(&app, renewed["access_token"].as_str().unwrap()).await, 200);

    clock.advance(Duration::days(30) + Duration::seconds(1));
    assert_eq!(refresh(&app, renewed["refresh_token"].as_str().unwrap()).await.status(), 401);
});

both_backends!(logout_ends_the_current_session_and_logout_all_ends_every_one, |backend| {
    let app = TestApp::spawn(backend).await;
    let laptop = app.register("leaver").await;
    let phone = app.login_ok("leaver").await;
    let tablet = app.login_ok("leaver").await;

    let response = app.request(Method::POST, "/api/v1/auth/logout", &laptop.access).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(me_status(&app, &laptop.access).await, 401);
    assert_eq!(refresh(&app, &laptop.refresh).await.status(), 401);
    assert_eq!(me_status(&app, &phone.access).await, 200);

    let response = app.request(Method::POST, "/api/v1/auth/logout-all", &phone.access).send().await.unwrap();
    assert_eq!(response.status(), 204);
    for session in [&phone, &tablet] {
        assert_eq!(me_status(&app, &session.access).await, 401);
        assert_eq!(refresh(&app, &session.refresh).await.status(), 401);
    }
});

both_backends!(malformed_tampered_and_unsigned_tokens_are_401_invalid_token, |backend| {
    let app = TestApp::spawn(backend).await;
    let session = app.register("forger").await;
    let parts: Vec<&str> = session.access.split('.').collect();
    let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let as_admin = URL_SAFE_NO_PAD.encode(claims.replace("\"author\"", "\"admin\""));
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let bad_tokens = [
        "garbage".to_owned(),
        format!("{}.{as_admin}.{}", parts[0], parts[2]),
        format!("{none_header}.{}.", parts[1]),
        format!("{}.{}.{}", parts[0], parts[1], "A".repeat(43)),
        "hk_not-a-real-key".to_owned(),
    ];
    for token in bad_tokens {
        let response = app.request(Method::GET, "/api/v1/me", &token).send().await.unwrap();
        assert_eq!(response.status(), 401, "{token}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer error=\"invalid_token\"", "{token}");
        assert_eq!(problem(response).await["type"], "urn:herald:problem:invalid_token");
    }
    let wrong_scheme = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_scheme.status(), 401);
    let missing = app.get("/api/v1/me").await;
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    // RealWorld clients send `Token <jwt>`; it is accepted too.
    let token_scheme = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("Token {}", session.access))
        .send()
        .await
        .unwrap();
    assert_eq!(token_scheme.status(), 200);
});

both_backends!(a_disabled_users_tokens_stop_working_and_they_cannot_sign_in, |backend| {
    let app = TestApp::spawn(backend).await;
    let admin = app.user_with_role("boss", herald::domain::Role::Admin).await;
    let user = app.register("rogue").await;
    let response = app
        .request(Method::PATCH, &format!("/api/v1/users/{}", user.user_id), &admin.access)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(me_status(&app, &user.access).await, 401);
    assert_eq!(refresh(&app, &user.refresh).await.status(), 401);
    let login = app.login("rogue", crate::helpers::PASSWORD).await;
    assert_eq!(login.status(), 403);
    problem(login).await;
});

both_backends!(
    instances_sharing_a_database_accept_each_others_tokens_without_a_configured_secret,
    |backend| {
        let first = TestApp::spawn(backend).await;
        let session = first.register("roamer").await;
        let second = Spawn::new(backend).setting("database_url", &first.db_url).start().await;
        assert_eq!(
            me_status(&second, &session.access).await,
            200,
            "generated secret is shared and persistent"
        );

        let configured = Spawn::new(backend)
            .setting("database_url", &first.db_url)
            .setting("jwt_secret", "an explicitly configured secret of 40 bytes")
            .start()
            .await;
        assert_eq!(
            me_status(&configured, &session.access).await,
            200,
            "the generated keys, shared through the database, still verify beside a configured secret"
        );
        let signed_with_secret = configured.login_ok("roamer").await;
        assert_eq!(
            me_status(&first, &signed_with_secret.access).await,
            401,
            "an instance without the configured secret cannot verify what it signs"
        );
    }
);
