//! An HTTP load test of webhook intake (issue 4), on loopback, in one run:
//!
//! - **bare endpoint**: an axum server in this process (port 0) that verifies the GitHub
//!   signature over each ~10 KB body and parses the event, answering 202: the HTTP stack.
//! - **bare insert over HTTP** (`bare_http`): the bare endpoint that also stores each delivery's
//!   row in a plain table, group-committed, before it answers: what issue 4 calls the same server
//!   answering a bare batched insert. On SQLite it runs with bodies as received and with bodies
//!   lz4-compressed (as the store keeps them); the faster is the ceiling the target (0.7x) is
//!   read against, and intake's ratio to the raw one is printed as well.
//! - **intake's rows over HTTP** (`bare_http`, SQLite): the same server storing, in the store's
//!   migrated schema, what intake stores for each delivery (the delivery, an inquiry made from
//!   the issue without deciding, its `inquiry.created` event): not a ceiling, but how much of
//!   intake's cost is what it stores (its ratio to the ceiling bounds intake's).
//! - **bare insert**: the same deliveries' rows (raw body, audit headers, key, …) written into a
//!   plain SQLite table with the store's connection settings (the writer's on intake's
//!   WAL-buffering VFS), in group-commit transactions of
//!   `--batch` rows (`BEGIN IMMEDIATE`, the store's `synchronous=FULL` in WAL mode), no HTTP:
//!   one multi-row `INSERT` a transaction, or one prepared single-row `INSERT` per row, with
//!   the store's automatic checkpoints; and multi-row with checkpoints in the background as
//!   intake makes them. The fastest of these three is a second ceiling, without HTTP. A fourth,
//!   with no checkpoint while timed, is printed as a bound (it leaves the WAL to grow).
//! - **intake**: the real server (`Application::build_with_secrets`, the handbook config
//!   `examples/integrations.toml`, the system clock) over a fresh database, receiving distinct
//!   signed `issues.opened` deliveries at `POST /hooks/github`: each is the recorded fixture
//!   (`baton-integrations/tests/fixtures/github/issues_opened.json`, compact, ~10 KB) with its
//!   own issue number, ids, URLs and body text, so each one creates an inquiry.
//!
//! The load: `--connections` (32) keep-alive HTTP/1.1 connections, each sending its next request
//! as soon as the previous one is answered (plain HTTP/1.1 written and read on the socket, as
//! `wrk` does, rather than through hyper's client), for `--requests` (30,000) requests per
//! measurement (signed beforehand, so the client spends no time signing) or `--seconds` (signed
//! as sent).
//! Latency is from sending a request to having read its whole answer. Any answer that is not
//! 2xx, or a failed connection, is an error and is reported. After each intake measurement the
//! store must hold exactly one inquiry per delivery sent (warm-up included), or the run fails.
//!
//! ```text
//! cargo run --release -p baton-server --example intake_load -- --backend both --runs 3 \
//!     --database-url postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! PostgreSQL: a fresh database `baton_load_<pid>` is created through `--database-url` (or
//! `BATON_TEST_DATABASE_URL`) for each measurement, and dropped afterwards; the bare insert on
//! PostgreSQL is one `INSERT … SELECT FROM UNNEST` per batch.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::routing::post;
use axum::Router;
use baton_integrations::github;
use baton_server::clock::Clock;
use baton_server::intake::{audit_headers, Secrets};
use baton_server::service::Service;
use baton_server::startup::Application;
use baton_store::bench_support::{self, ScratchDatabase};
use baton_store::OpenMode;
use chrono::Utc;
use hdrhistogram::Histogram;
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

mod bare_http;

use bare_http::Stored;

/// The allocator of the `baton` binary, so that the servers here allocate as `baton serve` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The webhook secret of the servers under test.
const SECRET: &[u8] = b"intake-load-webhook-secret";
/// The environment variable the handbook config names for it.
const SECRET_ENV: &str = "BATON_GITHUB_WEBHOOK_SECRET";
/// The outcome the real server records for these deliveries (the bare rows store the same).
const OUTCOME: &str = "inquiry for team integrations from team/integrations";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backends {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Clone, Copy, Debug)]
enum Load {
    Requests(usize),
    Seconds(f64),
}

struct Args {
    backends: Backends,
    connections: usize,
    load: Load,
    warmup: usize,
    runs: usize,
    batch: usize,
    client_threads: usize,
    database_url: Option<String>,
    /// Measure only the real server (for profiling); the ratios are then not printed.
    intake_only: bool,
}

