//! The role matrix for account administration: each role against each
//! protected action.

use herald::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends, problem};

both_backends!(only_admins_list_users_change_roles_and_see_every_key, |backend| {
    let app = TestApp::spawn(backend).await;
    let subject = app.register("subject").await;
    for role in Role::ALL {
        let actor = app.user_with_role(&format!("as-{role}"), role).await;
        let expected = if role == Role::Admin { 200 } else { 403 };

        let list = app.request(Method::GET, "/api/v1/users", &actor.access).send().await.unwrap();
        assert_eq!(list.status().as_u16(), expected, "{role} lists users");

        let path = format!("/api/v1/users/{}", subject.user_id);
        let promote = app
            .request(Method::PATCH, &path, &actor.access)
            .json(&json!({"role": "editor"}))
            .send()
            .await
            .unwrap();
        assert_eq!(promote.status().as_u16(), expected, "{role} changes a role");
        if expected == 403 {
            problem(promote).await;
        }

        let all_keys =
            app.request(Method::GET, "/api/v1/api-keys?all=true", &actor.access).send().await.unwrap();
        assert_eq!(all_keys.status().as_u16(), expected, "{role} lists every key");

        let own_keys = app.request(Method::GET, "/api/v1/api-keys", &actor.access).send().await.unwrap();
        assert_eq!(own_keys.status(), 200, "{role} lists their own keys");
    }
});

both_backends!(a_role_change_takes_effect_on_the_next_request, |backend| {
    let app = TestApp::spawn(backend).await;
    let admin = app.user_with_role("root", Role::Admin).await;
    let user = app.register("climber").await;
    assert_eq!(app.request(Method::GET, "/api/v1/users", &user.access).send().await.unwrap().status(), 403);
    let path = format!("/api/v1/users/{}", user.user_id);
    let response = app
        .request(Method::PATCH, &path, &admin.access)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["role"], "admin");
    assert_eq!(app.request(Method::GET, "/api/v1/users", &user.access).send().await.unwrap().status(), 200);
});

both_backends!(admins_cannot_demote_or_disable_themselves_and_bad_roles_are_422, |backend| {
    let app = TestApp::spawn(backend).await;
    let admin = app.user_with_role("solo", Role::Admin).await;
    let path = format!("/api/v1/users/{}", admin.user_id);
    for body in [json!({"role": "viewer"}), json!({"disabled": true})] {
        let response = app.request(Method::PATCH, &path, &admin.access).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 403, "{body}");
    }
    let response =
        app.request(Method::PATCH, &path, &admin.access).json(&json!({"role": "god"})).send().await.unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await["errors"][0]["field"], "role");
    let response = app
        .request(Method::PATCH, "/api/v1/users/999999", &admin.access)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
});

both_backends!(the_user_list_pages_by_cursor, |backend| {
    let app = TestApp::spawn(backend).await;
    let admin = app.user_with_role("pager", Role::Admin).await;
    for i in 0..4 {
        app.register(&format!("member{i}")).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?limit=2".to_owned();
    loop {
        let page: Value =
            app.request(Method::GET, &path, &admin.access).send().await.unwrap().json().await.unwrap();
        seen.extend(
            page["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_i64() {
            Some(cursor) => path = format!("/api/v1/users?limit=2&after={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["pager", "member0", "member1", "member2", "member3"]);
    let bad = app.request(Method::GET, "/api/v1/users?limit=0", &admin.access).send().await.unwrap();
    assert_eq!(bad.status(), 422);
    let bad = app.request(Method::GET, "/api/v1/users?limit=abc", &admin.access).send().await.unwrap();
    assert_eq!(bad.status(), 422);
    assert_eq!(problem(bad).await["errors"][0]["field"], "limit");
});
