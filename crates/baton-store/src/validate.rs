//! Checks made before anything is written, and the precision of stored instants.
//!
//! Instants are stored with millisecond precision on every backend: new records are truncated
//! to whole milliseconds before they are written, so what a write returns is exactly what a
//! later read returns.

use baton_core::access::NewApiToken;
use baton_core::inquiry::{Inquiry, NewCheck, NewInquiry, NewNote, NewTimeEntry, Pause};
use baton_core::model::{NewOverride, NewSwap, NewTimeOff};
use chrono::{DateTime, Duration, SubsecRound, Utc};

use crate::{InquiryChange, NewDelivery, StoreError};

/// The longest inquiry title, in characters.
pub(crate) const MAX_TITLE_CHARS: usize = 1_000;
/// The largest inquiry body, in bytes of UTF-8 (256 KiB).
pub(crate) const MAX_BODY_BYTES: usize = 256 * 1024;
/// The largest note, in bytes of UTF-8 (64 KiB).
pub(crate) const MAX_NOTE_BYTES: usize = 64 * 1024;
/// The most minutes one time entry may log: a whole day.
pub(crate) const MAX_ENTRY_MINUTES: i64 = 24 * 60;

/// `t` at the precision the store keeps (whole milliseconds, truncated).
pub(crate) fn stored_instant(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}

/// The current instant at stored precision.
pub(crate) fn now() -> DateTime<Utc> {
    stored_instant(Utc::now())
}

/// Checks an override and brings its instants to stored precision.
pub(crate) fn new_override(new: NewOverride) -> Result<NewOverride, StoreError> {
    let new = NewOverride {
        start: stored_instant(new.start),
        end: stored_instant(new.end),
        ..new
    };
    non_empty("override team", &new.team)?;
    non_empty("override member", &new.member)?;
    actor(&new.created_by)?;
    range("override", new.start, new.end)?;
    Ok(new)
}

/// Checks a swap and brings its instants to stored precision.
pub(crate) fn new_swap(new: NewSwap) -> Result<NewSwap, StoreError> {
    let new = NewSwap {
        first: stored_instant(new.first),
        second: stored_instant(new.second),
        ..new
    };
    non_empty("swap team", &new.team)?;
    actor(&new.created_by)?;
    if new.first == new.second {
        return Err(StoreError::Invalid(format!(
            "a swap needs two different shifts, but both start at {}",
            new.first.to_rfc3339()
        )));
    }
    Ok(new)
}

/// Checks time off and brings its instants to stored precision.
pub(crate) fn new_time_off(new: NewTimeOff) -> Result<NewTimeOff, StoreError> {
    let new = NewTimeOff {
        start: stored_instant(new.start),
        end: stored_instant(new.end),
        ..new
    };
    non_empty("time off member", &new.member)?;
    actor(&new.created_by)?;
    range("time off", new.start, new.end)?;
    Ok(new)
}

/// Checks a new inquiry and brings its instants to stored precision.
pub(crate) fn new_inquiry(new: NewInquiry) -> Result<NewInquiry, StoreError> {
    let new = NewInquiry {
        received_at: stored_instant(new.received_at),
        first_response_due: new.first_response_due.map(stored_instant),
        resolution_due: new.resolution_due.map(stored_instant),
        next_due: new.next_due.map(stored_instant),
        ..new
    };
    non_empty("inquiry team", &new.team)?;
    non_empty("inquiry source", &new.source)?;
    non_empty("inquiry assignee", &new.assignee)?;
    external_ref(new.external_ref.as_deref())?;
    title_and_body(&new.title, &new.body)?;
    Ok(new)
}

