//! Checks made before anything is written, and the precision of stored instants.
//!
//! Instants are stored with millisecond precision on every backend: new records are truncated
//! to whole milliseconds before they are written, so what a write returns is exactly what a
//! later read returns.

use baton_core::model::{NewOverride, NewSwap, NewTimeOff};
use chrono::{DateTime, Duration, SubsecRound, Utc};

use crate::StoreError;

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
