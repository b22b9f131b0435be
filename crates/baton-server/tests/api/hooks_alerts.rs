//! Alert deliveries (Prometheus Alertmanager), from recorded payloads, with the source's token.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{expect_error, expect_json, fixture, spawn_app, TestApp, ALERT_TOKEN};

async fn alertmanager(app: &TestApp, file: &str) -> Value {
    let response = app
        .request(Method::POST, "/hooks/alertmanager", Some(ALERT_TOKEN))
        .header("Content-Type", "application/json")
        .body(fixture(file))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await
}

fn by_ref<'a>(inquiries: &'a [Value], fingerprint: &str) -> &'a Value {
    let wanted = format!("alert:integrations:{fingerprint}");
    inquiries
        .iter()
        .find(|i| i["external_ref"] == wanted.as_str())
        .unwrap_or_else(|| panic!("no inquiry {wanted} in {inquiries:?}"))
}

#[tokio::test]
async fn firing_alerts_are_inquiries_per_fingerprint_with_a_suggested_priority() {
    let app = spawn_app().await;
    alertmanager(&app, "alertmanager/firing.json").await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 2, "{inquiries:?}");
    let critical = by_ref(&inquiries, "5a8e6c0b1f2d3e47");
    assert_eq!(critical["severity"], "critical");
    assert_eq!(critical["suggested_priority"], "critical");
    assert_eq!(
        critical["title"],
        "Browser extension GraphQL error rate above 5%"
    );
    assert_eq!(critical["source"], "integrations");
    let warning = by_ref(&inquiries, "c41f09d27be36a58");
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["suggested_priority"], "high");

    // The same alerts firing again: the same inquiries.
    alertmanager(&app, "alertmanager/firing.json").await;
    assert_eq!(app.inquiries().await.len(), 2);
}

#[tokio::test]
async fn a_resolved_alert_resolves_its_inquiry_and_a_new_firing_reopens_it() {
    let app = spawn_app().await;
    alertmanager(&app, "alertmanager/firing.json").await;
    alertmanager(&app, "alertmanager/resolved.json").await;
    let inquiries = app.inquiries().await;
    assert_eq!(by_ref(&inquiries, "5a8e6c0b1f2d3e47")["state"], "resolved");
    assert_eq!(by_ref(&inquiries, "c41f09d27be36a58")["state"], "new");

    alertmanager(&app, "alertmanager/firing.json").await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 2);
    assert_eq!(
        by_ref(&inquiries, "5a8e6c0b1f2d3e47")["state"],
        "acknowledged"
    );
}

#[tokio::test]
async fn the_token_may_come_in_the_query() {
    let app = spawn_app().await;
    let response = app
        .request(
            Method::POST,
            &format!("/hooks/alertmanager?token={ALERT_TOKEN}"),
            None,
        )
        .header("Content-Type", "application/json")
        .body(fixture("alertmanager/firing.json"))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    assert_eq!(app.inquiries().await.len(), 2);
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_refused() {
    let app = spawn_app().await;
    for token in [Some("not-the-token"), None] {
        let response = app
            .request(Method::POST, "/hooks/alertmanager", token)
            .header("Content-Type", "application/json")
            .body(fixture("alertmanager/firing.json"))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    assert!(app.inquiries().await.is_empty());
}

#[tokio::test]
async fn an_unknown_receiver_is_stored_as_unrouted_and_listed_for_admins() {
    let app = spawn_app().await;
    let mut body: Value = serde_json::from_slice(&fixture("alertmanager/firing.json")).unwrap();
    body["receiver"] = "search".into();
    let response = app
        .request(Method::POST, "/hooks/alertmanager", Some(ALERT_TOKEN))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let answer = expect_json(response, StatusCode::OK).await;
    assert!(
        answer["outcome"].as_str().unwrap().starts_with("unrouted"),
        "{answer}"
    );
    assert!(app.inquiries().await.is_empty());

    let listed = app
        .get("/api/v1/deliveries?unrouted=true", &app.admin)
        .await;
    let listed = expect_json(listed, StatusCode::OK).await;
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["provider"], "alertmanager");
    assert!(listed[0]["team"].is_null());
    assert!(listed[0]["outcome"].as_str().unwrap().contains("search"));
    assert!(listed[0]["headers"].get("authorization").is_none());

    let forbidden = app
        .get("/api/v1/deliveries?unrouted=true", &app.member)
        .await;
    expect_error(forbidden, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn malformed_alerts_are_refused() {
    let app = spawn_app().await;
    let response = app
        .request(Method::POST, "/hooks/alertmanager", Some(ALERT_TOKEN))
        .header("Content-Type", "application/json")
        .body("{\"alerts\": 3}")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
}

#[tokio::test]
async fn a_repeat_firing_with_a_higher_severity_raises_the_suggested_priority() {
    let app = spawn_app().await;
    alertmanager(&app, "alertmanager/firing.json").await;
    let before = by_ref(&app.inquiries().await, "c41f09d27be36a58").clone();
    assert_eq!(before["suggested_priority"], "high");

    // The warning alert escalates to critical: Alertmanager sends it again with the new label.
    let mut payload: Value = serde_json::from_slice(&fixture("alertmanager/firing.json")).unwrap();
    for alert in payload["alerts"].as_array_mut().unwrap() {
        if alert["fingerprint"] == "c41f09d27be36a58" {
            alert["labels"]["severity"] = "critical".into();
        }
    }
    let response = app
        .request(Method::POST, "/hooks/alertmanager", Some(ALERT_TOKEN))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(&payload).unwrap())
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;

    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 2, "a repeat is not a new inquiry");
    let after = by_ref(&inquiries, "c41f09d27be36a58");
    assert_eq!(after["severity"], "critical");
    assert_eq!(after["suggested_priority"], "critical");
    assert_eq!(after["id"], before["id"]);
    // A critical inquiry is due sooner than a high one.
    assert!(
        after["first_response_due"].as_str() < before["first_response_due"].as_str(),
        "{before} → {after}"
    );
    let detail = app.inquiry(after["id"].as_i64().unwrap()).await;
    assert!(
        detail["events"]
            .as_array()
            .is_some_and(|events| events.iter().any(|e| e["kind"] == "inquiry.alert_updated")),
        "{detail}"
    );

    // The same severity again changes nothing.
    let response = app
        .request(Method::POST, "/hooks/alertmanager", Some(ALERT_TOKEN))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(&payload).unwrap())
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    let again = by_ref(&app.inquiries().await, "c41f09d27be36a58").clone();
    assert_eq!(again["version"], after["version"]);
}
