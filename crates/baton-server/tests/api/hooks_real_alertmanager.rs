//! A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) pointed at baton: an
//! alert posted to Alertmanager becomes an inquiry for whoever is on duty, and resolving it in
//! Alertmanager resolves the inquiry.
//!
//! Without the binary the test is skipped with a message, except in CI (`CI` set), where it
//! fails: `.ci/run` installs it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::{expect_json, spawn_app, TestApp, ALERT_TOKEN};

const BINARY: &str = "prometheus-alertmanager";

/// How long Alertmanager gets to become ready and to notify baton, each time.
const PATIENCE: Duration = Duration::from_secs(30);

/// The Alertmanager binary on `PATH` (or in `/usr/bin`), if installed.
fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(BINARY))
        .find(|candidate| candidate.is_file())
}

/// A running Alertmanager, killed when dropped.
struct Alertmanager {
    child: Child,
    url: String,
    dir: TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free at the time of asking.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Alertmanager {
    /// Starts `binary` with one receiver, `integrations`, whose webhook is baton's
    /// `/hooks/alertmanager` with the alert token as bearer credentials.
    async fn start(binary: &Path, baton: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = format!(
            r#"global:
  resolve_timeout: 1m
route:
  receiver: integrations
  group_by: ["alertname"]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: integrations
    webhook_configs:
      - url: "{baton}/hooks/alertmanager"
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: "{ALERT_TOKEN}"
"#
        );
        let config_path = dir.path().join("alertmanager.yml");
        std::fs::write(&config_path, config).expect("the config is written");
        let storage = dir.path().join("data");
        let log = std::fs::File::create(dir.path().join("alertmanager.log")).expect("a log file");
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.path={}", storage.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .arg("--log.level=debug")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        let alertmanager = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        alertmanager.wait_ready().await;
        alertmanager
    }

    /// What Alertmanager logged so far, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("alertmanager.log")).unwrap_or_default()
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + PATIENCE;
        loop {
            let ready = client.get(format!("{}/-/ready", self.url)).send().await;
            if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Alertmanager did not become ready:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Posts `alerts` to Alertmanager's API, as Prometheus does.
    async fn post(&self, alerts: Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&alerts)
            .send()
            .await
            .expect("Alertmanager answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::OK, "{text}\n{}", self.log());
    }

    /// The fingerprint Alertmanager gave the alert named `name`.
    async fn fingerprint(&self, name: &str) -> String {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v2/alerts", self.url))
            .send()
            .await
            .expect("Alertmanager answers");
        let alerts = expect_json(response, StatusCode::OK).await;
        alerts
            .as_array()
            .and_then(|all| all.iter().find(|a| a["labels"]["alertname"] == name))
            .and_then(|a| a["fingerprint"].as_str())
            .unwrap_or_else(|| panic!("no alert {name} in {alerts}"))
            .to_owned()
    }
}

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("an instant: {v}"))
}

