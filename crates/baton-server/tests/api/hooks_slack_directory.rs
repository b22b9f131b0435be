//! Slack channels given by name only: resolved to their ids through a fake Slack Web API (a local
//! axum server speaking `conversations.list` as Slack does), so that signed message events in
//! them become inquiries; a name Slack does not list leaves the server running and its
//! messages stored as unrouted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::get;
use axum::{Json, Router};
use baton_core::access::{NewApiToken, Role};
use baton_integrations::slack::SlackApiOptions;
use baton_server::auth::generate_token;
use baton_server::clock::Clock;
use baton_server::intake::channels::RefreshPolicy;
use baton_server::intake::Secrets;
use baton_server::service::Service;
use baton_server::startup::{Application, ClientOptions};
use baton_store::OpenMode;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::{config_path, expect_json, fixture_json, start_instant, SLACK_SECRET};

const BOT_TOKEN: &str = "xoxb-test-bot-token";

/// What the fake Slack lists and what it was asked.
#[derive(Default)]
struct Directory {
    /// `conversations.list` pages, each a list of `(id, name)`.
    pages: Vec<Vec<(&'static str, &'static str)>>,
    /// Requests answered 429 (`Retry-After: 1`) before the next normal answer.
    rate_limited: usize,
    /// The `Authorization` header of every request.
    seen: Vec<Option<String>>,
}

/// A fake Slack Web API on 127.0.0.1:0.
#[derive(Clone)]
struct FakeSlack {
    base_url: String,
    directory: Arc<Mutex<Directory>>,
}

impl FakeSlack {
    async fn start(pages: Vec<Vec<(&'static str, &'static str)>>, rate_limited: usize) -> Self {
        let directory = Arc::new(Mutex::new(Directory {
            pages,
            rate_limited,
            seen: Vec::new(),
        }));
        let app = Router::new()
            .route("/api/conversations.list", get(conversations_list))
            .with_state(directory.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base_url: format!("http://127.0.0.1:{port}/api/"),
            directory,
        }
    }

    /// Slack lists these channels from now on.
    fn list(&self, pages: Vec<Vec<(&'static str, &'static str)>>) {
        self.directory.lock().unwrap().pages = pages;
    }

    fn requests(&self) -> Vec<Option<String>> {
        self.directory.lock().unwrap().seen.clone()
    }
}

