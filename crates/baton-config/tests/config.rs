//! The configuration file: the handbook example loads, and every kind of mistake is refused with
//! the file, line and field named.

use std::path::{Path, PathBuf};

use baton_config::{parse, SourceKind};
use baton_core::sla::Priority;
use chrono::{TimeZone, Utc};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/integrations.toml")
}

/// The configuration exactly as the issue writes it, with the other three members added.
const ISSUE_CONFIG: &str = r##"
[server]
listen = "127.0.0.1:8080"
database = "sqlite://baton.db"          # or postgres://user@host/db
public_url = "http://127.0.0.1:8080"

[[teams]]
slug = "integrations"
name = "Integrations"
timezone = "Europe/Berlin"
slack_handles = ["@integrations-team", "@integrations-eng"]
github_team = "sourcegraph/integrations"
github_label = "team/integrations"
board_repo = "sourcegraph/sourcegraph"
recap_channel = "#integrations-internal"
areas = ["BExt", "VSCE", "JB"]
time_budget = "10%"
escalate_after = "2h"
review_on = "2022-11-21"

[teams.rotation]
members = ["philipp", "david", "taras", "beatrix"]
first_handoff = "2022-09-26T09:00"      # civil time in the team's time zone
shift = "1w"                            # also "1d", "2w", "3d" ...
recap_before = "1d"

[[teams.members]]
id = "philipp"
name = "Philipp"
timezone = "Europe/Berlin"
working_hours = "Mon-Fri 09:00-17:00"
slack_user = "U01PHILIPP"
github = "philipp-dev"
# ... one [[teams.members]] per member; working_hours may list several spans, e.g. "Mon-Thu 08:00-16:00, Fri 08:00-12:00"

[[teams.members]]
id = "david"
timezone = "America/New_York"
working_hours = "Mon-Fri 09:00-17:00"

[[teams.members]]
id = "taras"
timezone = "Europe/Kyiv"
working_hours = "Mon-Thu 08:00-16:00, Fri 08:00-12:00"

[[teams.members]]
id = "beatrix"
timezone = "Europe/Budapest"
working_hours = "Mon-Fri 10:00-18:00"

[[teams.sources]]
kind = "slack_channel"                  # also slack_mention, github_label, github_team, alertmanager, grafana, generic
channel = "#integrations"
daily_check = true
sla = { critical = "1h", high = "4h", medium = "1d", low = "3d" }   # working time of the responsible member; 1d = one working day
"##;

