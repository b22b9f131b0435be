//! The append-only log of changes: every add and remove writes one [`Event`] in the same
//! transaction as the change itself.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::StoreError;

/// Event kinds written by the store.
pub mod kind {
    /// An override was added; data is the [`Override`](baton_core::model::Override).
    pub const OVERRIDE_ADDED: &str = "override.added";
    /// An override was removed; data is the removed override.
    pub const OVERRIDE_REMOVED: &str = "override.removed";
    /// A swap was added; data is the [`Swap`](baton_core::model::Swap).
    pub const SWAP_ADDED: &str = "swap.added";
    /// A swap was removed; data is the removed swap.
    pub const SWAP_REMOVED: &str = "swap.removed";
    /// Time off was added; data is the [`TimeOff`](baton_core::model::TimeOff).
    pub const TIME_OFF_ADDED: &str = "time_off.added";
    /// Time off was removed; data is the removed time off.
    pub const TIME_OFF_REMOVED: &str = "time_off.removed";
    /// An inquiry arrived; data is the stored [`Inquiry`](baton_core::inquiry::Inquiry).
    /// Changes to an inquiry are recorded under the kind their
    /// [`InquiryChange`](crate::InquiryChange) names (e.g. `inquiry.acknowledged`).
    pub const INQUIRY_CREATED: &str = "inquiry.created";
    /// A note was added; data is the [`Note`](baton_core::inquiry::Note).
    pub const NOTE_ADDED: &str = "note.added";
    /// A member checked a source; data is the [`Check`](baton_core::inquiry::Check).
    pub const CHECK_RECORDED: &str = "check.recorded";
    /// An API token was created; data is the [`ApiToken`](baton_core::access::ApiToken) without
    /// its hash.
    pub const TOKEN_CREATED: &str = "token.created";
    /// An API token was revoked; data is the revoked token without its hash.
    pub const TOKEN_REVOKED: &str = "token.revoked";
    /// An account was created; data is the [`User`](baton_core::access::User) without its
    /// password hash.
    pub const USER_CREATED: &str = "user.created";
    /// An account's role changed; data is the account and its `previous_role`.
    pub const USER_ROLE_CHANGED: &str = "user.role_changed";
    /// An account was disabled (its sessions ended); data is the account.
    pub const USER_DISABLED: &str = "user.disabled";
    /// A disabled account was enabled again (its earlier sign-in links stay dead); data is the
    /// account.
    pub const USER_ENABLED: &str = "user.enabled";
    /// An account's password was set (its other sessions ended); data is the account, never
    /// the hash.
    pub const USER_PASSWORD_SET: &str = "user.password_set";
    /// Someone signed in; data is the session's and account's ids, the email, `method`
    /// (`password` or `link`) and `expires_at`, never a secret or hash.
    pub const SESSION_CREATED: &str = "session.created";
    /// Someone signed out; data as for `session.created`, without `method`.
    pub const SESSION_ENDED: &str = "session.ended";
    /// A one-time sign-in link was made; data is the link without its hash, and the email.
    pub const LOGIN_LINK_CREATED: &str = "login_link.created";
}

/// One recorded change: who did what, when, to which record.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Increases with every appended event.
    pub id: i64,
    /// The team the change belongs to; `None` for changes that span teams (time off, tokens).
    pub team: Option<String>,
    /// The inquiry the change concerns, if any.
    pub inquiry_id: Option<i64>,
    /// Who made the change.
    pub actor: String,
    /// What happened, one of the [`kind`] constants.
    pub kind: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The record concerned, as JSON (instants as RFC 3339 strings).
    pub data: serde_json::Value,
}

/// Which events [`Store::list_events`](crate::Store::list_events) returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFilter {
    /// Only this team's events; `None` for all events.
    pub team: Option<String>,
    /// At most this many events (the newest ones).
    pub limit: u32,
}

/// An event before it is appended.
#[derive(Debug)]
pub(crate) struct NewEvent<'a> {
    pub team: Option<&'a str>,
    pub inquiry_id: Option<i64>,
    pub actor: &'a str,
    pub kind: &'a str,
    pub at: DateTime<Utc>,
    /// `data` as JSON text.
    pub data: String,
}

impl<'a> NewEvent<'a> {
    /// An event of `kind` carrying `record` as its data.
    pub fn about<T: Serialize>(
        kind: &'a str,
        team: Option<&'a str>,
        actor: &'a str,
        at: DateTime<Utc>,
        record: &T,
    ) -> Result<Self, StoreError> {
        Ok(NewEvent {
            team,
            inquiry_id: None,
            actor,
            kind,
            at,
            data: serde_json::to_string(record)?,
        })
    }

    /// The same event, concerning inquiry `id` (or none).
    pub fn on_inquiry(self, id: Option<i64>) -> Self {
        NewEvent {
            inquiry_id: id,
            ..self
        }
    }
}
