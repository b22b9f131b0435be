//! The open queue with a million inquiries: how long `Store::list_queue(team, 50)` takes when
//! the database holds `--rows` inquiries across 10 teams, about 1% of them open, compared with a
//! bare `SELECT 1` round trip (`Store::ping`) on the same pool.
//!
//! ```text
//! cargo run --release -p baton-store --example queue_bench -- --backend sqlite --rows 1000000
//! cargo run --release -p baton-store --example queue_bench -- --backend postgres --rows 1000000 \
//!     [--url postgres://postgres@127.0.0.1:5432/test]
//! ```
//!
//! Each run fills a fresh database (SQLite: a file in a temporary directory; PostgreSQL: a new
//! database created through `--url`, or `BATON_TEST_DATABASE_URL`, and dropped afterwards). The
//! schema comes from the store's own migrations; the rows are written with plain SQL through
//! sqlx, in big transactions (multi-row `INSERT` for SQLite, `INSERT … SELECT FROM UNNEST` for
//! PostgreSQL). No events are written: the queue does not read them. PostgreSQL is then
//! `VACUUM ANALYZE`d, as autovacuum would do after a bulk load; SQLite is measured as the store
//! leaves it (no `ANALYZE`). The plan of the queue query is printed before measuring.
//!
//! Options: `--calls N` (200) measured calls of each kind, after `--warmup N` (20); `--keep FILE`
//! fills this new SQLite file instead of a temporary one and leaves it for inspection;
//! `--without-queue-index` drops the partial index `inquiries_queue` after the fill, to see what
//! the queue costs without it.

use std::time::{Duration, Instant};

use baton_store::bench_support::ScratchDatabase;
use baton_store::{open, query_plans, InquiryFilter, OpenMode};
use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection, QueryBuilder, Sqlite, SqliteConnection};

const TEAMS: u64 = 10;
const SQLITE_ROWS_PER_STATEMENT: usize = 1_000; // 28 parameters each, under SQLite's 32,766
const PG_ROWS_PER_STATEMENT: usize = 10_000;
const ROWS_PER_TRANSACTION: usize = 100_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

struct Args {
    backend: Backend,
    rows: usize,
    calls: usize,
    warmup: usize,
    url: Option<String>,
    keep: Option<std::path::PathBuf>,
    without_queue_index: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        backend: Backend::Sqlite,
        rows: 1_000_000,
        calls: 200,
        warmup: 20,
        url: std::env::var("BATON_TEST_DATABASE_URL").ok(),
        keep: None,
        without_queue_index: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--backend" => {
                args.backend = match value()?.as_str() {
                    "sqlite" => Backend::Sqlite,
                    "postgres" | "postgresql" => Backend::Postgres,
                    other => return Err(format!("unknown backend {other:?}")),
                }
            }
            "--rows" => args.rows = value()?.parse().map_err(|e| format!("--rows: {e}"))?,
            "--calls" => args.calls = value()?.parse().map_err(|e| format!("--calls: {e}"))?,
            "--warmup" => args.warmup = value()?.parse().map_err(|e| format!("--warmup: {e}"))?,
            "--url" => args.url = Some(value()?),
            "--keep" => args.keep = Some(value()?.into()),
            "--without-queue-index" => args.without_queue_index = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: --backend sqlite|postgres [--rows N] \
                     [--calls N] [--warmup N] [--url postgres://…] [--keep NEW_SQLITE_FILE] \
                     [--without-queue-index]"
                ))
            }
        }
    }
    if args.calls == 0 {
        return Err("--calls must be at least 1".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    match args.backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir()?;
            let path = match &args.keep {
                Some(path) if path.exists() => {
                    return Err(
                        format!("{} exists; --keep needs a new file", path.display()).into(),
                    )
                }
                Some(path) => path.clone(),
                None => dir.path().join("bench.db"),
            };
            run(&args, &format!("sqlite://{}", path.display())).await
        }
        Backend::Postgres => {
            let server = args
                .url
                .clone()
                .ok_or("--backend postgres needs --url or BATON_TEST_DATABASE_URL")?;
            let name = format!("baton_bench_{}", std::process::id());
            let scratch = ScratchDatabase::create(&server, &name).await?;
            let outcome = run(&args, &scratch.url).await;
            scratch.drop().await?;
            outcome
        }
    }
}

