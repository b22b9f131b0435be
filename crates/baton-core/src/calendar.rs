//! A member's working-time calendar: weekly wall-clock hours in their own time zone, minus
//! time off. Every SLA clock and time budget counts time with this.
//!
//! Everything derives from one primitive, [`WorkingCalendar::intervals`].

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::civil::{local_date, resolve_minute, Side};
use crate::working_hours::WorkingHours;

/// A half-open UTC interval `[start, end)`.
pub type Interval = (DateTime<Utc>, DateTime<Utc>);

/// How far [`WorkingCalendar::next_working`] and [`WorkingCalendar::add_working`] look ahead
/// before giving up: five years.
pub const HORIZON: Duration = Duration::days(5 * 366);

/// Length of the first chunk the forward searches scan: most searches (an SLA of hours or a
/// few working days) end within it. Each further chunk is twice as long, up to [`CHUNK`].
const FIRST_CHUNK: Duration = Duration::days(2);

/// Length of the longest chunks the forward searches scan at a time.
const CHUNK: Duration = Duration::days(28);

/// Extra local days computed on each side of a requested range, so that spans whose wall-clock
/// date differs from the UTC date (or that stretch over a DST change) are not missed.
const MARGIN_DAYS: u64 = 2;

/// Working time of one member: weekly hours on the wall clock of `tz`, minus time off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkingCalendar {
    tz: Tz,
    hours: WorkingHours,
    time_off: Vec<Interval>,
}

impl WorkingCalendar {
    /// A calendar with the given zone and weekly hours and no time off.
    pub fn new(tz: Tz, hours: WorkingHours) -> Self {
        Self {
            tz,
            hours,
            time_off: Vec::new(),
        }
    }

    /// Adds time off: half-open ranges removed from working time. Input may be unsorted and
    /// overlapping; empty or inverted ranges are ignored.
    pub fn with_time_off(mut self, ranges: impl IntoIterator<Item = Interval>) -> Self {
        self.time_off.extend(ranges);
        self.time_off = merge(std::mem::take(&mut self.time_off));
        self
    }

    /// The member's time zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The member's weekly working hours.
    pub fn hours(&self) -> &WorkingHours {
        &self.hours
    }

    /// The time off, sorted and merged.
    pub fn time_off(&self) -> &[Interval] {
        &self.time_off
    }

    /// Working intervals clipped to `[from, until)`: sorted, disjoint, non-empty, with
    /// touching intervals merged (e.g. Sun 22:00-24:00 + Mon 00:00-02:00).
    ///
    /// A span `start-end` on local date D is `[resolve(D start, Earliest), resolve(D end,
    /// Latest))` (see [`crate::civil::resolve_local`]): it stays on the wall clock on DST-change
    /// days and is correspondingly shorter or longer when it contains the change. `24:00` is
    /// the next day's `00:00`. Time off is subtracted. Cost is linear in the days of the range.
    pub fn intervals(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Interval> {
        if until <= from {
            return Vec::new();
        }
        let spans = merge(self.span_intervals(from, until));
        let clipped = spans
            .into_iter()
            .filter_map(|(s, e)| non_empty(s.max(from), e.min(until)));
        subtract(clipped, &self.time_off)
    }

    /// Whether `t` is working time.
    pub fn is_working(&self, t: DateTime<Utc>) -> bool {
        let Some(probe_end) = t.checked_add_signed(Duration::minutes(1)) else {
            return false;
        };
        self.intervals(t, probe_end)
            .first()
            .is_some_and(|iv| iv.0 == t)
    }

    /// The first working instant at or after `t` (`t` itself if it is working), or `None` if
    /// there is no working time within [`HORIZON`] (e.g. time off covers it all).
    pub fn next_working(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.chunks(t)
            .find_map(|(a, b)| self.intervals(a, b).first().map(|iv| iv.0))
    }

    /// Working time in `[a, b)`; zero if `b <= a`.
    pub fn working_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        self.intervals(a, b)
            .iter()
            .fold(Duration::zero(), |sum, (s, e)| sum + (*e - *s))
    }

