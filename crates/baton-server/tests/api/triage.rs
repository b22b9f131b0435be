//! The triage loop through the API: actions, logged time, notes and the trail they leave.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect_error, expect_json, spawn_app, TestApp};

async fn post_action(app: &TestApp, id: i64, action: &str, body: Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/inquiries/{id}/{action}"),
        &app.member,
        body,
    )
    .await
}

#[tokio::test]
async fn an_inquiry_goes_round_the_loop_and_leaves_a_trail() {
    let app = spawn_app().await;
    let inquiry = app
        .create(json!({"title": "Sourcegraph extension shows no hovers"}))
        .await;
    let id = inquiry["id"].as_i64().unwrap();

    // 10:00 in New York: David acknowledges, well within the 17:00 deadline.
    app.clock.advance(Duration::hours(6));
    let detail = app.act(id, "ack").await;
    assert_eq!(detail["state"], "acknowledged");
    assert_eq!(detail["first_response_at"], "2022-10-05T14:00:00Z");
    assert_eq!(detail["first_response"], "met");

    let detail = app.act(id, "start").await;
    assert_eq!(detail["state"], "in_progress");

    app.clock.advance(Duration::hours(1));
    let detail = app.act(id, "wait").await;
    assert_eq!(detail["state"], "waiting");
    assert_eq!(detail["next_due"], Value::Null);

    app.clock.advance(Duration::hours(2));
    let detail = app.act(id, "start").await;
    assert_eq!(detail["state"], "in_progress");
    assert_eq!(
        detail["pauses"],
        json!([{"start": "2022-10-05T15:00:00Z", "end": "2022-10-05T17:00:00Z"}])
    );

    let response = app
        .post(
            &format!("/api/v1/inquiries/{id}/time"),
            &app.member,
            json!({"minutes": 30, "note": "reproduced with the sample repo"}),
        )
        .await;
    let detail = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(detail["logged_minutes"], 30);
    assert_eq!(detail["time_entries"][0]["member"], "david");
    assert_eq!(
        detail["time_entries"][0]["note"],
        "reproduced with the sample repo"
    );

    let detail = app.act(id, "resolve").await;
    assert_eq!(detail["state"], "resolved");
    assert_eq!(detail["resolved_at"], "2022-10-05T17:00:00Z");

    app.clock.advance(Duration::minutes(10));
    let detail = app.act(id, "reopen").await;
    assert_eq!(detail["state"], "acknowledged");
    assert_eq!(detail["resolved_at"], Value::Null);

    let detail = expect_json(
        app.get(&format!("/api/v1/inquiries/{id}"), &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    // The store stamps `inquiry.created` with its own clock, so that event's instant is left out.
    let trail: Vec<(&str, &str, &str)> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
                e["at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(detail["events"][0]["kind"], "inquiry.created");
    assert_eq!(detail["events"][0]["actor"], "token:member");
    assert_eq!(
        trail,
        [
            (
                "inquiry.acknowledged",
                "token:member",
                "2022-10-05T14:00:00Z"
            ),
            ("inquiry.started", "token:member", "2022-10-05T14:00:00Z"),
            ("inquiry.waiting", "token:member", "2022-10-05T15:00:00Z"),
            ("inquiry.started", "token:member", "2022-10-05T17:00:00Z"),
            (
                "inquiry.time_logged",
                "token:member",
                "2022-10-05T17:00:00Z"
            ),
            ("inquiry.resolved", "token:member", "2022-10-05T17:00:00Z"),
            ("inquiry.reopened", "token:member", "2022-10-05T17:10:00Z"),
        ]
    );
}

#[tokio::test]
async fn escalating_and_routing_hand_the_inquiry_on() {
    let app = spawn_app().await;
    let inquiry = app.create(json!({"title": "Plugin needs a rewrite"})).await;
    let id = inquiry["id"].as_i64().unwrap();

    let response = post_action(&app, id, "route", json!({"member": "mallory"})).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    let response = post_action(&app, id, "route", json!({})).await;
    let message = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    assert!(message.contains("member"), "{message}");

    let detail = expect_json(
        post_action(&app, id, "route", json!({"member": "beatrix"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail["state"], "routed");
    assert_eq!(detail["assignee"], "beatrix");

    let response = post_action(&app, id, "escalate", json!({"issue_url": "not a link"})).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;

    let url = "https://github.com/sourcegraph/sourcegraph/issues/4242";
    let detail = expect_json(
        post_action(
            &app,
            id,
            "escalate",
            json!({"issue_url": url, "assignee": "taras"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail["state"], "escalated");
    assert_eq!(detail["issue_url"], url);
    assert_eq!(detail["assignee"], "taras");
    assert_eq!(detail["next_due"], Value::Null);
}

#[tokio::test]
async fn logged_time_past_the_threshold_asks_for_an_issue() {
    let app = spawn_app().await;
    let inquiry = app.create(json!({"title": "Long debugging session"})).await;
    let path = format!("/api/v1/inquiries/{}/time", inquiry["id"]);
    let detail = expect_json(
        app.post(&path, &app.member, json!({"minutes": 100})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(detail["should_escalate"], false);
    let detail = expect_json(
        app.post(
            &path,
            &app.member,
            json!({"minutes": 20, "member": "taras"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    // The team's escalate_after is 2h.
    assert_eq!(detail["logged_minutes"], 120);
    assert_eq!(detail["should_escalate"], true);
    assert_eq!(detail["time_entries"][1]["member"], "taras");

    for body in [
        json!({"minutes": 0}),
        json!({"minutes": 10, "member": "mallory"}),
    ] {
        let response = app.post(&path, &app.member, body).await;
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    }
}

#[tokio::test]
async fn notes_are_status_updates_on_the_inquiry() {
    let app = spawn_app().await;
    let inquiry = app.create(json!({"title": "Token expired?"})).await;
    let id = inquiry["id"].as_i64().unwrap();
    let path = format!("/api/v1/inquiries/{id}/notes");
    let note = expect_json(
        app.post(&path, &app.member, json!({"text": "asked for the version"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(note["author"], "token:member");
    assert_eq!(note["inquiry_id"], id);

    let response = app.post(&path, &app.member, json!({"text": "  "})).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;

    let detail = expect_json(
        app.get(&format!("/api/v1/inquiries/{id}"), &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail["notes"][0]["text"], "asked for the version");
}

#[tokio::test]
async fn actions_without_a_body_accept_an_empty_object_but_no_fields() {
    let app = spawn_app().await;
    let inquiry = app.create(json!({"title": "Quick one"})).await;
    let id = inquiry["id"].as_i64().unwrap();
    let detail = expect_json(
        post_action(&app, id, "ack", json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail["state"], "acknowledged");
    let response = post_action(&app, id, "start", json!({"member": "taras"})).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/inquiries/{id}/start"),
            Some(&app.member),
        )
        .header("Content-Type", "text/plain")
        .body("go")
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}
