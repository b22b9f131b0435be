//! [`SqliteStore`]: the embedded default backend, one database file in WAL mode.

mod accounts;
pub(crate) mod batch_writer;
mod body_codec;
mod rows;
pub(crate) mod wal_buffer;

use std::ops::Range;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use baton_core::access::{
    ApiToken, LinkRefused, LoginLink, NewApiToken, NewLoginLink, NewSession, NewUser, Role,
    Session, User,
};
use baton_core::inquiry::{Check, Inquiry, NewCheck, NewInquiry, NewNote, Note, State, TimeEntry};
use baton_core::model::{NewOverride, NewSwap, NewTimeOff, Override, Swap, TimeOff};
use baton_core::sla::Priority;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Sqlite, Transaction};
use tracing::{debug, info};

use self::batch_writer::BatchWriter;
use self::rows::{
    millis, opt_millis, CheckRow, DeliveryRow, EventRow, InquiryRow, NoteRow, OverrideRow, SwapRow,
    TimeEntryRow, TimeOffRow, TokenRow,
};
use crate::event::NewEvent;
use crate::inquiry::{
    closed_states_sql, inserted_ids, page_size, state_counts, CheckedCreate, CheckedSave,
};
use crate::intake::{self, CheckedItem, IntakeGrouping, Step};
use crate::{
    kind, redact_url, validate, Delivery, DeliveryFilter, EffectOutcome, Event, EventFilter,
    InquiryChange, InquiryFilter, IntakeItem, IntakeOutcome, NoteFilter, OpenMode, Redeemed, Store,
    StoreError, TimeEntryFilter,
};

/// How long a write waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The page cache of each connection, in KiB (SQLite's default is 2,000).
const CACHE_KIB: u32 = 16 * 1024;
/// WAL pages after which a commit checkpoints (SQLite's default is 1,000, i.e. 4 MB).
const WAL_AUTOCHECKPOINT_PAGES: u32 = 4_000;

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
macro_rules! inquiry_columns {
    () => {
        "id, team, source, external_ref, link, title, body, reporter, labels, severity, \
         received_at_ms, area, priority, suggested_priority, suggestion_reason, state, assignee, \
         first_response_at_ms, first_response_due_ms, resolution_due_ms, resolved_at_ms, pauses, \
         issue_url, logged_minutes, should_escalate, next_due_ms, updated_at_ms, version"
    };
}
macro_rules! time_entry_columns {
    () => {
        "id, inquiry_id, team, member, minutes, note, at_ms"
    };
}

/// The SQL that writes inquiries and intake, shared by the sqlx functions below and intake's
/// batch writer (`batch_writer`, rusqlite), so that both write the same rows.
mod sql {
    pub const INSERT_DELIVERIES: &str = "INSERT INTO deliveries (provider, key, team, kind, \
        headers, body, body_codec, received_at_ms, outcome) VALUES ";
    pub const DELIVERY_ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
    // The single-row statements of the batch thread learn the id from the last rowid; the
    // multi-row ones of the sqlx path from `RETURNING`.
    macro_rules! deliveries_on_conflict {
        () => {
            " ON CONFLICT (key) DO NOTHING"
        };
    }
    pub const DELIVERIES_ON_CONFLICT: &str = deliveries_on_conflict!();
    pub const DELIVERIES_RETURNING: &str = concat!(deliveries_on_conflict!(), " RETURNING id, key");

    pub const INSERT_INQUIRIES: &str = "INSERT INTO inquiries (team, source, external_ref, link, \
        title, body, reporter, labels, severity, received_at_ms, area, priority, \
        suggested_priority, suggestion_reason, state, assignee, first_response_due_ms, \
        resolution_due_ms, next_due_ms, updated_at_ms, version) VALUES ";
    pub const INQUIRY_ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)";
    macro_rules! inquiries_on_conflict {
        () => {
            " ON CONFLICT (team, source, external_ref) DO NOTHING"
        };
    }
    pub const INQUIRIES_ON_CONFLICT: &str = inquiries_on_conflict!();
    pub const INQUIRIES_RETURNING: &str = concat!(
        inquiries_on_conflict!(),
        " RETURNING id, team, source, external_ref"
    );

    /// The inquiry a team has from a source with a reference.
    pub const SELECT_BY_ORIGIN: &str = concat!(
        "SELECT ",
        inquiry_columns!(),
        " FROM inquiries WHERE team = ? AND source = ? AND external_ref = ?"
    );

    /// A changed inquiry, written if the stored version and fixed fields are the ones read.
    pub const SAVE_INQUIRY: &str = concat!(
        "UPDATE inquiries SET link = ?, title = ?, body = ?, reporter = ?, labels = ?,",
        " severity = ?, area = ?, priority = ?, suggested_priority = ?,",
        " suggestion_reason = ?, state = ?, assignee = ?, first_response_at_ms = ?,",
        " first_response_due_ms = ?, resolution_due_ms = ?, resolved_at_ms = ?, pauses = ?,",
        " issue_url = ?, logged_minutes = ?, should_escalate = ?, next_due_ms = ?,",
        " updated_at_ms = ?, version = version + 1",
        " WHERE id = ? AND version = ? AND team = ? AND source = ? AND external_ref IS ?",
        " AND received_at_ms = ? RETURNING ",
        inquiry_columns!()
    );

    pub const INSERT_TIME_ENTRY: &str = "INSERT INTO time_entries (inquiry_id, team, member, \
        minutes, note, at_ms) VALUES (?, ?, ?, ?, ?, ?)";

    pub const INSERT_EVENTS: &str =
        "INSERT INTO events (team, inquiry_id, actor, kind, occurred_at_ms, data) VALUES ";
    pub const EVENT_ROW: &str = "(?, ?, ?, ?, ?, ?)";

    pub const SCHEDULE_REVISION: &str = "SELECT n FROM schedule_revision WHERE only_row = 1";
}
macro_rules! note_columns {
    () => {
        "id, team, inquiry_id, shift_start_ms, author, text, at_ms"
    };
}
macro_rules! check_columns {
    () => {
        "id, team, source, member, at_ms"
    };
}
macro_rules! token_columns {
    () => {
        "id, name, role, token_hash, created_by, created_at_ms, revoked_at_ms"
    };
}
macro_rules! delivery_columns {
    () => {
        "id, provider, key, team, kind, headers, body, body_codec, received_at_ms, outcome"
    };
}
macro_rules! event_columns {
    () => {
        "id, team, inquiry_id, actor, kind, occurred_at_ms, data"
    };
}

