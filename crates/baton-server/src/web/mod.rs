//! The web pages: server-rendered HTML for people signed in with a session cookie.
//!
//! Code map: [`session`] turns the session cookie into a [`session::Viewer`] and checks CSRF
//! tokens on every form ([`session::CsrfForm`]); [`signin`] serves sign-in, sign-out and the
//! one-time sign-in links, limited by [`throttle`]; [`accounts`] hashes passwords and makes
//! sign-in links (shared with the CLI); [`users`] is the admins' account page; [`pages`] holds the board, inquiry, schedule, settings and token
//! pages; [`error`] renders every failure as an HTML page. Templates live in `templates/` and are
//! checked at compile time by askama, which escapes every value unless a template says `|safe`.
//!
//! The web routes are not part of the JSON API's route table (`routes::table`), which the OpenAPI
//! document describes; they are merged into the same router.

pub mod accounts;
pub mod error;
pub mod pages;
pub mod session;
pub mod signin;
pub mod throttle;
pub mod users;

use axum::Router;

use crate::AppState;

/// The web pages' routes: sign-in and the pages behind it.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(signin::routes())
        .merge(users::routes())
        .merge(pages::routes())
}

/// Adds the security headers every page carries (sign-in included): only this origin's script
/// and style (the CSP), no sniffing, no framing, and no caching (pages show one person's view,
/// sometimes a secret shown once). `Referrer-Policy: same-origin`, not `no-referrer`: a sign-in
/// link's secret in the URL still never leaves the site, while Chromium keeps sending the real
/// `Origin` on form posts (under `no-referrer` it sends `Origin: null`, which the CSRF origin
/// check rightly refuses).
pub(crate) async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            pages::CONTENT_SECURITY_POLICY,
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
