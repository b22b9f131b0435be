//! A realistic past for the demo: six weeks of inquiries from every source, triaged the way a
//! team triages — acknowledged within the hour or the day, worked on, waited on, escalated when
//! work ran long, routed to owners, resolved — and an open queue in every state and priority.

use std::collections::HashMap;

use anyhow::Result;
use baton_config::{SourceKind, Team};
use baton_core::civil::{local_date, resolve_local, Side};
use baton_core::sla::Priority;
use baton_core::triage::{Action, Arrival};
use baton_server::service::Service;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How far back the history goes.
const WEEKS: i64 = 6;

/// What the demo's people ask about, by area.
const TOPICS: &[(&str, &str, &str)] = &[
    ("BExt", "Browser extension does not show code intel on GitHub Enterprise", "Our GHE instance is on 3.6 and the hover tooltips stopped appearing after the last extension update. Console shows a CSP error."),
    ("BExt", "Chrome extension asks for permissions on every page load", "Since version 22.10.3 the extension re-requests host permissions whenever I open a PR."),
    ("BExt", "Safari extension build fails on CI", "The Safari packaging step fails with a signing error since yesterday."),
    ("BExt", "Code intel on GitLab merge requests is missing", "Go-to-definition works on files but not in MR diffs on gitlab.example.com."),
    ("VSCE", "VS Code extension cannot connect to a private instance", "Customer reports 'Failed to fetch' with a self-signed certificate behind a proxy."),
    ("VSCE", "Search results panel is empty in VS Code 1.72", "After updating VS Code the search panel renders blank; the webview logs a TypeError."),
    ("VSCE", "Feature request: open search results in a split editor", "Several users in #feedback-dogfood asked for this."),
    ("VSCE", "Access token setting is not picked up after reload", "Setting sourcegraph.accessToken in the workspace settings has no effect until a restart."),
    ("JB", "JetBrains plugin crashes IntelliJ on startup", "IntelliJ 2022.2.3 freezes at startup with the plugin enabled; thread dump attached."),
    ("JB", "Plugin ignores the custom URL in GoLand", "The plugin keeps sending requests to sourcegraph.com instead of the configured instance."),
    ("JB", "Regression: find usages popup no longer opens", "Broken since the 2.1.0 release, works in 2.0.4."),
    ("JB", "Publish the plugin to the JetBrains marketplace beta channel", "Release engineering asks whether we can publish nightlies."),
];

/// General questions that have no area yet.
const QUESTIONS: &[(&str, &str)] = &[
    (
        "Who owns the code host integrations docs?",
        "The docs page for Bitbucket Server is out of date; who should update it?",
    ),
    (
        "Can someone review my PR to the extension API?",
        "Small change to expose the repo name in the context; needs a review from the team.",
    ),
    (
        "Question about the roadmap for the Neovim plugin",
        "A customer asked whether a Neovim integration is planned.",
    ),
    (
        "Alert: integrations e2e tests failing",
        "integrations-e2e has failed 3 times in a row on main.",
    ),
    (
        "Customer escalation: extension outage for a large account",
        "A large customer reports the extension is down for all their users since this morning.",
    ),
];

/// One thing to do at one instant.
struct Step {
    at: DateTime<Utc>,
    inquiry: usize,
    action: Option<Action>,
}

/// Fills the store with six weeks of history before `now`, through the service on a manual
/// clock so every event carries a realistic time. Returns the number of inquiries.
pub async fn seed(service: &Service, team: &Team, now: DateTime<Utc>) -> Result<usize> {
    let mut rng = StdRng::seed_from_u64(0x0ba7_0200);
    let start = now - Duration::weeks(WEEKS);
    let mut arrivals = Vec::new();
    let mut steps = Vec::new();
    let mut day = start;
    while day < now - Duration::hours(6) {
        for _ in 0..rng.random_range(1..=4) {
            let received_at = day + Duration::minutes(rng.random_range(0..24 * 60));
            if received_at >= now - Duration::hours(3) {
                continue;
            }
            let index = arrivals.len();
            arrivals.push(arrival(&mut rng, team, received_at));
            steps.push(Step {
                at: received_at,
                inquiry: index,
                action: None,
            });
            plan_life(&mut rng, team, index, received_at, now, &mut steps);
        }
        day += Duration::days(1);
    }
    plan_open_queue(team, now, &mut arrivals, &mut steps);
    steps.sort_by_key(|s| s.at);

    let clock = service.clock().clone();
    let mut ids: HashMap<usize, i64> = HashMap::new();
    for step in steps {
        clock.set(step.at);
        match step.action {
            None => {
                let (inquiry, _) = service
                    .create_inquiry(&team.slug, arrivals[step.inquiry].clone(), "demo")
                    .await?;
                ids.insert(step.inquiry, inquiry.id);
            }
            Some(action) => {
                let Some(&id) = ids.get(&step.inquiry) else {
                    continue;
                };
                let actor = service.store().get_inquiry(id).await?.assignee;
                // A step that no longer fits (e.g. resolving what was escalated) is skipped, as a
                // person would skip it.
                let _ = service.act(id, action, &actor).await;
            }
        }
    }
    seed_checks(service, team, now).await?;
    clock.set(now);
    Ok(arrivals.len())
}

