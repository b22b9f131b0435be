//! The conformance suite against PostgreSQL, when `BATON_TEST_DATABASE_URL` names a server:
//! every test gets its own database, created through that URL and dropped afterwards.
//!
//! Without the variable the tests are skipped, except in CI (`CI` set), where they fail.

mod conformance;

use std::future::Future;
use std::io::Write;
use std::sync::Once;

use baton_core::inquiry::{NewInquiry, State};
use baton_core::model::NewOverride;
use baton_store::bench_support::ScratchDatabase;
use baton_store::{
    open, redact_url, DeliveryFilter, EffectOutcome, EventFilter, IntakeEffect, IntakeItem,
    IntakeOutcome, NewDelivery, OpenMode,
};
use chrono::{Duration, TimeZone, Utc};
use conformance::{conformance_suite, TestDb};
use sqlx::error::ErrorKind;
use sqlx::postgres::PgQueryResult;
use sqlx::{Connection, PgConnection};

const URL_VAR: &str = "BATON_TEST_DATABASE_URL";

/// The server URL from the environment; `None` (after saying so once) when tests should skip.
fn server_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let in_ci = std::env::var("CI").is_ok_and(|ci| !ci.is_empty());
            assert!(
                !in_ci,
                "{URL_VAR} is required in CI to run the PostgreSQL conformance suite, \
                 e.g. {URL_VAR}=postgres://postgres@127.0.0.1:5432/test"
            );
            static SKIP: Once = Once::new();
            SKIP.call_once(|| {
                // Straight to stderr so that the test harness does not capture it.
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping PostgreSQL conformance: set \
                     {URL_VAR}=postgres://USER@HOST:PORT/DATABASE to run it"
                );
            });
            None
        }
    }
}

/// Runs `test` against a new database, which is dropped afterwards even if the test panics.
async fn run<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(server_url) = server_url() else {
        return;
    };
    let name = format!("baton_test_{}", uuid::Uuid::new_v4().simple());
    let scratch = ScratchDatabase::create(&server_url, &name)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot create a database on {}: {e}",
                redact_url(&server_url)
            )
        });
    let url = scratch.url.clone();
    let outcome = tokio::spawn(async move {
        let store = open(&url, OpenMode::Existing).await.unwrap();
        test(TestDb { store, url }).await;
    })
    .await;
    scratch.drop().await.unwrap();
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("test task failed: {error}"),
        }
    }
}

conformance_suite!(run);

