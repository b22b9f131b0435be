//! Grafana alerting and generic JSON alert deliveries, with their sources' tokens: one inquiry
//! per alert, repeats recognised, resolutions applied, severities feeding the priority rubric.
//!
//! The example config has neither a Grafana nor a token-guarded generic source, so these tests
//! run over it with [`ALERT_SOURCES`](crate::helpers::ALERT_SOURCES) added: the Grafana contact
//! point `grafana-integrations`, generic sources `nightly-sync` (the alert token), `ci` (another
//! token) and `deploys` (a token variable that is not set).

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    berlin, expect_error, expect_json, fixture_json, spawn_app_with_alert_sources, TestApp,
    ALERT_TOKEN, OTHER_ALERT_TOKEN,
};

const CONTACT_POINT: &str = "grafana-integrations";
const GRAFANA_FINGERPRINT: &str = "e2b7c61d0a9f8354";

/// A recorded Grafana delivery as the contact point `grafana-integrations` sends it.
fn grafana_fixture(file: &str) -> Value {
    let mut body = fixture_json(file);
    body["receiver"] = CONTACT_POINT.into();
    body
}

/// Posts `body` to `path` with `token` as bearer (if any).
async fn post_alert(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    app.request(Method::POST, path, token)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the server answers")
}

/// Delivers `body` to `path` with the alert token and returns the 200 answer.
async fn deliver(app: &TestApp, path: &str, body: &Value) -> Value {
    let response = post_alert(app, path, Some(ALERT_TOKEN), body).await;
    expect_json(response, StatusCode::OK).await
}

/// Every stored delivery, newest first, as the admin lists them.
async fn deliveries(app: &TestApp) -> Vec<Value> {
    let listed = app.get("/api/v1/deliveries?limit=1000", &app.admin).await;
    match expect_json(listed, StatusCode::OK).await {
        Value::Array(items) => items,
        other => panic!("a list of deliveries: {other}"),
    }
}

fn by_ref<'a>(inquiries: &'a [Value], wanted: &str) -> &'a Value {
    inquiries
        .iter()
        .find(|i| i["external_ref"] == wanted)
        .unwrap_or_else(|| panic!("no inquiry {wanted} in {inquiries:?}"))
}

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("an instant: {v}"))
        .parse()
        .expect("an RFC 3339 instant")
}

/// Checks that nothing was stored: no delivery, no inquiry.
async fn assert_nothing_stored(app: &TestApp) {
    assert_eq!(deliveries(app).await, Vec::<Value>::new());
    assert!(app.inquiries().await.is_empty());
}

