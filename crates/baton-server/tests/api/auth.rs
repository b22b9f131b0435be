//! Tokens and roles.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{expect_error, expect_json, spawn_app};

#[tokio::test]
async fn a_request_without_a_token_is_refused_with_a_json_401() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/api/v1/teams", None)
        .send()
        .await
        .unwrap();
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    let message = expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(message.contains("Authorization: Bearer"), "{message}");
}

#[tokio::test]
async fn an_unknown_token_is_refused_with_a_json_401() {
    let app = spawn_app().await;
    for header in [
        "Bearer baton_not-a-real-token",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ] {
        let response = app
            .request(Method::GET, "/api/v1/inquiries/1", None)
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
}

#[tokio::test]
async fn a_revoked_token_no_longer_works() {
    let app = spawn_app().await;
    assert_eq!(app.get("/api/v1/teams", &app.viewer).await.status(), 200);
    let tokens = app.store.list_tokens().await.unwrap();
    let viewer = tokens.iter().find(|t| t.name == "viewer").unwrap();
    app.store.revoke_token(viewer.id, "test").await.unwrap();
    let response = app.get("/api/v1/teams", &app.viewer).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_triage() {
    let app = spawn_app().await;
    let teams = expect_json(app.get("/api/v1/teams", &app.viewer).await, StatusCode::OK).await;
    assert_eq!(
        teams,
        json!([{"slug": "integrations", "name": "Integrations", "timezone": "Europe/Berlin"}])
    );

    let response = app
        .post(
            "/api/v1/teams/integrations/inquiries",
            &app.viewer,
            json!({"title": "Is the JetBrains plugin down?"}),
        )
        .await;
    let message = expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(message.contains("member"), "{message}");

    // The role is checked before the body is read.
    let response = app
        .request(
            Method::POST,
            "/api/v1/teams/integrations/checks",
            Some(&app.viewer),
        )
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;

    let inquiry = app
        .create(json!({"title": "How do I configure the VS Code extension?"}))
        .await;
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/inquiries/{}/ack", inquiry["id"]),
            Some(&app.viewer),
        )
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn only_an_admin_may_backdate_an_inquiry() {
    let app = spawn_app().await;
    let body = json!({
        "title": "Imported from last week's spreadsheet",
        "received_at": "2022-09-28T15:30:00+02:00",
    });
    let response = app
        .post(
            "/api/v1/teams/integrations/inquiries",
            &app.member,
            body.clone(),
        )
        .await;
    let message = expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(message.contains("received_at"), "{message}");

    let response = app
        .post("/api/v1/teams/integrations/inquiries", &app.admin, body)
        .await;
    let inquiry = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(inquiry["received_at"], "2022-09-28T13:30:00Z");
    // Philipp was on duty in the week of 26 September.
    assert_eq!(inquiry["assignee"], "philipp");

    let detail = expect_json(
        app.get(&format!("/api/v1/inquiries/{}", inquiry["id"]), &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail["events"][0]["actor"], "token:admin");
}