/// A random arrival from one of the team's sources.
fn arrival(rng: &mut StdRng, team: &Team, received_at: DateTime<Utc>) -> Arrival {
    let source = &team.sources[rng.random_range(0..team.sources.len())];
    let (area, title, body) = if rng.random_bool(0.75) {
        let (a, t, b) = TOPICS[rng.random_range(0..TOPICS.len())];
        (Some(a.to_owned()), t, b)
    } else {
        let (t, b) = QUESTIONS[rng.random_range(0..QUESTIONS.len())];
        (None, t, b)
    };
    let (labels, severity, link) = match source.kind {
        SourceKind::GithubLabel | SourceKind::GithubTeam => {
            let number = rng.random_range(41_000..44_000);
            let label = if title.starts_with("Feature") {
                "enhancement"
            } else {
                "bug"
            };
            (
                vec![label.to_owned(), "team/integrations".to_owned()],
                None,
                format!("https://github.com/sourcegraph/sourcegraph/issues/{number}"),
            )
        }
        SourceKind::Alertmanager => (
            vec![],
            Some(
                if rng.random_bool(0.3) {
                    "critical"
                } else {
                    "warning"
                }
                .to_owned(),
            ),
            "https://alerts.example.com/#/alerts?receiver=integrations".to_owned(),
        ),
        _ => (
            vec![],
            None,
            format!(
                "https://example.slack.com/archives/C0INTEGRAT/p{}",
                received_at.timestamp_micros()
            ),
        ),
    };
    let reporters = [
        "U02ALICE", "U02BOB", "U02CAROL", "U02DAN", "U02ERIN", "U02FRANK",
    ];
    Arrival {
        source: source.name.clone(),
        external_ref: None,
        link: Some(link),
        title: title.to_owned(),
        body: body.to_owned(),
        reporter: Some(reporters[rng.random_range(0..reporters.len())].to_owned()),
        labels,
        severity,
        received_at,
        area: area.filter(|_| rng.random_bool(0.6)),
        priority: None,
    }
}

/// What happens to an inquiry after it arrived: a plausible triage in the past.
fn plan_life(
    rng: &mut StdRng,
    team: &Team,
    index: usize,
    received: DateTime<Utc>,
    now: DateTime<Utc>,
    steps: &mut Vec<Step>,
) {
    let mut t = received;
    let mut push = |t: DateTime<Utc>, action: Action| {
        if t < now {
            steps.push(Step {
                at: t,
                inquiry: index,
                action: Some(action),
            });
        }
    };
    // Most are answered within a few hours; some only the next day.
    let slowest = if rng.random_bool(0.8) { 240 } else { 1800 };
    t += Duration::minutes(rng.random_range(5..slowest));
    push(t, Action::Acknowledge);
    let priority = [
        Priority::Critical,
        Priority::High,
        Priority::Medium,
        Priority::Medium,
        Priority::Low,
    ][rng.random_range(0..5)];
    push(
        t + Duration::minutes(1),
        Action::SetPriority {
            priority: Some(priority),
        },
    );
    if rng.random_bool(0.5) {
        let area = team.areas[rng.random_range(0..team.areas.len())].clone();
        push(
            t + Duration::minutes(2),
            Action::SetArea { area: Some(area) },
        );
    }
    t += Duration::minutes(rng.random_range(10..180));
    if rng.random_bool(0.1) {
        let member = team.members[rng.random_range(0..team.members.len())]
            .id
            .clone();
        push(t, Action::Route { member });
        t += Duration::hours(rng.random_range(2..48));
        push(t, Action::Resolve);
        return;
    }
    push(t, Action::Start);
    if rng.random_bool(0.25) {
        t += Duration::minutes(rng.random_range(10..60));
        push(t, Action::Wait);
        t += Duration::hours(rng.random_range(1..30));
        push(t, Action::Start);
    }
    // Most questions take minutes and nobody logs them; some take real work. A team within
    // its 10% budget logs a few hours a week.
    let mut logged = 0;
    let entries = if rng.random_bool(0.4) {
        rng.random_range(1..3)
    } else {
        0
    };
    for _ in 0..entries {
        t += Duration::minutes(rng.random_range(20..200));
        let minutes = rng.random_range(10..40);
        logged += minutes;
        push(
            t,
            Action::LogTime {
                minutes,
                note: None,
                member: None,
            },
        );
    }
    t += Duration::minutes(rng.random_range(30..600));
    if logged >= i64::from(team.escalate_after.get()) || rng.random_bool(0.08) {
        let number = rng.random_range(42_000..44_000);
        push(
            t,
            Action::Escalate {
                issue_url: format!("https://github.com/sourcegraph/sourcegraph/issues/{number}"),
                assignee: None,
            },
        );
    } else {
        push(t, Action::Resolve);
    }
}

