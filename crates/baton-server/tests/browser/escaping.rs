//! What people wrote is shown as text: a `<script>` in an inquiry never runs.

use std::time::Duration;

use baton_core::access::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::accounts::link_account;
use crate::browser::Browser;
use crate::helpers::{expect_json, fixture_json, spawn_app, TestApp};
use crate::BOARD;

/// A script element and an image whose error handler runs script, in one string.
const PAYLOAD: &str = r#"<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"#;

/// What the page's script can see of the payload having run.
const PWNED: &str = "return typeof window.__pwned;";

/// Delivers a Slack message whose text is `text` (Slack escapes `<`, `>` and `&` as entities),
/// signed as Slack signs it; returns the inquiry it became.
async fn slack_message(app: &TestApp, text: &str, ts: &str) -> Value {
    let mut event = fixture_json("slack/message_channel.json");
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    event["event"]["text"] = json!(escaped);
    event["event"]["ts"] = json!(ts);
    event["event"]["event_ts"] = json!(ts);
    event["event_id"] = json!(format!("Ev{}", ts.replace('.', "")));
    event["event"]
        .as_object_mut()
        .expect("an event")
        .remove("blocks");
    let body = serde_json::to_vec(&event).expect("JSON");
    expect_json(app.slack_event(&body).await, StatusCode::OK).await;
    let inquiries = app.inquiries().await;
    inquiries
        .into_iter()
        .find(|i| i["external_ref"].as_str().is_some_and(|r| r.ends_with(ts)))
        .unwrap_or_else(|| panic!("the Slack message {ts} became an inquiry"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_script_shows_as_text_and_does_not_run() {
    let app = spawn_app().await;
    let api = app
        .create(json!({"title": PAYLOAD, "body": PAYLOAD, "reporter": PAYLOAD, "area": "VSCE"}))
        .await;
    let api_id = api["id"].as_i64().expect("an id");
    let slack = slack_message(&app, &format!("Help! {PAYLOAD}"), "1664953200.000100").await;
    let slack_id = slack["id"].as_i64().expect("an id");
    assert!(
        slack["body"].as_str().expect("a body").contains(PAYLOAD),
        "{slack}"
    );
    let (_, link) = link_account(&app, "ada@example.com", Role::Member).await;
    let Some(b) = Browser::open("escaping", &app).await else {
        return;
    };
    b.sign_in_with_link(&link).await;

    // The board lists both, their titles as the characters typed.
    for id in [api_id, slack_id] {
        let title = b
            .text(&format!(
                "[data-test=queue-row][data-id=\"{id}\"] [data-test=queue-link]"
            ))
            .await;
        assert!(
            title.contains(r#"<script>window.__pwned=1</script>"#),
            "{title}"
        );
        assert!(
            title.contains(r#"<img src=x onerror="window.__pwned=2">"#),
            "{title}"
        );
    }
    assert_eq!(b.count("#queue script, #queue img").await, 0);
    // Give a broken image's error handler time to have run, had there been one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(b.js(PWNED, vec![]).await, "undefined");
    b.screenshot("board").await;

    // Each inquiry's page shows the title, message and reporter as text.
    for (id, body) in [
        (api_id, PAYLOAD.to_owned()),
        (slack_id, format!("Help! {PAYLOAD}")),
    ] {
        b.goto(&format!("{BOARD}/inquiries/{id}")).await;
        let title = b.text("[data-test=inquiry-title]").await;
        assert!(title.contains(PAYLOAD), "{title}");
        let shown = b
            .js(
                "return document.querySelector('[data-test=inquiry-body]').textContent.trim();",
                vec![],
            )
            .await;
        assert_eq!(shown, json!(body));
        assert_eq!(b.count("article script, article img").await, 0);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(b.js(PWNED, vec![]).await, "undefined", "inquiry #{id}");
        let tab_title = b.client.title().await.expect("a title");
        assert!(tab_title.contains("<script>"), "{tab_title}");
    }
    b.goto(&format!("{BOARD}/inquiries/{api_id}")).await;
    assert_eq!(b.text("[data-test=inquiry-reporter]").await, PAYLOAD);
    b.screenshot("inquiry").await;

    // A note with the payload, added through the form, is text too.
    b.fill("#f-note", PAYLOAD).await;
    b.submit("[data-test=form-note]").await;
    let note = b.text("[data-test=note] .message").await;
    assert_eq!(note, PAYLOAD);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(b.js(PWNED, vec![]).await, "undefined");
    assert_eq!(b.count("article script, article img").await, 0);
    b.close().await;
}
