//! Property tests of the working-time calendar around DST transitions and week boundaries.

use baton_core::calendar::{WorkingCalendar, HORIZON};
use baton_core::civil::{local_date, local_time};
use baton_core::working_hours::{WeeklySpan, WorkingHours};
use chrono::{
    DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use proptest::prelude::*;

const ZONES: [Tz; 10] = [
    Tz::Europe__Berlin,
    Tz::America__New_York,
    Tz::America__Sao_Paulo,
    Tz::Australia__Sydney,
    Tz::Australia__Lord_Howe,
    Tz::Asia__Kolkata,
    Tz::Pacific__Chatham,
    Tz::Europe__London,
    Tz::UTC,
    Tz::America__St_Johns,
];

const DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(ZONES.to_vec())
}

/// A start minute, often one that lands in or next to a DST gap or the repeated hour.
fn start_minute() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(vec![0u16, 60, 90, 120, 135, 150, 180, 1320, 1380]),
        (0u16..96).prop_map(|q| q * 15),
    ]
}

fn span_length() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(vec![30u16, 60, 90, 480]),
        (1u16..=48).prop_map(|q| q * 15),
    ]
}

/// A run of consecutive days (usually one) sharing one time range.
fn span_group() -> impl Strategy<Value = Vec<WeeklySpan>> {
    (
        0usize..7,
        prop_oneof![3 => Just(1usize), 1 => 2usize..=5, 1 => Just(7usize)],
        start_minute(),
        span_length(),
    )
        .prop_map(|(first, run, start, len)| {
            (0..run)
                .map(|i| WeeklySpan {
                    day: DAYS[(first + i) % 7],
                    start_minute: start,
                    end_minute: (start + len).min(1440),
                })
                .collect()
        })
}

/// 1-3 non-overlapping span groups.
fn hours() -> impl Strategy<Value = WorkingHours> {
    prop::collection::vec(span_group(), 1..=3).prop_filter_map("overlapping spans", |groups| {
        WorkingHours::new(groups.into_iter().flatten()).ok()
    })
}

/// Raw material for an instant: (mode, year, day of year, jitter in seconds).
fn instant_params() -> impl Strategy<Value = (u8, i32, u32, i64)> {
    (
        0u8..3,
        2021i32..=2027,
        0u32..365,
        prop_oneof![3 => -3 * 3600i64..3 * 3600, 1 => -36 * 3600i64..36 * 3600],
    )
}

/// Turns raw parameters into an instant: near a DST transition, near a local week boundary,
/// or anywhere in the year, always on a whole second.
fn instant(tz: Tz, (mode, year, day, jitter): (u8, i32, u32, i64)) -> DateTime<Utc> {
    let base = NaiveDate::from_yo_opt(year, day + 1)
        .unwrap_or(NaiveDate::MIN)
        .and_time(NaiveTime::MIN)
        .and_utc();
    let anchor = match mode {
        0 => transition_after(tz, base).unwrap_or(base),
        1 => week_start(tz, base),
        _ => base,
    };
    anchor + Duration::seconds(jitter)
}

