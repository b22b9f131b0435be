//! baton's storage: the [`Store`] trait and its SQLite ([`SqliteStore`]) and PostgreSQL
//! ([`PgStore`]) implementations.
//!
//! Architecture invariant: this is the only crate that knows SQL. Each backend has its own
//! migrations folder (`migrations/sqlite`, `migrations/postgres`), applied whenever a store is
//! opened. Every write runs in one transaction together with the [`Event`] that records it;
//! events are never updated or deleted. Instants are kept with millisecond precision.

mod accounts;
mod database_url;
mod error;
mod event;
mod inquiry;
mod intake;
mod postgres;
mod sqlite;
mod validate;

use std::sync::Arc;

use async_trait::async_trait;
use baton_core::access::{
    ApiToken, LinkRefused, LoginLink, NewApiToken, NewLoginLink, NewSession, NewUser, Role,
    Session, User,
};
use baton_core::inquiry::{Check, Inquiry, NewCheck, NewInquiry, NewNote, Note, State, TimeEntry};
use baton_core::model::{NewOverride, NewSwap, NewTimeOff, Override, Swap, TimeOff};
use chrono::{DateTime, Utc};

pub use accounts::Redeemed;
pub use database_url::redact_url;
pub use error::StoreError;
pub use event::{kind, Event, EventFilter};
pub use inquiry::{
    InquiryChange, InquiryFilter, NoteFilter, TimeEntryFilter, DEFAULT_INQUIRY_PAGE,
    MAX_INQUIRY_PAGE,
};
pub use intake::{
    Delivery, DeliveryFilter, EffectOutcome, IntakeEffect, IntakeGrouping, IntakeItem,
    IntakeOutcome, IntakeRetry, NewDelivery,
};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use database_url::Backend;

