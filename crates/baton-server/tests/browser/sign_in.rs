//! Signing in: with email and password through the form, and with a one-time link.

use baton_core::access::Role;
use serde_json::json;

use crate::accounts::{account, link_account, PASSWORD};
use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::BOARD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_with_a_password_opens_the_board() {
    let app = spawn_app().await;
    app.create(json!({"title": "VS Code extension shows no hovers", "priority": "high"}))
        .await;
    app.create(json!({"title": "JetBrains plugin asks for a token twice", "priority": "low"}))
        .await;
    account(&app, "ada@example.com", Role::Member).await;
    let Some(b) = Browser::open("sign_in_password", &app).await else {
        return;
    };

    // Signed out, the board sends to the sign-in form.
    b.goto(BOARD).await;
    assert!(b.path().await.starts_with("/login"), "{}", b.path().await);
    b.find("[data-test=signin-form]").await;
    b.screenshot("signin").await;

    // A wrong password: the form again, with a message, and no way in.
    b.fill("#email", "ada@example.com").await;
    b.fill("#password", "not the password").await;
    b.submit("[data-test=signin-form]").await;
    let error = b.text("[data-test=signin-error]").await;
    assert!(error.contains("do not match"), "{error}");
    assert_eq!(
        b.attr("#email", "value").await.as_deref(),
        Some("ada@example.com")
    );
    b.screenshot("signin-failed").await;

    b.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(b.path().await, BOARD);
    assert_eq!(b.text("[data-test=team-name]").await, "Integrations");
    assert_eq!(b.text("[data-test=viewer-email]").await, "ada@example.com");
    assert_eq!(b.text("[data-test=viewer-role]").await, "member");
    // Wednesday 5 October 2022: David's week.
    assert_eq!(b.text("[data-test=on-duty-name]").await, "David");
    assert_eq!(
        b.attr("[data-test=on-duty]", "data-member")
            .await
            .as_deref(),
        Some("david")
    );
    let until = b.text("[data-test=on-duty-until]").await;
    assert!(
        until.contains("10 Oct") || until.contains("Oct 10"),
        "{until}"
    );
    assert_eq!(b.text("[data-test=next-duty-name]").await, "Taras");
    // The open queue, the nearest deadline first: the high one is due before the low one.
    let titles = b
        .texts("[data-test=queue-row] [data-test=queue-link]")
        .await;
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(
        titles[0].contains("VS Code extension shows no hovers"),
        "{titles:?}"
    );
    assert!(
        titles[1].contains("JetBrains plugin asks for a token twice"),
        "{titles:?}"
    );
    assert_eq!(b.text("[data-test=queue-count]").await, "2");
    let priorities = b
        .texts("[data-test=queue-row] [data-test=queue-priority]")
        .await;
    assert_eq!(priorities, ["high", "low"]);
    let assignees = b
        .texts("[data-test=queue-row] [data-test=queue-assignee]")
        .await;
    assert_eq!(assignees, ["David", "David"]);
    assert!(
        b.count("[data-test=check-item]").await > 0,
        "the channel checklist"
    );
    b.screenshot("board").await;

    // Signing out ends the session: the board asks to sign in again.
    b.submit("[data-test=logout-form]").await;
    assert!(b.path().await.starts_with("/login"), "{}", b.path().await);
    b.goto(BOARD).await;
    assert!(b.path().await.starts_with("/login"), "{}", b.path().await);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_time_link_signs_in_once() {
    let app = spawn_app().await;
    let (_, link) = link_account(&app, "new.person@example.com", Role::Admin).await;
    let Some(b) = Browser::open("sign_in_link", &app).await else {
        return;
    };

    // Opened as `baton demo` prints it: a page with one button, which leads onto the board.
    b.client.goto(&link).await.expect("the link opens");
    assert!(
        b.path().await.starts_with("/login/link/"),
        "{}",
        b.path().await
    );
    b.find("[data-test=link-form]").await;
    assert_eq!(b.count("[data-test=viewer-email]").await, 0);
    b.screenshot("link-page").await;
    b.submit("[data-test=link-form]").await;
    assert_eq!(b.path().await, BOARD);
    assert_eq!(
        b.text("[data-test=viewer-email]").await,
        "new.person@example.com"
    );
    assert_eq!(b.text("[data-test=viewer-role]").await, "admin");
    assert_eq!(b.text("[data-test=on-duty-name]").await, "David");
    b.find("[data-test=queue-empty]").await;
    b.screenshot("board").await;

    // A second use is refused, in words, with the form to sign in otherwise.
    b.submit("[data-test=logout-form]").await;
    b.client.goto(&link).await.expect("the link opens");
    b.submit("[data-test=link-form]").await;
    assert!(
        b.path().await.starts_with("/login/link/"),
        "{}",
        b.path().await
    );
    let error = b.text("[data-test=signin-error]").await;
    assert!(error.to_lowercase().contains("used"), "{error}");
    b.find("[data-test=signin-form]").await;
    b.screenshot("link-used").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_only_person_sets_a_password_and_signs_in_with_it() {
    let app = spawn_app().await;
    let (_, link) = link_account(&app, "lin@example.com", Role::Member).await;
    let Some(b) = Browser::open("account_password", &app).await else {
        return;
    };
    b.sign_in_with_link(&link).await;
    b.goto("/account").await;
    b.find("[data-test=password-form]").await;
    assert_eq!(b.count("#current").await, 0, "no current password to give");

    // Two different new passwords: refused, said so.
    b.fill("#new", "a first long password").await;
    b.fill("#repeat", "a second long password").await;
    b.submit("[data-test=password-form]").await;
    let error = b.text("[data-test=password-error]").await;
    assert!(error.contains("differ"), "{error}");

    b.fill("#new", "a first long password").await;
    b.fill("#repeat", "a first long password").await;
    b.submit("[data-test=password-form]").await;
    let notice = b.text("[data-test=password-notice]").await;
    assert!(notice.contains("password is set"), "{notice}");
    b.find("#current").await;
    b.screenshot("password-set").await;

    // Signed out, the password signs in.
    b.submit("[data-test=logout-form]").await;
    b.sign_in("lin@example.com", "a first long password").await;
    assert_eq!(b.text("[data-test=viewer-email]").await, "lin@example.com");
    b.close().await;
}
