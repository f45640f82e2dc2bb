//! Generation from a brief: the built-in template provider, the `openai`
//! provider against a local chat-completions server, fallback, the circuit
//! breaker, caching with single-flight, per-user limits, drafts and the CLI.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, Reply};
use crate::helpers::{Backend, Session, Spawn, TestApp, both_backends, problem};

async fn generate(app: &TestApp, who: &Session, brief: Value) -> reqwest::Response {
    app.request(reqwest::Method::POST, "/api/v1/generate", &who.access).json(&brief).send().await.unwrap()
}

async fn generate_ok(app: &TestApp, who: &Session, brief: Value) -> Value {
    let response = generate(app, who, brief.clone()).await;
    assert_eq!(response.status(), 200, "generating {brief}");
    response.json().await.unwrap()
}

fn brief(topic: &str) -> Value {
    json!({
        "topic": topic,
        "audience": "backend developers",
        "tone": "enthusiastic",
        "platforms": ["x", "linkedin"],
        "keywords": ["rust", "observability"],
        "call_to_action": "read the release notes",
        "variants": 2
    })
}

fn llm_app(llm: &FakeLlm) -> Spawn {
    Spawn::new(Backend::Sqlite)
        .setting("generation_provider", "openai")
        .setting("llm_base_url", llm.base_url())
        .setting("llm_model", "test-model")
        .setting("llm_api_key", "sk-test-key")
        .setting("llm_temperature", "0.3")
        .setting("llm_max_retries", 0)
}

#[tokio::test]
async fn the_template_provider_writes_fitting_analysed_variants_per_platform() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("marketer").await;
    let g = generate_ok(&app, &user, brief("Herald 1.0")).await;
    assert_eq!(
        (g["provider"].as_str(), g["model"].as_str()),
        (Some("template"), Some("herald-templates-v1"))
    );
    assert!(g["fallback"].is_null() && g["cached"] == false, "{g}");
    let platforms = g["platforms"].as_array().unwrap();
    assert_eq!(
        platforms.iter().map(|p| p["platform"].as_str().unwrap()).collect::<Vec<_>>(),
        ["x", "linkedin"]
    );
    for platform in platforms {
        let variants = platform["variants"].as_array().unwrap();
        assert_eq!(variants.len(), 2, "{platform}");
        assert_ne!(variants[0]["text"], variants[1]["text"], "variants differ");
        for v in variants {
            let text = v["text"].as_str().unwrap();
            assert!(text.contains("Herald 1.0") && text.contains("Read the release notes."), "{text}");
            assert!(text.contains("#Rust"), "hashtags from the keywords: {text}");
            let check = &v["analysis"]["platforms"][0];
            assert_eq!(
                (check["platform"].clone(), check["fits"].as_bool()),
                (platform["platform"].clone(), Some(true))
            );
        }
    }
    let again = generate_ok(&app, &user, brief("Herald 1.0")).await;
    assert_eq!(again["cached"], true, "the same brief is served from the cache");
    assert_eq!(again["brief_hash"], g["brief_hash"]);
}

#[tokio::test]
async fn a_long_brief_is_trimmed_at_a_sentence_boundary_to_fit() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("verbose").await;
    let topic = ["the quarterly community update covering documentation, tooling, translations and events";
        2]
        .join(" and ");
    let g = generate_ok(
        &app,
        &user,
        json!({"topic": topic, "platforms": ["x"], "length": "long", "keywords": ["community", "documentation", "tooling"],
               "audience": "contributors, maintainers, sponsors and everyone who follows the project closely"}),
    )
    .await;
    let v = &g["platforms"][0]["variants"][0];
    assert_eq!(v["adjustment"], "trimmed", "{v}");
    assert_eq!(v["analysis"]["platforms"][0]["fits"], true, "{v}");
    let text = v["text"].as_str().unwrap();
    let (prose, hashtags) = text.rsplit_once("\n\n").unwrap();
    assert!(prose.ends_with(['.', '!', '?', '…']), "cut at a sentence (or word) boundary: {text}");
    assert!(hashtags.starts_with("#Community"), "the hashtag line survives trimming: {text}");
}

