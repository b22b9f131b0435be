//! The conformance suite against a fresh temporary SQLite file per test, plus what only SQLite
//! has: files that must exist, pragmas, the schema seen from plain SQL.

mod conformance;

use std::future::Future;

use baton_core::model::NewOverride;
use baton_store::{open, EventFilter, OpenMode, StoreError};
use chrono::{Duration, TimeZone, Utc};
use conformance::{conformance_suite, TestDb};
use sqlx::error::ErrorKind;
use sqlx::sqlite::SqliteQueryResult;
use sqlx::{Connection, SqliteConnection};

/// Runs `test` against a new database file in a temporary directory.
async fn run<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("baton.db").display());
    let store = open(&url, OpenMode::Create).await.unwrap();
    test(TestDb { store, url }).await;
}

conformance_suite!(run);

#[tokio::test]
async fn existing_mode_refuses_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.db");
    let url = format!("sqlite://{}", path.display());

    let error = open(&url, OpenMode::Existing).await.err().unwrap();
    match &error {
        StoreError::NotCreated { path: missing } => assert_eq!(missing, &path),
        other => panic!("expected NotCreated, got {other:?}"),
    }
    assert!(error.to_string().contains("baton migrate"), "{error}");
    assert!(!path.exists());

    open(&url, OpenMode::Create).await.unwrap();
    assert!(path.exists());
    open(&url, OpenMode::Existing).await.unwrap();
}

#[tokio::test]
async fn file_is_in_wal_mode_and_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("baton.db").display());
    let _store = open(&url, OpenMode::Create).await.unwrap();

    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' \
         AND name <> 'sqlite_sequence' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "api_tokens",
            "checks",
            "deliveries",
            "events",
            "inquiries",
            "login_links",
            "notes",
            "overrides",
            "schedule_revision",
            "sessions",
            "swaps",
            "time_entries",
            "time_off",
            "users"
        ]
    );
}

#[tokio::test]
async fn memory_database_keeps_data_across_connections() {
    let store = open("sqlite::memory:", OpenMode::Existing).await.unwrap();
    let start = Utc.with_ymd_and_hms(2022, 9, 26, 7, 0, 0).unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .add_override(NewOverride {
                        team: "team".into(),
                        member: format!("m{i}"),
                        start: start + Duration::hours(i),
                        end: start + Duration::hours(i + 1),
                        reason: None,
                        created_by: "x".into(),
                    })
                    .await
                    .unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        store
            .list_overrides("team", None, None)
            .await
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn unsupported_scheme_is_refused() {
    let error = open("mysql://root:hunter2@localhost/baton", OpenMode::Create)
        .await
        .err()
        .unwrap();
    let message = error.to_string();
    assert!(message.contains("`mysql`"), "{message}");
    assert!(message.contains("sqlite://"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

/// The schema refuses bad rows and changes to events even when the store's checks are bypassed.
#[tokio::test]
async fn schema_enforces_ranges_and_append_only_events() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("baton.db").display());
    let store = open(&url, OpenMode::Create).await.unwrap();
    let start = Utc.with_ymd_and_hms(2022, 9, 26, 7, 0, 0).unwrap();
    store
        .add_override(NewOverride {
            team: "team".into(),
            member: "a".into(),
            start,
            end: start + Duration::hours(1),
            reason: None,
            created_by: "x".into(),
        })
        .await
        .unwrap();

    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let bad_override = sqlx::query(
        "INSERT INTO overrides (team, member, starts_at_ms, ends_at_ms, created_by, created_at_ms) \
         VALUES ('t', 'm', ?, ?, 'x', 0)",
    )
    .bind(1_000_i64)
    .bind(1_000_i64)
    .execute(&mut conn)
    .await;
    assert_check_violation(bad_override);
    let bad_swap = sqlx::query(
        "INSERT INTO swaps (team, first_at_ms, second_at_ms, created_by, created_at_ms) \
         VALUES ('t', ?, ?, 'x', 0)",
    )
    .bind(5_i64)
    .bind(5_i64)
    .execute(&mut conn)
    .await;
    assert_check_violation(bad_swap);
    let bad_time_off = sqlx::query(
        "INSERT INTO time_off (member, starts_at_ms, ends_at_ms, created_by, created_at_ms) \
         VALUES ('m', ?, ?, 'x', 0)",
    )
    .bind(9_i64)
    .bind(3_i64)
    .execute(&mut conn)
    .await;
    assert_check_violation(bad_time_off);

    let update = sqlx::query("UPDATE events SET actor = 'mallory'")
        .execute(&mut conn)
        .await;
    assert_append_only(update);
    let delete = sqlx::query("DELETE FROM events").execute(&mut conn).await;
    assert_append_only(delete);

    let events = store
        .list_events(EventFilter {
            team: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, "x");
}

fn assert_check_violation(result: Result<SqliteQueryResult, sqlx::Error>) {
    let error = result.unwrap_err();
    let kind = error.as_database_error().map(|e| e.kind());
    assert!(matches!(kind, Some(ErrorKind::CheckViolation)), "{error}");
}

fn assert_append_only(result: Result<SqliteQueryResult, sqlx::Error>) {
    let error = result.unwrap_err();
    assert!(error.to_string().contains("append-only"), "{error}");
}

/// The open queue is read from the partial index in order, without sorting and without visiting
/// closed inquiries, however many of those there are.
#[tokio::test]
async fn queue_query_reads_the_partial_index_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("baton.db").display());
    let store = open(&url, OpenMode::Create).await.unwrap();
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    // 20,000 inquiries across 10 teams, 1% open, a seventh without a deadline.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO inquiries (team, source, title, body, received_at_ms, state, assignee,
                                next_due_ms, updated_at_ms, version)
         SELECT 'team-' || (i % 10), 'src', 'title ' || i, 'body', i * 1000,
                CASE WHEN i % 1000 < 10 THEN 'new' ELSE 'resolved' END, 'a',
                CASE WHEN i % 7 = 0 THEN NULL ELSE 5000000 - i * 100 END, i * 1000, 1
         FROM n",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!(
        "EXPLAIN QUERY PLAN {}",
        baton_store::query_plans::SQLITE_QUEUE
    ))
    .bind("team-0")
    .bind(50_i64)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let plan: Vec<&str> = rows
        .iter()
        .map(|(_, _, _, detail)| detail.as_str())
        .collect();
    assert_eq!(
        plan,
        ["SEARCH inquiries USING INDEX inquiries_queue (team=?)"],
        "{plan:?}"
    );

    let queue = store.list_queue("team-0", 50).await.unwrap();
    assert_eq!(queue.len(), 20);
    assert!(queue
        .iter()
        .all(|i| i.team == "team-0" && i.state.is_open()));
    assert!(queue.iter().any(|i| i.next_due.is_none()));
    let keys: Vec<_> = queue
        .iter()
        .map(|i| (i.next_due.is_none(), i.next_due))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
}

