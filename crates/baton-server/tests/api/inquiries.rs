//! Creating, reading, listing and changing inquiries.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{expect_error, expect_json, spawn_app};

#[tokio::test]
async fn a_new_inquiry_goes_to_the_member_on_duty_with_deadlines_in_their_working_time() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/teams/integrations/inquiries",
            &app.member,
            json!({
                "title": "How do I point the browser extension at our instance?",
                "reporter": "@alice",
                "link": "https://example.slack.com/archives/C0INTEGRAT/p1",
            }),
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let inquiry = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(location, format!("/api/v1/inquiries/{}", inquiry["id"]));
    assert_eq!(inquiry["team"], "integrations");
    assert_eq!(inquiry["source"], "api");
    assert_eq!(inquiry["state"], "new");
    assert_eq!(inquiry["reporter"], "@alice");
    // David (New York, Mon–Fri 09–17) is on duty this week. It is 04:00 there: the clock starts
    // at 09:00, and the api source's medium target is one working day (8h): 17:00 EDT.
    assert_eq!(inquiry["assignee"], "david");
    assert_eq!(inquiry["priority"], Value::Null);
    assert_eq!(inquiry["first_response_due"], "2022-10-05T21:00:00Z");
    assert_eq!(inquiry["next_due"], "2022-10-05T21:00:00Z");
    assert_eq!(inquiry["received_at"], "2022-10-05T08:00:00Z");

    // The rubric suggests a priority; a high one is due after 4 working hours: 13:00 EDT.
    let urgent = app
        .create(json!({"title": "Code intel regression after upgrade", "labels": ["bug"]}))
        .await;
    assert_eq!(urgent["suggested_priority"], "high");
    assert!(urgent["suggestion_reason"]
        .as_str()
        .unwrap()
        .contains("regression"));
    assert_eq!(urgent["first_response_due"], "2022-10-05T17:00:00Z");
}

#[tokio::test]
async fn an_area_with_a_clear_owner_is_routed_to_them() {
    let app = spawn_app().await;
    let inquiry = app
        .create(json!({"title": "JetBrains plugin won't log in", "area": "JB"}))
        .await;
    assert_eq!(inquiry["state"], "routed");
    assert_eq!(inquiry["assignee"], "beatrix");
}