#[tokio::test]
async fn invalid_briefs_get_field_errors() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(app.post_json("/api/v1/generate", brief("x")).await.status(), 401);
    let user = app.register("sloppy").await;
    let response = generate(
        &app,
        &user,
        json!({"topic": "", "platforms": ["x", "orkut"], "variants": 6, "tone": "grumpy"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    let p = problem(response).await;
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["topic", "tone", "platforms[1]", "variants"], "{p}");
    let response = generate(&app, &user, json!({"topic": "t", "platforms": ["x"], "variants": 0})).await;
    assert_eq!(problem(response).await["errors"][0]["code"], "out_of_range");
}

both_backends!(saved_drafts_belong_to_the_caller_and_link_to_their_brief, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.register("drafter").await;
    let mut body = brief("Spring sale");
    body["save_as_draft"] = json!(true);
    body["keywords"] = json!(["C++", "node.js", "spring sale"]);
    let g = generate_ok(&app, &user, body).await;
    let drafts = g["drafts"].as_array().unwrap();
    assert_eq!(drafts.len(), 2, "one draft per platform: {g}");
    assert_eq!(app.count("generation_brief").await, 1);
    for (draft, platform) in drafts.iter().zip(["x", "linkedin"]) {
        assert_eq!(draft["platform"], platform);
        let (status, post) = app.get_as(&format!("/api/v1/posts/{}", draft["post_id"]), Some(&user)).await;
        assert_eq!(status, 200);
        assert_eq!(post["status"], "draft");
        assert_eq!(post["author"]["username"], "drafter");
        assert_eq!(post["brief_id"], g["brief_id"]);
        assert_eq!(post["platforms"], json!([platform]));
        assert_eq!(post["tags"], json!(["c", "node-js", "spring-sale"]), "keywords become valid tags");
        assert_eq!(
            post["body"],
            g["platforms"].as_array().unwrap().iter().find(|p| p["platform"] == platform).unwrap()["variants"]
                [0]["text"]
        );
        let analysed = app.analysed_post(&draft["post_id"], &user).await;
        assert!(analysed["analysis"]["sentiment"]["label"].is_string());
        let (anonymous, _) = app.get_as(&format!("/api/v1/posts/{}", draft["post_id"]), None).await;
        assert_eq!(anonymous, 404, "drafts stay private");
    }
});

both_backends!(a_batch_validates_every_brief_before_generating_any, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.register("batcher").await;
    let batch = |briefs: Vec<Value>| {
        app.request(reqwest::Method::POST, "/api/v1/generate/batch", &user.access)
            .json(&json!({"briefs": briefs}))
            .send()
    };
    let mut saving = brief("Batch two");
    saving["save_as_draft"] = json!(true);
    let response =
        batch(vec![brief("Batch one"), saving.clone(), json!({"platforms": ["x"]})]).await.unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await["errors"][0]["field"], "briefs[2].topic");
    assert_eq!(app.count("post").await, 0, "nothing was generated or saved");

    let response = batch(vec![brief("Batch one"), saving, brief("Batch three")]).await.unwrap();
    assert_eq!(response.status(), 200);
    let results: Value = response.json().await.unwrap();
    let results = results["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["status"] == 200 && r.get("error").is_none()), "{results:?}");
    assert!(results[1]["result"]["drafts"].as_array().is_some_and(|d| d.len() == 2));
    assert!(results[0]["result"].get("drafts").is_none());
    let third = results[2]["result"]["platforms"][0]["variants"][0]["text"].as_str().unwrap();
    assert!(third.contains("Batch three"), "in request order");
    assert_eq!(app.count("post").await, 2);

    let too_many: Vec<Value> = (0..21).map(|i| brief(&format!("b{i}"))).collect();
    let response = batch(too_many).await.unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(problem(response).await["errors"][0]["field"], "briefs");
});