const USAGE: &str = "usage: intake_load [--backend sqlite|postgres|both] [--connections 32] \
    [--requests 30000 | --seconds S] [--warmup 1000] [--runs 3] [--batch 256] \
    [--client-threads 2] [--database-url postgres://…] [--intake-only]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        backends: Backends::Sqlite,
        connections: 32,
        load: Load::Requests(30_000),
        warmup: 1_000,
        runs: 3,
        batch: 256,
        client_threads: 2,
        database_url: std::env::var("BATON_TEST_DATABASE_URL").ok(),
        intake_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{arg} needs a value; {USAGE}"))
        };
        let count = |text: String, min: usize| match text.parse::<usize>() {
            Ok(n) if n >= min => Ok(n),
            Ok(_) => Err(format!("{arg} must be at least {min}")),
            Err(e) => Err(format!("{arg} {text:?}: {e}")),
        };
        match arg.as_str() {
            "--backend" => {
                args.backends = match value()?.as_str() {
                    "sqlite" => Backends::Sqlite,
                    "postgres" | "postgresql" => Backends::Postgres,
                    "both" => Backends::Both,
                    other => return Err(format!("--backend {other:?}: sqlite, postgres or both")),
                }
            }
            "--connections" => args.connections = count(value()?, 1)?,
            "--requests" => args.load = Load::Requests(count(value()?, 1)?),
            "--seconds" => {
                let text = value()?;
                args.load = match text.parse::<f64>() {
                    Ok(s) if s > 0.0 && s <= 600.0 => Load::Seconds(s),
                    _ => return Err(format!("--seconds {text:?}: a number in (0, 600]")),
                }
            }
            "--warmup" => args.warmup = count(value()?, 0)?,
            "--runs" => args.runs = count(value()?, 1)?,
            "--batch" => args.batch = count(value()?, 1)?,
            "--client-threads" => args.client_threads = count(value()?, 1)?,
            "--database-url" => args.database_url = Some(value()?),
            "--intake-only" => args.intake_only = true,
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    if args.backends != Backends::Sqlite && args.database_url.is_none() {
        return Err(
            "--backend postgres needs --database-url (or BATON_TEST_DATABASE_URL)".to_owned(),
        );
    }
    Ok(args)
}

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Error> {
    let args = parse_args()?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BATON_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // The servers run as `baton serve` does (a multi-threaded runtime, one worker per core); the
    // load generator and the bare inserts on a runtime of their own.
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("server")
        .build()?;
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .enable_all()
        .thread_name("client")
        .build()?;
    let template = Template::from_fixture()?;
    let sqlite = args.backends != Backends::Postgres;
    let postgres = args.backends != Backends::Sqlite;
    println!(
        "{} connections, {}, warm-up {} requests, {} runs; bodies {} bytes; bare inserts in \
         batches of {}",
        args.connections,
        match args.load {
            Load::Requests(n) => format!("{n} requests a measurement"),
            Load::Seconds(s) => format!("{s} s a measurement"),
        },
        args.warmup,
        args.runs,
        template.sample_len(),
        args.batch
    );
    let mut runs: Vec<Run> = Vec::new();
    for run in 1..=args.runs {
        // Every run sends deliveries never sent before (numbers are unique within the process).
        let first = (run - 1) * 10_000_000;
        let mut r = Run::default();
        let deliveries = match args.load {
            Load::Requests(n) => Some(Deliveries::signed(&template, first, args.warmup + n)),
            Load::Seconds(_) => None,
        };
        let source = || match &deliveries {
            Some(d) => Source::Signed(d.clone()),
            None => Source::Lazy(template.clone(), first),
        };

        if !args.intake_only {
            let serving = server.block_on(spawn_bare_endpoint())?;
            let bare = client.block_on(load(&args, serving.addr, source()))?;
            let _ = serving.stop.send(());
            bare.print(run, "bare endpoint", "req/s");
            r.endpoint = Some(bare);
        }

        // Each bare insert writes the rows of as many deliveries as the intake before it sent.
        let rows_of = |intake: &Measured| match &deliveries {
            Some(d) => d.clone(),
            None => Deliveries::signed(&template, first, args.warmup + intake.ok as usize),
        };
        if sqlite {
            if !args.intake_only {
                let bare = |stored| {
                    let bare = server.block_on(bare_http::BareHttp::sqlite(args.batch, stored))?;
                    bare_over_http(&args, &server, &client, bare, source())
                };
                let measured = bare(Stored::Raw)?;
                measured.print(run, "bare insert SQLite/HTTP", "deliveries/s");
                r.http_insert_sqlite_raw = Some(measured);
                let measured = bare(Stored::Lz4)?;
                measured.print(run, "… with lz4 bodies", "deliveries/s");
                r.http_insert_sqlite_lz4 = Some(measured);
                let measured = bare(Stored::IntakeRows)?;
                measured.print(run, "… intake's rows", "deliveries/s");
                r.http_intake_rows_sqlite = Some(measured);
                // The ceiling: the faster of the two in this run.
                r.http_insert_sqlite = [&r.http_insert_sqlite_raw, &r.http_insert_sqlite_lz4]
                    .into_iter()
                    .flatten()
                    .max_by(|a, b| a.rate.total_cmp(&b.rate))
                    .cloned();
            }
            let intake = intake(&args, &server, &client, Db::Sqlite, source())?;
            intake.print(run, "intake SQLite", "deliveries/s");
            let rows = rows_of(&intake);
            r.intake_sqlite = Some(intake);
            if !args.intake_only {
                let insert = |multi_row, checkpoints| {
                    client.block_on(bare_insert_sqlite(
                        &rows,
                        args.batch,
                        multi_row,
                        checkpoints,
                    ))
                };
                let rate = insert(true, Checkpoints::Automatic)?;
                println!("run {run}: bare insert SQLite, multi-row {rate:>9.0} rows/s");
                r.insert_sqlite_multi_row = Some(rate);
                let rate = insert(false, Checkpoints::Automatic)?;
                println!("run {run}: bare insert SQLite, per row {rate:>9.0} rows/s");
                r.insert_sqlite_per_row = Some(rate);
                let rate = insert(true, Checkpoints::Background)?;
                println!(
                    "run {run}: bare insert SQLite, background checkpoints {rate:>9.0} rows/s"
                );
                r.insert_sqlite_background = Some(rate);
                let rate = insert(true, Checkpoints::None)?;
                println!("run {run}: bare insert SQLite, no checkpoint {rate:>9.0} rows/s");
                r.insert_sqlite_no_checkpoint = Some(rate);
                r.insert_sqlite = [
                    r.insert_sqlite_multi_row,
                    r.insert_sqlite_per_row,
                    r.insert_sqlite_background,
                ]
                .into_iter()
                .flatten()
                .max_by(f64::total_cmp);
            }
        }
        if postgres {
            let url = args.database_url.as_deref().unwrap_or_default();
            if !args.intake_only {
                let bare = server.block_on(bare_http::BareHttp::postgres(url, args.batch))?;
                let measured = bare_over_http(&args, &server, &client, bare, source())?;
                measured.print(run, "bare insert PG/HTTP", "deliveries/s");
                r.http_insert_postgres = Some(measured);
            }
            let intake = intake(&args, &server, &client, Db::Postgres(url), source())?;
            intake.print(run, "intake PostgreSQL", "deliveries/s");
            let rows = rows_of(&intake);
            r.intake_postgres = Some(intake);
            if !args.intake_only {
                let rate = client.block_on(bare_insert_postgres(url, &rows, args.batch))?;
                println!("run {run}: bare insert PostgreSQL    {rate:>9.0} rows/s");
                r.insert_postgres = Some(rate);
            }
        }
        r.print_ratios(run);
        runs.push(r);
    }
    summary(&runs);
    Ok(())
}