async fn run(args: &Args, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let store = open(url, OpenMode::Create).await?;
    let now = Utc::now();

    let started = Instant::now();
    match args.backend {
        Backend::Sqlite => fill_sqlite(url, args.rows, now).await?,
        Backend::Postgres => fill_postgres(url, args.rows, now).await?,
    }
    let fill = started.elapsed();
    let counts = store.count_inquiries().await?;
    let open_rows: i64 = counts
        .iter()
        .filter(|(_, state, _)| state.is_open())
        .map(|(_, _, n)| n)
        .sum();
    let total: i64 = counts.iter().map(|(_, _, n)| n).sum();
    println!(
        "backend {:?}: filled {total} inquiries ({open_rows} open) in {:.1} s",
        args.backend,
        fill.as_secs_f64()
    );
    if args.without_queue_index {
        drop_queue_index(args.backend, url).await?;
        println!("dropped the partial index inquiries_queue");
    }
    println!("plan of the queue query:");
    for line in plan(args.backend, url).await? {
        println!("    {line}");
    }

    let teams: Vec<String> = (0..TEAMS).map(team).collect();
    for i in 0..args.warmup {
        store.ping().await?;
        store.list_queue(&teams[i % teams.len()], 50).await?;
    }
    let mut ping = Vec::with_capacity(args.calls);
    let mut queue = Vec::with_capacity(args.calls);
    let mut recent = Vec::with_capacity(args.calls);
    let mut fewest = usize::MAX;
    for i in 0..args.calls {
        let team = &teams[i % teams.len()];
        let t = Instant::now();
        store.ping().await?;
        ping.push(t.elapsed());

        let t = Instant::now();
        let rows = store.list_queue(team, 50).await?;
        queue.push(t.elapsed());
        fewest = fewest.min(rows.len());

        let t = Instant::now();
        let filter = InquiryFilter {
            team: Some(team.clone()),
            limit: 50,
            ..InquiryFilter::default()
        };
        store.list_inquiries(&filter).await?;
        recent.push(t.elapsed());
    }
    let mut count = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        store.count_inquiries().await?;
        count.push(t.elapsed());
    }

    let (ping_median, ping_p99) = stats(&mut ping);
    let (queue_median, queue_p99) = stats(&mut queue);
    let (recent_median, recent_p99) = stats(&mut recent);
    let (count_median, _) = stats(&mut count);
    println!(
        "{} calls each (after {} warm-up calls); every queue call returned at least {fewest} rows:",
        args.calls, args.warmup
    );
    println!("| call | median | p99 | median ÷ SELECT 1 |");
    println!("|---|---|---|---|");
    let row = |name: &str, median: Duration, p99: Option<Duration>| {
        println!(
            "| {name} | {} | {} | {:.1}x |",
            ms(median),
            p99.map_or("–".to_owned(), ms),
            median.as_secs_f64() / ping_median.as_secs_f64()
        )
    };
    row("`SELECT 1` (ping)", ping_median, Some(ping_p99));
    row("`list_queue(team, 50)`", queue_median, Some(queue_p99));
    row(
        "`list_inquiries(team, limit 50)`",
        recent_median,
        Some(recent_p99),
    );
    row("`count_inquiries()` (5 calls)", count_median, None);
    println!(
        "RESULT backend={:?} rows={total} fill_s={:.1} ping_median_ms={:.3} ping_p99_ms={:.3} \
         queue_median_ms={:.3} queue_p99_ms={:.3} recent_median_ms={:.3} count_median_ms={:.1}",
        args.backend,
        fill.as_secs_f64(),
        ping_median.as_secs_f64() * 1e3,
        ping_p99.as_secs_f64() * 1e3,
        queue_median.as_secs_f64() * 1e3,
        queue_p99.as_secs_f64() * 1e3,
        recent_median.as_secs_f64() * 1e3,
        count_median.as_secs_f64() * 1e3,
    );
    Ok(())
}

/// Median and 99th percentile (nearest rank).
fn stats(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort_unstable();
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    };
    let p99 = samples[(n * 99).div_ceil(100).max(1) - 1];
    (median, p99)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn team(i: u64) -> String {
    format!("team-{i:02}")
}

/// The query plan of the store's queue query for team 0.
async fn plan(backend: Backend, url: &str) -> Result<Vec<String>, sqlx::Error> {
    match backend {
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(url).await?;
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", query_plans::SQLITE_QUEUE))
                    .bind(team(0))
                    .bind(50_i64)
                    .fetch_all(&mut conn)
                    .await?;
            Ok(rows.into_iter().map(|(_, _, _, detail)| detail).collect())
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(url).await?;
            sqlx::query_scalar(&format!(
                "EXPLAIN (ANALYZE, BUFFERS) {}",
                query_plans::POSTGRES_QUEUE
            ))
            .bind(team(0))
            .bind(50_i64)
            .fetch_all(&mut conn)
            .await
        }
    }
}

