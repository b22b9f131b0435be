//! The behaviour every [`Store`] backend must show. `tests/sqlite.rs` and `tests/postgres.rs`
//! run each test here against a fresh database of their backend through [`conformance_suite!`].

use std::sync::Arc;

use baton_core::model::{NewOverride, NewSwap, NewTimeOff};
use baton_store::{kind, open, EventFilter, OpenMode, Store, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};

/// A fresh, migrated database for one test.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    /// The URL `store` was opened from, to open it again.
    pub url: String,
}

/// Generates one `#[tokio::test]` per conformance test, each running it through `$run`, an
/// `async fn(test)` that prepares a [`TestDb`], calls `test(db).await` and cleans up.
macro_rules! conformance_suite {
    ($run:path) => {
        conformance_suite!(@tests $run;
            ping_answers,
            override_round_trips_every_field,
            overrides_overlap_half_open_ranges,
            overrides_are_ordered_by_start_then_id,
            overrides_belong_to_their_team,
            removing_an_override_needs_its_team,
            swaps_round_trip_ordered_by_first_then_id,
            removing_a_swap_needs_its_team,
            time_off_round_trips_and_filters_by_member,
            time_off_overlaps_half_open_ranges,
            removing_time_off,
            events_record_every_change_in_order,
            events_filter_by_team_and_limit,
            invalid_records_are_refused_without_events,
            failed_removal_appends_no_event,
            inverted_query_range_is_refused,
            instants_keep_milliseconds,
            concurrent_adds_are_all_stored,
            reopening_keeps_data,
        );
    };
    (@tests $run:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $run(conformance::$name).await;
            }
        )*
    };
}
pub(crate) use conformance_suite;

// ---- helpers --------------------------------------------------------------------------------

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn new_override(team: &str, member: &str, start: DateTime<Utc>, hours: i64) -> NewOverride {
    NewOverride {
        team: team.into(),
        member: member.into(),
        start,
        end: start + Duration::hours(hours),
        reason: None,
        created_by: "philipp".into(),
    }
}

fn new_swap(team: &str, first: DateTime<Utc>, second: DateTime<Utc>) -> NewSwap {
    NewSwap {
        team: team.into(),
        first,
        second,
        reason: None,
        created_by: "david".into(),
    }
}

fn new_time_off(member: &str, start: DateTime<Utc>, days: i64) -> NewTimeOff {
    NewTimeOff {
        member: member.into(),
        start,
        end: start + Duration::days(days),
        reason: None,
        created_by: member.into(),
    }
}

fn all_events(team: Option<&str>) -> EventFilter {
    EventFilter {
        team: team.map(str::to_owned),
        limit: 1_000,
    }
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Invalid(_)) => {}
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn ids<T>(records: &[T], id: impl Fn(&T) -> i64) -> Vec<i64> {
    records.iter().map(id).collect()
}

// ---- tests ----------------------------------------------------------------------------------

pub async fn ping_answers(db: TestDb) {
    db.store.ping().await.unwrap();
}

/// Every field survives the trip, at DST transitions (Europe and the US, spring and autumn),
/// before 1970 and far in the future.
pub async fn override_round_trips_every_field(db: TestDb) {
    let store = &db.store;
    let cases = [
        // Europe/Berlin springs forward at 01:00 UTC, falls back at 01:00 UTC.
        (utc(2022, 3, 27, 0, 30, 0), utc(2022, 3, 27, 1, 30, 0)),
        (utc(2022, 10, 30, 0, 59, 59), utc(2022, 10, 30, 1, 0, 1)),
        // America/New_York: 2022-03-13 07:00 UTC and 2022-11-06 06:00 UTC.
        (utc(2022, 3, 13, 7, 0, 0), utc(2022, 3, 20, 7, 0, 0)),
        (utc(2022, 11, 6, 5, 0, 0), utc(2022, 11, 6, 7, 0, 0)),
        (utc(1969, 12, 31, 23, 0, 0), utc(1970, 1, 1, 1, 0, 0)),
        (utc(2199, 12, 31, 0, 0, 0), utc(2200, 1, 1, 0, 0, 0)),
    ];
    let before = Utc::now() - Duration::seconds(1);
    let mut added = Vec::new();
    for (i, (start, end)) in cases.into_iter().enumerate() {
        let new = NewOverride {
            team: "integrations".into(),
            member: format!("member-{i}"),
            start,
            end,
            reason: (i % 2 == 0).then(|| format!("reason {i}: ünïcödé, 'quotes' and \"more\"")),
            created_by: "beatrix".into(),
        };
        let stored = store.add_override(new.clone()).await.unwrap();
        assert_eq!(stored.team, new.team);
        assert_eq!(stored.member, new.member);
        assert_eq!(stored.start, new.start);
        assert_eq!(stored.end, new.end);
        assert_eq!(stored.reason, new.reason);
        assert_eq!(stored.created_by, new.created_by);
        assert!(stored.created_at >= before && stored.created_at <= Utc::now());
        added.push(stored);
    }
    added.sort_by_key(|o| (o.start, o.id));
    let listed = store
        .list_overrides("integrations", None, None)
        .await
        .unwrap();
    assert_eq!(listed, added);
    let mut unique = ids(&listed, |o| o.id);
    unique.dedup();
    assert_eq!(unique.len(), listed.len());
}

