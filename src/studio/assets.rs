//! Studio's stylesheet and script, compiled into the binary. Pages link
//! them with a digest of their content in the URL, so browsers may keep
//! them for a year and still never use a stale copy after an upgrade.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file, with the digest its URL carries (computed once).
#[derive(Debug)]
pub(super) struct Asset {
    pub name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    digest: LazyLock<String>,
}

const STYLES_BYTES: &[u8] = include_bytes!("assets/studio.css");
const SCRIPT_BYTES: &[u8] = include_bytes!("assets/studio.js");

pub(super) static STYLES: Asset = Asset {
    name: "studio.css",
    content_type: "text/css; charset=utf-8",
    bytes: STYLES_BYTES,
    digest: LazyLock::new(|| digest(STYLES_BYTES)),
};
pub(super) static SCRIPT: Asset = Asset {
    name: "studio.js",
    content_type: "text/javascript; charset=utf-8",
    bytes: SCRIPT_BYTES,
    digest: LazyLock::new(|| digest(SCRIPT_BYTES)),
};

fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Where a page links `asset`.
pub(super) fn url(prefix: &str, asset: &Asset) -> String {
    format!("{prefix}/assets/{}?v={}", asset.name, *asset.digest)
}

/// `GET {prefix}/assets/{file}`.
pub(super) async fn serve(Path(file): Path<String>) -> Response {
    let Some(asset) = [&STYLES, &SCRIPT].into_iter().find(|a| a.name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    response
}
