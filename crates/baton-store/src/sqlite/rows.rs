//! SQLite rows and their records. Instants are stored as Unix epoch milliseconds.

use baton_core::model::{Override, Swap, TimeOff};
use chrono::{DateTime, Utc};

use crate::{Event, StoreError};

/// `t` as stored: Unix epoch milliseconds.
pub(super) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant stored as `ms` Unix epoch milliseconds.
fn instant(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| {
        StoreError::Database(sqlx::Error::Decode(
            format!("stored instant {ms} ms is out of range").into(),
        ))
    })
}

#[derive(sqlx::FromRow)]
pub(super) struct OverrideRow {
    id: i64,
    team: String,
    member: String,
    starts_at_ms: i64,
    ends_at_ms: i64,
    reason: Option<String>,
    created_by: String,
    created_at_ms: i64,
}

impl OverrideRow {
    pub(super) fn into_record(self) -> Result<Override, StoreError> {
        Ok(Override {
            id: self.id,
            team: self.team,
            member: self.member,
            start: instant(self.starts_at_ms)?,
            end: instant(self.ends_at_ms)?,
            reason: self.reason,
            created_by: self.created_by,
            created_at: instant(self.created_at_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SwapRow {
    id: i64,
    team: String,
    first_at_ms: i64,
    second_at_ms: i64,
    reason: Option<String>,
    created_by: String,
    created_at_ms: i64,
}

impl SwapRow {
    pub(super) fn into_record(self) -> Result<Swap, StoreError> {
        Ok(Swap {
            id: self.id,
            team: self.team,
            first: instant(self.first_at_ms)?,
            second: instant(self.second_at_ms)?,
            reason: self.reason,
            created_by: self.created_by,
            created_at: instant(self.created_at_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TimeOffRow {
    id: i64,
    member: String,
    starts_at_ms: i64,
    ends_at_ms: i64,
    reason: Option<String>,
    created_by: String,
    created_at_ms: i64,
}

impl TimeOffRow {
    pub(super) fn into_record(self) -> Result<TimeOff, StoreError> {
        Ok(TimeOff {
            id: self.id,
            member: self.member,
            start: instant(self.starts_at_ms)?,
            end: instant(self.ends_at_ms)?,
            reason: self.reason,
            created_by: self.created_by,
            created_at: instant(self.created_at_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    id: i64,
    team: Option<String>,
    actor: String,
    kind: String,
    occurred_at_ms: i64,
    data: String,
}

impl EventRow {
    pub(super) fn into_event(self) -> Result<Event, StoreError> {
        Ok(Event {
            id: self.id,
            team: self.team,
            actor: self.actor,
            kind: self.kind,
            at: instant(self.occurred_at_ms)?,
            data: serde_json::from_str(&self.data)?,
        })
    }
}