#[tokio::test]
async fn a_known_external_ref_returns_the_existing_inquiry() {
    let app = spawn_app().await;
    let body = json!({
        "title": "Search results empty in VS Code",
        "source": "#integrations",
        "external_ref": "C0INTEGRAT/1664956800.000100",
    });
    let first = app.create(body.clone()).await;
    let again = app
        .post("/api/v1/teams/integrations/inquiries", &app.member, body)
        .await;
    let second = expect_json(again, StatusCode::OK).await;
    assert_eq!(second["id"], first["id"]);
    let listed = expect_json(
        app.get("/api/v1/teams/integrations/inquiries", &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn patch_tells_absent_fields_from_null_ones() {
    let app = spawn_app().await;
    let inquiry = app
        .create(json!({"title": "Where do I find the logs?"}))
        .await;
    let path = format!("/api/v1/inquiries/{}", inquiry["id"]);

    let detail = expect_json(
        app.patch(
            &path,
            &app.member,
            json!({"priority": "high", "area": "VSCE"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail["priority"], "high");
    assert_eq!(detail["area"], "VSCE");
    // The deadline follows the priority: 4 working hours from 09:00 EDT.
    assert_eq!(detail["first_response_due"], "2022-10-05T17:00:00Z");

    // Absent: unchanged. Null: cleared.
    let detail = expect_json(
        app.patch(&path, &app.member, json!({"priority": null}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail["priority"], Value::Null);
    assert_eq!(detail["area"], "VSCE");
    assert_eq!(detail["first_response_due"], "2022-10-05T21:00:00Z");

    let detail = expect_json(
        app.patch(
            &path,
            &app.member,
            json!({"area": null, "assignee": "taras"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail["priority"], Value::Null);
    assert_eq!(detail["area"], Value::Null);
    assert_eq!(detail["assignee"], "taras");

    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "inquiry.created",
            "inquiry.priority_set",
            "inquiry.area_set",
            "inquiry.priority_set",
            "inquiry.area_set",
            "inquiry.reassigned",
        ]
    );
}

#[tokio::test]
async fn a_refused_patch_changes_nothing() {
    let app = spawn_app().await;
    let inquiry = app.create(json!({"title": "Question about tokens"})).await;
    let path = format!("/api/v1/inquiries/{}", inquiry["id"]);
    for (body, named) in [
        (json!({"priority": "high", "area": "Emacs"}), "Emacs"),
        (
            json!({"priority": "high", "assignee": "mallory"}),
            "mallory",
        ),
        (json!({"assignee": null}), "assignee"),
        (json!({"priority": "soon"}), "soon"),
    ] {
        let response = app.patch(&path, &app.member, body).await;
        let message =
            expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "unprocessable").await;
        assert!(message.contains(named), "{message}");
    }
    let detail = expect_json(app.get(&path, &app.viewer).await, StatusCode::OK).await;
    assert_eq!(detail["priority"], Value::Null);
    assert_eq!(detail["events"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_queue_puts_the_most_urgent_deadline_first() {
    let app = spawn_app().await;
    let medium = app.create(json!({"title": "Docs question"})).await;
    let critical = app
        .create(json!({"title": "Something odd", "priority": "critical"}))
        .await;
    let high = app
        .create(json!({"title": "Another thing", "priority": "high"}))
        .await;
    let done = app
        .create(json!({"title": "Already answered", "priority": "critical"}))
        .await;
    app.act(done["id"].as_i64().unwrap(), "resolve").await;
    let waiting = app
        .create(json!({"title": "Need more info", "priority": "critical"}))
        .await;
    app.act(waiting["id"].as_i64().unwrap(), "wait").await;

    let queue = expect_json(
        app.get("/api/v1/teams/integrations/queue", &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    let ids: Vec<&Value> = queue.as_array().unwrap().iter().map(|i| &i["id"]).collect();
    // Critical is due at 10:00 EDT, high at 13:00, medium at 17:00; the waiting one has no
    // running deadline and comes last; the resolved one is not in the queue.
    assert_eq!(
        ids,
        [&critical["id"], &high["id"], &medium["id"], &waiting["id"]]
    );
    assert_eq!(queue[0]["next_due"], "2022-10-05T14:00:00Z");
    assert_eq!(queue[0]["first_response"], "running");
    // One working hour is left: it is 04:00 in New York, and David works from 09:00 to 10:00.
    assert_eq!(queue[0]["time_left_minutes"], 60);
    assert_eq!(queue[3]["first_response"], "met");

    let limited = expect_json(
        app.get("/api/v1/teams/integrations/queue?limit=2", &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(limited.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn inquiries_are_listed_by_state_and_assignee() {
    let app = spawn_app().await;
    let a = app.create(json!({"title": "One"})).await;
    let b = app.create(json!({"title": "Two", "area": "JB"})).await;
    let c = app.create(json!({"title": "Three"})).await;
    app.act(c["id"].as_i64().unwrap(), "resolve").await;

    let list = |query: &'static str| {
        let app = &app;
        async move {
            let value = expect_json(
                app.get(
                    &format!("/api/v1/teams/integrations/inquiries{query}"),
                    &app.viewer,
                )
                .await,
                StatusCode::OK,
            )
            .await;
            value
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list("").await,
        [c["id"].clone(), b["id"].clone(), a["id"].clone()]
    );
    assert_eq!(
        list("?state=new,routed").await,
        [b["id"].clone(), a["id"].clone()]
    );
    assert_eq!(list("?assignee=beatrix").await, [b["id"].clone()]);
    assert_eq!(list("?state=resolved").await, [c["id"].clone()]);
    assert_eq!(list("?limit=1&offset=1").await, [b["id"].clone()]);
}
