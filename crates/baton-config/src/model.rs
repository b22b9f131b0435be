//! The validated configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use baton_core::calendar::WorkingCalendar;
use baton_core::duration::{CivilDays, Minutes, Percent};
use baton_core::model::{Override, Swap, TimeOff};
use baton_core::rotation::Rotation;
use baton_core::rubric::Rubric;
use baton_core::schedule::Schedule;
use baton_core::sla::Sla;
use baton_core::triage::{OwnerRule, Policy, SourcePolicy};
use baton_core::working_hours::WorkingHours;
use chrono::NaiveDate;
use chrono_tz::Tz;

/// The whole organisation.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file this was loaded from.
    pub path: PathBuf,
    pub server: ServerConfig,
    pub slack: SlackConfig,
    pub github: GithubConfig,
    pub teams: Vec<Team>,
}

impl Config {
    /// The team with `slug`.
    pub fn team(&self, slug: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.slug == slug)
    }
}

/// Where baton listens and keeps its data.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Database URL; a relative SQLite path is resolved against the config file's folder.
    pub database: String,
    pub public_url: String,
}

/// Slack settings: the names of the environment variables that hold the secrets, and which
/// reactions by team members act as triage shortcuts.
#[derive(Clone, Debug)]
pub struct SlackConfig {
    pub signing_secret_env: Option<String>,
    pub bot_token_env: Option<String>,
    /// Reaction name (without colons) → shortcut.
    pub reactions: Vec<(String, ReactionShortcut)>,
}

impl Default for SlackConfig {
    fn default() -> Self {
        Self {
            signing_secret_env: None,
            bot_token_env: None,
            reactions: ReactionShortcut::DEFAULTS
                .iter()
                .map(|(name, shortcut)| (name.to_string(), *shortcut))
                .collect(),
        }
    }
}

impl SlackConfig {
    /// The shortcut a reaction stands for, if any.
    pub fn reaction(&self, name: &str) -> Option<ReactionShortcut> {
        self.reactions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
    }
}

/// What a team member's reaction on an inquiry's Slack message does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReactionShortcut {
    Acknowledge,
    Start,
    Resolve,
    /// Marks it as work for a GitHub issue.
    Flag,
}

impl ReactionShortcut {
    /// `:eyes:` acknowledges, `:white_check_mark:` resolves, `:ticket:` flags for an issue.
    pub const DEFAULTS: [(&'static str, ReactionShortcut); 3] = [
        ("eyes", Self::Acknowledge),
        ("white_check_mark", Self::Resolve),
        ("ticket", Self::Flag),
    ];

    /// The words used in the config.
    pub const NAMES: [(&'static str, ReactionShortcut); 4] = [
        ("ack", Self::Acknowledge),
        ("start", Self::Start),
        ("resolve", Self::Resolve),
        ("flag", Self::Flag),
    ];
}

/// GitHub settings: the names of the environment variables that hold the secrets.
#[derive(Clone, Debug, Default)]
pub struct GithubConfig {
    pub webhook_secret_env: Option<String>,
    pub token_env: Option<String>,
}

/// One team and its support rotation.
#[derive(Clone, Debug)]
pub struct Team {
    pub slug: String,
    pub name: String,
    pub tz: Tz,
    pub slack_handles: Vec<String>,
    pub github_team: Option<String>,
    pub github_label: Option<String>,
    pub board_repo: Option<String>,
    pub recap_channel: Option<String>,
    pub areas: Vec<String>,
    /// The share of the on-duty member's working time the duty may take.
    pub time_budget: Percent,
    /// Logged time after which an inquiry should become a GitHub issue.
    pub escalate_after: Minutes,
    /// When the process is to be re-evaluated.
    pub review_on: Option<NaiveDate>,
    pub rotation: Rotation,
    pub recap_before: CivilDays,
    pub members: Vec<Member>,
    pub sources: Vec<Source>,
    /// Clear owners of areas or sources.
    pub owners: Vec<OwnerRule>,
    /// Rules that suggest a priority.
    pub rubric: Rubric,
}

impl Team {
    /// The member with `id`.
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// What triage needs: the schedule with the stored overrides and swaps, each member's
    /// calendar without their time off, the sources' targets, owners and rubric.
    pub fn policy(&self, overrides: &[Override], swaps: &[Swap], time_off: &[TimeOff]) -> Policy {
        let calendars = self
            .members
            .iter()
            .map(|m| {
                let off = time_off
                    .iter()
                    .filter(|o| o.member == m.id)
                    .map(|o| (o.start, o.end));
                (m.id.clone(), m.calendar().with_time_off(off))
            })
            .collect();
        Policy {
            team: self.slug.clone(),
            tz: self.tz,
            schedule: Schedule::new(&self.slug, self.rotation.clone(), overrides, swaps),
            calendars,
            areas: self.areas.clone(),
            sources: self
                .sources
                .iter()
                .map(|s| SourcePolicy {
                    name: s.name.clone(),
                    first_response: s.sla.clone(),
                    resolution: s.resolution.clone(),
                    daily_check: s.daily_check,
                })
                .collect(),
            owners: self.owners.clone(),
            rubric: self.rubric.clone(),
            escalate_after: self.escalate_after,
        }
    }

    /// A member's display name, or the id itself for an unknown member.
    pub fn display_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.member(id).map_or(id, |m| m.name.as_str())
    }
}

/// A person on a team.
#[derive(Clone, Debug)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub tz: Tz,
    pub working_hours: WorkingHours,
    pub slack_user: Option<String>,
    pub github: Option<String>,
    /// The email of the member's baton account, so that what they do on the web pages (such
    /// as ticking a channel as checked) is recorded as theirs.
    pub email: Option<String>,
}

impl Member {
    /// The member's working-time calendar (without time off).
    pub fn calendar(&self) -> WorkingCalendar {
        WorkingCalendar::new(self.tz, self.working_hours.clone())
    }
}

/// Where inquiries come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    SlackChannel,
    SlackMention,
    GithubLabel,
    GithubTeam,
    Alertmanager,
    Grafana,
    Generic,
}

impl SourceKind {
    /// Every kind, with the name used in the config.
    pub const ALL: [(&'static str, SourceKind); 7] = [
        ("slack_channel", Self::SlackChannel),
        ("slack_mention", Self::SlackMention),
        ("github_label", Self::GithubLabel),
        ("github_team", Self::GithubTeam),
        ("alertmanager", Self::Alertmanager),
        ("grafana", Self::Grafana),
        ("generic", Self::Generic),
    ];

    /// The name used in the config.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("generic", |(name, _)| name)
    }
}

/// A place inquiries come from, with its targets and whether it is on the daily checklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
    /// How people call it: `#integrations`, `@integrations-team`, `team/integrations`, …
    pub name: String,
    pub channel_id: Option<String>,
    /// The Slack handle, GitHub label, GitHub team or alert receiver this source matches.
    pub matches: Option<String>,
    /// Environment variable holding the alert token, for alert sources.
    pub token_env: Option<String>,
    pub daily_check: bool,
    /// First-response targets.
    pub sla: Sla,
    /// Resolution targets.
    pub resolution: Sla,
}
