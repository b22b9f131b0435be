//! Webhook intake against the bare batched insert it is built around: how many GitHub-like
//! deliveries per second `Store::commit_intake` stores (each delivery with its ~10 KB body, the
//! inquiry it creates and that inquiry's event), compared with inserting the same deliveries'
//! rows, and nothing else, into a plain table of the same shape, in transactions of the same
//! size, through sqlx with the same connection settings.
//!
//! ```text
//! cargo run --release -p baton-store --example intake_bench -- --backend sqlite \
//!     --deliveries 50000 --batch 256
//! cargo run --release -p baton-store --example intake_bench -- --backend postgres \
//!     --deliveries 50000 --batch 256 [--url postgres://postgres@127.0.0.1:5432/test]
//! ```
//!
//! Each run measures, each on a fresh database (SQLite: a new file in a temporary directory,
//! WAL, `synchronous=NORMAL`, as the store opens it; PostgreSQL: a new database created through
//! `--url`, or `BATON_TEST_DATABASE_URL`, and dropped afterwards):
//!
//! - `bare`: the baseline. A plain table with the columns of `deliveries` and no index besides
//!   its primary key; per batch one transaction (SQLite: `BEGIN IMMEDIATE`, as the store's
//!   writes) with one prepared single-row `INSERT` per delivery.
//! - `bare multi-row`: the same rows, one multi-row `INSERT` per batch (SQLite: `VALUES (…),
//!   (…)`; PostgreSQL: `INSERT … SELECT FROM UNNEST`), for reference.
//! - `intake`: `Store::commit_intake` on a store opened with its migrations, one call per batch;
//!   every delivery has its own key and creates one inquiry (one `inquiry.created` event).
//!
//! Only the database calls are timed; generating a batch's payloads is not. Rows per second are
//! reported per run and as medians over `--runs` (3) runs, with the ratio intake ÷ bare.

use std::time::{Duration, Instant};

use baton_core::inquiry::{NewInquiry, State};
use baton_store::{
    bench_support, open, IntakeEffect, IntakeItem, IntakeOutcome, NewDelivery, OpenMode, Store,
};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{PgPool, SqlitePool};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