/// Checks an inquiry about to be saved and brings its instants to stored precision.
pub(crate) fn inquiry(inquiry: &Inquiry) -> Result<Inquiry, StoreError> {
    let at = |t: Option<DateTime<Utc>>| t.map(stored_instant);
    let inquiry = Inquiry {
        received_at: stored_instant(inquiry.received_at),
        first_response_at: at(inquiry.first_response_at),
        first_response_due: at(inquiry.first_response_due),
        resolution_due: at(inquiry.resolution_due),
        resolved_at: at(inquiry.resolved_at),
        pauses: inquiry
            .pauses
            .iter()
            .map(|p| Pause {
                start: stored_instant(p.start),
                end: at(p.end),
            })
            .collect(),
        next_due: at(inquiry.next_due),
        updated_at: stored_instant(inquiry.updated_at),
        ..inquiry.clone()
    };
    non_empty("inquiry team", &inquiry.team)?;
    non_empty("inquiry source", &inquiry.source)?;
    non_empty("inquiry assignee", &inquiry.assignee)?;
    external_ref(inquiry.external_ref.as_deref())?;
    title_and_body(&inquiry.title, &inquiry.body)?;
    if inquiry.logged_minutes < 0 {
        return Err(StoreError::Invalid(format!(
            "inquiry {} cannot have {} logged minutes",
            inquiry.id, inquiry.logged_minutes
        )));
    }
    Ok(inquiry)
}

/// Checks the change saved with inquiry `inquiry_id` and brings its instants to stored
/// precision.
pub(crate) fn change(change: InquiryChange, inquiry_id: i64) -> Result<InquiryChange, StoreError> {
    non_empty("change kind", &change.kind)?;
    actor(&change.actor)?;
    let time_entry = change.time_entry.map(new_time_entry).transpose()?;
    if let Some(entry) = &time_entry {
        if entry.inquiry_id != inquiry_id {
            return Err(StoreError::Invalid(format!(
                "a time entry for inquiry {} cannot be saved with inquiry {inquiry_id}",
                entry.inquiry_id
            )));
        }
    }
    Ok(InquiryChange {
        at: stored_instant(change.at),
        time_entry,
        ..change
    })
}

/// Checks a webhook delivery and brings its instant to stored precision.
pub(crate) fn new_delivery(new: NewDelivery) -> Result<NewDelivery, StoreError> {
    non_empty("delivery provider", &new.provider)?;
    non_empty("delivery kind", &new.kind)?;
    if new.key.as_deref() == Some("") {
        return Err(StoreError::Invalid(
            "a delivery's key must not be empty when it is set".to_owned(),
        ));
    }
    if new
        .team
        .as_deref()
        .is_some_and(|team| team.trim().is_empty())
    {
        return Err(StoreError::Invalid(
            "a delivery's team must not be empty when it is set".to_owned(),
        ));
    }
    Ok(NewDelivery {
        received_at: stored_instant(new.received_at),
        ..new
    })
}

/// Refuses a save that would change what identifies an inquiry: its team, source, external
/// reference and arrival are fixed when it is created. `stored` is the row as stored.
pub(crate) fn fixed_fields(stored: &Inquiry, given: &Inquiry) -> Result<(), StoreError> {
    let changed: Vec<&str> = [
        ("team", stored.team != given.team),
        ("source", stored.source != given.source),
        ("external_ref", stored.external_ref != given.external_ref),
        ("received_at", stored.received_at != given.received_at),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect();
    if changed.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "inquiry {}: {} cannot change after it is created",
            given.id,
            changed.join(", ")
        )))
    }
}

/// Classifies the failure to insert a token: its hash is unique.
pub(crate) fn duplicate_token(error: sqlx::Error) -> StoreError {
    match StoreError::from(error) {
        StoreError::Conflict(_) => {
            StoreError::Conflict("an API token with the same hash already exists".to_owned())
        }
        other => other,
    }
}

/// Checks a time entry and brings its instant to stored precision.
pub(crate) fn new_time_entry(new: NewTimeEntry) -> Result<NewTimeEntry, StoreError> {
    non_empty("time entry member", &new.member)?;
    if new.minutes <= 0 || new.minutes > MAX_ENTRY_MINUTES {
        return Err(StoreError::Invalid(format!(
            "a time entry must log between 1 and {MAX_ENTRY_MINUTES} minutes, not {}",
            new.minutes
        )));
    }
    Ok(NewTimeEntry {
        at: stored_instant(new.at),
        ..new
    })
}

