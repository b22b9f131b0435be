//! PostgreSQL rows and their records.

use baton_core::access::ApiToken;
use baton_core::inquiry::{Check, Inquiry, Note, TimeEntry};
use baton_core::model::{Override, Swap, TimeOff};
use chrono::{DateTime, Utc};

use crate::inquiry::{parse_labels, parse_pauses, parse_priority, parse_role, parse_state};
use crate::{Delivery, Event, StoreError};

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
    inquiry_id: Option<i64>,
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
            inquiry_id: self.inquiry_id,
            actor: self.actor,
            kind: self.kind,
            at: self.occurred_at,
            data: serde_json::from_str(&self.data)?,
        })
    }
}

/// An inquiry row; `labels` and `pauses` are selected as text (`labels::text`).
#[derive(sqlx::FromRow)]
pub(super) struct InquiryRow {
    id: i64,
    team: String,
    source: String,
    external_ref: Option<String>,
    link: Option<String>,
    title: String,
    body: String,
    reporter: Option<String>,
    labels: String,
    severity: Option<String>,
    received_at: DateTime<Utc>,
    area: Option<String>,
    priority: Option<String>,
    suggested_priority: Option<String>,
    suggestion_reason: Option<String>,
    state: String,
    assignee: String,
    first_response_at: Option<DateTime<Utc>>,
    first_response_due: Option<DateTime<Utc>>,
    resolution_due: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    pauses: String,
    issue_url: Option<String>,
    logged_minutes: i64,
    should_escalate: bool,
    next_due: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl InquiryRow {
    pub(super) fn into_record(self) -> Result<Inquiry, StoreError> {
        Ok(Inquiry {
            id: self.id,
            team: self.team,
            source: self.source,
            external_ref: self.external_ref,
            link: self.link,
            title: self.title,
            body: self.body,
            reporter: self.reporter,
            labels: parse_labels(&self.labels)?,
            severity: self.severity,
            received_at: self.received_at,
            area: self.area,
            priority: parse_priority(self.priority)?,
            suggested_priority: parse_priority(self.suggested_priority)?,
            suggestion_reason: self.suggestion_reason,
            state: parse_state(&self.state)?,
            assignee: self.assignee,
            first_response_at: self.first_response_at,
            first_response_due: self.first_response_due,
            resolution_due: self.resolution_due,
            resolved_at: self.resolved_at,
            pauses: parse_pauses(&self.pauses)?,
            issue_url: self.issue_url,
            logged_minutes: self.logged_minutes,
            should_escalate: self.should_escalate,
            next_due: self.next_due,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TimeEntryRow {
    id: i64,
    inquiry_id: i64,
    team: String,
    member: String,
    minutes: i64,
    note: Option<String>,
    at: DateTime<Utc>,
}

impl From<TimeEntryRow> for TimeEntry {
    fn from(row: TimeEntryRow) -> Self {
        TimeEntry {
            id: row.id,
            inquiry_id: row.inquiry_id,
            team: row.team,
            member: row.member,
            minutes: row.minutes,
            note: row.note,
            at: row.at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct NoteRow {
    id: i64,
    team: String,
    inquiry_id: Option<i64>,
    shift_start: Option<DateTime<Utc>>,
    author: String,
    text: String,
    at: DateTime<Utc>,
}

impl From<NoteRow> for Note {
    fn from(row: NoteRow) -> Self {
        Note {
            id: row.id,
            team: row.team,
            inquiry_id: row.inquiry_id,
            shift_start: row.shift_start,
            author: row.author,
            text: row.text,
            at: row.at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct CheckRow {
    id: i64,
    team: String,
    source: String,
    member: String,
    at: DateTime<Utc>,
}

impl From<CheckRow> for Check {
    fn from(row: CheckRow) -> Self {
        Check {
            id: row.id,
            team: row.team,
            source: row.source,
            member: row.member,
            at: row.at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TokenRow {
    id: i64,
    name: String,
    role: String,
    token_hash: String,
    created_by: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    pub(super) fn into_record(self) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: self.id,
            name: self.name,
            role: parse_role(&self.role)?,
            token_hash: self.token_hash,
            created_by: self.created_by,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// A delivery row; `headers` is selected as text (`headers::text`).
#[derive(sqlx::FromRow)]
pub(super) struct DeliveryRow {
    id: i64,
    provider: String,
    key: Option<String>,
    team: Option<String>,
    kind: String,
    headers: String,
    body: Vec<u8>,
    received_at: DateTime<Utc>,
    outcome: String,
}

impl DeliveryRow {
    pub(super) fn into_record(self) -> Result<Delivery, StoreError> {
        Ok(Delivery {
            id: self.id,
            provider: self.provider,
            key: self.key,
            team: self.team,
            kind: self.kind,
            headers: serde_json::from_str(&self.headers)?,
            body: self.body,
            received_at: self.received_at,
            outcome: self.outcome,
        })
    }
}
