//! Slack channels given by name only, resolved to their ids through Slack's Web API (Slack events
//! carry ids). Resolved once at startup, then again every few minutes, and sooner when an event
//! comes from a channel no source watches while a name is still missing (a channel created or
//! renamed since). A name Slack does not list is a warning naming the channel and its source;
//! the server runs on, and that channel's messages are stored as unrouted deliveries.

use std::sync::Arc;
use std::time::Duration;

use baton_integrations::slack::{ChannelDirectory, SlackApiError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::route::{NamedChannel, Routes};

/// How often channel names are resolved again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5 * 60);
/// The least time between two refreshes asked for by events from unknown channels.
pub const REFRESH_MIN_GAP: Duration = Duration::from_secs(60);
/// The longest startup waits for the first resolution before serving without it.
const STARTUP_WAIT: Duration = Duration::from_secs(30);
/// How soon a failed (or unfinished) resolution is tried again, when that is sooner than the
/// policy's `every`.
const RETRY_FAILED: Duration = Duration::from_secs(60);

/// When channel names are resolved again.
#[derive(Clone, Copy, Debug)]
pub struct RefreshPolicy {
    /// Every this long.
    pub every: Duration,
    /// Asked for by an unknown channel: at most once in this long.
    pub min_gap: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            every: REFRESH_EVERY,
            min_gap: REFRESH_MIN_GAP,
        }
    }
}

/// The running refresh task, to be stopped on shutdown.
pub struct ChannelRefresh {
    stop: Option<oneshot::Sender<()>>,
    join: Option<JoinHandle<()>>,
}

impl ChannelRefresh {
    /// Stops the task and waits for it to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(join) = self.join.take() {
            if let Err(e) = join.await {
                tracing::error!(error = %e, "the Slack channel refresh failed");
            }
        }
    }
}

/// Resolves the named channels of `routes` once (waiting at most 30 s, so that a slow Slack
/// never keeps the server from starting), then starts the task that keeps them current.
/// `None` when the config names every channel by id.
pub async fn start(
    routes: Arc<Routes>,
    directory: Arc<dyn ChannelDirectory>,
    policy: RefreshPolicy,
) -> Option<ChannelRefresh> {
    if routes.named_channels().is_empty() {
        return None;
    }
    let mut resolver = Resolver {
        directory,
        missing: None,
        failing: false,
    };
    match tokio::time::timeout(STARTUP_WAIT, resolver.refresh(&routes)).await {
        Ok(()) => {}
        Err(_) => tracing::warn!(
            seconds = STARTUP_WAIT.as_secs(),
            "Slack did not list its channels in time: channels given by name only are watched \
             once it does"
        ),
    }
    let (stop, stopped) = oneshot::channel();
    let join = tokio::spawn(run(routes, resolver, policy, stopped));
    Some(ChannelRefresh {
        stop: Some(stop),
        join: Some(join),
    })
}

async fn run(
    routes: Arc<Routes>,
    mut resolver: Resolver,
    policy: RefreshPolicy,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut last = Instant::now();
    loop {
        let wait = if resolver.succeeded() {
            policy.every
        } else {
            policy.every.min(RETRY_FAILED)
        };
        tokio::select! {
            _ = &mut stopped => break,
            () = tokio::time::sleep_until(last + wait) => {}
            () = routes.refresh_wanted() => {
                let earliest = last + policy.min_gap;
                if Instant::now() < earliest {
                    tokio::select! {
                        _ = &mut stopped => break,
                        () = tokio::time::sleep_until(earliest) => {}
                    }
                }
            }
        }
        // A refresh under way does not hold up shutdown; the map is swapped whole, if at all.
        tokio::select! {
            _ = &mut stopped => break,
            () = resolver.refresh(&routes) => {}
        }
        last = Instant::now();
    }
    tracing::debug!("the Slack channel refresh has stopped");
}

/// Warns, for each channel given by name only, that it is not watched: no Slack bot token is
/// set to resolve its name.
pub fn not_watched(routes: &Routes) {
    for named in routes.named_channels() {
        tracing::warn!(
            team = %named.target.team,
            source = %named.target.source,
            channel = %named.name,
            "a Slack channel given by name only is not watched: set the Slack bot token \
             (`[slack] bot_token_env`) so that baton looks up its id, or add its `channel_id`"
        );
    }
}

/// What the last resolutions found, so that each change is logged once.
struct Resolver {
    directory: Arc<dyn ChannelDirectory>,
    /// The names missing at the last resolution; `None` before the first.
    missing: Option<Vec<NamedChannel>>,
    /// Whether the last attempt failed.
    failing: bool,
}

impl Resolver {
    /// Whether the last attempt read Slack's list.
    fn succeeded(&self) -> bool {
        self.missing.is_some() && !self.failing
    }

    /// Lists Slack's channels and puts the resolved map in place; on failure the map in use is
    /// kept.
    async fn refresh(&mut self, routes: &Routes) {
        let channels = match self.directory.channels().await {
            Ok(channels) => channels,
            Err(e) => {
                self.failed(&e);
                return;
            }
        };
        if std::mem::take(&mut self.failing) {
            tracing::info!("Slack's channel list can be read again");
        }
        let resolution = routes.resolve_channels(&channels);
        let was_missing = |named: &NamedChannel| {
            self.missing
                .as_ref()
                .is_none_or(|missing| missing.contains(named))
        };
        for (named, id) in &resolution.resolved {
            if was_missing(named) {
                tracing::info!(
                    team = %named.target.team,
                    source = %named.target.source,
                    channel = %named.name,
                    channel_id = %id,
                    "Slack channel resolved: its messages are watched"
                );
            }
        }
        let was_found = |named: &NamedChannel| {
            self.missing
                .as_ref()
                .is_none_or(|missing| !missing.contains(named))
        };
        for named in &resolution.missing {
            if was_found(named) {
                tracing::warn!(
                    team = %named.target.team,
                    source = %named.target.source,
                    channel = %named.name,
                    "Slack lists no channel {} that the bot can see: its messages are kept as \
                     unrouted deliveries until it does (check the name, or invite the bot to \
                     the private channel)",
                    named.name
                );
            }
        }
        self.missing = Some(resolution.missing);
    }

    fn failed(&mut self, e: &SlackApiError) {
        if self.failing {
            tracing::debug!(error = %e, "Slack's channel list still cannot be read");
        } else {
            tracing::warn!(
                error = %e,
                "Slack's channel list cannot be read: channels given by name only keep the ids \
                 found last (none before the first success)"
            );
        }
        self.failing = true;
    }
}
