//! `baton.toml` exactly as written: strings with their positions, before any validation.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: Option<RawServer>,
    #[serde(default)]
    pub slack: Option<RawSlack>,
    #[serde(default)]
    pub github: Option<RawGithub>,
    #[serde(default)]
    pub teams: Vec<RawTeam>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<Text>,
    pub database: Option<Text>,
    pub public_url: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlack {
    pub signing_secret_env: Option<Text>,
    pub bot_token_env: Option<Text>,
    /// Reaction name → triage shortcut (`ack`, `start`, `resolve`, `flag`).
    pub reactions: Option<BTreeMap<Text, Text>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGithub {
    pub webhook_secret_env: Option<Text>,
    pub token_env: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    pub slug: Text,
    pub name: Option<Text>,
    pub timezone: Text,
    #[serde(default)]
    pub slack_handles: Vec<Text>,
    pub github_team: Option<Text>,
    pub github_label: Option<Text>,
    pub board_repo: Option<Text>,
    pub recap_channel: Option<Text>,
    #[serde(default)]
    pub areas: Vec<Text>,
    pub time_budget: Option<Text>,
    pub escalate_after: Option<Text>,
    pub review_on: Option<Text>,
    pub rotation: RawRotation,
    #[serde(default)]
    pub members: Vec<RawMember>,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    #[serde(default)]
    pub owners: Vec<RawOwner>,
    #[serde(default)]
    pub rubric: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOwner {
    pub member: Text,
    pub area: Option<Text>,
    pub source: Option<Text>,
    pub until: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub priority: Text,
    #[serde(default)]
    pub sources: Vec<Text>,
    #[serde(default)]
    pub labels: Vec<Text>,
    #[serde(default)]
    pub keywords: Vec<Text>,
    #[serde(default)]
    pub severities: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRotation {
    pub members: Spanned<Vec<Text>>,
    pub first_handoff: Text,
    pub shift: Text,
    pub recap_before: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMember {
    pub id: Text,
    pub name: Option<Text>,
    pub timezone: Text,
    pub working_hours: Text,
    pub slack_user: Option<Text>,
    pub github: Option<Text>,
    pub email: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub kind: Text,
    pub name: Option<Text>,
    pub channel: Option<Text>,
    pub channel_id: Option<Text>,
    pub handle: Option<Text>,
    pub label: Option<Text>,
    pub team: Option<Text>,
    pub receiver: Option<Text>,
    pub token_env: Option<Text>,
    #[serde(default)]
    pub daily_check: bool,
    #[serde(default)]
    pub sla: BTreeMap<Text, Text>,
    #[serde(default)]
    pub resolution: BTreeMap<Text, Text>,
}