pub async fn overrides_overlap_half_open_ranges(db: TestDb) {
    let store = &db.store;
    let ten = utc(2022, 9, 26, 10, 0, 0);
    let noon = utc(2022, 9, 26, 12, 0, 0);
    let stored = store
        .add_override(new_override("team", "taras", ten, 2))
        .await
        .unwrap();
    let second = Duration::seconds(1);
    let list = |from, until| {
        let store = store.clone();
        async move {
            ids(
                &store.list_overrides("team", from, until).await.unwrap(),
                |o| o.id,
            )
        }
    };

    // Touching ranges do not overlap.
    assert_eq!(list(Some(noon), None).await, Vec::<i64>::new());
    assert_eq!(list(None, Some(ten)).await, Vec::<i64>::new());
    assert_eq!(
        list(Some(noon), Some(noon + second)).await,
        Vec::<i64>::new()
    );
    assert_eq!(list(Some(ten - second), Some(ten)).await, Vec::<i64>::new());
    // Anything sharing an instant does.
    assert_eq!(list(Some(noon - second), None).await, vec![stored.id]);
    assert_eq!(list(None, Some(ten + second)).await, vec![stored.id]);
    assert_eq!(list(Some(ten), Some(noon)).await, vec![stored.id]);
    assert_eq!(
        list(Some(ten + second), Some(ten + second * 2)).await,
        vec![stored.id]
    );
    assert_eq!(
        list(Some(ten - second), Some(noon + second)).await,
        vec![stored.id]
    );
    assert_eq!(list(None, None).await, vec![stored.id]);
    // An empty range overlaps nothing.
    assert_eq!(
        list(Some(ten + second), Some(ten + second)).await,
        Vec::<i64>::new()
    );
}

pub async fn overrides_are_ordered_by_start_then_id(db: TestDb) {
    let store = &db.store;
    let monday = utc(2022, 9, 26, 7, 0, 0);
    let late = store
        .add_override(new_override("team", "a", monday + Duration::days(2), 1))
        .await
        .unwrap();
    let early_1 = store
        .add_override(new_override("team", "b", monday, 8))
        .await
        .unwrap();
    let early_2 = store
        .add_override(new_override("team", "c", monday, 1))
        .await
        .unwrap();
    let middle = store
        .add_override(new_override("team", "d", monday + Duration::days(1), 1))
        .await
        .unwrap();
    assert!(early_1.id < early_2.id);
    let listed = store.list_overrides("team", None, None).await.unwrap();
    assert_eq!(
        ids(&listed, |o| o.id),
        vec![early_1.id, early_2.id, middle.id, late.id]
    );
}

pub async fn overrides_belong_to_their_team(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 9, 26, 7, 0, 0);
    let ours = store
        .add_override(new_override("ours", "a", start, 1))
        .await
        .unwrap();
    let theirs = store
        .add_override(new_override("theirs", "b", start, 1))
        .await
        .unwrap();
    assert_eq!(
        store.list_overrides("ours", None, None).await.unwrap(),
        vec![ours]
    );
    assert_eq!(
        store.list_overrides("theirs", None, None).await.unwrap(),
        vec![theirs]
    );
    assert!(store
        .list_overrides("nobody", None, None)
        .await
        .unwrap()
        .is_empty());
}

