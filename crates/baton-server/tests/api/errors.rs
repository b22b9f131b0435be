//! Bad requests get JSON errors with the status that says what is wrong.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{expect_error, spawn_app};

const CREATE: &str = "/api/v1/teams/integrations/inquiries";

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = spawn_app().await;
    for body in [
        r#"{"title": "unfinished"#,
        "not json at all",
        r#"{"title": "a",}"#,
    ] {
        let response = app
            .request(Method::POST, CREATE, Some(&app.member))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(message.starts_with("malformed JSON"), "{message}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let app = spawn_app().await;
    let response = app
        .request(Method::POST, CREATE, Some(&app.member))
        .header("Content-Type", "text/plain")
        .body(r#"{"title": "typed in a terminal"}"#)
        .send()
        .await
        .unwrap();
    let message = expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert!(message.contains("application/json"), "{message}");
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_a_413() {
    let app = spawn_app().await;
    let body = json!({"title": "huge", "body": "x".repeat(2 * 1024 * 1024)});
    let response = app.post(CREATE, &app.member, body).await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // The same holds for actions, whose body is optional.
    let inquiry = app.create(json!({"title": "small"})).await;
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/inquiries/{}/ack", inquiry["id"]),
            Some(&app.member),
        )
        .header("Content-Type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // The server is still fine.
    let response = app.get("/healthz", &app.viewer).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_sources_areas_and_priorities_are_422s() {
    let app = spawn_app().await;
    let cases = [
        (json!({"title": "t", "source": "#random"}), "#random"),
        (json!({"title": "t", "area": "Emacs"}), "Emacs"),
        (json!({"title": "t", "priority": "urgent"}), "urgent"),
        (json!({"title": "   "}), "title"),
        (json!({"body": "no title"}), "title"),
        (json!({"title": "t", "colour": "red"}), "colour"),
        (
            json!({"title": "t", "received_at": "yesterday"}),
            "received_at",
        ),
    ];
    for (body, named) in cases {
        let token = if body.get("received_at").is_some() {
            &app.admin
        } else {
            &app.member
        };
        let response = app.post(CREATE, token, body.clone()).await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.contains(named), "{body}: {message}");
    }
    // Nothing was stored.
    let listed = app
        .get("/api/v1/teams/integrations/inquiries", &app.viewer)
        .await;
    assert_eq!(listed.json::<serde_json::Value>().await.unwrap(), json!([]));
}

#[tokio::test]
async fn unknown_inquiries_teams_actions_and_routes_are_404s() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/inquiries/4242", &app.viewer).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;

    let response = app.get("/api/v1/teams/frontend/queue", &app.viewer).await;
    let message = expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert!(message.contains("frontend"), "{message}");

    let response = app
        .post(
            "/api/v1/teams/frontend/inquiries",
            &app.member,
            json!({"title": "t"}),
        )
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;

    let inquiry = app.create(json!({"title": "Where are the docs?"})).await;
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/inquiries/{}/snooze", inquiry["id"]),
            Some(&app.member),
        )
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    for action in [
        "ack", "start", "wait", "resolve", "reopen", "respond", "escalate", "route",
    ] {
        assert!(message.contains(action), "{message}");
    }

    let response = app
        .request(
            Method::POST,
            "/api/v1/inquiries/4242/ack",
            Some(&app.member),
        )
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;

    let response = app.get("/api/v1/nothing/here", &app.viewer).await;
    let message = expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert!(message.contains("openapi.json"), "{message}");
}

#[tokio::test]
async fn a_malformed_path_or_query_is_a_400() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/inquiries/forty-two", &app.viewer).await;
    expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;

    let response = app
        .get("/api/v1/teams/integrations/queue?limit=lots", &app.viewer)
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;

    let response = app
        .get("/api/v1/teams/integrations/queue?limit=0", &app.viewer)
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;

    let response = app
        .get(
            "/api/v1/teams/integrations/inquiries?state=open",
            &app.viewer,
        )
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(message.contains("in_progress"), "{message}");

    let response = app
        .get("/api/v1/teams/integrations/oncall?at=tomorrow", &app.viewer)
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(message.contains("RFC 3339"), "{message}");
}

#[tokio::test]
async fn an_illegal_transition_is_a_409() {
    let app = spawn_app().await;
    let inquiry = app.create(json!({"title": "Settings page crashes"})).await;
    let id = inquiry["id"].as_i64().unwrap();
    app.act(id, "resolve").await;
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/inquiries/{id}/ack"),
            Some(&app.member),
        )
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::CONFLICT, "conflict").await;
    assert!(message.contains("reopen"), "{message}");
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let app = spawn_app().await;
    let response = app
        .request(
            Method::DELETE,
            "/api/v1/teams/integrations/queue",
            Some(&app.admin),
        )
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}
