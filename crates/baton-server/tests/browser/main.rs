//! Browser tests: a headless Chromium (Debian's `chromium` and `chromium-driver`) driven over
//! WebDriver against the real server on port 0, asserting what a person sees in the rendered
//! page. Each test saves screenshots of the pages it visits to
//! `target/browser-screenshots/<test>-<step>.png` (or below `CARGO_TARGET_DIR`).
//!
//! Without Chromium the tests say so and pass, unless `CI` is set: then they fail, naming the
//! packages to install. They take turns (one Chromium at a time).
//!
//! Run: `cargo test -p baton-server --test browser`.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod accounts;
mod browser;
mod driver;

mod escaping;
mod live;
mod phone;
mod roles;
mod schedule;
mod settings;
mod sign_in;
mod triage;

/// The example team's board.
pub const BOARD: &str = "/teams/integrations";
