//! [`SqliteStore`]: the embedded default backend, one database file in WAL mode.

mod rows;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use baton_core::model::{NewOverride, NewSwap, NewTimeOff, Override, Swap, TimeOff};
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite, Transaction};
use tracing::{debug, info};

use self::rows::{millis, EventRow, OverrideRow, SwapRow, TimeOffRow};
use crate::event::NewEvent;
use crate::{kind, redact_url, validate, Event, EventFilter, OpenMode, Store, StoreError};

/// How long a write waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

macro_rules! override_columns {
    () => {
        "id, team, member, starts_at_ms, ends_at_ms, reason, created_by, created_at_ms"
    };
}
macro_rules! swap_columns {
    () => {
        "id, team, first_at_ms, second_at_ms, reason, created_by, created_at_ms"
    };
}
macro_rules! time_off_columns {
    () => {
        "id, member, starts_at_ms, ends_at_ms, reason, created_by, created_at_ms"
    };
}

/// A [`Store`] in an SQLite database (a file, or memory for tests and demos).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens the database at `url` (`sqlite://PATH` or `sqlite::memory:`) and migrates it.
    ///
    /// A missing file is created in [`OpenMode::Create`] and refused with
    /// [`StoreError::NotCreated`] in [`OpenMode::Existing`]. Connections use WAL journaling,
    /// `synchronous=NORMAL`, foreign keys and a 5 s busy timeout.
    pub async fn connect(url: &str, mode: OpenMode) -> Result<Self, StoreError> {
        let memory = is_memory(url);
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(mode == OpenMode::Create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);

        let mut pool = SqlitePoolOptions::new();
        let options = if memory {
            // An in-memory database lives as long as one connection to it: keep one open.
            pool = pool
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
            options.shared_cache(true)
        } else {
            if mode == OpenMode::Existing && !options.get_filename().exists() {
                return Err(StoreError::NotCreated {
                    path: options.get_filename().to_path_buf(),
                });
            }
            options
        };

        let pool = pool.connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        info!(url = %redact_url(url), "opened SQLite store");
        Ok(SqliteStore { pool })
    }

    /// Starts a write transaction, taking the write lock up front so that waiting for it is
    /// governed by the busy timeout.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Whether `url` names an in-memory database, following sqlx's URL rules.
fn is_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|param| param == "mode=memory")
}

