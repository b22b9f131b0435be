//! (b) over HTTP: the bare endpoint that also stores each delivery before answering, as a
//! server that keeps webhooks and does nothing else with them would. The same axum stack checks
//! the signature and parses the event; the delivery's row (raw body, audit headers, key, …) is
//! handed to a group-commit writer, and the 202 goes out once the transaction holding it has
//! committed. No deciding, no inquiry, no event, no index but the primary key: the ceiling for
//! intake served by this machine, measured through the same load generator.
//!
//! - SQLite: one thread owns a rusqlite connection opened as intake's writing thread opens its
//!   own (WAL, `synchronous=FULL`, a 16 MiB cache, statement journals in memory, the
//!   WAL-buffering VFS: `bench_support::sqlite_writer_connection`) and writes whatever
//!   requests wait, up to `--batch` rows, in one `BEGIN IMMEDIATE` transaction of prepared
//!   single-row `INSERT`s; checkpoints run as intake's do (PASSIVE on another connection every
//!   ~16 MB written, a last pass on the writer's own once the WAL holds 65,536 frames). It runs
//!   twice: with the raw bodies, and with bodies lz4-compressed on the request's task as the
//!   SQLite store keeps them; the faster of the two is the ceiling. A third variant,
//!   [`Stored::IntakeRows`], stores what intake stores for such a delivery, in the store's own
//!   migrated schema (every CHECK, index and trigger): the delivery with its lz4 body, an
//!   inquiry made from the issue without deciding anything (fixed assignee, no rubric, deadlines
//!   a fixed time after arrival), and its `inquiry.created` event carrying the inquiry as JSON.
//!   It is not a ceiling but a measure of how much of intake's cost is what it stores.
//! - PostgreSQL: four writer tasks (as many as intake runs) each take whatever waits, up to
//!   `--batch` rows, into one `INSERT … SELECT FROM UNNEST` transaction.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use baton_core::inquiry::{self, Inquiry};
use baton_integrations::github;
use baton_server::intake::audit_headers;
use baton_store::{bench_support, OpenMode};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use sqlx::postgres::{PgPool, PgPoolOptions};
use tokio::sync::{oneshot, Mutex};

use super::{
    verified_issue, Error, ScratchDatabase, Serving, BARE_TABLE_POSTGRES, BARE_TABLE_SQLITE,
    OUTCOME, POSTGRES_BARE_INSERT,
};

/// The row of one request, and where its commit is answered.
struct Pending {
    key: String,
    headers: String,
    body: Bytes,
    received_at_ms: i64,
    /// With [`Stored::IntakeRows`]: the inquiry to store beside the delivery.
    inquiry: Option<Box<NewInquiry>>,
    reply: oneshot::Sender<Result<(), String>>,
}

/// An inquiry as intake would store it for an `issues.opened` delivery, made without deciding.
struct NewInquiry {
    inquiry: Inquiry,
    /// Its labels as the JSON array the `labels` column holds.
    labels: String,
    actor: String,
}

/// What the SQLite bare insert stores for each delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// The delivery's row, its body as received, into a table with no index.
    Raw,
    /// The same, its body lz4-compressed on the request's task (as the SQLite store keeps it).
    Lz4,
    /// What intake stores, in the store's migrated schema: the delivery (lz4), its inquiry and
    /// the inquiry's event.
    IntakeRows,
}

/// Where a request's row goes, and what is stored of it.
#[derive(Clone)]
struct Bare {
    queue: Queue,
    stored: Stored,
}

/// The SQLite thread or the PostgreSQL writer tasks.
#[derive(Clone)]
enum Queue {
    Sqlite(mpsc::Sender<Pending>),
    Postgres(tokio::sync::mpsc::UnboundedSender<Pending>),
}