struct Args {
    backend: Backend,
    deliveries: usize,
    batch: usize,
    runs: usize,
    body_bytes: usize,
    url: Option<String>,
    /// Measure only this kind (for profiling); the ratios are then meaningless.
    only: Option<Kind>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        backend: Backend::Sqlite,
        deliveries: 50_000,
        batch: 256,
        runs: 3,
        body_bytes: 10 * 1024,
        url: std::env::var("BATON_TEST_DATABASE_URL").ok(),
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |text: String| {
            text.parse::<usize>()
                .map_err(|e| format!("{arg}: {e}"))
                .and_then(|n| match n {
                    0 => Err(format!("{arg} must be at least 1")),
                    n => Ok(n),
                })
        };
        match arg.as_str() {
            "--backend" => {
                args.backend = match value()?.as_str() {
                    "sqlite" => Backend::Sqlite,
                    "postgres" | "postgresql" => Backend::Postgres,
                    other => return Err(format!("unknown backend {other:?}")),
                }
            }
            "--deliveries" => args.deliveries = number(value()?)?,
            "--batch" => args.batch = number(value()?)?,
            "--runs" => args.runs = number(value()?)?,
            "--body-bytes" => args.body_bytes = number(value()?)?,
            "--url" => args.url = Some(value()?),
            "--only" => {
                args.only = Some(match value()?.as_str() {
                    "bare" => Kind::Bare,
                    "bare-multi-row" => Kind::BareMultiRow,
                    "intake" => Kind::Intake,
                    other => return Err(format!("unknown kind {other:?}")),
                })
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: --backend sqlite|postgres \
                     [--deliveries N] [--batch N] [--runs N] [--body-bytes N] \
                     [--url postgres://…] [--only bare|bare-multi-row|intake]"
                ))
            }
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let server = match args.backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(
            args.url
                .clone()
                .ok_or("--backend postgres needs --url or BATON_TEST_DATABASE_URL")?,
        ),
    };
    println!(
        "backend {:?}: {} deliveries of ~{} bytes in batches of {}, {} runs",
        args.backend, args.deliveries, args.body_bytes, args.batch, args.runs
    );
    let mut results: Vec<[f64; 3]> = Vec::new();
    for run in 1..=args.runs {
        let mut rates = [0.0; 3];
        for (i, kind) in [Kind::Bare, Kind::BareMultiRow, Kind::Intake]
            .into_iter()
            .enumerate()
        {
            if args.only.is_some_and(|only| only != kind) {
                continue;
            }
            let elapsed = match &server {
                None => {
                    let dir = tempfile::tempdir()?;
                    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                    measure(&args, kind, &url).await?
                }
                Some(server) => {
                    let name = format!("baton_intake_bench_{}", std::process::id());
                    let scratch = bench_support::ScratchDatabase::create(server, &name).await?;
                    let outcome = measure(&args, kind, &scratch.url).await;
                    scratch.drop().await?;
                    outcome?
                }
            };
            rates[i] = args.deliveries as f64 / elapsed.as_secs_f64();
            println!(
                "run {run}: {:<15} {:>8.0} rows/s ({:.2} s)",
                kind.label(),
                rates[i],
                elapsed.as_secs_f64()
            );
        }
        println!(
            "run {run}: intake / bare = {:.2}, intake / bare multi-row = {:.2}",
            rates[2] / rates[0],
            rates[2] / rates[1]
        );
        results.push(rates);
    }
    let median = |i: usize| {
        let mut values: Vec<f64> = results.iter().map(|r| r[i]).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let ratio = |i: usize| {
        let mut values: Vec<f64> = results.iter().map(|r| r[2] / r[i]).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    println!("medians of {} runs ({:?}):", args.runs, args.backend);
    println!("  bare            {:>8.0} rows/s", median(0));
    println!("  bare multi-row  {:>8.0} rows/s", median(1));
    println!("  intake          {:>8.0} deliveries/s", median(2));
    println!(
        "  intake / bare = {:.2} (ratio of medians; median of per-run ratios {:.2}), \
         intake / bare multi-row = {:.2}",
        median(2) / median(0),
        ratio(0),
        median(2) / median(1)
    );
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Bare,
    BareMultiRow,
    Intake,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Bare => "bare",
            Kind::BareMultiRow => "bare multi-row",
            Kind::Intake => "intake",
        }
    }
}

