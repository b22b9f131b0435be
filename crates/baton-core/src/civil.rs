//! Civil (wall-clock) time in a time zone, resolved to UTC instants without ever panicking.
//!
//! A wall-clock time can be *ambiguous* (it happens twice when clocks fall back) or
//! *non-existent* (it is skipped when clocks spring forward). [`resolve_local`] picks one
//! well-defined instant in both cases.

use chrono::{
    DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::{GapInfo, Tz};

/// Which instant to pick when a wall-clock time happens twice (DST fall-back).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The first occurrence (still on the pre-transition offset).
    Earliest,
    /// The second occurrence (already on the post-transition offset).
    Latest,
}

/// Resolves the wall-clock time `local` in `tz` to a UTC instant.
///
/// - Unique local time: that instant.
/// - Ambiguous local time (clocks fall back): the earlier or later instant, per `side`.
/// - Non-existent local time (clocks spring forward): the instant the gap ends, i.e. the
///   first valid instant after it, whatever the gap's length (30 minutes on
///   Australia/Lord_Howe, a whole day on Pacific/Apia 2011-12-30). Example: Europe/Berlin
///   2022-03-27 02:30 → 01:00 UTC (03:00 CEST).
///
/// The gap end is read from the time-zone database; if that is unavailable it is found by
/// bisection over UTC instants. Never panics: if nothing else applies (only possible at the
/// very limits of the representable range) `local` is read as UTC.
pub fn resolve_local(tz: Tz, local: NaiveDateTime, side: Side) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(a, b) => pick(a.to_utc(), b.to_utc(), side),
        LocalResult::None => gap_end(tz, local).unwrap_or_else(|| local.and_utc()),
    }
}

/// Resolves `minute` minutes after local midnight of `date` (0..=1440; 1440 is the next day's
/// 00:00) in `tz`, like [`resolve_local`]. `None` only if the date is out of chrono's range.
pub fn resolve_minute(tz: Tz, date: NaiveDate, minute: u16, side: Side) -> Option<DateTime<Utc>> {
    let midnight = date.and_time(NaiveTime::MIN);
    let local = midnight.checked_add_signed(Duration::minutes(i64::from(minute)))?;
    Some(resolve_local(tz, local, side))
}

/// The local calendar date of instant `t` in `tz`.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    local_time(tz, t).date()
}

/// The wall-clock time of instant `t` in `tz`. Saturates at chrono's representable range
/// instead of panicking (only reachable within a day of year ±262143).
pub fn local_time(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    let utc = t.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset)
        .unwrap_or(if offset.local_minus_utc() > 0 {
            NaiveDateTime::MAX
        } else {
            NaiveDateTime::MIN
        })
}

fn pick(a: DateTime<Utc>, b: DateTime<Utc>, side: Side) -> DateTime<Utc> {
    match side {
        Side::Earliest => a.min(b),
        Side::Latest => a.max(b),
    }
}

/// The first instant after the gap that swallowed `local`.
fn gap_end(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    GapInfo::new(&local, &tz)
        .and_then(|gap| gap.end)
        .map(|t| t.to_utc())
        .or_else(|| gap_end_by_bisection(tz, local))
}

