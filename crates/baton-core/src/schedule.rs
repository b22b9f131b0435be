//! Who is actually on duty: the rotation with swaps and overrides applied, and the shifts whose
//! member is away.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::calendar::WorkingCalendar;
use crate::model::{Override, Swap, TimeOff};
use crate::rotation::Rotation;

/// A stretch of duty by one member: a whole turn of the rotation, or the part of one that an
/// override gave to someone else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shift {
    pub team: String,
    /// The rotation's shift number this stretch belongs to.
    pub index: i64,
    pub member: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Who the rotation (after swaps) had on this shift.
    pub rostered: String,
    /// The override that put `member` here, if any.
    pub override_id: Option<i64>,
    /// The latest swap that changed who is rostered, if any.
    pub swap_id: Option<i64>,
}

impl Shift {
    /// Whether an override put the member here.
    pub fn is_override(&self) -> bool {
        self.override_id.is_some()
    }

    fn overlaps(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> bool {
        self.start < until && self.end > from
    }
}

/// A swap that names an instant that is not a hand-off of the rotation (for example after the
/// rotation was changed in the config). It is left out of the schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IgnoredSwap {
    pub swap_id: i64,
    pub instant: DateTime<Utc>,
}

/// A shift whose member is away during working time, with a suggested cover.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub shift: Shift,
    pub time_off: TimeOff,
    /// The free member who was on duty least recently, if any is free.
    pub suggested_cover: Option<String>,
}

/// A team's effective schedule: its rotation with the stored swaps and overrides applied.
#[derive(Clone, Debug)]
pub struct Schedule {
    team: String,
    rotation: Rotation,
    overrides: Vec<Override>,
    swaps: Vec<(i64, i64, i64)>,
    ignored: Vec<IgnoredSwap>,
}

impl Schedule {
    /// The schedule of `team`. Later overrides (higher ids) win where they overlap; swaps apply in
    /// the order they were made.
    pub fn new(team: &str, rotation: Rotation, overrides: &[Override], swaps: &[Swap]) -> Self {
        let mut overrides: Vec<_> = overrides
            .iter()
            .filter(|o| o.team == team && o.end > o.start)
            .cloned()
            .collect();
        overrides.sort_by_key(|o| o.id);
        let mut sorted: Vec<_> = swaps.iter().filter(|s| s.team == team).collect();
        sorted.sort_by_key(|s| s.id);
        let mut valid = Vec::new();
        let mut ignored = Vec::new();
        for swap in sorted {
            let first = handoff_index(&rotation, swap.first);
            let second = handoff_index(&rotation, swap.second);
            match (first, second) {
                (Ok(a), Ok(b)) => valid.push((swap.id, a, b)),
                (Err(instant), _) | (_, Err(instant)) => ignored.push(IgnoredSwap {
                    swap_id: swap.id,
                    instant,
                }),
            }
        }
        Self {
            team: team.to_owned(),
            rotation,
            overrides,
            swaps: valid,
            ignored,
        }
    }

    /// The rotation behind the schedule.
    pub fn rotation(&self) -> &Rotation {
        &self.rotation
    }

    /// Swaps left out because they do not name hand-offs of the rotation.
    pub fn ignored_swaps(&self) -> &[IgnoredSwap] {
        &self.ignored
    }

    /// Who is rostered for shift `index` once swaps are applied, and the swap responsible.
    pub fn rostered(&self, index: i64) -> (&str, Option<i64>) {
        // Each swap is a transposition of two shift numbers; following them from the latest back
        // to the first finds the shift whose original member now sits at `index`.
        let mut position = index;
        let mut swap_id = None;
        for &(id, a, b) in self.swaps.iter().rev() {
            let moved = if position == a {
                b
            } else if position == b {
                a
            } else {
                continue;
            };
            position = moved;
            swap_id = swap_id.or(Some(id));
        }
        (self.rotation.member_of(position), swap_id)
    }

