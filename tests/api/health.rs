use serde_json::Value;

use crate::helpers::{Backend, TestApp, both_backends};

both_backends!(liveness_answers_with_version_and_uptime, |backend| {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/health/live").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "up");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["uptime_seconds"].is_u64());
});

both_backends!(readiness_reports_the_database_and_the_schema_with_latencies, |backend| {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "up", "{body}");
    let expected_backend = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["checks"]["database"]["status"], "up", "{body}");
    assert_eq!(body["checks"]["database"]["detail"], expected_backend, "{body}");
    assert!(body["checks"]["database"]["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert_eq!(body["checks"]["migrations"]["status"], "up", "{body}");
});

both_backends!(readiness_is_503_when_a_migration_is_pending, |backend| {
    let app = TestApp::spawn(backend).await;
    // Sabotage: forget that the latest migration was applied.
    let mut tx = app.state.services.db.begin().await.unwrap();
    match &mut tx {
        herald::store::Tx::Sqlite(tx) => {
            sqlx::query("DELETE FROM _sqlx_migrations").execute(&mut **tx).await.unwrap();
        }
        herald::store::Tx::Postgres(tx) => {
            sqlx::query("DELETE FROM _sqlx_migrations").execute(&mut **tx).await.unwrap();
        }
    }
    tx.commit().await.unwrap();

    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "down", "{body}");
    assert_eq!(body["checks"]["migrations"]["status"], "down", "{body}");
    assert!(body["checks"]["migrations"]["detail"].as_str().unwrap().contains("herald migrate"), "{body}");
    assert_eq!(body["checks"]["database"]["status"], "up", "{body}");
});

both_backends!(readiness_is_503_when_the_database_is_gone_and_liveness_stays_200, |backend| {
    let app = TestApp::spawn(backend).await;
    app.state.services.db.close().await;

    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["checks"]["database"]["status"], "down", "{body}");
    assert_eq!(body["checks"]["database"]["detail"], "database unreachable", "{body}");
    assert_eq!(app.get("/health/live").await.status(), 200);
});