#[tokio::test]
async fn a_grafana_alert_firing_then_resolved_is_one_inquiry_resolved() {
    let app = spawn_app_with_alert_sources().await;
    let answer = deliver(
        &app,
        "/hooks/grafana",
        &grafana_fixture("grafana/firing.json"),
    )
    .await;
    assert_eq!(answer["team"], "integrations", "{answer}");
    assert_eq!(answer["duplicate"], false);

    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1, "{inquiries:?}");
    let wanted = format!("alert:{CONTACT_POINT}:{GRAFANA_FINGERPRINT}");
    let inquiry = by_ref(&inquiries, &wanted).clone();
    assert_eq!(answer["inquiries"], json!([inquiry["id"]]));
    assert_eq!(inquiry["source"], CONTACT_POINT);
    assert_eq!(
        inquiry["title"],
        "JetBrains plugin sign-in failures above 20 per 15 minutes"
    );
    assert_eq!(
        inquiry["link"],
        "https://grafana.sourcegraph.example/alerting/grafana/b2f6a3c9-7e1d-4a5b-8c0f-3d2e1a9b8c7d/view?orgId=1"
    );
    let body = inquiry["body"].as_str().expect("a body");
    assert!(body.starts_with("Sign-in failures reported"), "{body}");
    assert!(
        body.contains("runbook: https://docs.sourcegraph.example/runbooks/jetbrains-sign-in"),
        "{body}"
    );
    // Wednesday 5 October 2022, second week of the rotation: David's.
    assert_eq!(inquiry["assignee"], "david");
    assert_eq!(inquiry["state"], "new");
    // Grafana's `severity = high` label, through the rubric rule for it.
    assert_eq!(inquiry["severity"], "high");
    assert_eq!(inquiry["suggested_priority"], "high");
    let reason = inquiry["suggestion_reason"].as_str().expect("a reason");
    assert!(reason.contains("alert severity high"), "{reason}");
    // It arrived when Grafana says the alert started, Tuesday 09:40 UTC (05:40 in New York),
    // not when the delivery came. The source's `high` target, 2h, in David's working time:
    // 09:00–11:00 New York time, 15:00 UTC.
    assert_eq!(
        instant(&inquiry["received_at"]),
        instant(&json!("2022-10-04T09:40:00Z"))
    );
    assert_eq!(
        instant(&inquiry["first_response_due"]),
        berlin(2022, 10, 4, 17, 0)
    );

    // Grafana repeats the notification while the alert fires: the same inquiry, untouched.
    app.clock.advance(chrono::Duration::minutes(5));
    let again = deliver(
        &app,
        "/hooks/grafana",
        &grafana_fixture("grafana/firing.json"),
    )
    .await;
    assert_eq!(again["duplicate"], false);
    let outcome = again["outcome"].as_str().expect("an outcome");
    assert!(
        outcome.contains("still firing") && outcome.contains(&format!("#{}", inquiry["id"])),
        "{outcome}"
    );
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1, "{inquiries:?}");
    assert_eq!(inquiries[0]["state"], "new");

    // Resolved in Grafana: resolved in baton.
    app.clock.advance(chrono::Duration::minutes(40));
    let resolved = deliver(
        &app,
        "/hooks/grafana",
        &grafana_fixture("grafana/resolved.json"),
    )
    .await;
    assert_eq!(resolved["inquiries"], json!([inquiry["id"]]), "{resolved}");
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1, "{inquiries:?}");
    assert_eq!(inquiries[0]["state"], "resolved");
    // When Grafana says it ended.
    assert_eq!(
        instant(&inquiries[0]["resolved_at"]),
        instant(&json!("2022-10-04T10:25:00Z"))
    );

    // Every delivery is kept, without its credentials, for audit.
    let stored = deliveries(&app).await;
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert!(stored.iter().all(|d| d["provider"] == "grafana"));
    assert!(stored.iter().all(|d| d["team"] == "integrations"));
    assert_eq!(stored[0]["kind"], "alert.resolved");
    assert_eq!(stored[2]["kind"], "alert.firing");
    assert!(stored
        .iter()
        .all(|d| d["headers"].get("authorization").is_none()));
}

#[tokio::test]
async fn a_grafana_alert_severity_feeds_the_suggested_priority() {
    let app = spawn_app_with_alert_sources().await;
    let mut critical = grafana_fixture("grafana/firing.json");
    critical["alerts"][0]["labels"]["severity"] = "critical".into();
    critical["alerts"][0]["fingerprint"] = "00000000c0ffee01".into();
    let mut unlabelled = grafana_fixture("grafana/firing.json");
    let labels = unlabelled["alerts"][0]["labels"]
        .as_object_mut()
        .expect("labels");
    labels.remove("severity");
    unlabelled["alerts"][0]["fingerprint"] = "00000000c0ffee02".into();
    deliver(&app, "/hooks/grafana", &critical).await;
    deliver(&app, "/hooks/grafana", &unlabelled).await;

    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 2, "{inquiries:?}");
    let critical = by_ref(
        &inquiries,
        &format!("alert:{CONTACT_POINT}:00000000c0ffee01"),
    );
    assert_eq!(critical["severity"], "critical");
    assert_eq!(critical["suggested_priority"], "critical");
    // 30 minutes of David's working time after the alert started: 09:30 in New York.
    assert_eq!(
        instant(&critical["first_response_due"]),
        berlin(2022, 10, 4, 15, 30)
    );
    let plain = by_ref(
        &inquiries,
        &format!("alert:{CONTACT_POINT}:00000000c0ffee02"),
    );
    assert!(plain["severity"].is_null(), "{plain}");
    assert!(plain["suggested_priority"].is_null(), "{plain}");
    // No suggestion: medium, 1 working day (8 hours) of David's: 17:00 in New York.
    assert_eq!(
        instant(&plain["first_response_due"]),
        berlin(2022, 10, 4, 23, 0)
    );
}

