//! The board keeps itself current: an inquiry that arrives while it is open appears in the
//! queue without a reload.

use std::time::Duration;

use baton_core::access::Role;
use serde_json::json;

use crate::accounts::link_account;
use crate::browser::Browser;
use crate::helpers::{fixture, spawn_app};
use crate::BOARD;

/// How long the queue may take to show a new arrival (it polls every 10 s).
const LIVE_WITHIN: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_inquiries_appear_on_the_open_board() {
    let app = spawn_app().await;
    app.create(json!({"title": "Already here"})).await;
    let (_, link) = link_account(&app, "david@example.com", Role::Member).await;
    let Some(b) = Browser::open("live", &app).await else {
        return;
    };
    b.sign_in_with_link(&link).await;
    assert_eq!(b.path().await, BOARD);
    assert_eq!(b.count("[data-test=queue-row]").await, 1);
    // A mark on this document: a reload or navigation would lose it.
    b.js("window.__sameDocument = 'yes';", vec![]).await;

    // Alice asks in #integrations (a signed Slack delivery), then someone files one by API.
    let response = app
        .slack_event(&fixture("slack/message_channel.json"))
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let by_api = app.create(json!({"title": "Filed through the API"})).await;
    let by_api = by_api["id"].as_i64().expect("an id");

    b.wait_until(
        LIVE_WITHIN,
        "both new inquiries showing in the queue",
        "return document.querySelectorAll('[data-test=queue-row]').length === 3;",
    )
    .await;
    assert_eq!(b.js("return window.__sameDocument;", vec![]).await, "yes");
    let titles = b
        .texts("[data-test=queue-row] [data-test=queue-link]")
        .await;
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("#") && t.contains("Hi team")),
        "{titles:?}"
    );
    b.find(&format!("[data-test=queue-row][data-id=\"{by_api}\"]"))
        .await;
    assert_eq!(b.text("[data-test=queue-count]").await, "3");
    let sources = b
        .texts("[data-test=queue-row] [data-test=queue-source]")
        .await;
    assert!(sources.iter().any(|s| s == "#integrations"), "{sources:?}");
    assert_eq!(
        b.count("[data-test=live-status]").await,
        0,
        "no complaint about the live updates"
    );
    b.screenshot("board-updated").await;

    // A row that left the queue (resolved elsewhere) goes too.
    app.act(by_api, "resolve").await;
    b.wait_until(
        LIVE_WITHIN,
        "the resolved inquiry leaving the queue",
        "return document.querySelectorAll('[data-test=queue-row]').length === 2;",
    )
    .await;
    assert_eq!(b.js("return window.__sameDocument;", vec![]).await, "yes");
    b.close().await;
}