#[tokio::test]
async fn the_openapi_document_describes_every_route_with_its_security() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let documented = [
        ("get", "/api/articles"),
        ("post", "/api/articles"),
        ("get", "/api/articles/feed"),
        ("get", "/api/articles/{slug}"),
        ("put", "/api/articles/{slug}"),
        ("delete", "/api/articles/{slug}"),
        ("get", "/api/articles/{slug}/comments"),
        ("post", "/api/articles/{slug}/comments"),
        ("delete", "/api/articles/{slug}/comments/{id}"),
        ("post", "/api/articles/{slug}/favorite"),
        ("delete", "/api/articles/{slug}/favorite"),
        ("get", "/api/profiles/{username}"),
        ("post", "/api/profiles/{username}/follow"),
        ("delete", "/api/profiles/{username}/follow"),
        ("get", "/api/tags"),
        ("get", "/api/user"),
        ("put", "/api/user"),
        ("post", "/api/users"),
        ("post", "/api/users/login"),
        ("post", "/api/v1/analyze"),
        ("post", "/api/v1/generate"),
        ("post", "/api/v1/generate/batch"),
        ("get", "/api/v1/api-keys"),
        ("post", "/api/v1/api-keys"),
        ("delete", "/api/v1/api-keys/{id}"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/logout-all"),
        ("post", "/api/v1/auth/refresh"),
        ("post", "/api/v1/auth/register"),
        ("get", "/api/v1/categories"),
        ("post", "/api/v1/categories"),
        ("get", "/api/v1/categories/{slug}"),
        ("delete", "/api/v1/categories/{slug}"),
        ("patch", "/api/v1/categories/{slug}"),
        ("delete", "/api/v1/comments/{id}"),
        ("patch", "/api/v1/comments/{id}"),
        ("post", "/api/v1/comments/{id}/hide"),
        ("post", "/api/v1/comments/{id}/unhide"),
        ("get", "/api/v1/events"),
        ("get", "/api/v1/events/{id}"),
        ("get", "/api/v1/events/stream"),
        ("get", "/api/v1/feed"),
        ("get", "/api/v1/jobs"),
        ("get", "/api/v1/jobs/{id}"),
        ("post", "/api/v1/jobs/{id}/cancel"),
        ("post", "/api/v1/jobs/{id}/retry"),
        ("get", "/api/v1/me"),
        ("patch", "/api/v1/me"),
        ("get", "/api/v1/posts"),
        ("post", "/api/v1/posts"),
        ("get", "/api/v1/posts/by-slug/{slug}"),
        ("get", "/api/v1/posts/{id}"),
        ("delete", "/api/v1/posts/{id}"),
        ("patch", "/api/v1/posts/{id}"),
        ("post", "/api/v1/posts/{id}/archive"),
        ("get", "/api/v1/posts/{id}/comments"),
        ("post", "/api/v1/posts/{id}/comments"),
        ("get", "/api/v1/posts/{id}/events"),
        ("post", "/api/v1/posts/{id}/engagement"),
        ("get", "/api/v1/posts/{id}/pixel.gif"),
        ("get", "/api/v1/posts/{id}/analytics"),
        ("get", "/api/v1/analytics/overview"),
        ("get", "/api/v1/analytics/export.csv"),
        ("put", "/api/v1/posts/{id}/like"),
        ("delete", "/api/v1/posts/{id}/like"),
        ("post", "/api/v1/posts/{id}/publish"),
        ("post", "/api/v1/posts/{id}/restore"),
        ("get", "/api/v1/posts/{id}/revisions"),
        ("get", "/api/v1/posts/{id}/revisions/{revision}"),
        ("post", "/api/v1/posts/{id}/revisions/{revision}/restore"),
        ("post", "/api/v1/posts/{id}/schedule"),
        ("post", "/api/v1/posts/{id}/unschedule"),
        ("get", "/api/v1/profiles/{username}"),
        ("put", "/api/v1/profiles/{username}/follow"),
        ("delete", "/api/v1/profiles/{username}/follow"),
        ("get", "/api/v1/tags"),
        ("get", "/api/v1/users"),
        ("patch", "/api/v1/users/{id}"),
        ("get", "/api/v1/webhooks"),
        ("post", "/api/v1/webhooks"),
        ("get", "/api/v1/webhooks/{id}"),
        ("patch", "/api/v1/webhooks/{id}"),
        ("delete", "/api/v1/webhooks/{id}"),
        ("get", "/api/v1/webhooks/{id}/deliveries"),
        ("post", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay"),
        ("post", "/api/v1/webhooks/{id}/ping"),
        ("post", "/api/v1/webhooks/{id}/rotate-secret"),
        ("get", "/health/live"),
        ("get", "/health/ready"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
        ("get", "/.well-known/jwks.json"),
    ];
    for (method, path) in documented {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing from the document");
    }
    let operations: usize =
        doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(operations, documented.len(), "an undocumented-in-this-test operation appeared; list it here");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["components"]["securitySchemes"]["api_key"]["name"], "X-API-Key");
    assert!(doc["paths"]["/api/v1/me"]["get"]["security"].is_array());
    // What middleware and extractors answer is documented too, in each surface's error format.
    let create = &doc["paths"]["/api/v1/posts"]["post"]["responses"];
    for status in ["400", "401", "403", "413", "415", "422", "429", "503"] {
        assert!(
            create[status]["content"]["application/problem+json"].is_object(),
            "POST /api/v1/posts {status}"
        );
    }
    let rw = &doc["paths"]["/api/user"]["put"]["responses"]["415"]["content"]["application/json"]["schema"];
    assert_eq!(rw["$ref"], "#/components/schemas/ErrorBody");
    assert!(doc["paths"]["/health/live"]["get"]["responses"]["429"].is_null(), "probes are not rate-limited");
    let rw_limit = &doc["paths"]["/api/users"]["post"]["responses"]["429"]["content"];
    assert!(
        rw_limit["application/problem+json"].is_object(),
        "the limiter answers with a problem everywhere"
    );

    // Every reference points at a schema the document defines.
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 100, "{}", found.len());
    for reference in found {
        let name = reference.strip_prefix("#/components/schemas/").expect("a schema reference");
        assert!(doc["components"]["schemas"][name].is_object(), "{reference} does not resolve");
    }
}

/// Every route goes through utoipa-axum's `routes!`, which documents it from
/// the handler's `#[utoipa::path]`; the other ways of adding a route to axum
/// would bypass the document. This fails when any code uses one of them.
/// Two exceptions: the Swagger UI, which serves the document itself, and
/// Studio (`src/studio/`), whose HTML pages are for people in a browser, not
/// part of the API (its contract is `tests/api/studio.rs` and the browser
/// test).
#[test]
fn no_route_is_registered_around_the_openapi_document() {
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sources(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    assert!(files.len() > 50, "found the sources");
    let bypasses = [".route(", ".route_service(", ".nest(", ".nest_service(", "Router::new()", "routing::"];
    let mut found = Vec::new();
    let studio = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("studio");
    for file in files.into_iter().filter(|file| !file.starts_with(&studio)) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            let line = line.replace("OpenApiRouter", "");
            for bypass in bypasses {
                if line.contains(bypass) {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "routes added outside `routes!` are undocumented:\n{}", found.join("\n"));
}

#[tokio::test]
async fn the_docs_ui_is_served_from_the_binary_without_external_assets() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client =
        crate::helpers::client_builder().redirect(reqwest::redirect::Policy::limited(3)).build().unwrap();
    let page = client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
    assert!(!html.contains("https://") && !html.contains("http://"), "no external assets: {html}");
    let init = client.get(app.url("/docs/swagger-initializer.js")).send().await.unwrap();
    assert_eq!(init.status(), 200);
    assert!(init.text().await.unwrap().contains("/openapi.json"), "the UI reads our document");
    let css = client.get(app.url("/docs/swagger-ui.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
}