/// Polls baton until `found` picks an inquiry, for at most [`PATIENCE`].
async fn wait_for(
    app: &TestApp,
    alertmanager: &Alertmanager,
    what: &str,
    found: impl Fn(&[Value]) -> Option<Value>,
) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let inquiries = app.inquiries().await;
        if let Some(inquiry) = found(&inquiries) {
            return inquiry;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} after {PATIENCE:?}; inquiries: {inquiries:?}\nAlertmanager's log:\n{}",
            alertmanager.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_alert_in_a_real_alertmanager_becomes_an_inquiry_and_its_resolution_resolves_it() {
    let Some(binary) = binary() else {
        let in_ci = std::env::var("CI").is_ok_and(|ci| !ci.is_empty());
        assert!(
            !in_ci,
            "{BINARY} is required in CI (Debian package prometheus-alertmanager)"
        );
        eprintln!("skipping the real Alertmanager test: {BINARY} is not installed");
        return;
    };
    let app = spawn_app().await;
    let alertmanager = Alertmanager::start(&binary, &app.address).await;

    // Alertmanager's times are real ones; baton's clock is the test's (5 October 2022).
    let name = "JetBrainsPluginSignInFailures";
    let starts_at = Utc::now() - chrono::Duration::minutes(2);
    let alert = |ends_at: Option<chrono::DateTime<Utc>>| {
        let mut alert = json!({
            "labels": {"alertname": name, "severity": "critical", "team": "integrations"},
            "annotations": {
                "summary": "JetBrains plugin sign-in failures above 20 per 15 minutes",
                "description": "38 sign-in failures in the last 15 minutes.",
                "runbook_url": "https://docs.sourcegraph.example/runbooks/jetbrains-sign-in"
            },
            "startsAt": starts_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=jetbrains_sign_in_failures"
        });
        if let Some(ends_at) = ends_at {
            alert["endsAt"] = ends_at.to_rfc3339_opts(SecondsFormat::Millis, true).into();
        }
        json!([alert])
    };
    alertmanager.post(alert(None)).await;
    let fingerprint = alertmanager.fingerprint(name).await;
    let wanted = format!("alert:integrations:{fingerprint}");

    let inquiry = wait_for(&app, &alertmanager, "inquiry for the alert", |all| {
        all.iter()
            .find(|i| i["external_ref"] == wanted.as_str())
            .cloned()
    })
    .await;
    let on_call = app
        .get("/api/v1/teams/integrations/oncall", &app.viewer)
        .await;
    let on_call = expect_json(on_call, StatusCode::OK).await;
    assert_eq!(on_call["shift"]["member"], "david", "{on_call}");
    assert_eq!(inquiry["assignee"], on_call["shift"]["member"], "{inquiry}");
    assert_eq!(inquiry["state"], "new");
    assert_eq!(inquiry["source"], "integrations");
    assert_eq!(
        inquiry["title"],
        "JetBrains plugin sign-in failures above 20 per 15 minutes"
    );
    assert_eq!(inquiry["severity"], "critical");
    assert_eq!(inquiry["suggested_priority"], "critical");
    assert_eq!(
        inquiry["link"],
        "http://prometheus.example:9090/graph?g0.expr=jetbrains_sign_in_failures"
    );
    // The alert started "now" by Alertmanager's clock, years after baton's test clock: a
    // sender's time ahead of baton's is not taken, so it arrived at baton's now.
    assert_eq!(instant(&inquiry["received_at"]), app.clock.now());
    // Critical: 30 minutes of David's working time, from 09:00 in New York (13:00 UTC).
    assert_eq!(
        instant(&inquiry["first_response_due"]),
        crate::helpers::berlin(2022, 10, 5, 15, 30)
    );

    // Resolved in Alertmanager: Alertmanager sends the resolution, baton resolves the inquiry.
    alertmanager
        .post(alert(Some(Utc::now() - chrono::Duration::seconds(1))))
        .await;
    let resolved = wait_for(&app, &alertmanager, "resolved inquiry", |all| {
        all.iter()
            .find(|i| i["external_ref"] == wanted.as_str() && i["state"] == "resolved")
            .cloned()
    })
    .await;
    assert_eq!(resolved["id"], inquiry["id"]);
    // Alertmanager's `endsAt` is ahead of baton's clock too: resolved at baton's now.
    assert_eq!(instant(&resolved["resolved_at"]), app.clock.now());
    assert_eq!(app.inquiries().await.len(), 1, "one inquiry per alert");

    // Each notification is kept as Alertmanager sent it, without its credentials.
    let deliveries = app
        .get("/api/v1/deliveries?provider=alertmanager", &app.admin)
        .await;
    let deliveries = expect_json(deliveries, StatusCode::OK).await;
    let deliveries = deliveries.as_array().expect("a list");
    assert!(deliveries.len() >= 2, "{deliveries:?}");
    assert_eq!(deliveries[0]["kind"], "alert.resolved");
    for delivery in deliveries {
        assert_eq!(delivery["team"], "integrations", "{delivery}");
        let agent = delivery["headers"]["user-agent"]
            .as_str()
            .unwrap_or_default();
        assert!(agent.starts_with("Alertmanager/"), "{delivery}");
        assert!(delivery["headers"].get("authorization").is_none());
    }
}