#[tokio::test]
async fn the_openai_provider_speaks_chat_completions() {
    let llm = FakeLlm::start().await;
    llm.always(Reply::Variants(vec![
        "Rust observability, finally easy. #Rust".into(),
        "Ship it and watch it. #Rust".into(),
    ]));
    let app = llm_app(&llm).start().await;
    let user = app.register("prompter").await;
    let g = generate_ok(&app, &user, brief("Herald traces")).await;
    assert_eq!((g["provider"].as_str(), g["model"].as_str()), (Some("openai"), Some("test-model")), "{g}");
    assert_eq!(g["platforms"][0]["variants"][0]["text"], "Rust observability, finally easy. #Rust");
    assert_eq!(g["platforms"][1]["variants"].as_array().unwrap().len(), 2);
    assert_eq!(
        g["usage"],
        json!({"prompt_tokens": 100, "completion_tokens": 40}),
        "one call per platform, summed"
    );

    let received = llm.received();
    assert_eq!(received.len(), 2);
    let request = &received[0];
    assert_eq!(request.headers["authorization"], "Bearer sk-test-key");
    assert_eq!(request.body["model"], "test-model");
    assert_eq!(request.body["temperature"].as_f64().map(|t| (t * 10.0).round()), Some(3.0));
    let messages = request.body["messages"].as_array().unwrap();
    assert_eq!((messages[0]["role"].as_str(), messages[1]["role"].as_str()), (Some("system"), Some("user")));
    let prompt = messages[1]["content"].as_str().unwrap();
    for expected in [
        "Topic: Herald traces",
        "Audience: backend developers",
        "Tone: enthusiastic",
        "rust, observability",
        "read the release notes",
    ] {
        assert!(prompt.contains(expected), "{expected} missing from the prompt: {prompt}");
    }
    assert!(messages[0]["content"].as_str().unwrap().contains("2 distinct variants"));
}

#[tokio::test]
async fn too_long_answers_are_rewritten_then_trimmed() {
    let llm = FakeLlm::start().await;
    let long = format!("{}. Second sentence here.", "word ".repeat(70).trim());
    llm.then(Reply::Variants(vec![long.clone()]))
        .then(Reply::Variants(vec!["Short and sweet.".into()]))
        .then(Reply::Variants(vec![long.clone()]))
        .then(Reply::Variants(vec![long]));
    let app = llm_app(&llm).start().await;
    let user = app.register("editor").await;
    let one = |topic: &str| json!({"topic": topic, "platforms": ["x"]});
    let g = generate_ok(&app, &user, one("rewrite")).await;
    let v = &g["platforms"][0]["variants"][0];
    assert_eq!(
        (v["text"].as_str(), v["adjustment"].as_str()),
        (Some("Short and sweet."), Some("regenerated"))
    );
    let second = &llm.received()[1].body["messages"][1]["content"];
    assert!(second.as_str().unwrap().contains("too long"), "the retry asks for shorter text: {second}");

    let g = generate_ok(&app, &user, one("trim")).await;
    let v = &g["platforms"][0]["variants"][0];
    assert_eq!(v["adjustment"], "trimmed", "{v}");
    assert_eq!(v["analysis"]["platforms"][0]["fits"], true);
    assert!(!v["text"].as_str().unwrap().contains("Second sentence"), "{v}");
}

