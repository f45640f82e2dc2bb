//! Sessions a real Conduit frontend can live with: it keeps one token and
//! never refreshes, and its settings page changes the password without the
//! current one. The token lives long (`realworld_token_ttl_secs`) but stays
//! bound to its server-side session, so every way of ending a session ends
//! it at once.

use std::sync::Arc;

use chrono::{Duration, Utc};
use herald::clock::ManualClock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn rw_register(app: &TestApp, name: &str) -> String {
    let body =
        json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": PASSWORD}});
    let response = app.post_json("/api/users", body).await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["user"]["token"].as_str().unwrap().to_owned()
}

async fn rw_login(app: &TestApp, name: &str, password: &str) -> reqwest::Response {
    let body = json!({"user": {"email": format!("{name}@example.com"), "password": password}});
    app.post_json("/api/users/login", body).await
}

async fn rw_user(app: &TestApp, token: &str) -> u16 {
    let response = app
        .client
        .get(app.url("/api/user"))
        .header("authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn rw_update(app: &TestApp, token: &str, user: Value) -> reqwest::Response {
    app.client
        .put(app.url("/api/user"))
        .header("authorization", format!("Token {token}"))
        .json(&json!({ "user": user }))
        .send()
        .await
        .unwrap()
}

both_backends!(a_realworld_token_outlives_access_tokens_until_its_own_lifetime, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend)
        .clock(Arc::clone(&clock))
        .setting("realworld_token_ttl_secs", 7 * 86_400)
        .start()
        .await;
    let token = rw_register(&app, "keeper").await;
    let v1 = app.login_ok("keeper").await;
    clock.advance(Duration::hours(2));
    assert_eq!(rw_user(&app, &token).await, 200, "hours after sign-in, far past the 15-minute access tokens");
    assert_eq!(
        app.request(Method::GET, "/api/v1/me", &v1.access).send().await.unwrap().status(),
        401,
        "the v1 API's access tokens still expire (its clients refresh)"
    );
    let login = rw_login(&app, "keeper", PASSWORD).await;
    let second = login.json::<Value>().await.unwrap()["user"]["token"].as_str().unwrap().to_owned();
    // Seven days and an hour after the first sign-in; the second is an hour younger.
    clock.advance(Duration::days(7) - Duration::hours(1));
    assert_eq!(rw_user(&app, &token).await, 401, "past its own lifetime");
    assert_eq!(rw_user(&app, &second).await, 200);
});

both_backends!(logout_logout_everywhere_password_change_and_disabling_end_realworld_tokens, |backend| {
    let app = TestApp::spawn(backend).await;
    let admin = app.user_with_role("overseer", herald::domain::Role::Admin).await;

    // Logout: the token is also a v1 bearer token, and POST /api/v1/auth/logout ends its session.
    let token = rw_register(&app, "leaver").await;
    assert_eq!(app.request(Method::POST, "/api/v1/auth/logout", &token).send().await.unwrap().status(), 204);
    assert_eq!(rw_user(&app, &token).await, 401);

    // Log out everywhere, from another session.
    let login = rw_login(&app, "leaver", PASSWORD).await;
    let kept = login.json::<Value>().await.unwrap()["user"]["token"].as_str().unwrap().to_owned();
    let other = app.login_ok("leaver").await;
    assert_eq!(
        app.request(Method::POST, "/api/v1/auth/logout-all", &other.access).send().await.unwrap().status(),
        204
    );
    assert_eq!(rw_user(&app, &kept).await, 401);

    // A password change elsewhere ends the other sessions.
    let laptop = rw_register(&app, "changer").await;
    let phone = rw_login(&app, "changer", PASSWORD).await.json::<Value>().await.unwrap()["user"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let changed = rw_update(&app, &laptop, json!({"password": "a whole new passphrase"})).await;
    assert_eq!(changed.status(), 200);
    assert_eq!(rw_user(&app, &phone).await, 401, "the other session ended");
    assert_eq!(rw_user(&app, &laptop).await, 200, "the session that changed it goes on");

    // Disabling the user.
    let victim = rw_register(&app, "suspended").await;
    let me = app.request(Method::GET, "/api/v1/me", &victim).send().await.unwrap();
    let id = me.json::<Value>().await.unwrap()["id"].clone();
    let disable = app
        .request(Method::PATCH, &format!("/api/v1/users/{id}"), &admin.access)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(disable.status(), 200);
    assert_eq!(rw_user(&app, &victim).await, 401);
});

both_backends!(a_conduit_client_changes_its_password_in_settings_then_signs_in_with_it, |backend| {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Spawn::new(backend).clock(Arc::clone(&clock)).start().await;
    let token = rw_register(&app, "conduit").await;
    // Conduit's settings page sends the whole form, the unchanged e-mail included.
    let settings = json!({
        "image": "https://example.com/me.png", "username": "conduit", "bio": "hello",
        "email": "conduit@example.com", "password": "my new secret phrase"
    });
    let saved = rw_update(&app, &token, settings).await;
    assert_eq!(saved.status(), 200, "just signed up: no current password needed");
    // Sign out (Conduit forgets the token), sign in with the new password.
    assert_eq!(rw_login(&app, "conduit", PASSWORD).await.status(), 401, "the old password is gone");
    let again = rw_login(&app, "conduit", "my new secret phrase").await;
    assert_eq!(again.status(), 200);
    let token = again.json::<Value>().await.unwrap()["user"]["token"].as_str().unwrap().to_owned();

    // Long after signing in, a password change needs a fresh sign-in.
    clock.advance(Duration::minutes(11));
    let late = rw_update(&app, &token, json!({"password": "yet another phrase here"})).await;
    assert_eq!(late.status(), 422);
    let errors = late.json::<Value>().await.unwrap();
    assert!(errors["errors"]["password"][0].as_str().unwrap().contains("sign in again"), "{errors}");
    assert_eq!(rw_login(&app, "conduit", "my new secret phrase").await.status(), 200, "unchanged");
    let with_current = rw_update(
        &app,
        &token,
        json!({"password": "yet another phrase here", "current_password": "my new secret phrase"}),
    )
    .await;
    assert_eq!(with_current.status(), 200, "or it gives the current password");

    // The v1 API keeps asking for the current password, however recent the sign-in.
    let fresh = app.login("conduit", "yet another phrase here").await.json::<Value>().await.unwrap();
    let v1 = app
        .request(Method::PATCH, "/api/v1/me", fresh["access_token"].as_str().unwrap())
        .json(&json!({"new_password": "one more new phrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(v1.status(), 422);
    assert_eq!(problem(v1).await["errors"][0]["field"], "current_password");
});
