//! A real local webhook receiver: records every delivery (headers, body,
//! arrival time) and answers from a script the test writes — statuses,
//! delays, or hanging until released.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One scripted answer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Answer {
    Status(u16),
    /// Waits before answering with the status.
    After(Duration, u16),
    /// A redirect back to this receiver (followed, it would arrive twice).
    Redirect(u16),
}

#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub headers: HeaderMap,
    pub body: String,
    pub at: Instant,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("deliveries are JSON")
    }

    /// Which of `secrets` signed this delivery, checked here with HMAC-SHA256
    /// as the specification describes, independently of Herald's code.
    pub(crate) fn signed_by(&self, secret: &str) -> bool {
        let key = BASE64.decode(secret.strip_prefix("whsec_").expect("whsec_ prefix")).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        let content =
            format!("{}.{}.{}", self.header("webhook-id"), self.header("webhook-timestamp"), self.body);
        mac.update(content.as_bytes());
        let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
        self.header("webhook-signature").split(' ').any(|s| s == expected)
    }
}

#[derive(Default)]
struct Script {
    answers: VecDeque<Answer>,
    received: Vec<Received>,
}

#[derive(Clone)]
pub(crate) struct Receiver {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    /// Answers 200 unless told otherwise.
    pub(crate) async fn start() -> Receiver {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new().route("/hook", post(receive)).with_state(Arc::clone(&script));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, script }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The next answers, in order; then 200 again.
    pub(crate) fn answer(&self, answers: &[Answer]) {
        self.script.lock().unwrap().answers.extend(answers.iter().copied());
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    /// Waits (up to `within`) until `n` deliveries have arrived.
    pub(crate) async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= n || Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn receive(State(script): State<Arc<Mutex<Script>>>, headers: HeaderMap, body: Bytes) -> Response {
    let answer = {
        let mut script = script.lock().unwrap();
        script.received.push(Received {
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            at: Instant::now(),
        });
        script.answers.pop_front().unwrap_or(Answer::Status(200))
    };
    let status = |code: u16| StatusCode::from_u16(code).unwrap();
    match answer {
        Answer::Status(code) => status(code).into_response(),
        Answer::After(wait, code) => {
            tokio::time::sleep(wait).await;
            status(code).into_response()
        }
        Answer::Redirect(code) => (status(code), [("location", "/hook")]).into_response(),
    }
}