async fn drop_queue_index(backend: Backend, url: &str) -> Result<(), sqlx::Error> {
    match backend {
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(url).await?;
            sqlx::query("DROP INDEX inquiries_queue")
                .execute(&mut conn)
                .await?;
            conn.close().await
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(url).await?;
            sqlx::query("DROP INDEX inquiries_queue")
                .execute(&mut conn)
                .await?;
            sqlx::query("ANALYZE inquiries").execute(&mut conn).await?;
            conn.close().await
        }
    }
}

// ---- the data ---------------------------------------------------------------------------------

/// splitmix64: deterministic, good enough to spread values.
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

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const WORDS: &[&str] = &[
    "plugin",
    "fails",
    "to",
    "load",
    "after",
    "update",
    "the",
    "language",
    "server",
    "crashes",
    "when",
    "opening",
    "a",
    "large",
    "project",
    "completion",
    "is",
    "slow",
    "in",
    "monorepo",
    "error",
    "message",
    "unclear",
    "authentication",
    "token",
    "expired",
    "proxy",
    "settings",
    "ignored",
    "VS",
    "Code",
    "JetBrains",
    "extension",
    "cannot",
    "connect",
    "instance",
    "please",
    "help",
    "urgent",
    "customer",
    "reports",
    "regression",
    "since",
    "version",
    "5.2",
    "logs",
    "attached",
    "stack",
    "trace",
    "below",
    "works",
    "on",
    "Linux",
    "but",
    "not",
    "Windows",
];
const LONG_TEXT: &str = "Steps to reproduce: open the project, wait for indexing to finish, \
    then trigger completion in a file with more than ten thousand lines. Expected: suggestions \
    within a second. Actual: the editor freezes for twenty seconds and the log shows repeated \
    timeouts from the language server. This started after the latest release and affects \
    several people on the team. Environment: macOS 14, 32 GB RAM, corporate proxy with TLS \
    inspection. Stack trace: at com.example.agent.Client.request(Client.kt:214) at \
    com.example.agent.Client.complete(Client.kt:388) at com.example.ui.Completion.run(Completion \
    .kt:91). We tried reinstalling the extension, clearing caches and signing out and in again, \
    without any change. Happy to share more logs or jump on a call if that helps. ";

/// A text of `len` bytes (ASCII) made of whole words where possible.
fn text(rng: &mut Rng, len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    if len > 200 {
        // LONG_TEXT is ASCII: any offset is a character boundary.
        let mut start = rng.below(LONG_TEXT.len() as u64) as usize;
        while out.len() < len {
            out.push_str(&LONG_TEXT[start..]);
            start = 0;
        }
    } else {
        while out.len() < len {
            out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
            out.push(' ');
        }
    }
    out.truncate(len);
    out
}

/// One inquiry row, in the column order of [`COLUMNS`].
struct Row {
    team: String,
    source: String,
    external_ref: Option<String>,
    link: Option<String>,
    title: String,
    body: String,
    reporter: Option<String>,
    labels: String,
    severity: Option<String>,
    received_at: DateTime<Utc>,
    area: Option<String>,
    priority: Option<&'static str>,
    suggested_priority: Option<&'static str>,
    suggestion_reason: Option<String>,
    state: &'static str,
    assignee: String,
    first_response_at: Option<DateTime<Utc>>,
    first_response_due: Option<DateTime<Utc>>,
    resolution_due: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    pauses: String,
    issue_url: Option<String>,
    logged_minutes: i64,
    should_escalate: bool,
    next_due: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    version: i64,
}

const COLUMNS: &str = "team, source, external_ref, link, title, body, reporter, labels, \
    severity, received_at, area, priority, suggested_priority, suggestion_reason, state, \
    assignee, first_response_at, first_response_due, resolution_due, resolved_at, pauses, \
    issue_url, logged_minutes, should_escalate, next_due, updated_at, version";

const PRIORITIES: [&str; 4] = ["critical", "high", "medium", "low"];
const OPEN_STATES: [&str; 5] = ["new", "acknowledged", "in_progress", "waiting", "routed"];
const AREAS: [&str; 5] = ["BExt", "VSCE", "JB", "Agent", "Docs"];
const MEMBERS: [&str; 4] = ["philipp", "david", "taras", "beatrix"];

