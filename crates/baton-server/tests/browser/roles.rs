//! A viewer reads every page but cannot act: no forms are shown, and forged posts are refused.

use baton_core::access::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::accounts::link_account;
use crate::browser::Browser;
use crate::helpers::{expect_json, spawn_app};
use crate::BOARD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_can_read_but_not_act() {
    let app = spawn_app().await;
    let inquiry = app
        .create(json!({"title": "Where is the JetBrains changelog?"}))
        .await;
    let id = inquiry["id"].as_i64().expect("an id");
    let events_before = app.inquiry(id).await["events"]
        .as_array()
        .expect("events")
        .len();
    let (_, link) = link_account(&app, "manager@example.com", Role::Viewer).await;
    let Some(b) = Browser::open("viewer", &app).await else {
        return;
    };
    b.sign_in_with_link(&link).await;

    // The board: everything to read, nothing to press but "sign out".
    assert_eq!(b.text("[data-test=viewer-role]").await, "viewer");
    assert_eq!(b.text("[data-test=on-duty-name]").await, "David");
    b.find(&format!("[data-test=queue-row][data-id=\"{id}\"]"))
        .await;
    assert!(b.count("[data-test=check-item]").await > 0);
    assert_eq!(b.count("[data-test=check-form]").await, 0);
    assert_eq!(
        b.count("form[method=post]:not([action='/logout'])").await,
        0
    );
    assert_eq!(b.count("[data-test=nav-tokens]").await, 0);

    // The inquiry: read-only, saying why.
    b.goto(&format!("{BOARD}/inquiries/{id}")).await;
    assert!(b
        .text("[data-test=inquiry-title]")
        .await
        .contains("Where is the JetBrains changelog?"));
    let notice = b.text("[data-test=read-only]").await;
    assert!(notice.contains("member"), "{notice}");
    assert_eq!(b.count("[data-test=action-form]").await, 0);
    assert_eq!(
        b.count("form[method=post]:not([action='/logout'])").await,
        0
    );
    b.screenshot("inquiry").await;

    // The schedule: no override, swap or time-off forms.
    b.goto(&format!("{BOARD}/schedule")).await;
    b.find("[data-test=shifts]").await;
    assert_eq!(
        b.count("form[method=post]:not([action='/logout'])").await,
        0
    );
    b.find("[data-test=calendar-ask-admin]").await;
    b.screenshot("schedule").await;

    // The token page is for admins.
    b.goto("/tokens").await;
    assert_eq!(
        b.attr("[data-test=error]", "data-status").await.as_deref(),
        Some("403")
    );

    // Forged posts with the viewer's own valid CSRF token are refused by role.
    b.goto(&format!("{BOARD}/inquiries/{id}")).await;
    let csrf = b
        .attr("meta[name=csrf-token]", "content")
        .await
        .expect("a CSRF token");
    let base = format!("{BOARD}/inquiries/{id}");
    for (path, fields) in [
        (format!("{base}/ack"), json!({"csrf": csrf})),
        (
            format!("{base}/priority"),
            json!({"csrf": csrf, "priority": "critical"}),
        ),
        (
            format!("{base}/note"),
            json!({"csrf": csrf, "text": "a viewer's note"}),
        ),
        (
            format!("{BOARD}/schedule/overrides"),
            json!({"csrf": csrf, "member": "beatrix", "from": "2022-10-05T09:00",
                   "until": "2022-10-06T09:00", "tz": "Europe/Berlin"}),
        ),
        (
            format!("{BOARD}/checks"),
            json!({"csrf": csrf, "source": "#integrations"}),
        ),
        (
            "/tokens".to_owned(),
            json!({"csrf": csrf, "name": "mine", "role": "admin"}),
        ),
    ] {
        let status = b.post_from_page(&path, fields).await;
        assert_eq!(status, 403, "POST {path}");
    }

    // Nothing changed.
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "new");
    assert!(detail["priority"].is_null(), "{detail}");
    assert!(detail["notes"].as_array().expect("notes").is_empty());
    assert_eq!(
        detail["events"].as_array().expect("events").len(),
        events_before
    );
    let on_call = expect_json(
        app.get("/api/v1/teams/integrations/oncall", &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(on_call["shift"]["member"], "david");
    let tokens = app.store.list_tokens().await.expect("the tokens");
    assert_eq!(tokens.len(), 3, "only the test's own tokens: {tokens:?}");
    b.goto(BOARD).await;
    let checks = b.texts("[data-test=check-item][data-checked=true]").await;
    assert!(checks.is_empty(), "{checks:?}");
    b.close().await;
}
