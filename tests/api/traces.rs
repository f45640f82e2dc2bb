//! OpenTelemetry traces: the `herald` binary exports spans over OTLP/HTTP to
//! a receiver started here, continuing the caller's W3C trace and passing it
//! on to the upstream LLM, with the request → service → query and
//! request → service → outbound-call links intact.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;

use crate::cli::{herald, wait_until_serving};
use crate::fake_llm::{FakeLlm, Reply};

/// A minimal OTLP/HTTP trace receiver (JSON encoding): keeps every export.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    async fn export(State(store): State<Arc<Mutex<Vec<Value>>>>, body: axum::body::Bytes) -> StatusCode {
        match serde_json::from_slice(&body) {
            Ok(value) => {
                store.lock().unwrap().push(value);
                StatusCode::OK
            }
            Err(_) => StatusCode::BAD_REQUEST,
        }
    }
    let store = Arc::new(Mutex::new(Vec::new()));
    let app =
        axum::Router::new().route("/v1/traces", axum::routing::post(export)).with_state(Arc::clone(&store));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), store)
}

#[derive(Debug, Clone)]
struct Span {
    trace_id: String,
    span_id: String,
    parent: String,
    name: String,
}

fn spans(exports: &[Value]) -> (Vec<Span>, Vec<String>) {
    let mut spans = Vec::new();
    let mut services = Vec::new();
    for export in exports {
        for resource in export["resourceSpans"].as_array().unwrap() {
            for attribute in resource["resource"]["attributes"].as_array().unwrap() {
                if attribute["key"] == "service.name" {
                    services.push(attribute["value"]["stringValue"].as_str().unwrap().to_owned());
                }
            }
            for scope in resource["scopeSpans"].as_array().unwrap() {
                for span in scope["spans"].as_array().unwrap() {
                    let text = |key: &str| span[key].as_str().unwrap_or_default().to_lowercase();
                    spans.push(Span {
                        trace_id: text("traceId"),
                        span_id: text("spanId"),
                        parent: text("parentSpanId"),
                        name: text("name"),
                    });
                }
            }
        }
    }
    (spans, services)
}

/// Whether `span` descends from `ancestor` through the exported parents.
fn descends(span: &Span, ancestor: &Span, by_id: &HashMap<String, Span>) -> bool {
    let mut current = span.clone();
    for _ in 0..32 {
        if current.parent == ancestor.span_id {
            return true;
        }
        match by_id.get(&current.parent) {
            Some(parent) => current = parent.clone(),
            None => return false,
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_arrive_over_otlp_with_their_parents_and_the_trace_travels_upstream() {
    let (otlp, exports) = receiver().await;
    let llm = FakeLlm::start().await;
    llm.always(Reply::Variants(vec!["Traced all the way. #Rust".into()]));
    let dir = tempfile::tempdir().unwrap();
    let mut child = herald(dir.path())
        .env("HERALD_LISTEN", "127.0.0.1:0")
        .env("HERALD_OTLP_ENDPOINT", &otlp)
        .env("HERALD_OTLP_PROTOCOL", "http/json")
        .env("HERALD_OTLP_SERVICE_NAME", "herald-under-test")
        .env("HERALD_ARGON2_MEMORY_KIB", "64")
        .env("HERALD_ARGON2_ITERATIONS", "1")
        .env("HERALD_GENERATION_PROVIDER", "openai")
        .env("HERALD_LLM_BASE_URL", llm.base_url())
        .env("HERALD_LLM_MODEL", "test-model")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (addr, _logs) = wait_until_serving(&mut child);

    let client = crate::helpers::client_builder().build().unwrap();
    let register_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let response = client
        .post(format!("http://{addr}/api/v1/auth/register"))
        .header("traceparent", format!("00-{register_trace}-{caller_span}-01"))
        .json(&serde_json::json!({"email": "t@example.com", "username": "tracer", "password": "a long tracing passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let token = response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();

    let generate_trace = "0af7651916cd43dd8448eb211c80319c";
    let response = client
        .post(format!("http://{addr}/api/v1/generate"))
        .bearer_auth(&token)
        // Flagged "not sampled" by the caller: recorded anyway.
        .header("traceparent", format!("00-{generate_trace}-b7ad6b7169203331-00"))
        .json(&serde_json::json!({"topic": "tracing", "platforms": ["x"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["provider"], "openai");

    // A clean exit flushes the batch of spans still buffered.
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut exported = Vec::new();
    for _ in 0..50 {
        exported = exports.lock().unwrap().clone();
        if !exported.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (spans, services) = spans(&exported);
    assert!(services.iter().all(|s| s == "herald-under-test") && !services.is_empty(), "{services:?}");
    let by_id: HashMap<String, Span> = spans.iter().map(|s| (s.span_id.clone(), s.clone())).collect();
    let find = |trace: &str, name: &str| -> Vec<Span> {
        spans.iter().filter(|s| s.trace_id == trace && s.name == name).cloned().collect()
    };

    // The request span continues the caller's trace as a child of its span.
    let request = find(register_trace, "post /api/v1/auth/register");
    assert_eq!(request.len(), 1, "one request span in the caller's trace: {spans:#?}");
    let request = &request[0];
    assert_eq!(request.parent, caller_span);
    let service = find(register_trace, "service.accounts.register");
    assert!(
        service.iter().any(|s| s.parent == request.span_id),
        "service span under the request: {spans:#?}"
    );
    let queries = find(register_trace, "db.query");
    assert!(!queries.is_empty(), "queries are traced");
    assert!(queries.iter().all(|q| descends(q, request, &by_id)), "every query descends from the request");
    assert!(queries.iter().any(|q| descends(q, &service[0], &by_id)), "queries run inside the service call");

    // The outbound call is a span of the generate trace, and the LLM server
    // was told (traceparent) that its work belongs to that span.
    let generate = &find(generate_trace, "post /api/v1/generate")[0];
    let outbound = find(generate_trace, "llm.chat_completions");
    assert_eq!(outbound.len(), 1, "{spans:#?}");
    assert!(descends(&outbound[0], generate, &by_id));
    let received = llm.received();
    let traceparent = received[0].headers["traceparent"].to_str().unwrap();
    assert_eq!(traceparent, format!("00-{generate_trace}-{}-01", outbound[0].span_id));
}
