//! A fake Slack Web API on 127.0.0.1:0: `conversations.list` answered page by page in Slack's
//! format, checking the bearer token, with scripted rate limits, failures and delays.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The bot token the fake accepts.
pub const TOKEN: &str = "xoxb-fake-bot-token";

/// What the fake answers before it answers normally.
#[derive(Clone, Debug)]
pub enum Scripted {
    /// Answer this request normally.
    Pass,
    /// HTTP 429 with `Retry-After: seconds`.
    RateLimited { seconds: u64 },
    /// This HTTP status with an HTML body.
    Status(u16),
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// `{"ok": false, "error": …}` with HTTP 200, as Slack does.
    SlackError(&'static str),
}

#[derive(Default)]
struct Inner {
    pages: Vec<Vec<Value>>,
    script: Vec<Scripted>,
    /// The query and `Authorization` header of every request, in order.
    requests: Vec<(HashMap<String, String>, Option<String>)>,
}

/// A running fake.
#[derive(Clone)]
pub struct FakeSlack {
    /// `http://127.0.0.1:{port}/api/`.
    pub base_url: String,
    inner: Arc<Mutex<Inner>>,
}

/// A channel as `conversations.list` lists it.
pub fn channel(id: &str, name: &str, private: bool) -> Value {
    json!({
        "id": id,
        "name": name,
        "is_channel": !private,
        "is_group": private,
        "is_im": false,
        "is_mpim": false,
        "is_private": private,
        "created": 1_449_252_889,
        "is_archived": false,
        "is_general": false,
        "name_normalized": name,
        "is_shared": false,
        "is_member": true,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "num_members": 4
    })
}

impl FakeSlack {
    /// Starts a fake listing `pages` (one inner vector per page).
    pub async fn start(pages: Vec<Vec<Value>>) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            pages,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/api/conversations.list", get(list))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let port = listener.local_addr().expect("an address").port();
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake serves");
        });
        Self {
            base_url: format!("http://127.0.0.1:{port}/api/"),
            inner,
        }
    }

    /// Answers the next requests as scripted, in order, before answering normally.
    pub fn script(&self, steps: Vec<Scripted>) {
        self.inner.lock().unwrap().script = steps;
    }

    /// The requests received so far: their query parameters and `Authorization` header.
    pub fn requests(&self) -> Vec<(HashMap<String, String>, Option<String>)> {
        self.inner.lock().unwrap().requests.clone()
    }
}

async fn list(
    State(inner): State<Arc<Mutex<Inner>>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let step = {
        let mut inner = inner.lock().unwrap();
        inner.requests.push((query.clone(), auth.clone()));
        if inner.script.is_empty() {
            None
        } else {
            Some(inner.script.remove(0))
        }
    };
    match step {
        Some(Scripted::RateLimited { seconds }) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, seconds.to_string())],
                Json(json!({"ok": false, "error": "ratelimited"})),
            )
                .into_response()
        }
        Some(Scripted::Status(code)) => {
            return (
                StatusCode::from_u16(code).expect("a status"),
                "<html>Slack is having trouble</html>",
            )
                .into_response()
        }
        Some(Scripted::SlackError(error)) => {
            return Json(json!({"ok": false, "error": error})).into_response()
        }
        Some(Scripted::Delay(wait)) => tokio::time::sleep(wait).await,
        Some(Scripted::Pass) | None => {}
    }
    if auth.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return Json(json!({"ok": false, "error": "invalid_auth"})).into_response();
    }
    let pages = inner.lock().unwrap().pages.clone();
    // Cursors are opaque to clients; this fake's are `page:{n}`.
    let index = match query.get("cursor").map(String::as_str) {
        None | Some("") => 0,
        Some(cursor) => match cursor.strip_prefix("page:").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return Json(json!({"ok": false, "error": "invalid_cursor"})).into_response(),
        },
    };
    let channels = pages.get(index).cloned().unwrap_or_default();
    let next = if index + 1 < pages.len() {
        format!("page:{}", index + 1)
    } else {
        String::new()
    };
    Json(json!({
        "ok": true,
        "channels": channels,
        "response_metadata": {"next_cursor": next}
    }))
    .into_response()
}
