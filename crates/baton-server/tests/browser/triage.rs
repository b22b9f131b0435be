//! Triage through the inquiry page's forms, as the engineer on duty does it.

use baton_core::access::Role;
use serde_json::json;

use crate::accounts::link_account;
use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::BOARD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inquiry_is_triaged_through_the_forms() {
    let app = spawn_app().await;
    let inquiry = app
        .create(json!({
            "title": "Sourcegraph extension shows no hovers",
            "body": "Since the update, hovering a symbol shows nothing.",
            "source": "#integrations",
        }))
        .await;
    let id = inquiry["id"].as_i64().expect("an id");
    let (_, link) = link_account(&app, "david@example.com", Role::Member).await;
    let Some(b) = Browser::open("triage", &app).await else {
        return;
    };
    b.sign_in_with_link(&link).await;

    // From the board to the inquiry.
    assert_eq!(b.path().await, BOARD);
    let row = format!("[data-test=queue-row][data-id=\"{id}\"]");
    assert_eq!(b.attr(&row, "data-state").await.as_deref(), Some("new"));
    let link = b.find(&format!("{row} [data-test=queue-link]")).await;
    b.click_and_wait(&link).await;
    let page = format!("{BOARD}/inquiries/{id}");
    assert_eq!(b.path().await, page);
    assert!(b
        .text("[data-test=inquiry-title]")
        .await
        .contains("Sourcegraph extension shows no hovers"));
    assert_eq!(b.text("[data-test=inquiry-state]").await, "new");
    assert_eq!(
        b.text("[data-test=inquiry-body]").await,
        "Since the update, hovering a symbol shows nothing."
    );
    assert_eq!(
        b.text("[data-test=inquiry-assignee]")
            .await
            .split(' ')
            .next(),
        Some("David")
    );
    let events_at_first = b.count("[data-test=trail] [data-test=event]").await;
    assert!(events_at_first >= 1, "the arrival is in the trail");
    b.screenshot("inquiry-new").await;

    // Acknowledge.
    b.submit("[data-test=action-form][data-action=ack]").await;
    assert_eq!(b.path().await, page);
    assert_eq!(b.text("[data-test=inquiry-state]").await, "acknowledged");
    let first_response = b.text("[data-test=inquiry-first-response]").await;
    assert!(first_response.contains("answered"), "{first_response}");
    let events_after_ack = b.count("[data-test=trail] [data-test=event]").await;
    assert!(events_after_ack > events_at_first, "{events_after_ack}");
    assert_eq!(
        b.count("[data-test=action-form][data-action=ack]").await,
        0,
        "acknowledged once"
    );

    // Set the priority.
    b.choose("#f-priority", "high").await;
    b.submit("[data-test=form-priority]").await;
    assert_eq!(b.text("[data-test=inquiry-priority]").await, "high");
    let events_after_priority = b.count("[data-test=trail] [data-test=event]").await;
    assert!(events_after_priority > events_after_ack);

    // Log 45 minutes.
    b.fill("#f-minutes", "45").await;
    b.fill("#f-time-note", "reproduced with 5.2").await;
    b.submit("[data-test=form-time]").await;
    let logged = b.text("[data-test=inquiry-logged]").await;
    assert!(
        logged.starts_with("45m") || logged.starts_with("45 min"),
        "{logged}"
    );
    let entries = b.texts("[data-test=time-entry]").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].contains("reproduced with 5.2"), "{entries:?}");
    assert!(entries[0].contains("David"), "{entries:?}");
    let events_after_time = b.count("[data-test=trail] [data-test=event]").await;
    assert!(events_after_time > events_after_priority);

    // Resolve: the state changes, the open-only forms go, reopening becomes possible.
    b.submit("[data-test=action-form][data-action=resolve]")
        .await;
    assert_eq!(b.text("[data-test=inquiry-state]").await, "resolved");
    assert_eq!(b.count("[data-test=form-escalate]").await, 0);
    b.find("[data-test=action-form][data-action=reopen]").await;
    let trail = b.texts("[data-test=trail] [data-test=event]").await;
    assert!(trail.len() > events_after_time, "{trail:?}");
    assert!(
        trail
            .iter()
            .all(|e| e.contains("david@example.com") || e.contains("token:")),
        "every step names who took it: {trail:?}"
    );
    b.screenshot("inquiry-resolved").await;

    // The board no longer lists it.
    let back = b.find("[data-test=back-to-board]").await;
    b.click_and_wait(&back).await;
    assert_eq!(b.count(&row).await, 0);
    b.find("[data-test=queue-empty]").await;

    // What the API says matches what the page showed.
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "resolved");
    assert_eq!(detail["priority"], "high");
    assert_eq!(detail["logged_minutes"], 45);
    assert_eq!(detail["time_entries"][0]["member"], "david");
    let actors: Vec<&str> = detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["actor"].as_str())
        .collect();
    assert_eq!(
        actors
            .iter()
            .filter(|a| **a == "user:david@example.com")
            .count(),
        4,
        "ack, priority, time and resolve by the person: {actors:?}"
    );

    // A form without the session's CSRF token is refused, and changes nothing.
    let status = b
        .post_from_page(&format!("{page}/reopen"), json!({"csrf": "forged"}))
        .await;
    assert_eq!(status, 403);
    let status = b.post_from_page(&format!("{page}/reopen"), json!({})).await;
    assert_eq!(status, 403);
    assert_eq!(app.inquiry(id).await["state"], "resolved");
    b.close().await;
}