/// The open queue of a team (`?1`), at most `?2` rows. The `state NOT IN` list and the sort
/// expression repeat the partial index `inquiries_queue` (made by
/// `0007_inquiry_checks_without_lists.sql`) word for word, so that the query is a range read of
/// that index in order (see the migration).
pub(crate) const QUEUE_SQL: &str = concat!(
    "SELECT ",
    inquiry_columns!(),
    " FROM inquiries WHERE team = ?1 AND state NOT IN ",
    closed_states_sql!(),
    " ORDER BY coalesce(next_due_ms, 9223372036854775807), received_at_ms, id LIMIT ?2"
);

/// Migrates the database through a connection of its own that does not enforce foreign keys,
/// then checks every foreign key. SQLite changes a table by making a new one, copying the rows,
/// dropping the old one and renaming the new one; enforcement would refuse to drop a table that
/// other rows refer to, and `PRAGMA foreign_keys` cannot change inside the transaction a
/// migration runs in. (SQLite's own procedure for such changes turns enforcement off likewise.)
async fn migrate(options: &SqliteConnectOptions) -> Result<(), StoreError> {
    let mut conn = options.clone().foreign_keys(false).connect().await?;
    MIGRATOR.run_direct(&mut conn).await?;
    let broken: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
            .fetch_all(&mut conn)
            .await?;
    conn.close().await?;
    match broken.first() {
        None => Ok(()),
        Some((table, rowid, parent)) => Err(StoreError::Damaged(format!(
            "after migrating, {} rows refer to rows that do not exist, the first in table \
             `{table}` (row {}) to `{parent}`",
            broken.len(),
            rowid.map_or("without id".to_owned(), |id| id.to_string()),
        ))),
    }
}

/// A [`Store`] in an SQLite database (a file, or memory for tests and demos).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Webhook intake's batch thread and its background checkpoints.
    intake: Arc<IntakeWriter>,
}

impl SqliteStore {
    /// Opens the database at `url` (`sqlite://PATH` or `sqlite::memory:`) and migrates it.
    ///
    /// A missing file is created in [`OpenMode::Create`] and refused with
    /// [`StoreError::NotCreated`] in [`OpenMode::Existing`]. Connections use WAL journaling,
    /// `synchronous=FULL`, foreign keys, a 5 s busy timeout, a 16 MiB page cache and a
    /// checkpoint every 4,000 WAL pages.
    pub async fn connect(url: &str, mode: OpenMode) -> Result<Self, StoreError> {
        let memory = is_memory(url);
        let options = connect_options(url)?.create_if_missing(mode == OpenMode::Create);

        // A connection to a local file does not go stale as a network connection can: testing
        // it before each use (sqlx's default) would only add a round trip to its worker thread.
        let mut pool = SqlitePoolOptions::new().test_before_acquire(false);
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

        let batches = if memory {
            None
        } else {
            let path = options.get_filename().to_path_buf();
            Some(BatchWriter::start(path).map_err(StoreError::Writer)?)
        };
        let pool = pool.connect_with(options.clone()).await?;
        migrate(&options).await?;
        info!(url = %redact_url(url), "opened SQLite store");
        Ok(SqliteStore {
            pool,
            intake: Arc::new(IntakeWriter {
                batches,
                checkpoints: Mutex::default(),
            }),
        })
    }

    /// Starts a write transaction, taking the write lock up front so that waiting for it is
    /// governed by the busy timeout.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// The settings of every connection: WAL journaling with `synchronous=FULL`, so that a commit
/// has reached the disk before anything is answered (a webhook sender such as GitHub does not
/// redeliver what was acknowledged; with `NORMAL` a power loss could take back the last
/// commits), as PostgreSQL's default `synchronous_commit = on` does; foreign keys, a 5 s
/// busy timeout; and, for batched writes (webhook intake commits a few MB at a time), a page
/// cache of [`CACHE_KIB`] so that a batch's pages are not spilled to the WAL (and written
/// twice) before it commits, and a checkpoint every [`WAL_AUTOCHECKPOINT_PAGES`] WAL pages
/// rather than every 1,000, so that index pages changed by consecutive batches are copied into
/// the database file once (`docs/BENCHMARKS.md`).
pub(crate) fn connect_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        .pragma("cache_size", format!("-{CACHE_KIB}"))
        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string()))
}

