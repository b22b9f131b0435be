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
//!   SQLite store keeps them; the faster of the two is the ceiling.
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
use baton_server::intake::audit_headers;
use baton_store::bench_support;
use chrono::Utc;
use rusqlite::{params, Connection};
use sqlx::postgres::{PgPool, PgPoolOptions};
use tokio::sync::{oneshot, Mutex};

use super::{
    bare_hook, Error, ScratchDatabase, Serving, BARE_TABLE_POSTGRES, BARE_TABLE_SQLITE, OUTCOME,
    POSTGRES_BARE_INSERT,
};

/// The row of one request, and where its commit is answered.
struct Pending {
    key: String,
    headers: String,
    body: Bytes,
    received_at_ms: i64,
    reply: oneshot::Sender<Result<(), String>>,
}

/// Where a request's row goes, and whether its body is lz4-compressed first (on the request's
/// task, as the SQLite store does).
#[derive(Clone)]
struct Bare {
    queue: Queue,
    compress: bool,
}

/// The SQLite thread or the PostgreSQL writer tasks.
#[derive(Clone)]
enum Queue {
    Sqlite(mpsc::Sender<Pending>),
    Postgres(tokio::sync::mpsc::UnboundedSender<Pending>),
}

async fn insert_hook(State(bare): State<Bare>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let checked = bare_hook(headers.clone(), body.clone()).await;
    if !checked.is_success() {
        return checked;
    }
    let Some(key) = headers
        .get(baton_integrations::github::DELIVERY_HEADER)
        .and_then(|v| v.to_str().ok())
    else {
        return StatusCode::BAD_REQUEST;
    };
    let (reply, committed) = oneshot::channel();
    let body = if bare.compress {
        Bytes::from(lz4_flex::compress_prepend_size(&body))
    } else {
        body
    };
    let pending = Pending {
        key: format!("github:{key}"),
        headers: audit_headers(&headers).to_string(),
        body,
        received_at_ms: Utc::now().timestamp_millis(),
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

/// A running bare-insert server; [`BareHttp::finish`] stops it and counts the rows it stored.
pub struct BareHttp {
    serving: Serving,
    store: BareStore,
}

enum BareStore {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
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

    /// Starts the server over a fresh SQLite file (on the calling runtime); with `compress`,
    /// bodies are stored lz4-compressed.
    pub async fn sqlite(batch: usize, compress: bool) -> Result<Self, Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("bare.db");
        open_sqlite(&path)?.execute_batch(BARE_TABLE_SQLITE)?;
        let (queue, rows) = mpsc::channel();
        let thread_path = path.clone();
        let writer = std::thread::Builder::new()
            .name("bare-sqlite".into())
            .spawn(move || sqlite_writer(&thread_path, rows, batch))?;
        let queue = Queue::Sqlite(queue);
        let serving = serve(Bare { queue, compress }).await?;
        Ok(Self {
            serving,
            store: BareStore::Sqlite {
                _dir: dir,
                path,
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
        let compress = false;
        let serving = serve(Bare { queue, compress }).await?;
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
            BareStore::Sqlite { _dir, path, writer } => {
                tokio::task::spawn_blocking(move || writer.join())
                    .await?
                    .map_err(|_| "the bare SQLite writer panicked")?;
                let conn = open_sqlite(&path)?;
                Ok(conn.query_row("SELECT count(*) FROM bare_deliveries", [], |r| r.get(0))?)
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

/// Bytes a row adds to the WAL, as the store estimates them for a delivery without effects.
fn wal_bytes(p: &Pending) -> usize {
    p.body.len() + p.headers.len() + 4096
}

const CHECKPOINT_EVERY_BYTES: usize = 4_000 * 4096;
const RESTART_AT_FRAMES: i64 = 65_536;

fn sqlite_writer(path: &Path, rows: mpsc::Receiver<Pending>, batch: usize) {
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
        let committed = (|| {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let mut insert = conn.prepare_cached(
                "INSERT INTO bare_deliveries (provider, key, team, kind, headers, body, \
                 received_at_ms, outcome) VALUES ('github', ?, 'integrations', 'issues.opened', \
                 ?, ?, ?, ?)",
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
            conn.execute_batch("COMMIT")
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