pub async fn removing_an_override_needs_its_team(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 9, 26, 7, 0, 0);
    let stored = store
        .add_override(new_override("ours", "a", start, 1))
        .await
        .unwrap();

    assert_not_found(store.remove_override("theirs", stored.id, "x").await);
    assert_not_found(store.remove_override("ours", stored.id + 1000, "x").await);
    assert_eq!(
        store
            .list_overrides("ours", None, None)
            .await
            .unwrap()
            .len(),
        1
    );

    let removed = store
        .remove_override("ours", stored.id, "david")
        .await
        .unwrap();
    assert_eq!(removed, stored);
    assert!(store
        .list_overrides("ours", None, None)
        .await
        .unwrap()
        .is_empty());
    assert_not_found(store.remove_override("ours", stored.id, "david").await);

    // A removed id is never handed out again.
    let next = store
        .add_override(new_override("ours", "a", start, 1))
        .await
        .unwrap();
    assert!(next.id > stored.id);
}

pub async fn swaps_round_trip_ordered_by_first_then_id(db: TestDb) {
    let store = &db.store;
    // Hand-offs on Mondays around the European autumn DST change.
    let w1 = utc(2022, 10, 24, 7, 0, 0);
    let w2 = utc(2022, 10, 31, 8, 0, 0);
    let w3 = utc(2022, 11, 7, 8, 0, 0);
    let later = store.add_swap(new_swap("team", w2, w3)).await.unwrap();
    let first = NewSwap {
        reason: Some("vacation".into()),
        ..new_swap("team", w1, w3)
    };
    let earlier = store.add_swap(first.clone()).await.unwrap();
    let same_first = store.add_swap(new_swap("team", w1, w2)).await.unwrap();
    store.add_swap(new_swap("other", w1, w2)).await.unwrap();

    assert_eq!(earlier.team, first.team);
    assert_eq!(earlier.first, first.first);
    assert_eq!(earlier.second, first.second);
    assert_eq!(earlier.reason, first.reason);
    assert_eq!(earlier.created_by, first.created_by);
    // `first` may come after `second`.
    let backwards = store.add_swap(new_swap("back", w3, w1)).await.unwrap();
    assert_eq!((backwards.first, backwards.second), (w3, w1));

    let listed = store.list_swaps("team").await.unwrap();
    assert_eq!(listed, vec![earlier, same_first, later]);
}

pub async fn removing_a_swap_needs_its_team(db: TestDb) {
    let store = &db.store;
    let w1 = utc(2022, 10, 24, 7, 0, 0);
    let w2 = utc(2022, 10, 31, 8, 0, 0);
    let stored = store.add_swap(new_swap("ours", w1, w2)).await.unwrap();

    assert_not_found(store.remove_swap("theirs", stored.id, "x").await);
    assert_not_found(store.remove_swap("ours", stored.id + 1000, "x").await);
    assert_eq!(
        store.list_swaps("ours").await.unwrap(),
        vec![stored.clone()]
    );

    let removed = store.remove_swap("ours", stored.id, "taras").await.unwrap();
    assert_eq!(removed, stored);
    assert!(store.list_swaps("ours").await.unwrap().is_empty());
    assert_not_found(store.remove_swap("ours", stored.id, "taras").await);
}

pub async fn time_off_round_trips_and_filters_by_member(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 3, 26, 23, 0, 0); // midnight in Berlin, just before DST starts
    let new = NewTimeOff {
        reason: Some("ski trip".into()),
        ..new_time_off("philipp", start, 3)
    };
    let philipp = store.add_time_off(new.clone()).await.unwrap();
    assert_eq!(philipp.member, new.member);
    assert_eq!(philipp.start, new.start);
    assert_eq!(philipp.end, new.end);
    assert_eq!(philipp.reason, new.reason);
    assert_eq!(philipp.created_by, new.created_by);
    let david = store
        .add_time_off(new_time_off("david", start - Duration::days(1), 1))
        .await
        .unwrap();
    let taras = store
        .add_time_off(new_time_off("taras", start + Duration::days(1), 1))
        .await
        .unwrap();

    let all = store.list_time_off(None, None, None).await.unwrap();
    assert_eq!(all, vec![david.clone(), philipp.clone(), taras.clone()]);

    let some = ["philipp".to_owned(), "taras".to_owned()];
    let listed = store.list_time_off(Some(&some), None, None).await.unwrap();
    assert_eq!(listed, vec![philipp.clone(), taras]);

    let one = ["david".to_owned()];
    let listed = store.list_time_off(Some(&one), None, None).await.unwrap();
    assert_eq!(listed, vec![david]);

    let nobody = ["nobody".to_owned()];
    assert!(store
        .list_time_off(Some(&nobody), None, None)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_time_off(Some(&[]), None, None)
        .await
        .unwrap()
        .is_empty());
}

