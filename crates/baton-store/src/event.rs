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
}

/// One recorded change: who did what, when, to which record.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Increases with every appended event.
    pub id: i64,
    /// The team the change belongs to; `None` for changes that span teams (time off).
    pub team: Option<String>,
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
    pub actor: &'a str,
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    /// `data` as JSON text.
    pub data: String,
}

impl<'a> NewEvent<'a> {
    /// An event of `kind` carrying `record` as its data.
    pub fn about<T: Serialize>(
        kind: &'static str,
        team: Option<&'a str>,
        actor: &'a str,
        at: DateTime<Utc>,
        record: &T,
    ) -> Result<Self, StoreError> {
        Ok(NewEvent {
            team,
            actor,
            kind,
            at,
            data: serde_json::to_string(record)?,
        })
    }
}