/// Checks a note and brings its instants to stored precision.
pub(crate) fn new_note(new: NewNote) -> Result<NewNote, StoreError> {
    non_empty("note team", &new.team)?;
    non_empty("note author", &new.author)?;
    non_empty("note text", &new.text)?;
    if new.text.len() > MAX_NOTE_BYTES {
        return Err(StoreError::Invalid(format!(
            "a note may hold at most {MAX_NOTE_BYTES} bytes (64 KiB), but this one has {}",
            new.text.len()
        )));
    }
    if new.inquiry_id.is_none() && new.shift_start.is_none() {
        return Err(StoreError::Invalid(
            "a note belongs to an inquiry or to a shift, but this one names neither".to_owned(),
        ));
    }
    Ok(NewNote {
        shift_start: new.shift_start.map(stored_instant),
        at: stored_instant(new.at),
        ..new
    })
}

/// Checks a source check and brings its instant to stored precision.
pub(crate) fn new_check(new: NewCheck) -> Result<NewCheck, StoreError> {
    non_empty("check team", &new.team)?;
    non_empty("check source", &new.source)?;
    non_empty("check member", &new.member)?;
    Ok(NewCheck {
        at: stored_instant(new.at),
        ..new
    })
}

/// Checks a new API token.
pub(crate) fn new_token(new: &NewApiToken) -> Result<(), StoreError> {
    non_empty("token name", &new.name)?;
    non_empty("token hash", &new.token_hash)?;
    actor(&new.created_by)
}

fn external_ref(external_ref: Option<&str>) -> Result<(), StoreError> {
    match external_ref {
        Some("") => Err(StoreError::Invalid(
            "an inquiry's external reference must not be empty when it is set".to_owned(),
        )),
        _ => Ok(()),
    }
}

fn title_and_body(title: &str, body: &str) -> Result<(), StoreError> {
    non_empty("inquiry title", title)?;
    let chars = title.chars().count();
    if chars > MAX_TITLE_CHARS {
        return Err(StoreError::Invalid(format!(
            "an inquiry title may have at most {MAX_TITLE_CHARS} characters, but this one has \
             {chars}"
        )));
    }
    // PostgreSQL's text columns cannot hold NUL; refuse it in both backends alike.
    if title.contains('\0') || body.contains('\0') {
        return Err(StoreError::Invalid(
            "an inquiry's title and body must not contain NUL characters".to_owned(),
        ));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(StoreError::Invalid(format!(
            "an inquiry body may hold at most {MAX_BODY_BYTES} bytes (256 KiB), but this one has \
             {}",
            body.len()
        )));
    }
    Ok(())
}

/// Checks the name of whoever makes a change.
pub(crate) fn actor(actor: &str) -> Result<(), StoreError> {
    non_empty("actor", actor)
}

/// A query range `[from, until)`, either side open when `None`, widened to whole milliseconds
/// so that comparing it with stored instants gives the same answer as with the exact bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The window for `[from, until)`; `None` when it is empty (`from == until`), an error when it
/// is inverted.
pub(crate) fn window(
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Option<Window>, StoreError> {
    if let (Some(from), Some(until)) = (from, until) {
        if until < from {
            return Err(StoreError::Invalid(format!(
                "query range ends ({}) before it starts ({})",
                until.to_rfc3339(),
                from.to_rfc3339()
            )));
        }
        if until == from {
            return Ok(None);
        }
    }
    Ok(Some(Window {
        // Stored instants are whole milliseconds: `end > from` ⇔ `end > floor(from)` and
        // `start < until` ⇔ `start < ceil(until)`.
        from: from.map(stored_instant),
        until: until.and_then(ceil_millis),
    }))
}

/// The window `[from, until)` for comparing single stored instants (`from <= t < until`),
/// both bounds rounded up to whole milliseconds so that the comparison with stored instants
/// gives the same answer as with the exact bounds. `None` when nothing can match; an error when
/// the range is inverted.
pub(crate) fn instants(
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Option<Window>, StoreError> {
    let Some(window) = window(from, until)? else {
        return Ok(None);
    };
    let from = match from {
        // Past the last representable millisecond nothing is stored.
        Some(from) => match ceil_millis(from) {
            Some(from) => Some(from),
            None => return Ok(None),
        },
        None => None,
    };
    Ok(Some(Window {
        from,
        until: window.until,
    }))
}

/// `t` rounded up to a whole millisecond; `None` (unbounded) past the last representable one.
fn ceil_millis(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let floor = stored_instant(t);
    if floor == t {
        Some(t)
    } else {
        floor.checked_add_signed(Duration::milliseconds(1))
    }
}

fn non_empty(what: &str, value: &str) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        Err(StoreError::Invalid(format!("{what} must not be empty")))
    } else {
        Ok(())
    }
}