/// Makes sure the open queue shows every state and priority, one breached deadline and one that
/// is near.
fn plan_open_queue(
    team: &Team,
    now: DateTime<Utc>,
    arrivals: &mut Vec<Arrival>,
    steps: &mut Vec<Step>,
) {
    let open: [(&str, &str, i64, Priority, &[Action]); 7] = [
        (
            "Sourcegraph extension is down for everyone on Firefox",
            "#integrations",
            20,
            Priority::Critical,
            &[],
        ),
        (
            "JetBrains plugin: search returns no results for Perforce depots",
            "@integrations-team",
            60 * 24 * 5,
            Priority::High,
            &[],
        ),
        (
            "VS Code extension: sign-in loop with SSO",
            "#integrations-ide",
            90,
            Priority::High,
            &[Action::Acknowledge],
        ),
        (
            "Browser extension: dark mode tooltips unreadable",
            "team/integrations",
            60 * 5,
            Priority::Low,
            &[Action::Acknowledge, Action::Start],
        ),
        (
            "Need logs to reproduce the GoLand proxy issue",
            "#feedback-dogfood",
            60 * 8,
            Priority::Medium,
            &[Action::Acknowledge, Action::Wait],
        ),
        (
            "Review: bump the extension's TypeScript to 4.9",
            "sourcegraph/integrations",
            60 * 3,
            Priority::Low,
            &[],
        ),
        (
            "Cody for JetBrains: add telemetry opt-out",
            "@integrations-eng",
            60 * 2,
            Priority::Medium,
            &[],
        ),
    ];
    for (n, (title, source, minutes_ago, priority, actions)) in open.into_iter().enumerate() {
        let received_at = now - Duration::minutes(minutes_ago);
        let index = arrivals.len();
        arrivals.push(Arrival {
            source: source.to_owned(),
            title: title.to_owned(),
            body: "Reported by a teammate; see the link for the thread.".to_owned(),
            reporter: Some("U02ALICE".into()),
            received_at,
            ..Arrival::default()
        });
        steps.push(Step {
            at: received_at,
            inquiry: index,
            action: None,
        });
        let mut at = received_at + Duration::minutes(1);
        let mut push = |action: Action| {
            steps.push(Step {
                at,
                inquiry: index,
                action: Some(action),
            });
            at += Duration::minutes(1);
        };
        push(Action::SetPriority {
            priority: Some(priority),
        });
        for action in actions {
            push(action.clone());
        }
        if n == 5 {
            // Reviews of that dependency bump belong to whoever drives the TypeScript upgrade.
            let owner = team
                .members
                .last()
                .map(|m| m.id.clone())
                .unwrap_or_default();
            push(Action::Route { member: owner });
        }
    }
}

/// The daily checks: past days fully checked by whoever was on duty, today half done.
async fn seed_checks(service: &Service, team: &Team, now: DateTime<Utc>) -> Result<()> {
    let clock = service.clock().clone();
    let daily: Vec<_> = team.sources.iter().filter(|s| s.daily_check).collect();
    let today = local_date(team.tz, now);
    for days_ago in (0..14).rev() {
        // Mid-morning of the team's day.
        let date = today - Duration::days(days_ago);
        let at = resolve_local(
            team.tz,
            date.and_hms_opt(9, 30, 0).unwrap_or_default(),
            Side::Earliest,
        );
        if at >= now {
            continue;
        }
        clock.set(at);
        let count = if days_ago == 0 {
            daily.len() / 2
        } else {
            daily.len()
        };
        for source in daily.iter().take(count) {
            service.record_check(&team.slug, &source.name, None).await?;
        }
    }
    Ok(())
}