/// The time the database calls of one kind of run took, on the fresh database at `url`.
async fn measure(
    args: &Args,
    kind: Kind,
    url: &str,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let start = Utc::now();
    let mut elapsed = Duration::ZERO;
    let batches = (0..args.deliveries).step_by(args.batch).map(|first| {
        let last = (first + args.batch).min(args.deliveries);
        first..last
    });
    match kind {
        Kind::Intake => {
            let store = open(url, OpenMode::Create).await?;
            let mut stored = 0;
            for range in batches {
                let items: Vec<IntakeItem> = range
                    .map(|i| github_delivery(i, args.body_bytes, start))
                    .collect();
                let t = Instant::now();
                let outcomes = store.commit_intake(items).await?;
                elapsed += t.elapsed();
                stored += outcomes
                    .iter()
                    .filter(|o| matches!(o, IntakeOutcome::Stored { .. }))
                    .count();
            }
            check_intake(store.as_ref(), stored, args.deliveries).await?;
            if args.backend == Backend::Sqlite {
                report_size(&sqlite_pool(url).await?, kind).await?;
            }
        }
        Kind::Bare | Kind::BareMultiRow => {
            let multi_row = kind == Kind::BareMultiRow;
            match args.backend {
                Backend::Sqlite => {
                    let pool = sqlite_pool(url).await?;
                    sqlx::query(BARE_TABLE_SQLITE).execute(&pool).await?;
                    for range in batches {
                        let rows: Vec<NewDelivery> = range
                            .map(|i| github_delivery(i, args.body_bytes, start).delivery)
                            .collect();
                        let t = Instant::now();
                        bare_sqlite(&pool, &rows, multi_row).await?;
                        elapsed += t.elapsed();
                    }
                    check_bare(&pool, args.deliveries).await?;
                    report_size(&pool, kind).await?;
                }
                Backend::Postgres => {
                    let pool = PgPoolOptions::new().connect(url).await?;
                    sqlx::query(BARE_TABLE_POSTGRES).execute(&pool).await?;
                    sqlx::query(bench_support::POSTGRES_BARE_COMPRESSION)
                        .execute(&pool)
                        .await?;
                    for range in batches {
                        let rows: Vec<NewDelivery> = range
                            .map(|i| github_delivery(i, args.body_bytes, start).delivery)
                            .collect();
                        let t = Instant::now();
                        bare_postgres(&pool, &rows, multi_row).await?;
                        elapsed += t.elapsed();
                    }
                    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM bare_deliveries")
                        .fetch_one(&pool)
                        .await?;
                    assert_eq!(count as usize, args.deliveries);
                }
            }
        }
    }
    Ok(elapsed)
}

async fn check_intake(
    store: &dyn Store,
    stored: usize,
    expected: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    assert_eq!(stored, expected, "every delivery is new");
    let inquiries: i64 = store
        .count_inquiries()
        .await?
        .iter()
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(inquiries as usize, expected, "one inquiry per delivery");
    Ok(())
}

/// Prints the size of the SQLite database (after a checkpoint): what a run wrote.
async fn report_size(pool: &SqlitePool, kind: Kind) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await?;
    let bytes: i64 = sqlx::query_scalar(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
    )
    .fetch_one(pool)
    .await?;
    println!(
        "         {:<15} database file {:.1} MB",
        kind.label(),
        bytes as f64 / 1e6
    );
    Ok(())
}

async fn check_bare(pool: &SqlitePool, expected: usize) -> Result<(), sqlx::Error> {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM bare_deliveries")
        .fetch_one(pool)
        .await?;
    assert_eq!(count as usize, expected);
    Ok(())
}

// ---- the baseline ---------------------------------------------------------------------------

/// The shape of `deliveries` (0003_deliveries.sql) without its constraints and indexes.
const BARE_TABLE_SQLITE: &str = "CREATE TABLE bare_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, key TEXT, team TEXT,
    kind TEXT NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL,
    received_at_ms INTEGER NOT NULL, outcome TEXT NOT NULL) STRICT";
const BARE_TABLE_POSTGRES: &str = "CREATE TABLE bare_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, provider TEXT NOT NULL, key TEXT,
    team TEXT, kind TEXT NOT NULL, headers JSONB NOT NULL, body BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL, outcome TEXT NOT NULL)";

/// A pool with the connection settings of `SqliteStore` (pragmas included).
async fn sqlite_pool(url: &str) -> Result<SqlitePool, Box<dyn std::error::Error>> {
    let options = bench_support::sqlite_options(url)?;
    Ok(SqlitePoolOptions::new().connect_with(options).await?)
}

