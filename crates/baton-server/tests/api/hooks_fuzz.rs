//! The webhook endpoints of a real server under arbitrary input: bytes, JSON, headers and
//! content types, signed properly or not, and recorded payloads with fields removed, retyped or
//! blown up, signed properly. Whatever arrives, the server
//!
//! - answers (never drops the connection) and never with a 5xx;
//! - stores a delivery exactly when it answers 2xx (a slash command, Slack's URL handshake and a
//!   duplicate are answered without one), with the raw body as sent;
//! - still answers `/healthz` and still takes a real delivery afterwards.
//!
//! One server per test function, a few hundred cases each (the whole file runs in well under
//! 30 seconds in a debug build).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use baton_store::DeliveryFilter;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

use crate::helpers::{fixture_json, spawn_app_with_alert_sources, TestApp};
use crate::hooks_limits::{Auth, Hook};

/// Cases per test function: each is one HTTP request (a few milliseconds in a debug build).
const CASES_SMALL: u32 = 1000;
const CASES_LARGE: u32 = 1500;

/// A running server and the runtime that drives it, for a synchronous property runner.
struct Fuzz {
    runtime: tokio::runtime::Runtime,
    app: TestApp,
}

/// Keys the parsers look for, so that arbitrary JSON reaches past the first field check.
const KEYS: &[&str] = &[
    "type",
    "event",
    "event_id",
    "event_time",
    "challenge",
    "team_id",
    "channel",
    "channel_type",
    "user",
    "text",
    "ts",
    "thread_ts",
    "subtype",
    "bot_id",
    "reaction",
    "item",
    "item_user",
    "action",
    "issue",
    "comment",
    "pull_request",
    "requested_team",
    "requested_reviewer",
    "label",
    "labels",
    "name",
    "slug",
    "login",
    "sender",
    "repository",
    "organization",
    "title",
    "body",
    "number",
    "html_url",
    "state",
    "receiver",
    "status",
    "alerts",
    "fingerprint",
    "startsAt",
    "endsAt",
    "annotations",
    "summary",
    "severity",
    "alertname",
    "generatorURL",
    "id",
    "link",
    "url",
    "description",
    "version",
    "groupKey",
    "truncatedAlerts",
    "values",
    "zen",
    "hook_id",
    "full_name",
    "message",
    "blocks",
    "elements",
    "usergroup_id",
];

/// Values the parsers and the routing give meaning to.
const WORDS: &[&str] = &[
    "event_callback",
    "url_verification",
    "app_rate_limited",
    "message",
    "app_mention",
    "reaction_added",
    "reaction_removed",
    "bot_message",
    "message_changed",
    "channel_join",
    "eyes",
    "white_check_mark",
    "ticket",
    "C0INTEGRAT",
    "C0CUSTSUPP",
    "U01DAVID",
    "U02ALICE",
    "<!subteam^S0INTTEAM|@integrations-team>",
    "<@U01TARAS>",
    "@integrations-team",
    "1664874847.123459",
    "opened",
    "labeled",
    "closed",
    "created",
    "review_requested",
    "team/integrations",
    "sourcegraph/integrations",
    "integrations",
    "david-dev",
    "grafana-integrations",
    "firing",
    "resolved",
    "FIRING",
    "critical",
    "high",
    "warning",
    "0001-01-01T00:00:00Z",
    "2022-10-04T09:40:00Z",
    "2022-10-04T09:40:00.123456789+02:00",
    "not a time",
    "",
    " ",
    "\u{0}",
    "é",
    "JB",
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/jsonx",
    ";",
    "",
    "multipart/form-data; boundary=--x",
];

const GITHUB_EVENTS: &[&str] = &[
    "issues",
    "issue_comment",
    "pull_request",
    "ping",
    "star",
    "push",
    "",
    "ISSUES",
];

/// Paths of generic sources that are not `nightly-sync`: another token, unknown ones. (The
/// source whose token is not set answers 503 by design: `hooks_grafana_generic` checks it.)
const OTHER_GENERIC: &[&str] = &[
    "/hooks/generic/ci",
    "/hooks/generic/unknown-source",
    "/hooks/generic/integrations",
];

/// Slack event ids and GitHub delivery ids unique in this binary, for mutated recordings.
static UNIQUE: AtomicU64 = AtomicU64::new(1);

