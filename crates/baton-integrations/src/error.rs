//! The two ways an inbound delivery is refused: it is not authentic ([`VerifyError`], answered
//! 401) or it is not what the sender sends ([`ParseError`], answered 400).

use std::fmt;

/// Why a signature or token check failed.
///
/// The server logs the reason and answers a plain 401: the response never says which check
/// failed. [`VerifyError::code`] is a short stable word for logs and metrics.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No secret or token is configured, so nothing can be authentic.
    #[error("no secret is configured")]
    Unconfigured,
    /// A required header (or the token) is absent.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A header is present but not in the sender's format.
    #[error("malformed {what}: {reason}")]
    Malformed {
        what: &'static str,
        reason: &'static str,
    },
    /// The request's timestamp is too far from now: a replay, or a badly wrong clock.
    #[error("{}", Skew(*.age_seconds))]
    Stale {
        /// Seconds between the timestamp and now; negative when the timestamp is in the future.
        age_seconds: i64,
    },
    /// The signature or token does not match.
    #[error("signature does not match")]
    Mismatch,
}

impl VerifyError {
    /// One word per variant (`unconfigured`, `missing`, `malformed`, `stale`, `mismatch`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unconfigured => "unconfigured",
            Self::Missing(_) => "missing",
            Self::Malformed { .. } => "malformed",
            Self::Stale { .. } => "stale",
            Self::Mismatch => "mismatch",
        }
    }
}

struct Skew(i64);

impl fmt::Display for Skew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 0 {
            write!(f, "request timestamp is {}s old", self.0)
        } else {
            write!(
                f,
                "request timestamp is {}s in the future",
                self.0.unsigned_abs()
            )
        }
    }
}

/// A body that is not what the sender sends: malformed JSON or form data, a missing or mistyped
/// field. The message names the payload and what is wrong with it; the server answers 400.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {message}")]
pub struct ParseError {
    what: &'static str,
    message: String,
}

impl ParseError {
    pub(crate) fn new(what: &'static str, message: impl Into<String>) -> Self {
        Self {
            what,
            message: message.into(),
        }
    }

    pub(crate) fn json(what: &'static str, err: &serde_json::Error) -> Self {
        Self::new(what, err.to_string())
    }

    /// The payload that was being read (`Slack event`, `GitHub issues payload`, …).
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Reads a JSON object into `T`. Anything else (an array, a number, not JSON at all) is an
/// error that says so, rather than serde's view of it as a struct written as a sequence.
pub(crate) fn from_json_object<T: serde::de::DeserializeOwned>(
    what: &'static str,
    body: &[u8],
) -> Result<T, ParseError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => serde_json::from_slice(body).map_err(|e| ParseError::json(what, &e)),
        Some(_) => Err(ParseError::new(what, "expected a JSON object")),
        None => Err(ParseError::new(what, "the body is empty")),
    }
}
