//! A real server on port 0 over a fresh SQLite database, with one token per role.

use std::path::PathBuf;
use std::sync::Arc;

use baton_core::access::{NewApiToken, Role};
use baton_server::auth::generate_token;
use baton_server::clock::Clock;
use baton_server::intake::Secrets;
use baton_server::service::Service;
use baton_server::startup::Application;
use baton_store::{OpenMode, Store};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

/// The test server's Slack signing secret, GitHub webhook secret and alert token.
pub const SLACK_SECRET: &str = "test-slack-signing-secret";
pub const GITHUB_SECRET: &str = "test-github-webhook-secret";
pub const ALERT_TOKEN: &str = "test-alert-token";
/// The token of alert sources whose `token_env` is `BATON_OTHER_ALERT_TOKEN`.
pub const OTHER_ALERT_TOKEN: &str = "test-other-alert-token";

/// The bytes of a recorded payload in `baton-integrations/tests/fixtures/`.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../baton-integrations/tests/fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// A recorded payload as JSON, to be changed by a test.
pub fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).expect("a JSON fixture")
}

/// A running server and what a test needs to drive it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub viewer: String,
    pub member: String,
    pub admin: String,
    pub clock: Clock,
    pub store: Arc<dyn Store>,
    _dir: TempDir,
}

/// Wednesday 5 October 2022, 10:00 in Berlin: David's week (he works 09–17 in New York, where
/// it is 04:00).
pub fn start_instant() -> DateTime<Utc> {
    berlin(2022, 10, 5, 10, 0)
}

/// A civil time in Berlin as an instant.
pub fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let local = NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|day| day.and_hms_opt(h, min, 0))
        .expect("a valid civil time");
    Berlin
        .from_local_datetime(&local)
        .single()
        .expect("an unambiguous civil time")
        .with_timezone(&Utc)
}

pub fn config_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/integrations.toml")
}

/// Starts the server on 127.0.0.1:0 over a fresh database, the handbook's team and a manual
/// clock at [`start_instant`].
pub async fn spawn_app() -> TestApp {
    let (app, test_app) = build_app().await;
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    test_app
}

/// Like [`spawn_app`], but leaves running the [`Application`] to the caller.
pub async fn build_app() -> (Application, TestApp) {
    build_app_with(baton_config::load(&config_path()).expect("the example config")).await
}

/// Like [`build_app`], with `config` in place of the example's.
pub async fn build_app_with(config: baton_config::Config) -> (Application, TestApp) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("baton.db").display());
    let store = baton_store::open(&url, OpenMode::Create)
        .await
        .expect("a fresh database");
    let clock = Clock::manual(start_instant());
    let service = Service::new(Arc::new(config), store.clone(), clock.clone());

    let mut tokens = Vec::new();
    for role in [Role::Viewer, Role::Member, Role::Admin] {
        let (secret, hash) = generate_token();
        store
            .create_token(NewApiToken {
                name: role.as_str().to_owned(),
                role,
                token_hash: hash,
                created_by: "test".to_owned(),
            })
            .await
            .expect("a token");
        tokens.push(secret);
    }
    let [viewer, member, admin] = <[String; 3]>::try_from(tokens).expect("three tokens");

    let secrets = Secrets::default()
        .with("BATON_SLACK_SIGNING_SECRET", SLACK_SECRET)
        .with("BATON_GITHUB_WEBHOOK_SECRET", GITHUB_SECRET)
        .with("BATON_ALERT_TOKEN", ALERT_TOKEN)
        .with("BATON_OTHER_ALERT_TOKEN", OTHER_ALERT_TOKEN);
    let app = Application::build_with_secrets(
        service,
        "127.0.0.1:0".parse().expect("an address"),
        secrets,
    )
    .await
    .expect("the server binds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let test_app = TestApp {
        address,
        client: reqwest::Client::new(),
        viewer,
        member,
        admin,
        clock,
        store,
        _dir: dir,
    };
    (app, test_app)
}

impl TestApp {
    /// A request to `path` (below the server's address), with `token` as bearer if given.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self
            .client
            .request(method, format!("{}{path}", self.address));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token))
            .json(&body)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(token))
            .json(&body)
            .send()
            .await
            .expect("the server answers")
    }

    /// Creates an inquiry for the integrations team as the member and returns it.
    pub async fn create(&self, body: Value) -> Value {
        let response = self
            .post("/api/v1/teams/integrations/inquiries", &self.member, body)
            .await;
        expect_json(response, StatusCode::CREATED).await
    }

    /// Applies `action` to inquiry `id` as the member; returns the detail.
    pub async fn act(&self, id: i64, action: &str) -> Value {
        let response = self
            .request(
                Method::POST,
                &format!("/api/v1/inquiries/{id}/{action}"),
                Some(&self.member),
            )
            .send()
            .await
            .expect("the server answers");
        expect_json(response, StatusCode::OK).await
    }
}

