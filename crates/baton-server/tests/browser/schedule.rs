//! The schedule page: an override added through its form changes who the board shows on duty.

use baton_core::access::Role;
use reqwest::StatusCode;

use crate::accounts::link_account;
use crate::browser::Browser;
use crate::helpers::{expect_json, spawn_app};
use crate::BOARD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_changes_who_the_board_shows_on_duty() {
    let app = spawn_app().await;
    let (_, link) = link_account(&app, "taras@example.com", Role::Member).await;
    let Some(b) = Browser::open("schedule", &app).await else {
        return;
    };
    b.sign_in_with_link(&link).await;
    assert_eq!(b.text("[data-test=on-duty-name]").await, "David");
    assert_eq!(b.count("[data-test=on-duty-override]").await, 0);

    // The schedule, from the navigation: the current shift is David's.
    let nav = b.find("[data-test=nav-schedule]").await;
    b.click_and_wait(&nav).await;
    assert_eq!(b.path().await, format!("{BOARD}/schedule"));
    let current = "[data-test=shift][data-when=current]";
    assert_eq!(
        b.attr(current, "data-member").await.as_deref(),
        Some("david")
    );
    assert!(
        b.count("[data-test=shift]").await >= 3,
        "past and coming shifts"
    );
    b.screenshot("schedule").await;

    // Taras covers from 09:00 today (Wednesday) until 09:00 tomorrow, Berlin time: now is 10:00.
    b.choose("#o-member", "taras").await;
    b.set_value("#o-from", "2022-10-05T09:00").await;
    b.set_value("#o-until", "2022-10-06T09:00").await;
    b.fill("#o-reason", "David is at a conference").await;
    b.submit("[data-test=form-override]").await;
    assert_eq!(b.path().await, format!("{BOARD}/schedule"));
    let overrides = b.texts("[data-test=override]").await;
    assert_eq!(overrides.len(), 1, "{overrides:?}");
    assert!(overrides[0].contains("Taras"), "{overrides:?}");
    assert!(
        overrides[0].contains("David is at a conference"),
        "{overrides:?}"
    );
    assert!(
        overrides[0].contains("taras@example.com"),
        "by whom: {overrides:?}"
    );
    assert_eq!(
        b.attr(current, "data-member").await.as_deref(),
        Some("taras")
    );
    b.find(&format!("{current} [data-test=shift-override]"))
        .await;
    b.screenshot("schedule-override").await;

    // The board says so.
    let nav = b.find("[data-test=nav-board]").await;
    b.click_and_wait(&nav).await;
    assert_eq!(b.text("[data-test=on-duty-name]").await, "Taras");
    assert_eq!(
        b.attr("[data-test=on-duty]", "data-member")
            .await
            .as_deref(),
        Some("taras")
    );
    let covering = b.text("[data-test=on-duty-override]").await;
    assert!(covering.contains("David"), "{covering}");
    b.screenshot("board-override").await;

    // And so does the API.
    let on_call = expect_json(
        app.get("/api/v1/teams/integrations/oncall", &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(on_call["shift"]["member"], "taras");
    assert_eq!(on_call["shift"]["override"], true);
    b.close().await;
}
