//! A full support week through the real server, on a manual clock: inquiries arriving inside and
//! outside working hours, an override, the Monday hand-off, triage, escalation, checks and the
//! budget. Every expected deadline is worked out by hand in the comments, from the members'
//! working hours and time zones, not by calling baton's calendar.

use baton_core::model::NewOverride;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use reqwest::StatusCode;

use crate::helpers::{expect_json, spawn_app, TestApp};

/// `GET path` as the viewer.
async fn get(app: &TestApp, path: &str) -> Value {
    expect_json(app.get(path, &app.viewer).await, StatusCode::OK).await
}

/// `POST /api/v1/inquiries/{id}/{action}` with `body` as the member; returns the detail.
async fn act(app: &TestApp, inquiry: &Value, action: &str, body: Value) -> Value {
    let path = format!("/api/v1/inquiries/{}/{action}", inquiry["id"]);
    expect_json(app.post(&path, &app.member, body).await, StatusCode::OK).await
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test]
async fn a_week_of_support_through_the_real_server() {
    let app = spawn_app().await;
    // Philipp (Berlin, 09:00-17:00) covers Thursday 6 October for David, 00:00 to 24:00 Berlin.
    app.store
        .add_override(NewOverride {
            team: "integrations".into(),
            member: "philipp".into(),
            start: utc(2022, 10, 5, 22, 0),
            end: utc(2022, 10, 6, 22, 0),
            reason: Some("David travels".into()),
            created_by: "test".into(),
        })
        .await
        .unwrap();

    // A — Wed 5 Oct 14:00 UTC = 10:00 in New York: David's week, inside his hours. High: 4h.
    app.clock.set(utc(2022, 10, 5, 14, 0));
    let a = app
        .create(json!({"title": "Extension fails on GitHub Enterprise", "source": "#integrations", "priority": "high"}))
        .await;
    assert_eq!(a["assignee"], "david");
    assert_eq!(a["first_response_due"], rfc(utc(2022, 10, 5, 18, 0))); // 14:00 New York
                                                                       // Resolution (high: 3 working days = 24h): Wed 10-17 (7h), Thu (8h), Fri (8h), Mon 09-10 (1h)
                                                                       // → Mon 10 Oct 10:00 New York = 14:00 UTC.
    assert_eq!(a["resolution_due"], rfc(utc(2022, 10, 10, 14, 0)));

    // F — Wed 12:00 UTC, area JB: the owner rule routes it to Beatrix (Budapest, 10:00-18:00,
    // UTC+2). No priority → medium, 1 working day = 8h: Wed 14-18 (4h) + Thu 10-14 (4h)
    // → Thu 14:00 Budapest = 12:00 UTC.
    app.clock.set(utc(2022, 10, 5, 12, 0));
    let f = app
        .create(json!({"title": "JB plugin: find usages popup does not open", "source": "#integrations", "area": "JB"}))
        .await;
    assert_eq!(
        (f["state"].as_str(), f["assignee"].as_str()),
        (Some("routed"), Some("beatrix"))
    );
    assert_eq!(f["first_response_due"], rfc(utc(2022, 10, 6, 12, 0)));

    app.clock.set(utc(2022, 10, 5, 15, 30));
    let a = act(&app, &a, "ack", json!({})).await;
    assert_eq!(a["first_response"], "met");

    // B — Wed 21:30 UTC = 17:30 New York, after David's hours (Berlin 23:30, still his week
    // before the override). Critical: 1h from his next working instant, Thu 09:00 New York
    // (13:00 UTC) → 14:00 UTC.
    app.clock.set(utc(2022, 10, 5, 21, 30));
    let b = app
        .create(json!({"title": "Extension down for a customer", "source": "#integrations", "priority": "critical"}))
        .await;
    assert_eq!(b["assignee"], "david");
    assert_eq!(b["first_response_due"], rfc(utc(2022, 10, 6, 14, 0)));
    assert_eq!(b["first_response"], "running");

    // C — Thu 07:00 UTC = 09:00 Berlin: the override puts Philipp on duty. Medium (1d = 8h of
    // Philipp's): due Thu 17:00 Berlin = 15:00 UTC.
    app.clock.set(utc(2022, 10, 6, 7, 0));
    let c = app
        .create(json!({"title": "How do I configure the VS Code extension?", "source": "#integrations", "priority": "medium"}))
        .await;
    assert_eq!(c["assignee"], "philipp");
    assert_eq!(c["first_response_due"], rfc(utc(2022, 10, 6, 15, 0)));
    app.clock.set(utc(2022, 10, 6, 8, 0));
    let c = act(&app, &c, "ack", json!({})).await;
    assert_eq!(c["first_response"], "met");
    // Waiting on the reporter from Thu 11:00 to Fri 09:00 Berlin: the clock stops.
    app.clock.set(utc(2022, 10, 6, 9, 0));
    let c = act(&app, &c, "wait", json!({})).await;
    assert_eq!(c["state"], "waiting");
    assert!(c["next_due"].is_null());

    // Thu 13:00 UTC: F's first response (12:00) is breached, B's (14:00) is next, A only owes
    // its resolution (Mon 14:00), C waits and sorts last.
    app.clock.set(utc(2022, 10, 6, 13, 0));
    let queue = get(&app, "/api/v1/teams/integrations/queue").await;
    let order: Vec<_> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(
        order,
        [
            f["id"].clone(),
            b["id"].clone(),
            a["id"].clone(),
            c["id"].clone()
        ]
    );
    assert_eq!(queue[0]["first_response"], "breached");
    // B: 1h of David's working time left (Thu 13:00 → 14:00 UTC is 09:00 → 10:00 New York).
    assert_eq!(queue[1]["time_left_minutes"], 60);

    // B is acknowledged late, at 14:30 UTC.
    app.clock.set(utc(2022, 10, 6, 14, 30));
    let b = act(&app, &b, "ack", json!({})).await;
    assert_eq!(b["first_response"], "missed");

    // The reporter answers; C resumes Fri 07:00 UTC (09:00 Berlin). Resolution (medium: 5 days
    // = 40h of Philipp's) from Thu 09:00 Berlin would end Wed 12 Oct 17:00; the wait took
    // Thu 11:00-17:00 (6 working hours) out → Thu 13 Oct 15:00 Berlin = 13:00 UTC.
    app.clock.set(utc(2022, 10, 7, 7, 0));
    let c = act(&app, &c, "start", json!({})).await;
    assert_eq!(c["resolution_due"], rfc(utc(2022, 10, 13, 13, 0)));
    assert_eq!(c["next_due"], rfc(utc(2022, 10, 13, 13, 0)));

    // D — Sun 9 Oct 20:00 UTC, before Monday's 09:00 Berlin hand-off: still David's week.
    // High: 4h from Mon 09:00 New York (13:00 UTC) → 17:00 UTC.
    app.clock.set(utc(2022, 10, 9, 20, 0));
    let d = app
        .create(json!({"title": "Sign-in loop in VS Code", "source": "#integrations-ide", "priority": "high"}))
        .await;
    assert_eq!(d["assignee"], "david");
    assert_eq!(d["first_response_due"], rfc(utc(2022, 10, 10, 17, 0)));

    // Monday 07:00 UTC: Taras (Kyiv, UTC+3, Mon-Thu 08-16) takes over.
    app.clock.set(utc(2022, 10, 10, 7, 30));
    let oncall = get(&app, "/api/v1/teams/integrations/oncall").await;
    assert_eq!(oncall["shift"]["member"], "taras");
    assert_eq!(oncall["working"], true); // 10:30 in Kyiv
                                         // He takes D over; its clock now runs in his hours: Mon 08:00 Kyiv (05:00 UTC) + 4h → 09:00 UTC.
    app.clock.set(utc(2022, 10, 10, 8, 0));
    let path = format!("/api/v1/inquiries/{}", d["id"]);
    let d = expect_json(
        app.patch(&path, &app.member, json!({"assignee": "taras"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(d["assignee"], "taras");
    assert_eq!(d["first_response_due"], rfc(utc(2022, 10, 10, 9, 0)));
    app.clock.set(utc(2022, 10, 10, 8, 30));
    let d = act(&app, &d, "ack", json!({})).await;
    assert_eq!(d["first_response"], "met");

    // E — Mon 08:00 UTC, after the hand-off: Taras's. Work runs past the 2h threshold.
    let e = app
        .create(json!({"title": "Plugin ignores custom URL in GoLand", "source": "#integrations", "area": "VSCE"}))
        .await;
    assert_eq!(e["assignee"], "taras");
    app.clock.set(utc(2022, 10, 10, 9, 0));
    act(&app, &e, "start", json!({})).await;
    let time = format!("/api/v1/inquiries/{}/time", e["id"]);
    let logged = app
        .post(
            &time,
            &app.member,
            json!({"minutes": 90, "note": "reproduced"}),
        )
        .await;
    expect_json(logged, StatusCode::CREATED).await;
    app.clock.set(utc(2022, 10, 10, 10, 0));
    let logged = app.post(&time, &app.member, json!({"minutes": 45})).await;
    expect_json(logged, StatusCode::CREATED).await;
    let e = get(&app, &format!("/api/v1/inquiries/{}", e["id"])).await;
    assert_eq!(e["logged_minutes"], 135);
    assert_eq!(e["should_escalate"], true);

    // Taras checks #integrations; the checklist is his day in Kyiv.
    let checked = app
        .post(
            "/api/v1/teams/integrations/checks",
            &app.member,
            json!({"source": "#integrations"}),
        )
        .await;
    expect_json(checked, StatusCode::CREATED).await;
    let checks = get(&app, "/api/v1/teams/integrations/checks").await;
    assert_eq!(checks["member"], "taras");
    assert_eq!(checks["date"], "2022-10-10");
    assert_eq!(checks["items"][0]["checked_by"], "taras");
    assert!(checks["items"][1]["checked_at"].is_null());

    // Budget: Taras works 4×8h + 4h = 36h in his week → 10% is 216 minutes; 135 logged.
    let budget = get(&app, "/api/v1/teams/integrations/budget").await;
    assert_eq!(budget["member"], "taras");
    assert_eq!(budget["working_minutes"], 36 * 60);
    assert_eq!(budget["allowed_minutes"], 216);
    assert_eq!(budget["logged_minutes"], 135);
    assert_eq!(budget["over_budget"], false);

    // E becomes a GitHub issue and passes to Beatrix.
    let e = act(&app, &e, "escalate", json!({"issue_url": "https://github.com/sourcegraph/sourcegraph/issues/42424", "assignee": "beatrix"}))
        .await;
    assert_eq!(
        (e["state"].as_str(), e["assignee"].as_str()),
        (Some("escalated"), Some("beatrix"))
    );
    assert_eq!(e["should_escalate"], false);
    assert_eq!(
        e["issue_url"],
        "https://github.com/sourcegraph/sourcegraph/issues/42424"
    );

    // A is resolved in time; the trail shows every step with its actor.
    let a = act(&app, &a, "resolve", json!({})).await;
    assert_eq!(a["state"], "resolved");
    let kinds: Vec<_> = a["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "inquiry.created",
            "inquiry.acknowledged",
            "inquiry.resolved"
        ]
    );
    assert!(a["events"][1]["actor"]
        .as_str()
        .unwrap()
        .starts_with("token:"));
}