/// Finds the gap end without the database's gap table: the earliest instant `u` whose wall
/// clock is past `local`. UTC offsets lie within ±26 hours of any wall clock (offsets ±14h plus
/// a gap of up to a day), so the search window is `local` ± 40 hours read as UTC. Because
/// `local` itself never appears on the wall clock, the boundary found is a transition.
pub(crate) fn gap_end_by_bisection(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let base = local.and_utc();
    let window = Duration::hours(40);
    let mut lo = base.checked_sub_signed(window)?.timestamp();
    let mut hi = base.checked_add_signed(window)?.timestamp();
    let past = |secs: i64| DateTime::from_timestamp(secs, 0).map(|u| local_time(tz, u) > local);
    if past(lo)? || !past(hi)? {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if past(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .expect("valid test date")
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        local(y, m, d, h, min).and_utc()
    }

    #[test]
    fn unique_local_time() {
        let t = resolve_local(
            Tz::Europe__Berlin,
            local(2022, 10, 7, 18, 0),
            Side::Earliest,
        );
        assert_eq!(t, utc(2022, 10, 7, 16, 0));
    }

    #[test]
    fn berlin_spring_forward_gap_resolves_to_gap_end() {
        let l = local(2022, 3, 27, 2, 30);
        for side in [Side::Earliest, Side::Latest] {
            assert_eq!(
                resolve_local(Tz::Europe__Berlin, l, side),
                utc(2022, 3, 27, 1, 0)
            );
        }
        assert_eq!(
            gap_end_by_bisection(Tz::Europe__Berlin, l),
            Some(utc(2022, 3, 27, 1, 0))
        );
    }

    #[test]
    fn berlin_fall_back_ambiguity() {
        let l = local(2022, 10, 30, 2, 30);
        let tz = Tz::Europe__Berlin;
        assert_eq!(
            resolve_local(tz, l, Side::Earliest),
            utc(2022, 10, 30, 0, 30)
        );
        assert_eq!(resolve_local(tz, l, Side::Latest), utc(2022, 10, 30, 1, 30));
    }

    #[test]
    fn lord_howe_half_hour_gap() {
        // 2022-10-02 02:00 +10:30 → 02:30 +11:00, i.e. 15:30 UTC on 1 October.
        let l = local(2022, 10, 2, 2, 10);
        let tz = Tz::Australia__Lord_Howe;
        assert_eq!(
            resolve_local(tz, l, Side::Earliest),
            utc(2022, 10, 1, 15, 30)
        );
        assert_eq!(gap_end_by_bisection(tz, l), Some(utc(2022, 10, 1, 15, 30)));
        // Fall back 2022-04-03 02:00 +11:00 → 01:30 +10:30: 01:45 happens twice.
        let amb = local(2022, 4, 3, 1, 45);
        assert_eq!(
            resolve_local(tz, amb, Side::Earliest),
            utc(2022, 4, 2, 14, 45)
        );
        assert_eq!(
            resolve_local(tz, amb, Side::Latest),
            utc(2022, 4, 2, 15, 15)
        );
    }

    #[test]
    fn apia_skipped_day() {
        // Samoa jumped from 2011-12-29 23:59:59 -10:00 to 2011-12-31 00:00 +14:00 (10:00 UTC).
        let tz = Tz::Pacific__Apia;
        let end = utc(2011, 12, 30, 10, 0);
        for (h, m) in [(0, 0), (12, 0), (23, 59)] {
            let l = local(2011, 12, 30, h, m);
            assert_eq!(resolve_local(tz, l, Side::Earliest), end);
            assert_eq!(gap_end_by_bisection(tz, l), Some(end));
        }
    }

    #[test]
    fn extremes_do_not_panic() {
        for tz in [Tz::Pacific__Apia, Tz::Europe__Berlin, Tz::UTC] {
            for l in [NaiveDateTime::MIN, NaiveDateTime::MAX] {
                let _ = resolve_local(tz, l, Side::Earliest);
                let _ = resolve_local(tz, l, Side::Latest);
                let _ = gap_end_by_bisection(tz, l);
            }
        }
    }

    #[test]
    fn local_time_saturates_at_extremes() {
        let t = DateTime::<Utc>::MAX_UTC;
        assert_eq!(local_time(Tz::Asia__Kolkata, t), NaiveDateTime::MAX);
        assert_eq!(
            local_date(Tz::America__New_York, DateTime::<Utc>::MIN_UTC),
            NaiveDate::MIN
        );
    }

    #[test]
    fn minute_1440_is_next_midnight() {
        let d = NaiveDate::from_ymd_opt(2022, 10, 7).expect("valid");
        let t = resolve_minute(Tz::Asia__Kolkata, d, 1440, Side::Latest);
        assert_eq!(t, Some(utc(2022, 10, 7, 18, 30)));
        assert_eq!(
            local_date(Tz::Asia__Kolkata, utc(2022, 10, 7, 18, 30)),
            d.succ_opt().expect("valid")
        );
    }
}
