//! The configuration read as "who watches what": Slack channels and user-group handles, GitHub
//! labels and teams, and alert receivers, each leading to a team and one of its sources.

use baton_config::{Config, SourceKind, Team};
use baton_integrations::github::TeamMention;
use baton_integrations::slack::Mentions;

/// A team and the source an event arrives through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub team: String,
    pub source: String,
}

/// An alert source: what it matches (receiver, contact point or name) and its token's variable.
#[derive(Clone, Debug)]
pub struct AlertRoute {
    pub kind: SourceKind,
    /// The Alertmanager receiver, Grafana contact point, or the generic source's name.
    pub matches: String,
    pub target: Target,
    pub token_env: Option<String>,
}

/// Who watches what.
#[derive(Clone, Debug, Default)]
pub struct Routes {
    slack_channels: Vec<(String, Target)>,
    slack_handles: Vec<(String, Target)>,
    github_labels: Vec<(String, Target)>,
    github_teams: Vec<(String, Target)>,
    alerts: Vec<AlertRoute>,
}

impl Routes {
    /// Reads the config; warns about sources that cannot be routed yet.
    pub fn new(config: &Config) -> Self {
        let mut routes = Self::default();
        for team in &config.teams {
            let target = |source: &str| Target {
                team: team.slug.clone(),
                source: source.to_owned(),
            };
            let first = |kind: SourceKind| team.sources.iter().find(|s| s.kind == kind);
            for source in &team.sources {
                let matches = source
                    .matches
                    .clone()
                    .unwrap_or_else(|| source.name.clone());
                match source.kind {
                    SourceKind::SlackChannel => match &source.channel_id {
                        Some(id) => routes
                            .slack_channels
                            .push((id.clone(), target(&source.name))),
                        None => tracing::warn!(
                            team = %team.slug,
                            source = %source.name,
                            "a Slack channel without `channel_id` is not watched yet: Slack \
                             events carry channel ids; add its id to the config"
                        ),
                    },
                    SourceKind::SlackMention => {
                        routes.slack_handles.push((matches, target(&source.name)))
                    }
                    SourceKind::GithubLabel => {
                        routes.github_labels.push((matches, target(&source.name)))
                    }
                    SourceKind::GithubTeam => {
                        routes.github_teams.push((matches, target(&source.name)))
                    }
                    SourceKind::Alertmanager | SourceKind::Grafana | SourceKind::Generic => {
                        routes.alerts.push(AlertRoute {
                            kind: source.kind,
                            matches,
                            target: target(&source.name),
                            token_env: source.token_env.clone(),
                        })
                    }
                }
            }
            // The team's own handles, label and GitHub team lead to its first source of the kind.
            if let Some(source) = first(SourceKind::SlackMention) {
                for handle in &team.slack_handles {
                    if !routes
                        .slack_handles
                        .iter()
                        .any(|(h, t)| t.team == team.slug && h.eq_ignore_ascii_case(handle))
                    {
                        routes
                            .slack_handles
                            .push((handle.clone(), target(&source.name)));
                    }
                }
            }
            if let (Some(source), Some(label)) =
                (first(SourceKind::GithubLabel), &team.github_label)
            {
                if !routes
                    .github_labels
                    .iter()
                    .any(|(l, t)| t.team == team.slug && l == label)
                {
                    routes
                        .github_labels
                        .push((label.clone(), target(&source.name)));
                }
            }
            if let (Some(source), Some(gh)) = (first(SourceKind::GithubTeam), &team.github_team) {
                if !routes
                    .github_teams
                    .iter()
                    .any(|(g, t)| t.team == team.slug && g.eq_ignore_ascii_case(gh))
                {
                    routes.github_teams.push((gh.clone(), target(&source.name)));
                }
            }
        }
        routes
    }

    /// The sources watching Slack channel `id`.
    pub fn slack_channel(&self, id: &str) -> Vec<&Target> {
        self.slack_channels
            .iter()
            .filter(|(c, _)| c == id)
            .map(|(_, t)| t)
            .collect()
    }

    /// The mention sources whose handles `mentions` names, one per team.
    pub fn slack_mentions(&self, mentions: &Mentions) -> Vec<&Target> {
        let mut found: Vec<&Target> = Vec::new();
        for (handle, target) in &self.slack_handles {
            if mentions.mentions_group(handle) && !found.iter().any(|t| t.team == target.team) {
                found.push(target);
            }
        }
        found
    }

    /// The label sources watching GitHub label `label`.
    pub fn github_label(&self, label: &str) -> Vec<&Target> {
        self.github_labels
            .iter()
            .filter(|(l, _)| l.eq_ignore_ascii_case(label))
            .map(|(_, t)| t)
            .collect()
    }

    /// The team sources watching the GitHub team `org/slug`, one per team.
    pub fn github_team(&self, mention: &TeamMention) -> Vec<&Target> {
        let mut found: Vec<&Target> = Vec::new();
        for (team, target) in &self.github_teams {
            if mention.is(team) && !found.iter().any(|t| t.team == target.team) {
                found.push(target);
            }
        }
        found
    }

    /// The alert sources of `kind`.
    pub fn alerts(&self, kind: SourceKind) -> impl Iterator<Item = &AlertRoute> {
        self.alerts.iter().filter(move |r| r.kind == kind)
    }
}

/// The member of `team` with Slack user id `user`.
pub fn slack_member<'a>(team: &'a Team, user: &str) -> Option<&'a str> {
    team.members
        .iter()
        .find(|m| m.slack_user.as_deref() == Some(user))
        .map(|m| m.id.as_str())
}

/// The member of `team` with GitHub login `login` (compared case-insensitively).
pub fn github_member<'a>(team: &'a Team, login: &str) -> Option<&'a str> {
    team.members
        .iter()
        .find(|m| {
            m.github
                .as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case(login))
        })
        .map(|m| m.id.as_str())
}