// ---- what one run measured --------------------------------------------------------------

#[derive(Default)]
struct Run {
    endpoint: Option<Measured>,
    /// The bare endpoint storing each delivery before it answers: intake's ceiling over HTTP
    /// (on SQLite the faster of raw and lz4-compressed bodies).
    http_insert_sqlite: Option<Measured>,
    http_insert_sqlite_raw: Option<Measured>,
    http_insert_sqlite_lz4: Option<Measured>,
    /// The same server storing what intake stores, without deciding (not a ceiling).
    http_intake_rows_sqlite: Option<Measured>,
    http_insert_postgres: Option<Measured>,
    /// The fastest sustainable SQLite bare insert (any but `no checkpoint`): the ceiling.
    insert_sqlite: Option<f64>,
    insert_sqlite_multi_row: Option<f64>,
    insert_sqlite_per_row: Option<f64>,
    insert_sqlite_background: Option<f64>,
    insert_sqlite_no_checkpoint: Option<f64>,
    intake_sqlite: Option<Measured>,
    insert_postgres: Option<f64>,
    intake_postgres: Option<Measured>,
}

impl Run {
    fn print_ratios(&self, run: usize) {
        let endpoint = self.endpoint.as_ref().map(|m| m.rate);
        for (name, intake, over_http, insert) in [
            (
                "SQLite",
                &self.intake_sqlite,
                &self.http_insert_sqlite,
                self.insert_sqlite,
            ),
            (
                "PostgreSQL",
                &self.intake_postgres,
                &self.http_insert_postgres,
                self.insert_postgres,
            ),
        ] {
            if let (Some(intake), Some(over_http), Some(insert), Some(endpoint)) =
                (intake, over_http, insert, endpoint)
            {
                println!(
                    "run {run}: intake {name} ÷ bare insert over HTTP = {:.2}, ÷ bare insert \
                     without HTTP = {:.2}, ÷ bare endpoint = {:.3}",
                    intake.rate / over_http.rate,
                    intake.rate / insert,
                    intake.rate / endpoint
                );
            }
        }
        if let (Some(intake), Some(rows), Some(ceiling)) = (
            &self.intake_sqlite,
            &self.http_intake_rows_sqlite,
            &self.http_insert_sqlite,
        ) {
            println!(
                "run {run}: intake SQLite ÷ its rows stored bare over HTTP = {:.2}; those rows \
                 ÷ bare insert over HTTP = {:.2}",
                intake.rate / rows.rate,
                rows.rate / ceiling.rate
            );
        }
    }
}

/// Requests answered per second and their latencies.
#[derive(Clone)]
struct Measured {
    rate: f64,
    ok: u64,
    errors: u64,
    /// The first few errors, in words.
    examples: Vec<String>,
    latency: Histogram<u64>,
    elapsed: Duration,
}

