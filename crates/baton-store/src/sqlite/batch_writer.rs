//! Webhook intake's batches on an SQLite file, written through rusqlite on a thread that owns
//! the connection.
//!
//! sqlx runs each statement on its connection's worker thread and hands the statement, and
//! then every row it returns, between that thread and the task awaiting it. A batch (begin,
//! deliveries, schedule revision, inquiries, events, commit) took seven such round trips; on a
//! busy two-core machine each one waited for a core, and all the while the one writer SQLite
//! allows was held (`docs/BENCHMARKS.md`, the HTTP load test). Here one message carries the
//! whole batch to the thread and one carries its result back; batches that arrive while it
//! writes are written together in the next transaction. Intake sends one call per delivery
//! (`IntakeGrouping::ByStore`), so a transaction holds every delivery waiting at that moment.
//!
//! On this thread a statement costs no hand-off, so each row is one prepared single-row
//! `INSERT … ON CONFLICT DO NOTHING` whose id is the connection's last rowid: no `RETURNING`
//! (whose rows SQLite gathers in a temporary table) and no statement journal (which a
//! multi-row statement that may fail halfway needs). The SQL is the store's own (`super::sql`),
//! so both paths write the same rows.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use baton_core::inquiry::Inquiry;
use baton_core::sla::Priority;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{params_from_iter, Connection, OpenFlags, OptionalExtension};
use tokio::sync::oneshot;

use super::rows::{millis, opt_millis, InquiryRow};
use super::{sql, BUSY_TIMEOUT, CACHE_KIB};
use crate::event::NewEvent;
use crate::inquiry::{CheckedCreate, CheckedSave};
use crate::intake::{self, CheckedItem, Step};
use crate::{EffectOutcome, IntakeOutcome, StoreError};

/// What a batch wrote: each item's delivery id (`None`: a duplicate), the schedule revision
/// read (if any item needed it), and the outcome of each applied effect in order.
type Written = (Vec<Option<i64>>, Option<i64>, Vec<EffectOutcome>);

/// A committed batch: its items, given back, and one outcome per item.
type Committed = (Vec<CheckedItem>, Vec<IntakeOutcome>);

enum Job {
    /// Write a batch; the items come back with their outcomes, for the caller's bookkeeping.
    Batch {
        items: Vec<CheckedItem>,
        reply: oneshot::Sender<Result<Committed, StoreError>>,
    },
    /// A PASSIVE checkpoint between two batches; answers the WAL's frames and those copied.
    Checkpoint {
        reply: oneshot::Sender<Result<(i64, i64), StoreError>>,
    },
}

/// The sending side; the thread ends when it is dropped.
#[derive(Debug)]
pub(super) struct BatchWriter {
    jobs: mpsc::Sender<Job>,
}

