//! GitHub webhook deliveries, from recorded payloads signed as GitHub signs them.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{expect_error, expect_json, fixture, spawn_app, TestApp};

const ISSUE: &str = "https://github.com/sourcegraph/sourcegraph/issues/42817";

async fn deliver(app: &TestApp, event: &str, delivery: &str, file: &str) -> Value {
    let response = app.github(event, delivery, &fixture(file)).await;
    expect_json(response, StatusCode::OK).await
}

async fn opened(app: &TestApp) -> Value {
    deliver(app, "issues", "d-opened", "github/issues_opened.json").await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1, "{inquiries:?}");
    inquiries[0].clone()
}

#[tokio::test]
async fn ping_is_answered() {
    let app = spawn_app().await;
    let body = deliver(&app, "ping", "d-ping", "github/ping.json").await;
    assert_eq!(body["outcome"], "ping");
}

#[tokio::test]
async fn an_issue_opened_with_the_team_label_is_an_inquiry() {
    let app = spawn_app().await;
    let inquiry = opened(&app).await;
    assert_eq!(inquiry["source"], "team/integrations");
    assert_eq!(inquiry["external_ref"], ISSUE);
    assert_eq!(inquiry["link"], ISSUE);
    assert_eq!(inquiry["reporter"], "alice-example");
    assert_eq!(inquiry["assignee"], "david");
    let labels = inquiry["labels"].as_array().unwrap();
    assert!(labels.iter().any(|l| l == "jetbrains-ide"), "{labels:?}");
    // Redelivered (same delivery id): nothing new.
    let again = deliver(&app, "issues", "d-opened", "github/issues_opened.json").await;
    assert_eq!(again["duplicate"], true);
    // Labeled later with the same label (another delivery): still one inquiry.
    assert_eq!(app.inquiries().await.len(), 1);
}

#[tokio::test]
async fn an_issue_labeled_with_the_team_label_is_an_inquiry() {
    let app = spawn_app().await;
    deliver(&app, "issues", "d-labeled", "github/issues_labeled.json").await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1);
    assert_eq!(
        inquiries[0]["external_ref"],
        "https://github.com/sourcegraph/sourcegraph/issues/42790"
    );
}

#[tokio::test]
async fn closing_the_issue_resolves_its_inquiry() {
    let app = spawn_app().await;
    let id = opened(&app).await["id"].as_i64().unwrap();
    deliver(&app, "issues", "d-closed", "github/issues_closed.json").await;
    assert_eq!(app.inquiry(id).await["state"], "resolved");
}

#[tokio::test]
async fn a_comment_by_a_member_is_the_first_response() {
    let app = spawn_app().await;
    let id = opened(&app).await["id"].as_i64().unwrap();
    deliver(
        &app,
        "issue_comment",
        "d-member",
        "github/issue_comment_created_by_member.json",
    )
    .await;
    let detail = app.inquiry(id).await;
    assert!(!detail["first_response_at"].is_null(), "{detail}");
    assert_eq!(app.inquiries().await.len(), 1);
}

#[tokio::test]
async fn a_comment_mentioning_the_github_team_is_an_inquiry() {
    let app = spawn_app().await;
    deliver(
        &app,
        "issue_comment",
        "d-mention",
        "github/issue_comment_created_team_mention.json",
    )
    .await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1);
    assert_eq!(inquiries[0]["source"], "sourcegraph/integrations");
    assert_eq!(inquiries[0]["reporter"], "bob-search");
    assert_eq!(
        inquiries[0]["external_ref"],
        "https://github.com/sourcegraph/sourcegraph/issues/42801#issuecomment-1266411234"
    );
}

#[tokio::test]
async fn a_review_requested_from_the_team_is_an_inquiry() {
    let app = spawn_app().await;
    deliver(
        &app,
        "pull_request",
        "d-review-team",
        "github/pull_request_review_requested_team.json",
    )
    .await;
    // A review requested from a person is not the team's.
    deliver(
        &app,
        "pull_request",
        "d-review-user",
        "github/pull_request_review_requested_user.json",
    )
    .await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1);
    assert_eq!(
        inquiries[0]["external_ref"],
        "https://github.com/sourcegraph/sourcegraph/pull/42825"
    );
}

