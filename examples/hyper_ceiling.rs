//! The ceiling for a cached read on this machine: hyper with Herald's
//! accept-loop builder serving one fixed body with the headers a cache hit
//! carries, and nothing else. `bench/RESULTS.md` compares Herald's cache
//! hits with it and with nginx.
//!
//!     cargo run --release --example hyper_ceiling -- 127.0.0.1:8199 5273
//!     wrk -t2 -c64 -d5s http://127.0.0.1:8199/

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{HeaderValue, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

const HEADERS: [(&str, &str); 9] = [
    ("content-type", "application/json"),
    ("etag", "\"97c1eef5b1a2f8e8\""),
    ("cache-control", "public, max-age=5"),
    ("vary", "Authorization, X-API-Key"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("x-request-id", "01a25289-81c3-7098-8db0-9d425ac3c86d"),
];

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8199".to_owned());
    let size = args.next().and_then(|s| s.parse().ok()).unwrap_or(5273);
    let body = bytes::Bytes::from(vec![b'x'; size]);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let body = body.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |_: hyper::Request<hyper::body::Incoming>| {
                let mut response = Response::new(Body::from(body.clone()));
                for (name, value) in HEADERS {
                    response.headers_mut().insert(name, HeaderValue::from_static(value));
                }
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
