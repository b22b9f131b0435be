//! GitHub webhooks: `X-Hub-Signature-256`, and the events baton acts on.
//!
//! - [`verify`] checks `X-Hub-Signature-256` (`sha256=` HMAC-SHA256 of the raw body).
//! - [`parse`] reads a body according to its `X-GitHub-Event` header.
//! - [`team_mentions`] finds `@org/team` mentions in Markdown, outside code.
//!
//! Configure webhooks with content type `application/json`: a form-encoded body (`payload=…`)
//! is refused as not a JSON object.
//!
//! Deduplication is the server's job: every delivery carries a unique id in the
//! [`DELIVERY_HEADER`] (`X-GitHub-Delivery`, a GUID), the same when a delivery is redelivered.

mod events;
mod mentions;

pub use events::{
    parse, Action, Comment, Event, Issue, IssueCommentEvent, IssueState, IssuesEvent, Ping,
    PullRequest, PullRequestEvent, ReviewRequest,
};
pub use mentions::{team_mentions, TeamMention};

use crate::error::VerifyError;
use crate::signature;

/// The header carrying `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";
/// The header naming the event (`issues`, `issue_comment`, `pull_request`, `ping`, …).
pub const EVENT_HEADER: &str = "X-GitHub-Event";
/// The header carrying the delivery's unique id: the deduplication key.
pub const DELIVERY_HEADER: &str = "X-GitHub-Delivery";

/// Verifies a GitHub delivery's `X-Hub-Signature-256` header against the webhook secret, in
/// constant time.
pub fn verify(secret: &[u8], signature: Option<&str>, body: &[u8]) -> Result<(), VerifyError> {
    if secret.is_empty() {
        return Err(VerifyError::Unconfigured);
    }
    let signature = signature.ok_or(VerifyError::Missing(SIGNATURE_HEADER))?;
    let hex = signature
        .strip_prefix("sha256=")
        .ok_or(VerifyError::Malformed {
            what: SIGNATURE_HEADER,
            reason: "expected sha256=<hex>",
        })?;
    signature::verify_hex(secret, &[body], hex, SIGNATURE_HEADER)
}

/// The `X-Hub-Signature-256` value GitHub would send for `body` (for tests and tools that
/// replay recorded deliveries).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", signature::sign_hex(secret, &[body]))
}