/// Inquiry `i` of `rows`: arrivals spread over three years before `now`; about 1% open (recent
/// arrivals, most with a deadline around now), the rest resolved or (a tenth) escalated.
fn row(i: usize, rows: usize, now: DateTime<Utc>) -> Row {
    let mut rng = Rng(i as u64);
    let team_no = i as u64 % TEAMS;
    let minute = chrono::Duration::minutes(1);
    let span_minutes = 3 * 365 * 24 * 60;
    let is_open = rng.below(100) == 0;
    let received_at = if is_open {
        now - minute * rng.below(14 * 24 * 60) as i32
    } else {
        now - minute * (span_minutes - (span_minutes * i as i64 / rows.max(1) as i64)) as i32
            - minute * 60 * 24 * 14
    };
    let source_kind = rng.below(4);
    let (source, external_ref, link, severity) = match source_kind {
        0 => (
            format!("#team-{team_no}-support"),
            format!(
                "C0{team_no}ABCDEF/p{}{:06}",
                1_600_000_000 + i,
                i % 1_000_000
            ),
            format!(
                "https://example.slack.com/archives/C0{team_no}ABCDEF/p{}",
                1_600_000_000 + i
            ),
            None,
        ),
        1 | 2 => (
            format!("org/team-{team_no}"),
            format!("https://github.com/example/product/issues/{i}"),
            format!("https://github.com/example/product/issues/{i}"),
            None,
        ),
        _ => (
            "alertmanager".to_owned(),
            format!("{:016x}", rng.next()),
            format!("https://grafana.example.com/alerting/{i}"),
            Some(["critical", "warning", "info"][rng.below(3) as usize].to_owned()),
        ),
    };
    let title_len = 30 + rng.below(90) as usize;
    let u = rng.unit();
    let body_len = 80 + (u * u * 2_000.0) as usize; // mostly short, some long (mean ~750 B)
    let labels = match rng.below(4) {
        0 => "[]".to_owned(),
        1 => r#"["bug"]"#.to_owned(),
        2 => r#"["bug","customer"]"#.to_owned(),
        _ => r#"["question","team/integrations","needs-triage"]"#.to_owned(),
    };
    let priority = (rng.below(5) > 0).then(|| PRIORITIES[rng.below(4) as usize]);
    let suggested = (rng.below(2) == 0).then(|| PRIORITIES[rng.below(4) as usize]);
    let state = if is_open {
        OPEN_STATES[rng.below(5) as usize]
    } else if rng.below(10) == 0 {
        "escalated"
    } else {
        "resolved"
    };
    let responded = state != "new";
    let first_response_due = received_at + minute * (60 + rng.below(8 * 60) as i32);
    let first_response_at =
        responded.then(|| received_at + minute * (5 + rng.below(6 * 60) as i32));
    let resolution_due = received_at + minute * (3 * 24 * 60);
    let closed = !is_open;
    let resolved_at = closed.then(|| received_at + minute * (30 + rng.below(5 * 24 * 60) as i32));
    let next_due = if is_open && state != "waiting" && rng.below(8) > 0 {
        Some(now + minute * (rng.below(6 * 24 * 60) as i32 - 3 * 24 * 60))
    } else {
        None
    };
    let pauses = if state == "waiting" {
        format!(
            r#"[{{"start":"{}","end":null}}]"#,
            (received_at + minute * 90).to_rfc3339()
        )
    } else if rng.below(10) == 0 {
        format!(
            r#"[{{"start":"{}","end":"{}"}}]"#,
            (received_at + minute * 60).to_rfc3339(),
            (received_at + minute * 180).to_rfc3339()
        )
    } else {
        "[]".to_owned()
    };
    let logged_minutes = rng.below(180) as i64;
    Row {
        team: team(team_no),
        source,
        external_ref: Some(external_ref),
        link: Some(link),
        title: text(&mut rng, title_len),
        body: text(&mut rng, body_len),
        reporter: Some(format!("user{}", rng.below(5_000))),
        labels,
        severity,
        received_at,
        area: (rng.below(3) > 0).then(|| AREAS[rng.below(5) as usize].to_owned()),
        priority,
        suggested_priority: suggested,
        suggestion_reason: suggested.map(|_| "label `bug` and source alertmanager".to_owned()),
        state,
        assignee: MEMBERS[rng.below(4) as usize].to_owned(),
        first_response_at,
        first_response_due: (!responded).then_some(first_response_due),
        resolution_due: is_open.then_some(resolution_due),
        resolved_at,
        pauses,
        issue_url: (state == "escalated")
            .then(|| format!("https://github.com/example/board/issues/{i}")),
        logged_minutes,
        should_escalate: logged_minutes >= 120 && state != "escalated",
        next_due,
        updated_at: resolved_at.unwrap_or(received_at),
        version: 1 + rng.below(6) as i64,
    }
}