impl Measured {
    fn ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    fn print(&self, run: usize, what: &str, unit: &str) {
        println!(
            "run {run}: {what:<23}{:>9.0} {unit} ({} in {:.2} s), p50 {:.2} ms, p99 {:.2} ms, \
             max {:.1} ms, errors {}",
            self.rate,
            self.ok,
            self.elapsed.as_secs_f64(),
            self.ms(0.50),
            self.ms(0.99),
            self.latency.max() as f64 / 1000.0,
            self.errors
        );
        for e in &self.examples {
            println!("         error: {e}");
        }
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

type Get = dyn Fn(&Run) -> Option<&Measured>;
type Rate = dyn Fn(&Run) -> Option<f64>;

/// A summary row for a measurement over HTTP, with the medians of its per-run ratios (each
/// against a baseline measured in the same run).
fn row(
    runs: &[Run],
    name: &str,
    unit: &str,
    get: &Get,
    over_http: Option<&Get>,
    insert: Option<&Rate>,
) {
    let m = |f: &dyn Fn(&Run) -> Option<f64>| median(runs.iter().filter_map(f).collect());
    let Some(rate) = m(&|r| get(r).map(|x| x.rate)) else {
        return;
    };
    let p50 = m(&|r| get(r).map(|x| x.ms(0.50))).unwrap_or_default();
    let p99 = m(&|r| get(r).map(|x| x.ms(0.99))).unwrap_or_default();
    let errors: u64 = runs.iter().filter_map(get).map(|x| x.errors).sum();
    let shown = |x: Option<f64>, digits: usize| x.map_or("–".into(), |x| format!("{x:.digits$}"));
    let over_http = over_http.and_then(|base| m(&|r| Some(get(r)?.rate / base(r)?.rate)));
    let insert = insert.and_then(|base| m(&|r| Some(get(r)?.rate / base(r)?)));
    let endpoint = m(&|r| Some(get(r)?.rate / r.endpoint.as_ref()?.rate));
    println!(
        "| {name} | {rate:.0} {unit} | {p50:.2} ms | {p99:.2} ms | {errors} | {} | {} | {} |",
        shown(over_http, 2),
        shown(insert, 2),
        shown(endpoint, 3),
    );
}

fn summary(runs: &[Run]) {
    let m = |f: &dyn Fn(&Run) -> Option<f64>| median(runs.iter().filter_map(f).collect());
    let endpoint = m(&|r| r.endpoint.as_ref().map(|x| x.rate));
    println!();
    println!("medians of {} runs", runs.len());
    println!(
        "| measurement | rate | p50 | p99 | errors | ÷ bare insert over HTTP | \
         ÷ bare insert without HTTP | ÷ bare endpoint |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    row(
        runs,
        "bare endpoint",
        "req/s",
        &|r| r.endpoint.as_ref(),
        None,
        None,
    );
    let bare_over_http: [(&str, &Get, Option<&Get>, &Rate); 5] = [
        (
            "bare insert over HTTP, SQLite: ceiling (faster of the next two)",
            &|r| r.http_insert_sqlite.as_ref(),
            None,
            &|r| r.insert_sqlite,
        ),
        (
            "bare insert over HTTP, SQLite, raw bodies",
            &|r| r.http_insert_sqlite_raw.as_ref(),
            None,
            &|r| r.insert_sqlite,
        ),
        (
            "bare insert over HTTP, SQLite, lz4 bodies",
            &|r| r.http_insert_sqlite_lz4.as_ref(),
            None,
            &|r| r.insert_sqlite,
        ),
        (
            "intake's rows over HTTP, SQLite, no deciding (not a ceiling)",
            &|r| r.http_intake_rows_sqlite.as_ref(),
            Some(&|r| r.http_insert_sqlite.as_ref()),
            &|r| r.insert_sqlite,
        ),
        (
            "bare insert over HTTP, PostgreSQL",
            &|r| r.http_insert_postgres.as_ref(),
            None,
            &|r| r.insert_postgres,
        ),
    ];
    for (name, get, over_http, insert) in bare_over_http {
        row(runs, name, "deliveries/s", get, over_http, Some(insert));
    }
    for (name, value) in [
        (
            "bare insert SQLite without HTTP, fastest of the next three",
            m(&|r| r.insert_sqlite),
        ),
        (
            "bare insert SQLite, multi-row",
            m(&|r| r.insert_sqlite_multi_row),
        ),
        (
            "bare insert SQLite, per row",
            m(&|r| r.insert_sqlite_per_row),
        ),
        (
            "bare insert SQLite, background checkpoints",
            m(&|r| r.insert_sqlite_background),
        ),
        (
            "bare insert SQLite, no checkpoint (a bound)",
            m(&|r| r.insert_sqlite_no_checkpoint),
        ),
        (
            "bare insert PostgreSQL without HTTP",
            m(&|r| r.insert_postgres),
        ),
    ] {
        if let Some(rate) = value {
            let e = endpoint.map_or("–".into(), |e| format!("{:.3}", rate / e));
            println!("| {name} | {rate:.0} rows/s | – | – | – | – | – | {e} |");
        }
    }
    row(
        runs,
        "intake SQLite",
        "deliveries/s",
        &|r| r.intake_sqlite.as_ref(),
        Some(&|r| r.http_insert_sqlite.as_ref()),
        Some(&|r| r.insert_sqlite),
    );
    row(
        runs,
        "intake PostgreSQL",
        "deliveries/s",
        &|r| r.intake_postgres.as_ref(),
        Some(&|r| r.http_insert_postgres.as_ref()),
        Some(&|r| r.insert_postgres),
    );
    // The ceiling is the faster bare insert; against the one that keeps bodies as received
    // (the plainest server that stores webhooks), for the reader to weigh.
    if let Some(raw) =
        m(&|r| Some(r.intake_sqlite.as_ref()?.rate / r.http_insert_sqlite_raw.as_ref()?.rate))
    {
        println!("intake SQLite ÷ bare insert over HTTP with raw bodies: {raw:.2}");
    }
    // How much of intake's cost is what it stores: against the same rows stored bare.
    if let Some(rows) =
        m(&|r| Some(r.intake_sqlite.as_ref()?.rate / r.http_intake_rows_sqlite.as_ref()?.rate))
    {
        println!("intake SQLite ÷ its rows stored bare over HTTP: {rows:.2}");
    }
    if let Some(bound) =
        m(&|r| Some(r.intake_sqlite.as_ref()?.rate / r.insert_sqlite_no_checkpoint?))
    {
        println!(
            "intake SQLite ÷ bare insert SQLite without checkpoints (not sustainable): {bound:.2}"
        );
    }
}

// ---- the deliveries -----------------------------------------------------------------------

/// The recorded `issues.opened` fixture, compact, cut where a delivery's number goes.
#[derive(Clone)]
struct Template {
    parts: Arc<Vec<Vec<u8>>>,
}

/// Where the number goes inside strings, and (quotes included) where it is a JSON number.
const MARK: &str = "@@N@@";
const NUMBER_MARK: &str = "\"@@NUMBER@@\"";

impl Template {
    fn from_fixture() -> Result<Self, Error> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../baton-integrations/tests/fixtures/github/issues_opened.json"
        );
        let mut v: Value = serde_json::from_slice(&std::fs::read(path)?)?;
        let issue = &mut v["issue"];
        let repo = "https://api.github.com/repos/sourcegraph/sourcegraph/issues";
        issue["url"] = format!("{repo}/{MARK}").into();
        issue["labels_url"] = format!("{repo}/{MARK}/labels{{/name}}").into();
        issue["comments_url"] = format!("{repo}/{MARK}/comments").into();
        issue["events_url"] = format!("{repo}/{MARK}/events").into();
        issue["html_url"] =
            format!("https://github.com/sourcegraph/sourcegraph/issues/{MARK}").into();
        issue["node_id"] = format!("I_kwDOload{MARK}").into();
        issue["id"] = "@@NUMBER@@".into();
        issue["number"] = "@@NUMBER@@".into();
        let body = issue["body"].as_str().unwrap_or_default().to_owned();
        issue["body"] = format!("{body}\n\n(load test delivery {MARK})").into();
        if issue["labels"]
            .as_array()
            .is_none_or(|labels| !labels.iter().any(|l| l["name"] == "team/integrations"))
        {
            return Err("the fixture lost its team/integrations label".into());
        }
        let text = serde_json::to_string(&v)?.replace(NUMBER_MARK, MARK);
        let parts = text.split(MARK).map(|p| p.as_bytes().to_vec()).collect();
        Ok(Self {
            parts: Arc::new(parts),
        })
    }