async fn insert_hook(State(bare): State<Bare>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let event = match verified_issue(&headers, &body) {
        Ok(event) => event,
        Err(status) => return status,
    };
    let Some(key) = headers
        .get(baton_integrations::github::DELIVERY_HEADER)
        .and_then(|v| v.to_str().ok())
    else {
        return StatusCode::BAD_REQUEST;
    };
    let (reply, committed) = oneshot::channel();
    let body = match bare.stored {
        Stored::Raw => body,
        Stored::Lz4 | Stored::IntakeRows => Bytes::from(lz4_flex::compress_prepend_size(&body)),
    };
    let received_at = Utc::now();
    let inquiry = match bare.stored {
        Stored::IntakeRows => match new_inquiry(event, received_at) {
            Ok(inquiry) => Some(Box::new(inquiry)),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR,
        },
        Stored::Raw | Stored::Lz4 => None,
    };
    let pending = Pending {
        key: format!("github:{key}"),
        headers: audit_headers(&headers).to_string(),
        body,
        received_at_ms: received_at.timestamp_millis(),
        inquiry,
        reply,
    };
    let queued = match &bare.queue {
        Queue::Sqlite(q) => q.send(pending).is_ok(),
        Queue::Postgres(q) => q.send(pending).is_ok(),
    };
    if !queued {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match committed.await {
        Ok(Ok(())) => StatusCode::ACCEPTED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The inquiry intake makes of `event` for the Integrations team, with what deciding would add
/// fixed: the member on duty, no suggestion, deadlines 4 and 16 hours after arrival.
fn new_inquiry(
    event: github::IssuesEvent,
    received_at: DateTime<Utc>,
) -> serde_json::Result<NewInquiry> {
    let issue = event.issue;
    let labels = serde_json::to_string(&issue.labels)?;
    let first_response_due = received_at + chrono::Duration::hours(4);
    let inquiry = Inquiry {
        id: 0,
        team: "integrations".into(),
        source: "team/integrations".into(),
        external_ref: Some(issue.html_url.clone()),
        link: Some(issue.html_url),
        title: issue.title,
        body: issue.body,
        reporter: Some(format!("github:{}", issue.user)),
        labels: issue.labels,
        severity: None,
        received_at,
        area: None,
        priority: None,
        suggested_priority: None,
        suggestion_reason: None,
        state: inquiry::State::New,
        assignee: "taras".into(),
        first_response_at: None,
        first_response_due: Some(first_response_due),
        resolution_due: Some(received_at + chrono::Duration::hours(16)),
        resolved_at: None,
        pauses: Vec::new(),
        issue_url: None,
        logged_minutes: 0,
        should_escalate: false,
        next_due: Some(first_response_due),
        updated_at: received_at,
        version: 1,
    };
    Ok(NewInquiry {
        inquiry,
        labels,
        actor: format!("github:{}", event.sender),
    })
}

/// A running bare-insert server; [`BareHttp::finish`] stops it and counts the rows it stored.
pub struct BareHttp {
    serving: Serving,
    store: BareStore,
}

enum BareStore {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
        stored: Stored,
        writer: std::thread::JoinHandle<()>,
    },
    Postgres {
        database: ScratchDatabase,
        pool: PgPool,
        writers: Vec<tokio::task::JoinHandle<()>>,
    },
}

async fn serve(bare: Bare) -> Result<Serving, Error> {
    let router = Router::new()
        .route("/hooks/github", post(insert_hook))
        .with_state(bare);
    super::serve(router, "the bare insert server").await
}

impl BareHttp {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.serving.addr
    }

    /// Starts the server over a fresh SQLite file (on the calling runtime), storing `stored`.
    pub async fn sqlite(batch: usize, stored: Stored) -> Result<Self, Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("bare.db");
        match stored {
            Stored::Raw | Stored::Lz4 => open_sqlite(&path)?.execute_batch(BARE_TABLE_SQLITE)?,
            Stored::IntakeRows => {
                // The store's own schema, migrated as `baton migrate` does.
                let url = format!("sqlite://{}", path.display());
                drop(baton_store::open(&url, OpenMode::Create).await?);
            }
        }
        let (queue, rows) = mpsc::channel();
        let thread_path = path.clone();
        let writer = std::thread::Builder::new()
            .name("bare-sqlite".into())
            .spawn(move || sqlite_writer(&thread_path, rows, batch, stored))?;
        let queue = Queue::Sqlite(queue);
        let serving = serve(Bare { queue, stored }).await?;
        Ok(Self {
            serving,
            store: BareStore::Sqlite {
                _dir: dir,
                path,
                stored,
                writer,
            },
        })
    }

    /// Starts the server over a fresh PostgreSQL database made through `server`.
    pub async fn postgres(server: &str, batch: usize) -> Result<Self, Error> {
        let database = super::scratch_database(server).await?;
        let pool = PgPoolOptions::new().connect(&database.url).await?;
        sqlx::query(BARE_TABLE_POSTGRES).execute(&pool).await?;
        sqlx::query(baton_store::bench_support::POSTGRES_BARE_COMPRESSION)
            .execute(&pool)
            .await?;
        let (queue, rows) = tokio::sync::mpsc::unbounded_channel();
        let rows = Arc::new(Mutex::new(rows));
        let writers = (0..4)
            .map(|_| tokio::spawn(postgres_writer(pool.clone(), rows.clone(), batch)))
            .collect();
        let queue = Queue::Postgres(queue);
        let serving = serve(Bare {
            queue,
            stored: Stored::Raw,
        })
        .await?;
        Ok(Self {
            serving,
            store: BareStore::Postgres {
                database,
                pool,
                writers,
            },
        })
    }

    /// Stops the server and its writers; the number of rows stored.
    pub async fn finish(self) -> Result<i64, Error> {
        let _ = self.serving.stop.send(());
        // The router (and with it the queue's last sender) is dropped once serving ends, which
        // lets the writers finish.
        self.serving.served.await?;
        match self.store {
            BareStore::Sqlite {
                _dir,
                path,
                stored,
                writer,
            } => {
                tokio::task::spawn_blocking(move || writer.join())
                    .await?
                    .map_err(|_| "the bare SQLite writer panicked")?;
                let conn = open_sqlite(&path)?;
                let count = match stored {
                    Stored::Raw | Stored::Lz4 => "SELECT count(*) FROM bare_deliveries",
                    // Every delivery must have made its inquiry and its event.
                    Stored::IntakeRows => {
                        "SELECT min((SELECT count(*) FROM deliveries), \
                         (SELECT count(*) FROM inquiries), (SELECT count(*) FROM events))"
                    }
                };
                Ok(conn.query_row(count, [], |r| r.get(0))?)
            }
            BareStore::Postgres {
                database,
                pool,
                writers,
            } => {
                for writer in writers {
                    writer.await?;
                }
                let count = sqlx::query_scalar("SELECT count(*) FROM bare_deliveries")
                    .fetch_one(&pool)
                    .await;
                pool.close().await;
                database.drop().await?;
                Ok(count?)
            }
        }
    }
}