async fn fill_sqlite(url: &str, rows: usize, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut conn = SqliteConnection::connect(url).await?;
    let columns = COLUMNS
        .replace("received_at", "received_at_ms")
        .replace("first_response_at", "first_response_at_ms")
        .replace("first_response_due", "first_response_due_ms")
        .replace("resolution_due", "resolution_due_ms")
        .replace("resolved_at", "resolved_at_ms")
        .replace("next_due", "next_due_ms")
        .replace("updated_at", "updated_at_ms");
    let ms = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_millis());
    let mut i = 0;
    while i < rows {
        let mut tx = conn.begin().await?;
        let end = (i + ROWS_PER_TRANSACTION).min(rows);
        while i < end {
            let batch_end = (i + SQLITE_ROWS_PER_STATEMENT).min(end);
            let mut query =
                QueryBuilder::<Sqlite>::new(format!("INSERT INTO inquiries ({columns}) "));
            query.push_values((i..batch_end).map(|i| row(i, rows, now)), |mut b, r| {
                b.push_bind(r.team)
                    .push_bind(r.source)
                    .push_bind(r.external_ref)
                    .push_bind(r.link)
                    .push_bind(r.title)
                    .push_bind(r.body)
                    .push_bind(r.reporter)
                    .push_bind(r.labels)
                    .push_bind(r.severity)
                    .push_bind(r.received_at.timestamp_millis())
                    .push_bind(r.area)
                    .push_bind(r.priority)
                    .push_bind(r.suggested_priority)
                    .push_bind(r.suggestion_reason)
                    .push_bind(r.state)
                    .push_bind(r.assignee)
                    .push_bind(ms(r.first_response_at))
                    .push_bind(ms(r.first_response_due))
                    .push_bind(ms(r.resolution_due))
                    .push_bind(ms(r.resolved_at))
                    .push_bind(r.pauses)
                    .push_bind(r.issue_url)
                    .push_bind(r.logged_minutes)
                    .push_bind(r.should_escalate)
                    .push_bind(ms(r.next_due))
                    .push_bind(r.updated_at.timestamp_millis())
                    .push_bind(r.version);
            });
            query.build().execute(&mut *tx).await?;
            i = batch_end;
        }
        tx.commit().await?;
    }
    conn.close().await
}

async fn fill_postgres(url: &str, rows: usize, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut conn = PgConnection::connect(url).await?;
    let insert = format!(
        "INSERT INTO inquiries ({COLUMNS})
         SELECT team, source, external_ref, link, title, body, reporter, labels::jsonb,
                severity, received_at, area, priority, suggested_priority, suggestion_reason,
                state, assignee, first_response_at, first_response_due, resolution_due,
                resolved_at, pauses::jsonb, issue_url, logged_minutes, should_escalate,
                next_due, updated_at, version
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::text[],
                     $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                     $17::timestamptz[], $18::timestamptz[], $19::timestamptz[],
                     $20::timestamptz[], $21::text[], $22::text[], $23::int8[], $24::bool[],
                     $25::timestamptz[], $26::timestamptz[], $27::int8[])
              AS t({COLUMNS})"
    );
    let mut i = 0;
    while i < rows {
        let mut tx = conn.begin().await?;
        let end = (i + ROWS_PER_TRANSACTION).min(rows);
        while i < end {
            let batch_end = (i + PG_ROWS_PER_STATEMENT).min(end);
            let batch: Vec<Row> = (i..batch_end).map(|i| row(i, rows, now)).collect();
            macro_rules! column {
                ($field:ident) => {
                    batch.iter().map(|r| r.$field.clone()).collect::<Vec<_>>()
                };
            }
            sqlx::query(&insert)
                .bind(column!(team))
                .bind(column!(source))
                .bind(column!(external_ref))
                .bind(column!(link))
                .bind(column!(title))
                .bind(column!(body))
                .bind(column!(reporter))
                .bind(column!(labels))
                .bind(column!(severity))
                .bind(column!(received_at))
                .bind(column!(area))
                .bind(column!(priority))
                .bind(column!(suggested_priority))
                .bind(column!(suggestion_reason))
                .bind(column!(state))
                .bind(column!(assignee))
                .bind(column!(first_response_at))
                .bind(column!(first_response_due))
                .bind(column!(resolution_due))
                .bind(column!(resolved_at))
                .bind(column!(pauses))
                .bind(column!(issue_url))
                .bind(column!(logged_minutes))
                .bind(column!(should_escalate))
                .bind(column!(next_due))
                .bind(column!(updated_at))
                .bind(column!(version))
                .execute(&mut *tx)
                .await?;
            i = batch_end;
        }
        tx.commit().await?;
    }
    sqlx::query("VACUUM ANALYZE inquiries")
        .execute(&mut conn)
        .await?;
    conn.close().await
}
