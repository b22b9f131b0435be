//! [`PgStore`]: the PostgreSQL backend, for several baton processes sharing one database.

mod rows;

use async_trait::async_trait;
use baton_core::model::{NewOverride, NewSwap, NewTimeOff, Override, Swap, TimeOff};
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder};
use tracing::{debug, info};

use self::rows::{EventRow, OverrideRow, SwapRow, TimeOffRow};
use crate::event::NewEvent;
use crate::{kind, redact_url, validate, Event, EventFilter, Store, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

macro_rules! override_columns {
    () => {
        "id, team, member, starts_at, ends_at, reason, created_by, created_at"
    };
}
macro_rules! swap_columns {
    () => {
        "id, team, first_at, second_at, reason, created_by, created_at"
    };
}
macro_rules! time_off_columns {
    () => {
        "id, member, starts_at, ends_at, reason, created_by, created_at"
    };
}

/// A [`Store`] in a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the existing database at `url` (`postgres://…` or `postgresql://…`) and
    /// migrates it. Concurrent migrations from several processes are serialised by sqlx's
    /// advisory lock.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().connect(url).await?;
        MIGRATOR.run(&pool).await?;
        info!(url = %redact_url(url), "opened PostgreSQL store");
        Ok(PgStore { pool })
    }
}

/// Appends `event` inside the caller's transaction.
async fn append(conn: &mut PgConnection, event: NewEvent<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events (team, actor, kind, occurred_at, data)
         VALUES ($1, $2, $3, $4, $5::jsonb)",
    )
    .bind(event.team)
    .bind(event.actor)
    .bind(event.kind)
    .bind(event.at)
    .bind(event.data)
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn add_override(&self, new: NewOverride) -> Result<Override, StoreError> {
        let new = validate::new_override(new)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let record: Override = sqlx::query_as::<_, OverrideRow>(concat!(
            "INSERT INTO overrides",
            " (team, member, starts_at, ends_at, reason, created_by, created_at)",
            " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
            override_columns!()
        ))
        .bind(&new.team)
        .bind(&new.member)
        .bind(new.start)
        .bind(new.end)
        .bind(&new.reason)
        .bind(&new.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .into();
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
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            override_columns!(),
            " FROM overrides WHERE team = "
        ));
        query.push_bind(team);
        if let Some(from) = window.from {
            query.push(" AND ends_at > ").push_bind(from);
        }
        if let Some(until) = window.until {
            query.push(" AND starts_at < ").push_bind(until);
        }
        query.push(" ORDER BY starts_at, id");
        let rows = query
            .build_query_as::<OverrideRow>()
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Override::from).collect())
    }

    async fn remove_override(
        &self,
        team: &str,
        id: i64,
        actor: &str,
    ) -> Result<Override, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query_as::<_, OverrideRow>(concat!(
            "DELETE FROM overrides WHERE id = $1 AND team = $2 RETURNING ",
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
        let record = Override::from(row);
        let event = NewEvent::about(kind::OVERRIDE_REMOVED, Some(team), actor, now, &record)?;
        append(&mut tx, event).await?;
        tx.commit().await?;
        debug!(id, team, "override removed");
        Ok(record)
    }

    async fn add_swap(&self, new: NewSwap) -> Result<Swap, StoreError> {
        let new = validate::new_swap(new)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let record: Swap = sqlx::query_as::<_, SwapRow>(concat!(
            "INSERT INTO swaps",
            " (team, first_at, second_at, reason, created_by, created_at)",
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            swap_columns!()
        ))
        .bind(&new.team)
        .bind(new.first)
        .bind(new.second)
        .bind(&new.reason)
        .bind(&new.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .into();
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
        let rows = sqlx::query_as::<_, SwapRow>(concat!(
            "SELECT ",
            swap_columns!(),
            " FROM swaps WHERE team = $1 ORDER BY first_at, id"
        ))
        .bind(team)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Swap::from).collect())
    }

    async fn remove_swap(&self, team: &str, id: i64, actor: &str) -> Result<Swap, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query_as::<_, SwapRow>(concat!(
            "DELETE FROM swaps WHERE id = $1 AND team = $2 RETURNING ",
            swap_columns!()
        ))
        .bind(id)
        .bind(team)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("swap {id} of team `{team}`")));
        };
        let record = Swap::from(row);
        let event = NewEvent::about(kind::SWAP_REMOVED, Some(team), actor, now, &record)?;
        append(&mut tx, event).await?;
        tx.commit().await?;
        debug!(id, team, "swap removed");
        Ok(record)
    }

    async fn add_time_off(&self, new: NewTimeOff) -> Result<TimeOff, StoreError> {
        let new = validate::new_time_off(new)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let record: TimeOff = sqlx::query_as::<_, TimeOffRow>(concat!(
            "INSERT INTO time_off",
            " (member, starts_at, ends_at, reason, created_by, created_at)",
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            time_off_columns!()
        ))
        .bind(&new.member)
        .bind(new.start)
        .bind(new.end)
        .bind(&new.reason)
        .bind(&new.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .into();
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
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            time_off_columns!(),
            " FROM time_off WHERE TRUE"
        ));
        if let Some(members) = members {
            query
                .push(" AND member = ANY(")
                .push_bind(members)
                .push(")");
        }
        if let Some(from) = window.from {
            query.push(" AND ends_at > ").push_bind(from);
        }
        if let Some(until) = window.until {
            query.push(" AND starts_at < ").push_bind(until);
        }
        query.push(" ORDER BY starts_at, id");
        let rows = query
            .build_query_as::<TimeOffRow>()
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(TimeOff::from).collect())
    }

    async fn remove_time_off(&self, id: i64, actor: &str) -> Result<TimeOff, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query_as::<_, TimeOffRow>(concat!(
            "DELETE FROM time_off WHERE id = $1 RETURNING ",
            time_off_columns!()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("time off {id}")));
        };
        let record = TimeOff::from(row);
        let event = NewEvent::about(kind::TIME_OFF_REMOVED, None, actor, now, &record)?;
        append(&mut tx, event).await?;
        tx.commit().await?;
        debug!(id, "time off removed");
        Ok(record)
    }

    async fn list_events(&self, filter: EventFilter) -> Result<Vec<Event>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(
            "SELECT id, team, actor, kind, occurred_at, data::text AS data FROM events",
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
