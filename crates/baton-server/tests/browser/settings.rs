//! An admin's pages: the team's settings as configured, and API tokens made and revoked in the
//! browser.

use baton_core::access::Role;
use reqwest::{Method, StatusCode};

use crate::accounts::link_account;
use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::BOARD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_reads_the_settings_and_manages_tokens() {
    let app = spawn_app().await;
    let (_, link) = link_account(&app, "lead@example.com", Role::Admin).await;
    let Some(b) = Browser::open("admin", &app).await else {
        return;
    };
    b.sign_in_with_link(&link).await;

    // The settings: members with their zones and hours, sources with their targets.
    let nav = b.find("[data-test=nav-settings]").await;
    b.click_and_wait(&nav).await;
    assert_eq!(b.path().await, format!("{BOARD}/settings"));
    let members = b.texts("[data-test=settings-member]").await;
    assert_eq!(members.len(), 4, "{members:?}");
    let david = b
        .text("[data-test=settings-member][data-member=david]")
        .await;
    assert!(david.contains("America/New_York"), "{david}");
    assert!(david.contains("09:00"), "{david}");
    let channel = b
        .text("[data-test=settings-source][data-source='#integrations']")
        .await;
    assert!(channel.contains("1h"), "the critical target: {channel}");
    let rotation = b.text("[data-test=settings-rotation]").await;
    assert!(rotation.contains("Philipp"), "{rotation}");
    b.screenshot("settings").await;

    // A token made in the browser works once, shown once; revoked, it stops working.
    let nav = b.find("[data-test=nav-tokens]").await;
    b.click_and_wait(&nav).await;
    assert_eq!(b.path().await, "/tokens");
    let listed = b.count("[data-test=token-row]").await;
    assert_eq!(listed, 3, "the test's own tokens");
    b.fill("#k-name", "grafana dashboard").await;
    b.choose("#k-role", "viewer").await;
    b.submit("[data-test=form-token]").await;
    let secret = b
        .attr("[data-test=new-token-secret]", "value")
        .await
        .expect("the secret");
    assert!(secret.starts_with("baton_"), "{secret}");
    assert_eq!(b.count("[data-test=token-row]").await, listed + 1);
    b.screenshot("tokens").await;
    let use_token = || async {
        app.request(
            Method::GET,
            "/api/v1/teams/integrations/oncall",
            Some(&secret),
        )
        .send()
        .await
        .expect("the server answers")
        .status()
    };
    assert_eq!(use_token().await, StatusCode::OK);

    // The secret is not on the page any more once it is reloaded.
    b.goto("/tokens").await;
    assert_eq!(b.count("[data-test=new-token-secret]").await, 0);
    let source = b.client.source().await.expect("the page source");
    assert!(!source.contains(&secret), "the secret is shown only once");

    let rows = b.all("[data-test=token-row][data-revoked=false]").await;
    let mut new_row = None;
    for row in rows {
        if row
            .text()
            .await
            .expect("a row")
            .contains("grafana dashboard")
        {
            new_row = row.attr("data-id").await.expect("an id");
        }
    }
    let new_row = new_row.expect("the new token is listed");
    b.submit(&format!(
        "[data-test=token-row][data-id=\"{new_row}\"] [data-test=revoke-form]"
    ))
    .await;
    assert_eq!(
        b.attr(
            &format!("[data-test=token-row][data-id=\"{new_row}\"]"),
            "data-revoked"
        )
        .await
        .as_deref(),
        Some("true")
    );
    assert_eq!(use_token().await, StatusCode::UNAUTHORIZED);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_invites_a_person_who_signs_in_with_the_link() {
    let app = spawn_app().await;
    let (_, link) = link_account(&app, "lead@example.com", Role::Admin).await;
    let Some(b) = Browser::open("users", &app).await else {
        return;
    };
    b.sign_in_with_link(&link).await;
    let nav = b.find("[data-test=nav-users]").await;
    b.click_and_wait(&nav).await;
    assert_eq!(b.path().await, "/admin/users");

    // Added without a password: the page shows a one-time link to send.
    b.fill("#u-email", "Grace@Example.com").await;
    b.choose("#u-role", "member").await;
    b.submit("[data-test=form-user]").await;
    let invite = b
        .attr("[data-test=new-link]", "value")
        .await
        .expect("the link");
    assert!(
        invite.starts_with(&format!("{}/login/link/", app.address)),
        "{invite}"
    );
    let row = b
        .text("[data-test=user-row][data-email='Grace@Example.com']")
        .await;
    assert!(row.contains("member") && row.contains("link only"), "{row}");
    b.screenshot("users").await;

    // The person opens it: signed in as a member, on the board.
    b.submit("[data-test=logout-form]").await;
    b.sign_in_with_link(&invite).await;
    assert_eq!(b.path().await, BOARD);
    assert_eq!(
        b.text("[data-test=viewer-email]").await,
        "Grace@Example.com"
    );
    assert_eq!(b.text("[data-test=viewer-role]").await, "member");
    assert_eq!(b.count("[data-test=nav-users]").await, 0);
    b.goto("/admin/users").await;
    assert_eq!(
        b.attr("[data-test=error]", "data-status").await.as_deref(),
        Some("403")
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_disables_a_person_then_enables_them_again() {
    let app = spawn_app().await;
    let (_, link) = link_account(&app, "lead@example.com", Role::Admin).await;
    crate::accounts::account(&app, "ole@example.com", Role::Member).await;
    let Some(b) = Browser::open("users_enable", &app).await else {
        return;
    };
    b.sign_in_with_link(&link).await;
    b.goto("/admin/users").await;
    let row = "[data-test=user-row][data-email='ole@example.com']";
    b.submit(&format!("{row} [data-test=disable-form]")).await;
    assert_eq!(b.attr(row, "data-disabled").await.as_deref(), Some("true"));
    assert_eq!(b.count(&format!("{row} [data-test=disable-form]")).await, 0);
    b.screenshot("disabled").await;

    b.submit(&format!("{row} [data-test=enable-form]")).await;
    assert_eq!(b.attr(row, "data-disabled").await.as_deref(), Some("false"));
    assert!(
        b.text(row).await.contains("active"),
        "{}",
        b.text(row).await
    );
    // The admin's own row offers neither.
    let own = "[data-test=user-row][data-email='lead@example.com']";
    assert_eq!(b.count(&format!("{own} [data-test=enable-form]")).await, 0);
    assert_eq!(b.count(&format!("{own} [data-test=disable-form]")).await, 0);

    // Ole signs in again with his password.
    b.submit("[data-test=logout-form]").await;
    b.sign_in("ole@example.com", crate::accounts::PASSWORD)
        .await;
    b.close().await;
}
