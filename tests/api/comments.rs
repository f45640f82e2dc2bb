//! Comments: creation, replies, paging, editing, deleting and hiding.

use herald::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends, problem};

both_backends!(comments_list_oldest_first_with_one_level_of_replies, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("poster").await;
    let reader = app.register("reader").await;
    let post = app.publish_post(&author, "Discuss", &[]).await;
    let path = format!("/api/v1/posts/{}/comments", post["id"]);
    let comment = |who: &crate::helpers::Session, body: Value| {
        app.request(Method::POST, &path, &who.access).json(&body).send()
    };

    let first = comment(&reader, json!({"body": "First!"})).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["author"]["username"], "reader");
    let reply: Value = comment(&author, json!({"body": "Thanks", "parent_id": first["id"]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["parent_id"], first["id"]);

    let nested = comment(&reader, json!({"body": "deeper", "parent_id": reply["id"]})).await.unwrap();
    assert_eq!(nested.status(), 422, "only one level of replies");
    assert_eq!(problem(nested).await["errors"][0]["field"], "parent_id");
    let empty = comment(&reader, json!({"body": "   "})).await.unwrap();
    assert_eq!(empty.status(), 422);
    let anonymous = app.client.post(app.url(&path)).json(&json!({"body": "hi"})).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    for i in 0..3 {
        comment(&reader, json!({"body": format!("more {i}")})).await.unwrap();
    }
    let mut bodies = Vec::new();
    let mut next = format!("{path}?limit=2");
    loop {
        let (status, page) = app.get_as(&next, None).await;
        assert_eq!(status, 200);
        bodies
            .extend(page["items"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("{path}?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(bodies, ["First!", "Thanks", "more 0", "more 1", "more 2"]);
    let (_, post_now) = app.get_as(&format!("/api/v1/posts/{}", post["id"]), None).await;
    assert_eq!(post_now["comment_count"], 5);
    assert_eq!(app.get(&format!("{path}?cursor=abc")).await.status(), 400);
});

both_backends!(authors_and_editors_edit_and_delete_comments_and_only_editors_hide_them, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("host").await;
    let commenter = app.register("commenter").await;
    let bystander = app.register("bystander").await;
    let editor = app.user_with_role("moderator", Role::Editor).await;
    let post = app.publish_post(&author, "Moderated", &[]).await;
    let list_path = format!("/api/v1/posts/{}/comments", post["id"]);
    let created: Value = app
        .request(Method::POST, &list_path, &commenter.access)
        .json(&json!({"body": "original"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/comments/{}", created["id"]);
    let edit = |who: &crate::helpers::Session, body: &str| {
        app.request(Method::PATCH, &path, &who.access).json(&json!({"body": body})).send()
    };
    assert_eq!(edit(&bystander, "vandalised").await.unwrap().status(), 403);
    assert_eq!(edit(&commenter, "edited").await.unwrap().status(), 200);
    assert_eq!(edit(&editor, "moderated").await.unwrap().status(), 200);

    let hide = |who: &crate::helpers::Session| {
        app.request(Method::POST, &format!("{path}/hide"), &who.access).send()
    };
    assert_eq!(hide(&commenter).await.unwrap().status(), 403, "authors cannot hide");
    assert_eq!(hide(&editor).await.unwrap().status(), 200);
    let (_, public) = app.get_as(&list_path, None).await;
    assert!(public["items"].as_array().unwrap().is_empty(), "hidden from the public");
    let (_, own) = app.get_as(&list_path, Some(&commenter)).await;
    assert!(own["items"].as_array().unwrap().is_empty(), "hidden from its author too");
    let (_, moderated) = app.get_as(&list_path, Some(&editor)).await;
    assert_eq!(moderated["items"][0]["hidden"], true, "editors still see it");
    let (_, post_now) = app.get_as(&format!("/api/v1/posts/{}", post["id"]), None).await;
    assert_eq!(post_now["comment_count"], 0, "hidden comments are not counted");
    app.request(Method::POST, &format!("{path}/unhide"), &editor.access).send().await.unwrap();
    let (_, public) = app.get_as(&list_path, None).await;
    assert_eq!(public["items"].as_array().unwrap().len(), 1);

    assert_eq!(app.request(Method::DELETE, &path, &bystander.access).send().await.unwrap().status(), 403);
    assert_eq!(app.request(Method::DELETE, &path, &commenter.access).send().await.unwrap().status(), 204);
    assert_eq!(app.request(Method::DELETE, &path, &commenter.access).send().await.unwrap().status(), 404);
});

both_backends!(comments_on_invisible_posts_do_not_exist, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("drafter").await;
    let other = app.register("nosy").await;
    let draft = app.create_post(&author, json!({"title": "Hidden", "body": "b"})).await;
    let path = format!("/api/v1/posts/{}/comments", draft["id"]);
    assert_eq!(app.get_as(&path, Some(&other)).await.0, 404);
    let response =
        app.request(Method::POST, &path, &other.access).json(&json!({"body": "hi"})).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(app.count("comment").await, 0);
});