/// A connection with the store's settings (`baton_store::bench_support::sqlite_options`), for
/// everything but writing rows: the writer's is opened as intake's batch thread opens its own
/// (`bench_support::sqlite_writer_connection`).
fn open_sqlite(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -16384; \
         PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4000;",
    )?;
    Ok(conn)
}

/// Bytes a row adds to the WAL, as the store estimates them for a delivery without effects,
/// plus (with [`Stored::IntakeRows`]) the inquiry's text twice (its row and its event).
fn wal_bytes(p: &Pending) -> usize {
    let inquiry = p.inquiry.as_ref().map_or(0, |i| {
        2 * (i.inquiry.title.len() + i.inquiry.body.len() + i.labels.len()) + 4096
    });
    p.body.len() + p.headers.len() + 4096 + inquiry
}

/// With [`Stored::IntakeRows`]: the delivery into `deliveries` (skipped if its key is stored),
/// its inquiry into `inquiries` and the `inquiry.created` event into `events`, as intake's
/// writing thread stores them (prepared single-row statements, the event's JSON made once the
/// inquiry has its id).
fn insert_intake_rows(conn: &Connection, pending: &[Pending]) -> Result<(), Error> {
    let mut delivery = conn.prepare_cached(
        "INSERT INTO deliveries (provider, key, team, kind, headers, body, body_codec, \
         received_at_ms, outcome) VALUES ('github', ?, 'integrations', 'issues.opened', ?, ?, \
         'lz4', ?, ?) ON CONFLICT (key) DO NOTHING",
    )?;
    let mut inquiry = conn.prepare_cached(
        "INSERT INTO inquiries (team, source, external_ref, link, title, body, reporter, labels, \
         received_at_ms, state, assignee, first_response_due_ms, resolution_due_ms, next_due_ms, \
         updated_at_ms, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, 1) \
         ON CONFLICT (team, source, external_ref) DO NOTHING",
    )?;
    let mut event = conn.prepare_cached(
        "INSERT INTO events (team, inquiry_id, actor, kind, occurred_at_ms, data) \
         VALUES (?, ?, ?, 'inquiry.created', ?, ?)",
    )?;
    let ms = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_millis());
    for p in pending {
        let Some(new) = &p.inquiry else {
            return Err("a delivery without its inquiry".into());
        };
        if delivery.execute(params![
            p.key,
            p.headers,
            p.body.as_ref(),
            p.received_at_ms,
            OUTCOME
        ])? == 0
        {
            continue;
        }
        let i = &new.inquiry;
        // None made: the team has it already from the same reference, and, as in intake, no
        // event is written for it.
        let made = inquiry.execute(params![
            i.team,
            i.source,
            i.external_ref,
            i.link,
            i.title,
            i.body,
            i.reporter,
            new.labels,
            p.received_at_ms,
            i.assignee,
            ms(i.first_response_due),
            ms(i.resolution_due),
            ms(i.next_due),
            p.received_at_ms,
        ])?;
        if made == 0 {
            continue;
        }
        let id = conn.last_insert_rowid();
        let data = serde_json::to_string(&Inquiry { id, ..i.clone() })?;
        event.execute(params![i.team, id, new.actor, p.received_at_ms, data])?;
    }
    Ok(())
}

