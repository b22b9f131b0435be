//! What every webhook endpoint refuses before anything is stored: a body over the size limit
//! (413), a content type the sender does not use (415), a body that is not JSON or form data
//! of the sender's shape (400). Each request is otherwise authentic (signed or with its token),
//! so the refusal is for the reason under test.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use baton_server::error::BODY_LIMIT;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

use crate::helpers::{
    expect_error, expect_json, fixture, fixture_json, spawn_app_with_alert_sources, TestApp,
    ALERT_TOKEN, GITHUB_SECRET, SLACK_SECRET,
};

/// One webhook endpoint, with what it takes to be authentic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    SlackEvents,
    SlackCommands,
    Github,
    Alertmanager,
    Grafana,
    Generic,
}

/// How a test request authenticates itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// As the real sender: signed with the test secret now, or the source's bearer token.
    Valid,
    /// The token in `?token=` (alert endpoints; the others are signed as with `Valid`).
    QueryToken,
    /// Signed with another secret, or another token.
    Wrong,
    /// No signature or token at all.
    Missing,
    /// Signed correctly but ten minutes ago (Slack), or a malformed signature header (GitHub),
    /// or a scheme other than Bearer (alerts).
    Stale,
}

/// The GitHub delivery ids of test requests: unique within the test binary.
static DELIVERY: AtomicU64 = AtomicU64::new(1);

impl Hook {
    pub const ALL: [Hook; 6] = [
        Hook::SlackEvents,
        Hook::SlackCommands,
        Hook::Github,
        Hook::Alertmanager,
        Hook::Grafana,
        Hook::Generic,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Hook::SlackEvents => "/hooks/slack/events",
            Hook::SlackCommands => "/hooks/slack/commands",
            Hook::Github => "/hooks/github",
            Hook::Alertmanager => "/hooks/alertmanager",
            Hook::Grafana => "/hooks/grafana",
            Hook::Generic => "/hooks/generic/nightly-sync",
        }
    }

    /// The content type the real sender uses.
    pub fn content_type(self) -> &'static str {
        match self {
            Hook::SlackCommands => "application/x-www-form-urlencoded",
            _ => "application/json",
        }
    }

    /// Whether an accepted request is a delivery that is stored (a slash command is answered,
    /// not stored).
    pub fn stores(self) -> bool {
        self != Hook::SlackCommands
    }

    /// A recorded body this endpoint accepts.
    pub fn valid_body(self) -> Vec<u8> {
        match self {
            Hook::SlackEvents => fixture("slack/message_channel.json"),
            Hook::SlackCommands => fixture("slack/slash_command_who.form"),
            Hook::Github => fixture("github/issues_opened.json"),
            Hook::Alertmanager => fixture("alertmanager/firing.json"),
            Hook::Grafana => {
                let mut body = fixture_json("grafana/firing.json");
                body["receiver"] = "grafana-integrations".into();
                body.to_string().into_bytes()
            }
            Hook::Generic => br#"{"title": "Nightly marketplace sync failed", "id": 7}"#.to_vec(),
        }
    }

    /// The recorded JSON body this endpoint accepts, or `None` for slash commands.
    pub fn valid_json(self) -> Option<Value> {
        (self != Hook::SlackCommands)
            .then(|| serde_json::from_slice(&self.valid_body()).expect("a JSON fixture"))
    }

    /// A POST of `body` to this endpoint, authenticated as `auth` says, with `content_type`
    /// (none when `None`) and, for GitHub, `X-GitHub-Event: event`.
    pub fn request(
        self,
        app: &TestApp,
        auth: Auth,
        content_type: Option<&str>,
        event: &str,
        body: Vec<u8>,
    ) -> RequestBuilder {
        self.request_at(self.path(), app, auth, content_type, event, body)
    }

    /// Like [`Hook::request`], to `path` (another generic source, say).
    pub fn request_at(
        self,
        path: &str,
        app: &TestApp,
        auth: Auth,
        content_type: Option<&str>,
        event: &str,
        body: Vec<u8>,
    ) -> RequestBuilder {
        let path = match (self, auth) {
            (Hook::Alertmanager | Hook::Grafana | Hook::Generic, Auth::QueryToken) => {
                format!("{path}?token={ALERT_TOKEN}")
            }
            _ => path.to_owned(),
        };
        let mut request = app.request(Method::POST, &path, None);
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let now = app.clock.now().timestamp();
        match self {
            Hook::SlackEvents | Hook::SlackCommands => {
                let (secret, ts): (&[u8], i64) = match auth {
                    Auth::Wrong => (b"not-the-signing-secret", now),
                    Auth::Stale => (SLACK_SECRET.as_bytes(), now - 600),
                    _ => (SLACK_SECRET.as_bytes(), now),
                };
                if auth != Auth::Missing {
                    let signature = baton_integrations::slack::sign(secret, ts, &body);
                    request = request
                        .header("X-Slack-Request-Timestamp", ts.to_string())
                        .header("X-Slack-Signature", signature);
                }
            }
            Hook::Github => {
                let delivery = DELIVERY.fetch_add(1, Ordering::Relaxed);
                request = request
                    .header("X-GitHub-Event", event)
                    .header("X-GitHub-Delivery", format!("test-delivery-{delivery}"));
                let signature = match auth {
                    Auth::Missing => None,
                    Auth::Wrong => Some(baton_integrations::github::sign(b"guessed", &body)),
                    Auth::Stale => Some("sha1=0123456789abcdef".to_owned()),
                    _ => Some(baton_integrations::github::sign(
                        GITHUB_SECRET.as_bytes(),
                        &body,
                    )),
                };
                if let Some(signature) = signature {
                    request = request.header("X-Hub-Signature-256", signature);
                }
            }
            Hook::Alertmanager | Hook::Grafana | Hook::Generic => match auth {
                Auth::Valid => request = request.bearer_auth(ALERT_TOKEN),
                Auth::Wrong => request = request.bearer_auth("not-the-alert-token"),
                Auth::Stale => {
                    request = request.header("Authorization", format!("Token {ALERT_TOKEN}"))
                }
                Auth::QueryToken | Auth::Missing => {}
            },
        }
        request.body(body)
    }

    /// A POST of `body` with the sender's content type, authentic.
    pub fn signed(self, app: &TestApp, body: Vec<u8>) -> RequestBuilder {
        self.request(app, Auth::Valid, Some(self.content_type()), "issues", body)
    }
}

