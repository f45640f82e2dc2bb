//! Text analysis: `POST /api/v1/analyze`, the analysis stored with every
//! post, and `herald analyze`.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, both_backends, problem};

async fn analyze(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.request(reqwest::Method::POST, "/api/v1/analyze", token).json(&body).send().await.unwrap()
}

fn check<'a>(analysis: &'a Value, platform: &str) -> &'a Value {
    analysis["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["platform"] == platform)
        .unwrap_or_else(|| panic!("no {platform} check in {analysis}"))
}

#[tokio::test]
async fn a_text_is_analysed_for_sentiment_entities_and_platform_rules() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("analyst").await;
    let text = "I love this new release! It is absolutely wonderful 😍 Thanks @alice and @bob@mastodon.social \
                #Rust #OpenSource https://example.com/releases/2026";
    let response =
        analyze(&app, &user.access, json!({"text": text, "platforms": ["x", "bluesky", "instagram"]})).await;
    assert_eq!(response.status(), 200);
    let a: Value = response.json().await.unwrap();
    assert_eq!(a["sentiment"]["label"], "positive", "{a}");
    assert!(a["sentiment"]["compound"].as_f64().unwrap() > 0.5, "{a}");
    assert_eq!(a["hashtags"], json!(["Rust", "OpenSource"]));
    assert_eq!(a["mentions"], json!(["alice", "bob@mastodon.social"]));
    assert_eq!(a["links"], json!(["https://example.com/releases/2026"]));
    assert_eq!(a["language"]["code"], "en");
    assert_eq!(a["platforms"].as_array().unwrap().len(), 3, "only the platforms asked for");
    assert!(check(&a, "x")["fits"].as_bool().unwrap());
    let instagram = check(&a, "instagram");
    assert!(
        instagram["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "links_not_clickable"),
        "{instagram}"
    );

    let negative: Value = analyze(&app, &user.access, json!({"text": "This is not good. I hate it 😡"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(negative["sentiment"]["label"], "negative", "{negative}");
    assert_eq!(negative["platforms"].as_array().unwrap().len(), 8, "every platform when none are named");
}

#[tokio::test]
async fn platform_lengths_follow_each_platforms_counting_rule() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("counter").await;
    // X: a URL counts 23 however long it is; 270 + 1 + 23 = 294.
    let long_url = format!("https://example.com/{}", "x".repeat(100));
    let text = format!("{} {long_url}", "a".repeat(270));
    let a: Value =
        analyze(&app, &user.access, json!({"text": text, "platforms": ["x"]})).await.json().await.unwrap();
    let x = check(&a, "x");
    assert_eq!(
        (x["length"].as_u64(), x["limit"].as_u64(), x["fits"].as_bool()),
        (Some(294), Some(280), Some(false))
    );
    assert_eq!(x["over_by"], 14);
    let bare = format!("{} example.com/{}", "a".repeat(257), "x".repeat(100));
    let a: Value =
        analyze(&app, &user.access, json!({"text": bare, "platforms": ["x"]})).await.json().await.unwrap();
    assert_eq!(check(&a, "x")["length"], 281, "a bare domain is a link too (23): {a}");

    // X: CJK characters count 2 each; 140 of them exactly fill the 280.
    let cjk = "你".repeat(140);
    let a: Value = analyze(&app, &user.access, json!({"text": cjk, "platforms": ["x", "threads"]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (check(&a, "x")["length"].as_u64(), check(&a, "x")["fits"].as_bool()),
        (Some(280), Some(true))
    );
    assert_eq!(check(&a, "threads")["length"], 140);

    // Bluesky counts graphemes: a family emoji (five code points) is one.
    let family = "👨‍👩‍👧".repeat(301);
    let a: Value = analyze(&app, &user.access, json!({"text": family, "platforms": ["bluesky"]}))
        .await
        .json()
        .await
        .unwrap();
    let bluesky = check(&a, "bluesky");
    assert_eq!((bluesky["length"].as_u64(), bluesky["over_by"].as_u64()), (Some(301), Some(1)), "{bluesky}");
}

#[tokio::test]
async fn languages_and_readability_are_detected() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("linguist").await;
    for (code, text) in [
        (
            "es",
            "El equipo de desarrollo publicó ayer una nueva versión del programa con muchas mejoras para todos los usuarios de la comunidad.",
        ),
        (
            "fr",
            "L'équipe de développement a publié hier une nouvelle version du logiciel avec beaucoup d'améliorations pour tous les utilisateurs.",
        ),
        (
            "de",
            "Das Entwicklungsteam hat gestern eine neue Version der Software mit vielen Verbesserungen für alle Benutzer der Gemeinschaft veröffentlicht.",
        ),
    ] {
        let a: Value = analyze(&app, &user.access, json!({"text": text})).await.json().await.unwrap();
        assert_eq!(a["language"]["code"], code, "{text}: {a}");
        assert!(a["readability"]["flesch_reading_ease"].is_null(), "Flesch is for English only: {a}");
    }
    let english = "The cat sat on the mat. It was a sunny day. The cat was happy.";
    let a: Value = analyze(&app, &user.access, json!({"text": english})).await.json().await.unwrap();
    assert_eq!(
        (a["counts"]["words"].as_u64(), a["counts"]["sentences"].as_u64()),
        (Some(15), Some(3)),
        "{a}"
    );
    assert!(
        a["readability"]["flesch_reading_ease"].as_f64().unwrap() > 90.0,
        "simple text reads easily: {a}"
    );
    assert!(!a["keywords"].as_array().unwrap().is_empty(), "{a}");
}

#[tokio::test]
async fn bad_input_gets_field_errors() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(app.post_json("/api/v1/analyze", json!({"text": "hello"})).await.status(), 401);
    let user = app.register("careless").await;
    for (body, field, code) in [
        (json!({"text": "   "}), "text", "required"),
        (json!({}), "text", "required"),
        (json!({"text": "x".repeat(100_001)}), "text", "too_long"),
        (json!({"text": "hi", "platforms": ["x", "myspace"]}), "platforms[1]", "invalid"),
    ] {
        let response = analyze(&app, &user.access, body).await;
        assert_eq!(response.status(), 422);
        let p = problem(response).await;
        assert_eq!(
            (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
            (Some(field), Some(code)),
            "{p}"
        );
    }
    let exactly_max =
        analyze(&app, &user.access, json!({"text": "word ".repeat(20_000), "platforms": ["x"]})).await;
    assert_eq!(exactly_max.status(), 200, "100,000 characters are accepted");
}

both_backends!(posts_carry_their_analysis_recomputed_when_the_text_changes, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("writer").await;
    let post = app
        .create_post(&author, json!({"title": "Launch", "body": "We **love** this launch! #Rust", "platforms": ["x", "linkedin"]}))
        .await;
    assert_eq!(post["analysis_status"], "pending", "the create does not wait for the analysis");
    assert!(post["analysis"].is_null());
    let post = app.analysed_post(&post["id"], &author).await;
    let analysis = &post["analysis"];
    assert_eq!(analysis["sentiment"]["label"], "positive", "{post}");
    assert_eq!(analysis["hashtags"], json!(["Rust"]));
    let platforms: Vec<&str> =
        analysis["platforms"].as_array().unwrap().iter().map(|c| c["platform"].as_str().unwrap()).collect();
    assert_eq!(platforms, ["x", "linkedin"], "checked against the post's own platforms");

    let id = post["id"].as_i64().unwrap();
    let response = app
        .request(reqwest::Method::PATCH, &format!("/api/v1/posts/{id}"), &author.access)
        .json(&json!({"body": "This launch was a terrible failure. We hate it."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let changed: serde_json::Value = response.json().await.unwrap();
    assert_eq!(changed["analysis_status"], "pending", "a new body's analysis is queued: {changed}");
    let stored = app.analysed_post(&json!(id), &author).await;
    assert_eq!(stored["analysis"]["sentiment"]["label"], "negative", "{stored}");
    assert_eq!(stored["version"], changed["version"], "storing the analysis is not a change of the post");
    assert_eq!(stored["analysis"]["hashtags"], json!([]));
});

#[test]
fn the_cli_analyses_a_file_or_standard_input() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .env_clear()
        .current_dir(dir.path())
        .args(["analyze", "-", "--platform", "x"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all("Great news, everyone! #Herald".as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let a: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(a["hashtags"], json!(["Herald"]));
    assert_eq!(a["platforms"][0]["platform"], "x");
    assert!(!dir.path().join("data").exists(), "analysis needs no database");

    std::fs::write(dir.path().join("empty.txt"), "  ").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_herald"))
        .env_clear()
        .current_dir(dir.path())
        .args(["analyze", "empty.txt"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("text: must not be empty"));
}

both_backends!(posts_stored_without_an_analysis_get_an_analysis_job, |backend| {
    use herald::domain::{
        AccountId, ContentType, NewPost, Platform, Platforms, PostFields, PostStatus, Tags,
    };
    use herald::store::posts::insert;
    let app = TestApp::spawn(backend).await;
    let author = app.register("legacy").await;
    let now = chrono::Utc::now();
    let row = NewPost {
        author_id: AccountId::new(author.user_id),
        fields: PostFields {
            slug: "from-before".to_owned(),
            title: "From before".to_owned(),
            body: "An old post we **love**. #Legacy".to_owned(),
            body_html: String::new(),
            excerpt: String::new(),
            excerpt_given: false,
            status: PostStatus::Draft,
            publish_at: None,
            published_at: None,
            category_id: None,
            tags: Tags::default(),
            platforms: Platforms(vec![Platform::X]),
            content_type: ContentType::Article,
            analysis: None,
        },
        brief_id: None,
        created_at: now,
    };
    let mut tx = app.state.services.db.begin().await.unwrap();
    let id = insert(&mut tx, &row).await.unwrap();
    tx.commit().await.unwrap();
    let (_, before) = app.get_as(&format!("/api/v1/posts/{id}"), Some(&author)).await;
    assert!(before["analysis"].is_null());

    // What Herald does at start: queue a job for each post without an analysis.
    let queued = herald::service::posts::queue_missing_analyses(&app.state.services).await.unwrap();
    // (The pass Herald ran at start may have found it first.)
    assert!(queued <= 1, "one post lacked an analysis");
    let after = app.analysed_post(&json!(id.get()), &author).await;
    assert_eq!(
        herald::service::posts::queue_missing_analyses(&app.state.services).await.unwrap(),
        0,
        "nothing is left"
    );
    assert_eq!(after["analysis"]["hashtags"], json!(["Legacy"]), "{after}");
    assert_eq!(after["analysis"]["platforms"][0]["platform"], "x");
    assert_eq!(after["version"], before["version"], "the post itself did not change");
});