async fn bare_sqlite(
    pool: &SqlitePool,
    rows: &[NewDelivery],
    multi_row: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let headers: Vec<String> = rows
        .iter()
        .map(|d| serde_json::to_string(&d.headers))
        .collect::<Result<_, _>>()?;
    const COLUMNS: &str = "INSERT INTO bare_deliveries (provider, key, team, kind, headers, \
                           body, received_at_ms, outcome) VALUES ";
    if multi_row {
        // 8 parameters a row: at most 4,000 rows a statement (SQLite allows 32,766).
        for (chunk, headers) in rows.chunks(4_000).zip(headers.chunks(4_000)) {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!("{COLUMNS}{values}");
            let mut query = sqlx::query(&sql);
            for (d, h) in chunk.iter().zip(headers) {
                query = query
                    .bind(d.provider.as_str())
                    .bind(d.key.as_deref())
                    .bind(d.team.as_deref())
                    .bind(d.kind.as_str())
                    .bind(h.as_str())
                    .bind(d.body.as_slice())
                    .bind(d.received_at.timestamp_millis())
                    .bind(d.outcome.as_str());
            }
            query.execute(&mut *tx).await?;
        }
    } else {
        let sql = format!("{COLUMNS}(?, ?, ?, ?, ?, ?, ?, ?)");
        for (d, h) in rows.iter().zip(&headers) {
            sqlx::query(&sql)
                .bind(d.provider.as_str())
                .bind(d.key.as_deref())
                .bind(d.team.as_deref())
                .bind(d.kind.as_str())
                .bind(h.as_str())
                .bind(d.body.as_slice())
                .bind(d.received_at.timestamp_millis())
                .bind(d.outcome.as_str())
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn bare_postgres(
    pool: &PgPool,
    rows: &[NewDelivery],
    multi_row: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut tx = pool.begin().await?;
    let headers: Vec<String> = rows
        .iter()
        .map(|d| serde_json::to_string(&d.headers))
        .collect::<Result<_, _>>()?;
    if multi_row {
        sqlx::query(
            "INSERT INTO bare_deliveries (provider, key, team, kind, headers, body, received_at,
                                          outcome)
             SELECT provider, key, team, kind, headers::jsonb, body, received_at, outcome
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::bytea[], $7::timestamptz[], $8::text[])
                  AS d (provider, key, team, kind, headers, body, received_at, outcome)",
        )
        .bind(rows.iter().map(|d| d.provider.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.key.as_deref()).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.team.as_deref()).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>())
        .bind(headers.iter().map(String::as_str).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.body.as_slice()).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.received_at).collect::<Vec<_>>())
        .bind(rows.iter().map(|d| d.outcome.as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    } else {
        for (d, h) in rows.iter().zip(&headers) {
            sqlx::query(
                "INSERT INTO bare_deliveries (provider, key, team, kind, headers, body,
                                              received_at, outcome)
                 VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)",
            )
            .bind(d.provider.as_str())
            .bind(d.key.as_deref())
            .bind(d.team.as_deref())
            .bind(d.kind.as_str())
            .bind(h.as_str())
            .bind(d.body.as_slice())
            .bind(d.received_at)
            .bind(d.outcome.as_str())
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

// ---- GitHub-like deliveries -----------------------------------------------------------------

/// A small deterministic generator (SplitMix64), so that every run writes the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "plugin",
    "crash",
    "index",
    "completion",
    "editor",
    "token",
    "failed",
    "extension",
    "when",
    "the",
    "after",
    "update",
    "stack",
    "trace",
    "null",
    "pointer",
    "exception",
    "thread",
    "workspace",
    "settings",
    "gradle",
    "sync",
    "remote",
    "cache",
    "timeout",
    "request",
    "response",
    "server",
    "login",
    "proxy",
    "version",
    "release",
    "windows",
    "macos",
    "linux",
    "reproduce",
    "expected",
    "actual",
    "behaviour",
    "steps",
    "logs",
    "attached",
    "again",
];

/// About `len` bytes of issue-like prose.
fn prose(rng: &mut Rng, len: usize) -> String {
    let mut text = String::with_capacity(len + 16);
    while text.len() < len {
        if !text.is_empty() {
            text.push(if rng.below(12) == 0 { '\n' } else { ' ' });
        }
        text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        if rng.below(9) == 0 {
            text.push_str(&format!(" #{}", rng.below(100_000)));
        }
    }
    text.truncate(len);
    text
}

