//! The pages on a phone: 390 CSS pixels wide (an iPhone 14 or a Pixel), no sideways scrolling,
//! and the queue readable.

use baton_core::access::Role;
use serde_json::json;

use crate::accounts::link_account;
use crate::browser::Browser;
use crate::driver::Screen;
use crate::helpers::spawn_app;
use crate::BOARD;

/// The phone's width in CSS pixels.
const PHONE_WIDTH: u32 = 390;

/// The layout viewport's width and the width of the page's content, in CSS pixels.
const WIDTHS: &str = "return [window.innerWidth, document.documentElement.scrollWidth];";

/// Each queue row's title link: its left and right edge, width and font size in CSS pixels.
const TITLE_BOXES: &str = "return Array.from(document.querySelectorAll(\
    '[data-test=queue-row] [data-test=queue-link]')).map(function (a) { \
      var r = a.getBoundingClientRect(); \
      return [r.left, r.right, r.width, parseFloat(getComputedStyle(a).fontSize)]; });";

/// Checks that the page fits the phone's width. A phone (and Chromium's mobile emulation)
/// answers content wider than the screen by widening the layout viewport and zooming out, so
/// `innerWidth` grows with the content: both are compared with the screen's width.
async fn assert_fits(b: &Browser, what: &str) {
    let widths = b.js(WIDTHS, vec![]).await;
    let (inner, scroll) = (
        widths[0].as_f64().expect("a width"),
        widths[1].as_f64().expect("a width"),
    );
    let phone = f64::from(PHONE_WIDTH);
    assert!(
        inner <= phone && scroll <= phone,
        "{what} is wider than the phone: content {scroll}px, viewport {inner}px, screen {phone}px"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_is_usable_on_a_phone() {
    let app = spawn_app().await;
    for title in [
        "The JetBrains plugin cannot connect to a Sourcegraph instance behind a corporate proxy \
         with a self-signed certificate",
        "VS Code: hovers missing",
        "https://github.com/sourcegraph/sourcegraph/issues/42790-a-very-long-unbroken-address",
    ] {
        app.create(json!({"title": title, "source": "#integrations"}))
            .await;
    }
    let (_, link) = link_account(&app, "ada@example.com", Role::Member).await;
    let screen = Screen::Phone {
        width: PHONE_WIDTH,
        height: 844,
    };
    let Some(b) = Browser::open_on("phone", &app, screen).await else {
        return;
    };
    b.goto("/login").await;
    assert_eq!(b.js("return window.innerWidth;", vec![]).await, PHONE_WIDTH);
    assert_fits(&b, "the sign-in page").await;
    b.screenshot("signin").await;
    b.sign_in_with_link(&link).await;
    assert_eq!(b.path().await, BOARD);
    b.screenshot("board").await;

    assert_fits(&b, "the board").await;
    assert_eq!(b.text("[data-test=on-duty-name]").await, "David");
    let boxes = b.js(TITLE_BOXES, vec![]).await;
    let boxes = boxes.as_array().expect("a list");
    assert_eq!(boxes.len(), 3, "{boxes:?}");
    for b in boxes {
        let (left, right, width, font) = (
            b[0].as_f64().expect("a number"),
            b[1].as_f64().expect("a number"),
            b[2].as_f64().expect("a number"),
            b[3].as_f64().expect("a number"),
        );
        assert!(
            left >= 0.0 && right <= f64::from(PHONE_WIDTH),
            "a title runs off the screen: {b}"
        );
        assert!(width >= 150.0, "a title squeezed into {width}px: {b}");
        assert!(font >= 12.0, "a title in {font}px type: {b}");
    }
    let titles = b
        .texts("[data-test=queue-row] [data-test=queue-link]")
        .await;
    assert!(
        titles.iter().any(|t| t.contains("corporate proxy")),
        "the long title is shown whole: {titles:?}"
    );

    // The inquiry and the schedule fit too.
    let id = app.inquiries().await[0]["id"].as_i64().expect("an id");
    for (step, path) in [
        ("inquiry", format!("{BOARD}/inquiries/{id}")),
        ("schedule", format!("{BOARD}/schedule")),
    ] {
        b.goto(&path).await;
        b.find("main").await;
        b.screenshot(step).await;
        assert_fits(&b, &path).await;
    }
    b.close().await;
}
