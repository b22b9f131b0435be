//! The triage state machine and the SLA clock, with plain values.

use std::collections::HashMap;

use baton_core::calendar::WorkingCalendar;
use baton_core::inquiry::{Inquiry, State};
use baton_core::rotation::Rotation;
use baton_core::rubric::{Rubric, Rule};
use baton_core::schedule::Schedule;
use baton_core::sla::{Priority, Sla};
use baton_core::triage::{Action, Arrival, OwnerRule, Policy, SourcePolicy, TriageError};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use proptest::prelude::*;

fn berlin(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Berlin
        .with_ymd_and_hms(2022, 10, d, h, m, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Two members in Berlin, 09:00-17:00, weekly from Monday 26 Sept 2022.
fn policy() -> Policy {
    let members = vec!["ana".to_string(), "ben".to_string()];
    let first = NaiveDate::from_ymd_opt(2022, 9, 26)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let rotation = Rotation::new(Berlin, members.clone(), first, "1w".parse().unwrap()).unwrap();
    let calendars: HashMap<_, _> = members
        .iter()
        .map(|m| {
            let hours = "Mon-Fri 09:00-17:00".parse().unwrap();
            (m.clone(), WorkingCalendar::new(Berlin, hours))
        })
        .collect();
    let mut first_response = Sla::default();
    first_response.set(Priority::High, "4h".parse().unwrap());
    first_response.set(Priority::Medium, "1d".parse().unwrap());
    let mut resolution = Sla::default();
    resolution.set(Priority::High, "2d".parse().unwrap());
    Policy {
        team: "t".into(),
        tz: Berlin,
        schedule: Schedule::new("t", rotation, &[], &[]),
        calendars,
        areas: vec!["JB".into(), "VSCE".into()],
        sources: vec![SourcePolicy {
            name: "#help".into(),
            first_response,
            resolution,
            daily_check: true,
        }],
        owners: vec![OwnerRule {
            area: Some("JB".into()),
            source: None,
            member: "ben".into(),
            until: NaiveDate::from_ymd_opt(2022, 10, 7),
        }],
        rubric: Rubric::new(vec![Rule {
            priority: Some(Priority::High),
            keywords: vec!["crash".into()],
            ..Rule::default()
        }]),
        escalate_after: "2h".parse().unwrap(),
    }
}

fn arrive(p: &Policy, at: DateTime<Utc>, title: &str, area: Option<&str>) -> Inquiry {
    let new = p
        .arrive(Arrival {
            source: "#help".into(),
            title: title.into(),
            received_at: at,
            area: area.map(String::from),
            ..Arrival::default()
        })
        .unwrap();
    Inquiry {
        id: 1,
        team: new.team,
        source: new.source,
        external_ref: None,
        link: None,
        title: new.title,
        body: new.body,
        reporter: None,
        labels: vec![],
        severity: None,
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
        pauses: vec![],
        issue_url: None,
        logged_minutes: 0,
        should_escalate: false,
        next_due: new.next_due,
        updated_at: at,
        version: 1,
    }
}

#[test]
fn friday_evening_with_four_hours_is_due_monday_one_pm() {
    let p = policy();
    // Fri 7 Oct 18:00: Ana's week (Oct 3–10); the rubric suggests high for a crash.
    let inq = arrive(&p, berlin(7, 18, 0), "IDE crash on save", None);
    assert_eq!(inq.assignee, "ben");
    assert_eq!(inq.suggested_priority, Some(Priority::High));
    assert_eq!(inq.first_response_due, Some(berlin(10, 13, 0)));
    // Resolution: 2 working days = 16h → Tuesday 17:00.
    assert_eq!(inq.resolution_due, Some(berlin(11, 17, 0)));
    assert_eq!(inq.next_due, inq.first_response_due);
}

#[test]
fn a_clear_owner_gets_it_until_the_rule_expires() {
    let p = policy();
    let routed = arrive(&p, berlin(5, 10, 0), "find usages", Some("JB"));
    assert_eq!(
        (routed.state, routed.assignee.as_str()),
        (State::Routed, "ben")
    );
    // Medium, 1 working day = 8h of Ben's: Wednesday 10:00 → Thursday 10:00.
    assert_eq!(routed.first_response_due, Some(berlin(6, 10, 0)));
    // The rule ended on 7 October: from then on the rotation carries JB like everything else.
    let later = arrive(&p, berlin(10, 10, 0), "find usages", Some("JB"));
    assert_eq!((later.state, later.assignee.as_str()), (State::New, "ana"));
}

#[test]
fn the_state_machine_refuses_what_makes_no_sense() {
    let p = policy();
    let inq = arrive(&p, berlin(5, 10, 0), "question", None);
    let now = berlin(5, 11, 0);
    let acked = p.apply(&inq, Action::Acknowledge, now).unwrap().inquiry;
    assert_eq!(acked.state, State::Acknowledged);
    assert_eq!(acked.first_response_at, Some(now));
    let err = p.apply(&acked, Action::Acknowledge, now).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot acknowledge an inquiry that is acknowledged; it was acknowledged already"
    );
    let resolved = p.apply(&acked, Action::Resolve, now).unwrap().inquiry;
    for action in [Action::Start, Action::Wait, Action::Resolve] {
        let err = p.apply(&resolved, action, now).unwrap_err();
        assert!(err.to_string().ends_with("; reopen it first"), "{err}");
    }
    let reopened = p.apply(&resolved, Action::Reopen, now).unwrap().inquiry;
    assert_eq!(
        (reopened.state, reopened.resolved_at),
        (State::Acknowledged, None)
    );
    assert_eq!(
        reopened.first_response_at,
        Some(now),
        "the first response stays"
    );
    assert!(matches!(
        p.apply(
            &reopened,
            Action::Route {
                member: "zoe".into()
            },
            now
        ),
        Err(TriageError::UnknownMember(..))
    ));
    assert!(matches!(
        p.apply(
            &reopened,
            Action::SetArea {
                area: Some("Web".into())
            },
            now
        ),
        Err(TriageError::UnknownArea(..))
    ));
    let bad_url = Action::Escalate {
        issue_url: "issue 12".into(),
        assignee: None,
    };
    assert!(matches!(
        p.apply(&reopened, bad_url, now),
        Err(TriageError::Invalid(_))
    ));
}

#[test]
fn logged_time_past_the_threshold_asks_for_an_issue() {
    let p = policy();
    let mut inq = arrive(&p, berlin(5, 10, 0), "question", None);
    for minutes in [60, 59] {
        let log = Action::LogTime {
            minutes,
            note: None,
            member: None,
        };
        let applied = p.apply(&inq, log, berlin(5, 12, 0)).unwrap();
        assert_eq!(applied.time_entry.as_ref().unwrap().member, inq.assignee);
        inq = applied.inquiry;
    }
    assert!(!inq.should_escalate);
    assert_eq!(
        inq.first_response_at, None,
        "logging time is not a response"
    );
    let log = Action::LogTime {
        minutes: 1,
        note: None,
        member: None,
    };
    inq = p.apply(&inq, log, berlin(5, 12, 0)).unwrap().inquiry;
    assert!(inq.should_escalate);
    let escalate = Action::Escalate {
        issue_url: "https://github.com/o/r/issues/1".into(),
        assignee: Some("ana".into()),
    };
    let escalated = p.apply(&inq, escalate, berlin(5, 13, 0)).unwrap().inquiry;
    assert_eq!(
        (escalated.state, escalated.assignee.as_str()),
        (State::Escalated, "ana")
    );
    assert!(!escalated.should_escalate);
    assert_eq!(escalated.next_due, None);
}

proptest! {
    /// Waiting stops the clock: the first-response deadline moves by exactly the working time
    /// spent waiting, wherever the arrival and the wait fall (nights, weekends, DST ends on
    /// 30 October).
    #[test]
    fn waiting_moves_the_deadline_by_the_working_time_waited(
        arrival_minutes in 0i64..(60 * 24 * 40),
        wait_after in 0i64..(60 * 8),
        wait_for in 1i64..(60 * 24 * 5),
    ) {
        let p = policy();
        let t0 = berlin(3, 0, 0) + Duration::minutes(arrival_minutes);
        let inq = arrive(&p, t0, "question", None);
        let due = inq.first_response_due.unwrap();
        let calendar = &p.calendars[&inq.assignee];
        prop_assert_eq!(calendar.working_between(t0, due), Duration::hours(8));
        let wait_at = t0 + Duration::minutes(wait_after);
        let waiting = p.apply(&inq, Action::Wait, wait_at).unwrap().inquiry;
        prop_assert_eq!(waiting.next_due, None);
        // Waiting is a response, so that deadline is kept as promised; the resolution clock is
        // the one that pauses. Use a fresh inquiry without the response to see the pause.
        let mut paused = inq.clone();
        paused.pauses = vec![baton_core::inquiry::Pause {
            start: wait_at,
            end: Some(wait_at + Duration::minutes(wait_for)),
        }];
        p.recompute_deadlines(&mut paused);
        let moved = paused.first_response_due.unwrap();
        let waited = calendar.working_between(wait_at.min(due), (wait_at + Duration::minutes(wait_for)).min(moved));
        if wait_at < due {
            prop_assert_eq!(calendar.working_between(t0, moved) - waited, Duration::hours(8));
        } else {
            prop_assert_eq!(moved, due, "a wait after the deadline changes nothing");
        }
    }
}