/// The JSON body of `response`, after checking its status.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let got = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Checks that `response` is the JSON error `{"error": {"code", "message"}}` with `status`;
/// returns the message.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> String {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = expect_json(response, status).await;
    assert_eq!(content_type, "application/json", "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"]
        .as_str()
        .expect("a message")
        .to_owned();
    assert!(!message.is_empty());
    message
}

impl TestApp {
    /// Posts `body` to the Slack events endpoint, signed as Slack signs it now.
    pub async fn slack_event(&self, body: &[u8]) -> Response {
        let ts = self.clock.now().timestamp();
        self.slack_signed("/hooks/slack/events", "application/json", body, ts)
            .await
    }

    /// Posts `body` to `path`, signed as Slack signs it at Unix time `ts`.
    pub async fn slack_signed(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
        ts: i64,
    ) -> Response {
        let signature = baton_integrations::slack::sign(SLACK_SECRET.as_bytes(), ts, body);
        self.request(Method::POST, path, None)
            .header("Content-Type", content_type)
            .header("X-Slack-Request-Timestamp", ts.to_string())
            .header("X-Slack-Signature", signature)
            .body(body.to_vec())
            .send()
            .await
            .expect("the server answers")
    }

    /// Posts a GitHub delivery of `event`, signed as GitHub signs it.
    pub async fn github(&self, event: &str, delivery: &str, body: &[u8]) -> Response {
        let signature = baton_integrations::github::sign(GITHUB_SECRET.as_bytes(), body);
        self.request(Method::POST, "/hooks/github", None)
            .header("Content-Type", "application/json")
            .header("X-GitHub-Event", event)
            .header("X-GitHub-Delivery", delivery)
            .header("X-Hub-Signature-256", signature)
            .body(body.to_vec())
            .send()
            .await
            .expect("the server answers")
    }

    /// The integrations team's inquiries, newest first, as the viewer sees them.
    pub async fn inquiries(&self) -> Vec<Value> {
        let response = self
            .get(
                "/api/v1/teams/integrations/inquiries?limit=100",
                &self.viewer,
            )
            .await;
        let body = expect_json(response, StatusCode::OK).await;
        match body {
            Value::Array(items) => items,
            other => other["inquiries"]
                .as_array()
                .or_else(|| other["items"].as_array())
                .cloned()
                .unwrap_or_else(|| panic!("a list of inquiries: {other}")),
        }
    }

    /// Inquiry `id` in detail.
    pub async fn inquiry(&self, id: i64) -> Value {
        let response = self
            .get(&format!("/api/v1/inquiries/{id}"), &self.viewer)
            .await;
        expect_json(response, StatusCode::OK).await
    }
}

/// Alert sources the example config lacks, added by [`spawn_app_with_alert_sources`]: a Grafana
/// contact point, generic JSON sources opened by [`ALERT_TOKEN`], by [`OTHER_ALERT_TOKEN`] and by
/// a variable that is not set, and a rubric rule for Grafana's `high` severity.
pub const ALERT_SOURCES: &str = r#"
[[teams.sources]]
kind = "grafana"
name = "grafana-integrations"           # the Grafana contact point
token_env = "BATON_ALERT_TOKEN"
sla = { critical = "30m", high = "2h", medium = "1d", low = "3d" }

[[teams.sources]]
kind = "generic"
name = "nightly-sync"
token_env = "BATON_ALERT_TOKEN"
sla = { critical = "1h", high = "4h", medium = "1d", low = "3d" }

[[teams.sources]]
kind = "generic"
name = "ci"
token_env = "BATON_OTHER_ALERT_TOKEN"

[[teams.sources]]
kind = "generic"
name = "deploys"
token_env = "BATON_UNSET_ALERT_TOKEN"

[[teams.rubric]]
priority = "high"
severities = ["high"]
"#;

/// [`spawn_app`] over the example config with [`ALERT_SOURCES`] added.
pub async fn spawn_app_with_alert_sources() -> TestApp {
    let text = std::fs::read_to_string(config_path()).expect("the example config") + ALERT_SOURCES;
    let config = baton_config::parse(&text, &config_path()).expect("the example config and more");
    let (app, test_app) = build_app_with(config).await;
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    test_app
}