const CHECKPOINT_EVERY_BYTES: usize = 4_000 * 4096;
const RESTART_AT_FRAMES: i64 = 65_536;

fn sqlite_writer(path: &Path, rows: mpsc::Receiver<Pending>, batch: usize, stored: Stored) {
    let conn = match bench_support::sqlite_writer_connection(path) {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("the bare SQLite writer cannot open {}: {e}", path.display());
            return;
        }
    };
    // The background checkpoints: one at a time, on a thread with a connection of its own.
    let restart = Arc::new(AtomicBool::new(false));
    let (checkpoint, requests) = mpsc::sync_channel::<()>(1);
    let checkpointer = {
        let (path, restart) = (path.to_owned(), restart.clone());
        std::thread::spawn(move || {
            let Ok(conn) = open_sqlite(&path) else {
                return;
            };
            while requests.recv().is_ok() {
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
                    Ok(log) if log >= RESTART_AT_FRAMES => restart.store(true, Ordering::Release),
                    Ok(_) => {}
                    Err(e) => eprintln!("a checkpoint of the bare table failed: {e}"),
                }
            }
        })
    };
    let mut written = 0;
    while let Ok(first) = rows.recv() {
        let mut pending = vec![first];
        while pending.len() < batch {
            match rows.try_recv() {
                Ok(next) => pending.push(next),
                Err(_) => break,
            }
        }
        if restart.swap(false, Ordering::AcqRel) {
            if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
                eprintln!("a checkpoint of the bare table failed: {e}");
            }
        }
        let committed = (|| -> Result<(), Error> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            if stored == Stored::IntakeRows {
                insert_intake_rows(&conn, &pending)?;
            } else {
                let mut insert = conn.prepare_cached(
                    "INSERT INTO bare_deliveries (provider, key, team, kind, headers, body, \
                     received_at_ms, outcome) VALUES ('github', ?, 'integrations', \
                     'issues.opened', ?, ?, ?, ?)",
                )?;
                for p in &pending {
                    insert.execute(params![
                        p.key,
                        p.headers,
                        p.body.as_ref(),
                        p.received_at_ms,
                        OUTCOME
                    ])?;
                }
            }
            Ok(conn.execute_batch("COMMIT")?)
        })();
        if committed.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        written += pending.iter().map(wal_bytes).sum::<usize>();
        for p in pending {
            let _ = p
                .reply
                .send(committed.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        }
        if written >= CHECKPOINT_EVERY_BYTES && checkpoint.try_send(()).is_ok() {
            written = 0;
        }
    }
    drop(checkpoint);
    let _ = checkpointer.join();
}

async fn postgres_writer(
    pool: PgPool,
    rows: Arc<Mutex<tokio::sync::mpsc::UnboundedReceiver<Pending>>>,
    batch: usize,
) {
    loop {
        let mut pending = Vec::new();
        {
            let mut rows = rows.lock().await;
            let Some(first) = rows.recv().await else {
                return;
            };
            pending.push(first);
            while pending.len() < batch {
                match rows.try_recv() {
                    Ok(next) => pending.push(next),
                    Err(_) => break,
                }
            }
        }
        let committed = async {
            let mut tx = pool.begin().await?;
            sqlx::query(POSTGRES_BARE_INSERT)
                .bind(pending.iter().map(|p| p.key.as_str()).collect::<Vec<_>>())
                .bind(
                    pending
                        .iter()
                        .map(|p| p.headers.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(pending.iter().map(|p| p.body.as_ref()).collect::<Vec<_>>())
                .bind(OUTCOME)
                .bind(pending.iter().map(|p| p.received_at_ms).collect::<Vec<_>>())
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await;
        for p in pending {
            let _ = p
                .reply
                .send(committed.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        }
    }
}