#[tokio::test]
async fn a_grafana_delivery_from_another_contact_point_is_kept_unrouted() {
    let app = spawn_app_with_alert_sources().await;
    // As recorded: contact point `integrations`, which is the Alertmanager receiver here.
    let answer = deliver(&app, "/hooks/grafana", &fixture_json("grafana/firing.json")).await;
    let outcome = answer["outcome"].as_str().expect("an outcome");
    assert!(outcome.starts_with("unrouted"), "{outcome}");
    assert!(outcome.contains("\"integrations\""), "{outcome}");
    assert!(app.inquiries().await.is_empty());
    let unrouted = app
        .get("/api/v1/deliveries?unrouted=true", &app.admin)
        .await;
    let unrouted = expect_json(unrouted, StatusCode::OK).await;
    assert_eq!(unrouted.as_array().map(Vec::len), Some(1), "{unrouted}");
    assert_eq!(unrouted[0]["provider"], "grafana");
}

#[tokio::test]
async fn grafana_takes_its_token_as_bearer_or_in_the_query_and_refuses_others() {
    let app = spawn_app_with_alert_sources().await;
    let body = grafana_fixture("grafana/firing.json");
    for token in [
        Some("not-the-token"),
        Some(OTHER_ALERT_TOKEN),
        Some(""),
        None,
    ] {
        let response = post_alert(&app, "/hooks/grafana", token, &body).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let response = post_alert(
            &app,
            &format!("/hooks/grafana?token={}", token.unwrap_or_default()),
            None,
            &body,
        )
        .await;
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // A scheme other than Bearer is not a token.
    let response = app
        .request(Method::POST, "/hooks/grafana", None)
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Basic {ALERT_TOKEN}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_nothing_stored(&app).await;

    let response = post_alert(
        &app,
        &format!("/hooks/grafana?token={ALERT_TOKEN}"),
        None,
        &body,
    )
    .await;
    expect_json(response, StatusCode::OK).await;
    assert_eq!(app.inquiries().await.len(), 1);
}

#[tokio::test]
async fn any_json_with_a_title_is_a_generic_alert() {
    let app = spawn_app_with_alert_sources().await;
    let answer = deliver(
        &app,
        "/hooks/generic/nightly-sync",
        &json!({
            "title": "Nightly marketplace sync failed",
            "body": "The JetBrains marketplace sync exited with status 3.",
            "severity": "critical",
            "link": "https://ci.example/runs/7",
            "id": "nightly-sync-2022-10-05",
            "labels": {"job": "marketplace-sync"},
            "build": {"number": 7, "agent": "ci-3"}
        }),
    )
    .await;
    assert_eq!(answer["team"], "integrations");
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1, "{inquiries:?}");
    let inquiry = by_ref(&inquiries, "alert:nightly-sync:nightly-sync-2022-10-05").clone();
    assert_eq!(inquiry["source"], "nightly-sync");
    assert_eq!(inquiry["title"], "Nightly marketplace sync failed");
    assert_eq!(inquiry["link"], "https://ci.example/runs/7");
    assert_eq!(inquiry["assignee"], "david");
    assert_eq!(inquiry["severity"], "critical");
    assert_eq!(inquiry["suggested_priority"], "critical");
    let body = inquiry["body"].as_str().expect("a body");
    assert!(body.contains("exited with status 3"), "{body}");
    assert!(body.contains("job: marketplace-sync"), "{body}");

    // The same id again: the same inquiry.
    deliver(
        &app,
        "/hooks/generic/nightly-sync",
        &json!({"title": "Nightly marketplace sync failed again", "id": "nightly-sync-2022-10-05"}),
    )
    .await;
    assert_eq!(app.inquiries().await.len(), 1);

    // Resolved by the sender.
    let resolved = deliver(
        &app,
        "/hooks/generic/nightly-sync",
        &json!({"title": "Nightly marketplace sync recovered", "id": "nightly-sync-2022-10-05", "status": "resolved"}),
    )
    .await;
    assert_eq!(resolved["inquiries"], json!([inquiry["id"]]), "{resolved}");
    assert_eq!(app.inquiries().await[0]["state"], "resolved");

    let stored = deliveries(&app).await;
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert!(stored.iter().all(|d| d["provider"] == "generic"));
}