    /// The body of delivery `n`: the fixture about issue `n`.
    fn body(&self, n: usize) -> Vec<u8> {
        let number = n.to_string();
        let mut out = Vec::with_capacity(self.parts.iter().map(Vec::len).sum::<usize>() + 64);
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(number.as_bytes());
            }
            out.extend_from_slice(part);
        }
        out
    }

    fn sample_len(&self) -> usize {
        self.body(1_000_000).len()
    }

    /// Delivery `n`, signed.
    fn delivery(&self, n: usize) -> Delivery {
        // Issue numbers from 1,000,000 on; GUID-like, unique delivery ids.
        let number = 1_000_000 + n;
        let body = Bytes::from(self.body(number));
        let signature = github::sign(SECRET, &body);
        Delivery {
            guid: format!("{:08x}-4c0a-4d00-8000-{:012x}", std::process::id(), number),
            signature,
            body,
        }
    }
}

#[derive(Clone)]
struct Delivery {
    guid: String,
    signature: String,
    body: Bytes,
}

impl Delivery {
    /// This delivery as GitHub sends it, `POST /hooks/github` to `host`, into `out` (cleared).
    fn write_request(&self, host: &str, out: &mut Vec<u8>) {
        use std::io::Write;
        out.clear();
        // Writing into a `Vec` cannot fail.
        let _ = write!(
            out,
            "POST /hooks/github HTTP/1.1\r\nhost: {host}\r\nuser-agent: GitHub-Hookshot/load\r\n\
             accept: */*\r\ncontent-type: application/json\r\n{}: issues\r\n{}: {}\r\n\
             {}: {}\r\nx-github-hook-id: 412345678\r\ncontent-length: {}\r\n\r\n",
            github::EVENT_HEADER,
            github::DELIVERY_HEADER,
            self.guid,
            github::SIGNATURE_HEADER,
            self.signature,
            self.body.len()
        );
        out.extend_from_slice(&self.body);
    }

    /// The headers of [`Self::write_request`], as the server receives them.
    fn sent_headers(&self, host: &str) -> Result<HeaderMap, Error> {
        let mut request = Vec::new();
        self.write_request(host, &mut request);
        let mut parsed = [httparse::EMPTY_HEADER; 16];
        let mut head = httparse::Request::new(&mut parsed);
        head.parse(&request)?;
        let mut headers = HeaderMap::new();
        for h in head.headers.iter() {
            headers.append(
                HeaderName::from_bytes(h.name.as_bytes())?,
                HeaderValue::from_bytes(h.value)?,
            );
        }
        Ok(headers)
    }
}

/// Deliveries signed before the clock starts.
#[derive(Clone)]
struct Deliveries(Arc<Vec<Delivery>>);

impl Deliveries {
    fn signed(template: &Template, first: usize, count: usize) -> Self {
        Self(Arc::new(
            (first..first + count)
                .map(|n| template.delivery(n))
                .collect(),
        ))
    }
}

/// Where the `i`th request of a measurement comes from.
#[derive(Clone)]
enum Source {
    Signed(Deliveries),
    /// Made and signed when sent (`--seconds`): delivery `first + i`.
    Lazy(Template, usize),
}

impl Source {
    fn get(&self, i: usize) -> Option<Delivery> {
        match self {
            Source::Signed(d) => d.0.get(i).cloned(),
            Source::Lazy(template, first) => Some(template.delivery(first + i)),
        }
    }
}

// ---- the load generator -------------------------------------------------------------------

/// Sends the warm-up, then the measured requests, over `--connections` keep-alive connections.
async fn load(args: &Args, addr: SocketAddr, source: Source) -> Result<Measured, Error> {
    if args.warmup > 0 {
        let warm = drive(args.connections, addr, &source, 0, Some(args.warmup), None).await?;
        if warm.errors > 0 {
            return Err(format!("the warm-up failed: {:?}", warm.examples).into());
        }
    }
    let (limit, deadline) = match args.load {
        Load::Requests(n) => (Some(args.warmup + n), None),
        Load::Seconds(s) => (None, Some(Instant::now() + Duration::from_secs_f64(s))),
    };
    drive(
        args.connections,
        addr,
        &source,
        args.warmup,
        limit,
        deadline,
    )
    .await
}