/// Whether `url` names an in-memory database, following sqlx's URL rules.
fn is_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|param| param == "mode=memory")
}

/// The most rows one multi-row `INSERT` writes (a power of two). Inquiries bind 20 parameters a
/// row, so a statement binds at most 5,120, far below SQLite's limit of 32,766.
const ROWS_PER_STATEMENT: usize = 256;

/// `len` rows split into statements of power-of-two sizes (at most [`ROWS_PER_STATEMENT`],
/// largest first): batches of every size are served by a handful of statement texts, each
/// prepared once per connection and cached by sqlx.
fn statement_chunks(len: usize) -> impl Iterator<Item = Range<usize>> {
    let mut start = 0;
    std::iter::from_fn(move || {
        let left = len - start;
        if left == 0 {
            return None;
        }
        let size = left.min(ROWS_PER_STATEMENT);
        let size = 1 << size.ilog2();
        start += size;
        Some(start - size..start)
    })
}

/// `head`, `rows` times `row` separated by commas, then `tail`.
fn multi_row_sql(head: &str, row: &str, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + (row.len() + 2) * rows + tail.len());
    sql.push_str(head);
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(row);
    }
    sql.push_str(tail);
    sql
}

/// Appends `event` to the transaction that made the change it records, and commits both.
async fn commit_with(
    mut tx: Transaction<'_, Sqlite>,
    event: NewEvent<'_>,
) -> Result<(), StoreError> {
    append_all(&mut tx, std::slice::from_ref(&event)).await?;
    Ok(tx.commit().await?)
}

