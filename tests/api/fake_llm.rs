//! A local stand-in for an OpenAI-compatible chat-completions server (the one
//! service this machine cannot reach). It speaks the real wire format, records
//! every request, and answers from a script the test writes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// One scripted answer.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// 200 with a chat completion whose message content is `content`.
    Content(String),
    /// 200 with a completion holding these variants as the JSON asked for.
    Variants(Vec<String>),
    /// Any status with a body, optionally with `Retry-After`.
    Status(u16, String, Option<&'static str>),
    /// 200 with a body that is not a chat completion.
    Raw(String),
    /// Waits before answering with the inner reply.
    Slow(Duration, Box<Reply>),
}

#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub body: serde_json::Value,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct Script {
    queue: VecDeque<Reply>,
    /// Answer when the queue is empty.
    otherwise: Option<Reply>,
    received: Vec<Received>,
}

#[derive(Clone)]
pub(crate) struct FakeLlm {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl FakeLlm {
    pub(crate) async fn start() -> FakeLlm {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new().route("/v1/chat/completions", post(complete)).with_state(Arc::clone(&script));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeLlm { addr, script }
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Queues replies, answered in order.
    pub(crate) fn then(&self, reply: Reply) -> &Self {
        self.script.lock().unwrap().queue.push_back(reply);
        self
    }

    /// The reply once the queue is empty (default: a 500).
    pub(crate) fn always(&self, reply: Reply) {
        self.script.lock().unwrap().otherwise = Some(reply);
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    pub(crate) fn calls(&self) -> usize {
        self.script.lock().unwrap().received.len()
    }
}

fn completion(content: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}
    })
}

fn respond(reply: Reply) -> futures_util::future::BoxFuture<'static, Response> {
    Box::pin(async move {
        match reply {
            Reply::Content(content) => axum::Json(completion(&content)).into_response(),
            Reply::Variants(variants) => {
                let content = serde_json::json!({ "variants": variants }).to_string();
                axum::Json(completion(&content)).into_response()
            }
            Reply::Status(status, body, retry_after) => {
                let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
                if let Some(after) = retry_after {
                    response.headers_mut().insert("retry-after", after.parse().unwrap());
                }
                response
            }
            Reply::Raw(body) => ([("content-type", "application/json")], body).into_response(),
            Reply::Slow(delay, inner) => {
                tokio::time::sleep(delay).await;
                respond(*inner).await
            }
        }
    })
}

async fn complete(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let reply = {
        let mut script = script.lock().unwrap();
        let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        script.received.push(Received { body, headers });
        script.queue.pop_front().or_else(|| script.otherwise.clone()).unwrap_or(Reply::Status(
            500,
            r#"{"error":{"message":"nothing scripted"}}"#.to_owned(),
            None,
        ))
    };
    respond(reply).await
}