/// Requests `start..limit` of `source` (or until `deadline`) over `connections` connections.
async fn drive(
    connections: usize,
    addr: SocketAddr,
    source: &Source,
    start: usize,
    limit: Option<usize>,
    deadline: Option<Instant>,
) -> Result<Measured, Error> {
    let next = Arc::new(AtomicUsize::new(start));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let next = next.clone();
        let source = source.clone();
        tasks.push(tokio::spawn(async move {
            connection(addr, next, source, limit, deadline).await
        }));
    }
    let mut total = Measured {
        rate: 0.0,
        ok: 0,
        errors: 0,
        examples: Vec::new(),
        latency: new_histogram(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let part = task.await??;
        total.ok += part.ok;
        total.errors += part.errors;
        for e in part.examples {
            if total.examples.len() < 5 {
                total.examples.push(e);
            }
        }
        total.latency.add(&part.latency)?;
    }
    total.elapsed = began.elapsed();
    total.rate = total.ok as f64 / total.elapsed.as_secs_f64();
    Ok(total)
}

fn new_histogram() -> Histogram<u64> {
    // Microseconds, from 1 µs to 10 minutes, 3 significant figures.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// One keep-alive connection sending requests one after the other.
///
/// The client side is plain HTTP/1.1 over the socket rather than hyper's client: each request is
/// written with one call and its answer read (status line and headers by `httparse`, then
/// `Content-Length` bytes), as `wrk` does. hyper's client drives a connection from a task of
/// its own, which costs the machine's two cores an extra hand-off per request that the servers
/// under test would not pay if their senders were elsewhere.
async fn connection(
    addr: SocketAddr,
    next: Arc<AtomicUsize>,
    source: Source,
    limit: Option<usize>,
    deadline: Option<Instant>,
) -> Result<Measured, Error> {
    let host = addr.to_string();
    let mut m = Measured {
        rate: 0.0,
        ok: 0,
        errors: 0,
        examples: Vec::new(),
        latency: new_histogram(),
        elapsed: Duration::ZERO,
    };
    let mut stream: Option<TcpStream> = None;
    let mut request = Vec::new();
    let mut answer = Vec::with_capacity(4096);
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        if limit.is_some_and(|limit| i >= limit) {
            break;
        }
        let Some(delivery) = source.get(i) else { break };
        delivery.write_request(&host, &mut request);
        let started = Instant::now();
        let exchanged = async {
            if stream.is_none() {
                let s = TcpStream::connect(addr).await?;
                s.set_nodelay(true)?;
                stream = Some(s);
            }
            let s = stream.as_mut().ok_or("no connection")?;
            s.write_all(&request).await?;
            read_response(s, &mut answer).await
        }
        .await;
        let took = started.elapsed();
        match exchanged {
            Ok(response) if (200..300).contains(&response.status) => {
                m.ok += 1;
                m.latency.saturating_record(took.as_micros() as u64);
            }
            Ok(response) => {
                m.errors += 1;
                if m.examples.len() < 5 {
                    let body = &answer[response.body_start..];
                    m.examples.push(format!(
                        "{}: {}",
                        response.status,
                        String::from_utf8_lossy(body)
                    ));
                }
            }
            Err(e) => {
                m.errors += 1;
                stream = None;
                if m.examples.len() < 5 {
                    m.examples.push(format!("connection: {e}"));
                }
            }
        }
    }
    Ok(m)
}

/// An answer read by [`read_response`]: its status, and where its body starts in the buffer.
struct Response {
    status: u16,
    body_start: usize,
}

/// Reads one HTTP/1.1 answer into `buf` (cleared first): the head, then as many body bytes as
/// its `Content-Length` says. An answer without one (chunked, or closing the connection) is an
/// error: the servers under test always send it.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Response, Error> {
    buf.clear();
    let (status, head_len, body_len) = loop {
        if buf.len() == buf.capacity() {
            buf.reserve(4096);
        }
        if stream.read_buf(buf).await? == 0 {
            return Err("the server closed the connection".into());
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head_len) = response.parse(buf)? {
            let length = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .ok_or("an answer without Content-Length")?;
            let length: usize = std::str::from_utf8(length.value)?.trim().parse()?;
            break (response.code.unwrap_or_default(), head_len, length);
        }
    };
    while buf.len() < head_len + body_len {
        buf.reserve(head_len + body_len - buf.len());
        if stream.read_buf(buf).await? == 0 {
            return Err("the server closed the connection within an answer".into());
        }
    }
    if buf.len() > head_len + body_len {
        return Err("the server sent more than one answer".into());
    }
    Ok(Response {
        status,
        body_start: head_len,
    })
}

// ---- (a) the bare endpoint ------------------------------------------------------------------

/// Verifies the signature and parses the event, as `/hooks/github` does before deciding.
async fn bare_hook(headers: HeaderMap, body: Bytes) -> StatusCode {
    match verified_issue(&headers, &body) {
        Ok(_) => StatusCode::ACCEPTED,
        Err(status) => status,
    }
}

