//! SQLite rows and their records. Instants are stored as Unix epoch milliseconds.

use baton_core::access::ApiToken;
use baton_core::inquiry::{Check, Inquiry, Note, TimeEntry};
use baton_core::model::{Override, Swap, TimeOff};
use chrono::{DateTime, Utc};

use crate::inquiry::{parse_labels, parse_pauses, parse_priority, parse_role, parse_state};
use crate::{Delivery, Event, StoreError};

/// `t` as stored: Unix epoch milliseconds.
pub(super) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// `t`, if any, as stored.
pub(super) fn opt_millis(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(millis)
}

fn opt_instant(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(instant).transpose()
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
    inquiry_id: Option<i64>,
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
            inquiry_id: self.inquiry_id,
            actor: self.actor,
            kind: self.kind,
            at: instant(self.occurred_at_ms)?,
            data: serde_json::from_str(&self.data)?,
        })
    }
}

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
    received_at_ms: i64,
    area: Option<String>,
    priority: Option<String>,
    suggested_priority: Option<String>,
    suggestion_reason: Option<String>,
    state: String,
    assignee: String,
    first_response_at_ms: Option<i64>,
    first_response_due_ms: Option<i64>,
    resolution_due_ms: Option<i64>,
    resolved_at_ms: Option<i64>,
    pauses: String,
    issue_url: Option<String>,
    logged_minutes: i64,
    should_escalate: bool,
    next_due_ms: Option<i64>,
    updated_at_ms: i64,
    version: i64,
}

impl InquiryRow {
    /// The row as rusqlite reads it (intake's batch writer), by column name.
    pub(super) fn from_rusqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            team: row.get("team")?,
            source: row.get("source")?,
            external_ref: row.get("external_ref")?,
            link: row.get("link")?,
            title: row.get("title")?,
            body: row.get("body")?,
            reporter: row.get("reporter")?,
            labels: row.get("labels")?,
            severity: row.get("severity")?,
            received_at_ms: row.get("received_at_ms")?,
            area: row.get("area")?,
            priority: row.get("priority")?,
            suggested_priority: row.get("suggested_priority")?,
            suggestion_reason: row.get("suggestion_reason")?,
            state: row.get("state")?,
            assignee: row.get("assignee")?,
            first_response_at_ms: row.get("first_response_at_ms")?,
            first_response_due_ms: row.get("first_response_due_ms")?,
            resolution_due_ms: row.get("resolution_due_ms")?,
            resolved_at_ms: row.get("resolved_at_ms")?,
            pauses: row.get("pauses")?,
            issue_url: row.get("issue_url")?,
            logged_minutes: row.get("logged_minutes")?,
            should_escalate: row.get("should_escalate")?,
            next_due_ms: row.get("next_due_ms")?,
            updated_at_ms: row.get("updated_at_ms")?,
            version: row.get("version")?,
        })
    }

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
            received_at: instant(self.received_at_ms)?,
            area: self.area,
            priority: parse_priority(self.priority)?,
            suggested_priority: parse_priority(self.suggested_priority)?,
            suggestion_reason: self.suggestion_reason,
            state: parse_state(&self.state)?,
            assignee: self.assignee,
            first_response_at: opt_instant(self.first_response_at_ms)?,
            first_response_due: opt_instant(self.first_response_due_ms)?,
            resolution_due: opt_instant(self.resolution_due_ms)?,
            resolved_at: opt_instant(self.resolved_at_ms)?,
            pauses: parse_pauses(&self.pauses)?,
            issue_url: self.issue_url,
            logged_minutes: self.logged_minutes,
            should_escalate: self.should_escalate,
            next_due: opt_instant(self.next_due_ms)?,
            updated_at: instant(self.updated_at_ms)?,
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
    at_ms: i64,
}

impl TimeEntryRow {
    pub(super) fn into_record(self) -> Result<TimeEntry, StoreError> {
        Ok(TimeEntry {
            id: self.id,
            inquiry_id: self.inquiry_id,
            team: self.team,
            member: self.member,
            minutes: self.minutes,
            note: self.note,
            at: instant(self.at_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct NoteRow {
    id: i64,
    team: String,
    inquiry_id: Option<i64>,
    shift_start_ms: Option<i64>,
    author: String,
    text: String,
    at_ms: i64,
}

impl NoteRow {
    pub(super) fn into_record(self) -> Result<Note, StoreError> {
        Ok(Note {
            id: self.id,
            team: self.team,
            inquiry_id: self.inquiry_id,
            shift_start: opt_instant(self.shift_start_ms)?,
            author: self.author,
            text: self.text,
            at: instant(self.at_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct CheckRow {
    id: i64,
    team: String,
    source: String,
    member: String,
    at_ms: i64,
}

impl CheckRow {
    pub(super) fn into_record(self) -> Result<Check, StoreError> {
        Ok(Check {
            id: self.id,
            team: self.team,
            source: self.source,
            member: self.member,
            at: instant(self.at_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TokenRow {
    id: i64,
    name: String,
    role: String,
    token_hash: String,
    created_by: String,
    created_at_ms: i64,
    revoked_at_ms: Option<i64>,
}

impl TokenRow {
    pub(super) fn into_record(self) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: self.id,
            name: self.name,
            role: parse_role(&self.role)?,
            token_hash: self.token_hash,
            created_by: self.created_by,
            created_at: instant(self.created_at_ms)?,
            revoked_at: opt_instant(self.revoked_at_ms)?,
        })
    }
}

/// A delivery row; `headers` is JSON text.
#[derive(sqlx::FromRow)]
pub(super) struct DeliveryRow {
    id: i64,
    provider: String,
    key: Option<String>,
    team: Option<String>,
    kind: String,
    headers: String,
    body: Vec<u8>,
    body_codec: String,
    received_at_ms: i64,
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
            body: super::body_codec::decode(&self.body_codec, self.body)?,
            received_at: instant(self.received_at_ms)?,
            outcome: self.outcome,
        })
    }
}