impl BatchWriter {
    /// Starts the thread for the database file at `path`; it opens its connection at the first
    /// job (and again after a failed open).
    pub(super) fn start(path: PathBuf) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-intake".into())
            .spawn(move || serve(&path, queue))?;
        Ok(Self { jobs })
    }

    /// Writes `items` in one transaction (see [`write_batch`]), together with the other
    /// batches waiting for the thread by then; returns the items and one outcome per item.
    pub(super) async fn write(&self, items: Vec<CheckedItem>) -> Result<Committed, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Batch { items, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// A PASSIVE checkpoint on the writing connection, between two batches.
    pub(super) async fn checkpoint(&self) -> Result<(i64, i64), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Checkpoint { reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Writer(std::io::Error::other(
        "the intake writer thread has stopped",
    ))
}

/// The most items written in one transaction when batches that waited are joined.
const MAX_JOINED_ITEMS: usize = 1024;

fn serve(path: &Path, queue: mpsc::Receiver<Job>) {
    let mut conn: Option<Connection> = None;
    while let Ok(first) = queue.recv() {
        // Batches that queued up while the last transaction was written are written together:
        // one commit for all, and no idle moment between a batch and the next.
        let mut items = items_of(&first);
        let mut jobs = vec![first];
        while items < MAX_JOINED_ITEMS {
            match queue.try_recv() {
                Ok(next) => {
                    items += items_of(&next);
                    jobs.push(next);
                }
                Err(_) => break,
            }
        }
        if conn.is_none() {
            match open(path) {
                Ok(opened) => conn = Some(opened),
                Err(e) => {
                    let why = format!(
                        "cannot open the intake connection to {}: {e}",
                        path.display()
                    );
                    tracing::warn!("{why}");
                    for job in jobs {
                        answer(job, StoreError::Writer(std::io::Error::other(why.clone())));
                    }
                    continue;
                }
            }
        }
        let Some(conn) = conn.as_ref() else { continue };
        let (batches, checkpoints): (Vec<_>, Vec<_>) = jobs
            .into_iter()
            .partition(|job| matches!(job, Job::Batch { .. }));
        let (calls, started) = (batches.len(), std::time::Instant::now());
        write_joined(conn, batches);
        // How well calls are grouped under load, and what a transaction costs.
        tracing::debug!(
            items,
            calls,
            micros = started.elapsed().as_micros() as u64,
            "intake transaction"
        );
        for job in checkpoints {
            if let Job::Checkpoint { reply } = job {
                let _ = reply.send(checkpoint(conn));
            }
        }
    }
}

fn items_of(job: &Job) -> usize {
    match job {
        Job::Batch { items, .. } => items.len(),
        Job::Checkpoint { .. } => 0,
    }
}

/// Writes the items of `batches` (all `Job::Batch`) in one transaction and answers each job
/// with its own items and outcomes. If that fails, nothing of it was written, and each batch is
/// written alone, so that a failure is answered only to the batch that causes it.
fn write_joined(conn: &Connection, batches: Vec<Job>) {
    let mut lengths = Vec::with_capacity(batches.len());
    let mut replies = Vec::with_capacity(batches.len());
    let mut all = Vec::new();
    for job in batches {
        if let Job::Batch { items, reply } = job {
            lengths.push(items.len());
            replies.push(reply);
            all.extend(items);
        }
    }
    if replies.is_empty() {
        return;
    }
    let joined = if replies.len() == 1 {
        None
    } else {
        match write_batch(conn, &all) {
            Ok(written) => Some(written),
            Err(e) => {
                tracing::warn!(error = %e, batches = replies.len(), "joined intake batches failed; writing each alone");
                None
            }
        }
    };
    let mut outcomes = joined.map(|(delivery_ids, current, effects)| {
        intake::outcomes(&all, delivery_ids, current, effects).into_iter()
    });
    let mut all = all.into_iter();
    for (len, reply) in lengths.into_iter().zip(replies) {
        let items: Vec<_> = all.by_ref().take(len).collect();
        let answer = match outcomes.as_mut() {
            Some(outcomes) => Ok(outcomes.by_ref().take(len).collect()),
            None => write_batch(conn, &items).map(|(delivery_ids, current, effects)| {
                intake::outcomes(&items, delivery_ids, current, effects)
            }),
        };
        let _ = reply.send(answer.map(|outcomes| (items, outcomes)));
    }
}

/// Answers `job` with `error`.
fn answer(job: Job, error: StoreError) {
    match job {
        Job::Batch { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Job::Checkpoint { reply } => {
            let _ = reply.send(Err(error));
        }
    }
}

/// The store's connection settings (`super::connect_options`: a commit syncs the WAL to disk
/// before it returns), without automatic checkpoints:
/// they run in the background instead (`super::IntakeWriter`); temporary tables and journals
/// in memory rather than in files made and deleted per statement; WAL frames handed to the
/// kernel in one write a commit rather than two a frame (`super::wal_buffer`).
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = super::wal_buffer::open(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -{CACHE_KIB}; PRAGMA wal_autocheckpoint = 0; \
         PRAGMA temp_store = MEMORY;"
    ))?;
    // The few statements a batch runs, each prepared once.
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

fn checkpoint(conn: &Connection) -> Result<(i64, i64), StoreError> {
    let (log, copied) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    })?;
    Ok((log, copied))
}