/// An in-memory database has no file for intake's own connection: its batches go through the
/// pool, with the same outcomes.
#[tokio::test]
async fn memory_database_commits_intake() {
    use baton_store::{IntakeItem, IntakeOutcome, NewDelivery};
    let store = open("sqlite::memory:", OpenMode::Existing).await.unwrap();
    let at = Utc.with_ymd_and_hms(2022, 9, 26, 7, 0, 0).unwrap();
    let item = |key: &str| IntakeItem {
        delivery: NewDelivery {
            provider: "github".into(),
            key: Some(key.into()),
            team: None,
            kind: "ping".into(),
            headers: serde_json::json!({"x-github-event": "ping"}),
            body: b"{}".to_vec(),
            received_at: at,
            outcome: "ping".into(),
        },
        effects: Vec::new(),
        schedule_revision: None,
    };
    let outcomes = store
        .commit_intake(vec![item("github:1"), item("github:1"), item("github:2")])
        .await
        .unwrap();
    assert!(matches!(outcomes[0], IntakeOutcome::Stored { .. }));
    assert_eq!(outcomes[1], IntakeOutcome::Duplicate);
    assert!(matches!(outcomes[2], IntakeOutcome::Stored { .. }));
    let known = store
        .known_deliveries(&["github:1".into(), "github:3".into()])
        .await
        .unwrap();
    assert_eq!(known, ["github:1"]);
}

/// Webhook bodies are kept lz4-compressed on SQLite (PostgreSQL compresses them itself) and
/// read back whole; rows stored before that (`identity`) read back as they are, and a damaged
/// value is an error, not a panic.
#[tokio::test]
async fn delivery_bodies_are_kept_compressed_and_read_back_whole() {
    use baton_store::{DeliveryFilter, IntakeItem, NewDelivery};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("baton.db").display());
    let store = open(&url, OpenMode::Create).await.unwrap();
    let body = include_bytes!("../../baton-integrations/tests/fixtures/github/issues_opened.json");
    let at = Utc.with_ymd_and_hms(2022, 9, 26, 7, 0, 0).unwrap();
    let item = IntakeItem {
        delivery: NewDelivery {
            provider: "github".into(),
            key: Some("github:72d3162e".into()),
            team: None,
            kind: "issues.opened".into(),
            headers: serde_json::json!({"x-github-event": "issues"}),
            body: body.to_vec(),
            received_at: at,
            outcome: "unrouted".into(),
        },
        effects: Vec::new(),
        schedule_revision: None,
    };
    store.commit_intake(vec![item]).await.unwrap();

    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let (codec, stored): (String, i64) =
        sqlx::query_as("SELECT body_codec, length(body) FROM deliveries")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(codec, "lz4");
    assert!(
        stored * 3 < body.len() as i64,
        "{stored} of {} bytes",
        body.len()
    );

    // A row as every row was before bodies were compressed.
    sqlx::query(
        "INSERT INTO deliveries (provider, key, kind, headers, body, received_at_ms, outcome)
         VALUES ('github', 'github:old', 'ping', '{}', ?, ?, 'ping')",
    )
    .bind(&body[..])
    .bind(at.timestamp_millis() + 1)
    .execute(&mut conn)
    .await
    .unwrap();
    let all = DeliveryFilter {
        unrouted_only: false,
        provider: None,
        limit: 10,
    };
    let listed = store.list_deliveries(&all).await.unwrap();
    assert_eq!(listed.len(), 2);
    for delivery in &listed {
        assert_eq!(delivery.body, body, "{:?}", delivery.key);
    }

    sqlx::query("UPDATE deliveries SET body = x'ffffffff10' WHERE body_codec = 'lz4'")
        .execute(&mut conn)
        .await
        .unwrap();
    assert!(matches!(
        store.list_deliveries(&all).await,
        Err(StoreError::Damaged(_))
    ));
}