/// Every stored delivery, newest first, as the admin lists them.
pub async fn deliveries(app: &TestApp) -> Vec<Value> {
    let listed = app.get("/api/v1/deliveries?limit=1000", &app.admin).await;
    match expect_json(listed, StatusCode::OK).await {
        Value::Array(items) => items,
        other => panic!("a list of deliveries: {other}"),
    }
}

/// Checks that nothing was stored: no delivery, no inquiry.
async fn assert_nothing_stored(app: &TestApp) {
    assert_eq!(deliveries(app).await, Vec::<Value>::new());
    assert!(app.inquiries().await.is_empty());
}

/// `body` padded to exactly `len` bytes with what the format ignores: trailing whitespace for
/// JSON, an unknown field for a form.
fn padded(hook: Hook, mut body: Vec<u8>, len: usize) -> Vec<u8> {
    if hook == Hook::SlackCommands {
        body.extend_from_slice(b"&padding=");
        body.resize(len, b'a');
    } else {
        body.resize(len, b' ');
    }
    assert_eq!(body.len(), len);
    body
}

/// Sends `head` and then `chunks` as a chunked body over a raw connection, and returns the
/// status code of the answer (`None` if the connection was dropped without one). The sending
/// may be cut short by the server: it answers as soon as the limit is crossed.
fn raw_chunked(address: &str, head: &str, chunks: usize, chunk: &[u8]) -> Option<u16> {
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("a connection");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("a timeout");
    let mut writer = stream.try_clone().expect("a second handle");
    let head = head.to_owned();
    let chunk = chunk.to_vec();
    let sending = std::thread::spawn(move || -> std::io::Result<()> {
        writer.write_all(head.as_bytes())?;
        for _ in 0..chunks {
            writer.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
            writer.write_all(&chunk)?;
            writer.write_all(b"\r\n")?;
        }
        writer.write_all(b"0\r\n\r\n")
    });
    let mut answer = Vec::new();
    let mut buf = [0_u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    // The writer may have been cut off by the server's answer: that is expected.
    let _ = sending.join();
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_on_every_hook_and_nothing_is_stored() {
    let app = spawn_app_with_alert_sources().await;
    for hook in Hook::ALL {
        let body = padded(hook, hook.valid_body(), BODY_LIMIT + 1);
        let response = hook.signed(&app, body).send().await;
        let response = response.unwrap_or_else(|e| panic!("{hook:?}: no answer: {e}"));
        let message =
            expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
        assert!(!message.is_empty());

        // Far over the limit and without authentication: the size is refused first.
        let huge = padded(hook, hook.valid_body(), 8 * BODY_LIMIT);
        let response = hook
            .request(
                &app,
                Auth::Missing,
                Some(hook.content_type()),
                "issues",
                huge,
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{hook:?}: no answer: {e}"));
        expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    }
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_on_every_hook() {
    let app = spawn_app_with_alert_sources().await;
    let address = app.address.clone();
    for hook in Hook::ALL {
        // No Content-Length: the limit is found while reading. 64 KiB chunks, 1.5 MiB in all.
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nAuthorization: Bearer {ALERT_TOKEN}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            hook.path(),
            address.trim_start_matches("http://"),
            hook.content_type(),
        );
        let address = address.clone();
        let status = tokio::task::spawn_blocking(move || {
            raw_chunked(&address, &head, 24, &[b' '; 64 * 1024])
        })
        .await
        .expect("the sender thread");
        assert_eq!(status, Some(413), "{hook:?}");
    }
    assert_nothing_stored(&app).await;
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await;
    assert_eq!(health.expect("an answer").status(), StatusCode::OK);
}

#[tokio::test]
async fn a_body_at_the_limit_is_accepted_on_every_hook() {
    let app = spawn_app_with_alert_sources().await;
    for hook in Hook::ALL {
        let body = padded(hook, hook.valid_body(), BODY_LIMIT);
        let response = hook.signed(&app, body.clone()).send().await.unwrap();
        let answer = expect_json(response, StatusCode::OK).await;
        if hook.stores() {
            assert_eq!(answer["duplicate"], false, "{hook:?}: {answer}");
            let stored = app
                .store
                .list_deliveries(&baton_store::DeliveryFilter {
                    limit: 1,
                    ..Default::default()
                })
                .await
                .expect("the deliveries");
            assert_eq!(answer["delivery_id"], stored[0].id, "{hook:?}");
            assert_eq!(stored[0].body, body, "{hook:?}: the raw body is kept");
        } else {
            assert!(
                answer["text"].as_str().is_some_and(|t| !t.is_empty()),
                "{answer}"
            );
        }
    }
    assert_eq!(deliveries(&app).await.len(), 5);
}

#[tokio::test]
async fn a_wrong_content_type_is_415_on_every_hook_and_nothing_is_stored() {
    let app = spawn_app_with_alert_sources().await;
    for hook in Hook::ALL {
        let other = match hook {
            Hook::SlackCommands => "application/json",
            _ => "application/x-www-form-urlencoded",
        };
        for content_type in [
            None,
            Some("text/plain"),
            Some(other),
            Some("application/json-seq"),
            Some("multipart/form-data; boundary=xyz"),
            Some(""),
        ] {
            let response = hook
                .request(&app, Auth::Valid, content_type, "issues", hook.valid_body())
                .send()
                .await
                .unwrap();
            let message = expect_error(
                response,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            )
            .await;
            assert!(
                message.contains(hook.content_type()),
                "{hook:?} {content_type:?}: {message}"
            );
        }
    }
    assert_nothing_stored(&app).await;

    // Parameters and case do not matter.
    for hook in Hook::ALL {
        let content_type = format!("{}; charset=utf-8", hook.content_type().to_uppercase());
        let response = hook
            .request(
                &app,
                Auth::Valid,
                Some(&content_type),
                "issues",
                hook.valid_body(),
            )
            .send()
            .await
            .unwrap();
        expect_json(response, StatusCode::OK).await;
    }
}

#[tokio::test]
async fn a_malformed_body_is_400_on_every_hook_and_nothing_is_stored() {
    let app = spawn_app_with_alert_sources().await;
    for hook in Hook::ALL {
        let valid = hook.valid_body();
        let mut bodies: Vec<Vec<u8>> = vec![Vec::new(), b"   ".to_vec()];
        if hook == Hook::SlackCommands {
            // Form data that is not a slash command: no `command`, no user, no channel.
            bodies.push(b"text=who".to_vec());
            bodies.push(b"%%%&&&===".to_vec());
            bodies.push(b"{\"command\": \"/baton\"}".to_vec());
        } else {
            bodies.push(valid[..valid.len() / 2].to_vec());
            bodies.push(b"{\"title\": \"\xff\xfe\"}".to_vec());
            bodies.push(b"[1, 2, 3]".to_vec());
            bodies.push(b"\"a string\"".to_vec());
            bodies.push(b"null".to_vec());
            bodies.push(b"{} {}".to_vec());
            bodies.push(b"token=x&text=who".to_vec());
        }
        for body in bodies {
            let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned();
            let response = hook.signed(&app, body).send().await.unwrap();
            let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
            assert!(!message.is_empty(), "{hook:?} {shown:?}");
        }
    }
    // The recorded bodies with a field of the wrong type.
    for hook in Hook::ALL {
        let Some(mut body) = hook.valid_json() else {
            continue;
        };
        let field = match hook {
            Hook::SlackEvents => "event",
            Hook::Github => "issue",
            Hook::Alertmanager | Hook::Grafana => "alerts",
            _ => "title",
        };
        body[field] = Value::from(3);
        let response = hook
            .signed(&app, body.to_string().into_bytes())
            .send()
            .await
            .unwrap();
        let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        // The message names the payload, then what is wrong with it.
        let what = match hook {
            Hook::SlackEvents => "Slack event",
            Hook::Github => "GitHub issues payload",
            Hook::Alertmanager => "Alertmanager webhook",
            Hook::Grafana => "Grafana webhook",
            _ => "generic alert",
        };
        assert!(
            message.starts_with(&format!("{what}: ")),
            "{hook:?}: {message}"
        );
    }
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn deeply_nested_json_is_answered_and_the_server_stays_up() {
    let app = spawn_app_with_alert_sources().await;
    let nested = "[".repeat(100_000) + &"]".repeat(100_000);
    for hook in Hook::ALL {
        let Some(valid) = hook.valid_json() else {
            continue;
        };
        // In a field baton reads: refused as malformed.
        let field = match hook {
            Hook::SlackEvents => "event",
            Hook::Github => "issue",
            Hook::Alertmanager | Hook::Grafana => "alerts",
            _ => "title",
        };
        let mut text = valid.clone();
        text[field] = "NESTED".into();
        let body = text.to_string().replace("\"NESTED\"", &nested);
        let response = hook.signed(&app, body.into_bytes()).send().await.unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;

        // In a field baton ignores: valid JSON, so the delivery is taken and kept.
        let mut text = valid;
        text["x-nested"] = "NESTED".into();
        if hook == Hook::SlackEvents {
            text["event_id"] = "Ev0NESTED01".into();
        }
        let body = text.to_string().replace("\"NESTED\"", &nested);
        let response = hook.signed(&app, body.into_bytes()).send().await.unwrap();
        let answer = expect_json(response, StatusCode::OK).await;
        assert_eq!(answer["duplicate"], false, "{hook:?}: {answer}");
    }
    assert_eq!(deliveries(&app).await.len(), 5);
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await;
    assert_eq!(health.expect("an answer").status(), StatusCode::OK);
}

#[tokio::test]
async fn a_huge_text_in_a_delivery_is_cut_in_the_inquiry_and_kept_whole_in_the_delivery() {
    let app = spawn_app_with_alert_sources().await;
    // 300 000 bytes: under the request limit, over what an inquiry's body may hold (256 KiB).
    let huge = "é".repeat(150_000);
    let mut failed = Vec::new();
    for hook in Hook::ALL {
        let Some(mut body) = hook.valid_json() else {
            continue;
        };
        match hook {
            Hook::SlackEvents => body["event"]["text"] = huge.clone().into(),
            Hook::Github => body["issue"]["body"] = huge.clone().into(),
            Hook::Alertmanager | Hook::Grafana => {
                body["alerts"][0]["annotations"]["description"] = huge.clone().into()
            }
            _ => body["body"] = huge.clone().into(),
        }
        let sent = body.to_string().into_bytes();
        let response = hook.signed(&app, sent.clone()).send().await.unwrap();
        if response.status() != StatusCode::OK {
            let status = response.status();
            failed.push(format!(
                "{hook:?}: {status} {}",
                response.text().await.unwrap()
            ));
            continue;
        }
        let answer = expect_json(response, StatusCode::OK).await;
        let id = answer["inquiries"][0]
            .as_i64()
            .unwrap_or_else(|| panic!("{hook:?}: no inquiry: {answer}"));
        let inquiry = app.inquiry(id).await;
        let text = inquiry["body"].as_str().expect("a body");
        assert!(text.len() <= 256 * 1024, "{hook:?}: {} bytes", text.len());
        assert!(text.contains("éééé"), "{hook:?}");
        let stored = app
            .store
            .list_deliveries(&baton_store::DeliveryFilter {
                limit: 1,
                ..Default::default()
            })
            .await
            .expect("the deliveries");
        assert_eq!(stored[0].body, sent, "{hook:?}: the raw body is kept whole");
    }
    assert!(failed.is_empty(), "refused: {failed:#?}");
}