/// Parses `text` as `baton.toml`, expecting it to be refused; returns the rendered message.
fn refused(text: &str) -> String {
    match parse(text, Path::new("baton.toml")) {
        Ok(_) => panic!("configuration was accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// `ISSUE_CONFIG` with `from` replaced by `to` (which must occur).
fn edited(from: &str, to: &str) -> String {
    assert!(ISSUE_CONFIG.contains(from), "{from:?} not in the config");
    ISSUE_CONFIG.replacen(from, to, 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn the_issue_config_loads_as_written() {
    let config = parse(ISSUE_CONFIG, Path::new("/etc/baton/baton.toml")).unwrap();
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.server.database, "sqlite:///etc/baton/baton.db");
    let team = config.team("integrations").unwrap();
    assert_eq!(team.name, "Integrations");
    assert_eq!(team.tz, chrono_tz::Europe::Berlin);
    assert_eq!(team.areas, ["BExt", "VSCE", "JB"]);
    assert_eq!(team.time_budget.fraction(), 0.10);
    assert_eq!(team.escalate_after.get(), 120);
    assert_eq!(
        team.rotation.members(),
        ["philipp", "david", "taras", "beatrix"]
    );
    assert_eq!(team.rotation.shift_length().days(), 7);
    assert_eq!(team.recap_before.days(), 1);
    assert_eq!(
        team.rotation.handoff(0),
        Some(Utc.with_ymd_and_hms(2022, 9, 26, 7, 0, 0).unwrap())
    );
    assert_eq!(
        team.member("taras").unwrap().working_hours.weekly_minutes(),
        36 * 60
    );
    assert_eq!(team.display_name("david"), "david");
    let source = &team.sources[0];
    assert_eq!(source.kind, SourceKind::SlackChannel);
    assert_eq!(source.name, "#integrations");
    assert!(source.daily_check);
    assert_eq!(
        source.sla.target(Priority::High),
        Some("4h".parse().unwrap())
    );
    assert_eq!(
        source.sla.target(Priority::Medium),
        Some("1d".parse().unwrap())
    );
}

#[test]
fn the_example_file_is_the_handbook_team() {
    let config = baton_config::load(&example_path()).unwrap();
    let team = config.team("integrations").unwrap();
    let names: Vec<_> = team.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Philipp", "David", "Taras", "Beatrix"]);
    let daily: Vec<_> = team
        .sources
        .iter()
        .filter(|s| s.daily_check)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        daily,
        [
            "#integrations",
            "#integrations-internal",
            "#integrations-ide",
            "#alerts-integrations",
            "#feedback-dogfood",
            "@integrations-team",
            "@integrations-eng",
            "sourcegraph/integrations",
            "team/integrations",
        ]
    );
    assert_eq!(
        config.slack.signing_secret_env.as_deref(),
        Some("BATON_SLACK_SIGNING_SECRET")
    );
    assert!(config.server.database.ends_with("examples/baton.db"));
}

#[test]
fn several_teams_in_one_file() {
    let second = ISSUE_CONFIG
        .split("[[teams]]")
        .nth(1)
        .unwrap()
        .replace("slug = \"integrations\"", "slug = \"search\"");
    let text = format!("{ISSUE_CONFIG}\n[[teams]]{second}");
    let config = parse(&text, Path::new("baton.toml")).unwrap();
    let slugs: Vec<_> = config.teams.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(slugs, ["integrations", "search"]);
    assert_eq!(config.teams[1].members.len(), 4);
}

#[test]
fn unknown_time_zone_names_line_and_field() {
    let text = edited(
        "timezone = \"America/New_York\"",
        "timezone = \"America/Nowhere\"",
    );
    let message = refused(&text);
    let line = line_of(&text, "America/Nowhere");
    assert!(
        message.starts_with(&format!("baton.toml:{line}:")),
        "{message}"
    );
    assert!(
        message.contains("teams[integrations].members[david].timezone"),
        "{message}"
    );
    assert!(
        message.contains("unknown time zone \"America/Nowhere\""),
        "{message}"
    );
}

#[test]
fn rotation_member_who_is_not_a_member() {
    let text = edited(
        "members = [\"philipp\", \"david\", \"taras\", \"beatrix\"]",
        "members = [\"philipp\", \"david\", \"taras\", \"beatrix\", \"zoe\"]",
    );
    let message = refused(&text);
    let line = line_of(&text, "\"zoe\"");
    assert!(
        message.starts_with(&format!("baton.toml:{line}:")),
        "{message}"
    );
    assert!(
        message.contains("teams[integrations].rotation.members"),
        "{message}"
    );
    assert!(
        message.contains("\"zoe\" is not a member of this team"),
        "{message}"
    );
}

#[test]
fn overlapping_working_hours() {
    let text = edited(
        "working_hours = \"Mon-Fri 10:00-18:00\"",
        "working_hours = \"Mon-Fri 10:00-18:00, Wed 17:00-19:00\"",
    );
    let message = refused(&text);
    let line = line_of(&text, "Wed 17:00-19:00");
    assert!(
        message.starts_with(&format!("baton.toml:{line}:")),
        "{message}"
    );
    assert!(
        message.contains("members[beatrix].working_hours"),
        "{message}"
    );
    assert!(message.to_lowercase().contains("overlap"), "{message}");
}

#[test]
fn bad_durations() {
    for (from, to, field) in [
        ("shift = \"1w\"", "shift = \"12h\"", "rotation.shift"),
        ("shift = \"1w\"", "shift = \"weekly\"", "rotation.shift"),
        (
            "escalate_after = \"2h\"",
            "escalate_after = \"2 hours\"",
            "escalate_after",
        ),
        (
            "time_budget = \"10%\"",
            "time_budget = \"10\"",
            "time_budget",
        ),
        ("high = \"4h\"", "high = \"4x\"", "sources[0].sla.high"),
        ("low = \"3d\"", "lowest = \"3d\"", "sources[0].sla.lowest"),
    ] {
        let text = edited(from, to);
        let message = refused(&text);
        let line = line_of(&text, to);
        assert!(
            message.starts_with(&format!("baton.toml:{line}:")),
            "{to}: {message}"
        );
        assert!(message.contains(field), "{to}: {message}");
    }
}

#[test]
fn toml_syntax_error_and_unknown_keys() {
    let text = edited("shift = \"1w\"", "shift = \"1w");
    let message = refused(&text);
    assert!(
        message.starts_with(&format!("baton.toml:{}:", line_of(&text, "shift = \"1w"))),
        "{message}"
    );

    let text = edited("github = \"philipp-dev\"", "githb = \"philipp-dev\"");
    let message = refused(&text);
    assert!(
        message.starts_with(&format!("baton.toml:{}:", line_of(&text, "githb"))),
        "{message}"
    );
    assert!(message.contains("githb"), "{message}");

    let message = refused(&edited("timezone = \"Europe/Berlin\"\nslack", "slack"));
    assert!(message.contains("timezone"), "{message}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = edited(
        "timezone = \"America/New_York\"",
        "timezone = \"Mars/Olympus\"",
    )
    .replace("shift = \"1w\"", "shift = \"1y\"");
    let problems = parse(&text, Path::new("baton.toml")).unwrap_err();
    assert_eq!(problems.problems().len(), 2, "{problems}");
}

#[test]
fn secrets_are_named_not_written() {
    let text = format!(
        "[slack]\nsigning_secret_env = \"8f14e45fceea167a5a36dedd4bea2543\"\n{ISSUE_CONFIG}"
    );
    let message = refused(&text);
    assert!(message.starts_with("baton.toml:2:"), "{message}");
    assert!(message.contains("slack.signing_secret_env"), "{message}");
    assert!(message.contains("environment variable"), "{message}");
}

#[test]
fn a_missing_file_is_named() {
    let err = baton_config::load(Path::new("/nonexistent/baton.toml")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/baton.toml: cannot read"),
        "{err}"
    );
}

#[test]
fn a_missing_key_names_its_table() {
    let text = edited("timezone = \"Europe/Kyiv\"\n", "");
    let message = refused(&text);
    assert!(
        message.contains("[[teams.members]]: missing field `timezone`"),
        "{message}"
    );
}

#[test]
fn a_member_email_is_kept_and_must_be_an_address() {
    let text = edited(
        "id = \"taras\"\n",
        "id = \"taras\"\nemail = \"Taras@Integrations.example\"\n",
    );
    let config = parse(&text, Path::new("baton.toml")).unwrap();
    let taras = config.teams[0]
        .members
        .iter()
        .find(|m| m.id == "taras")
        .unwrap();
    assert_eq!(taras.email.as_deref(), Some("Taras@Integrations.example"));

    let text = edited(
        "id = \"david\"\n",
        "id = \"david\"\nemail = \"david at integrations\"\n",
    );
    let message = refused(&text);
    let line = line_of(&text, "david at integrations");
    assert!(
        message.starts_with(&format!("baton.toml:{line}:")),
        "{message}"
    );
    assert!(
        message.contains("teams[integrations].members[david].email"),
        "{message}"
    );
    assert!(message.contains("is not an email address"), "{message}");
}
