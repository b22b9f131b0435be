//! The configuration read as "who watches what": Slack channels and user-group handles, GitHub
//! labels and teams, and alert receivers, each leading to a team and one of its sources.
//!
//! Slack events carry channel ids. A channel the config gives by id is watched from the start;
//! one given by name only is watched once its name is resolved through Slack's API
//! ([`Routes::resolve_channels`], run by `intake::channels`). The channel map is swapped whole
//! (`arc_swap`), so a lookup costs one atomic load and never waits for a refresh.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use baton_config::{Config, SourceKind, Team};
use baton_integrations::github::TeamMention;
use baton_integrations::slack::{Channel, Mentions};
use tokio::sync::Notify;

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

/// A Slack channel source that the config gives by name only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedChannel {
    /// The name as configured, `#integrations`.
    pub name: String,
    pub target: Target,
}

impl NamedChannel {
    /// Whether Slack's `channel` is this one: names compare without `#` and case.
    fn is(&self, channel: &Channel) -> bool {
        self.name
            .trim_start_matches('#')
            .eq_ignore_ascii_case(channel.name.trim_start_matches('#'))
    }
}

/// The channels watched now.
#[derive(Debug, Default)]
struct ChannelMap {
    /// Slack channel id → the sources watching it.
    by_id: HashMap<String, Vec<Target>>,
    /// Whether some channel given by name only is not among them.
    names_missing: bool,
}

/// What a resolution of channel names found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ChannelResolution {
    /// The names found, with their ids.
    pub resolved: Vec<(NamedChannel, String)>,
    /// The names Slack does not list (misspelt, archived, or private without the bot).
    pub missing: Vec<NamedChannel>,
}

/// Who watches what.
#[derive(Debug, Default)]
pub struct Routes {
    /// The channel map in use: the configured ids and the names resolved last.
    slack_channels: ArcSwap<ChannelMap>,
    /// Channels the config gives by id.
    configured_channels: Vec<(String, Target)>,
    /// Channels the config gives by name only.
    named_channels: Vec<NamedChannel>,
    /// Woken when an event comes from a channel no source watches while some names are not
    /// resolved: the channel may be new.
    refresh: Notify,
    slack_handles: Vec<(String, Target)>,
    github_labels: Vec<(String, Target)>,
    github_teams: Vec<(String, Target)>,
    alerts: Vec<AlertRoute>,
}

impl Routes {
    /// Reads the config. Channels given by name only are not watched until
    /// [`Routes::resolve_channels`] finds their ids.
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
                            .configured_channels
                            .push((id.clone(), target(&source.name))),
                        None => routes.named_channels.push(NamedChannel {
                            name: matches,
                            target: target(&source.name),
                        }),
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
        let map = channel_map(
            &routes.configured_channels,
            &[],
            !routes.named_channels.is_empty(),
        );
        routes.slack_channels.store(Arc::new(map));
        routes
    }

    /// The sources watching Slack channel `id`.
    pub fn slack_channel(&self, id: &str) -> Vec<Target> {
        self.slack_channels
            .load()
            .by_id
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    /// The Slack channel sources the config gives by name only.
    pub fn named_channels(&self) -> &[NamedChannel] {
        &self.named_channels
    }

    /// Matches the named channel sources against `channels` (what Slack lists) and puts the
    /// new channel map in place: the configured ids and the names found. A name Slack no
    /// longer lists stops being watched.
    pub fn resolve_channels(&self, channels: &[Channel]) -> ChannelResolution {
        let mut resolution = ChannelResolution::default();
        for named in &self.named_channels {
            match channels.iter().find(|c| named.is(c)) {
                Some(channel) => resolution
                    .resolved
                    .push((named.clone(), channel.id.clone())),
                None => resolution.missing.push(named.clone()),
            }
        }
        let resolved: Vec<(String, Target)> = resolution
            .resolved
            .iter()
            .map(|(named, id)| (id.clone(), named.target.clone()))
            .collect();
        let map = channel_map(
            &self.configured_channels,
            &resolved,
            !resolution.missing.is_empty(),
        );
        self.slack_channels.store(Arc::new(map));
        resolution
    }

    /// Notes that a Slack event came from channel `id`, which no source watches: if some
    /// channel names are not resolved, the channel may be one of them, created or renamed
    /// since the last look, so a refresh is asked for (the refresh task limits how often).
    pub fn unknown_slack_channel(&self, id: &str) {
        let map = self.slack_channels.load();
        if map.names_missing && !map.by_id.contains_key(id) {
            self.refresh.notify_one();
        }
    }

    /// Completes when [`Routes::unknown_slack_channel`] asked for a refresh.
    pub async fn refresh_wanted(&self) {
        self.refresh.notified().await
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

/// The map of `configured` and `resolved` (channel id, target) pairs; a target is listed once per
/// channel.
fn channel_map(
    configured: &[(String, Target)],
    resolved: &[(String, Target)],
    names_missing: bool,
) -> ChannelMap {
    let mut by_id: HashMap<String, Vec<Target>> = HashMap::new();
    for (id, target) in configured.iter().chain(resolved) {
        let targets = by_id.entry(id.clone()).or_default();
        if !targets.contains(target) {
            targets.push(target.clone());
        }
    }
    ChannelMap {
        by_id,
        names_missing,
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;

    /// The example config with `#integrations` given by name only.
    fn config() -> Config {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/integrations.toml");
        let mut config = baton_config::load(&path).unwrap();
        let source = config.teams[0]
            .sources
            .iter_mut()
            .find(|s| s.name == "#integrations")
            .unwrap();
        source.channel_id = None;
        config
    }

    fn channel(id: &str, name: &str) -> Channel {
        Channel {
            id: id.into(),
            name: name.into(),
            is_private: false,
            is_archived: false,
        }
    }

    #[tokio::test]
    async fn names_are_watched_once_resolved_and_unknown_channels_ask_for_a_refresh() {
        let routes = Routes::new(&config());
        assert_eq!(routes.named_channels().len(), 1);
        assert!(routes.slack_channel("C0NEWINT").is_empty());
        // Channels given by id are watched from the start.
        assert_eq!(
            routes.slack_channel("C0INTIDE")[0].source,
            "#integrations-ide"
        );

        // Not listed yet: an event from an unknown channel asks for a refresh.
        let found = routes.resolve_channels(&[channel("C0GENERAL", "general")]);
        assert_eq!(found.missing.len(), 1);
        routes.unknown_slack_channel("C0NEWINT");
        tokio::time::timeout(Duration::from_secs(1), routes.refresh_wanted())
            .await
            .expect("a refresh is asked for");

        // Listed (Slack's names have no `#`; case does not matter): watched.
        let found = routes.resolve_channels(&[
            channel("C0GENERAL", "general"),
            channel("C0NEWINT", "Integrations"),
        ]);
        assert!(found.missing.is_empty());
        assert_eq!(found.resolved[0].1, "C0NEWINT");
        let targets = routes.slack_channel("C0NEWINT");
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].team, "integrations");
        assert_eq!(targets[0].source, "#integrations");
        assert_eq!(routes.slack_channel("C0INTIDE").len(), 1);

        // Every name resolved: unknown channels no longer ask for refreshes.
        routes.unknown_slack_channel("C0ELSEWHERE");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), routes.refresh_wanted())
                .await
                .is_err()
        );

        // Gone from Slack's list (archived, renamed): no longer watched.
        routes.resolve_channels(&[channel("C0GENERAL", "general")]);
        assert!(routes.slack_channel("C0NEWINT").is_empty());
    }
}