pub async fn time_off_overlaps_half_open_ranges(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 10, 29, 22, 0, 0);
    let stored = store
        .add_time_off(new_time_off("beatrix", start, 2))
        .await
        .unwrap();
    let end = stored.end;
    let members = ["beatrix".to_owned()];
    let ms = Duration::milliseconds(1);

    for members in [None, Some(&members[..])] {
        let list = |from, until| async move {
            ids(
                &store.list_time_off(members, from, until).await.unwrap(),
                |t| t.id,
            )
        };
        assert_eq!(list(Some(end), None).await, Vec::<i64>::new());
        assert_eq!(list(None, Some(start)).await, Vec::<i64>::new());
        assert_eq!(list(Some(start - ms), Some(start)).await, Vec::<i64>::new());
        assert_eq!(list(Some(end - ms), None).await, vec![stored.id]);
        assert_eq!(list(None, Some(start + ms)).await, vec![stored.id]);
        assert_eq!(list(Some(start), Some(end)).await, vec![stored.id]);
    }
}

pub async fn removing_time_off(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 12, 23, 0, 0, 0);
    let stored = store
        .add_time_off(new_time_off("david", start, 10))
        .await
        .unwrap();
    assert_not_found(store.remove_time_off(stored.id + 1000, "david").await);

    let removed = store.remove_time_off(stored.id, "philipp").await.unwrap();
    assert_eq!(removed, stored);
    assert!(store
        .list_time_off(None, None, None)
        .await
        .unwrap()
        .is_empty());
    assert_not_found(store.remove_time_off(stored.id, "philipp").await);
}

pub async fn events_record_every_change_in_order(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 9, 26, 7, 0, 0);
    let before = Utc::now() - Duration::seconds(1);

    let o = store
        .add_override(new_override("integrations", "taras", start, 4))
        .await
        .unwrap();
    let s = store
        .add_swap(new_swap("integrations", start, start + Duration::weeks(1)))
        .await
        .unwrap();
    let t = store
        .add_time_off(new_time_off("beatrix", start, 5))
        .await
        .unwrap();
    store
        .remove_override("integrations", o.id, "remover-1")
        .await
        .unwrap();
    store
        .remove_swap("integrations", s.id, "remover-2")
        .await
        .unwrap();
    store.remove_time_off(t.id, "remover-3").await.unwrap();

    let events = store.list_events(all_events(None)).await.unwrap();
    let summary: Vec<_> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.actor.as_str(), e.team.as_deref()))
        .collect();
    let team = Some("integrations");
    assert_eq!(
        summary,
        vec![
            (kind::TIME_OFF_REMOVED, "remover-3", None),
            (kind::SWAP_REMOVED, "remover-2", team),
            (kind::OVERRIDE_REMOVED, "remover-1", team),
            (kind::TIME_OFF_ADDED, "beatrix", None),
            (kind::SWAP_ADDED, "david", team),
            (kind::OVERRIDE_ADDED, "philipp", team),
        ]
    );
    assert!(events.windows(2).all(|w| w[0].id > w[1].id));
    assert!(events.windows(2).all(|w| w[0].at >= w[1].at));
    assert!(events.iter().all(|e| e.at >= before && e.at <= Utc::now()));

    let o_json = serde_json::to_value(&o).unwrap();
    let s_json = serde_json::to_value(&s).unwrap();
    let t_json = serde_json::to_value(&t).unwrap();
    let data: Vec<_> = events.iter().map(|e| &e.data).collect();
    assert_eq!(
        data,
        vec![&t_json, &s_json, &o_json, &t_json, &s_json, &o_json]
    );
    // The added event happened when the record was created; instants are RFC 3339.
    assert_eq!(events[5].at, o.created_at);
    assert_eq!(o_json["start"], "2022-09-26T07:00:00Z");
    assert_eq!(events[5].data["id"], o.id);
}

