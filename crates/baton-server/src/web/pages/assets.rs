//! The stylesheet and the script, compiled into the binary and served from `/static/…`.
//!
//! Pages link them with a `?v=<hash of the content>` query, so a browser may keep a versioned
//! copy for a year (`immutable`); a request without the current version is answered with
//! `no-cache` and an `ETag`, so it is checked again next time.

use std::sync::LazyLock;

use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::AppState;

const CSS: &str = include_str!("../../../static/baton.css");
const JS: &str = include_str!("../../../static/baton.js");

/// One compiled-in file.
struct Asset {
    body: &'static str,
    content_type: &'static str,
    /// The first 12 hex digits of the content's SHA-256.
    version: String,
    /// `/static/<name>?v=<version>`.
    url: String,
}

impl Asset {
    fn new(name: &str, body: &'static str, content_type: &'static str) -> Self {
        let version = hex::encode(Sha256::digest(body.as_bytes()))[..12].to_owned();
        let url = format!("/static/{name}?v={version}");
        Self {
            body,
            content_type,
            version,
            url,
        }
    }
}

static STYLESHEET: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("baton.css", CSS, "text/css; charset=utf-8"));
static SCRIPT: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("baton.js", JS, "text/javascript; charset=utf-8"));

/// The stylesheet's versioned URL.
pub fn css_url() -> &'static str {
    &STYLESHEET.url
}

/// The script's versioned URL.
pub fn js_url() -> &'static str {
    &SCRIPT.url
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/baton.css", get(stylesheet))
        .route("/static/baton.js", get(script))
}

async fn stylesheet(headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    serve(&STYLESHEET, &headers, version(query.as_deref()))
}

async fn script(headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    serve(&SCRIPT, &headers, version(query.as_deref()))
}

/// The `v` parameter of a query string.
fn version(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|pair| pair.strip_prefix("v="))
}

fn serve(asset: &Asset, headers: &HeaderMap, version: Option<&str>) -> Response {
    let etag = format!("\"{}\"", asset.version);
    let cache = if version == Some(asset.version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let common = [
        (header::CACHE_CONTROL, cache.to_owned()),
        (header::ETAG, etag),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    if matches {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, asset.content_type)],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_content_version() {
        assert!(css_url().starts_with("/static/baton.css?v="));
        assert!(js_url().starts_with("/static/baton.js?v="));
        assert_eq!(css_url().len(), "/static/baton.css?v=".len() + 12);
        assert_ne!(STYLESHEET.version, SCRIPT.version);
    }

    #[test]
    fn versioned_requests_are_cached_for_long_and_etags_answer_304() {
        let fresh = serve(&STYLESHEET, &HeaderMap::new(), Some(&STYLESHEET.version));
        assert_eq!(fresh.status(), StatusCode::OK);
        assert_eq!(
            fresh.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            fresh.headers()[header::CONTENT_TYPE],
            "text/css; charset=utf-8"
        );
        let plain = serve(&SCRIPT, &HeaderMap::new(), None);
        assert_eq!(plain.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(
            plain.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let mut headers = HeaderMap::new();
        let etag = plain.headers()[header::ETAG].clone();
        headers.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            serve(&SCRIPT, &headers, None).status(),
            StatusCode::NOT_MODIFIED
        );
    }
}