/// One request.
#[derive(Clone)]
struct Case {
    hook: Hook,
    /// Another path than the hook's own (only for generic sources).
    path: Option<&'static str>,
    auth: Auth,
    content_type: Option<String>,
    github_event: String,
    /// Extra headers, added after the signature (they may repeat signed ones).
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

/// The body as text (lossy), so that a failing case can be read and replayed.
impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<_> = self
            .headers
            .iter()
            .map(|(n, v)| (n, String::from_utf8_lossy(v)))
            .collect();
        f.debug_struct("Case")
            .field("hook", &self.hook)
            .field("path", &self.path)
            .field("auth", &self.auth)
            .field("content_type", &self.content_type)
            .field("github_event", &self.github_event)
            .field("headers", &headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

impl Case {
    fn new(hook: Hook, auth: Auth, body: Vec<u8>) -> Self {
        Self {
            hook,
            path: None,
            auth,
            content_type: Some(hook.content_type().to_owned()),
            github_event: "issues".to_owned(),
            headers: Vec::new(),
            body,
        }
    }
}

/// `cases`, or `PROPTEST_CASES` when set (for a longer run by hand).
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        // The server's state grows with every case; shrinking replays against it, which is
        // what a real server sees too. Keep failures in the report, not in files.
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    }
}

impl Fuzz {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let app = runtime.block_on(spawn_app_with_alert_sources());
        Self { runtime, app }
    }

    fn request(&self, case: &Case) -> RequestBuilder {
        let path = case.path.unwrap_or(case.hook.path());
        let mut request = case.hook.request_at(
            path,
            &self.app,
            case.auth,
            case.content_type.as_deref(),
            &case.github_event,
            case.body.clone(),
        );
        for (name, value) in &case.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::from_bytes(value),
            ) {
                request = request.header(name, value);
            }
        }
        request
    }

    /// The newest stored delivery: its id and raw body.
    async fn newest(&self) -> Option<(i64, Vec<u8>)> {
        let filter = DeliveryFilter {
            limit: 1,
            ..DeliveryFilter::default()
        };
        let found = self
            .app
            .store
            .list_deliveries(&filter)
            .await
            .expect("the store answers");
        found.into_iter().next().map(|d| (d.id, d.body))
    }

    /// Sends `case` and checks the invariants; returns the status.
    fn check(&self, case: &Case) -> Result<StatusCode, TestCaseError> {
        self.runtime.block_on(async {
            let before = self.newest().await.map(|(id, _)| id);
            let response = self
                .request(case)
                .send()
                .await
                .map_err(|e| TestCaseError::fail(format!("no answer: {e:?}")))?;
            let status = response.status();
            let text = response
                .text()
                .await
                .map_err(|e| TestCaseError::fail(format!("the answer was cut: {e:?}")))?;
            prop_assert!(!status.is_server_error(), "{status}: {text}");
            let answer: Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {text}")))?;
            let newest = self.newest().await;
            let after = newest.as_ref().map(|(id, _)| *id);
            if !status.is_success() {
                prop_assert_eq!(after, before, "stored although refused with {}", status);
                let code = answer["error"]["code"].as_str().unwrap_or_default();
                let message = answer["error"]["message"].as_str().unwrap_or_default();
                prop_assert!(!code.is_empty() && !message.is_empty(), "{}", text);
                return Ok(status);
            }
            let handshake = case.hook == Hook::SlackEvents && answer.get("challenge").is_some();
            if !case.hook.stores() || handshake || answer["duplicate"] == true {
                prop_assert_eq!(after, before, "stored although not a delivery: {}", text);
            } else {
                prop_assert!(
                    after > before,
                    "answered {} without storing: {}",
                    status,
                    text
                );
                let (id, body) = newest.unwrap_or_default();
                prop_assert_eq!(&answer["delivery_id"], &Value::from(id), "{}", text);
                prop_assert!(
                    body == case.body,
                    "the stored body differs from the one sent"
                );
            }
            Ok(status)
        })
    }

    /// Runs `cases` of `strategy` through [`Fuzz::check`], then checks the server is well.
    fn run<S>(self, cases: u32, strategy: S)
    where
        S: Strategy<Value = Case>,
    {
        let mut runner = TestRunner::new(config(cases));
        let statuses: RefCell<BTreeMap<u16, u32>> = RefCell::default();
        let result = runner.run(&strategy, |case| {
            let status = self.check(&case)?;
            *statuses.borrow_mut().entry(status.as_u16()).or_default() += 1;
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        // What the cases reached, for whoever tunes the strategies (`--nocapture`).
        println!("answers by status: {:?}", statuses.borrow());
        self.runtime.block_on(async {
            let health = self
                .app
                .client
                .get(format!("{}/healthz", self.app.address))
                .send()
                .await
                .expect("the server still answers");
            assert_eq!(health.status(), StatusCode::OK);
            // And still takes a real delivery.
            let body = br#"{"title": "after the storm", "id": "after-the-storm"}"#.to_vec();
            let case = Case::new(Hook::Generic, Auth::Valid, body);
            let response = self.request(&case).send().await.expect("an answer");
            assert_eq!(response.status(), StatusCode::OK);
        });
    }
}

fn hook() -> impl Strategy<Value = Hook> {
    select(Hook::ALL.to_vec())
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        4 => Just(Auth::Valid),
        1 => Just(Auth::QueryToken),
        1 => Just(Auth::Wrong),
        1 => Just(Auth::Missing),
        1 => Just(Auth::Stale),
    ]
}

