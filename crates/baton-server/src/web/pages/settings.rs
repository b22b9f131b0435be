//! The team's settings, read-only: what `baton.toml` says about the team (members and their
//! working hours, the rotation, sources and their SLAs, owners and the priority rubric). The
//! configuration is changed by editing the file, reviewed like code.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baton_config::Team;
use baton_core::sla::{Priority, Sla};

use super::layout::{Layout, Nav};
use super::{render, WebPath};
use crate::web::error::WebError;
use crate::web::session::Viewer;
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/teams/{team}/settings", get(page))
}

struct MemberRow {
    id: String,
    name: String,
    timezone: String,
    working_hours: String,
    slack: String,
    github: String,
}

struct SourceRow {
    name: String,
    kind: &'static str,
    matches: String,
    daily_check: bool,
    /// First-response targets, one per priority (`—` where none).
    first_response: Vec<String>,
    resolution: Vec<String>,
}

struct OwnerRow {
    what: String,
    member: String,
    until: String,
}

struct RuleRow {
    priority: String,
    conditions: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    team: String,
    name: String,
    timezone: String,
    facts: Vec<(&'static str, String)>,
    rotation: String,
    members: Vec<MemberRow>,
    priorities: Vec<&'static str>,
    sources: Vec<SourceRow>,
    owners: Vec<OwnerRow>,
    rules: Vec<RuleRow>,
    config_file: String,
}

fn targets(sla: &Sla) -> Vec<String> {
    Priority::ALL
        .iter()
        .map(|p| {
            sla.target(*p)
                .map_or_else(|| "—".to_owned(), |t| t.to_string())
        })
        .collect()
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("—").to_owned()
}

fn settings(team: &Team) -> (Vec<(&'static str, String)>, String) {
    let list = |items: &[String]| {
        if items.is_empty() {
            "—".to_owned()
        } else {
            items.join(", ")
        }
    };
    let facts = vec![
        ("Slack handles", list(&team.slack_handles)),
        ("GitHub team", or_dash(team.github_team.as_deref())),
        ("GitHub label", or_dash(team.github_label.as_deref())),
        ("Board repository", or_dash(team.board_repo.as_deref())),
        ("Recap channel", or_dash(team.recap_channel.as_deref())),
        ("Areas", list(&team.areas)),
        (
            "Time budget",
            format!(
                "{} of the on-duty engineer's working time",
                team.time_budget
            ),
        ),
        (
            "Becomes an issue after",
            format!("{} of logged work", team.escalate_after),
        ),
        (
            "Review on",
            team.review_on
                .map_or_else(|| "—".to_owned(), |d| d.to_string()),
        ),
    ];
    let rotation = &team.rotation;
    let order: Vec<&str> = rotation
        .members()
        .iter()
        .map(|m| team.display_name(m))
        .collect();
    let rotation = format!(
        "{} → (again); shifts of {} from {} ({}); the recap {} before each hand-off",
        order.join(" → "),
        rotation.shift_length(),
        rotation.first_handoff().format("%a %-d %b %Y %H:%M"),
        team.tz,
        team.recap_before
    );
    (facts, rotation)
}

async fn page(
    State(state): State<AppState>,
    WebPath(slug): WebPath<String>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let config = state.service.config();
    let team = state.service.team(&slug)?;
    let (facts, rotation) = settings(team);
    let page = SettingsPage {
        layout: Layout::new(&viewer, config, Some(&slug), Nav::Settings),
        team: team.slug.clone(),
        name: team.name.clone(),
        timezone: team.tz.name().to_owned(),
        facts,
        rotation,
        members: team
            .members
            .iter()
            .map(|m| MemberRow {
                id: m.id.clone(),
                name: m.name.clone(),
                timezone: m.tz.name().to_owned(),
                working_hours: m.working_hours.to_string(),
                slack: or_dash(m.slack_user.as_deref()),
                github: or_dash(m.github.as_deref()),
            })
            .collect(),
        priorities: Priority::ALL.iter().map(|p| p.as_str()).collect(),
        sources: team
            .sources
            .iter()
            .map(|s| SourceRow {
                name: s.name.clone(),
                kind: s.kind.as_str(),
                matches: s.matches.clone().unwrap_or_default(),
                daily_check: s.daily_check,
                first_response: targets(&s.sla),
                resolution: targets(&s.resolution),
            })
            .collect(),
        owners: team
            .owners
            .iter()
            .map(|o| OwnerRow {
                what: [
                    o.area.as_ref().map(|a| format!("area {a}")),
                    o.source.as_ref().map(|s| format!("source {s}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" and "),
                member: team.display_name(&o.member).to_owned(),
                until: o.until.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        rules: team
            .rubric
            .rules()
            .iter()
            .map(|r| {
                let mut conditions = Vec::new();
                for (what, values) in [
                    ("source", &r.sources),
                    ("label", &r.labels),
                    ("words", &r.keywords),
                    ("alert severity", &r.severities),
                ] {
                    if !values.is_empty() {
                        conditions.push(format!("{what}: {}", values.join(" or ")));
                    }
                }
                RuleRow {
                    priority: r.priority.map(|p| p.to_string()).unwrap_or_default(),
                    conditions: conditions.join("; and "),
                }
            })
            .collect(),
        // The file's name only: where it lives on the server is no reader's business.
        config_file: config
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    render(&page)
}
