//! The round robin: members in order, one shift each, handing off at the same wall-clock time.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use thiserror::Error;

use crate::civil::{resolve_local, Side};
use crate::duration::CivilDays;

/// Why a rotation cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RotationError {
    #[error("a rotation needs at least one member")]
    NoMembers,
    #[error("member {0:?} appears twice in the rotation")]
    Duplicate(String),
}

/// A team's rotation: `members` take turns, each for one `shift`, the first one starting at
/// `first_handoff` (civil time in `tz`). It runs forever in both directions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    tz: Tz,
    members: Vec<String>,
    first_handoff: NaiveDateTime,
    shift: CivilDays,
}

/// One turn of the rotation before overrides and swaps: shift number `index` (0 starts at the
/// first hand-off; negative ones lie before it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    pub index: i64,
    pub member: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Rotation {
    /// A rotation of `members` (in order, no repeats).
    pub fn new(
        tz: Tz,
        members: Vec<String>,
        first_handoff: NaiveDateTime,
        shift: CivilDays,
    ) -> Result<Self, RotationError> {
        if members.is_empty() {
            return Err(RotationError::NoMembers);
        }
        for (i, m) in members.iter().enumerate() {
            if members[..i].contains(m) {
                return Err(RotationError::Duplicate(m.clone()));
            }
        }
        Ok(Self {
            tz,
            members,
            first_handoff,
            shift,
        })
    }

    /// The team's time zone, in which hand-offs are kept on the wall clock.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The members in rotation order.
    pub fn members(&self) -> &[String] {
        &self.members
    }

    /// The length of one shift.
    pub fn shift_length(&self) -> CivilDays {
        self.shift
    }

    /// The civil time of the first hand-off.
    pub fn first_handoff(&self) -> NaiveDateTime {
        self.first_handoff
    }

    /// The instant of hand-off number `index`, or `None` beyond the calendar's range.
    pub fn handoff(&self, index: i64) -> Option<DateTime<Utc>> {
        let days = index.checked_mul(i64::from(self.shift.days()))?;
        let local = self
            .first_handoff
            .checked_add_signed(Duration::try_days(days)?)?;
        Some(resolve_local(self.tz, local, Side::Earliest))
    }

    /// The member of shift `index` before overrides and swaps.
    pub fn member_of(&self, index: i64) -> &str {
        let n = self.members.len() as i64;
        &self.members[index.rem_euclid(n) as usize]
    }

    /// The number of the shift running at `t`, or `None` beyond the calendar's range.
    pub fn index_at(&self, t: DateTime<Utc>) -> Option<i64> {
        let first = self.handoff(0)?;
        let shift_seconds = i64::from(self.shift.days()) * 86_400;
        // Civil days are 24h give or take a DST change, so the estimate is off by at most one.
        let mut index = (t - first).num_seconds().div_euclid(shift_seconds);
        while self.handoff(index)? > t {
            index -= 1;
        }
        while self.handoff(index + 1)? <= t {
            index += 1;
        }
        Some(index)
    }

    /// Shift `index` as a turn.
    pub fn turn(&self, index: i64) -> Option<Turn> {
        Some(Turn {
            index,
            member: self.member_of(index).to_owned(),
            start: self.handoff(index)?,
            end: self.handoff(index + 1)?,
        })
    }

    /// The turns that overlap `[from, until)`, in order.
    pub fn turns(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Turn> {
        let (Some(first), Some(last)) = (self.index_at(from), self.index_at(until)) else {
            return Vec::new();
        };
        (first..=last)
            .filter_map(|i| self.turn(i))
            .filter(|t| t.start < until && t.end > from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn handbook() -> Rotation {
        let first = NaiveDate::from_ymd_opt(2022, 9, 26)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        Rotation::new(
            chrono_tz::Europe::Berlin,
            ["philipp", "david", "taras", "beatrix"]
                .map(String::from)
                .to_vec(),
            first,
            "1w".parse().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn handbook_table() {
        let r = handbook();
        let from = Utc.with_ymd_and_hms(2022, 9, 26, 7, 0, 0).unwrap();
        let until = Utc.with_ymd_and_hms(2022, 11, 21, 8, 0, 0).unwrap();
        let turns = r.turns(from, until);
        let names: Vec<_> = turns.iter().map(|t| t.member.as_str()).collect();
        assert_eq!(
            names,
            ["philipp", "david", "taras", "beatrix", "philipp", "david", "taras", "beatrix"]
        );
        // Berlin leaves summer time on 30 October: the hand-off stays at 09:00 local.
        assert_eq!(
            turns[4].start,
            Utc.with_ymd_and_hms(2022, 10, 24, 7, 0, 0).unwrap()
        );
        assert_eq!(
            turns[5].start,
            Utc.with_ymd_and_hms(2022, 10, 31, 8, 0, 0).unwrap()
        );
        assert_eq!(turns[4].end, turns[5].start);
        assert_eq!(turns[7].end, until);
    }

    #[test]
    fn runs_backwards_too() {
        let r = handbook();
        let t = Utc.with_ymd_and_hms(2022, 9, 25, 12, 0, 0).unwrap();
        assert_eq!(r.index_at(t), Some(-1));
        assert_eq!(r.member_of(-1), "beatrix");
        let before = r.handoff(0).unwrap() - Duration::seconds(1);
        assert_eq!(r.index_at(before), Some(-1));
        assert_eq!(r.index_at(r.handoff(0).unwrap()), Some(0));
    }

    #[test]
    fn refuses_empty_and_duplicate_members() {
        let first = handbook().first_handoff();
        let shift = "1w".parse().unwrap();
        assert_eq!(
            Rotation::new(chrono_tz::UTC, vec![], first, shift),
            Err(RotationError::NoMembers)
        );
        assert_eq!(
            Rotation::new(chrono_tz::UTC, vec!["a".into(), "a".into()], first, shift),
            Err(RotationError::Duplicate("a".into()))
        );
    }
}
