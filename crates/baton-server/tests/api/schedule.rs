//! Who is on duty: on call, the schedule and the calendar feed.

use baton_core::model::NewOverride;
use reqwest::{Method, StatusCode};

use crate::helpers::{berlin, expect_error, expect_json, spawn_app};

#[tokio::test]
async fn on_call_names_the_member_on_duty_and_the_next() {
    let app = spawn_app().await;
    let path = "/api/v1/teams/integrations/oncall";
    let now = expect_json(app.get(path, &app.viewer).await, StatusCode::OK).await;
    assert_eq!(now["at"], "2022-10-05T08:00:00Z");
    assert_eq!(now["shift"]["member"], "david");
    assert_eq!(now["shift"]["name"], "David");
    assert_eq!(now["shift"]["override"], false);
    // 04:00 in New York.
    assert_eq!(now["working"], false);
    assert_eq!(now["next"]["member"], "taras");

    let later = expect_json(
        app.get(
            &format!("{path}?at=2022-10-12T10:00:00%2B02:00"),
            &app.viewer,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(later["shift"]["member"], "taras");
    assert_eq!(later["working"], true);
    // An unencoded `+` arrives as a space, and still reads as the offset.
    let later = expect_json(
        app.get(&format!("{path}?at=2022-10-12T10:00:00+02:00"), &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(later["shift"]["member"], "taras");
}

#[tokio::test]
async fn the_schedule_shows_eight_shifts_from_the_current_one_with_overrides() {
    let app = spawn_app().await;
    app.store
        .add_override(NewOverride {
            team: "integrations".into(),
            member: "philipp".into(),
            start: berlin(2022, 10, 17, 9, 0),
            end: berlin(2022, 10, 19, 9, 0),
            reason: Some("Beatrix at a conference".into()),
            created_by: "test".into(),
        })
        .await
        .unwrap();
    let shifts = expect_json(
        app.get("/api/v1/teams/integrations/schedule", &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    let shifts = shifts.as_array().unwrap();
    let rows: Vec<(&str, &str, bool)> = shifts
        .iter()
        .map(|s| {
            (
                s["member"].as_str().unwrap(),
                s["start"].as_str().unwrap(),
                s["override"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows[..4],
        [
            ("david", "2022-10-03T07:00:00Z", false),
            ("taras", "2022-10-10T07:00:00Z", false),
            ("philipp", "2022-10-17T07:00:00Z", true),
            ("beatrix", "2022-10-19T07:00:00Z", false),
        ]
    );
    // The override took part of Beatrix's shift: nine stretches for eight shifts. After the end
    // of summer time the hand-off stays at 09:00 in Berlin.
    assert_eq!(shifts.len(), 9);
    assert_eq!(shifts[8]["end"], "2022-11-28T08:00:00Z");
    assert_eq!(shifts[2]["rostered"], "beatrix");
    assert_eq!(shifts[2]["name"], "Philipp");

    let response = app
        .get(
            "/api/v1/teams/integrations/schedule?from=2022-10-10T09:00:00Z&until=2022-10-01T00:00:00Z",
            &app.viewer,
        )
        .await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;

    let one = expect_json(
        app.get(
            "/api/v1/teams/integrations/schedule?from=2022-10-11T00:00:00Z&until=2022-10-12T00:00:00Z",
            &app.viewer,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["member"], "taras");
}

#[tokio::test]
async fn the_calendar_feed_takes_its_token_in_the_query() {
    let app = spawn_app().await;
    let path = "/api/v1/teams/integrations/calendar.ics";
    let response = app.request(Method::GET, path, None).send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app
        .request(Method::GET, &format!("{path}?token=baton_wrong"), None)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let response = app
        .request(Method::GET, &format!("{path}?token={}", app.viewer), None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/calendar"), "{content_type}");
    let text = response.text().await.unwrap();

    let calendar = ical::IcalParser::new(text.as_bytes())
        .next()
        .expect("one calendar")
        .expect("valid iCalendar");
    let value = |e: &ical::parser::ical::component::IcalEvent, name: &str| -> String {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    // Four shifts back to twelve ahead: David's previous turn, then Taras, Beatrix, Philipp.
    assert_eq!(calendar.events.len(), 16);
    let first = &calendar.events[0];
    assert_eq!(value(first, "DTSTART"), "20220905T070000Z");
    assert_eq!(value(first, "SUMMARY"), "Support rotation: David");
    let current = &calendar.events[4];
    assert_eq!(value(current, "DTSTART"), "20221003T070000Z");
    assert_eq!(value(current, "SUMMARY"), "Support rotation: David");

    // A bearer token works too, and a period can be asked for.
    let response = app
        .get(
            &format!("{path}?from=2022-10-03T07:00:00Z&until=2022-10-17T07:00:00Z"),
            &app.viewer,
        )
        .await;
    let text = response.text().await.unwrap();
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
}