/// Migration 0007 rebuilds `inquiries` (its CHECKs without `IN` lists): a database made before
/// it keeps every inquiry as it was, with the rows that refer to them, and its AUTOINCREMENT
/// counter; the rebuilt CHECKs refuse what the old ones refused.
#[tokio::test]
async fn inquiries_stored_before_migration_7_survive_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("baton.db").display());
    let mut before = sqlx::migrate!("./migrations/sqlite");
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < 7)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
    let mut conn =
        SqliteConnection::connect_with(&options.create_if_missing(true).foreign_keys(true))
            .await
            .unwrap();
    before.run(&mut conn).await.unwrap();
    for (id, state, priority) in [
        (1, "new", Some("high")),
        (2, "resolved", None),
        (3, "waiting", None),
    ] {
        sqlx::query(
            "INSERT INTO inquiries (id, team, source, external_ref, title, body, labels,
                                    received_at_ms, priority, state, assignee, next_due_ms,
                                    updated_at_ms, version)
             VALUES (?, 'integrations', 'github', ?, 'Title', 'Body', '[\"bug\"]', ?, ?, ?,
                     'taras', ?, ?, 1)",
        )
        .bind(id)
        .bind(format!("github:acme/api#{id}"))
        .bind(1_000 * id)
        .bind(priority)
        .bind(state)
        .bind(5_000 * id)
        .bind(1_000 * id)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    sqlx::query("DELETE FROM inquiries WHERE id = 3")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO time_entries (inquiry_id, team, member, minutes, at_ms)
         VALUES (1, 'integrations', 'taras', 30, 2000)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO notes (inquiry_id, team, author, text, at_ms)
         VALUES (2, 'integrations', 'taras', 'asked upstream', 3000)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let all_rows = "SELECT id, team, source, external_ref, title, labels, received_at_ms,
                           priority, state, assignee, next_due_ms, version
                    FROM inquiries ORDER BY id";
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        String,
        String,
        i64,
        Option<String>,
        String,
        String,
        Option<i64>,
        i64,
    );
    let rows_before: Vec<Row> = sqlx::query_as(all_rows).fetch_all(&mut conn).await.unwrap();
    conn.close().await.unwrap();

    let store = open(&url, OpenMode::Existing).await.unwrap();
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let rows_after: Vec<Row> = sqlx::query_as(all_rows).fetch_all(&mut conn).await.unwrap();
    assert_eq!(rows_after, rows_before);
    let version: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(version >= 7, "{version}");
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let joined: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM time_entries JOIN inquiries ON inquiries.id = inquiry_id)
              + (SELECT count(*) FROM notes JOIN inquiries ON inquiries.id = inquiry_id)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(joined, 2);

    // The queue still reads the open inquiry; the next inquiry does not take the deleted id 3.
    let queue = store.list_queue("integrations", 10).await.unwrap();
    assert_eq!(queue.iter().map(|i| i.id).collect::<Vec<_>>(), [1]);
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO inquiries (team, source, title, body, received_at_ms, state, assignee,
                                updated_at_ms, version)
         VALUES ('integrations', 'slack', 'Next', '', 9000, 'new', 'taras', 9000, 1)
         RETURNING id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(next, 4);

    // What the old CHECKs refused, the new ones refuse.
    for (column, value) in [
        ("state", "closed"),
        ("priority", "urgent"),
        ("suggested_priority", "p1"),
    ] {
        let refused = sqlx::query(&format!("UPDATE inquiries SET {column} = ? WHERE id = 1"))
            .bind(value)
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("CHECK constraint failed"),
            "{column} = {value}: {refused}"
        );
    }
}