/// Appends `event` inside the caller's transaction.
async fn append(conn: &mut SqliteConnection, event: NewEvent<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events (team, actor, kind, occurred_at_ms, data) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(event.team)
    .bind(event.actor)
    .bind(event.kind)
    .bind(millis(event.at))
    .bind(event.data)
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn add_override(&self, new: NewOverride) -> Result<Override, StoreError> {
        let new = validate::new_override(new)?;
        let now = validate::now();
        let mut tx = self.begin_write().await?;
        let record = sqlx::query_as::<_, OverrideRow>(concat!(
            "INSERT INTO overrides",
            " (team, member, starts_at_ms, ends_at_ms, reason, created_by, created_at_ms)",
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ",
            override_columns!()
        ))
        .bind(&new.team)
        .bind(&new.member)
        .bind(millis(new.start))
        .bind(millis(new.end))
        .bind(&new.reason)
        .bind(&new.created_by)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?
        .into_record()?;
        let event = NewEvent::about(
            kind::OVERRIDE_ADDED,
            Some(&record.team),
            &record.created_by,
            now,
            &record,
        )?;
        append(&mut tx, event).await?;
        tx.commit().await?;
        debug!(id = record.id, team = %record.team, "override added");
        Ok(record)
    }

    async fn list_overrides(
        &self,
        team: &str,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<Override>, StoreError> {
        let Some(window) = validate::window(from, until)? else {
            return Ok(Vec::new());
        };
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            override_columns!(),
            " FROM overrides WHERE team = "
        ));
        query.push_bind(team);
        if let Some(from) = window.from {
            query.push(" AND ends_at_ms > ").push_bind(millis(from));
        }
        if let Some(until) = window.until {
            query.push(" AND starts_at_ms < ").push_bind(millis(until));
        }
        query.push(" ORDER BY starts_at_ms, id");
        query
            .build_query_as::<OverrideRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(OverrideRow::into_record)
            .collect()
    }

    async fn remove_override(
        &self,
        team: &str,
        id: i64,
        actor: &str,
    ) -> Result<Override, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query_as::<_, OverrideRow>(concat!(
            "DELETE FROM overrides WHERE id = ? AND team = ? RETURNING ",
            override_columns!()
        ))
        .bind(id)
        .bind(team)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!(
                "override {id} of team `{team}`"
            )));
        };
        let record = row.into_record()?;
        let event = NewEvent::about(kind::OVERRIDE_REMOVED, Some(team), actor, now, &record)?;
        append(&mut tx, event).await?;
        tx.commit().await?;
        debug!(id, team, "override removed");
        Ok(record)
    }

    async fn add_swap(&self, new: NewSwap) -> Result<Swap, StoreError> {
        let new = validate::new_swap(new)?;
        let now = validate::now();
        let mut tx = self.begin_write().await?;
        let record = sqlx::query_as::<_, SwapRow>(concat!(
            "INSERT INTO swaps",
            " (team, first_at_ms, second_at_ms, reason, created_by, created_at_ms)",
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING ",
            swap_columns!()
        ))
        .bind(&new.team)
        .bind(millis(new.first))
        .bind(millis(new.second))
        .bind(&new.reason)
        .bind(&new.created_by)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?
        .into_record()?;
        let event = NewEvent::about(
            kind::SWAP_ADDED,
            Some(&record.team),
            &record.created_by,
            now,
            &record,
        )?;
        append(&mut tx, event).await?;
        tx.commit().await?;
        debug!(id = record.id, team = %record.team, "swap added");
        Ok(record)
    }

    async fn list_swaps(&self, team: &str) -> Result<Vec<Swap>, StoreError> {
        sqlx::query_as::<_, SwapRow>(concat!(
            "SELECT ",
            swap_columns!(),
            " FROM swaps WHERE team = ? ORDER BY first_at_ms, id"
        ))
        .bind(team)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(SwapRow::into_record)
        .collect()
    }

    async fn remove_swap(&self, team: &str, id: i64, actor: &str) -> Result<Swap, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query_as::<_, SwapRow>(concat!(
            "DELETE FROM swaps WHERE id = ? AND team = ? RETURNING ",
            swap_columns!()
        ))
        .bind(id)
        .bind(team)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("swap {id} of team `{team}`")));
        };
        let record = row.into_record()?;
        let event = NewEvent::about(kind::SWAP_REMOVED, Some(team), actor, now, &record)?;
        append(&mut tx, event).await?;
        tx.commit().await?;
        debug!(id, team, "swap removed");
        Ok(record)
    }

    async fn add_time_off(&self, new: NewTimeOff) -> Result<TimeOff, StoreError> {
        let new = validate::new_time_off(new)?;
        let now = validate::now();
        let mut tx = self.begin_write().await?;
        let record = sqlx::query_as::<_, TimeOffRow>(concat!(
            "INSERT INTO time_off",
            " (member, starts_at_ms, ends_at_ms, reason, created_by, created_at_ms)",
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING ",
            time_off_columns!()
        ))
        .bind(&new.member)
        .bind(millis(new.start))
        .bind(millis(new.end))
        .bind(&new.reason)
        .bind(&new.created_by)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?
        .into_record()?;
        let event = NewEvent::about(kind::TIME_OFF_ADDED, None, &record.created_by, now, &record)?;
        append(&mut tx, event).await?;
        tx.commit().await?;
        debug!(id = record.id, member = %record.member, "time off added");
        Ok(record)
    }

    async fn list_time_off(
        &self,
        members: Option<&[String]>,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<TimeOff>, StoreError> {
        let Some(window) = validate::window(from, until)? else {
            return Ok(Vec::new());
        };
        if members.is_some_and(|members| members.is_empty()) {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            time_off_columns!(),
            " FROM time_off WHERE TRUE"
        ));
        if let Some(members) = members {
            query.push(" AND member IN (");
            let mut list = query.separated(", ");
            for member in members {
                list.push_bind(member.as_str());
            }
            query.push(")");
        }
        if let Some(from) = window.from {
            query.push(" AND ends_at_ms > ").push_bind(millis(from));
        }
        if let Some(until) = window.until {
            query.push(" AND starts_at_ms < ").push_bind(millis(until));
        }
        query.push(" ORDER BY starts_at_ms, id");
        query
            .build_query_as::<TimeOffRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(TimeOffRow::into_record)
            .collect()
    }

    async fn remove_time_off(&self, id: i64, actor: &str) -> Result<TimeOff, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query_as::<_, TimeOffRow>(concat!(
            "DELETE FROM time_off WHERE id = ? RETURNING ",
            time_off_columns!()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("time off {id}")));
        };
        let record = row.into_record()?;
        let event = NewEvent::about(kind::TIME_OFF_REMOVED, None, actor, now, &record)?;
        append(&mut tx, event).await?;
        tx.commit().await?;
        debug!(id, "time off removed");
        Ok(record)
    }

    async fn list_events(&self, filter: EventFilter) -> Result<Vec<Event>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT id, team, actor, kind, occurred_at_ms, data FROM events",
        );
        if let Some(team) = &filter.team {
            query.push(" WHERE team = ").push_bind(team.as_str());
        }
        query
            .push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(filter.limit));
        query
            .build_query_as::<EventRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(EventRow::into_event)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::is_memory;

    #[test]
    fn memory_urls_are_recognised() {
        assert!(is_memory("sqlite::memory:"));
        assert!(is_memory("sqlite://:memory:"));
        assert!(is_memory("sqlite://?mode=memory"));
        assert!(is_memory("sqlite://x.db?cache=shared&mode=memory"));
        assert!(!is_memory("sqlite://baton.db"));
        assert!(!is_memory("sqlite:///var/lib/baton/memory.db?mode=rwc"));
    }
}