/// The hook's own content type mostly; sometimes none, another known one, or printable junk.
fn content_type(hook: Hook) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(Some(hook.content_type().to_owned())),
        1 => Just(None),
        2 => select(CONTENT_TYPES).prop_map(|c| Some(c.to_owned())),
        1 => "[ -~]{0,40}".prop_map(Some),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(WORDS).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => "[0-9]{1,12}(\\.[0-9]{1,6})?",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => select(KEYS).prop_map(str::to_owned), 1 => any::<String>()]
}

/// Arbitrary JSON, with keys and strings the parsers care about.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A JSON object shaped like one sender's envelope, with arbitrary contents.
fn envelope() -> impl Strategy<Value = Value> {
    prop::collection::vec((select(KEYS), json()), 1..10).prop_map(|fields| {
        Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    })
}

/// Extra headers: names senders use and invented ones, values of any legal bytes.
fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let name = prop_oneof![
        select(vec![
            "x-slack-retry-num",
            "x-slack-retry-reason",
            "x-slack-request-timestamp",
            "x-slack-signature",
            "x-github-event",
            "x-github-delivery",
            "x-hub-signature-256",
            "authorization",
            "content-type",
            "content-encoding",
            "accept",
            "cookie",
            "x-forwarded-for",
        ])
        .prop_map(str::to_owned),
        "x-[a-z0-9-]{1,20}",
    ];
    let byte = prop_oneof![0x20_u8..0x7f, 0x80_u8..=0xff, Just(b'\t')];
    let value = prop_oneof![
        3 => prop::collection::vec(byte, 0..60),
        1 => select(WORDS).prop_map(|w| w.as_bytes().to_vec()),
        1 => (0_i64..2_000_000_000).prop_map(|n| n.to_string().into_bytes()),
    ];
    prop::collection::vec((name, value), 0..5)
}

fn path(hook: Hook) -> impl Strategy<Value = Option<&'static str>> {
    if hook == Hook::Generic {
        prop_oneof![3 => Just(None), 1 => select(OTHER_GENERIC).prop_map(Some)].boxed()
    } else {
        Just(None).boxed()
    }
}

#[test]
fn arbitrary_bytes_never_break_a_hook() {
    let strategy = hook().prop_flat_map(|hook| {
        let bytes = prop_oneof![
            3 => prop::collection::vec(any::<u8>(), 0..2048),
            1 => prop::collection::vec(any::<u8>(), 0..512).prop_map(|mut b| {
                b.insert(0, b'{');
                b
            }),
        ];
        (
            Just(hook),
            path(hook),
            auth(),
            content_type(hook),
            select(GITHUB_EVENTS),
            bytes,
        )
            .prop_map(|(hook, path, auth, content_type, event, body)| Case {
                path,
                content_type,
                github_event: event.to_owned(),
                ..Case::new(hook, auth, body)
            })
    });
    Fuzz::start().run(CASES_SMALL, strategy);
}