    /// Every stretch of duty overlapping `[from, until)`, in order.
    pub fn shifts(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Shift> {
        self.rotation
            .turns(from, until)
            .into_iter()
            .flat_map(|turn| self.split_turn(turn.index, turn.start, turn.end))
            .filter(|s| s.overlaps(from, until))
            .collect()
    }

    /// The stretch of duty running at `t`.
    pub fn at(&self, t: DateTime<Utc>) -> Option<Shift> {
        self.shifts(t, t + Duration::seconds(1)).into_iter().next()
    }

    /// The stretch of duty that follows `shift`.
    pub fn after(&self, shift: &Shift) -> Option<Shift> {
        self.at(shift.end)
    }

    /// Applies overrides to one turn of the rotation.
    fn split_turn(&self, index: i64, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Shift> {
        let (rostered, swap_id) = self.rostered(index);
        let covering: Vec<&Override> = self
            .overrides
            .iter()
            .filter(|o| o.start < end && o.end > start)
            .collect();
        let mut cuts = vec![start, end];
        for o in &covering {
            cuts.extend(
                [o.start, o.end]
                    .into_iter()
                    .filter(|&t| t > start && t < end),
            );
        }
        cuts.sort();
        cuts.dedup();
        let mut out: Vec<Shift> = Vec::new();
        for piece in cuts.windows(2) {
            let (a, b) = (piece[0], piece[1]);
            let winner = covering.iter().rev().find(|o| o.start <= a && o.end >= b);
            let (member, override_id) = match winner {
                Some(o) => (o.member.as_str(), Some(o.id)),
                None => (rostered, None),
            };
            match out.last_mut() {
                Some(last) if last.member == member && last.override_id == override_id => {
                    last.end = b;
                }
                _ => out.push(Shift {
                    team: self.team.clone(),
                    index,
                    member: member.to_owned(),
                    start: a,
                    end: b,
                    rostered: rostered.to_owned(),
                    override_id,
                    swap_id,
                }),
            }
        }
        out
    }

    /// Shifts among `shifts` whose member has time off during their working time, each with a
    /// suggested cover. `calendars` holds each member's working hours (without time off).
    pub fn conflicts(
        &self,
        shifts: &[Shift],
        time_off: &[TimeOff],
        calendars: &HashMap<String, WorkingCalendar>,
    ) -> Vec<Conflict> {
        let mut out = Vec::new();
        for shift in shifts {
            for off in time_off.iter().filter(|o| o.member == shift.member) {
                let (a, b) = (shift.start.max(off.start), shift.end.min(off.end));
                if !works_during(calendars, &shift.member, a, b) {
                    continue;
                }
                out.push(Conflict {
                    shift: shift.clone(),
                    time_off: off.clone(),
                    suggested_cover: self.suggest_cover(shift, a, b, time_off, calendars),
                });
            }
        }
        out
    }

    /// The member other than the one on `shift` who is not away during `[a, b)` and whose last
    /// duty ended longest ago (never having been on duty counts as longest ago).
    fn suggest_cover(
        &self,
        shift: &Shift,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
        time_off: &[TimeOff],
        calendars: &HashMap<String, WorkingCalendar>,
    ) -> Option<String> {
        let members = self.rotation.members();
        let lookback = Duration::days(i64::from(self.rotation.shift_length().days()))
            * (2 * members.len() as i32 + 1);
        let history = self.shifts(shift.start - lookback, shift.start);
        let last_duty = |m: &str| {
            history
                .iter()
                .filter(|s| s.member == m)
                .map(|s| s.end.min(shift.start))
                .max()
        };
        members
            .iter()
            .filter(|m| **m != shift.member)
            .filter(|m| {
                !time_off.iter().any(|o| {
                    &o.member == *m && works_during(calendars, m, a.max(o.start), b.min(o.end))
                })
            })
            .min_by_key(|m| last_duty(m))
            .cloned()
    }
}

/// Whether `member` has working time in `[a, b)`; a member without a calendar counts as working.
fn works_during(
    calendars: &HashMap<String, WorkingCalendar>,
    member: &str,
    a: DateTime<Utc>,
    b: DateTime<Utc>,
) -> bool {
    if b <= a {
        return false;
    }
    calendars
        .get(member)
        .is_none_or(|c| c.working_between(a, b) > Duration::zero())
}

/// The shift number that starts exactly at `instant`, or the instant back if none does.
fn handoff_index(rotation: &Rotation, instant: DateTime<Utc>) -> Result<i64, DateTime<Utc>> {
    rotation
        .index_at(instant)
        .filter(|&i| rotation.handoff(i) == Some(instant))
        .ok_or(instant)
}
