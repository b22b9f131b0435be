//! Slack's Web API, read side: a small client for what baton asks Slack, starting with the
//! channels the bot can see (`conversations.list`), so that a channel given by name only in the
//! config can be watched by its id.
//!
//! Only reads live here. Anything that changes Slack (posting a message) is a side effect that
//! goes through the server's durable outbox, not through a direct call.
//!
//! The bot token is held in a [`SecretString`]: it is sent as a bearer token and never printed
//! (`Debug` shows the base URL only). Slack's `{"ok": false, "error": "…"}` answers become
//! [`SlackApiError::Slack`]; HTTP 429 is retried after its `Retry-After`, a bounded number of
//! times and never longer than [`SlackApiOptions::max_retry_wait`]; every request has a timeout.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Where Slack's Web API lives.
pub const DEFAULT_BASE_URL: &str = "https://slack.com/api/";

/// The scopes `conversations.list` needs for public and private channels.
pub const CHANNEL_SCOPES: &str = "channels:read, groups:read";

/// Channels asked for per page (Slack allows up to 1000 and recommends at most 200).
const PAGE_SIZE: u32 = 200;

/// Pages followed at most before giving up (200 000 channels).
const MAX_PAGES: usize = 1_000;

/// The largest answer read, in bytes (a page of 200 channels is some 200 KB).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A Slack channel the bot can see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// `C0INTEGRAT`: what events carry.
    pub id: String,
    /// The name without `#`, as Slack keeps it (lower case): `integrations`.
    pub name: String,
    pub is_private: bool,
    pub is_archived: bool,
}

/// Lists the channels of the workspace: the Web API, or a fake in tests.
#[async_trait]
pub trait ChannelDirectory: Send + Sync {
    /// Every channel, public and private, that the bot can see, without archived ones.
    async fn channels(&self) -> Result<Vec<Channel>, SlackApiError>;
}