/// The `issues` event of a request whose signature holds, or the status to answer.
fn verified_issue(headers: &HeaderMap, body: &[u8]) -> Result<github::IssuesEvent, StatusCode> {
    let signature = headers
        .get(github::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if github::verify(SECRET, signature, body).is_err() {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let event = headers
        .get(github::EVENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match github::parse(event, body) {
        Ok(github::Event::Issues(issue)) => Ok(issue),
        _ => Err(StatusCode::BAD_REQUEST),
    }
}

/// A server running `router` on a port of its own until `stop` is sent; `served` ends after.
struct Serving {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
}

/// Serves `router` on 127.0.0.1, port 0 (on the calling runtime); `what` names it in errors.
async fn serve(router: Router, what: &'static str) -> Result<Serving, Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            eprintln!("{what} failed: {e}");
        }
    });
    Ok(Serving { addr, stop, served })
}

async fn spawn_bare_endpoint() -> Result<Serving, Error> {
    serve(
        Router::new().route("/hooks/github", post(bare_hook)),
        "the bare endpoint",
    )
    .await
}

// ---- (b) the bare batched inserts ---------------------------------------------------------

/// A row of `deliveries` as the server stores it for delivery `d`.
struct Row {
    key: String,
    headers: String,
    body: Bytes,
    received_at_ms: i64,
}

fn rows(deliveries: &Deliveries) -> Result<Vec<Row>, Error> {
    let now = Utc::now().timestamp_millis();
    deliveries
        .0
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let headers = d.sent_headers("127.0.0.1:1")?;
            Ok(Row {
                key: format!("github:{}", d.guid),
                headers: audit_headers(&headers).to_string(),
                body: d.body.clone(),
                received_at_ms: now + i as i64,
            })
        })
        .collect()
}

/// The shape of `deliveries` (`0003_deliveries.sql`) without its constraints and indexes.
const BARE_TABLE_SQLITE: &str = "CREATE TABLE bare_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, key TEXT, team TEXT,
    kind TEXT NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL,
    received_at_ms INTEGER NOT NULL, outcome TEXT NOT NULL) STRICT";
const BARE_TABLE_POSTGRES: &str = "CREATE TABLE bare_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, provider TEXT NOT NULL, key TEXT,
    team TEXT, kind TEXT NOT NULL, headers JSONB NOT NULL, body BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL, outcome TEXT NOT NULL)";

/// A batch of bare rows into PostgreSQL: keys, audit headers, bodies, outcome and arrival (ms).
const POSTGRES_BARE_INSERT: &str =
    "INSERT INTO bare_deliveries (provider, key, team, kind, headers,
                                 body, received_at, outcome)
    SELECT 'github', key, 'integrations', 'issues.opened', headers::jsonb, body,
           to_timestamp(ms / 1000.0), $4
    FROM UNNEST($1::text[], $2::text[], $3::bytea[], $5::int8[]) AS d (key, headers, body, ms)";

/// How a bare insert's WAL is copied into the database file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Checkpoints {
    /// By the committing connection every 4,000 WAL pages (the store's setting).
    Automatic,
    /// As the store's intake does: PASSIVE checkpoints on another connection every ~16 MB
    /// written, and a last pass on the writer's connection once the WAL holds 65,536 frames.
    Background,
    /// Not while timed: an upper bound, not sustainable (the WAL grows without end).
    None,
}

