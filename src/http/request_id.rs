//! Request ids: a well-formed incoming `X-Request-Id` is kept (so ids chain
//! through proxies), anything else is replaced by a fresh UUIDv7. The id is
//! put in the request extensions for logs and problems and echoed on the
//! response.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request.
#[derive(Debug, Clone)]
pub struct RequestId(HeaderValue);

impl RequestId {
    pub(super) fn new(id: HeaderValue) -> RequestId {
        RequestId(id)
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from ASCII we checked or generated.
        self.0.to_str().unwrap_or_default()
    }
}

/// 1 to 128 characters from a conservative set, so ids are safe in logs.
fn is_well_formed(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=128).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A UUIDv7 whose random part comes from the thread's generator:
/// `Uuid::now_v7` asks the kernel for it, a system call per request.
fn generate() -> HeaderValue {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX));
    let id = uuid::Builder::from_unix_timestamp_millis(millis, &rand::random()).into_uuid();
    let mut text = [0_u8; uuid::fmt::Hyphenated::LENGTH];
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// The id a request goes by: its own when well formed, else a new one.
pub(super) fn of(headers: &HeaderMap) -> HeaderValue {
    headers.get(&X_REQUEST_ID).filter(|value| is_well_formed(value)).cloned().unwrap_or_else(generate)
}

pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = of(request.headers());
    request.headers_mut().insert(X_REQUEST_ID, id.clone());
    request.extensions_mut().insert(RequestId::new(id.clone()));
    let mut response = next.run(request).await;
    response.headers_mut().insert(X_REQUEST_ID, id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_distinct_version_7_uuids() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        for id in [a, b] {
            let parsed = uuid::Uuid::parse_str(id.to_str().unwrap()).unwrap();
            assert_eq!(parsed.get_version_num(), 7);
            assert!(is_well_formed(&id));
        }
    }

    #[test]
    fn ids_are_accepted_only_when_short_and_made_of_safe_characters() {
        for good in ["abc", "0190f6a2-7c1e-7bb8-8d6e-1f2a3b4c5d6e", "trace:1.2_3"] {
            assert!(is_well_formed(&HeaderValue::from_static(good)), "{good}");
        }
        let long = "a".repeat(129);
        for bad in ["", "has space", "semi;colon", "new\tline", long.as_str()] {
            let value = HeaderValue::from_str(bad).unwrap_or_else(|_| HeaderValue::from_static("x y"));
            assert!(!is_well_formed(&value), "{bad:?}");
        }
    }
}