    /// The earliest instant `e >= t` with `working_between(t, e) == d`: the moment `d` of
    /// working time has elapsed since `t`. For `d > 0` this is inside or at the end of a working
    /// interval, never in the gap after it. Adding zero returns `t` unchanged. `None` if `d` is
    /// negative or not reached within [`HORIZON`] after `t`.
    pub fn add_working(&self, t: DateTime<Utc>, d: Duration) -> Option<DateTime<Utc>> {
        if d < Duration::zero() {
            return None;
        }
        if d.is_zero() {
            return Some(t);
        }
        let mut remaining = d;
        for (a, b) in self.chunks(t) {
            for (s, e) in self.intervals(a, b) {
                let len = e - s;
                if remaining <= len {
                    return s.checked_add_signed(remaining);
                }
                remaining -= len;
            }
        }
        None
    }

    /// Consecutive `[a, b)` chunks covering `[t, t + HORIZON)`, clamped to chrono's range:
    /// [`FIRST_CHUNK`] long, then each twice the last, up to [`CHUNK`]. (Every local day of a
    /// chunk, and a margin around it, is resolved in the time zone; with a short first chunk, a
    /// search that ends within hours does not resolve four weeks of days.)
    fn chunks(&self, t: DateTime<Utc>) -> impl Iterator<Item = Interval> {
        let end = t
            .checked_add_signed(HORIZON)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let mut next = Some(t);
        let mut length = FIRST_CHUNK;
        std::iter::from_fn(move || {
            let a = next.filter(|a| *a < end)?;
            let b = a.checked_add_signed(length).map_or(end, |b| b.min(end));
            next = Some(b);
            length = (length * 2).min(CHUNK);
            Some((a, b))
        })
    }