/// Why a Web API call failed.
#[derive(Debug, thiserror::Error)]
pub enum SlackApiError {
    /// Slack answered `{"ok": false, "error": …}`.
    #[error("Slack refused {method}: {error}{}", hint(.error, .needed.as_deref()))]
    Slack {
        method: &'static str,
        /// Slack's error code: `invalid_auth`, `missing_scope`, `ratelimited`, …
        error: String,
        /// For `missing_scope`: the scopes the call needs.
        needed: Option<String>,
    },
    /// Still rate limited (HTTP 429) after the retries allowed, or asked to wait longer than
    /// allowed.
    #[error("Slack rate-limits {method}: it asks to retry after {}s", .retry_after.as_secs())]
    RateLimited {
        method: &'static str,
        retry_after: Duration,
    },
    /// Any other HTTP status that is not a success.
    #[error("Slack answered {method} with HTTP {status}")]
    Status { method: &'static str, status: u16 },
    /// No complete answer within the timeout.
    #[error("Slack did not answer {method} within {}s", .timeout.as_secs_f32())]
    Timeout {
        method: &'static str,
        timeout: Duration,
    },
    /// The request could not be sent or its answer not read (DNS, TLS, connection).
    #[error("could not reach Slack for {method}: {reason}")]
    Transport {
        method: &'static str,
        reason: String,
    },
    /// The answer is not the JSON Slack sends.
    #[error("Slack's answer to {method} is not understood: {reason}")]
    Malformed {
        method: &'static str,
        reason: String,
    },
    /// The client could not be built (a base URL that is not a URL, no TLS backend).
    #[error("the Slack API client cannot be set up: {0}")]
    Setup(String),
}

impl SlackApiError {
    /// Slack's own error code, for `ok: false` answers.
    pub fn slack_code(&self) -> Option<&str> {
        match self {
            Self::Slack { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// What to do about a Slack error code, in words (`""` when there is nothing to add).
fn hint(error: &str, needed: Option<&str>) -> String {
    match error {
        "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive" => {
            " (the bot token is missing, wrong or revoked: copy the Bot User OAuth Token again)"
                .to_owned()
        }
        "missing_scope" => format!(
            " (add the bot scopes {} under OAuth & Permissions and reinstall the app)",
            needed.unwrap_or(CHANNEL_SCOPES)
        ),
        _ => String::new(),
    }
}

/// How the client talks to Slack.
#[derive(Clone, Debug)]
pub struct SlackApiOptions {
    /// The Web API's base URL; tests point it at a local fake.
    pub base_url: String,
    /// The longest one request may take, answer included.
    pub timeout: Duration,
    /// How many times a rate-limited (429) request is retried.
    pub max_retries: u32,
    /// The longest `Retry-After` waited for; a longer one is an error at once.
    pub max_retry_wait: Duration,
}

impl Default for SlackApiOptions {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(10),
            max_retries: 3,
            max_retry_wait: Duration::from_secs(30),
        }
    }
}

/// A Slack Web API client for one bot token.
#[derive(Clone)]
pub struct SlackApi {
    http: reqwest::Client,
    base: Url,
    token: Arc<SecretString>,
    options: SlackApiOptions,
}

impl fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackApi")
            .field("base", &self.base.as_str())
            .field("token", &"[REDACTED]")
            .finish()
    }
}

impl SlackApi {
    /// A client sending `token` (the bot's `xoxb-…` token) as configured by `options`.
    pub fn new(token: SecretString, options: SlackApiOptions) -> Result<Self, SlackApiError> {
        let mut base = Url::parse(&options.base_url).map_err(|e| {
            SlackApiError::Setup(format!(
                "the base URL {:?} is not a URL: {e}",
                options.base_url
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(SlackApiError::Setup(format!(
                "the base URL {:?} is not http(s)",
                options.base_url
            )));
        }
        if !base.path().ends_with('/') {
            // `join` replaces the last segment unless the path ends with a slash.
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .user_agent(concat!("baton/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SlackApiError::Setup(e.to_string()))?;
        Ok(Self {
            http,
            base,
            token: Arc::new(token),
            options,
        })
    }

    /// `conversations.list`: every public and private channel the bot can see, not archived,
    /// following `response_metadata.next_cursor` page by page.
    pub async fn conversations_list(&self) -> Result<Vec<Channel>, SlackApiError> {
        const METHOD: &str = "conversations.list";
        let mut channels = Vec::new();
        let mut cursor = String::new();
        for page in 1..=MAX_PAGES {
            let limit = PAGE_SIZE.to_string();
            let mut query = vec![
                ("types", "public_channel,private_channel"),
                ("exclude_archived", "true"),
                ("limit", limit.as_str()),
            ];
            if !cursor.is_empty() {
                query.push(("cursor", cursor.as_str()));
            }
            let body: ListPage = self.call(METHOD, &query).await?;
            channels.extend(
                body.channels
                    .into_iter()
                    .filter_map(RawChannel::into_channel),
            );
            let next = body
                .response_metadata
                .and_then(|m| m.next_cursor)
                .unwrap_or_default();
            if next.is_empty() {
                tracing::debug!(
                    pages = page,
                    channels = channels.len(),
                    "Slack channels listed"
                );
                return Ok(channels);
            }
            if next == cursor {
                return Err(SlackApiError::Malformed {
                    method: METHOD,
                    reason: "the same cursor was returned twice".to_owned(),
                });
            }
            cursor = next;
        }
        Err(SlackApiError::Malformed {
            method: METHOD,
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// One call of `method` (a GET with `query`), retried while rate limited; an `ok: true`
    /// answer read as `T`.
    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: &'static str,
        query: &[(&str, &str)],
    ) -> Result<T, SlackApiError> {
        let url = self
            .base
            .join(method)
            .map_err(|e| SlackApiError::Setup(format!("cannot form the URL of {method}: {e}")))?;
        let mut retries = 0;
        loop {
            let sent = self
                .http
                .get(url.clone())
                .bearer_auth(self.token.expose_secret())
                .query(query)
                .send()
                .await;
            let response = sent.map_err(|e| self.transport(method, &e))?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = retry_after(response.headers());
                if retries >= self.options.max_retries || retry_after > self.options.max_retry_wait
                {
                    return Err(SlackApiError::RateLimited {
                        method,
                        retry_after,
                    });
                }
                retries += 1;
                tracing::info!(
                    method,
                    retry = retries,
                    wait_seconds = retry_after.as_secs_f32(),
                    "Slack rate-limits this call: waiting as it asks"
                );
                tokio::time::sleep(retry_after).await;
                continue;
            }
            if !status.is_success() {
                return Err(SlackApiError::Status {
                    method,
                    status: status.as_u16(),
                });
            }
            let bytes = read_body(response, method, self).await?;
            return parse_answer(method, &bytes);
        }
    }

    fn transport(&self, method: &'static str, e: &reqwest::Error) -> SlackApiError {
        if e.is_timeout() {
            SlackApiError::Timeout {
                method,
                timeout: self.options.timeout,
            }
        } else {
            // Without the URL: it holds nothing secret, but the message stays short.
            let e = reqwest_error_text(e);
            SlackApiError::Transport { method, reason: e }
        }
    }
}

#[async_trait]
impl ChannelDirectory for SlackApi {
    async fn channels(&self) -> Result<Vec<Channel>, SlackApiError> {
        self.conversations_list().await
    }
}

/// The error's text and its causes, without the URL.
fn reqwest_error_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The body, at most [`MAX_BODY_BYTES`].
async fn read_body(
    mut response: reqwest::Response,
    method: &'static str,
    api: &SlackApi,
) -> Result<Vec<u8>, SlackApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| api.transport(method, &e))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(SlackApiError::Malformed {
                method,
                reason: format!("the answer is larger than {MAX_BODY_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `Retry-After` in seconds (Slack sends whole seconds); one second when absent or unreadable.
fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs)
}

/// What every Web API answer carries.
#[derive(Deserialize)]
struct Status {
    ok: bool,
    error: Option<String>,
    needed: Option<String>,
}

/// Reads an answer: `ok: false` is [`SlackApiError::Slack`], `ok: true` is read as `T`.
fn parse_answer<T: for<'de> Deserialize<'de>>(
    method: &'static str,
    bytes: &[u8],
) -> Result<T, SlackApiError> {
    let malformed = |e: serde_json::Error| SlackApiError::Malformed {
        method,
        reason: e.to_string(),
    };
    let status: Status = serde_json::from_slice(bytes).map_err(malformed)?;
    if !status.ok {
        return Err(SlackApiError::Slack {
            method,
            error: status
                .error
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "unknown_error".to_owned()),
            needed: status.needed,
        });
    }
    serde_json::from_slice(bytes).map_err(malformed)
}

#[derive(Deserialize)]
struct ListPage {
    #[serde(default)]
    channels: Vec<RawChannel>,
    response_metadata: Option<ResponseMetadata>,
}

#[derive(Deserialize)]
struct ResponseMetadata {
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct RawChannel {
    id: Option<String>,
    name: Option<String>,
    #[serde(default)]
    is_private: bool,
    #[serde(default)]
    is_archived: bool,
}

impl RawChannel {
    /// A channel with an id and a name; direct messages (no name) are left out.
    fn into_channel(self) -> Option<Channel> {
        match (self.id, self.name) {
            (Some(id), Some(name)) if !id.is_empty() && !name.is_empty() => Some(Channel {
                id,
                name,
                is_private: self.is_private,
                is_archived: self.is_archived,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_false_is_a_typed_error_with_a_hint() {
        let e = parse_answer::<ListPage>(
            "conversations.list",
            br#"{"ok":false,"error":"invalid_auth"}"#,
        )
        .err()
        .expect("an error");
        assert_eq!(e.slack_code(), Some("invalid_auth"));
        assert!(e.to_string().contains("bot token"), "{e}");

        let e = parse_answer::<ListPage>(
            "conversations.list",
            br#"{"ok":false,"error":"missing_scope","needed":"groups:read","provided":"channels:read"}"#,
        )
        .err()
        .expect("an error");
        assert!(e.to_string().contains("groups:read"), "{e}");
    }

    #[test]
    fn answers_that_are_not_slack_json_are_malformed() {
        for body in [&b"<html>"[..], b"{}", b"[]", b"{\"ok\":\"yes\"}"] {
            let e = parse_answer::<ListPage>("conversations.list", body)
                .err()
                .expect("an error");
            assert!(matches!(e, SlackApiError::Malformed { .. }), "{e}");
        }
    }

    #[test]
    fn channels_without_a_name_are_left_out() {
        let page: ListPage = parse_answer(
            "conversations.list",
            br#"{"ok":true,"channels":[{"id":"C1","name":"general"},{"id":"D1","is_im":true}]}"#,
        )
        .expect("a page");
        let channels: Vec<_> = page
            .channels
            .into_iter()
            .filter_map(RawChannel::into_channel)
            .collect();
        assert_eq!(channels.len(), 1);
        assert_eq!(channels[0].name, "general");
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), Duration::from_secs(1));
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Duration::from_secs(7));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), Duration::from_secs(1));
    }

    #[test]
    fn the_token_is_never_printed_and_bad_base_urls_are_refused() {
        let api = SlackApi::new(
            SecretString::from("xoxb-secret-token"),
            SlackApiOptions::default(),
        )
        .expect("a client");
        assert!(!format!("{api:?}").contains("xoxb-secret-token"));
        let bad = SlackApiOptions {
            base_url: "not a url".to_owned(),
            ..SlackApiOptions::default()
        };
        assert!(matches!(
            SlackApi::new(SecretString::from("t"), bad),
            Err(SlackApiError::Setup(_))
        ));
    }
}