#[tokio::test]
async fn other_events_are_accepted_and_ignored() {
    let app = spawn_app().await;
    let body = deliver(&app, "star", "d-star", "github/star_created.json").await;
    assert!(
        body["outcome"].as_str().unwrap().starts_with("ignored"),
        "{body}"
    );
    assert!(app.inquiries().await.is_empty());
}

#[tokio::test]
async fn bad_or_missing_signatures_are_refused() {
    let app = spawn_app().await;
    let body = fixture("github/issues_opened.json");
    let send = |signature: Option<String>| {
        let mut request = app
            .request(reqwest::Method::POST, "/hooks/github", None)
            .header("Content-Type", "application/json")
            .header("X-GitHub-Event", "issues")
            .header("X-GitHub-Delivery", "d-forged")
            .body(body.clone());
        if let Some(s) = signature {
            request = request.header("X-Hub-Signature-256", s);
        }
        request.send()
    };
    let forged = baton_integrations::github::sign(b"guessed", &body);
    expect_error(
        send(Some(forged)).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    expect_error(
        send(None).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(app.inquiries().await.is_empty());
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_refused() {
    let app = spawn_app().await;
    let response = app.github("issues", "d-bad", b"[1, 2]").await;
    expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    let body = b"payload=%7B%7D";
    let response = app
        .request(reqwest::Method::POST, "/hooks/github", None)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-GitHub-Event", "issues")
        .header(
            "X-Hub-Signature-256",
            baton_integrations::github::sign(crate::helpers::GITHUB_SECRET.as_bytes(), body),
        )
        .body(body.to_vec())
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

/// An RFC 3339 instant from the API, as Unix seconds.
fn unix(value: &Value) -> i64 {
    value
        .as_str()
        .expect("an instant")
        .parse::<chrono::DateTime<chrono::Utc>>()
        .expect("RFC 3339")
        .timestamp()
}

/// `2022-10-04T09:14:07Z` and the like, as Unix seconds.
fn instant(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp()
}

#[tokio::test]
async fn comments_and_closes_delivered_late_take_effect_when_they_happened() {
    // The server's clock is a day after the issue's story: every delivery is late.
    let app = spawn_app().await;
    let inquiry = opened(&app).await;
    let id = inquiry["id"].as_i64().unwrap();
    // The issue arrived when it was opened.
    assert_eq!(
        unix(&inquiry["received_at"]),
        instant("2022-10-04T09:14:07Z")
    );

    // Taras's comment written at 09:31:52 is the first response then.
    deliver(
        &app,
        "issue_comment",
        "d-member-late",
        "github/issue_comment_created_by_member.json",
    )
    .await;
    let detail = app.inquiry(id).await;
    assert_eq!(
        unix(&detail["first_response_at"]),
        instant("2022-10-04T09:31:52Z")
    );

    // Closed at 13:45:30: resolved then.
    deliver(&app, "issues", "d-closed-late", "github/issues_closed.json").await;
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "resolved");
    assert_eq!(
        unix(&detail["resolved_at"]),
        instant("2022-10-04T13:45:30Z")
    );
    let resolved = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "inquiry.resolved")
        .unwrap_or_else(|| panic!("a resolution event: {detail}"))
        .clone();
    assert_eq!(unix(&resolved["at"]), instant("2022-10-04T13:45:30Z"));
    assert_eq!(
        unix(&resolved["data"]["delivered_at"]),
        app.clock.now().timestamp()
    );
}

/// An override made by another process (the CLI writes to the database while `baton serve`
/// runs) applies to the very next delivery, although intake holds the team's schedule in
/// memory between deliveries.
#[tokio::test]
async fn an_override_made_elsewhere_applies_to_the_next_delivery() {
    let app = spawn_app().await;
    // The first delivery makes intake hold the team's schedule: David is on duty.
    assert_eq!(opened(&app).await["assignee"], "david");
    let now = app.clock.now();
    app.store
        .add_override(baton_core::model::NewOverride {
            team: "integrations".into(),
            member: "taras".into(),
            start: now - chrono::Duration::hours(1),
            end: now + chrono::Duration::hours(8),
            reason: Some("david is ill".into()),
            created_by: "cli".into(),
        })
        .await
        .expect("an override");
    deliver(&app, "issues", "d-labeled", "github/issues_labeled.json").await;
    let inquiries = app.inquiries().await;
    let labeled = inquiries
        .iter()
        .find(|i| i["external_ref"] == "https://github.com/sourcegraph/sourcegraph/issues/42790")
        .expect("the labeled issue's inquiry");
    assert_eq!(labeled["assignee"], "taras", "{labeled}");
    // Decided again, the delivery is still stored once.
    let deliveries = app
        .store
        .list_deliveries(&baton_store::DeliveryFilter::default())
        .await
        .expect("deliveries");
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
}

/// Many issues opened at once: the store writes the deliveries waiting for it together, yet each
/// answer names its own inquiry, and each issue has exactly one.
#[tokio::test]
async fn thirty_issues_opened_at_once_each_become_their_own_inquiry() {
    let app = spawn_app().await;
    let mut bodies = Vec::new();
    for n in 0..30u64 {
        let mut issue = crate::helpers::fixture_json("github/issues_opened.json");
        let url = format!(
            "https://github.com/sourcegraph/sourcegraph/issues/{}",
            50_000 + n
        );
        issue["issue"]["number"] = (50_000 + n).into();
        issue["issue"]["id"] = (9_000_000 + n).into();
        issue["issue"]["html_url"] = url.into();
        bodies.push(serde_json::to_vec(&issue).unwrap());
    }
    let deliveries: Vec<String> = (0..30).map(|n| format!("d-many-{n}")).collect();
    let sends: Vec<_> = bodies
        .iter()
        .zip(&deliveries)
        .map(|(body, delivery)| Box::pin(app.github("issues", delivery, body)))
        .collect();
    let mut answered = Vec::new();
    for response in crate::hooks_slack::join_all_pinned(sends).await {
        let body = expect_json(response, StatusCode::OK).await;
        let ids = body["inquiries"].as_array().cloned().unwrap_or_default();
        assert_eq!(ids.len(), 1, "{body}");
        answered.push(ids[0].clone());
    }
    answered.sort_by_key(|id| id.as_i64());
    answered.dedup();
    assert_eq!(answered.len(), 30, "each answer names its own inquiry");

    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 30);
    let mut refs: Vec<_> = inquiries
        .iter()
        .map(|i| i["external_ref"].as_str().unwrap().to_owned())
        .collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 30);
}