#[tokio::test]
async fn retries_honour_retry_after_then_succeed() {
    let llm = FakeLlm::start().await;
    llm.then(Reply::Status(429, r#"{"error":{"message":"slow down"}}"#.into(), Some("1")))
        .then(Reply::Status(503, "overloaded".into(), None));
    llm.always(Reply::Variants(vec!["Made it. #Rust".into()]));
    let app = llm_app(&llm).setting("llm_max_retries", 2).start().await;
    let user = app.register("patient").await;
    let started = Instant::now();
    let g = generate_ok(&app, &user, json!({"topic": "patience", "platforms": ["x"]})).await;
    assert_eq!(g["provider"], "openai", "{g}");
    assert_eq!(llm.calls(), 3);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited as Retry-After asked");
}

#[tokio::test]
async fn upstream_failures_fall_back_to_the_template_provider_and_say_why() {
    let llm = FakeLlm::start().await;
    llm.then(Reply::Status(500, r#"{"error":{"message":"model exploded"}}"#.into(), None))
        .then(Reply::Raw("{not json".into()))
        .then(Reply::Slow(Duration::from_secs(3), Box::new(Reply::Variants(vec!["late".into()]))));
    let app = llm_app(&llm).setting("llm_timeout_secs", 1).setting("llm_breaker_failures", 100).start().await;
    let user = app.register("resilient").await;
    for (topic, reason) in [("a", "HTTP 500"), ("b", "malformed response"), ("c", "no answer within 1 s")] {
        let g = generate_ok(&app, &user, json!({"topic": topic, "platforms": ["x"]})).await;
        assert_eq!(g["provider"], "template", "{g}");
        assert_eq!(g["fallback"]["from"], "openai");
        let said = g["fallback"]["reason"].as_str().unwrap();
        assert!(said.contains(reason), "{reason}: {g}");
        assert!(
            !said.contains("exploded") && !said.contains("127.0.0.1"),
            "details stay in the logs: {said}"
        );
        assert!(g["platforms"][0]["variants"][0]["text"].as_str().unwrap().len() > 10);
    }
    // A fallback is not cached: the next identical request tries the LLM again.
    llm.always(Reply::Variants(vec!["Back online.".into()]));
    let g = generate_ok(&app, &user, json!({"topic": "a", "platforms": ["x"]})).await;
    assert_eq!(g["provider"], "openai");

    let metrics = app.get("/metrics").await.text().await.unwrap();
    for expected in [
        r#"herald_generation_upstream_failures_total{provider="openai",reason="server_error"}"#,
        r#"herald_generation_upstream_failures_total{provider="openai",reason="timeout"}"#,
        r#"herald_generation_tokens_total{provider="openai",kind="completion"}"#,
        r#"herald_generation_upstream_duration_seconds_bucket{provider="openai",le="#,
        r#"herald_generation_requests_total{provider="template",outcome="fallback"}"#,
    ] {
        assert!(metrics.contains(expected), "missing {expected}");
    }
}

#[tokio::test]
async fn an_unreachable_server_falls_back() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let app = Spawn::new(Backend::Sqlite)
        .setting("generation_provider", "openai")
        .setting("llm_base_url", format!("http://{closed}/v1"))
        .setting("llm_model", "m")
        .setting("llm_max_retries", 0)
        .start()
        .await;
    let user = app.register("offline").await;
    let g = generate_ok(&app, &user, json!({"topic": "offline", "platforms": ["bluesky"]})).await;
    assert_eq!(g["provider"], "template");
    let reason = g["fallback"]["reason"].as_str().unwrap();
    assert!(reason.contains("cannot connect"), "{g}");
    assert!(
        !reason.contains(&closed.to_string()),
        "the upstream's address is not shown to clients: {reason}"
    );
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_and_closes_after_a_good_trial() {
    let llm = FakeLlm::start().await;
    let app = llm_app(&llm)
        .setting("llm_breaker_failures", 2)
        .setting("llm_breaker_cooldown_secs", 1)
        .setting("generation_fallback", false)
        .start()
        .await;
    let user = app.register("breaker").await;
    let x = |topic: &str| json!({"topic": topic, "platforms": ["x"]});
    for topic in ["one", "two"] {
        let response = generate(&app, &user, x(topic)).await;
        assert_eq!(response.status(), 502, "without fallback an upstream failure is a 502");
        let p = problem(response).await;
        assert!(p["detail"].as_str().unwrap().contains("openai"), "names the upstream: {p}");
    }
    assert_eq!(llm.calls(), 2);
    let response = generate(&app, &user, x("three")).await;
    assert_eq!(response.status(), 503, "open breaker: fail fast");
    assert_eq!(llm.calls(), 2, "no upstream call while the breaker is open");
    let (_, ready) = app.get_as("/health/ready", None).await;
    assert_eq!(ready["checks"]["generation"]["status"], "degraded", "{ready}");
    assert_eq!(ready["status"], "degraded");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains(r#"herald_generation_breaker_open{provider="openai"} 1"#), "{metrics}");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    llm.always(Reply::Variants(vec!["Recovered.".into()]));
    // The first request after the cool-down is the trial, even with several
    // platforms: the first goes alone, the others follow when it succeeded.
    let g =
        generate_ok(&app, &user, json!({"topic": "four", "platforms": ["x", "bluesky", "threads"]})).await;
    assert_eq!(g["provider"], "openai", "{g}");
    assert_eq!(g["platforms"].as_array().unwrap().len(), 3);
    let (status, ready) = app.get_as("/health/ready", None).await;
    assert_eq!((status, ready["checks"]["generation"]["status"].as_str()), (200, Some("up")));
}

#[tokio::test]
async fn identical_concurrent_requests_make_one_upstream_call() {
    let llm = FakeLlm::start().await;
    llm.always(Reply::Slow(Duration::from_millis(400), Box::new(Reply::Variants(vec!["Once.".into()]))));
    let app = llm_app(&llm).start().await;
    let user = app.register("crowd").await;
    let body = json!({"topic": "popular", "platforms": ["threads"]});
    let responses = futures_util::future::join_all((0..5).map(|_| generate(&app, &user, body.clone()))).await;
    for response in responses {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(llm.calls(), 1, "single-flight");
}

#[tokio::test]
async fn upstream_calls_are_rate_limited_per_user_but_cached_results_are_not() {
    let llm = FakeLlm::start().await;
    llm.always(Reply::Variants(vec!["Fine.".into()]));
    let app = llm_app(&llm).setting("llm_rate_limit_per_minute", 1).start().await;
    let user = app.register("hasty").await;
    let other = app.register("calm").await;
    let x = |topic: &str| json!({"topic": topic, "platforms": ["x"]});
    generate_ok(&app, &user, x("first")).await;
    let response = generate(&app, &user, x("second")).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    problem(response).await;
    assert_eq!(generate_ok(&app, &user, x("first")).await["cached"], true, "a cached result costs nothing");
    generate_ok(&app, &other, x("second")).await;
    assert_eq!(llm.calls(), 2);
    let two_platforms = json!({"topic": "wide", "platforms": ["x", "bluesky"]});
    assert_eq!(
        generate(&app, &other, two_platforms).await.status(),
        429,
        "each platform is an upstream call"
    );
}

#[tokio::test]
async fn a_batch_answers_each_brief_even_when_some_fail() {
    let llm = FakeLlm::start().await;
    llm.always(Reply::Variants(vec!["Fine.".into()]));
    let app = llm_app(&llm)
        .setting("llm_rate_limit_per_minute", 2)
        .setting("generation_concurrency", 1)
        .start()
        .await;
    let user = app.register("batchy").await;
    let briefs: Vec<Value> =
        ["one", "two", "three"].iter().map(|t| json!({"topic": t, "platforms": ["x"]})).collect();
    let response = app
        .request(reqwest::Method::POST, "/api/v1/generate/batch", &user.access)
        .json(&json!({"briefs": briefs}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let statuses: Vec<u64> =
        body["results"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(body["results"][2]["error"]["status"], 429);
    assert!(body["results"][0]["result"]["platforms"].is_array());
}

#[test]
fn the_cli_generates_from_flags_or_a_brief_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("brief.json"),
        r#"{"topic": "Herald", "platforms": ["mastodon"], "variants": 2}"#,
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .env_clear()
        .current_dir(dir.path())
        .args(["generate", "--brief", "brief.json", "--keyword", "self hosting", "--tone", "friendly"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let g: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(g["provider"], "template");
    let variants = g["platforms"][0]["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    assert!(variants[0]["text"].as_str().unwrap().contains("#SelfHosting"), "{g}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .env_clear()
        .current_dir(dir.path())
        .args(["generate", "--topic", "x", "--platform", "friendster"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("platforms[0]: must be one of"));
}

#[tokio::test]
async fn plain_text_answers_from_models_that_ignore_the_json_request_are_used() {
    let llm = FakeLlm::start().await;
    llm.always(Reply::Content("First take on it.\n---\nSecond take on it.".into()));
    let app = llm_app(&llm).start().await;
    let user = app.register("local").await;
    let g =
        generate_ok(&app, &user, json!({"topic": "local models", "platforms": ["mastodon"], "variants": 2}))
            .await;
    let texts: Vec<&str> = g["platforms"][0]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["First take on it.", "Second take on it."]);
}