/// Rows per second inserting `deliveries` into a fresh SQLite file with the store's settings,
/// `batch` rows a transaction: one multi-row `INSERT` (`multi_row`) or one prepared single-row
/// `INSERT` per row. Only the database calls are timed.
async fn bare_insert_sqlite(
    deliveries: &Deliveries,
    batch: usize,
    multi_row: bool,
    checkpoints: Checkpoints,
) -> Result<f64, Error> {
    let rows = rows(deliveries)?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bare.db").display());
    let options = bench_support::sqlite_options(&url)?;
    let others = SqlitePoolOptions::new()
        .connect_with(options.clone())
        .await?;
    // The writer's connection on intake's VFS, as the bare insert over HTTP and intake use.
    let options = bench_support::sqlite_writer_options(&url)?;
    let options = match checkpoints {
        Checkpoints::Automatic => options,
        Checkpoints::Background | Checkpoints::None => options.pragma("wal_autocheckpoint", "0"),
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::query(BARE_TABLE_SQLITE).execute(&pool).await?;
    const HEAD: &str = "INSERT INTO bare_deliveries (provider, key, team, kind, headers, body, \
                        received_at_ms, outcome) VALUES ";
    const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?)";
    let running = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut written = 0;
    let started = Instant::now();
    for chunk in rows.chunks(batch) {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        // 8 parameters a row: at most 4,000 rows a statement (SQLite allows 32,766).
        let statements: Vec<&[Row]> = if multi_row {
            chunk.chunks(4_000).collect()
        } else {
            chunk.chunks(1).collect()
        };
        for rows in statements {
            let sql = format!("{HEAD}{}", vec![ROW; rows.len()].join(", "));
            let mut query = sqlx::query(&sql);
            for r in rows {
                query = query
                    .bind("github")
                    .bind(r.key.as_str())
                    .bind("integrations")
                    .bind("issues.opened")
                    .bind(r.headers.as_str())
                    .bind(r.body.as_ref())
                    .bind(r.received_at_ms)
                    .bind(OUTCOME);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        if checkpoints == Checkpoints::Background {
            // The store's estimate for a delivery without effects.
            written += chunk
                .iter()
                .map(|r| r.body.len() + r.headers.len() + 4096)
                .sum::<usize>();
            if written >= 4_000 * 4096 && !running.swap(true, Ordering::AcqRel) {
                written = 0;
                let (others, pool, running) = (others.clone(), pool.clone(), running.clone());
                tokio::spawn(async move {
                    let passive = "PRAGMA wal_checkpoint(PASSIVE)";
                    let done = async {
                        let (_, log, _): (i64, i64, i64) =
                            sqlx::query_as(passive).fetch_one(&others).await?;
                        if log >= 65_536 {
                            sqlx::query(passive).execute(&pool).await?;
                        }
                        Ok::<_, sqlx::Error>(())
                    };
                    if let Err(e) = done.await {
                        eprintln!("a checkpoint of the bare table failed: {e}");
                    }
                    running.store(false, Ordering::Release);
                });
            }
        }
    }
    let elapsed = started.elapsed();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM bare_deliveries")
        .fetch_one(&pool)
        .await?;
    if count as usize != rows.len() {
        return Err(format!("the bare table holds {count} rows, not {}", rows.len()).into());
    }
    pool.close().await;
    others.close().await;
    Ok(rows.len() as f64 / elapsed.as_secs_f64())
}

/// The same on a fresh PostgreSQL database: one `INSERT … SELECT FROM UNNEST` a batch.
async fn bare_insert_postgres(
    server: &str,
    deliveries: &Deliveries,
    batch: usize,
) -> Result<f64, Error> {
    let rows = rows(deliveries)?;
    let database = scratch_database(server).await?;
    let pool = PgPoolOptions::new().connect(&database.url).await?;
    let outcome = async {
        sqlx::query(BARE_TABLE_POSTGRES).execute(&pool).await?;
        sqlx::query(bench_support::POSTGRES_BARE_COMPRESSION)
            .execute(&pool)
            .await?;
        let started = Instant::now();
        for chunk in rows.chunks(batch) {
            let mut tx = pool.begin().await?;
            sqlx::query(POSTGRES_BARE_INSERT)
                .bind(chunk.iter().map(|r| r.key.as_str()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.headers.as_str()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.body.as_ref()).collect::<Vec<_>>())
                .bind(OUTCOME)
                .bind(chunk.iter().map(|r| r.received_at_ms).collect::<Vec<_>>())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        let elapsed = started.elapsed();
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM bare_deliveries")
            .fetch_one(&pool)
            .await?;
        if count as usize != rows.len() {
            return Err(format!("the bare table holds {count} rows, not {}", rows.len()).into());
        }
        Ok::<_, Error>(rows.len() as f64 / elapsed.as_secs_f64())
    }
    .await;
    pool.close().await;
    database.drop().await?;
    outcome
}

/// Loads a bare-insert server with `source` and checks that it stored every delivery it took.
fn bare_over_http(
    args: &Args,
    server: &Runtime,
    client: &Runtime,
    bare: bare_http::BareHttp,
    source: Source,
) -> Result<Measured, Error> {
    let measured = client.block_on(load(args, bare.addr(), source));
    let stored = server.block_on(bare.finish())?;
    let measured = measured?;
    let sent = measured.ok + measured.errors + args.warmup as u64;
    if measured.errors == 0 && stored as u64 != sent {
        return Err(format!("the bare insert server stored {stored} of {sent} deliveries").into());
    }
    Ok(measured)
}

// ---- (c), (d) the real server ---------------------------------------------------------------

enum Db<'a> {
    Sqlite,
    Postgres(&'a str),
}

/// The real server over a fresh database, loaded with `source`; checks afterwards that every
/// delivery made its inquiry.
fn intake(
    args: &Args,
    server: &Runtime,
    client: &Runtime,
    db: Db<'_>,
    source: Source,
) -> Result<Measured, Error> {
    let dir = tempfile::tempdir()?;
    let (url, scratch) = match db {
        Db::Sqlite => (
            format!("sqlite://{}", dir.path().join("baton.db").display()),
            None,
        ),
        Db::Postgres(server_url) => {
            let scratch = client.block_on(scratch_database(server_url))?;
            (scratch.url.clone(), Some(scratch))
        }
    };
    let outcome = (|| {
        let store = server.block_on(baton_store::open(&url, OpenMode::Create))?;
        let config_path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/integrations.toml"
        );
        let config = baton_config::load(std::path::Path::new(config_path))
            .map_err(|e| format!("{config_path}: {e}"))?;
        let service = Service::new(Arc::new(config), store.clone(), Clock::system());
        let secrets = Secrets::default().with(SECRET_ENV, SECRET);
        let app = server.block_on(Application::build_with_secrets(
            service,
            "127.0.0.1:0".parse()?,
            secrets,
        ))?;
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let running = server.spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        let measured = client.block_on(load(args, addr, source));
        let _ = stop.send(());
        server.block_on(running)??;
        let measured = measured?;
        let inquiries: i64 = server
            .block_on(store.count_inquiries())?
            .iter()
            .map(|(_, _, n)| n)
            .sum();
        let sent = measured.ok + measured.errors + args.warmup as u64;
        if measured.errors == 0 && inquiries as u64 != sent {
            return Err(format!("{sent} deliveries made {inquiries} inquiries").into());
        }
        Ok::<_, Error>(measured)
    })();
    if let Some(scratch) = scratch {
        client.block_on(scratch.drop())?;
    }
    outcome
}

/// A PostgreSQL database of its own for one measurement, `baton_load_<pid>`, made through
/// `server` (dropped by the caller).
async fn scratch_database(server: &str) -> Result<ScratchDatabase, Error> {
    let name = format!("baton_load_{}", std::process::id());
    Ok(ScratchDatabase::create(server, &name).await?)
}