#[tokio::test]
async fn a_generic_alert_without_an_id_is_recognised_by_its_title() {
    let app = spawn_app_with_alert_sources().await;
    let body = json!({"title": "Disk almost full on ci-3"});
    deliver(&app, "/hooks/generic/nightly-sync", &body).await;
    deliver(&app, "/hooks/generic/nightly-sync", &body).await;
    deliver(
        &app,
        "/hooks/generic/nightly-sync",
        &json!({"title": "Disk almost full on ci-4"}),
    )
    .await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 2, "{inquiries:?}");
    assert!(inquiries.iter().all(|i| i["suggested_priority"].is_null()));
}

#[tokio::test]
async fn a_generic_alert_without_a_usable_title_is_refused_with_the_reason() {
    let app = spawn_app_with_alert_sources().await;
    let cases = [
        (
            json!({"body": "no title here", "severity": "high"}),
            "missing field `title`",
        ),
        (json!({"title": "   "}), "`title` is empty"),
        (json!({"title": 42}), "expected a string"),
        (json!({"title": null}), "expected a string"),
        (json!(["title", "in an array"]), "expected a JSON object"),
        (json!("title"), "expected a JSON object"),
        (
            json!({"title": "t", "status": "ok"}),
            "expected \"firing\" or \"resolved\"",
        ),
    ];
    for (body, reason) in cases {
        let response = post_alert(
            &app,
            "/hooks/generic/nightly-sync",
            Some(ALERT_TOKEN),
            &body,
        )
        .await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(message.contains(reason), "{body}: {message}");
        assert!(message.starts_with("generic alert"), "{message}");
    }
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn an_unknown_generic_source_is_refused_like_a_wrong_token_and_nothing_is_stored() {
    let app = spawn_app_with_alert_sources().await;
    let body = json!({"title": "Nightly marketplace sync failed"});
    for token in [Some(ALERT_TOKEN), Some("not-the-token"), None] {
        let response = post_alert(&app, "/hooks/generic/marketing", token, &body).await;
        // The same answer as a wrong token: outsiders cannot probe for source names.
        let message = expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert!(!message.contains("marketing"), "{message}");
    }
    // The Alertmanager receiver and the Grafana contact point are not generic sources.
    for name in ["integrations", CONTACT_POINT] {
        let response = post_alert(
            &app,
            &format!("/hooks/generic/{name}"),
            Some(ALERT_TOKEN),
            &body,
        )
        .await;
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn each_generic_source_takes_only_its_own_token() {
    let app = spawn_app_with_alert_sources().await;
    let body = json!({"title": "Release pipeline red", "id": 7});
    for (path, token) in [
        ("/hooks/generic/ci", Some(ALERT_TOKEN)),
        ("/hooks/generic/ci", Some("not-the-token")),
        ("/hooks/generic/ci", None),
        ("/hooks/generic/nightly-sync", Some(OTHER_ALERT_TOKEN)),
        ("/hooks/generic/nightly-sync", None),
    ] {
        let response = post_alert(&app, path, token, &body).await;
        let message = expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert!(
            !message.contains("token"),
            "the reason stays in the log: {message}"
        );
        let query = format!("{path}?token={}", token.unwrap_or("x"));
        let response = post_alert(&app, &query, None, &body).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // A source whose token variable is not set cannot be opened at all; nor can the example's
    // `api` source, which names none.
    for path in ["/hooks/generic/deploys", "/hooks/generic/api"] {
        let response = post_alert(&app, path, Some(ALERT_TOKEN), &body).await;
        let message =
            expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "not_configured").await;
        assert!(
            !message.contains("BATON_"),
            "variables stay in the log: {message}"
        );
    }
    assert_nothing_stored(&app).await;

    let response = post_alert(&app, "/hooks/generic/ci", Some(OTHER_ALERT_TOKEN), &body).await;
    expect_json(response, StatusCode::OK).await;
    let response = post_alert(
        &app,
        &format!("/hooks/generic/nightly-sync?token={ALERT_TOKEN}"),
        None,
        &body,
    )
    .await;
    expect_json(response, StatusCode::OK).await;
    let inquiries = app.inquiries().await;
    let mut refs: Vec<_> = inquiries
        .iter()
        .map(|i| i["external_ref"].as_str().unwrap_or_default().to_owned())
        .collect();
    refs.sort();
    assert_eq!(refs, ["alert:ci:7", "alert:nightly-sync:7"]);
}