/// Persistent storage of overrides, swaps, time off, inquiries (with their time entries and
/// notes), source checks, API tokens and the event log.
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

    // --- Inquiries -------------------------------------------------------------------------

    /// Stores a new inquiry (version 1, nothing logged, no pauses, `updated_at` = `at`) and
    /// appends `inquiry.created` by `actor` at `at`; returns it with `true`. When `new.external_ref` is set and
    /// the team already has an inquiry from the same source with that reference, nothing is
    /// written and the existing inquiry is returned with `false` (safe under concurrent
    /// duplicates: a unique index decides).
    async fn create_inquiry(
        &self,
        new: NewInquiry,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(Inquiry, bool), StoreError>;

    /// The inquiry `id`, or [`StoreError::NotFound`].
    async fn get_inquiry(&self, id: i64) -> Result<Inquiry, StoreError>;

    /// Writes `inquiry` (as changed by the domain) if its stored version is still
    /// `inquiry.version`, bumping the version and setting `updated_at` to `change.at`; in the
    /// same transaction stores `change`'s time entry, if any, and appends its event (with the
    /// inquiry's team and id). Returns the inquiry as stored.
    ///
    /// A stale version is [`StoreError::Conflict`], an unknown id [`StoreError::NotFound`].
    /// `team`, `source`, `external_ref` and `received_at` are fixed when the inquiry is created:
    /// a change to them is [`StoreError::Invalid`]. `logged_minutes` is written as given (the
    /// domain adds the time entry's minutes to it).
    async fn save_inquiry(
        &self,
        inquiry: &Inquiry,
        change: InquiryChange,
    ) -> Result<Inquiry, StoreError>;

    /// The team's open inquiries (states in `State::OPEN`), nearest `next_due` first, those
    /// without a running deadline last, then by arrival, then id; at most `limit`.
    async fn list_queue(&self, team: &str, limit: u32) -> Result<Vec<Inquiry>, StoreError>;

    /// Inquiries matching `filter`, newest arrival first (then highest id first).
    async fn list_inquiries(&self, filter: &InquiryFilter) -> Result<Vec<Inquiry>, StoreError>;

    /// Every event of inquiry `id`, oldest first (empty for an unknown id).
    async fn list_inquiry_events(&self, id: i64) -> Result<Vec<Event>, StoreError>;

    /// The events of the inquiries `ids` whose kind is one of `kinds`, oldest first; one query
    /// (for pages that need one kind of fact about many inquiries).
    async fn list_events_of_inquiries(
        &self,
        ids: &[i64],
        kinds: &[&str],
    ) -> Result<Vec<Event>, StoreError>;

    /// Counts of inquiries per team and state (for metrics and reports), by team, then state
    /// in lifecycle order; only states that occur are listed.
    async fn count_inquiries(&self) -> Result<Vec<(String, State, i64)>, StoreError>;

    /// Time entries matching `filter`, oldest first (by `at`, then id).
    async fn list_time_entries(
        &self,
        filter: &TimeEntryFilter,
    ) -> Result<Vec<TimeEntry>, StoreError>;

    /// Stores a note (on an inquiry of the note's team, or a shift's "keep in mind" note) and
    /// appends `note.added`. A note naming neither an inquiry nor a shift is
    /// [`StoreError::Invalid`]; an inquiry the team does not have is [`StoreError::NotFound`].
    async fn add_note(&self, new: NewNote) -> Result<Note, StoreError>;

    /// Notes matching `filter`, oldest first (by `at`, then id).
    async fn list_notes(&self, filter: &NoteFilter) -> Result<Vec<Note>, StoreError>;

    /// Records that a member checked a source, and appends `check.recorded`.
    async fn record_check(&self, new: NewCheck) -> Result<Check, StoreError>;

    /// The team's checks with `at` in `[from, until)`, oldest first.
    async fn list_checks(
        &self,
        team: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Check>, StoreError>;

    // --- API tokens ------------------------------------------------------------------------

    /// Stores a token (its hash only) and appends `token.created` (whose data omits the hash).
    /// A hash that is already stored is [`StoreError::Conflict`].
    async fn create_token(&self, new: NewApiToken) -> Result<ApiToken, StoreError>;

    /// The unrevoked token whose hash is `token_hash`, if any.
    async fn find_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError>;

    /// Every token, revoked ones included, by id.
    async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes token `id` and appends `token.revoked`; [`StoreError::NotFound`] if there is none.
    /// Revoking a revoked token changes nothing: it is returned with its first `revoked_at` and
    /// no event is appended.
    async fn revoke_token(&self, id: i64, actor: &str) -> Result<ApiToken, StoreError>;

    // --- Accounts --------------------------------------------------------------------------
    // People's accounts for the web pages, their sessions and one-time sign-in links. Only
    // hashes of secrets are stored; no event carries a hash, a CSRF token or a password. The
    // instants of sessions and links come from the caller's clock (`at`, `now`), so that expiry
    // follows the server's clock.

    /// Stores an account and appends `user.created` by `new.created_by` (data: the account
    /// without its password hash). An email that is not an address is [`StoreError::Invalid`];
    /// one already taken, in any case, is [`StoreError::Conflict`].
    async fn create_user(&self, new: NewUser) -> Result<User, StoreError>;

    /// The account `id`, disabled or not, or [`StoreError::NotFound`].
    async fn get_user(&self, id: i64) -> Result<User, StoreError>;

    /// The account whose email is `email` compared without case, disabled or not.
    async fn find_user(&self, email: &str) -> Result<Option<User>, StoreError>;

    /// Every account, disabled ones included, by id.
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;

    /// Gives account `id` the role `role` and appends `user.role_changed` (data: the account
    /// and its `previous_role`). The same role changes nothing and appends nothing. Unknown id:
    /// [`StoreError::NotFound`]; a disabled account: [`StoreError::Invalid`].
    async fn set_user_role(
        &self,
        id: i64,
        role: Role,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError>;

    /// Disables account `id`, in one transaction ending all its sessions, and appends
    /// `user.disabled` (its sign-in links no longer sign in). A disabled account is returned as it is,
    /// with no second event. Unknown id: [`StoreError::NotFound`].
    async fn disable_user(
        &self,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError>;

    /// Enables the disabled account `id` again and appends `user.enabled`; in the same
    /// transaction, every sign-in link made before and still unused expires now, so that a link
    /// sent before the account was disabled does not come back to life. An active account is
    /// returned as it is, with no event. Unknown id: [`StoreError::NotFound`].
    async fn enable_user(
        &self,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError>;

    /// Sets the password of the active account `id` to `password_hash` (an argon2 PHC string)
    /// and, in the same transaction, ends every session of the account except the one whose
    /// token hash is `keep_session` (the session that changed it, if any); appends
    /// `user.password_set` (data: the account, never the hash). Unknown id:
    /// [`StoreError::NotFound`]; a disabled account or an empty hash: [`StoreError::Invalid`].
    async fn set_user_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError>;

    /// Starts a session of the active account `user_id` and appends `session.created` by the
    /// account (data: session and account ids, email, how, until when). Also drops every
    /// expired session. Unknown account: [`StoreError::NotFound`]; disabled:
    /// [`StoreError::Invalid`]; a hash already stored: [`StoreError::Conflict`].
    async fn create_session(&self, user_id: i64, new: NewSession) -> Result<Session, StoreError>;

    /// The session whose hash is `token_hash`, with its account, if it expires after `now` and
    /// the account is active.
    async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>, StoreError>;

    /// Records that session `id` was used at `last_seen` and now expires at `expires_at` (a
    /// sliding expiry). A session that has ended meanwhile stays ended. No event.
    async fn touch_session(
        &self,
        id: i64,
        last_seen: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Ends the session whose hash is `token_hash` (sign-out) and appends `session.ended` by its
    /// account; returns whether there was one.
    async fn end_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Stores a one-time sign-in link for the active account `new.user_id` and appends
    /// `login_link.created` (data: the link without its hash, and the account's email).
    /// Unknown account: [`StoreError::NotFound`]; disabled: [`StoreError::Invalid`].
    async fn create_login_link(&self, new: NewLoginLink) -> Result<LoginLink, StoreError>;

    /// Redeems the sign-in link whose hash is `token_hash` at `session.created_at`: in one
    /// transaction marks it used and starts `session` for its account (appending
    /// `session.created` with method `link`). A link is redeemed once, also under concurrent redeemers (exactly
    /// one wins); otherwise the answer says why not: unknown, used, expired, or the account is
    /// disabled.
    async fn redeem_login_link(
        &self,
        token_hash: &str,
        session: NewSession,
    ) -> Result<Result<Redeemed, LinkRefused>, StoreError>;

    // --- Webhook intake --------------------------------------------------------------------

    /// How intake is best handed to [`Store::commit_intake`]: one call per delivery, which the
    /// store groups itself, or batches gathered by the caller, so many at once (while one
    /// waits for its commit, the next is written). Calls and batches may commit in any order;
    /// the results are those of some serial order of them.
    fn intake_grouping(&self) -> IntakeGrouping {
        IntakeGrouping::Batches(1)
    }

    /// Writes `items` in ONE transaction ("group commit": one fsync for the whole batch), in
    /// order: each item's delivery, then its effects, each appending its event; returns one
    /// outcome per item, in the same order. A store that groups calls itself
    /// ([`IntakeGrouping::ByStore`]) may write other calls' items in the same transaction; a
    /// call that fails there is written again alone, so a failure is answered only to the
    /// call that caused it.
    ///
    /// - A delivery whose key is already stored, or carried by an earlier item of the batch, is
    ///   skipped with everything it carries: [`IntakeOutcome::Duplicate`]. A unique index
    ///   decides, so this holds under concurrent duplicates across processes. Deliveries
    ///   without a key are never duplicates.
    /// - [`IntakeEffect::Create`] does what [`Store::create_inquiry`] does (an existing inquiry
    ///   with the same `(team, source, external_ref)` is returned with `created: false` and
    ///   nothing is written), with the delivery's `received_at` as the instant of the
    ///   `inquiry.created` event and the inquiry's `updated_at`.
    /// - [`IntakeEffect::Save`] does what [`Store::save_inquiry`] does. Where that would be an
    ///   error found in the database (a stale version, an unknown id, or a change to a fixed
    ///   field, which only the stored row reveals), the effect is [`EffectOutcome::Stale`]:
    ///   nothing is written for it, and the rest of the batch goes on.
    /// - An item whose `schedule_revision` is not the stored [`Store::schedule_revision`] (read
    ///   in the batch's transaction, which schedule changes cannot overtake) is stored without
    ///   its effects: each is [`EffectOutcome::Rescheduled`].
    ///
    /// Every item is checked before anything is written, as [`IntakeItem::check`] does. If one
    /// fails, nothing is written and the error is [`StoreError::Invalid`] with a message that
    /// starts `intake item {index}:` (its index in `items`): drop that item and commit the rest
    /// again. Any other error means that nothing of the batch was committed. (PostgreSQL
    /// retries a batch aborted as a deadlock or serialisation failure by itself.)
    async fn commit_intake(&self, items: Vec<IntakeItem>)
        -> Result<Vec<IntakeOutcome>, StoreError>;

    /// Commits the effects of delivery `retry.delivery_id`, already stored, decided again after
    /// some were found stale, in ONE transaction: the effects as [`Store::commit_intake`] applies
    /// them (a save still stale is [`EffectOutcome::Stale`] again, and all are
    /// [`EffectOutcome::Rescheduled`] if the schedule revision moved on again), and the delivery's outcome
    /// replaced by `retry.outcome`. The delivery is not stored again. Returns one outcome per
    /// effect, in order. [`StoreError::NotFound`] if no delivery has that id;
    /// [`StoreError::Invalid`] if an effect is refused; nothing is written then.
    async fn retry_intake(&self, retry: IntakeRetry) -> Result<Vec<EffectOutcome>, StoreError>;

    /// The schedule revision: a number that every committed change to overrides, swaps or time
    /// off (of any team or member) increases. Read it BEFORE reading those records to hold them
    /// in memory: effects decided with them name it as their item's
    /// [`IntakeItem::schedule_revision`], and [`Store::commit_intake`] applies them only if it
    /// is still the stored one.
    async fn schedule_revision(&self) -> Result<i64, StoreError>;

    /// The keys among `keys` that are already stored (committed), in the order of `keys`, each
    /// once; one query.
    async fn known_deliveries(&self, keys: &[String]) -> Result<Vec<String>, StoreError>;

    /// Every inquiry (of any team or source) whose external reference is `external_ref`,
    /// ordered by id.
    async fn find_inquiries_by_ref(&self, external_ref: &str) -> Result<Vec<Inquiry>, StoreError>;

    /// Deliveries matching `filter`, newest first (by `received_at`, then highest id first),
    /// at most `filter.limit` (0 → 100, at most 1000).
    async fn list_deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<Delivery>, StoreError>;
}

/// Not part of the API: the SQL of the queue query of each backend, for the tests and the queue
/// benchmark that check its plan.
#[doc(hidden)]
pub mod query_plans {
    /// The SQLite queue query: `?1` team, `?2` limit.
    pub const SQLITE_QUEUE: &str = crate::sqlite::QUEUE_SQL;
    /// The PostgreSQL queue query: `$1` team, `$2` limit.
    pub const POSTGRES_QUEUE: &str = crate::postgres::QUEUE_SQL;
}

/// Not part of the API: what the store's benchmarks and PostgreSQL tests share (the SQLite
/// connection settings their baselines must write with, scratch PostgreSQL databases).
#[doc(hidden)]
pub mod bench_support {
    use sqlx::{Connection, PgConnection};

    /// A PostgreSQL database of its own for one test or measurement, made through a server URL
    /// and dropped with [`ScratchDatabase::drop`].
    pub struct ScratchDatabase {
        server_url: String,
        name: String,
        /// The URL of the new database.
        pub url: String,
    }

    impl ScratchDatabase {
        /// Creates database `name` through `server_url`, dropping a leftover of that name
        /// first. A database name cannot be a bound parameter, so `name` must be made of ASCII
        /// letters, digits and `_`.
        pub async fn create(server_url: &str, name: &str) -> Result<Self, sqlx::Error> {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(sqlx::Error::Configuration(
                    format!("{name:?} is not a plain database name").into(),
                ));
            }
            let scratch = Self {
                server_url: server_url.to_owned(),
                name: name.to_owned(),
                url: crate::database_url::with_database(server_url, name),
            };
            let mut admin = PgConnection::connect(server_url).await?;
            sqlx::query(&scratch.drop_sql()).execute(&mut admin).await?;
            sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
                .execute(&mut admin)
                .await?;
            admin.close().await?;
            Ok(scratch)
        }

        /// Drops the database, ending the connections still open to it.
        pub async fn drop(self) -> Result<(), sqlx::Error> {
            let mut admin = PgConnection::connect(&self.server_url).await?;
            sqlx::query(&self.drop_sql()).execute(&mut admin).await?;
            admin.close().await
        }

        fn drop_sql(&self) -> String {
            format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name)
        }
    }

    /// The options every connection of a [`SqliteStore`](crate::SqliteStore) at `url` is
    /// opened with (creating a missing file).
    pub fn sqlite_options(
        url: &str,
    ) -> Result<sqlx::sqlite::SqliteConnectOptions, crate::StoreError> {
        Ok(crate::sqlite::connect_options(url)?.create_if_missing(true))
    }

    /// [`sqlite_options`] for a benchmark's writing connection, on the VFS intake's writing
    /// connection uses (WAL frames handed to the kernel in one write a commit).
    pub fn sqlite_writer_options(
        url: &str,
    ) -> Result<sqlx::sqlite::SqliteConnectOptions, crate::StoreError> {
        Ok(crate::sqlite::wal_buffer::sqlx_options(sqlite_options(
            url,
        )?))
    }

    /// A connection to the SQLite file at `path` opened exactly as intake's writing thread
    /// opens its own: the store's settings, no automatic checkpoints, temporary storage in
    /// memory, and its VFS.
    pub fn sqlite_writer_connection(
        path: &std::path::Path,
    ) -> rusqlite::Result<rusqlite::Connection> {
        crate::sqlite::batch_writer::open(path)
    }

    /// Gives the benchmarks' bare PostgreSQL table `bare_deliveries` the compression of the
    /// store's `deliveries` (lz4 where the server has it, as migration 0006 sets), so that a
    /// bare insert and intake compress their bodies alike.
    pub const POSTGRES_BARE_COMPRESSION: &str = "DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_settings
                   WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
            ALTER TABLE bare_deliveries ALTER COLUMN body SET COMPRESSION lz4;
            ALTER TABLE bare_deliveries ALTER COLUMN headers SET COMPRESSION lz4;
        END IF;
    END; $$";
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