pub async fn events_filter_by_team_and_limit(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 9, 26, 7, 0, 0);
    for i in 0..3 {
        store
            .add_override(new_override("a", "x", start + Duration::hours(i), 1))
            .await
            .unwrap();
        store
            .add_override(new_override("b", "y", start + Duration::hours(i), 1))
            .await
            .unwrap();
    }
    store
        .add_time_off(new_time_off("x", start, 1))
        .await
        .unwrap();

    let a = store.list_events(all_events(Some("a"))).await.unwrap();
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|e| e.team.as_deref() == Some("a")));
    assert!(a.windows(2).all(|w| w[0].id > w[1].id));

    let all = store.list_events(all_events(None)).await.unwrap();
    assert_eq!(all.len(), 7);

    let newest_two = store
        .list_events(EventFilter {
            team: None,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(newest_two, all[..2].to_vec());
    assert_eq!(newest_two[0].kind, kind::TIME_OFF_ADDED);

    let newest_b = store
        .list_events(EventFilter {
            team: Some("b".into()),
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(newest_b.len(), 1);
    assert_eq!(newest_b[0].data["start"], "2022-09-26T09:00:00Z");

    let none = store
        .list_events(EventFilter {
            team: None,
            limit: 0,
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    assert!(store
        .list_events(all_events(Some("nobody")))
        .await
        .unwrap()
        .is_empty());
}

pub async fn invalid_records_are_refused_without_events(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 9, 26, 7, 0, 0);

    let empty = NewOverride {
        end: start,
        ..new_override("team", "a", start, 1)
    };
    assert_invalid(store.add_override(empty).await);
    let inverted = NewOverride {
        end: start - Duration::seconds(1),
        ..new_override("team", "a", start, 1)
    };
    assert_invalid(store.add_override(inverted).await);
    assert_invalid(store.add_override(new_override("", "a", start, 1)).await);
    assert_invalid(
        store
            .add_override(new_override("team", " ", start, 1))
            .await,
    );
    let anonymous = NewOverride {
        created_by: String::new(),
        ..new_override("team", "a", start, 1)
    };
    assert_invalid(store.add_override(anonymous).await);

    assert_invalid(store.add_swap(new_swap("team", start, start)).await);
    assert_invalid(
        store
            .add_swap(new_swap("", start, start + Duration::weeks(1)))
            .await,
    );

    let empty = NewTimeOff {
        end: start,
        ..new_time_off("a", start, 1)
    };
    assert_invalid(store.add_time_off(empty).await);
    let inverted = NewTimeOff {
        end: start - Duration::days(1),
        ..new_time_off("a", start, 1)
    };
    assert_invalid(store.add_time_off(inverted).await);
    assert_invalid(store.add_time_off(new_time_off("", start, 1)).await);

    let message = store
        .add_override(NewOverride {
            end: start,
            ..new_override("team", "a", start, 1)
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("end after"), "{message}");

    assert!(store
        .list_overrides("team", None, None)
        .await
        .unwrap()
        .is_empty());
    assert!(store.list_swaps("team").await.unwrap().is_empty());
    assert!(store
        .list_time_off(None, None, None)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_events(all_events(None))
        .await
        .unwrap()
        .is_empty());
}

pub async fn failed_removal_appends_no_event(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 9, 26, 7, 0, 0);
    let o = store
        .add_override(new_override("ours", "a", start, 1))
        .await
        .unwrap();
    let s = store
        .add_swap(new_swap("ours", start, start + Duration::weeks(1)))
        .await
        .unwrap();
    let before = store.list_events(all_events(None)).await.unwrap();

    assert_not_found(store.remove_override("theirs", o.id, "x").await);
    assert_not_found(store.remove_swap("theirs", s.id, "x").await);
    assert_not_found(store.remove_time_off(12345, "x").await);
    assert_invalid(store.remove_override("ours", o.id, "").await);

    assert_eq!(store.list_events(all_events(None)).await.unwrap(), before);
    assert_eq!(
        store.list_overrides("ours", None, None).await.unwrap(),
        vec![o]
    );
}

pub async fn inverted_query_range_is_refused(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 7, 0, 0);
    let before = t - Duration::seconds(1);
    assert_invalid(store.list_overrides("team", Some(t), Some(before)).await);
    assert_invalid(store.list_time_off(None, Some(t), Some(before)).await);
}

/// Millisecond instants round-trip exactly; finer parts are truncated on every backend, and what
/// an add returns is what a list returns.
pub async fn instants_keep_milliseconds(db: TestDb) {
    let store = &db.store;
    let start = utc(2022, 3, 27, 1, 0, 0) + Duration::milliseconds(123);
    let exact = store
        .add_override(new_override("team", "a", start, 1))
        .await
        .unwrap();
    assert_eq!(exact.start, start);
    assert_eq!(exact.created_at.timestamp_subsec_nanos() % 1_000_000, 0);

    let fine = NewTimeOff {
        start: start + Duration::microseconds(456),
        end: start + Duration::days(1) + Duration::nanoseconds(999_999),
        ..new_time_off("a", start, 1)
    };
    let truncated = store.add_time_off(fine).await.unwrap();
    assert_eq!(truncated.start, start);
    assert_eq!(truncated.end, start + Duration::days(1));
    assert_eq!(
        store.list_time_off(None, None, None).await.unwrap(),
        vec![truncated.clone()]
    );

    // Query bounds finer than a millisecond keep their exact meaning.
    let end = truncated.end;
    let after_end = Some(end + Duration::microseconds(1));
    assert!(store
        .list_time_off(None, after_end, None)
        .await
        .unwrap()
        .is_empty());
    let just_after_start = Some(start + Duration::microseconds(1));
    assert_eq!(
        store
            .list_time_off(None, None, just_after_start)
            .await
            .unwrap(),
        vec![truncated]
    );
}

pub async fn concurrent_adds_are_all_stored(db: TestDb) {
    const TASKS: i64 = 8;
    const EACH: i64 = 15;
    let start = utc(2022, 9, 26, 7, 0, 0);
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..EACH {
                    let at = start + Duration::hours(task * EACH + i);
                    let o = store
                        .add_override(new_override("team", &format!("m{task}"), at, 1))
                        .await
                        .unwrap();
                    let t = store
                        .add_time_off(new_time_off(&format!("m{task}"), at, 1))
                        .await
                        .unwrap();
                    ids.push((o.id, t.id));
                }
                ids
            })
        })
        .collect();
    let mut added = Vec::new();
    for task in tasks {
        added.extend(task.await.unwrap());
    }

    let total = usize::try_from(TASKS * EACH).unwrap();
    let overrides = db.store.list_overrides("team", None, None).await.unwrap();
    let time_off = db.store.list_time_off(None, None, None).await.unwrap();
    assert_eq!(overrides.len(), total);
    assert_eq!(time_off.len(), total);
    let mut stored: Vec<_> = ids(&overrides, |o| o.id);
    let mut returned: Vec<_> = added.iter().map(|(o, _)| *o).collect();
    stored.sort_unstable();
    returned.sort_unstable();
    assert_eq!(stored, returned);
    let events = db.store.list_events(all_events(None)).await.unwrap();
    assert_eq!(events.len(), total * 2);
}