/// Writes a batch in one transaction, as `super::write_intake` does through sqlx: its
/// deliveries, the effects of those stored (not duplicates) and decided at the stored schedule
/// revision, in order, then their events.
fn write_batch(conn: &Connection, items: &[CheckedItem]) -> Result<Written, StoreError> {
    let tx = Immediate::begin(conn)?;
    let delivery_ids = insert_deliveries(&tx, items)?;
    let current = if intake::revision_needed(items) {
        Some(
            tx.prepare_cached(sql::SCHEDULE_REVISION)?
                .query_row([], |row| row.get::<_, i64>(0))?,
        )
    } else {
        None
    };
    let mut events = Vec::new();
    let mut effects = Vec::new();
    for step in intake::steps(items, &delivery_ids, current) {
        match step {
            Step::Creates(creates) => effects.extend(EffectOutcome::of_creates(create_all(
                &tx,
                &creates,
                &mut events,
            )?)),
            Step::Save(save) => effects.push(EffectOutcome::of_save(
                save,
                save_in(&tx, save, &mut events)?,
            )),
        }
    }
    append_all(&tx, &events)?;
    tx.commit()?;
    Ok((delivery_ids, current, effects))
}

/// A `BEGIN IMMEDIATE` transaction on the batch thread's connection, rolled back when dropped
/// uncommitted. rusqlite's `Transaction` parses its `BEGIN` and `COMMIT` anew each time
/// (`execute_batch`); here they are prepared once, like every other statement of a batch.
struct Immediate<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> Immediate<'c> {
    fn begin(conn: &'c Connection) -> rusqlite::Result<Self> {
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Self { conn, open: true })
    }

    fn commit(mut self) -> rusqlite::Result<()> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.open = false;
        Ok(())
    }
}

impl std::ops::Deref for Immediate<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Immediate<'_> {
    fn drop(&mut self) {
        // A failed statement may have ended the transaction already (SQLite rolls back by
        // itself on some errors); then there is nothing to roll back.
        if self.open && !self.conn.is_autocommit() {
            let rolled_back = self
                .conn
                .prepare_cached("ROLLBACK")
                .and_then(|mut rollback| rollback.execute([]));
            if let Err(e) = rolled_back {
                tracing::warn!(error = %e, "an intake transaction could not be rolled back");
            }
        }
    }
}

// Parameters borrow the batch's text and bytes rather than copy them.

fn text(s: &str) -> ToSqlOutput<'_> {
    ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
}

fn opt_text(s: Option<&str>) -> ToSqlOutput<'_> {
    s.map_or(ToSqlOutput::Owned(Value::Null), text)
}

fn int(i: i64) -> ToSqlOutput<'static> {
    ToSqlOutput::Owned(Value::Integer(i))
}

fn opt_int(i: Option<i64>) -> ToSqlOutput<'static> {
    i.map_or(ToSqlOutput::Owned(Value::Null), int)
}

fn insert_deliveries(
    tx: &Connection,
    items: &[CheckedItem],
) -> Result<Vec<Option<i64>>, StoreError> {
    let sql = [
        sql::INSERT_DELIVERIES,
        sql::DELIVERY_ROW,
        sql::DELIVERIES_ON_CONFLICT,
    ]
    .concat();
    let mut insert = tx.prepare_cached(&sql)?;
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let delivery = &item.delivery;
        let (body, codec) = super::body_codec::stored(item);
        let inserted = insert.execute(params_from_iter([
            text(&delivery.provider),
            opt_text(delivery.key.as_deref()),
            opt_text(delivery.team.as_deref()),
            text(&delivery.kind),
            text(&item.headers),
            ToSqlOutput::Borrowed(ValueRef::Blob(body)),
            text(codec),
            int(millis(delivery.received_at)),
            text(&delivery.outcome),
        ]))?;
        // Nothing inserted: the key is stored already (or earlier in this batch).
        ids.push((inserted == 1).then(|| tx.last_insert_rowid()));
    }
    Ok(ids)
}