    /// Unmerged, unclipped span intervals for the local dates around `[from, until)`.
    fn span_intervals(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Interval> {
        let first = local_date(self.tz, from)
            .checked_sub_days(chrono::Days::new(MARGIN_DAYS))
            .unwrap_or(NaiveDate::MIN);
        let last = local_date(self.tz, until)
            .checked_add_days(chrono::Days::new(MARGIN_DAYS))
            .unwrap_or(NaiveDate::MAX);
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .flat_map(|date| self.day_intervals(date))
            .collect()
    }

    /// The span intervals of one local date (empty spans, e.g. inside a DST gap, dropped).
    fn day_intervals(&self, date: NaiveDate) -> Vec<Interval> {
        self.hours
            .spans_on(date.weekday())
            .filter_map(|span| {
                let start = resolve_minute(self.tz, date, span.start_minute, Side::Earliest)?;
                let end = resolve_minute(self.tz, date, span.end_minute, Side::Latest)?;
                non_empty(start, end)
            })
            .collect()
    }
}

fn non_empty(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Interval> {
    (start < end).then_some((start, end))
}

/// Sorts intervals and merges overlapping or touching ones; drops empty ones.
fn merge(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.retain(|(s, e)| s < e);
    intervals.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(intervals.len());
    for (s, e) in intervals {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Removes the sorted, merged `holes` from the sorted, disjoint `intervals`.
fn subtract(intervals: impl Iterator<Item = Interval>, holes: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    for (start, end) in intervals {
        let first_hole = holes.partition_point(|h| h.1 <= start);
        let mut cursor = start;
        for &(hs, he) in holes[first_hole..].iter().take_while(|h| h.0 < end) {
            out.extend(non_empty(cursor, hs.min(end)));
            cursor = cursor.max(he);
        }
        out.extend(non_empty(cursor, end));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, TimeZone};

    fn cal(tz: Tz, hours: &str) -> WorkingCalendar {
        WorkingCalendar::new(tz, hours.parse().expect("valid hours"))
    }

    /// A local wall-clock time in `tz` (must be unambiguous).
    fn at(tz: Tz, s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("valid test time");
        tz.from_local_datetime(&naive)
            .single()
            .expect("unambiguous test time")
            .to_utc()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        at(Tz::UTC, s)
    }

    #[test]
    fn berlin_friday_evening_plus_four_hours() {
        let tz = Tz::Europe__Berlin;
        let c = cal(tz, "Mon-Fri 09:00-17:00");
        let arrival = at(tz, "2022-10-07 18:00");
        assert_eq!(
            c.add_working(arrival, Duration::hours(4)),
            Some(at(tz, "2022-10-10 13:00"))
        );
        assert_eq!(c.next_working(arrival), Some(at(tz, "2022-10-10 09:00")));
        assert!(!c.is_working(arrival));
        assert!(c.is_working(at(tz, "2022-10-10 09:00")));
        assert!(!c.is_working(at(tz, "2022-10-10 17:00")));
    }

    #[test]
    fn berlin_weekend_with_dst_end() {
        let tz = Tz::Europe__Berlin;
        let c = cal(tz, "Mon-Fri 09:00-17:00");
        let a = at(tz, "2022-10-29 00:00");
        let b = at(tz, "2022-10-31 23:59");
        assert_eq!(c.working_between(a, b), Duration::hours(8));
        assert_eq!(
            c.intervals(a, b),
            [(utc("2022-10-31 08:00"), utc("2022-10-31 16:00"))]
        );
    }

    #[test]
    fn berlin_spans_across_dst_changes() {
        let tz = Tz::Europe__Berlin;
        let c = cal(tz, "Sun 01:00-04:00");
        let spring = c.intervals(utc("2022-03-26 00:00"), utc("2022-03-28 00:00"));
        assert_eq!(spring, [(utc("2022-03-27 00:00"), utc("2022-03-27 02:00"))]);
        let autumn = c.intervals(utc("2022-10-29 00:00"), utc("2022-10-31 00:00"));
        assert_eq!(autumn, [(utc("2022-10-29 23:00"), utc("2022-10-30 03:00"))]);
        // A span entirely inside the spring-forward gap has no working time that day.
        let gap = cal(tz, "Sun 02:00-03:00");
        assert!(gap
            .intervals(utc("2022-03-26 00:00"), utc("2022-03-28 00:00"))
            .is_empty());
        let long = gap.intervals(utc("2022-10-29 00:00"), utc("2022-10-31 00:00"));
        assert_eq!(long, [(utc("2022-10-30 00:00"), utc("2022-10-30 02:00"))]);
    }

    #[test]
    fn new_york_dst_start_keeps_wall_clock() {
        let tz = Tz::America__New_York;
        let c = cal(tz, "Mon-Fri 09:00-17:00");
        // DST starts Sunday 2023-03-12: Friday is EST (UTC-5), Monday EDT (UTC-4).
        let iv = c.intervals(at(tz, "2023-03-10 00:00"), at(tz, "2023-03-14 00:00"));
        assert_eq!(
            iv,
            [
                (utc("2023-03-10 14:00"), utc("2023-03-10 22:00")),
                (utc("2023-03-13 13:00"), utc("2023-03-13 21:00")),
            ]
        );
        let friday_late = at(tz, "2023-03-10 15:00");
        assert_eq!(
            c.add_working(friday_late, Duration::hours(3)),
            Some(at(tz, "2023-03-13 10:00"))
        );
    }

    #[test]
    fn kolkata_half_hour_offset() {
        let tz = Tz::Asia__Kolkata;
        let c = cal(tz, "Mon-Fri 10:00-18:30");
        let t = at(tz, "2022-10-07 17:30");
        assert_eq!(
            c.add_working(t, Duration::hours(2)),
            Some(at(tz, "2022-10-10 11:00"))
        );
        assert_eq!(c.next_working(t), Some(t));
        assert_eq!(
            c.intervals(t, at(tz, "2022-10-07 20:00")),
            [(utc("2022-10-07 12:00"), utc("2022-10-07 13:00"))]
        );
    }

    #[test]
    fn lord_howe_half_hour_dst() {
        let tz = Tz::Australia__Lord_Howe;
        // DST starts Sunday 2022-10-02 at 02:00, which becomes 02:30.
        let c = cal(tz, "Sun 01:00-04:00");
        let a = at(tz, "2022-10-01 12:00");
        let b = at(tz, "2022-10-02 12:00");
        assert_eq!(c.working_between(a, b), Duration::minutes(150));
        // DST ends Sunday 2022-04-03 at 02:00, which becomes 01:30 again.
        let a = at(tz, "2022-04-02 12:00");
        let b = at(tz, "2022-04-03 12:00");
        assert_eq!(c.working_between(a, b), Duration::minutes(210));
    }

    #[test]
    fn overnight_spans_merge_across_midnight() {
        let tz = Tz::Europe__London;
        let c = cal(tz, "Sun 22:00-24:00, Mon 00:00-02:00");
        let iv = c.intervals(utc("2022-01-01 00:00"), utc("2022-01-04 00:00"));
        assert_eq!(iv, [(utc("2022-01-02 22:00"), utc("2022-01-03 02:00"))]);
    }

    #[test]
    fn time_off_is_subtracted() {
        let tz = Tz::Europe__Berlin;
        let c = cal(tz, "Mon-Fri 09:00-17:00").with_time_off([
            (at(tz, "2022-10-11 12:00"), at(tz, "2022-10-11 13:00")),
            (at(tz, "2022-10-10 00:00"), at(tz, "2022-10-10 12:00")),
            (at(tz, "2022-10-11 12:30"), at(tz, "2022-10-11 14:00")),
            (at(tz, "2022-10-12 10:00"), at(tz, "2022-10-12 09:00")),
        ]);
        assert_eq!(c.time_off().len(), 2);
        let week = c.working_between(at(tz, "2022-10-10 00:00"), at(tz, "2022-10-15 00:00"));
        assert_eq!(week, Duration::hours(40 - 3 - 2));
        assert_eq!(
            c.next_working(at(tz, "2022-10-10 08:00")),
            Some(at(tz, "2022-10-10 12:00"))
        );
        assert_eq!(
            c.add_working(at(tz, "2022-10-11 11:00"), Duration::hours(2)),
            Some(at(tz, "2022-10-11 15:00"))
        );
    }

    #[test]
    fn endless_time_off_gives_none() {
        let tz = Tz::UTC;
        let t = utc("2022-01-01 00:00");
        let c = cal(tz, "Mon-Fri 09:00-17:00").with_time_off([(t, t + Duration::days(6 * 366))]);
        assert_eq!(c.next_working(t), None);
        assert_eq!(c.add_working(t, Duration::hours(1)), None);
        assert!(!c.is_working(t + Duration::days(3)));
    }

    #[test]
    fn add_working_edges() {
        let tz = Tz::UTC;
        let c = cal(tz, "Mon-Fri 09:00-17:00");
        let sat = utc("2022-10-08 10:00");
        assert_eq!(c.add_working(sat, Duration::zero()), Some(sat));
        assert_eq!(c.add_working(sat, Duration::hours(-1)), None);
        // Exactly one day's work ends at 17:00, not at the next morning.
        let mon = utc("2022-10-10 09:00");
        assert_eq!(
            c.add_working(mon, Duration::hours(8)),
            Some(utc("2022-10-10 17:00"))
        );
        let far = c.add_working(mon, Duration::hours(40 * 52));
        assert_eq!(far, Some(utc("2023-10-06 17:00")));
    }

    #[test]
    fn a_year_is_fast_and_exact() {
        let tz = Tz::Europe__Berlin;
        let c = cal(tz, "Mon-Fri 09:00-17:00");
        let a = at(tz, "2022-01-03 00:00");
        let b = at(tz, "2023-01-02 00:00");
        assert_eq!(c.working_between(a, b), Duration::hours(52 * 40));
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let c = cal(Tz::Pacific__Apia, "Mon-Sun 00:00-24:00");
        let max = DateTime::<Utc>::MAX_UTC;
        let min = DateTime::<Utc>::MIN_UTC;
        let _ = c.next_working(max - Duration::days(1));
        let _ = c.add_working(max - Duration::days(1), Duration::days(3));
        let _ = c.is_working(max);
        let _ = c.working_between(min, min + Duration::days(3));
        let _ = c.working_between(max - Duration::days(3), max);
    }

    #[test]
    fn apia_skipped_day_has_no_work() {
        let tz = Tz::Pacific__Apia;
        let c = cal(tz, "Mon-Sun 09:00-17:00");
        // Friday 2011-12-30 did not exist in Samoa.
        let a = at(tz, "2011-12-29 00:00");
        let b = at(tz, "2012-01-01 00:00");
        let days: Vec<NaiveDate> = c
            .intervals(a, b)
            .iter()
            .map(|(s, _)| local_date(tz, *s))
            .collect();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid");
        assert_eq!(days, [d("2011-12-29"), d("2011-12-31")]);
    }
}