/// Where the server has lz4, the large values intake writes are compressed with it (migration
/// 0006). (The conformance suite reads them back byte for byte.)
#[tokio::test]
async fn intake_columns_use_lz4_where_the_server_has_it() {
    run(|db: TestDb| async move {
        let mut conn = PgConnection::connect(&db.url).await.unwrap();
        let has_lz4: bool = sqlx::query_scalar(
            "SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        let methods: Vec<(String, String)> = sqlx::query_as(
            "SELECT attrelid::regclass::text || '.' || attname, attcompression::text \
             FROM pg_attribute \
             WHERE (attrelid, attname) IN (('deliveries'::regclass, 'body'), \
                 ('deliveries'::regclass, 'headers'), ('inquiries'::regclass, 'body'), \
                 ('events'::regclass, 'data')) ORDER BY 1",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(methods.len(), 4, "{methods:?}");
        let expected = if has_lz4 { "l" } else { "" };
        for (column, method) in &methods {
            assert_eq!(method, expected, "compression of {column}");
        }
    })
    .await;
}

/// The schema refuses bad rows and changes to events even when the store's checks are bypassed.
#[tokio::test]
async fn schema_enforces_ranges_and_append_only_events() {
    run(|db: TestDb| async move {
        let start = Utc.with_ymd_and_hms(2022, 9, 26, 7, 0, 0).unwrap();
        db.store
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

        let mut conn = PgConnection::connect(&db.url).await.unwrap();
        let bad_override = sqlx::query(
            "INSERT INTO overrides (team, member, starts_at, ends_at, created_by, created_at) \
             VALUES ('t', 'm', $1, $1, 'x', now())",
        )
        .bind(start)
        .execute(&mut conn)
        .await;
        assert_check_violation(bad_override);
        let bad_swap = sqlx::query(
            "INSERT INTO swaps (team, first_at, second_at, created_by, created_at) \
             VALUES ('t', $1, $1, 'x', now())",
        )
        .bind(start)
        .execute(&mut conn)
        .await;
        assert_check_violation(bad_swap);
        let bad_time_off = sqlx::query(
            "INSERT INTO time_off (member, starts_at, ends_at, created_by, created_at) \
             VALUES ('m', $1, $2, 'x', now())",
        )
        .bind(start)
        .bind(start - Duration::days(1))
        .execute(&mut conn)
        .await;
        assert_check_violation(bad_time_off);

        for statement in [
            "UPDATE events SET actor = 'mallory'",
            "DELETE FROM events",
            "TRUNCATE events",
        ] {
            assert_append_only(sqlx::query(statement).execute(&mut conn).await);
        }
        conn.close().await.unwrap();

        let events = db
            .store
            .list_events(EventFilter {
                team: None,
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].actor, "x");
    })
    .await;
}

fn assert_check_violation(result: Result<PgQueryResult, sqlx::Error>) {
    let error = result.unwrap_err();
    let kind = error.as_database_error().map(|e| e.kind());
    assert!(matches!(kind, Some(ErrorKind::CheckViolation)), "{error}");
}

fn assert_append_only(result: Result<PgQueryResult, sqlx::Error>) {
    let error = result.unwrap_err();
    assert!(error.to_string().contains("append-only"), "{error}");
}

/// The open queue is read from the partial index in order, without sorting and without visiting
/// closed inquiries, however many of those there are; also with a generic plan. (When a team has
/// hardly more open inquiries than the limit, PostgreSQL may rightly prefer to fetch them all
/// from the same index and sort those few; hence 200 open per team here.)
#[tokio::test]
async fn queue_query_reads_the_partial_index_in_order() {
    run(|db: TestDb| async move {
        let mut conn = PgConnection::connect(&db.url).await.unwrap();
        // 100,000 inquiries across 10 teams, 2% open (200 a team), a seventh without a deadline.
        sqlx::query(
            "INSERT INTO inquiries (team, source, title, body, received_at, state, assignee,
                                    next_due, updated_at, version)
             SELECT 'team-' || (i % 10), 'src', 'title ' || i, 'body',
                    timestamptz '2022-01-01Z' + i * interval '1 minute',
                    CASE WHEN i % 1000 < 20 THEN 'new' ELSE 'resolved' END, 'a',
                    CASE WHEN i % 7 = 0 THEN NULL
                         ELSE timestamptz '2023-01-01Z' - i * interval '1 minute' END,
                    now(), 1
             FROM generate_series(1, 100000) AS i",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query("ANALYZE inquiries")
            .execute(&mut conn)
            .await
            .unwrap();

        for generic in [false, true] {
            if generic {
                sqlx::query("SET plan_cache_mode = force_generic_plan")
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            let plan: Vec<String> = sqlx::query_scalar(&format!(
                "EXPLAIN {}",
                baton_store::query_plans::POSTGRES_QUEUE
            ))
            .bind("team-0")
            .bind(50_i64)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let plan = plan.join("\n");
            assert!(plan.contains("Index Scan using inquiries_queue"), "{plan}");
            assert!(!plan.contains("Sort"), "{plan}");
            assert!(!plan.contains("Seq Scan"), "{plan}");
        }
        conn.close().await.unwrap();

        let queue = db.store.list_queue("team-0", 50).await.unwrap();
        assert_eq!(queue.len(), 50);
        assert!(queue
            .iter()
            .all(|i| i.team == "team-0" && i.state.is_open()));
        let all = db.store.list_queue("team-0", 1_000).await.unwrap();
        assert!(all.iter().any(|i| i.next_due.is_none()));
        let keys: Vec<_> = all
            .iter()
            .map(|i| (i.next_due.is_none(), i.next_due))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
    })
    .await;
}

/// A batch that PostgreSQL aborts as a deadlock is run again by `commit_intake` itself: here
/// another transaction holds the reference `r2` the batch is about to create, then creates the
/// `r1` the batch already holds. The batch's backend detects the deadlock first (the other
/// session waits 10 s before checking) and is the one aborted; its second attempt waits for the
/// other transaction and finds both inquiries stored.
#[tokio::test]
async fn intake_batch_aborted_by_a_deadlock_is_retried() {
    run(|db: TestDb| async move {
        let t = Utc.with_ymd_and_hms(2022, 9, 26, 7, 0, 0).unwrap();
        let insert =
            "INSERT INTO inquiries (team, source, external_ref, title, body, received_at, \
                      state, assignee, updated_at, version) \
                      VALUES ('team', 'src', $1, 'elsewhere', '', $2, 'new', 'a', $2, 1)";
        let mut other = PgConnection::connect(&db.url).await.unwrap();
        sqlx::query("SET deadlock_timeout = '10s'")
            .execute(&mut other)
            .await
            .unwrap();
        sqlx::query("BEGIN").execute(&mut other).await.unwrap();
        sqlx::query(insert)
            .bind("r2")
            .bind(t)
            .execute(&mut other)
            .await
            .unwrap();

        let store = db.store.clone();
        let batch = tokio::spawn(async move {
            let new = |external_ref: &str| NewInquiry {
                team: "team".into(),
                source: "src".into(),
                external_ref: Some(external_ref.into()),
                link: None,
                title: format!("from intake {external_ref}"),
                body: String::new(),
                reporter: None,
                labels: Vec::new(),
                severity: None,
                received_at: t,
                area: None,
                priority: None,
                suggested_priority: None,
                suggestion_reason: None,
                state: State::New,
                assignee: "a".into(),
                first_response_due: None,
                resolution_due: None,
                next_due: None,
            };
            let item = IntakeItem {
                schedule_revision: None,
                delivery: NewDelivery {
                    provider: "github".into(),
                    key: Some("github:1".into()),
                    team: Some("team".into()),
                    kind: "issues.opened".into(),
                    headers: serde_json::json!({}),
                    body: b"{}".to_vec(),
                    received_at: t,
                    outcome: "inquiry created".into(),
                },
                effects: ["r1", "r2"]
                    .into_iter()
                    .map(|external_ref| IntakeEffect::Create {
                        inquiry: new(external_ref),
                        actor: "intake".into(),
                    })
                    .collect(),
            };
            store.commit_intake(vec![item]).await
        });
        // The batch inserts `r1`, then waits for `r2`.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(!batch.is_finished());
        sqlx::query(insert)
            .bind("r1")
            .bind(t)
            .execute(&mut other)
            .await
            .unwrap();
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        other.close().await.unwrap();

        let outcomes = batch.await.unwrap().unwrap();
        let IntakeOutcome::Stored { effects, .. } = &outcomes[0] else {
            panic!("expected a stored delivery, got {outcomes:?}");
        };
        for effect in effects {
            match effect {
                EffectOutcome::Created { inquiry, created } => {
                    assert!(!created);
                    assert_eq!(inquiry.title, "elsewhere");
                }
                other => panic!("expected Created, got {other:?}"),
            }
        }
        let deliveries = db
            .store
            .list_deliveries(&DeliveryFilter::default())
            .await
            .unwrap();
        assert_eq!(deliveries.len(), 1);
        let events = db
            .store
            .list_events(EventFilter {
                team: None,
                limit: 10,
            })
            .await
            .unwrap();
        assert!(events.is_empty());
    })
    .await;
}