/// As `super::create_all`: each inquiry stored with its `inquiry.created` event queued, or the
/// one the team already has from the same source with the same reference (`false`).
fn create_all<'a>(
    tx: &Connection,
    creates: &[&'a CheckedCreate],
    events: &mut Vec<NewEvent<'a>>,
) -> Result<Vec<(Inquiry, bool)>, StoreError> {
    let sql = [
        sql::INSERT_INQUIRIES,
        sql::INQUIRY_ROW,
        sql::INQUIRIES_ON_CONFLICT,
    ]
    .concat();
    let mut insert = tx.prepare_cached(&sql)?;
    let mut made = Vec::with_capacity(creates.len());
    for create in creates {
        let new = &create.new;
        let inserted = insert.execute(params_from_iter([
            text(&new.team),
            text(&new.source),
            opt_text(new.external_ref.as_deref()),
            opt_text(new.link.as_deref()),
            text(&new.title),
            text(&new.body),
            opt_text(new.reporter.as_deref()),
            text(&create.labels),
            opt_text(new.severity.as_deref()),
            int(millis(new.received_at)),
            opt_text(new.area.as_deref()),
            opt_text(new.priority.map(Priority::as_str)),
            opt_text(new.suggested_priority.map(Priority::as_str)),
            opt_text(new.suggestion_reason.as_deref()),
            text(new.state.as_str()),
            text(&new.assignee),
            opt_int(opt_millis(new.first_response_due)),
            opt_int(opt_millis(new.resolution_due)),
            opt_int(opt_millis(new.next_due)),
            int(millis(create.at)),
        ]))?;
        if inserted == 1 {
            let record = create.stored(tx.last_insert_rowid());
            events.push(create.event(&record)?);
            made.push((record, true));
        } else {
            let existing = tx
                .prepare_cached(sql::SELECT_BY_ORIGIN)?
                .query_row(
                    params_from_iter([
                        text(&new.team),
                        text(&new.source),
                        opt_text(new.external_ref.as_deref()),
                    ]),
                    InquiryRow::from_rusqlite,
                )?
                .into_record()?;
            made.push((existing, false));
        }
    }
    Ok(made)
}

/// As `super::save_in`: the changed inquiry written if the stored row still has the version
/// read and the same fixed fields, with its time entry and queued event; `None` otherwise.
fn save_in<'a>(
    tx: &Connection,
    save: &'a CheckedSave,
    events: &mut Vec<NewEvent<'a>>,
) -> Result<Option<Inquiry>, StoreError> {
    let inquiry = &save.inquiry;
    let change = &save.change;
    let params = [
        opt_text(inquiry.link.as_deref()),
        text(&inquiry.title),
        text(&inquiry.body),
        opt_text(inquiry.reporter.as_deref()),
        text(&save.labels),
        opt_text(inquiry.severity.as_deref()),
        opt_text(inquiry.area.as_deref()),
        opt_text(inquiry.priority.map(Priority::as_str)),
        opt_text(inquiry.suggested_priority.map(Priority::as_str)),
        opt_text(inquiry.suggestion_reason.as_deref()),
        text(inquiry.state.as_str()),
        text(&inquiry.assignee),
        opt_int(opt_millis(inquiry.first_response_at)),
        opt_int(opt_millis(inquiry.first_response_due)),
        opt_int(opt_millis(inquiry.resolution_due)),
        opt_int(opt_millis(inquiry.resolved_at)),
        text(&save.pauses),
        opt_text(inquiry.issue_url.as_deref()),
        int(inquiry.logged_minutes),
        int(i64::from(inquiry.should_escalate)),
        opt_int(opt_millis(inquiry.next_due)),
        int(millis(change.at)),
        int(inquiry.id),
        int(inquiry.version),
        text(&inquiry.team),
        text(&inquiry.source),
        opt_text(inquiry.external_ref.as_deref()),
        int(millis(inquiry.received_at)),
    ];
    let row = tx
        .prepare_cached(sql::SAVE_INQUIRY)?
        .query_row(params_from_iter(params.iter()), InquiryRow::from_rusqlite)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let stored = row.into_record()?;
    if let Some(entry) = &change.time_entry {
        tx.prepare_cached(sql::INSERT_TIME_ENTRY)?
            .execute(params_from_iter([
                int(stored.id),
                text(&stored.team),
                text(&entry.member),
                int(entry.minutes),
                opt_text(entry.note.as_deref()),
                int(millis(entry.at)),
            ]))?;
    }
    events.push(save.event());
    Ok(Some(stored))
}