async fn conversations_list(
    State(directory): State<Arc<Mutex<Directory>>>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> AxumResponse {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut d = directory.lock().unwrap();
    d.seen.push(auth.clone());
    if d.rate_limited > 0 {
        d.rate_limited -= 1;
        return (
            AxumStatus::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            Json(json!({"ok": false, "error": "ratelimited"})),
        )
            .into_response();
    }
    if auth.as_deref() != Some(&format!("Bearer {BOT_TOKEN}")) {
        return Json(json!({"ok": false, "error": "invalid_auth"})).into_response();
    }
    assert_eq!(query["types"], "public_channel,private_channel");
    let page: usize = query
        .get("cursor")
        .and_then(|c| c.strip_prefix("next:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let channels: Vec<Value> = d
        .pages
        .get(page)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|(id, name)| {
            json!({
                "id": id, "name": name, "is_channel": true, "is_private": false,
                "is_archived": false, "is_member": true, "num_members": 7,
            })
        })
        .collect();
    let next = if page + 1 < d.pages.len() {
        format!("next:{}", page + 1)
    } else {
        String::new()
    };
    Json(json!({
        "ok": true,
        "channels": channels,
        "response_metadata": {"next_cursor": next},
    }))
    .into_response()
}

/// A server over the example config with `#integrations` given by name only, the bot token
/// `token`, and Slack's API at `slack`.
struct App {
    address: String,
    client: reqwest::Client,
    admin: String,
    clock: Clock,
    _dir: TempDir,
}

async fn spawn(slack: &FakeSlack, token: &str) -> App {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("baton.db").display());
    let store = baton_store::open(&url, OpenMode::Create).await.unwrap();
    let mut config = baton_config::load(&config_path()).unwrap();
    let source = config.teams[0]
        .sources
        .iter_mut()
        .find(|s| s.name == "#integrations")
        .unwrap();
    source.channel_id = None;
    let clock = Clock::manual(start_instant());
    let service = Service::new(Arc::new(config), store.clone(), clock.clone());
    let (admin, hash) = generate_token();
    store
        .create_token(NewApiToken {
            name: "admin".into(),
            role: Role::Admin,
            token_hash: hash,
            created_by: "test".into(),
        })
        .await
        .unwrap();
    let secrets = Secrets::default()
        .with("BATON_SLACK_SIGNING_SECRET", SLACK_SECRET)
        .with("BATON_SLACK_BOT_TOKEN", token);
    let options = ClientOptions {
        slack: SlackApiOptions {
            base_url: slack.base_url.clone(),
            ..SlackApiOptions::default()
        },
        // Refreshes asked for by unknown channels at once; the periodic one not in a test.
        channel_refresh: RefreshPolicy {
            every: Duration::from_secs(3600),
            min_gap: Duration::ZERO,
        },
    };
    let app =
        Application::build_with_options(service, "127.0.0.1:0".parse().unwrap(), secrets, options)
            .await
            .expect("the server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    App {
        address,
        client: reqwest::Client::new(),
        admin,
        clock,
        _dir: dir,
    }
}

impl App {
    /// Alice's question in channel `channel`, as Slack sends it (event `event_id`, posted at
    /// `ts`), signed now.
    async fn message(&self, channel: &str, event_id: &str, ts: &str) -> Value {
        let mut event = fixture_json("slack/message_channel.json");
        event["event_id"] = event_id.into();
        event["event"]["channel"] = channel.into();
        event["event"]["ts"] = ts.into();
        event["event"]["event_ts"] = ts.into();
        let body = event.to_string();
        let now = self.clock.now().timestamp();
        let signature =
            baton_integrations::slack::sign(SLACK_SECRET.as_bytes(), now, body.as_bytes());
        let response = self
            .client
            .post(format!("{}/hooks/slack/events", self.address))
            .header("Content-Type", "application/json")
            .header("X-Slack-Request-Timestamp", now.to_string())
            .header("X-Slack-Signature", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        expect_json(response, StatusCode::OK).await
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .request(Method::GET, format!("{}{path}", self.address))
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap();
        expect_json(response, StatusCode::OK).await
    }

    async fn inquiries(&self) -> Vec<Value> {
        let body = self
            .get("/api/v1/teams/integrations/inquiries?limit=100")
            .await;
        match body {
            Value::Array(items) => items,
            other => other["inquiries"]
                .as_array()
                .or_else(|| other["items"].as_array())
                .cloned()
                .unwrap_or_else(|| panic!("a list of inquiries: {other}")),
        }
    }

    async fn unrouted(&self) -> Vec<Value> {
        self.get("/api/v1/deliveries?unrouted=true")
            .await
            .as_array()
            .cloned()
            .unwrap()
    }
}

#[tokio::test]
async fn a_message_in_a_channel_given_by_name_becomes_an_inquiry() {
    // Two pages, and Slack rate-limits the first request once.
    let slack = FakeSlack::start(
        vec![
            vec![("C0GENERAL", "general"), ("C0RANDOM", "random")],
            vec![("C0INTEGRAT", "integrations"), ("C0DESIGN", "design")],
        ],
        1,
    )
    .await;
    let app = spawn(&slack, BOT_TOKEN).await;
    let requests = slack.requests();
    assert_eq!(
        requests.len(),
        3,
        "one rate-limited request, then two pages"
    );
    assert!(requests
        .iter()
        .all(|a| a.as_deref() == Some("Bearer xoxb-test-bot-token")));

    let answer = app
        .message("C0INTEGRAT", "Ev044NAMED01", "1664874847.123459")
        .await;
    assert_eq!(answer["team"], "integrations", "{answer}");
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1, "{inquiries:?}");
    assert_eq!(inquiries[0]["source"], "#integrations");
    assert_eq!(inquiries[0]["assignee"], "david");
    assert_eq!(
        inquiries[0]["external_ref"],
        "slack:C0INTEGRAT:1664874847.123459"
    );
    assert!(app.unrouted().await.is_empty());
}

#[tokio::test]
async fn a_name_slack_does_not_list_is_unrouted_until_the_channel_appears() {
    let slack = FakeSlack::start(vec![vec![("C0GENERAL", "general")]], 0).await;
    let app = spawn(&slack, BOT_TOKEN).await;

    // The server runs; the message is stored, shown to admins as unrouted, and not an inquiry.
    let answer = app
        .message("C0INTEGRAT", "Ev044MISSING", "1664874847.123459")
        .await;
    assert!(answer["team"].is_null(), "{answer}");
    assert!(
        answer["outcome"].as_str().unwrap().starts_with("unrouted"),
        "{answer}"
    );
    assert!(app.inquiries().await.is_empty());
    let unrouted = app.unrouted().await;
    assert_eq!(unrouted.len(), 1, "{unrouted:?}");
    assert_eq!(unrouted[0]["key"], "slack:Ev044MISSING");

    // The channel is created (or renamed) in Slack: an event from an unknown channel makes
    // baton look again, and the channel's next messages are inquiries.
    slack.list(vec![vec![
        ("C0GENERAL", "general"),
        ("C0INTEGRAT", "integrations"),
    ]]);
    let mut routed = None;
    for attempt in 0..50 {
        let answer = app
            .message(
                "C0INTEGRAT",
                &format!("Ev044LATER{attempt:02}"),
                &format!("16648749{attempt:02}.000100"),
            )
            .await;
        if answer["team"] == "integrations" {
            routed = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let routed = routed.expect("the channel is watched once Slack lists it");
    assert_eq!(routed["inquiries"].as_array().unwrap().len(), 1, "{routed}");
    assert_eq!(app.inquiries().await.len(), 1);
    assert!(slack.requests().len() >= 2);
}

#[tokio::test]
async fn a_refused_bot_token_leaves_the_server_running() {
    let slack = FakeSlack::start(vec![vec![("C0INTEGRAT", "integrations")]], 0).await;
    let app = spawn(&slack, "xoxb-revoked").await;
    assert_eq!(slack.requests().len(), 1);
    let answer = app
        .message("C0INTEGRAT", "Ev044REFUSED", "1664874847.123459")
        .await;
    assert!(
        answer["outcome"].as_str().unwrap().starts_with("unrouted"),
        "{answer}"
    );
    // Channels given by id are watched as ever.
    let answer = app
        .message("C0INTIDE", "Ev044BYID001", "1664874850.000100")
        .await;
    assert_eq!(answer["team"], "integrations", "{answer}");
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1);
    assert_eq!(inquiries[0]["source"], "#integrations-ide");
}
