//! What the inquiry methods of [`Store`](crate::Store) take besides domain records: the change
//! saved with an inquiry and the list filters; plus the text forms of domain enums as stored.

use std::collections::HashMap;

use baton_core::access::Role;
use baton_core::inquiry::{Inquiry, NewInquiry, NewTimeEntry, Pause, State};
use baton_core::sla::Priority;
use chrono::{DateTime, Utc};

use crate::event::NewEvent;
use crate::{kind, validate, StoreError};

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

/// A new inquiry checked and ready to be written (by `create_inquiry` or an intake `Create`).
pub(crate) struct CheckedCreate {
    /// Instants at stored precision.
    pub new: NewInquiry,
    /// `new.labels` as JSON text.
    pub labels: String,
    pub actor: String,
    /// The event's instant and the inquiry's `updated_at`, at stored precision.
    pub at: DateTime<Utc>,
}

impl CheckedCreate {
    pub(crate) fn new(
        new: NewInquiry,
        actor: String,
        at: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let new = validate::new_inquiry(new)?;
        validate::actor(&actor)?;
        let labels = labels_json(&new.labels)?;
        Ok(CheckedCreate {
            new,
            labels,
            actor,
            at: validate::stored_instant(at),
        })
    }

    /// The inquiry as stored under `id`: version 1, nothing logged, no pauses, `updated_at` =
    /// `at`.
    pub(crate) fn stored(&self, id: i64) -> Inquiry {
        let new = self.new.clone();
        Inquiry {
            id,
            team: new.team,
            source: new.source,
            external_ref: new.external_ref,
            link: new.link,
            title: new.title,
            body: new.body,
            reporter: new.reporter,
            labels: new.labels,
            severity: new.severity,
            received_at: new.received_at,
            area: new.area,
            priority: new.priority,
            suggested_priority: new.suggested_priority,
            suggestion_reason: new.suggestion_reason,
            state: new.state,
            assignee: new.assignee,
            first_response_at: None,
            first_response_due: new.first_response_due,
            resolution_due: new.resolution_due,
            resolved_at: None,
            pauses: Vec::new(),
            issue_url: None,
            logged_minutes: 0,
            should_escalate: false,
            next_due: new.next_due,
            updated_at: self.at,
            version: 1,
        }
    }

    /// What makes the inquiry unique, `(team, source, external_ref)`; `None` without a
    /// reference (which never collides).
    pub(crate) fn identity(&self) -> Option<(&str, &str, &str)> {
        let new = &self.new;
        let external_ref = new.external_ref.as_deref()?;
        Some((new.team.as_str(), new.source.as_str(), external_ref))
    }

    /// `inquiry.created` by the actor at `at`, carrying `record` (this inquiry as stored).
    pub(crate) fn event(&self, record: &Inquiry) -> Result<NewEvent<'_>, StoreError> {
        Ok(NewEvent::about(
            kind::INQUIRY_CREATED,
            Some(&self.new.team),
            &self.actor,
            self.at,
            record,
        )?
        .on_inquiry(Some(record.id)))
    }
}

/// The id each of `creates` got from a multi-row insert of them with `ON CONFLICT (team,
/// source, external_ref) DO NOTHING RETURNING id, team, source, external_ref` (`returned`, in
/// any order); `None` for one that inserted nothing, the inquiry being stored already. See
/// [`intake::assign_ids`](crate::intake::assign_ids); the team and source of every row are
/// checked against what was asked.
pub(crate) fn inserted_ids(
    creates: &[&CheckedCreate],
    returned: Vec<(i64, String, String, Option<String>)>,
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut origins = HashMap::with_capacity(returned.len());
    let returned = returned
        .into_iter()
        .map(|(id, team, source, external_ref)| {
            let key = external_ref.map(|external_ref| (team.clone(), source.clone(), external_ref));
            origins.insert(id, (team, source));
            (id, key)
        })
        .collect();
    let keys = creates
        .iter()
        .map(|create| {
            create.identity().map(|(team, source, external_ref)| {
                (team.to_owned(), source.to_owned(), external_ref.to_owned())
            })
        })
        .collect();
    let ids = crate::intake::assign_ids(keys, returned)?;
    for (create, id) in creates.iter().zip(&ids) {
        let Some(id) = id else { continue };
        let (team, source) = &origins[id];
        if *team != create.new.team || *source != create.new.source {
            return Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "inquiry {id} was inserted for team `{team}` and source `{source}`, not for \
                 `{}` and `{}`",
                create.new.team, create.new.source
            ))));
        }
    }
    Ok(ids)
}

