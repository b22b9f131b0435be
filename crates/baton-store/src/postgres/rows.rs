//! PostgreSQL rows and their records.

use baton_core::model::{Override, Swap, TimeOff};
use chrono::{DateTime, Utc};

use crate::{Event, StoreError};

#[derive(sqlx::FromRow)]
pub(super) struct OverrideRow {
    id: i64,
    team: String,
    member: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    reason: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl From<OverrideRow> for Override {
    fn from(row: OverrideRow) -> Self {
        Override {
            id: row.id,
            team: row.team,
            member: row.member,
            start: row.starts_at,
            end: row.ends_at,
            reason: row.reason,
            created_by: row.created_by,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SwapRow {
    id: i64,
    team: String,
    first_at: DateTime<Utc>,
    second_at: DateTime<Utc>,
    reason: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl From<SwapRow> for Swap {
    fn from(row: SwapRow) -> Self {
        Swap {
            id: row.id,
            team: row.team,
            first: row.first_at,
            second: row.second_at,
            reason: row.reason,
            created_by: row.created_by,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TimeOffRow {
    id: i64,
    member: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    reason: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl From<TimeOffRow> for TimeOff {
    fn from(row: TimeOffRow) -> Self {
        TimeOff {
            id: row.id,
            member: row.member,
            start: row.starts_at,
            end: row.ends_at,
            reason: row.reason,
            created_by: row.created_by,
            created_at: row.created_at,
        }
    }
}

/// An event row; `data` is selected as text (`data::text`).
#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    id: i64,
    team: Option<String>,
    actor: String,
    kind: String,
    occurred_at: DateTime<Utc>,
    data: String,
}

impl EventRow {
    pub(super) fn into_event(self) -> Result<Event, StoreError> {
        Ok(Event {
            id: self.id,
            team: self.team,
            actor: self.actor,
            kind: self.kind,
            at: self.occurred_at,
            data: serde_json::from_str(&self.data)?,
        })
    }
}