pub async fn reopening_keeps_data(db: TestDb) {
    let start = utc(2022, 9, 26, 7, 0, 0);
    let o = db
        .store
        .add_override(new_override("team", "a", start, 1))
        .await
        .unwrap();
    let s = db
        .store
        .add_swap(new_swap("team", start, start + Duration::weeks(1)))
        .await
        .unwrap();
    let t = db
        .store
        .add_time_off(new_time_off("a", start, 1))
        .await
        .unwrap();
    let events = db.store.list_events(all_events(None)).await.unwrap();
    drop(db.store);

    let store = open(&db.url, OpenMode::Existing).await.unwrap();
    assert_eq!(
        store.list_overrides("team", None, None).await.unwrap(),
        vec![o]
    );
    assert_eq!(store.list_swaps("team").await.unwrap(), vec![s]);
    assert_eq!(
        store.list_time_off(None, None, None).await.unwrap(),
        vec![t]
    );
    assert_eq!(store.list_events(all_events(None)).await.unwrap(), events);

    // Opening again (migrations already applied) is harmless, and writing continues.
    let again = open(&db.url, OpenMode::Create).await.unwrap();
    again
        .add_override(new_override("team", "b", start, 2))
        .await
        .unwrap();
    assert_eq!(
        store
            .list_overrides("team", None, None)
            .await
            .unwrap()
            .len(),
        2
    );
}
