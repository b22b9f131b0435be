//! What the inquiry methods of [`Store`](crate::Store) take besides domain records: the change
//! saved with an inquiry and the list filters; plus the text forms of domain enums as stored.

use baton_core::access::Role;
use baton_core::inquiry::{NewTimeEntry, Pause, State};
use baton_core::sla::Priority;
use chrono::{DateTime, Utc};

use crate::StoreError;

/// The most rows [`Store::list_inquiries`](crate::Store::list_inquiries) returns at once.
pub const MAX_INQUIRY_PAGE: u32 = 1_000;
/// What [`InquiryFilter::limit`] `0` stands for.
pub const DEFAULT_INQUIRY_PAGE: u32 = 100;

/// What happened to an inquiry, saved with it by
/// [`Store::save_inquiry`](crate::Store::save_inquiry).
#[derive(Clone, Debug)]
pub struct InquiryChange {
    /// Event kind, e.g. `inquiry.acknowledged`.
    pub kind: String,
    pub actor: String,
    /// When it happened: the event's instant and the inquiry's new `updated_at`.
    pub at: DateTime<Utc>,
    /// The event's data (the action and what it changed).
    pub data: serde_json::Value,
    /// Work logged with this change; its `inquiry_id` must be the saved inquiry's.
    pub time_entry: Option<NewTimeEntry>,
}

/// Which inquiries [`Store::list_inquiries`](crate::Store::list_inquiries) returns. Empty fields
/// do not filter.
#[derive(Clone, Debug, Default)]
pub struct InquiryFilter {
    pub team: Option<String>,
    /// Any of these states; all states when empty.
    pub states: Vec<State>,
    pub assignee: Option<String>,
    pub source: Option<String>,
    /// Arrival in `[received_from, received_until)`.
    pub received_from: Option<DateTime<Utc>>,
    pub received_until: Option<DateTime<Utc>>,
    /// At most this many ([`DEFAULT_INQUIRY_PAGE`] when `0`, never more than
    /// [`MAX_INQUIRY_PAGE`]).
    pub limit: u32,
    /// Skips this many matches first (for paging).
    pub offset: u32,
}

/// Which time entries [`Store::list_time_entries`](crate::Store::list_time_entries) returns.
/// Empty fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct TimeEntryFilter {
    pub team: Option<String>,
    pub inquiry_id: Option<i64>,
    pub member: Option<String>,
    /// Logged at in `[from, until)`.
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Which notes [`Store::list_notes`](crate::Store::list_notes) returns. Empty fields do not
/// filter.
#[derive(Clone, Debug, Default)]
pub struct NoteFilter {
    pub team: Option<String>,
    pub inquiry_id: Option<i64>,
    /// Only the shift notes of the shift starting at this instant.
    pub shift_start: Option<DateTime<Utc>>,
}

/// The open states as an SQL list of literals, in the text the partial queue indexes of both
/// migrations (`0002_inquiries.sql`) were created with. A query can only use such an index when
/// its predicate repeats the index's, so the list is spelled out here rather than bound.
macro_rules! open_states_sql {
    () => {
        "('new', 'acknowledged', 'in_progress', 'waiting', 'routed')"
    };
}
pub(crate) use open_states_sql;

/// Page size for [`InquiryFilter::limit`].
pub(crate) fn page_size(limit: u32) -> i64 {
    i64::from(match limit {
        0 => DEFAULT_INQUIRY_PAGE,
        n => n.min(MAX_INQUIRY_PAGE),
    })
}

fn decode_error(message: String) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(message.into()))
}

/// `(team, state, count)` rows as stored, parsed and sorted by team, then lifecycle order.
pub(crate) fn state_counts(
    rows: Vec<(String, String, i64)>,
) -> Result<Vec<(String, State, i64)>, StoreError> {
    let mut counts = rows
        .into_iter()
        .map(|(team, state, n)| Ok((team, parse_state(&state)?, n)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    counts.sort_by_key(|(team, state, _)| {
        let order = State::ALL.iter().position(|s| s == state);
        (team.clone(), order.unwrap_or(usize::MAX))
    });
    Ok(counts)
}

pub(crate) fn parse_state(text: &str) -> Result<State, StoreError> {
    text.parse()
        .map_err(|_| decode_error(format!("stored state {text:?} is not a state")))
}

pub(crate) fn parse_priority(text: Option<String>) -> Result<Option<Priority>, StoreError> {
    text.map(|text| {
        text.parse()
            .map_err(|_| decode_error(format!("stored priority {text:?} is not a priority")))
    })
    .transpose()
}

pub(crate) fn parse_role(text: &str) -> Result<Role, StoreError> {
    text.parse()
        .map_err(|_| decode_error(format!("stored role {text:?} is not a role")))
}

pub(crate) fn labels_json(labels: &[String]) -> Result<String, StoreError> {
    Ok(serde_json::to_string(labels)?)
}

pub(crate) fn parse_labels(text: &str) -> Result<Vec<String>, StoreError> {
    Ok(serde_json::from_str(text)?)
}

pub(crate) fn pauses_json(pauses: &[Pause]) -> Result<String, StoreError> {
    Ok(serde_json::to_string(pauses)?)
}

pub(crate) fn parse_pauses(text: &str) -> Result<Vec<Pause>, StoreError> {
    Ok(serde_json::from_str(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_states_sql_lists_exactly_the_open_states() {
        let listed: Vec<_> = open_states_sql!()
            .trim_matches(['(', ')'])
            .split(", ")
            .map(|s| s.trim_matches('\'').parse::<State>().unwrap())
            .collect();
        assert_eq!(listed, State::OPEN);
    }

    #[test]
    fn both_migrations_index_the_same_open_states() {
        for migration in [
            include_str!("../migrations/sqlite/0002_inquiries.sql"),
            include_str!("../migrations/postgres/0002_inquiries.sql"),
        ] {
            let predicate = format!("WHERE state IN {};", open_states_sql!());
            assert!(migration.contains(&predicate), "{predicate}");
        }
    }

    #[test]
    fn page_size_defaults_and_caps() {
        assert_eq!(page_size(0), 100);
        assert_eq!(page_size(7), 7);
        assert_eq!(page_size(1_000_000), 1_000);
    }
}
