//! The engineer on duty: the daily checklist, the time budget and hand-off notes.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_error, expect_json, spawn_app};

#[tokio::test]
async fn checks_tick_off_todays_sources() {
    let app = spawn_app().await;
    let path = "/api/v1/teams/integrations/checks";
    let list = expect_json(app.get(path, &app.viewer).await, StatusCode::OK).await;
    // David's Wednesday, in New York.
    assert_eq!(list["member"], "david");
    assert_eq!(list["timezone"], "America/New_York");
    assert_eq!(list["date"], "2022-10-05");
    assert_eq!(list["start"], "2022-10-05T04:00:00Z");
    let sources: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources.len(), 9, "{sources:?}");
    assert!(sources.contains(&"#integrations"));
    assert!(!sources.contains(&"api"), "api has no daily check");
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["checked_at"].is_null()));

    let check = expect_json(
        app.post(path, &app.member, json!({"source": "#integrations"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(check["member"], "david");
    assert_eq!(check["at"], "2022-10-05T08:00:00Z");
    expect_json(
        app.post(
            path,
            &app.member,
            json!({"source": "#integrations-ide", "member": "taras"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    let list = expect_json(app.get(path, &app.viewer).await, StatusCode::OK).await;
    let item = |name: &str| -> Value {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["source"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(item("#integrations")["checked_by"], "david");
    assert_eq!(item("#integrations-ide")["checked_by"], "taras");
    assert_eq!(item("#feedback-dogfood")["checked_at"], Value::Null);

    let response = app
        .post(path, &app.member, json!({"source": "#random"}))
        .await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    let response = app
        .post(path, &app.viewer, json!({"source": "#integrations"}))
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn the_budget_counts_time_logged_in_the_shift() {
    let app = spawn_app().await;
    let path = "/api/v1/teams/integrations/budget";
    let budget = expect_json(app.get(path, &app.viewer).await, StatusCode::OK).await;
    // David's shift runs Monday 3 October 09:00 Berlin to the next Monday: five working days of
    // 8h in New York, of which Monday and Tuesday are behind us; the budget is 10%.
    assert_eq!(budget["member"], "david");
    assert_eq!(budget["shift_start"], "2022-10-03T07:00:00Z");
    assert_eq!(budget["shift_end"], "2022-10-10T07:00:00Z");
    assert_eq!(budget["working_minutes"], 2400);
    assert_eq!(budget["elapsed_working_minutes"], 960);
    assert_eq!(budget["allowed_minutes"], 240);
    assert_eq!(budget["logged_minutes"], 0);
    assert_eq!(budget["over_budget"], false);

    let inquiry = app.create(json!({"title": "Needs digging"})).await;
    expect_json(
        app.post(
            &format!("/api/v1/inquiries/{}/time", inquiry["id"]),
            &app.member,
            json!({"minutes": 90}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let budget = expect_json(app.get(path, &app.viewer).await, StatusCode::OK).await;
    assert_eq!(budget["logged_minutes"], 90);
    assert_eq!(budget["used_fraction"], 90.0 / 2400.0);
    assert_eq!(budget["ahead_of_pace"], false);
}

#[tokio::test]
async fn handoff_notes_belong_to_the_current_shift() {
    let app = spawn_app().await;
    let path = "/api/v1/teams/integrations/notes";
    let note = expect_json(
        app.post(
            path,
            &app.member,
            json!({"text": "JetBrains release on Thursday"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(note["shift_start"], "2022-10-03T07:00:00Z");
    assert_eq!(note["inquiry_id"], Value::Null);
    assert_eq!(note["author"], "token:member");

    let response = app.post(path, &app.member, json!({"text": ""})).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
    let response = app
        .post(
            "/api/v1/teams/frontend/notes",
            &app.member,
            json!({"text": "x"}),
        )
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
}
