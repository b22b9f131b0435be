//! A browser-like client for the web pages: a cookie store, signed in through the real `/login`
//! form, with the session's CSRF token at hand.
//!
//! The client does not follow redirects, so a test sees each 303 (and its `Location`) itself.

use std::sync::atomic::{AtomicUsize, Ordering};

use baton_core::access::{Role, User};
use reqwest::header::LOCATION;
use reqwest::{redirect, Response, StatusCode};

use crate::helpers::TestApp;

/// The password of every account [`web_client`] makes.
pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in browser.
pub struct WebClient {
    /// Keeps cookies (the session); does not follow redirects.
    pub client: reqwest::Client,
    /// The server's address, `http://127.0.0.1:<port>`.
    pub base: String,
    /// The session's CSRF token, as the pages' `<meta name="csrf-token">` shows it.
    pub csrf: String,
    /// The account's email.
    pub email: String,
}

/// A client with a cookie store that does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .expect("a client")
}

/// Creates an account with `role` (through the store) and signs it in through `/login`.
pub async fn web_client(app: &TestApp, role: Role) -> WebClient {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let email = format!("{role}{}@example.com", NEXT.fetch_add(1, Ordering::Relaxed));
    add_account(app, &email, role, Some(PASSWORD)).await;
    sign_in(app, &email, PASSWORD).await
}

/// Creates an account (with a password, or link-only) as an admin would.
pub async fn add_account(app: &TestApp, email: &str, role: Role, password: Option<&str>) -> User {
    baton_server::web::accounts::add_user(
        app.store.as_ref(),
        email,
        role,
        password,
        "test",
        app.clock.now(),
    )
    .await
    .expect("a new account")
}

/// Signs `email` in through the sign-in form, expecting success.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> WebClient {
    let client = browser();
    let response = submit_signin(&client, &app.address, email, password, "/account").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "sign-in failed: {}",
        response.text().await.unwrap_or_default()
    );
    assert_eq!(location(&response), "/account");
    signed_in(client, &app.address, email).await
}

/// A client whose cookie store already holds a session: reads the CSRF token from `/account`.
pub async fn signed_in(client: reqwest::Client, base: &str, email: &str) -> WebClient {
    let page = client
        .get(format!("{base}/account"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(page.status(), StatusCode::OK, "not signed in");
    let html = page.text().await.expect("a page");
    let csrf = csrf_of(&html).expect("a csrf-token meta tag on /account");
    WebClient {
        client,
        base: base.to_owned(),
        csrf,
        email: email.to_owned(),
    }
}

/// Loads the sign-in form and posts it with `email`, `password` and `next`.
pub async fn submit_signin(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
    next: &str,
) -> Response {
    let form = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.expect("a page");
    let token = hidden_field(&html, "csrf").expect("the sign-in form's token");
    client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", email),
            ("password", password),
            ("next", next),
        ])
        .send()
        .await
        .expect("the server answers")
}

impl WebClient {
    /// `GET path` (below the server's address).
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the server answers")
    }

    /// The page at `path`, after checking it answers 200.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        let status = response.status();
        let html = response.text().await.expect("a page");
        assert_eq!(status, StatusCode::OK, "GET {path}: {html}");
        html
    }

    /// Posts `fields` as a form to `path`, with the session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    /// Posts exactly `fields` (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("the server answers")
    }
}

/// The `Location` header of a redirect.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The CSRF token of a page: `<meta name="csrf-token" content="…">`.
pub fn csrf_of(html: &str) -> Option<String> {
    attribute_after(html, r#"name="csrf-token" content=""#)
}

/// The value of the first hidden input named `name`: `name="…" value="…"`.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    attribute_after(html, &format!(r#"name="{name}" value=""#))
}

fn attribute_after(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned()).filter(|v| !v.is_empty())
}
