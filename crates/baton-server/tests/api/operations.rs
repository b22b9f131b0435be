//! Health, readiness, metrics, the API description and shutdown.

use std::collections::BTreeSet;

use baton_server::routes;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{build_app, expect_json, spawn_app};

#[tokio::test]
async fn health_and_readiness_need_no_token() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/healthz", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");

    let response = app
        .request(Method::GET, "/readyz", None)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(response, StatusCode::OK).await,
        json!({"status": "ready"})
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_inquiries_by_state() {
    let app = spawn_app().await;
    let inquiry = app.create(json!({"title": "Counted"})).await;
    let other = app.create(json!({"title": "Resolved"})).await;
    app.act(other["id"].as_i64().unwrap(), "resolve").await;
    for _ in 0..2 {
        let path = format!("/api/v1/inquiries/{}", inquiry["id"]);
        assert_eq!(app.get(&path, &app.viewer).await.status(), StatusCode::OK);
    }
    assert_eq!(
        app.get("/api/v1/inquiries/999", &app.viewer).await.status(),
        404
    );
    assert_eq!(app.get("/no/such/page", &app.viewer).await.status(), 404);

    let response = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let has = |line: &str| text.lines().any(|l| l == line);
    assert!(
        has(r#"http_requests_total{method="GET",route="/api/v1/inquiries/{id}",status="200"} 2"#),
        "{text}"
    );
    assert!(has(
        r#"http_requests_total{method="GET",route="/api/v1/inquiries/{id}",status="404"} 1"#
    ));
    assert!(has(
        r#"http_requests_total{method="POST",route="/api/v1/teams/{team}/inquiries",status="201"} 2"#
    ));
    assert!(has(
        r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#
    ));
    assert!(text.contains(
        r#"http_request_duration_seconds_count{method="GET",route="/api/v1/inquiries/{id}"} 3"#
    ));
    assert!(
        has(r#"baton_inquiries{team="integrations",state="new"} 1"#),
        "{text}"
    );
    assert!(has(
        r#"baton_inquiries{team="integrations",state="resolved"} 1"#
    ));
    assert!(has(
        r#"baton_inquiries{team="integrations",state="waiting"} 0"#
    ));
    // Raw paths never become labels.
    assert!(!text.contains("/api/v1/inquiries/999"));
    assert!(!text.contains("/no/such/page"));
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_routes() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/api/v1/openapi.json", None)
        .send()
        .await
        .unwrap();
    let doc = expect_json(response, StatusCode::OK).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut described = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            described.insert((method.to_uppercase(), path.clone()));
        }
    }
    let table = routes::table();
    let served: BTreeSet<(String, String)> = table
        .iter()
        .map(|(method, path, _)| (method.to_string(), (*path).to_owned()))
        .collect();
    assert_eq!(described, served);

    // And every route in the table is served: none falls through to "no route" or 405.
    let inquiry = app.create(json!({"title": "Probe"})).await;
    for (method, path, _) in &table {
        let concrete = path
            .replace("{team}", "integrations")
            .replace("{id}", &inquiry["id"].to_string())
            .replace("{action}", "respond");
        let response = app
            .request(method.clone(), &concrete, Some(&app.admin))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            !message.starts_with("no route"),
            "{method} {path}: {message}"
        );
    }
}

#[tokio::test]
async fn the_server_stops_gracefully_when_asked() {
    let (app, test_app) = build_app().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let response = test_app.get("/healthz", &test_app.viewer).await;
    assert_eq!(response.status(), StatusCode::OK);
    stop.send(()).unwrap();
    let result = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .expect("the server task did not panic");
    assert!(result.is_ok());
}
