//! The on-duty engineer's day: the channel checklist and the shift's time budget.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::civil::{local_date, resolve_local, Side};
use crate::duration::Percent;
use crate::inquiry::{Check, TimeEntry};
use crate::schedule::Shift;
use crate::triage::Policy;

/// One day of the checklist, in the on-duty member's time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChecklistDay {
    pub member: String,
    pub timezone: String,
    pub date: NaiveDate,
    /// The day's bounds, `[start, end)`.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A source on the daily checklist, and whether (and by whom) it was checked that day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    pub source: String,
    pub checked_by: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// Today's checklist: every `daily_check` source of the team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checklist {
    #[serde(flatten)]
    pub day: ChecklistDay,
    pub items: Vec<ChecklistItem>,
}

impl Checklist {
    /// The sources nobody has checked yet that day.
    pub fn unchecked(&self) -> impl Iterator<Item = &ChecklistItem> {
        self.items.iter().filter(|i| i.checked_at.is_none())
    }
}

impl Policy {
    /// The day that contains `now` for the member on duty at `now`, in their time zone.
    pub fn checklist_day(&self, now: DateTime<Utc>) -> Option<ChecklistDay> {
        let member = self.schedule.at(now)?.member;
        let tz: Tz = self.calendars.get(&member).map_or(self.tz, |c| c.tz());
        let date = local_date(tz, now);
        let midnight = |d: NaiveDate| resolve_local(tz, d.and_time(NaiveTime::MIN), Side::Earliest);
        Some(ChecklistDay {
            member,
            timezone: tz.to_string(),
            date,
            start: midnight(date),
            end: midnight(date.succ_opt()?),
        })
    }

    /// The checklist of `day` given the checks recorded in it (the latest check of each source
    /// counts).
    pub fn checklist(&self, day: ChecklistDay, checks: &[Check]) -> Checklist {
        let items = self
            .sources
            .iter()
            .filter(|s| s.daily_check)
            .map(|s| {
                let last = checks
                    .iter()
                    .filter(|c| c.source == s.name && c.at >= day.start && c.at < day.end)
                    .max_by_key(|c| c.at);
                ChecklistItem {
                    source: s.name.clone(),
                    checked_by: last.map(|c| c.member.clone()),
                    checked_at: last.map(|c| c.at),
                }
            })
            .collect();
        Checklist { day, items }
    }
}

/// How much of a shift's time budget the duty has used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Budget {
    pub member: String,
    pub shift_start: DateTime<Utc>,
    pub shift_end: DateTime<Utc>,
    /// The team's share, e.g. 0.10.
    pub budget_fraction: f64,
    /// The member's working time in the whole shift (time off excluded).
    pub working_minutes: i64,
    /// Working time of the shift already behind us at `now`.
    pub elapsed_working_minutes: i64,
    /// `working_minutes × budget_fraction`.
    pub allowed_minutes: i64,
    /// Time logged during the shift by the member on duty, on this team's inquiries.
    pub logged_minutes: i64,
    /// `logged ÷ working time of the shift`.
    pub used_fraction: f64,
    /// Logged time has passed the allowance for the whole shift.
    pub over_budget: bool,
    /// Logged time has passed the allowance for the part of the shift elapsed so far.
    pub ahead_of_pace: bool,
}

/// The budget of `shift` at `now`, from the team's time entries logged during it.
pub fn budget(
    policy: &Policy,
    shift: &Shift,
    budget: Percent,
    entries: &[TimeEntry],
    now: DateTime<Utc>,
) -> Budget {
    let working = policy
        .calendars
        .get(&shift.member)
        .map_or(Duration::zero(), |c| {
            c.working_between(shift.start, shift.end)
        });
    let elapsed = policy
        .calendars
        .get(&shift.member)
        .map_or(Duration::zero(), |c| {
            c.working_between(shift.start, now.clamp(shift.start, shift.end))
        });
    let logged: i64 = entries
        .iter()
        .filter(|e| e.member == shift.member && e.at >= shift.start && e.at < shift.end)
        .map(|e| e.minutes)
        .sum();
    let fraction = budget.fraction();
    let working_minutes = working.num_minutes();
    let allowed = (working_minutes as f64 * fraction).round() as i64;
    let allowed_so_far = elapsed.num_minutes() as f64 * fraction;
    Budget {
        member: shift.member.clone(),
        shift_start: shift.start,
        shift_end: shift.end,
        budget_fraction: fraction,
        working_minutes,
        elapsed_working_minutes: elapsed.num_minutes(),
        allowed_minutes: allowed,
        logged_minutes: logged,
        used_fraction: if working_minutes > 0 {
            logged as f64 / working_minutes as f64
        } else {
            0.0
        },
        over_budget: logged > allowed,
        ahead_of_pace: logged as f64 > allowed_so_far,
    }
}
