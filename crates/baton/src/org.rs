//! What every command starts from: the loaded configuration and, when needed, the store.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use baton_config::{Config, Team};
use baton_core::calendar::WorkingCalendar;
use baton_core::model::TimeOff;
use baton_core::schedule::Schedule;
use baton_server::clock::Clock;
use baton_server::service::{ScheduleRecords, Service};
use baton_store::{OpenMode, Store, StoreError};
use chrono::{DateTime, Utc};

use crate::cli::Global;

/// The organisation as configured, with its database.
pub struct Org {
    pub config: Config,
    pub database_url: String,
    store: Option<Arc<dyn Store>>,
}

impl Org {
    /// Loads the configuration named by the global options.
    pub fn load(global: &Global) -> Result<Self> {
        let config = baton_config::load(&global.config).map_err(|e| anyhow!("{e}"))?;
        Ok(Self::from_config(config, global.database.clone()))
    }

    /// An organisation from an already loaded configuration.
    pub fn from_config(config: Config, database: Option<String>) -> Self {
        let database_url = database.unwrap_or_else(|| config.server.database.clone());
        Self {
            config,
            database_url,
            store: None,
        }
    }

    /// Opens the database, which must exist.
    pub async fn open(&mut self, mode: OpenMode) -> Result<Arc<dyn Store>> {
        if let Some(store) = &self.store {
            return Ok(store.clone());
        }
        let store = baton_store::open(&self.database_url, mode)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database {}",
                    baton_store::redact_url(&self.database_url)
                )
            })?;
        self.store = Some(store.clone());
        Ok(store)
    }

    /// The operations layer over the database (which must exist), on the system clock.
    pub async fn service(&mut self) -> Result<Service> {
        let store = self.open(OpenMode::Existing).await?;
        Ok(Service::new(
            Arc::new(self.config.clone()),
            store,
            Clock::system(),
        ))
    }

    /// Opens the database for reading; a database that was never created holds no overrides,
    /// swaps or time off, so the plain rotation is shown (with a note on stderr).
    pub async fn open_for_reading(&mut self) -> Result<Option<Arc<dyn Store>>> {
        match self.open(OpenMode::Existing).await {
            Ok(store) => Ok(Some(store)),
            Err(e) => match e.downcast_ref::<StoreError>() {
                Some(StoreError::NotCreated { path }) => {
                    eprintln!(
                        "note: database {} does not exist yet, so no overrides, swaps or time off \
                         are shown; `baton migrate` creates it",
                        path.display()
                    );
                    Ok(None)
                }
                _ => Err(e),
            },
        }
    }

    /// The team named `slug`, or every team when `None`.
    pub fn teams(&self, slug: Option<&str>) -> Result<Vec<&Team>> {
        match slug {
            Some(s) => Ok(vec![self.team(s)?]),
            None => Ok(self.config.teams.iter().collect()),
        }
    }

    /// The team named `slug`; without a slug, the only team (an error if there are several).
    pub fn one_team(&self, slug: Option<&str>) -> Result<&Team> {
        match (slug, self.config.teams.as_slice()) {
            (Some(s), _) => self.team(s),
            (None, [only]) => Ok(only),
            (None, teams) => {
                let slugs: Vec<_> = teams.iter().map(|t| t.slug.as_str()).collect();
                bail!(
                    "several teams are configured; choose one with --team ({})",
                    slugs.join(", ")
                )
            }
        }
    }

    fn team(&self, slug: &str) -> Result<&Team> {
        self.config.team(slug).ok_or_else(|| {
            let slugs: Vec<_> = self.config.teams.iter().map(|t| t.slug.as_str()).collect();
            anyhow!(
                "no team {slug:?} in {}; configured teams: {}",
                self.config.path.display(),
                slugs.join(", ")
            )
        })
    }

    /// The member `id` in any team, with its team.
    pub fn member(&self, id: &str) -> Result<(&Team, &baton_config::Member)> {
        self.config
            .teams
            .iter()
            .find_map(|t| t.member(id).map(|m| (t, m)))
            .ok_or_else(|| anyhow!("no member {id:?} in {}", self.config.path.display()))
    }
}

/// A team's effective schedule and working calendars, with the time off that bears on them.
pub struct TeamView<'a> {
    pub team: &'a Team,
    pub schedule: Schedule,
    pub time_off: Vec<TimeOff>,
    /// Each member's calendar with their time off taken out.
    calendars_with_time_off: HashMap<String, WorkingCalendar>,
}

impl<'a> TeamView<'a> {
    /// Reads `team`'s overrides, swaps and its members' time off from `store` (if any).
    pub async fn load(team: &'a Team, store: Option<&Arc<dyn Store>>) -> Result<Self> {
        let records = match store {
            Some(store) => ScheduleRecords::load(store.as_ref(), team).await?,
            None => ScheduleRecords::default(),
        };
        let policy = records.policy(team);
        for ignored in policy.schedule.ignored_swaps() {
            eprintln!(
                "warning: swap #{} names {}, which is not a hand-off of team {}; it is ignored",
                ignored.swap_id, ignored.instant, team.slug
            );
        }
        Ok(Self {
            team,
            schedule: policy.schedule,
            time_off: records.time_off,
            calendars_with_time_off: policy.calendars,
        })
    }

    /// Each member's working calendar, without time off.
    pub fn calendars(&self) -> HashMap<String, WorkingCalendar> {
        self.team
            .members
            .iter()
            .map(|m| (m.id.clone(), m.calendar()))
            .collect()
    }

    /// Whether `member` is within working hours (and not away) at `t`.
    pub fn working(&self, member: &str, t: DateTime<Utc>) -> bool {
        self.calendars_with_time_off
            .get(member)
            .is_some_and(|c| c.is_working(t))
    }
}
