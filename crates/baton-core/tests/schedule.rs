//! The effective schedule: the handbook rotation with swaps, overrides and time off.

use std::collections::HashMap;

use baton_core::calendar::WorkingCalendar;
use baton_core::ics;
use baton_core::model::{Override, Swap, TimeOff};
use baton_core::rotation::Rotation;
use baton_core::schedule::Schedule;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;

const MEMBERS: [&str; 4] = ["philipp", "david", "taras", "beatrix"];

fn rotation() -> Rotation {
    let first = NaiveDate::from_ymd_opt(2022, 9, 26)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    Rotation::new(
        Berlin,
        MEMBERS.map(String::from).to_vec(),
        first,
        "1w".parse().unwrap(),
    )
    .unwrap()
}

/// Berlin wall-clock time.
fn berlin(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Berlin
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn over(id: i64, member: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Override {
    Override {
        id,
        team: "integrations".into(),
        member: member.into(),
        start,
        end,
        reason: None,
        created_by: "test".into(),
        created_at: start,
    }
}

fn swap(id: i64, first: DateTime<Utc>, second: DateTime<Utc>) -> Swap {
    Swap {
        id,
        team: "integrations".into(),
        first,
        second,
        reason: None,
        created_by: "test".into(),
        created_at: first,
    }
}

fn off(id: i64, member: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> TimeOff {
    TimeOff {
        id,
        member: member.into(),
        start,
        end,
        reason: Some("vacation".into()),
        created_by: "test".into(),
        created_at: start,
    }
}

fn members_of(schedule: &Schedule, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<String> {
    schedule
        .shifts(from, until)
        .into_iter()
        .map(|s| s.member)
        .collect()
}

fn calendars() -> HashMap<String, WorkingCalendar> {
    MEMBERS
        .iter()
        .map(|m| {
            let hours = "Mon-Fri 09:00-17:00".parse().unwrap();
            (m.to_string(), WorkingCalendar::new(Berlin, hours))
        })
        .collect()
}

#[test]
fn a_partial_override_splits_one_shift() {
    // Taras covers Wednesday and Thursday of David's week (Oct 3–10).
    let o = over(1, "taras", berlin(2022, 10, 5, 0), berlin(2022, 10, 7, 0));
    let schedule = Schedule::new("integrations", rotation(), &[o], &[]);
    let shifts = schedule.shifts(berlin(2022, 10, 3, 9), berlin(2022, 10, 10, 9));
    let summary: Vec<_> = shifts
        .iter()
        .map(|s| (s.member.as_str(), s.start, s.end, s.is_override()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "david",
                berlin(2022, 10, 3, 9),
                berlin(2022, 10, 5, 0),
                false
            ),
            (
                "taras",
                berlin(2022, 10, 5, 0),
                berlin(2022, 10, 7, 0),
                true
            ),
            (
                "david",
                berlin(2022, 10, 7, 0),
                berlin(2022, 10, 10, 9),
                false
            ),
        ]
    );
    assert_eq!(shifts[1].rostered, "david");
    assert_eq!(
        schedule.at(berlin(2022, 10, 6, 12)).unwrap().member,
        "taras"
    );
    assert_eq!(
        schedule.at(berlin(2022, 10, 7, 12)).unwrap().member,
        "david"
    );
}

#[test]
fn the_latest_override_wins_where_two_overlap() {
    let a = over(1, "taras", berlin(2022, 10, 4, 0), berlin(2022, 10, 8, 0));
    let b = over(2, "beatrix", berlin(2022, 10, 5, 0), berlin(2022, 10, 6, 0));
    let schedule = Schedule::new("integrations", rotation(), &[b, a], &[]);
    assert_eq!(
        members_of(&schedule, berlin(2022, 10, 3, 9), berlin(2022, 10, 10, 9)),
        ["david", "taras", "beatrix", "taras", "david"]
    );
}

#[test]
fn an_override_across_a_handoff_covers_both_shifts() {
    let o = over(
        1,
        "philipp",
        berlin(2022, 10, 7, 0),
        berlin(2022, 10, 12, 0),
    );
    let schedule = Schedule::new("integrations", rotation(), &[o], &[]);
    let shifts = schedule.shifts(berlin(2022, 10, 6, 0), berlin(2022, 10, 13, 0));
    let summary: Vec<_> = shifts
        .iter()
        .map(|s| (s.index, s.member.as_str()))
        .collect();
    assert_eq!(
        summary,
        [(1, "david"), (1, "philipp"), (2, "philipp"), (2, "taras")]
    );
}

#[test]
fn a_swap_exchanges_two_shifts() {
    // David and Taras trade their October weeks.
    let s = swap(1, berlin(2022, 10, 3, 9), berlin(2022, 10, 10, 9));
    let schedule = Schedule::new("integrations", rotation(), &[], &[s]);
    assert_eq!(
        members_of(&schedule, berlin(2022, 9, 26, 9), berlin(2022, 10, 24, 9)),
        ["philipp", "taras", "david", "beatrix"]
    );
    let shift = schedule.at(berlin(2022, 10, 4, 12)).unwrap();
    assert_eq!((shift.rostered.as_str(), shift.swap_id), ("taras", Some(1)));
    assert!(schedule.ignored_swaps().is_empty());
}

#[test]
fn swaps_compose_in_the_order_they_were_made() {
    let weeks = [
        berlin(2022, 9, 26, 9),
        berlin(2022, 10, 3, 9),
        berlin(2022, 10, 10, 9),
    ];
    // Philipp ↔ David, then the week now held by David (the first) ↔ Taras.
    let swaps = [swap(1, weeks[0], weeks[1]), swap(2, weeks[0], weeks[2])];
    let schedule = Schedule::new("integrations", rotation(), &[], &swaps);
    assert_eq!(
        members_of(&schedule, weeks[0], berlin(2022, 10, 17, 9)),
        ["taras", "philipp", "david"]
    );
}

#[test]
fn a_swap_that_names_no_handoff_is_ignored_and_reported() {
    let s = swap(7, berlin(2022, 10, 3, 10), berlin(2022, 10, 10, 9));
    let schedule = Schedule::new("integrations", rotation(), &[], &[s]);
    assert_eq!(schedule.ignored_swaps().len(), 1);
    assert_eq!(schedule.ignored_swaps()[0].swap_id, 7);
    assert_eq!(
        schedule.at(berlin(2022, 10, 4, 12)).unwrap().member,
        "david"
    );
}

#[test]
fn time_off_during_a_shift_is_a_conflict_with_a_cover() {
    let schedule = Schedule::new("integrations", rotation(), &[], &[]);
    // Taras (Oct 10–17) is away Wednesday to Friday; Beatrix is away too.
    let time_off = [
        off(1, "taras", berlin(2022, 10, 12, 0), berlin(2022, 10, 15, 0)),
        off(
            2,
            "beatrix",
            berlin(2022, 10, 11, 0),
            berlin(2022, 10, 14, 0),
        ),
    ];
    let shifts = schedule.shifts(berlin(2022, 10, 3, 9), berlin(2022, 10, 17, 9));
    let conflicts = schedule.conflicts(&shifts, &time_off, &calendars());
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].shift.member, "taras");
    // David was on duty the week before; Philipp the week before that; Beatrix is away.
    assert_eq!(conflicts[0].suggested_cover.as_deref(), Some("philipp"));
}

#[test]
fn time_off_outside_working_hours_is_no_conflict() {
    let schedule = Schedule::new("integrations", rotation(), &[], &[]);
    // A weekend away during Taras's week.
    let time_off = [off(
        1,
        "taras",
        berlin(2022, 10, 15, 0),
        berlin(2022, 10, 17, 0),
    )];
    let shifts = schedule.shifts(berlin(2022, 10, 10, 9), berlin(2022, 10, 17, 9));
    assert!(schedule
        .conflicts(&shifts, &time_off, &calendars())
        .is_empty());
}

#[test]
fn the_ics_feed_parses_back_with_an_independent_parser() {
    let o = over(1, "taras", berlin(2022, 10, 5, 0), berlin(2022, 10, 7, 0));
    let schedule = Schedule::new("integrations", rotation(), &[o], &[]);
    let shifts = schedule.shifts(berlin(2022, 9, 26, 9), berlin(2022, 11, 21, 9));
    let feed = ics::Feed {
        name: "Integrations support rotation — ünïcödé names make long lines that must fold",
        uid_domain: "baton.example.com",
        generated_at: Utc.with_ymd_and_hms(2022, 9, 1, 0, 0, 0).unwrap(),
    };
    let text = ics::render(&feed, &shifts, |m| {
        format!("{m} with a long display name: Ärger über Übergaben")
    });
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "line longer than 75 octets: {line:?}");
        assert!(!line.contains('\n'), "bare LF in {line:?}");
    }
    assert!(text.ends_with("END:VCALENDAR\r\n"));

    let mut parser = ical::IcalParser::new(text.as_bytes());
    let calendar = parser
        .next()
        .expect("one calendar")
        .expect("valid iCalendar");
    assert!(parser.next().is_none());
    assert_eq!(calendar.events.len(), shifts.len());
    let prop = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    let mut uids = std::collections::HashSet::new();
    for (event, shift) in calendar.events.iter().zip(&shifts) {
        assert!(uids.insert(prop(event, "UID")), "UIDs must be unique");
        assert_eq!(
            prop(event, "DTSTART"),
            shift.start.format("%Y%m%dT%H%M%SZ").to_string()
        );
        assert_eq!(
            prop(event, "DTEND"),
            shift.end.format("%Y%m%dT%H%M%SZ").to_string()
        );
        assert_eq!(prop(event, "DTSTAMP"), "20220901T000000Z");
        assert!(prop(event, "SUMMARY").contains(&shift.member));
    }
    // Unfolded as RFC 5545 says (drop each CRLF followed by one space), the long description
    // comes back whole. (`ical` 0.11 also trims the end of every physical line, so it loses a
    // space that falls just before a fold; its value is compared without spaces.)
    let description =
        "DESCRIPTION:taras with a long display name: Ärger über Übergaben is the first \
         responder for team integrations. Covering for david with a long display name: Ärger über \
         Übergaben (override).";
    let unfolded = text.replace("\r\n ", "");
    assert!(
        unfolded.lines().any(|l| l.trim_end() == description),
        "{unfolded}"
    );
    let squash = |s: &str| s.replace(' ', "");
    assert_eq!(
        squash(&prop(&calendar.events[2], "DESCRIPTION")),
        squash(description.trim_start_matches("DESCRIPTION:"))
    );
    // Regenerating gives the same UIDs.
    let again = ics::render(&feed, &shifts, |m| m.to_string());
    let uid_lines = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("UID"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(uid_lines(&text), uid_lines(&again));
}