#[test]
fn arbitrary_json_never_breaks_a_hook() {
    let strategy = hook().prop_flat_map(|hook| {
        let value = prop_oneof![1 => json(), 3 => envelope()];
        (Just(hook), path(hook), auth(), select(GITHUB_EVENTS), value).prop_map(
            |(hook, path, auth, event, value)| Case {
                path,
                github_event: event.to_owned(),
                ..Case::new(hook, auth, value.to_string().into_bytes())
            },
        )
    });
    Fuzz::start().run(CASES_LARGE, strategy);
}

#[test]
fn arbitrary_headers_and_content_types_never_break_a_hook() {
    let strategy = hook().prop_flat_map(|hook| {
        (
            Just(hook),
            auth(),
            content_type(hook),
            select(GITHUB_EVENTS),
            headers(),
        )
            .prop_map(|(hook, auth, content_type, event, headers)| Case {
                content_type,
                github_event: event.to_owned(),
                headers,
                ..Case::new(hook, auth, hook.valid_body())
            })
    });
    Fuzz::start().run(CASES_SMALL, strategy);
}

/// The recorded payloads, each with the endpoint it goes to and (for GitHub) its event.
fn recordings() -> Vec<(Hook, &'static str, Value)> {
    let mut out = Vec::new();
    for file in [
        "app_mention",
        "member_joined_channel",
        "message_bot_message",
        "message_changed",
        "message_channel",
        "message_channel_join",
        "message_subteam_mention",
        "message_thread_reply",
        "reaction_added",
        "reaction_removed",
        "url_verification",
    ] {
        let value = fixture_json(&format!("slack/{file}.json"));
        out.push((Hook::SlackEvents, "", value));
    }
    for (file, event) in [
        ("issue_comment_created_by_member", "issue_comment"),
        ("issue_comment_created_team_mention", "issue_comment"),
        ("issues_closed", "issues"),
        ("issues_labeled", "issues"),
        ("issues_opened", "issues"),
        ("ping", "ping"),
        ("pull_request_review_requested_team", "pull_request"),
        ("pull_request_review_requested_user", "pull_request"),
        ("star_created", "star"),
    ] {
        let value = fixture_json(&format!("github/{file}.json"));
        out.push((Hook::Github, event, value));
    }
    for file in ["firing", "resolved"] {
        out.push((
            Hook::Alertmanager,
            "",
            fixture_json(&format!("alertmanager/{file}.json")),
        ));
        let mut grafana = fixture_json(&format!("grafana/{file}.json"));
        grafana["receiver"] = "grafana-integrations".into();
        out.push((Hook::Grafana, "", grafana));
    }
    out.push((
        Hook::Generic,
        "",
        serde_json::json!({
            "title": "Nightly marketplace sync failed", "body": "exit 3", "severity": "high",
            "link": "https://ci.example/runs/7", "id": "nightly", "status": "firing",
            "labels": {"job": "sync"}
        }),
    ));
    out
}