/// Appends `events` in order (their ids ascend in that order) inside the caller's transaction,
/// with as few statements as [`statement_chunks`] allows.
async fn append_all(
    conn: &mut SqliteConnection,
    events: &[NewEvent<'_>],
) -> Result<(), StoreError> {
    for range in statement_chunks(events.len()) {
        let sql = multi_row_sql(sql::INSERT_EVENTS, sql::EVENT_ROW, range.len(), "");
        let mut query = sqlx::query(&sql);
        for event in &events[range] {
            query = query
                .bind(event.team)
                .bind(event.inquiry_id)
                .bind(event.actor)
                .bind(event.kind)
                .bind(millis(event.at))
                .bind(event.data.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The inquiry `id`, if any.
async fn select_inquiry(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<Inquiry>, StoreError> {
    sqlx::query_as::<_, InquiryRow>(concat!(
        "SELECT ",
        inquiry_columns!(),
        " FROM inquiries WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(InquiryRow::into_record)
    .transpose()
}

/// Creates inquiries inside the caller's write transaction, in order, for `create_inquiry` and
/// intake: stores each, and queues its `inquiry.created` event on `events`, unless the team
/// already has one from the same source with the same reference (stored before, or by an
/// earlier one of `creates`), which is returned instead (`false`). Writers are serialised by
/// `BEGIN IMMEDIATE`, and the unique index decides in any case: a duplicate inserts nothing and
/// returns no row. One multi-row statement per [`statement_chunks`] chunk.
async fn create_all<'a>(
    conn: &mut SqliteConnection,
    creates: &[&'a CheckedCreate],
    events: &mut Vec<NewEvent<'a>>,
) -> Result<Vec<(Inquiry, bool)>, StoreError> {
    let mut returned = Vec::with_capacity(creates.len());
    for range in statement_chunks(creates.len()) {
        let sql = multi_row_sql(
            sql::INSERT_INQUIRIES,
            sql::INQUIRY_ROW,
            range.len(),
            sql::INQUIRIES_RETURNING,
        );
        let mut query = sqlx::query_as::<_, (i64, String, String, Option<String>)>(&sql);
        for create in &creates[range] {
            let new = &create.new;
            query = query
                .bind(&new.team)
                .bind(&new.source)
                .bind(&new.external_ref)
                .bind(&new.link)
                .bind(&new.title)
                .bind(&new.body)
                .bind(&new.reporter)
                .bind(create.labels.as_str())
                .bind(&new.severity)
                .bind(millis(new.received_at))
                .bind(&new.area)
                .bind(new.priority.map(Priority::as_str))
                .bind(new.suggested_priority.map(Priority::as_str))
                .bind(&new.suggestion_reason)
                .bind(new.state.as_str())
                .bind(&new.assignee)
                .bind(opt_millis(new.first_response_due))
                .bind(opt_millis(new.resolution_due))
                .bind(opt_millis(new.next_due))
                .bind(millis(create.at));
        }
        returned.extend(query.fetch_all(&mut *conn).await?);
    }
    let ids = inserted_ids(creates, returned)?;
    let mut made = Vec::with_capacity(creates.len());
    for (create, id) in creates.iter().zip(ids) {
        if let Some(id) = id {
            let record = create.stored(id);
            events.push(create.event(&record)?);
            made.push((record, true));
        } else {
            let new = &create.new;
            let existing = sqlx::query_as::<_, InquiryRow>(sql::SELECT_BY_ORIGIN)
                .bind(&new.team)
                .bind(&new.source)
                .bind(&new.external_ref)
                .fetch_one(&mut *conn)
                .await?
                .into_record()?;
            made.push((existing, false));
        }
    }
    Ok(made)
}

/// Saves a changed inquiry inside the caller's write transaction, for `save_inquiry` and
/// intake: writes it if the stored row still has the version read and the same fixed fields
/// (team, source, reference, arrival), stores the change's time entry and queues its event on
/// `events`. `None` when no row matched; nothing is written then.
async fn save_in<'a>(
    conn: &mut SqliteConnection,
    save: &'a CheckedSave,
    events: &mut Vec<NewEvent<'a>>,
) -> Result<Option<Inquiry>, StoreError> {
    let inquiry = &save.inquiry;
    let change = &save.change;
    let row = sqlx::query_as::<_, InquiryRow>(sql::SAVE_INQUIRY)
        .bind(&inquiry.link)
        .bind(&inquiry.title)
        .bind(&inquiry.body)
        .bind(&inquiry.reporter)
        .bind(save.labels.as_str())
        .bind(&inquiry.severity)
        .bind(&inquiry.area)
        .bind(inquiry.priority.map(Priority::as_str))
        .bind(inquiry.suggested_priority.map(Priority::as_str))
        .bind(&inquiry.suggestion_reason)
        .bind(inquiry.state.as_str())
        .bind(&inquiry.assignee)
        .bind(opt_millis(inquiry.first_response_at))
        .bind(opt_millis(inquiry.first_response_due))
        .bind(opt_millis(inquiry.resolution_due))
        .bind(opt_millis(inquiry.resolved_at))
        .bind(save.pauses.as_str())
        .bind(&inquiry.issue_url)
        .bind(inquiry.logged_minutes)
        .bind(inquiry.should_escalate)
        .bind(opt_millis(inquiry.next_due))
        .bind(millis(change.at))
        .bind(inquiry.id)
        .bind(inquiry.version)
        .bind(&inquiry.team)
        .bind(&inquiry.source)
        .bind(&inquiry.external_ref)
        .bind(millis(inquiry.received_at))
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let stored = row.into_record()?;
    if let Some(entry) = &change.time_entry {
        sqlx::query(sql::INSERT_TIME_ENTRY)
            .bind(stored.id)
            .bind(&stored.team)
            .bind(&entry.member)
            .bind(entry.minutes)
            .bind(&entry.note)
            .bind(millis(entry.at))
            .execute(&mut *conn)
            .await?;
    }
    events.push(save.event());
    Ok(Some(stored))
}

/// Webhook intake's writing side: a connection of its own on a thread of its own
/// ([`BatchWriter`]) that never checkpoints when it commits, and the state of the checkpoints
/// made for it in the background instead. (An in-memory database has no WAL and no file to
/// open a second connection to: its batches go through the pool.)
///
/// With SQLite's automatic checkpoint, the commit that takes the WAL past its limit copies
/// the WAL into the database file and syncs it before it returns: on this project's benchmark
/// machine 100–200 ms every ~16 MB of intake, during which every delivery waits, which made the
/// slowest 1% of deliveries take ~150 ms (`docs/BENCHMARKS.md`). Here a batch only appends to
/// the WAL, and a PASSIVE checkpoint (it copies what no reader needs and waits for no one) runs
/// on a pool connection while the next batches are written.
#[derive(Debug)]
struct IntakeWriter {
    batches: Option<BatchWriter>,
    checkpoints: Mutex<Checkpoints>,
}

#[derive(Debug, Default)]
struct Checkpoints {
    /// Whether a background checkpoint is running.
    running: bool,
    /// About how many bytes intake has written since the last checkpoint began.
    written: usize,
}

/// Intake bytes after which a background checkpoint begins: about the 4,000 pages after which
/// the store's other connections checkpoint ([`WAL_AUTOCHECKPOINT_PAGES`]).
const INTAKE_CHECKPOINT_BYTES: usize = WAL_AUTOCHECKPOINT_PAGES as usize * 4096;

/// WAL frames (256 MB) beyond which a checkpoint ends with a pass on intake's connection.
///
/// SQLite starts a WAL over from its beginning only when a write begins with every frame
/// copied, which never happens while batches keep coming during the background passes: the
/// WAL grows until intake pauses. Past this size the last pass runs on intake's connection
/// between two batches (copying what was written during the previous pass: one stall of a few
/// hundred ms, 290–470 ms measured, every ~10,000 deliveries at full load), and the next batch
/// starts the WAL over.
const INTAKE_RESTART_FRAMES: i64 = 65_536;

impl SqliteStore {
    /// Counts what a committed batch wrote, and starts a background checkpoint once
    /// [`INTAKE_CHECKPOINT_BYTES`] were written, unless one is running.
    fn after_intake_commit(&self, items: &[CheckedItem]) {
        // The delivery, and for each effect a row, its event and index pages: an estimate.
        let bytes: usize = items
            .iter()
            .map(|i| body_codec::stored(i).0.len() + i.headers.len() + 4096 * (1 + i.effects.len()))
            .sum();
        let mut state = self
            .intake
            .checkpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        state.written += bytes;
        if state.running || state.written < INTAKE_CHECKPOINT_BYTES {
            return;
        }
        state.running = true;
        state.written = 0;
        drop(state);
        let pool = self.pool.clone();
        let intake = self.intake.clone();
        tokio::spawn(async move {
            if let Err(e) = checkpoint_intake(&pool, &intake).await {
                tracing::warn!(error = %e, "a checkpoint of the intake WAL failed");
            }
            let mut state = intake.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
            state.running = false;
        });
    }
}

/// A PASSIVE checkpoint through `conn`: copies into the database file the WAL frames that no
/// reader needs, waiting for no reader or writer. Returns the frames in the WAL and how many of
/// them are now copied.
async fn passive_checkpoint(conn: impl sqlx::SqliteExecutor<'_>) -> Result<(i64, i64), StoreError> {
    let started = std::time::Instant::now();
    let (busy, log, copied) =
        sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(conn)
            .await?;
    debug!(
        busy,
        log,
        copied,
        micros = started.elapsed().as_micros() as u64,
        "WAL checkpoint"
    );
    Ok((log, copied))
}

/// One background pass over the WAL on a pool connection; when the WAL has grown past
/// [`INTAKE_RESTART_FRAMES`], a last pass on intake's connection (the writer waits for it) so
/// that the next batch starts the WAL over.
async fn checkpoint_intake(pool: &SqlitePool, intake: &IntakeWriter) -> Result<(), StoreError> {
    let (log, _) = passive_checkpoint(pool).await?;
    if log >= INTAKE_RESTART_FRAMES {
        if let Some(batches) = &intake.batches {
            let started = std::time::Instant::now();
            let (log, copied) = batches.checkpoint().await?;
            debug!(
                log,
                copied,
                micros = started.elapsed().as_micros() as u64,
                "WAL checkpoint between intake batches"
            );
        }
    }
    Ok(())
}

/// Writes a batch of intake in one transaction on `conn`: its deliveries, the effects of those
/// stored (not duplicates) in order, then their events. Returns each item's delivery id
/// (`None`: a duplicate) and the outcome of each applied effect, in order.
async fn write_intake(
    conn: &mut SqliteConnection,
    items: &[CheckedItem],
) -> Result<(Vec<Option<i64>>, Option<i64>, Vec<EffectOutcome>), StoreError> {
    let mut tx = sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await?;
    let delivery_ids = insert_deliveries(&mut tx, items).await?;
    let current = if intake::revision_needed(items) {
        Some(read_revision(&mut tx).await?)
    } else {
        None
    };
    let mut events = Vec::new();
    let effects = apply_steps(
        &mut tx,
        intake::steps(items, &delivery_ids, current),
        &mut events,
    )
    .await?;
    append_all(&mut tx, &events).await?;
    tx.commit().await?;
    debug!(
        items = items.len(),
        events = events.len(),
        "intake batch committed"
    );
    Ok((delivery_ids, current, effects))
}

/// Applies `steps` of intake effects in order; one outcome per effect.
async fn apply_steps<'a>(
    conn: &mut SqliteConnection,
    steps: Vec<Step<'a>>,
    events: &mut Vec<NewEvent<'a>>,
) -> Result<Vec<EffectOutcome>, StoreError> {
    let mut effects = Vec::new();
    for step in steps {
        match step {
            Step::Creates(creates) => effects.extend(EffectOutcome::of_creates(
                create_all(conn, &creates, events).await?,
            )),
            Step::Save(save) => effects.push(EffectOutcome::of_save(
                save,
                save_in(conn, save, events).await?,
            )),
        }
    }
    Ok(effects)
}

/// The stored schedule revision, read in the transaction that commits intake effects (which holds
/// the write lock, so the schedule cannot change before it ends).
async fn read_revision(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>(sql::SCHEDULE_REVISION)
        .fetch_one(conn)
        .await?)
}

/// Inserts the deliveries of `items` in item order, a redelivery (a key already stored, or
/// earlier in `items`) inserting nothing; returns each item's delivery id (`None`: duplicate).
async fn insert_deliveries(
    conn: &mut SqliteConnection,
    items: &[CheckedItem],
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut returned = Vec::with_capacity(items.len());
    for range in statement_chunks(items.len()) {
        let sql = multi_row_sql(
            sql::INSERT_DELIVERIES,
            sql::DELIVERY_ROW,
            range.len(),
            sql::DELIVERIES_RETURNING,
        );
        let mut query = sqlx::query_as::<_, (i64, Option<String>)>(&sql);
        for item in &items[range] {
            let delivery = &item.delivery;
            let (body, codec) = body_codec::stored(item);
            query = query
                .bind(delivery.provider.as_str())
                .bind(delivery.key.as_deref())
                .bind(delivery.team.as_deref())
                .bind(delivery.kind.as_str())
                .bind(item.headers.as_str())
                .bind(body)
                .bind(codec)
                .bind(millis(delivery.received_at))
                .bind(delivery.outcome.as_str());
        }
        returned.extend(query.fetch_all(&mut *conn).await?);
    }
    let keys = items
        .iter()
        .map(|item| item.delivery.key.as_deref())
        .collect();
    let returned = returned
        .iter()
        .map(|(id, key)| (*id, key.as_deref()))
        .collect();
    intake::assign_ids(keys, returned)
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
        commit_with(tx, event).await?;
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
        commit_with(tx, event).await?;
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
        commit_with(tx, event).await?;
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
        commit_with(tx, event).await?;
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
        commit_with(tx, event).await?;
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
        commit_with(tx, event).await?;
        debug!(id, "time off removed");
        Ok(record)
    }

    async fn list_events(&self, filter: EventFilter) -> Result<Vec<Event>, StoreError> {
        let mut query =
            QueryBuilder::<Sqlite>::new(concat!("SELECT ", event_columns!(), " FROM events"));
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

    async fn create_inquiry(
        &self,
        new: NewInquiry,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(Inquiry, bool), StoreError> {
        let create = CheckedCreate::new(new, actor.to_owned(), at)?;
        let mut tx = self.begin_write().await?;
        let mut events = Vec::new();
        let (record, created) = create_all(&mut tx, &[&create], &mut events)
            .await?
            .pop()
            .expect("one inquiry for one create");
        append_all(&mut tx, &events).await?;
        tx.commit().await?;
        if created {
            debug!(id = record.id, team = %record.team, "inquiry created");
        } else {
            debug!(id = record.id, team = %record.team, "duplicate inquiry not stored");
        }
        Ok((record, created))
    }

    async fn get_inquiry(&self, id: i64) -> Result<Inquiry, StoreError> {
        select_inquiry(&mut *self.pool.acquire().await?, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("inquiry {id}")))
    }

    async fn save_inquiry(
        &self,
        inquiry: &Inquiry,
        change: InquiryChange,
    ) -> Result<Inquiry, StoreError> {
        let save = CheckedSave::new(inquiry, change)?;
        let mut tx = self.begin_write().await?;
        let mut events = Vec::new();
        let Some(stored) = save_in(&mut tx, &save, &mut events).await? else {
            let stored = select_inquiry(&mut tx, save.inquiry.id).await?;
            return Err(save.refusal(stored));
        };
        append_all(&mut tx, &events).await?;
        tx.commit().await?;
        debug!(id = stored.id, version = stored.version, kind = %save.change.kind, "inquiry saved");
        Ok(stored)
    }

    async fn list_queue(&self, team: &str, limit: u32) -> Result<Vec<Inquiry>, StoreError> {
        sqlx::query_as::<_, InquiryRow>(QUEUE_SQL)
            .bind(team)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(InquiryRow::into_record)
            .collect()
    }

    async fn list_inquiries(&self, filter: &InquiryFilter) -> Result<Vec<Inquiry>, StoreError> {
        let Some(window) = validate::instants(filter.received_from, filter.received_until)? else {
            return Ok(Vec::new());
        };
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            inquiry_columns!(),
            " FROM inquiries WHERE TRUE"
        ));
        if let Some(team) = &filter.team {
            query.push(" AND team = ").push_bind(team.as_str());
        }
        if !filter.states.is_empty() {
            query.push(" AND state IN (");
            let mut list = query.separated(", ");
            for state in &filter.states {
                list.push_bind(state.as_str());
            }
            query.push(")");
        }
        if let Some(assignee) = &filter.assignee {
            query.push(" AND assignee = ").push_bind(assignee.as_str());
        }
        if let Some(source) = &filter.source {
            query.push(" AND source = ").push_bind(source.as_str());
        }
        if let Some(from) = window.from {
            query
                .push(" AND received_at_ms >= ")
                .push_bind(millis(from));
        }
        if let Some(until) = window.until {
            query
                .push(" AND received_at_ms < ")
                .push_bind(millis(until));
        }
        query
            .push(" ORDER BY received_at_ms DESC, id DESC LIMIT ")
            .push_bind(page_size(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(filter.offset));
        query
            .build_query_as::<InquiryRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(InquiryRow::into_record)
            .collect()
    }

    async fn list_inquiry_events(&self, id: i64) -> Result<Vec<Event>, StoreError> {
        sqlx::query_as::<_, EventRow>(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE inquiry_id = ? ORDER BY id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(EventRow::into_event)
        .collect()
    }

    async fn list_events_of_inquiries(
        &self,
        ids: &[i64],
        kinds: &[&str],
    ) -> Result<Vec<Event>, StoreError> {
        if ids.is_empty() || kinds.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE inquiry_id IN ("
        ));
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(") AND kind IN (");
        let mut list = query.separated(", ");
        for kind in kinds {
            list.push_bind(*kind);
        }
        query.push(") ORDER BY id");
        query
            .build_query_as::<EventRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(EventRow::into_event)
            .collect()
    }

    async fn count_inquiries(&self) -> Result<Vec<(String, State, i64)>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT team, state, count(*) FROM inquiries GROUP BY team, state ORDER BY team",
        )
        .fetch_all(&self.pool)
        .await?;
        state_counts(rows)
    }

    async fn list_time_entries(
        &self,
        filter: &TimeEntryFilter,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let Some(window) = validate::instants(filter.from, filter.until)? else {
            return Ok(Vec::new());
        };
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            time_entry_columns!(),
            " FROM time_entries WHERE TRUE"
        ));
        if let Some(team) = &filter.team {
            query.push(" AND team = ").push_bind(team.as_str());
        }
        if let Some(inquiry_id) = filter.inquiry_id {
            query.push(" AND inquiry_id = ").push_bind(inquiry_id);
        }
        if let Some(member) = &filter.member {
            query.push(" AND member = ").push_bind(member.as_str());
        }
        if let Some(from) = window.from {
            query.push(" AND at_ms >= ").push_bind(millis(from));
        }
        if let Some(until) = window.until {
            query.push(" AND at_ms < ").push_bind(millis(until));
        }
        query.push(" ORDER BY at_ms, id");
        query
            .build_query_as::<TimeEntryRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(TimeEntryRow::into_record)
            .collect()
    }

    async fn add_note(&self, new: NewNote) -> Result<Note, StoreError> {
        let new = validate::new_note(new)?;
        let mut tx = self.begin_write().await?;
        if let Some(inquiry_id) = new.inquiry_id {
            let found =
                sqlx::query_scalar::<_, i64>("SELECT id FROM inquiries WHERE id = ? AND team = ?")
                    .bind(inquiry_id)
                    .bind(&new.team)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(StoreError::NotFound(format!(
                    "inquiry {inquiry_id} of team `{}`",
                    new.team
                )));
            }
        }
        let record = sqlx::query_as::<_, NoteRow>(concat!(
            "INSERT INTO notes (team, inquiry_id, shift_start_ms, author, text, at_ms)",
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING ",
            note_columns!()
        ))
        .bind(&new.team)
        .bind(new.inquiry_id)
        .bind(opt_millis(new.shift_start))
        .bind(&new.author)
        .bind(&new.text)
        .bind(millis(new.at))
        .fetch_one(&mut *tx)
        .await?
        .into_record()?;
        let event = NewEvent::about(
            kind::NOTE_ADDED,
            Some(&record.team),
            &record.author,
            // Dated when the note says it was written (the service's clock), like its row.
            record.at,
            &record,
        )?
        .on_inquiry(record.inquiry_id);
        commit_with(tx, event).await?;
        debug!(id = record.id, team = %record.team, "note added");
        Ok(record)
    }

    async fn list_notes(&self, filter: &NoteFilter) -> Result<Vec<Note>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            note_columns!(),
            " FROM notes WHERE TRUE"
        ));
        if let Some(team) = &filter.team {
            query.push(" AND team = ").push_bind(team.as_str());
        }
        if let Some(inquiry_id) = filter.inquiry_id {
            query.push(" AND inquiry_id = ").push_bind(inquiry_id);
        }
        if let Some(shift_start) = filter.shift_start {
            // Stored instants are whole milliseconds; a finer one matches no shift.
            if validate::stored_instant(shift_start) != shift_start {
                return Ok(Vec::new());
            }
            query
                .push(" AND shift_start_ms = ")
                .push_bind(millis(shift_start));
        }
        query.push(" ORDER BY at_ms, id");
        query
            .build_query_as::<NoteRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(NoteRow::into_record)
            .collect()
    }

    async fn record_check(&self, new: NewCheck) -> Result<Check, StoreError> {
        let new = validate::new_check(new)?;
        let now = validate::now();
        let mut tx = self.begin_write().await?;
        let record = sqlx::query_as::<_, CheckRow>(concat!(
            "INSERT INTO checks (team, source, member, at_ms) VALUES (?, ?, ?, ?) RETURNING ",
            check_columns!()
        ))
        .bind(&new.team)
        .bind(&new.source)
        .bind(&new.member)
        .bind(millis(new.at))
        .fetch_one(&mut *tx)
        .await?
        .into_record()?;
        let event = NewEvent::about(
            kind::CHECK_RECORDED,
            Some(&record.team),
            &record.member,
            now,
            &record,
        )?;
        commit_with(tx, event).await?;
        debug!(id = record.id, team = %record.team, source = %record.source, "check recorded");
        Ok(record)
    }

    async fn list_checks(
        &self,
        team: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Check>, StoreError> {
        let Some(window) = validate::instants(Some(from), Some(until))? else {
            return Ok(Vec::new());
        };
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            check_columns!(),
            " FROM checks WHERE team = "
        ));
        query.push_bind(team);
        if let Some(from) = window.from {
            query.push(" AND at_ms >= ").push_bind(millis(from));
        }
        if let Some(until) = window.until {
            query.push(" AND at_ms < ").push_bind(millis(until));
        }
        query.push(" ORDER BY at_ms, id");
        query
            .build_query_as::<CheckRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(CheckRow::into_record)
            .collect()
    }

    async fn create_token(&self, new: NewApiToken) -> Result<ApiToken, StoreError> {
        validate::new_token(&new)?;
        let now = validate::now();
        let mut tx = self.begin_write().await?;
        let record = sqlx::query_as::<_, TokenRow>(concat!(
            "INSERT INTO api_tokens (name, role, token_hash, created_by, created_at_ms)",
            " VALUES (?, ?, ?, ?, ?) RETURNING ",
            token_columns!()
        ))
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(&new.token_hash)
        .bind(&new.created_by)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(validate::duplicate_token)?
        .into_record()?;
        let event = NewEvent::about(kind::TOKEN_CREATED, None, &record.created_by, now, &record)?;
        commit_with(tx, event).await?;
        debug!(id = record.id, name = %record.name, "API token created");
        Ok(record)
    }

    async fn find_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        sqlx::query_as::<_, TokenRow>(concat!(
            "SELECT ",
            token_columns!(),
            " FROM api_tokens WHERE token_hash = ? AND revoked_at_ms IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .map(TokenRow::into_record)
        .transpose()
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        sqlx::query_as::<_, TokenRow>(concat!(
            "SELECT ",
            token_columns!(),
            " FROM api_tokens ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(TokenRow::into_record)
        .collect()
    }

    async fn revoke_token(&self, id: i64, actor: &str) -> Result<ApiToken, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.begin_write().await?;
        let revoked = sqlx::query_as::<_, TokenRow>(concat!(
            "UPDATE api_tokens SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL",
            " RETURNING ",
            token_columns!()
        ))
        .bind(millis(now))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = revoked else {
            // Already revoked (kept as it is, no second event) or not there at all.
            return sqlx::query_as::<_, TokenRow>(concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens WHERE id = ?"
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("API token {id}")))?
            .into_record();
        };
        let record = row.into_record()?;
        let event = NewEvent::about(kind::TOKEN_REVOKED, None, actor, now, &record)?;
        commit_with(tx, event).await?;
        debug!(id, "API token revoked");
        Ok(record)
    }

    // --- Accounts (in `accounts.rs`) ---------------------------------------------------------

    async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        accounts::create_user(self, new).await
    }

    async fn get_user(&self, id: i64) -> Result<User, StoreError> {
        accounts::get_user(self, id).await
    }

    async fn find_user(&self, email: &str) -> Result<Option<User>, StoreError> {
        accounts::find_user(self, email).await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        accounts::list_users(self).await
    }

    async fn set_user_role(
        &self,
        id: i64,
        role: Role,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        accounts::set_user_role(self, id, role, actor, at).await
    }

    async fn disable_user(
        &self,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        accounts::disable_user(self, id, actor, at).await
    }

    async fn enable_user(
        &self,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        accounts::enable_user(self, id, actor, at).await
    }

    async fn set_user_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        accounts::set_user_password(self, id, password_hash, keep_session, actor, at).await
    }

    async fn create_session(&self, user_id: i64, new: NewSession) -> Result<Session, StoreError> {
        accounts::create_session(self, user_id, new).await
    }

    async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>, StoreError> {
        accounts::find_session(self, token_hash, now).await
    }

    async fn touch_session(
        &self,
        id: i64,
        last_seen: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        accounts::touch_session(self, id, last_seen, expires_at).await
    }

    async fn end_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        accounts::end_session(self, token_hash, at).await
    }

    async fn create_login_link(&self, new: NewLoginLink) -> Result<LoginLink, StoreError> {
        accounts::create_login_link(self, new).await
    }

    async fn redeem_login_link(
        &self,
        token_hash: &str,
        session: NewSession,
    ) -> Result<Result<Redeemed, LinkRefused>, StoreError> {
        accounts::redeem_login_link(self, token_hash, session).await
    }

    async fn commit_intake(
        &self,
        items: Vec<IntakeItem>,
    ) -> Result<Vec<IntakeOutcome>, StoreError> {
        let mut items = intake::check_items(items)?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        // Here, on the caller's task, rather than on the one thread that writes.
        body_codec::compress_bodies(&mut items);
        let Some(batches) = &self.intake.batches else {
            // An in-memory database: one connection of the pool.
            let mut conn = self.pool.acquire().await?;
            let (delivery_ids, current, effects) = write_intake(&mut conn, &items).await?;
            return Ok(intake::outcomes(&items, delivery_ids, current, effects));
        };
        let (items, outcomes) = batches.write(items).await?;
        self.after_intake_commit(&items);
        Ok(outcomes)
    }

    async fn retry_intake(
        &self,
        retry: crate::IntakeRetry,
    ) -> Result<Vec<EffectOutcome>, StoreError> {
        let retry = intake::CheckedRetry::new(retry)?;
        let mut tx = self.begin_write().await?;
        let found = sqlx::query("UPDATE deliveries SET outcome = ? WHERE id = ?")
            .bind(&retry.outcome)
            .bind(retry.delivery_id)
            .execute(&mut *tx)
            .await?;
        if found.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "delivery {}",
                retry.delivery_id
            )));
        }
        let current = if retry.revision_needed() {
            Some(read_revision(&mut tx).await?)
        } else {
            None
        };
        let mut events = Vec::new();
        let effects = apply_steps(&mut tx, retry.steps(current), &mut events).await?;
        let effects = retry.outcomes(current, effects);
        append_all(&mut tx, &events).await?;
        tx.commit().await?;
        debug!(
            delivery_id = retry.delivery_id,
            effects = effects.len(),
            "intake retry committed"
        );
        Ok(effects)
    }

    /// On a file, one call per delivery: the batch thread writes every call that waits for it
    /// in one transaction (`batch_writer`), so a transaction holds all the deliveries waiting
    /// at that moment, with no hand-off between a delivery and its transaction. In memory,
    /// batches through the pool's one connection.
    fn intake_grouping(&self) -> IntakeGrouping {
        if self.intake.batches.is_some() {
            IntakeGrouping::ByStore
        } else {
            IntakeGrouping::Batches(1)
        }
    }

    async fn schedule_revision(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT n FROM schedule_revision WHERE only_row = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn known_deliveries(&self, keys: &[String]) -> Result<Vec<String>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let stored = sqlx::query_scalar::<_, String>(
            "SELECT key FROM deliveries WHERE key IN (SELECT value FROM json_each(?))",
        )
        .bind(serde_json::to_string(keys)?)
        .fetch_all(&self.pool)
        .await?;
        Ok(intake::in_order(keys, stored))
    }

    async fn find_inquiries_by_ref(&self, external_ref: &str) -> Result<Vec<Inquiry>, StoreError> {
        sqlx::query_as::<_, InquiryRow>(concat!(
            "SELECT ",
            inquiry_columns!(),
            " FROM inquiries WHERE external_ref = ? ORDER BY id"
        ))
        .bind(external_ref)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(InquiryRow::into_record)
        .collect()
    }

    async fn list_deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<Delivery>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE TRUE"
        ));
        if filter.unrouted_only {
            // Repeats the predicate of the partial index `deliveries_unrouted`.
            query.push(" AND team IS NULL");
        }
        if let Some(provider) = &filter.provider {
            query.push(" AND provider = ").push_bind(provider.as_str());
        }
        query
            .push(" ORDER BY received_at_ms DESC, id DESC LIMIT ")
            .push_bind(intake::delivery_page(filter.limit));
        query
            .build_query_as::<DeliveryRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(DeliveryRow::into_record)
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