/// A changed inquiry and its change, checked and ready to be written (by `save_inquiry` or an
/// intake `Save`).
pub(crate) struct CheckedSave {
    /// Instants at stored precision.
    pub inquiry: Inquiry,
    /// `inquiry.labels` and `inquiry.pauses` as JSON text.
    pub labels: String,
    pub pauses: String,
    /// Instants at stored precision.
    pub change: InquiryChange,
    /// `change.data` as JSON text.
    pub data: String,
}

impl CheckedSave {
    pub(crate) fn new(inquiry: &Inquiry, change: InquiryChange) -> Result<Self, StoreError> {
        let inquiry = validate::inquiry(inquiry)?;
        let change = validate::change(change, inquiry.id)?;
        Ok(CheckedSave {
            labels: labels_json(&inquiry.labels)?,
            pauses: pauses_json(&inquiry.pauses)?,
            data: serde_json::to_string(&change.data)?,
            inquiry,
            change,
        })
    }

    /// The change's event (with the inquiry's team and id).
    pub(crate) fn event(&self) -> NewEvent<'_> {
        NewEvent {
            team: Some(&self.inquiry.team),
            inquiry_id: Some(self.inquiry.id),
            actor: &self.change.actor,
            kind: &self.change.kind,
            at: self.change.at,
            data: self.data.clone(),
        }
    }

    /// Why nothing was written for this save, given the inquiry as stored now (`None`: there
    /// is none): the id is unknown, the version is stale, or it changes what is fixed.
    pub(crate) fn refusal(&self, stored: Option<Inquiry>) -> StoreError {
        let id = self.inquiry.id;
        match stored {
            None => StoreError::NotFound(format!("inquiry {id}")),
            Some(stored) if stored.version == self.inquiry.version => {
                match validate::fixed_fields(&stored, &self.inquiry) {
                    Err(invalid) => invalid,
                    // Changed and changed back between the update and this read.
                    Ok(()) => stale(id),
                }
            }
            Some(_) => stale(id),
        }
    }
}

fn stale(id: i64) -> StoreError {
    StoreError::Conflict(format!(
        "inquiry {id} was changed meanwhile; reload it and try again"
    ))
}

/// The open states as an SQL list of literals, in the text PostgreSQL's partial queue index
/// (`0002_inquiries.sql`) was created with. A query can only use such an index when its
/// predicate repeats the index's, so the list is spelled out here rather than bound.
macro_rules! open_states_sql {
    () => {
        "('new', 'acknowledged', 'in_progress', 'waiting', 'routed')"
    };
}
pub(crate) use open_states_sql;

/// The states that are not open, as an SQL list of literals: SQLite's queue index
/// (`0007_inquiry_checks_without_lists.sql`) holds the rows `NOT IN` it, because SQLite
/// evaluates a list of two by comparisons but builds a temporary B-tree for a longer one, for
/// every row written.
macro_rules! closed_states_sql {
    () => {
        "('resolved', 'escalated')"
    };
}
pub(crate) use closed_states_sql;

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

    /// The states an SQL list of literals such as `('new', 'waiting')` names.
    fn listed_states(list: &str) -> Vec<State> {
        list.trim_matches(['(', ')'])
            .split(", ")
            .map(|s| s.trim_matches('\'').parse::<State>().unwrap())
            .collect()
    }

    #[test]
    fn open_states_sql_lists_exactly_the_open_states() {
        assert_eq!(listed_states(open_states_sql!()), State::OPEN);
    }

    #[test]
    fn closed_states_sql_lists_exactly_the_states_that_are_not_open() {
        let closed: Vec<_> = State::ALL.into_iter().filter(|s| !s.is_open()).collect();
        assert_eq!(listed_states(closed_states_sql!()), closed);
    }

    /// The queue queries repeat the predicates the latest queue index of each backend was
    /// made with.
    #[test]
    fn both_migrations_index_the_open_states_as_their_queries_ask() {
        let postgres = include_str!("../migrations/postgres/0002_inquiries.sql");
        let predicate = format!("WHERE state IN {};", open_states_sql!());
        assert!(postgres.contains(&predicate), "{predicate}");
        let sqlite = include_str!("../migrations/sqlite/0007_inquiry_checks_without_lists.sql");
        let predicate = format!("WHERE state NOT IN {};", closed_states_sql!());
        assert!(sqlite.contains(&predicate), "{predicate}");
        assert!(
            crate::sqlite::QUEUE_SQL.contains(&format!("state NOT IN {}", closed_states_sql!()))
        );
    }

    #[test]
    fn page_size_defaults_and_caps() {
        assert_eq!(page_size(0), 100);
        assert_eq!(page_size(7), 7);
        assert_eq!(page_size(1_000_000), 1_000);
    }
}