fn range(what: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<(), StoreError> {
    if end > start {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "{what} must end after it starts, but it runs from {} to {}",
            start.to_rfc3339(),
            end.to_rfc3339()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(ms).unwrap()
    }

    #[test]
    fn window_widens_to_whole_milliseconds() {
        let from = at(1_000) + Duration::microseconds(400);
        let until = at(2_000) + Duration::microseconds(400);
        let window = window(Some(from), Some(until)).unwrap().unwrap();
        assert_eq!(window.from, Some(at(1_000)));
        assert_eq!(window.until, Some(at(2_001)));
    }

    #[test]
    fn empty_window_is_none_and_inverted_is_refused() {
        assert_eq!(window(Some(at(5)), Some(at(5))).unwrap(), None);
        assert!(matches!(
            window(Some(at(6)), Some(at(5))),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(
            window(None, None).unwrap(),
            Some(Window {
                from: None,
                until: None
            })
        );
    }

    #[test]
    fn instant_window_rounds_both_bounds_up() {
        let from = at(1_000) + Duration::microseconds(400);
        let until = at(2_000) + Duration::microseconds(400);
        let window = instants(Some(from), Some(until)).unwrap().unwrap();
        assert_eq!(window.from, Some(at(1_001)));
        assert_eq!(window.until, Some(at(2_001)));
        let exact = instants(Some(at(5)), None).unwrap().unwrap();
        assert_eq!(exact.from, Some(at(5)));
        assert_eq!(instants(Some(at(5)), Some(at(5))).unwrap(), None);
    }

    #[test]
    fn time_entry_minutes_are_bounded() {
        let entry = |minutes| NewTimeEntry {
            inquiry_id: 1,
            member: "m".into(),
            minutes,
            note: None,
            at: at(0),
        };
        assert!(new_time_entry(entry(1)).is_ok());
        assert!(new_time_entry(entry(24 * 60)).is_ok());
        for minutes in [0, -5, 24 * 60 + 1] {
            assert!(matches!(
                new_time_entry(entry(minutes)),
                Err(StoreError::Invalid(_))
            ));
        }
    }

    #[test]
    fn title_length_counts_characters() {
        let title = "é".repeat(MAX_TITLE_CHARS);
        assert!(title_and_body(&title, "").is_ok());
        let message = title_and_body(&format!("{title}x"), "")
            .unwrap_err()
            .to_string();
        assert!(message.contains("1000 characters"), "{message}");
        assert!(title_and_body("t", &"x".repeat(MAX_BODY_BYTES)).is_ok());
        assert!(title_and_body("t", &"x".repeat(MAX_BODY_BYTES + 1)).is_err());
        assert!(title_and_body("t\0", "").is_err());
        assert!(title_and_body("t", "a\0b").is_err());
    }

    #[test]
    fn instants_before_1970_truncate_towards_the_past() {
        let t = at(-1_500) + Duration::microseconds(300);
        assert_eq!(stored_instant(t), at(-1_500));
    }

    #[test]
    fn sub_millisecond_difference_is_not_a_swap() {
        let first = at(1_000);
        let swap = NewSwap {
            team: "t".into(),
            first,
            second: first + Duration::microseconds(10),
            reason: None,
            created_by: "a".into(),
        };
        assert!(matches!(new_swap(swap), Err(StoreError::Invalid(_))));
    }
}