/// As `super::append_all`: `events` in order.
fn append_all(tx: &Connection, events: &[NewEvent<'_>]) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(&[sql::INSERT_EVENTS, sql::EVENT_ROW].concat())?;
    for event in events {
        insert.execute(params_from_iter([
            opt_text(event.team),
            opt_int(event.inquiry_id),
            text(event.actor),
            text(event.kind),
            int(millis(event.at)),
            text(&event.data),
        ]))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IntakeItem, NewDelivery};
    use chrono::{TimeZone, Utc};

    fn item(key: &str) -> CheckedItem {
        let item = IntakeItem {
            delivery: NewDelivery {
                provider: "github".into(),
                key: Some(key.into()),
                team: None,
                kind: "ping".into(),
                headers: serde_json::json!({}),
                body: b"{}".to_vec(),
                received_at: Utc.with_ymd_and_hms(2022, 9, 26, 7, 0, 0).unwrap(),
                outcome: "ping".into(),
            },
            effects: Vec::new(),
            schedule_revision: None,
        };
        intake::check_items(vec![item]).unwrap().remove(0)
    }

    /// Joined batches whose transaction fails are written one by one: the batch at fault gets
    /// the error, the others are stored with their own outcomes.
    #[tokio::test]
    async fn a_failing_batch_does_not_fail_those_joined_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baton.db");
        let url = format!("sqlite://{}", path.display());
        let _store = crate::open(&url, crate::OpenMode::Create).await.unwrap();
        let conn = open(&path).unwrap();

        // One the store's checks let through but the schema refuses (an empty provider).
        let mut bad = item("github:bad");
        bad.delivery.provider = String::new();
        let mut replies = Vec::new();
        let mut jobs = Vec::new();
        for items in [vec![item("github:1")], vec![bad], vec![item("github:2")]] {
            let (reply, answer) = oneshot::channel();
            jobs.push(Job::Batch { items, reply });
            replies.push(answer);
        }
        write_joined(&conn, jobs);

        let mut answers = Vec::new();
        for answer in replies {
            answers.push(answer.await.unwrap());
        }
        for good in [&answers[0], &answers[2]] {
            let (items, outcomes) = good.as_ref().unwrap();
            assert_eq!(items.len(), 1);
            assert!(
                matches!(outcomes[..], [IntakeOutcome::Stored { .. }]),
                "{outcomes:?}"
            );
        }
        assert!(
            matches!(answers[1], Err(StoreError::Invalid(_))),
            "{:?}",
            answers[1].as_ref().err()
        );
        let stored: i64 = conn
            .query_row("SELECT count(*) FROM deliveries", [], |row| row.get(0))
            .unwrap();
        assert_eq!(stored, 2);
    }

    /// An acknowledged delivery must survive a power loss, not only a crash of baton: every
    /// connection that commits (the store's pool and intake's own) syncs the WAL at each
    /// commit (`synchronous=FULL`, 2), in WAL mode.
    #[tokio::test]
    async fn every_writing_connection_syncs_each_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baton.db");
        let url = format!("sqlite://{}", path.display());
        let store = super::super::SqliteStore::connect(&url, crate::OpenMode::Create)
            .await
            .unwrap();
        let (journal, synchronous): (String, i64) = {
            let mut conn = store.pool.acquire().await.unwrap();
            let journal = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            let synchronous = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            (journal, synchronous)
        };
        assert_eq!((journal.as_str(), synchronous), ("wal", 2));

        let conn = open(&path).unwrap();
        let journal: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        let synchronous: i64 = conn
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .unwrap();
        assert_eq!((journal.as_str(), synchronous), ("wal", 2));
    }
}