/// GitHub sends `labeled` and `opened` for an issue opened with a label, in either order. When
/// `labeled` comes first it makes the inquiry; `opened` then finds it, and its stored outcome
/// (what admins read in the delivery log) and its answer say so instead of claiming a new one.
#[tokio::test]
async fn an_opened_delivery_after_labeled_finds_the_inquiry_and_says_so() {
    let app = spawn_app().await;
    let mut labeled = crate::helpers::fixture_json("github/issues_opened.json");
    labeled["action"] = "labeled".into();
    labeled["label"] = crate::helpers::fixture_json("github/issues_labeled.json")["label"].clone();
    let response = app
        .github(
            "issues",
            "d-labeled-first",
            &serde_json::to_vec(&labeled).unwrap(),
        )
        .await;
    let first = expect_json(response, StatusCode::OK).await;
    let id = first["inquiries"][0].as_i64().unwrap();

    let second = deliver(
        &app,
        "issues",
        "d-opened-second",
        "github/issues_opened.json",
    )
    .await;
    assert_eq!(second["inquiries"], serde_json::json!([id]), "{second}");
    let said = second["outcome"].as_str().unwrap();
    assert!(
        said.ends_with(&format!("no new inquiry: it exists already as #{id}")),
        "{said}"
    );
    assert_eq!(app.inquiries().await.len(), 1);

    let listed = app.get("/api/v1/deliveries?limit=10", &app.admin).await;
    let listed = expect_json(listed, StatusCode::OK).await;
    let outcome_of = |key: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["key"] == format!("github:{key}"))
            .unwrap_or_else(|| panic!("no delivery {key} in {listed}"))["outcome"]
            .clone()
    };
    assert_eq!(outcome_of("d-opened-second"), said);
    let made = outcome_of("d-labeled-first");
    assert!(!made.as_str().unwrap().contains("exists already"), "{made}");
}