/// Delivery `i`: an `issues.opened` webhook with a unique `X-GitHub-Delivery`, a body of about
/// `body_bytes`, routed to a team, creating one inquiry.
fn github_delivery(i: usize, body_bytes: usize, start: DateTime<Utc>) -> IntakeItem {
    let mut rng = Rng(i as u64);
    let received_at = start + TimeDelta::milliseconds(i as i64);
    let guid = format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        rng.next() as u32,
        rng.below(1 << 16),
        rng.below(1 << 16),
        rng.below(1 << 16),
        i
    );
    let number = 1_000 + i;
    let url = format!("https://github.com/acme/intellij-plugin/issues/{number}");
    let login = format!("user{}", rng.below(5_000));
    let title_len = 40 + rng.below(60) as usize;
    let title = prose(&mut rng, title_len);
    // The payload around the issue's body takes ~1.6 KB.
    let issue_body = prose(&mut rng, body_bytes.saturating_sub(1_600));
    let payload = serde_json::json!({
        "action": "opened",
        "issue": {
            "url": format!("https://api.github.com/repos/acme/intellij-plugin/issues/{number}"),
            "repository_url": "https://api.github.com/repos/acme/intellij-plugin",
            "html_url": url,
            "id": 1_500_000_000 + i,
            "node_id": format!("I_kwDOABCD{number:08}"),
            "number": number,
            "title": title,
            "user": {
                "login": login,
                "id": 10_000 + rng.below(1_000_000),
                "html_url": format!("https://github.com/{login}"),
                "type": "User",
            },
            "labels": [{ "name": "bug", "color": "d73a4a" }, { "name": "area: vsce", "color": "0e8a16" }],
            "state": "open",
            "locked": false,
            "assignee": null,
            "comments": 0,
            "created_at": received_at.to_rfc3339(),
            "updated_at": received_at.to_rfc3339(),
            "author_association": "NONE",
            "body": issue_body,
        },
        "repository": {
            "id": 123_456_789,
            "name": "intellij-plugin",
            "full_name": "acme/intellij-plugin",
            "private": false,
            "html_url": "https://github.com/acme/intellij-plugin",
            "default_branch": "main",
        },
        "organization": { "login": "acme", "id": 987_654 },
        "sender": { "login": login, "type": "User" },
    });
    let body = serde_json::to_vec(&payload).expect("JSON");
    let headers = serde_json::json!({
        "accept": "*/*",
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/a1b2c3d",
        "x-github-delivery": guid,
        "x-github-event": "issues",
        "x-github-hook-id": "412345678",
        "x-github-hook-installation-target-id": "987654",
        "x-github-hook-installation-target-type": "organization",
        "x-hub-signature-256": format!("sha256={:016x}{:016x}{:016x}{:016x}", rng.next(), rng.next(), rng.next(), rng.next()),
    });
    let inquiry = NewInquiry {
        team: "integrations".into(),
        source: "github:acme/intellij-plugin".into(),
        external_ref: Some(url.clone()),
        link: Some(url),
        title: payload["issue"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body: payload["issue"]["body"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(1_000)
            .collect(),
        reporter: Some(login),
        labels: vec!["bug".into(), "area: vsce".into()],
        severity: None,
        received_at,
        area: Some("VSCE".into()),
        priority: None,
        suggested_priority: None,
        suggestion_reason: None,
        state: State::New,
        assignee: "philipp".into(),
        first_response_due: Some(received_at + TimeDelta::hours(4)),
        resolution_due: Some(received_at + TimeDelta::days(3)),
        next_due: Some(received_at + TimeDelta::hours(4)),
    };
    IntakeItem {
        schedule_revision: None,
        delivery: NewDelivery {
            provider: "github".into(),
            key: Some(format!("github:{guid}")),
            team: Some("integrations".into()),
            kind: "issues.opened".into(),
            headers,
            body,
            received_at,
            outcome: "inquiry created".into(),
        },
        effects: vec![IntakeEffect::Create {
            inquiry,
            actor: "github".into(),
        }],
    }
}
