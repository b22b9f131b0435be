//! baton's storage: the [`Store`] trait and its SQLite ([`SqliteStore`]) and PostgreSQL
//! ([`PgStore`]) implementations.
//!
//! Architecture invariant: this is the only crate that knows SQL. Each backend has its own
//! migrations folder (`migrations/sqlite`, `migrations/postgres`), applied whenever a store is
//! opened. Every write runs in one transaction together with the [`Event`] that records it;
//! events are never updated or deleted. Instants are kept with millisecond precision.

mod database_url;
mod error;
mod event;
mod postgres;
mod sqlite;
mod validate;

use std::sync::Arc;

use async_trait::async_trait;
use baton_core::model::{NewOverride, NewSwap, NewTimeOff, Override, Swap, TimeOff};
use chrono::{DateTime, Utc};

pub use database_url::redact_url;
pub use error::StoreError;
pub use event::{kind, Event, EventFilter};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use database_url::Backend;

/// Persistent storage of overrides, swaps, time off and the event log.
///
/// Ranges are half-open, `[start, end)`: a range ending at `t` does not overlap one starting at
/// `t`. List queries take an optional `from` and `until` (also half-open, open-ended when
/// `None`) and return the records overlapping it.
#[async_trait]
pub trait Store: Send + Sync {
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Stores an override and appends `override.added`.
    async fn add_override(&self, new: NewOverride) -> Result<Override, StoreError>;
    /// The team's overrides overlapping `[from, until)`, ordered by start, then id.
    async fn list_overrides(
        &self,
        team: &str,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<Override>, StoreError>;
    /// Removes the team's override `id` and appends `override.removed` by `actor`.
    /// [`StoreError::NotFound`] if the team has no such override.
    async fn remove_override(
        &self,
        team: &str,
        id: i64,
        actor: &str,
    ) -> Result<Override, StoreError>;

    /// Stores a swap and appends `swap.added`.
    async fn add_swap(&self, new: NewSwap) -> Result<Swap, StoreError>;
    /// The team's swaps, ordered by `first`, then id.
    async fn list_swaps(&self, team: &str) -> Result<Vec<Swap>, StoreError>;
    /// Removes the team's swap `id` and appends `swap.removed` by `actor`.
    /// [`StoreError::NotFound`] if the team has no such swap.
    async fn remove_swap(&self, team: &str, id: i64, actor: &str) -> Result<Swap, StoreError>;

    /// Stores time off and appends `time_off.added` (an event without a team).
    async fn add_time_off(&self, new: NewTimeOff) -> Result<TimeOff, StoreError>;
    /// Time off overlapping `[from, until)`, of the given members (all members when `None`),
    /// ordered by start, then id.
    async fn list_time_off(
        &self,
        members: Option<&[String]>,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<TimeOff>, StoreError>;
    /// Removes time off `id` and appends `time_off.removed` by `actor`.
    /// [`StoreError::NotFound`] if there is no such time off.
    async fn remove_time_off(&self, id: i64, actor: &str) -> Result<TimeOff, StoreError>;

    /// The newest events matching `filter`, newest first.
    async fn list_events(&self, filter: EventFilter) -> Result<Vec<Event>, StoreError>;
}

/// Whether opening may create a missing SQLite database file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the database file if it is missing (e.g. `baton migrate`).
    Create,
    /// Refuse a missing file with [`StoreError::NotCreated`].
    Existing,
}

/// Opens the store at `url` and brings its schema up to date.
///
/// The scheme chooses the backend: `sqlite://PATH`, `sqlite::memory:`, or `postgres://…` /
/// `postgresql://…`. `mode` applies to SQLite files; a PostgreSQL database must already exist.
pub async fn open(url: &str, mode: OpenMode) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match Backend::of(url)? {
        Backend::Sqlite => Arc::new(SqliteStore::connect(url, mode).await?),
        Backend::Postgres => Arc::new(PgStore::connect(url).await?),
    })
}
