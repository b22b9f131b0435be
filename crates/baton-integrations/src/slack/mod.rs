//! Slack: request signing, the Events API, slash commands and their answers.
//!
//! - [`verify`] checks `X-Slack-Signature` and `X-Slack-Request-Timestamp` over the raw body.
//! - [`parse_event`] reads an Events API request (`url_verification` or `event_callback`).
//! - [`parse_command`] reads a slash command's form body; [`Subcommand::parse`] reads its text.
//! - [`Response`] builds the JSON answer to a slash command.
//! - [`text`] reads Slack's message formatting: mentions, links, escapes.
//! - [`api`] is the outbound read side: a Web API client (`conversations.list`) behind the
//!   [`ChannelDirectory`] trait.
//!
//! Deduplication is the server's job: by [`EventCallback::event_id`], and Slack marks retries
//! with the [`RETRY_NUM_HEADER`] and [`RETRY_REASON_HEADER`] headers.

pub mod api;
mod command;
mod events;
mod response;
pub mod text;

use chrono::{DateTime, Utc};

pub use api::{Channel, ChannelDirectory, SlackApi, SlackApiError, SlackApiOptions};
pub use command::{parse_command, SlashCommand, SourceRef, Subcommand, HELP};
pub use events::{
    parse_event, ts_to_datetime, Envelope, Event, EventCallback, Message, MessageKind, Reaction,
    ReactionItem,
};
pub use response::{escape, Block, Mrkdwn, Response, ResponseType, TextObject};
pub use text::{Mentions, UserGroupMention};

use crate::error::VerifyError;
use crate::signature;

/// The header carrying `v0=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "X-Slack-Signature";
/// The header carrying the request's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "X-Slack-Request-Timestamp";
/// Present on Slack's retries of an event delivery: `1`, `2`, `3`.
pub const RETRY_NUM_HEADER: &str = "X-Slack-Retry-Num";
/// Why Slack retried (`http_timeout`, `http_error`, …).
pub const RETRY_REASON_HEADER: &str = "X-Slack-Retry-Reason";
/// Requests whose timestamp is further than this from now, either way, are refused (replay).
pub const MAX_SKEW_SECONDS: i64 = 5 * 60;

/// The two signing headers of a Slack request, as received (`None` when absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignatureHeaders<'a> {
    /// `X-Slack-Request-Timestamp`.
    pub timestamp: Option<&'a str>,
    /// `X-Slack-Signature`.
    pub signature: Option<&'a str>,
}

/// Verifies a Slack request: `v0=` HMAC-SHA256 of `v0:{timestamp}:{raw body}` under the app's
/// signing secret, compared in constant time, with a timestamp at most
/// [`MAX_SKEW_SECONDS`] from `now` in either direction.
pub fn verify(
    signing_secret: &[u8],
    headers: SignatureHeaders<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), VerifyError> {
    if signing_secret.is_empty() {
        return Err(VerifyError::Unconfigured);
    }
    let timestamp = headers
        .timestamp
        .ok_or(VerifyError::Missing(TIMESTAMP_HEADER))?;
    let signature = headers
        .signature
        .ok_or(VerifyError::Missing(SIGNATURE_HEADER))?;
    let seconds = parse_unix_seconds(timestamp).ok_or(VerifyError::Malformed {
        what: TIMESTAMP_HEADER,
        reason: "not a Unix time in seconds",
    })?;
    let age_seconds = now.timestamp().saturating_sub(seconds);
    if age_seconds.unsigned_abs() > MAX_SKEW_SECONDS.unsigned_abs() {
        return Err(VerifyError::Stale { age_seconds });
    }
    let hex = signature
        .strip_prefix("v0=")
        .ok_or(VerifyError::Malformed {
            what: SIGNATURE_HEADER,
            reason: "expected v0=<hex>",
        })?;
    signature::verify_hex(
        signing_secret,
        &[b"v0:", timestamp.as_bytes(), b":", body],
        hex,
        SIGNATURE_HEADER,
    )
}

/// The `X-Slack-Signature` value Slack would send for `body` at `timestamp` (for tests and tools
/// that replay recorded deliveries).
pub fn sign(signing_secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    format!(
        "v0={}",
        signature::sign_hex(signing_secret, &[b"v0:", ts.as_bytes(), b":", body])
    )
}

/// A Unix time as Slack writes it: decimal digits only.
fn parse_unix_seconds(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