fn offset_secs(tz: Tz, t: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The first UTC-offset change after `t` within about a year, to the second.
fn transition_after(tz: Tz, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let here = offset_secs(tz, t);
    let day = (1..=370).find(|k| offset_secs(tz, t + Duration::days(*k)) != here)?;
    let (mut lo, mut hi) = (t + Duration::days(day - 1), t + Duration::days(day));
    while hi - lo > Duration::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if offset_secs(tz, mid) == here {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

/// Local Monday 00:00 of the week containing `t` (read as the first valid instant).
fn week_start(tz: Tz, t: DateTime<Utc>) -> DateTime<Utc> {
    let date = local_date(tz, t);
    let monday = date - Days::new(u64::from(date.weekday().num_days_from_monday()));
    baton_core::civil::resolve_local(
        tz,
        monday.and_time(NaiveTime::MIN),
        baton_core::civil::Side::Earliest,
    )
}

/// Up to two time-off ranges near `t`.
fn time_off() -> impl Strategy<Value = Vec<(i64, i64)>> {
    prop_oneof![
        2 => Just(Vec::new()),
        1 => prop::collection::vec((-48i64..96, 1i64..72), 1..=2),
    ]
}

fn calendar(tz: Tz, hours: WorkingHours, t: DateTime<Utc>, off: &[(i64, i64)]) -> WorkingCalendar {
    WorkingCalendar::new(tz, hours).with_time_off(off.iter().map(|(start_h, len_h)| {
        let s = t + Duration::hours(*start_h);
        (s, s + Duration::hours(*len_h))
    }))
}

/// Wall-clock span boundaries (starts or ends) on the local dates around `date`.
fn boundaries(hours: &WorkingHours, date: NaiveDate, ends: bool) -> Vec<NaiveDateTime> {
    let mut out = Vec::new();
    for d in [date - Days::new(1), date, date + Days::new(1)] {
        for span in hours.spans_on(d.weekday()) {
            let minute = if ends {
                span.end_minute
            } else {
                span.start_minute
            };
            out.push(d.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute)));
        }
    }
    out
}

/// `t` shows a configured boundary on the wall clock, or `t` ends a DST gap that swallowed one.
fn on_wall_clock_boundary(tz: Tz, hours: &WorkingHours, t: DateTime<Utc>, ends: bool) -> bool {
    let now = local_time(tz, t);
    let before = local_time(tz, t - Duration::seconds(1));
    boundaries(hours, now.date(), ends)
        .into_iter()
        .any(|b| b == now || (before < b && b < now))
}

/// Whether the wall clock of `t` lies inside a configured span.
fn wall_clock_in_span(tz: Tz, hours: &WorkingHours, t: DateTime<Utc>) -> bool {
    let local = local_time(tz, t);
    let minute = u16::try_from(local.num_seconds_from_midnight() / 60).unwrap_or(u16::MAX);
    hours
        .spans_on(local.weekday())
        .any(|s| s.start_minute <= minute && minute < s.end_minute)
}

fn whole_minutes_or_seconds() -> impl Strategy<Value = Duration> {
    prop_oneof![
        3 => (1i64..=30 * 60).prop_map(Duration::minutes),
        1 => (1i64..=4 * 3600).prop_map(Duration::seconds),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn add_working_is_exact_and_minimal(
        tz in zone(), hours in hours(), p in instant_params(), off in time_off(),
        d in whole_minutes_or_seconds(),
    ) {
        let t = instant(tz, p);
        let cal = calendar(tz, hours, t, &off);
        match cal.add_working(t, d) {
            Some(e) => {
                prop_assert!(e >= t);
                prop_assert_eq!(cal.working_between(t, e), d);
                prop_assert!(cal.working_between(t, e - Duration::seconds(1)) < d);
            }
            None => prop_assert!(cal.working_between(t, t + HORIZON) < d),
        }
        prop_assert_eq!(cal.add_working(t, Duration::zero()), Some(t));
    }

    #[test]
    fn working_between_is_additive_and_bounded(
        tz in zone(), hours in hours(), p in instant_params(), off in time_off(),
        ab in 0i64..10 * 24 * 60, bc in 0i64..10 * 24 * 60,
    ) {
        let a = instant(tz, p);
        let b = a + Duration::minutes(ab);
        let c = b + Duration::minutes(bc);
        let cal = calendar(tz, hours, a, &off);
        let (wab, wbc, wac) = (cal.working_between(a, b), cal.working_between(b, c), cal.working_between(a, c));
        prop_assert_eq!(wab + wbc, wac);
        prop_assert!(wab <= b - a && wbc <= c - b && wac <= c - a);
        prop_assert!(wab >= Duration::zero());
        prop_assert_eq!(cal.working_between(c, a), Duration::zero());
    }

    #[test]
    fn is_working_agrees_with_working_between(
        tz in zone(), hours in hours(), p in instant_params(), off in time_off(),
    ) {
        let t = instant(tz, p);
        let cal = calendar(tz, hours, t, &off);
        let one = Duration::seconds(1);
        prop_assert_eq!(cal.is_working(t), cal.working_between(t, t + one) == one);
    }

    #[test]
    fn next_working_is_working_and_nothing_before(
        tz in zone(), hours in hours(), p in instant_params(), off in time_off(),
    ) {
        let t = instant(tz, p);
        let cal = calendar(tz, hours, t, &off);
        let n = cal.next_working(t);
        prop_assert!(n.is_some(), "short time off cannot hide all working time");
        let n = n.unwrap_or(t);
        prop_assert!(n >= t);
        prop_assert!(cal.is_working(n));
        prop_assert_eq!(cal.working_between(t, n), Duration::zero());
        prop_assert_eq!(n == t, cal.is_working(t));
    }

    #[test]
    fn intervals_stay_on_the_wall_clock(
        tz in zone(), hours in hours(), p in instant_params(),
    ) {
        let t = instant(tz, p);
        let (from, until) = (t - Duration::days(3), t + Duration::days(4));
        let cal = WorkingCalendar::new(tz, hours.clone());
        let ivs = cal.intervals(from, until);
        for (s, e) in &ivs {
            prop_assert!(from <= *s && s < e && *e <= until);
            if *s != from {
                prop_assert!(on_wall_clock_boundary(tz, &hours, *s, false),
                    "start {} (local {}) is no span start", s, local_time(tz, *s));
            }
            if *e != until {
                prop_assert!(on_wall_clock_boundary(tz, &hours, *e, true),
                    "end {} (local {}) is no span end", e, local_time(tz, *e));
            }
        }
        for pair in ivs.windows(2) {
            prop_assert!(pair[0].1 < pair[1].0, "intervals must be disjoint and merged");
        }
    }

    #[test]
    fn wall_clock_inside_a_span_is_working(
        tz in zone(), hours in hours(), p in instant_params(),
    ) {
        let cal = WorkingCalendar::new(tz, hours.clone());
        for k in -12..12 {
            let t = instant(tz, p) + Duration::minutes(10 * k);
            if wall_clock_in_span(tz, &hours, t) {
                prop_assert!(cal.is_working(t), "local {} is in a span", local_time(tz, t));
            }
        }
    }

    #[test]
    fn display_round_trips(hours in hours()) {
        let text = hours.to_string();
        prop_assert_eq!(text.parse::<WorkingHours>(), Ok(hours));
    }

    #[test]
    fn garbage_never_panics(s in "\\PC{0,40}") {
        let _ = s.parse::<WorkingHours>();
    }

    #[test]
    fn near_miss_notation_never_panics(s in "[A-Za-z]{0,9}[ -]{0,2}[A-Za-z]{0,4} ?[0-9:]{0,6} ?-? ?[0-9:]{0,6}(, ?)?") {
        if let Ok(h) = s.parse::<WorkingHours>() {
            prop_assert_eq!(h.to_string().parse::<WorkingHours>(), Ok(h));
        }
    }
}