/// Every path to a value inside `value` (object keys and array indices), the root excluded.
fn paths(value: &Value) -> Vec<Vec<PathStep>> {
    fn walk(value: &Value, at: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    at.push(PathStep::Key(k.clone()));
                    out.push(at.clone());
                    walk(v, at, out);
                    at.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    at.push(PathStep::Index(i));
                    out.push(at.clone());
                    walk(v, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

/// What happens to the field at a path.
#[derive(Clone, Debug)]
enum Mutation {
    Remove,
    Replace(Value),
    /// A string of this many characters (up to a few hundred KB: under the body limit).
    Huge(usize, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::Remove),
        5 => json().prop_map(Mutation::Replace),
        1 => (1_000_usize..250_000, any::<char>()).prop_map(|(n, c)| Mutation::Huge(n, c)),
    ]
}

fn apply(value: &mut Value, path: &[PathStep], mutation: &Mutation) {
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    let mut parent = value;
    for step in parent_path {
        let next = match (step, parent) {
            (PathStep::Key(k), Value::Object(map)) => map.get_mut(k),
            (PathStep::Index(i), Value::Array(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(next) => parent = next,
            // An earlier mutation removed or retyped a parent: nothing to do.
            None => return,
        }
    }
    let replacement = match mutation {
        Mutation::Remove => None,
        Mutation::Replace(v) => Some(v.clone()),
        Mutation::Huge(n, c) => Some(Value::String(std::iter::repeat_n(*c, *n).collect())),
    };
    match (last, parent, replacement) {
        (PathStep::Key(k), Value::Object(map), None) => {
            map.remove(k);
        }
        (PathStep::Key(k), Value::Object(map), Some(v)) => {
            map.insert(k.clone(), v);
        }
        (PathStep::Index(i), Value::Array(items), None) if *i < items.len() => {
            items.remove(*i);
        }
        (PathStep::Index(i), Value::Array(items), Some(v)) if *i < items.len() => {
            items[*i] = v;
        }
        _ => {}
    }
}

#[test]
fn mutated_recordings_signed_properly_never_break_a_hook() {
    let recordings = recordings();
    let strategy = (0..recordings.len()).prop_flat_map(move |i| {
        let (hook, event, value) = recordings[i].clone();
        let paths = paths(&value);
        let edits = prop::collection::vec((select(paths), mutation()), 1..4);
        (Just(hook), Just(event), Just(value), edits).prop_map(|(hook, event, mut value, edits)| {
            // Fresh ids, so that a mutated recording is not answered as a duplicate of the
            // last one without being read.
            if hook == Hook::SlackEvents && value.get("event_id").is_some() {
                let n = UNIQUE.fetch_add(1, Ordering::Relaxed);
                value["event_id"] = format!("Ev0FUZZ{n:08}").into();
            }
            for (path, mutation) in &edits {
                apply(&mut value, path, mutation);
            }
            Case {
                github_event: event.to_owned(),
                ..Case::new(hook, Auth::Valid, value.to_string().into_bytes())
            }
        })
    });
    Fuzz::start().run(CASES_LARGE, strategy);
}

/// Inputs the properties above once found wrong, kept as plain tests.
mod found {
    use reqwest::StatusCode;
    use serde_json::Value;

    use crate::helpers::{expect_json, fixture_json, spawn_app_with_alert_sources, TestApp};
    use crate::hooks_limits::{deliveries, Hook};

    async fn deliver(app: &TestApp, hook: Hook, body: &Value) -> Value {
        let response = hook
            .signed(app, body.to_string().into_bytes())
            .send()
            .await
            .expect("an answer");
        expect_json(response, StatusCode::OK).await
    }

    #[tokio::test]
    async fn a_slack_event_of_a_blank_type_is_kept_as_having_none() {
        let app = spawn_app_with_alert_sources().await;
        let mut body = fixture_json("slack/app_mention.json");
        body["event"]["type"] = "\t\t\t".into();
        let answer = deliver(&app, Hook::SlackEvents, &body).await;
        assert_eq!(answer["duplicate"], false, "{answer}");
        let stored = deliveries(&app).await;
        assert_eq!(stored.len(), 1, "{stored:?}");
        assert_eq!(stored[0]["kind"], "(no type)");
        assert!(app.inquiries().await.is_empty());
    }

    #[tokio::test]
    async fn a_slack_request_of_an_unknown_type_is_kept() {
        let app = spawn_app_with_alert_sources().await;
        let body = serde_json::json!({
            "token": "verification-token-placeholder",
            "team_id": "T0SRCGRAPH",
            "minute_rate_limited": 1664878000,
            "api_app_id": "A0BATONAPP",
            "type": "app_rate_limited"
        });
        let answer = deliver(&app, Hook::SlackEvents, &body).await;
        let outcome = answer["outcome"].as_str().expect("an outcome");
        assert_eq!(outcome, "ignored: request type app_rate_limited");
        let stored = deliveries(&app).await;
        assert_eq!(stored.len(), 1, "{stored:?}");
        assert_eq!(stored[0]["kind"], "app_rate_limited");
        assert_eq!(stored[0]["outcome"], outcome);
    }

    #[tokio::test]
    async fn a_giant_event_id_still_makes_a_repeat_a_duplicate() {
        let app = spawn_app_with_alert_sources().await;
        let mut body = fixture_json("slack/message_channel.json");
        body["event_id"] = "Ev".repeat(5_000).into();
        let first = deliver(&app, Hook::SlackEvents, &body).await;
        assert_eq!(first["duplicate"], false, "{first}");
        let again = deliver(&app, Hook::SlackEvents, &body).await;
        assert_eq!(again["duplicate"], true, "{again}");
        let stored = deliveries(&app).await;
        assert_eq!(stored.len(), 1);
        let key = stored[0]["key"].as_str().expect("a key");
        assert!(key.starts_with("slack:sha256:") && key.len() < 100, "{key}");
        assert_eq!(app.inquiries().await.len(), 1);
    }
}
