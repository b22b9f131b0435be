//! The behaviour every [`Store`] backend must show. `tests/sqlite.rs` and `tests/postgres.rs`
//! run each test here against a fresh database of their backend through [`conformance_suite!`].

use std::sync::Arc;

use baton_core::access::{ApiToken, NewApiToken, Role};
use baton_core::inquiry::{Inquiry, NewCheck, NewInquiry, NewNote, NewTimeEntry, Pause, State};
use baton_core::model::{NewOverride, NewSwap, NewTimeOff};
use baton_core::sla::Priority;
use baton_store::{
    kind, open, DeliveryFilter, EffectOutcome, EventFilter, InquiryChange, InquiryFilter,
    IntakeEffect, IntakeItem, IntakeOutcome, IntakeRetry, NewDelivery, NoteFilter, OpenMode, Store,
    StoreError, TimeEntryFilter,
};
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
            inquiry_round_trips_every_field,
            creating_an_inquiry_appends_its_event,
            duplicate_external_ref_returns_the_existing_inquiry,
            concurrent_duplicate_creates_store_one_inquiry,
            save_with_stale_version_conflicts,
            concurrent_saves_of_one_version_let_one_win,
            save_cannot_change_what_identifies_an_inquiry,
            time_entry_is_stored_with_its_save,
            time_entries_filter,
            queue_orders_by_deadline_with_none_last,
            queue_leaves_out_closed_inquiries_and_other_teams,
            inquiries_list_newest_first_with_filters,
            inquiries_are_counted_by_team_and_state,
            events_of_an_inquiry_in_order,
            notes_round_trip_on_inquiries_and_shifts,
            checks_round_trip_in_half_open_ranges,
            tokens_round_trip_without_their_hash_in_events,
            revoked_tokens_are_not_found,
            invalid_inquiries_are_refused_without_events,
            delivery_round_trips_byte_for_byte,
            intake_creates_inquiries_like_create_inquiry,
            duplicate_deliveries_are_skipped_in_and_across_batches,
            concurrent_intake_stores_each_key_once,
            stale_save_is_reported_and_the_rest_of_the_batch_committed,
            intake_mixes_creates_and_saves_in_order,
            creates_in_one_batch_get_their_own_inquiries,
            invalid_intake_item_is_named_and_nothing_written,
            unrouted_deliveries_are_listed_apart,
            inquiries_are_found_by_ref_across_teams,
            known_deliveries_are_the_stored_keys,
            stale_effects_are_retried_without_storing_the_delivery_again,
            schedule_changes_move_the_revision_and_outdate_intake_effects,
            accounts_are_unique_by_email_without_case,
            account_roles_change_with_an_event,
            sessions_expire_and_end,
            disabled_accounts_lose_their_sessions_and_links,
            a_new_password_ends_the_other_sessions,
            sign_in_links_work_once_and_expire,
            concurrent_redeemers_of_a_link_let_exactly_one_in,
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

// ---- inquiries ------------------------------------------------------------------------------

fn new_inquiry(team: &str, external_ref: Option<&str>, received_at: DateTime<Utc>) -> NewInquiry {
    NewInquiry {
        team: team.into(),
        source: "#integrations".into(),
        external_ref: external_ref.map(str::to_owned),
        link: None,
        title: "Plugin fails to load".into(),
        body: "It crashes on start.".into(),
        reporter: None,
        labels: Vec::new(),
        severity: None,
        received_at,
        area: None,
        priority: None,
        suggested_priority: None,
        suggestion_reason: None,
        state: State::New,
        assignee: "philipp".into(),
        first_response_due: None,
        resolution_due: None,
        next_due: None,
    }
}

fn change(kind: &str, actor: &str, at: DateTime<Utc>) -> InquiryChange {
    InquiryChange {
        kind: kind.into(),
        actor: actor.into(),
        at,
        data: serde_json::json!({ "action": kind }),
        time_entry: None,
    }
}

fn team_inquiries(team: &str) -> InquiryFilter {
    InquiryFilter {
        team: Some(team.into()),
        ..InquiryFilter::default()
    }
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict(message)) => message,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

async fn create(store: &Arc<dyn Store>, new: NewInquiry) -> Inquiry {
    let (inquiry, created) = store
        .create_inquiry(new, "intake", chrono::Utc::now())
        .await
        .unwrap();
    assert!(created);
    inquiry
}

/// Every field survives creation, a save of every mutable field, and a read; instants finer than
/// a millisecond are truncated.
pub async fn inquiry_round_trips_every_field(db: TestDb) {
    let store = &db.store;
    let received = utc(2022, 10, 30, 0, 59, 59) + Duration::microseconds(123_456);
    let new = NewInquiry {
        team: "integrations".into(),
        source: "team/integrations".into(),
        external_ref: Some("https://github.com/o/r/issues/7".into()),
        link: Some("https://github.com/o/r/issues/7#issue".into()),
        title: "Ünïcödé title with 'quotes' and \"more\" 🚨".into(),
        body: "line one\nline two\n\ttabbed; DROP TABLE inquiries; --".into(),
        reporter: Some("octocat".into()),
        labels: vec!["bug".into(), "área: vsce".into()],
        severity: Some("warning".into()),
        received_at: received,
        area: Some("VSCE".into()),
        priority: Some(Priority::High),
        suggested_priority: Some(Priority::Critical),
        suggestion_reason: Some("label `bug`".into()),
        state: State::Acknowledged,
        assignee: "david".into(),
        first_response_due: Some(utc(2022, 10, 31, 9, 0, 0) + Duration::nanoseconds(999_999)),
        resolution_due: Some(utc(2022, 11, 3, 17, 0, 0)),
        next_due: Some(utc(2022, 10, 31, 9, 0, 0)),
    };
    let before = Utc::now() - Duration::seconds(1);
    let (stored, created) = store
        .create_inquiry(new.clone(), "intake", chrono::Utc::now())
        .await
        .unwrap();
    assert!(created);
    let expected = Inquiry {
        id: stored.id,
        team: new.team.clone(),
        source: new.source.clone(),
        external_ref: new.external_ref.clone(),
        link: new.link.clone(),
        title: new.title.clone(),
        body: new.body.clone(),
        reporter: new.reporter.clone(),
        labels: new.labels.clone(),
        severity: new.severity.clone(),
        received_at: utc(2022, 10, 30, 0, 59, 59) + Duration::milliseconds(123),
        area: new.area.clone(),
        priority: Some(Priority::High),
        suggested_priority: Some(Priority::Critical),
        suggestion_reason: new.suggestion_reason.clone(),
        state: State::Acknowledged,
        assignee: "david".into(),
        first_response_at: None,
        first_response_due: Some(utc(2022, 10, 31, 9, 0, 0)),
        resolution_due: new.resolution_due,
        resolved_at: None,
        pauses: Vec::new(),
        issue_url: None,
        logged_minutes: 0,
        should_escalate: false,
        next_due: new.next_due,
        updated_at: stored.updated_at,
        version: 1,
    };
    assert_eq!(stored, expected);
    assert!(stored.updated_at >= before && stored.updated_at <= Utc::now());
    assert_eq!(stored.updated_at.timestamp_subsec_nanos() % 1_000_000, 0);
    assert_eq!(store.get_inquiry(stored.id).await.unwrap(), stored);

    // Every mutable field changes; the returned record is what a read returns.
    let at = utc(2022, 11, 1, 10, 0, 0) + Duration::microseconds(1_500);
    let mut changed = stored.clone();
    changed.link = None;
    changed.title = "New title".into();
    changed.body = String::new();
    changed.reporter = None;
    changed.labels = vec!["needs-info".into()];
    changed.severity = None;
    changed.area = Some("JB".into());
    changed.priority = Some(Priority::Low);
    changed.suggested_priority = None;
    changed.suggestion_reason = None;
    changed.state = State::Waiting;
    changed.assignee = "taras".into();
    changed.first_response_at = Some(utc(2022, 10, 31, 8, 0, 0) + Duration::microseconds(10));
    changed.first_response_due = None;
    changed.resolution_due = Some(utc(2022, 11, 4, 17, 0, 0));
    changed.resolved_at = Some(utc(2022, 11, 2, 12, 0, 0));
    changed.pauses = vec![
        Pause {
            start: utc(2022, 10, 31, 10, 0, 0),
            end: Some(utc(2022, 10, 31, 12, 0, 0) + Duration::microseconds(7)),
        },
        Pause {
            start: utc(2022, 11, 1, 10, 0, 0),
            end: None,
        },
    ];
    changed.issue_url = Some("https://github.com/o/board/issues/1".into());
    changed.logged_minutes = 135;
    changed.should_escalate = true;
    changed.next_due = None;
    let saved = store
        .save_inquiry(&changed, change("inquiry.waiting", "taras", at))
        .await
        .unwrap();
    let expected = Inquiry {
        first_response_at: Some(utc(2022, 10, 31, 8, 0, 0)),
        pauses: vec![
            Pause {
                start: utc(2022, 10, 31, 10, 0, 0),
                end: Some(utc(2022, 10, 31, 12, 0, 0)),
            },
            Pause {
                start: utc(2022, 11, 1, 10, 0, 0),
                end: None,
            },
        ],
        updated_at: utc(2022, 11, 1, 10, 0, 0) + Duration::milliseconds(1),
        version: 2,
        ..changed.clone()
    };
    assert_eq!(saved, expected);
    assert_eq!(store.get_inquiry(stored.id).await.unwrap(), expected);

    assert_not_found(store.get_inquiry(stored.id + 1000).await);
}

pub async fn creating_an_inquiry_appends_its_event(db: TestDb) {
    let store = &db.store;
    let inquiry = create(
        store,
        new_inquiry("integrations", Some("ts-1"), utc(2022, 9, 26, 9, 0, 0)),
    )
    .await;
    let events = store.list_inquiry_events(inquiry.id).await.unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.kind, kind::INQUIRY_CREATED);
    assert_eq!(event.team.as_deref(), Some("integrations"));
    assert_eq!(event.inquiry_id, Some(inquiry.id));
    assert_eq!(event.actor, "intake");
    assert_eq!(event.at, inquiry.updated_at);
    assert_eq!(event.data, serde_json::to_value(&inquiry).unwrap());
    assert_eq!(event.data["state"], "new");
    assert_eq!(store.list_events(all_events(None)).await.unwrap(), events);
}

pub async fn duplicate_external_ref_returns_the_existing_inquiry(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let first = create(store, new_inquiry("a", Some("ref-1"), t)).await;

    let retry = NewInquiry {
        title: "A redelivery with another title".into(),
        ..new_inquiry("a", Some("ref-1"), t + Duration::minutes(5))
    };
    let (again, created) = store
        .create_inquiry(retry, "intake", chrono::Utc::now())
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again, first);

    // The reference is unique per team and source only; no reference never collides.
    let other_source = NewInquiry {
        source: "#other".into(),
        ..new_inquiry("a", Some("ref-1"), t)
    };
    let other_source = create(store, other_source).await;
    let other_team = create(store, new_inquiry("b", Some("ref-1"), t)).await;
    let no_ref_1 = create(store, new_inquiry("a", None, t)).await;
    let no_ref_2 = create(store, new_inquiry("a", None, t)).await;
    let mut ids = vec![
        first.id,
        other_source.id,
        other_team.id,
        no_ref_1.id,
        no_ref_2.id,
    ];
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5);

    // The duplicate appended nothing.
    let events = store.list_events(all_events(None)).await.unwrap();
    assert_eq!(events.len(), 5);
    assert_eq!(store.list_inquiry_events(first.id).await.unwrap().len(), 1);
}

pub async fn concurrent_duplicate_creates_store_one_inquiry(db: TestDb) {
    const TASKS: usize = 24;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let store = db.store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let new = NewInquiry {
                    assignee: format!("m{i}"),
                    ..new_inquiry("team", Some("alert-fingerprint-1"), t)
                };
                barrier.wait().await;
                store
                    .create_inquiry(new, "intake", chrono::Utc::now())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    let (winner, _) = results.iter().find(|(_, created)| *created).unwrap();
    assert!(results.iter().all(|(inquiry, _)| inquiry == winner));

    let stored = db
        .store
        .list_inquiries(&team_inquiries("team"))
        .await
        .unwrap();
    assert_eq!(stored, vec![winner.clone()]);
    let events = db.store.list_events(all_events(None)).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].inquiry_id, Some(winner.id));
}

pub async fn save_with_stale_version_conflicts(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let read = create(store, new_inquiry("team", Some("r"), t)).await;

    let acknowledged = Inquiry {
        state: State::Acknowledged,
        first_response_at: Some(t + Duration::minutes(10)),
        ..read.clone()
    };
    let saved = store
        .save_inquiry(
            &acknowledged,
            change("inquiry.acknowledged", "philipp", t + Duration::minutes(10)),
        )
        .await
        .unwrap();
    assert_eq!(saved.version, read.version + 1);
    assert_eq!(saved.state, State::Acknowledged);
    assert_eq!(saved.updated_at, t + Duration::minutes(10));

    // A second writer that read version 1 too loses, and writes nothing.
    let stale = Inquiry {
        state: State::Resolved,
        ..read.clone()
    };
    let message = assert_conflict(
        store
            .save_inquiry(
                &stale,
                change("inquiry.resolved", "david", t + Duration::minutes(11)),
            )
            .await,
    );
    assert!(message.contains("changed meanwhile"), "{message}");
    assert!(message.contains(&read.id.to_string()), "{message}");
    assert_eq!(store.get_inquiry(read.id).await.unwrap(), saved);

    // Starting from what is stored works.
    let resolved = Inquiry {
        state: State::Resolved,
        resolved_at: Some(t + Duration::minutes(12)),
        ..saved.clone()
    };
    let saved = store
        .save_inquiry(
            &resolved,
            change("inquiry.resolved", "david", t + Duration::minutes(12)),
        )
        .await
        .unwrap();
    assert_eq!(saved.version, 3);

    let events = store.list_inquiry_events(read.id).await.unwrap();
    let summary: Vec<_> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.actor.as_str(), e.inquiry_id))
        .collect();
    assert_eq!(
        summary,
        vec![
            (kind::INQUIRY_CREATED, "intake", Some(read.id)),
            ("inquiry.acknowledged", "philipp", Some(read.id)),
            ("inquiry.resolved", "david", Some(read.id)),
        ]
    );
    assert_eq!(events[1].at, t + Duration::minutes(10));
    assert_eq!(events[1].team.as_deref(), Some("team"));
    assert_eq!(
        events[1].data,
        serde_json::json!({ "action": "inquiry.acknowledged" })
    );

    // An unknown inquiry is not found, whatever its version.
    let ghost = Inquiry {
        id: read.id + 1000,
        ..saved.clone()
    };
    assert_not_found(
        store
            .save_inquiry(&ghost, change("inquiry.x", "a", t))
            .await,
    );
    assert_eq!(store.list_inquiry_events(read.id).await.unwrap().len(), 3);
}

pub async fn concurrent_saves_of_one_version_let_one_win(db: TestDb) {
    const TASKS: usize = 12;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let read = create(&db.store, new_inquiry("team", Some("r"), t)).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let store = db.store.clone();
            let barrier = barrier.clone();
            let read = read.clone();
            tokio::spawn(async move {
                let mine = Inquiry {
                    assignee: format!("m{i}"),
                    logged_minutes: 10,
                    ..read
                };
                let entry = NewTimeEntry {
                    inquiry_id: mine.id,
                    member: format!("m{i}"),
                    minutes: 10,
                    note: None,
                    at: t,
                };
                barrier.wait().await;
                store
                    .save_inquiry(
                        &mine,
                        InquiryChange {
                            time_entry: Some(entry),
                            ..change("inquiry.logged", &format!("m{i}"), t)
                        },
                    )
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(saved) => winners.push(saved),
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("expected success or Conflict, got {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1);
    let winner = &winners[0];
    assert_eq!(winner.version, 2);
    assert_eq!(db.store.get_inquiry(read.id).await.unwrap(), *winner);
    let entries = db
        .store
        .list_time_entries(&TimeEntryFilter::default())
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].member, winner.assignee);
    let events = db.store.list_inquiry_events(read.id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].actor, winner.assignee);
}

pub async fn save_cannot_change_what_identifies_an_inquiry(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let read = create(store, new_inquiry("team", Some("r"), t)).await;
    let moved = [
        Inquiry {
            team: "other".into(),
            ..read.clone()
        },
        Inquiry {
            source: "#elsewhere".into(),
            ..read.clone()
        },
        Inquiry {
            external_ref: None,
            ..read.clone()
        },
        Inquiry {
            received_at: t + Duration::hours(1),
            ..read.clone()
        },
    ];
    for inquiry in moved {
        assert_invalid(
            store
                .save_inquiry(&inquiry, change("inquiry.x", "a", t))
                .await,
        );
    }
    let bad_changes = [change("", "a", t), change("inquiry.x", " ", t)];
    for bad in bad_changes {
        assert_invalid(store.save_inquiry(&read, bad).await);
    }
    assert_eq!(store.get_inquiry(read.id).await.unwrap(), read);
    assert_eq!(store.list_inquiry_events(read.id).await.unwrap().len(), 1);
}

pub async fn time_entry_is_stored_with_its_save(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let read = create(store, new_inquiry("team", Some("r"), t)).await;
    let entry = NewTimeEntry {
        inquiry_id: read.id,
        member: "beatrix".into(),
        minutes: 45,
        note: Some("reproduced it".into()),
        at: t + Duration::hours(1) + Duration::microseconds(5),
    };
    let logged = Inquiry {
        state: State::InProgress,
        logged_minutes: 45,
        ..read.clone()
    };
    let saved = store
        .save_inquiry(
            &logged,
            InquiryChange {
                time_entry: Some(entry.clone()),
                ..change("inquiry.logged", "beatrix", t + Duration::hours(1))
            },
        )
        .await
        .unwrap();
    assert_eq!(saved.logged_minutes, 45);

    let by_inquiry = TimeEntryFilter {
        inquiry_id: Some(read.id),
        ..TimeEntryFilter::default()
    };
    let entries = store.list_time_entries(&by_inquiry).await.unwrap();
    assert_eq!(entries.len(), 1);
    let stored = &entries[0];
    assert_eq!(stored.inquiry_id, read.id);
    assert_eq!(stored.team, "team");
    assert_eq!(stored.member, "beatrix");
    assert_eq!(stored.minutes, 45);
    assert_eq!(stored.note.as_deref(), Some("reproduced it"));
    assert_eq!(stored.at, t + Duration::hours(1));

    // A save that fails stores none of its time entry, and a bad entry fails the save.
    let stale = InquiryChange {
        time_entry: Some(entry.clone()),
        ..change("inquiry.logged", "beatrix", t + Duration::hours(2))
    };
    assert_conflict(store.save_inquiry(&logged, stale).await);
    for bad in [
        NewTimeEntry {
            minutes: 0,
            ..entry.clone()
        },
        NewTimeEntry {
            minutes: 24 * 60 + 1,
            ..entry.clone()
        },
        NewTimeEntry {
            member: String::new(),
            ..entry.clone()
        },
        NewTimeEntry {
            inquiry_id: read.id + 1,
            ..entry.clone()
        },
    ] {
        let with_bad_entry = InquiryChange {
            time_entry: Some(bad),
            ..change("inquiry.logged", "beatrix", t + Duration::hours(2))
        };
        assert_invalid(store.save_inquiry(&saved, with_bad_entry).await);
    }
    assert_eq!(store.list_time_entries(&by_inquiry).await.unwrap().len(), 1);
    assert_eq!(store.get_inquiry(read.id).await.unwrap(), saved);
    assert_eq!(store.list_inquiry_events(read.id).await.unwrap().len(), 2);
}

pub async fn time_entries_filter(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let a = create(store, new_inquiry("a", None, t)).await;
    let b = create(store, new_inquiry("b", None, t)).await;
    let log = |inquiry: Inquiry, member: &str, minutes: i64, at: DateTime<Utc>| {
        let store = store.clone();
        let member = member.to_owned();
        async move {
            let entry = NewTimeEntry {
                inquiry_id: inquiry.id,
                member: member.clone(),
                minutes,
                note: None,
                at,
            };
            let logged = Inquiry {
                logged_minutes: inquiry.logged_minutes + minutes,
                ..inquiry
            };
            store
                .save_inquiry(
                    &logged,
                    InquiryChange {
                        time_entry: Some(entry),
                        ..change("inquiry.logged", &member, at)
                    },
                )
                .await
                .unwrap()
        }
    };
    let a = log(a, "philipp", 10, t + Duration::hours(3)).await;
    let a = log(a, "david", 20, t + Duration::hours(1)).await;
    let b = log(b, "philipp", 30, t + Duration::hours(2)).await;
    assert_eq!(a.logged_minutes, 30);
    assert_eq!(b.logged_minutes, 30);

    let minutes = |filter: TimeEntryFilter| async move {
        store
            .list_time_entries(&filter)
            .await
            .unwrap()
            .iter()
            .map(|e| e.minutes)
            .collect::<Vec<_>>()
    };
    // Oldest first.
    assert_eq!(minutes(TimeEntryFilter::default()).await, vec![20, 30, 10]);
    let team_a = TimeEntryFilter {
        team: Some("a".into()),
        ..TimeEntryFilter::default()
    };
    assert_eq!(minutes(team_a).await, vec![20, 10]);
    let philipp = TimeEntryFilter {
        member: Some("philipp".into()),
        ..TimeEntryFilter::default()
    };
    assert_eq!(minutes(philipp).await, vec![30, 10]);
    let window = TimeEntryFilter {
        from: Some(t + Duration::hours(1)),
        until: Some(t + Duration::hours(3)),
        ..TimeEntryFilter::default()
    };
    assert_eq!(minutes(window).await, vec![20, 30]);
    let after = TimeEntryFilter {
        from: Some(t + Duration::hours(1) + Duration::microseconds(1)),
        ..TimeEntryFilter::default()
    };
    assert_eq!(minutes(after).await, vec![30, 10]);
    let inverted = TimeEntryFilter {
        from: Some(t + Duration::hours(3)),
        until: Some(t),
        ..TimeEntryFilter::default()
    };
    assert_invalid(store.list_time_entries(&inverted).await);
}

pub async fn queue_orders_by_deadline_with_none_last(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let due = |hours: i64| Some(t + Duration::hours(hours));
    let add = |state: State, received: i64, next_due: Option<DateTime<Utc>>| {
        let new = NewInquiry {
            state,
            next_due,
            ..new_inquiry("team", None, t - Duration::hours(received))
        };
        async move { create(store, new).await.id }
    };
    // Inserted out of order on purpose.
    let no_deadline_old = add(State::Waiting, 50, None).await;
    let in_3h = add(State::New, 10, due(3)).await;
    let in_1h_later = add(State::InProgress, 1, due(1)).await;
    let in_1h_earlier = add(State::Routed, 5, due(1)).await;
    let no_deadline_new = add(State::Acknowledged, 2, None).await;
    let overdue = add(State::New, 3, due(-2)).await;
    let tie_1 = add(State::New, 4, due(2)).await;
    let tie_2 = add(State::New, 4, due(2)).await;

    let queue = store.list_queue("team", 50).await.unwrap();
    assert_eq!(
        ids(&queue, |i| i.id),
        vec![
            overdue,
            in_1h_earlier,
            in_1h_later,
            tie_1,
            tie_2,
            in_3h,
            no_deadline_old,
            no_deadline_new
        ]
    );
    let first_three = store.list_queue("team", 3).await.unwrap();
    assert_eq!(
        ids(&first_three, |i| i.id),
        vec![overdue, in_1h_earlier, in_1h_later]
    );
    assert_eq!(first_three[0], store.get_inquiry(overdue).await.unwrap());
    assert!(store.list_queue("team", 0).await.unwrap().is_empty());
}

pub async fn queue_leaves_out_closed_inquiries_and_other_teams(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let add = |team: &str, state: State| {
        let new = NewInquiry {
            state,
            next_due: Some(t),
            ..new_inquiry(team, None, t)
        };
        async move { create(store, new).await }
    };
    let mut open = Vec::new();
    for state in State::ALL {
        let inquiry = add("team", state).await;
        if state.is_open() {
            open.push(inquiry.id);
        }
    }
    add("other", State::New).await;
    assert_eq!(open.len(), State::OPEN.len());
    let queue = store.list_queue("team", 50).await.unwrap();
    assert_eq!(ids(&queue, |i| i.id), open);
    assert!(store.list_queue("nobody", 50).await.unwrap().is_empty());

    // Resolving leaves the queue; reopening comes back.
    let first = queue[0].clone();
    let resolved = store
        .save_inquiry(
            &Inquiry {
                state: State::Resolved,
                ..first.clone()
            },
            change("inquiry.resolved", "a", t),
        )
        .await
        .unwrap();
    let queue = store.list_queue("team", 50).await.unwrap();
    assert_eq!(ids(&queue, |i| i.id), open[1..].to_vec());
    store
        .save_inquiry(
            &Inquiry {
                state: State::Acknowledged,
                ..resolved
            },
            change("inquiry.reopened", "a", t),
        )
        .await
        .unwrap();
    let queue = store.list_queue("team", 50).await.unwrap();
    assert_eq!(ids(&queue, |i| i.id), open);
}

pub async fn inquiries_list_newest_first_with_filters(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let add = |team: &str, hours: i64, state: State, assignee: &str, source: &str| {
        let new = NewInquiry {
            state,
            assignee: assignee.into(),
            source: source.into(),
            ..new_inquiry(team, None, t + Duration::hours(hours))
        };
        async move { create(store, new).await.id }
    };
    let a0 = add("a", 0, State::New, "philipp", "#slack").await;
    let a2 = add("a", 2, State::Resolved, "david", "#slack").await;
    let a1 = add("a", 1, State::Waiting, "philipp", "github").await;
    let a2b = add("a", 2, State::New, "david", "github").await;
    let b1 = add("b", 1, State::New, "philipp", "#slack").await;

    let list = |filter: InquiryFilter| async move {
        ids(&store.list_inquiries(&filter).await.unwrap(), |i| i.id)
    };
    // Newest first; the same arrival, highest id first.
    assert_eq!(
        list(InquiryFilter::default()).await,
        vec![a2b, a2, b1, a1, a0]
    );
    assert_eq!(list(team_inquiries("a")).await, vec![a2b, a2, a1, a0]);
    assert_eq!(
        list(InquiryFilter {
            states: vec![State::New, State::Waiting],
            ..team_inquiries("a")
        })
        .await,
        vec![a2b, a1, a0]
    );
    assert_eq!(
        list(InquiryFilter {
            assignee: Some("philipp".into()),
            ..InquiryFilter::default()
        })
        .await,
        vec![b1, a1, a0]
    );
    assert_eq!(
        list(InquiryFilter {
            source: Some("github".into()),
            ..InquiryFilter::default()
        })
        .await,
        vec![a2b, a1]
    );
    assert_eq!(
        list(InquiryFilter {
            received_from: Some(t + Duration::hours(1)),
            received_until: Some(t + Duration::hours(2)),
            ..InquiryFilter::default()
        })
        .await,
        vec![b1, a1]
    );
    assert_eq!(
        list(InquiryFilter {
            received_from: Some(t + Duration::microseconds(1)),
            ..team_inquiries("a")
        })
        .await,
        vec![a2b, a2, a1]
    );
    // Paging.
    assert_eq!(
        list(InquiryFilter {
            limit: 2,
            ..InquiryFilter::default()
        })
        .await,
        vec![a2b, a2]
    );
    assert_eq!(
        list(InquiryFilter {
            limit: 2,
            offset: 2,
            ..InquiryFilter::default()
        })
        .await,
        vec![b1, a1]
    );
    assert_eq!(
        list(InquiryFilter {
            offset: 4,
            ..InquiryFilter::default()
        })
        .await,
        vec![a0]
    );
    assert!(list(team_inquiries("nobody")).await.is_empty());
    assert_invalid(
        store
            .list_inquiries(&InquiryFilter {
                received_from: Some(t),
                received_until: Some(t - Duration::hours(1)),
                ..InquiryFilter::default()
            })
            .await,
    );
}

pub async fn inquiries_are_counted_by_team_and_state(db: TestDb) {
    let store = &db.store;
    assert!(store.count_inquiries().await.unwrap().is_empty());
    let t = utc(2022, 9, 26, 9, 0, 0);
    for (team, state, n) in [
        ("b", State::New, 1),
        ("a", State::Resolved, 3),
        ("a", State::New, 2),
        ("a", State::Routed, 1),
    ] {
        for _ in 0..n {
            let new = NewInquiry {
                state,
                ..new_inquiry(team, None, t)
            };
            create(store, new).await;
        }
    }
    assert_eq!(
        store.count_inquiries().await.unwrap(),
        vec![
            ("a".to_owned(), State::New, 2),
            ("a".to_owned(), State::Resolved, 3),
            ("a".to_owned(), State::Routed, 1),
            ("b".to_owned(), State::New, 1),
        ]
    );
}

pub async fn events_of_an_inquiry_in_order(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let mut inquiry = create(store, new_inquiry("team", Some("x"), t)).await;
    let other = create(store, new_inquiry("team", Some("y"), t)).await;
    for (i, (kind, state)) in [
        ("inquiry.acknowledged", State::Acknowledged),
        ("inquiry.started", State::InProgress),
        ("inquiry.waiting", State::Waiting),
    ]
    .into_iter()
    .enumerate()
    {
        let minutes = i64::try_from(i).unwrap();
        inquiry = store
            .save_inquiry(
                &Inquiry {
                    state,
                    ..inquiry.clone()
                },
                change(kind, "david", t + Duration::minutes(minutes)),
            )
            .await
            .unwrap();
        // Interleave another inquiry's changes.
        store
            .add_note(NewNote {
                team: "team".into(),
                inquiry_id: Some(other.id),
                shift_start: None,
                author: "philipp".into(),
                text: format!("note {i}"),
                at: t,
            })
            .await
            .unwrap();
    }
    store
        .add_note(NewNote {
            team: "team".into(),
            inquiry_id: Some(inquiry.id),
            shift_start: None,
            author: "david".into(),
            text: "asked for logs".into(),
            at: t,
        })
        .await
        .unwrap();
    assert_eq!(inquiry.version, 4);

    let events = store.list_inquiry_events(inquiry.id).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            kind::INQUIRY_CREATED,
            "inquiry.acknowledged",
            "inquiry.started",
            "inquiry.waiting",
            kind::NOTE_ADDED,
        ]
    );
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    assert!(events.iter().all(|e| e.inquiry_id == Some(inquiry.id)));
    assert_eq!(store.list_inquiry_events(other.id).await.unwrap().len(), 4);
    assert!(store
        .list_inquiry_events(inquiry.id + 1000)
        .await
        .unwrap()
        .is_empty());

    // The team's event list carries the inquiry too, newest first.
    let team_events = store.list_events(all_events(Some("team"))).await.unwrap();
    assert_eq!(team_events.len(), 2 + 3 + 3 + 1);
    assert_eq!(team_events[0].inquiry_id, Some(inquiry.id));
    assert_eq!(team_events[0].kind, kind::NOTE_ADDED);

    // Some kinds of events of several inquiries at once, oldest first.
    let third = create(store, new_inquiry("team", Some("z"), t)).await;
    let picked = store
        .list_events_of_inquiries(
            &[inquiry.id, other.id, third.id],
            &["inquiry.started", kind::NOTE_ADDED],
        )
        .await
        .unwrap();
    let seen: Vec<_> = picked
        .iter()
        .map(|e| (e.inquiry_id, e.kind.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Some(other.id), kind::NOTE_ADDED),
            (Some(inquiry.id), "inquiry.started"),
            (Some(other.id), kind::NOTE_ADDED),
            (Some(other.id), kind::NOTE_ADDED),
            (Some(inquiry.id), kind::NOTE_ADDED),
        ]
    );
    assert!(picked.windows(2).all(|w| w[0].id < w[1].id));
    assert!(store
        .list_events_of_inquiries(&[], &["inquiry.started"])
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_events_of_inquiries(&[inquiry.id], &[])
        .await
        .unwrap()
        .is_empty());
}

pub async fn notes_round_trip_on_inquiries_and_shifts(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let inquiry = create(store, new_inquiry("team", None, t)).await;
    let shift = utc(2022, 10, 3, 7, 0, 0);
    let on_inquiry = NewNote {
        team: "team".into(),
        inquiry_id: Some(inquiry.id),
        shift_start: None,
        author: "taras".into(),
        text: "Waiting for the reporter's logs. ünïcödé".into(),
        at: t + Duration::hours(2) + Duration::microseconds(3),
    };
    let stored = store.add_note(on_inquiry.clone()).await.unwrap();
    assert_eq!(stored.team, "team");
    assert_eq!(stored.inquiry_id, Some(inquiry.id));
    assert_eq!(stored.shift_start, None);
    assert_eq!(stored.author, "taras");
    assert_eq!(stored.text, on_inquiry.text);
    assert_eq!(stored.at, t + Duration::hours(2));
    // The inquiry's trail shows the note when it was written, not when it was stored.
    let trail = store.list_inquiry_events(inquiry.id).await.unwrap();
    let added = trail
        .iter()
        .find(|e| e.kind == "note.added")
        .expect("a note.added event");
    assert_eq!(added.at, stored.at);

    let for_shift = store
        .add_note(NewNote {
            inquiry_id: None,
            shift_start: Some(shift),
            text: "The release is on Wednesday.".into(),
            at: t + Duration::hours(1),
            ..on_inquiry.clone()
        })
        .await
        .unwrap();
    let both = store
        .add_note(NewNote {
            shift_start: Some(shift),
            text: "Keep an eye on this one.".into(),
            at: t + Duration::hours(3),
            ..on_inquiry.clone()
        })
        .await
        .unwrap();
    let elsewhere = store
        .add_note(NewNote {
            team: "other".into(),
            inquiry_id: None,
            shift_start: Some(shift),
            ..on_inquiry.clone()
        })
        .await
        .unwrap();

    let list = |filter: NoteFilter| async move { store.list_notes(&filter).await.unwrap() };
    assert_eq!(
        list(NoteFilter {
            team: Some("team".into()),
            ..NoteFilter::default()
        })
        .await,
        vec![for_shift.clone(), stored.clone(), both.clone()]
    );
    assert_eq!(
        list(NoteFilter {
            inquiry_id: Some(inquiry.id),
            ..NoteFilter::default()
        })
        .await,
        vec![stored.clone(), both.clone()]
    );
    assert_eq!(
        list(NoteFilter {
            team: Some("team".into()),
            shift_start: Some(shift),
            ..NoteFilter::default()
        })
        .await,
        vec![for_shift.clone(), both.clone()]
    );
    assert_eq!(
        list(NoteFilter {
            shift_start: Some(shift),
            ..NoteFilter::default()
        })
        .await,
        vec![for_shift.clone(), elsewhere, both.clone()]
    );
    assert!(list(NoteFilter {
        shift_start: Some(shift + Duration::weeks(1)),
        ..NoteFilter::default()
    })
    .await
    .is_empty());

    let events = store.list_events(all_events(Some("team"))).await.unwrap();
    let note_events: Vec<_> = events
        .iter()
        .filter(|e| e.kind == kind::NOTE_ADDED)
        .collect();
    assert_eq!(note_events.len(), 3);
    assert_eq!(note_events[0].data, serde_json::to_value(&both).unwrap());
    assert_eq!(note_events[0].inquiry_id, Some(inquiry.id));
    assert_eq!(note_events[1].inquiry_id, None);
    assert_eq!(note_events[1].actor, "taras");

    // Refused: neither inquiry nor shift, empty or oversized text, another team's inquiry.
    let before = store.list_events(all_events(None)).await.unwrap();
    assert_invalid(
        store
            .add_note(NewNote {
                inquiry_id: None,
                shift_start: None,
                ..on_inquiry.clone()
            })
            .await,
    );
    assert_invalid(
        store
            .add_note(NewNote {
                text: " ".into(),
                ..on_inquiry.clone()
            })
            .await,
    );
    assert_invalid(
        store
            .add_note(NewNote {
                text: "x".repeat(64 * 1024 + 1),
                ..on_inquiry.clone()
            })
            .await,
    );
    assert_invalid(
        store
            .add_note(NewNote {
                author: String::new(),
                ..on_inquiry.clone()
            })
            .await,
    );
    assert_not_found(
        store
            .add_note(NewNote {
                team: "other".into(),
                ..on_inquiry.clone()
            })
            .await,
    );
    assert_not_found(
        store
            .add_note(NewNote {
                inquiry_id: Some(inquiry.id + 1000),
                ..on_inquiry.clone()
            })
            .await,
    );
    let longest = store
        .add_note(NewNote {
            text: "x".repeat(64 * 1024),
            ..on_inquiry.clone()
        })
        .await
        .unwrap();
    assert_eq!(longest.text.len(), 64 * 1024);
    assert_eq!(
        store.list_events(all_events(None)).await.unwrap().len(),
        before.len() + 1
    );
}

pub async fn checks_round_trip_in_half_open_ranges(db: TestDb) {
    let store = &db.store;
    let day = utc(2022, 9, 26, 0, 0, 0);
    let check = |team: &str, source: &str, at: DateTime<Utc>| NewCheck {
        team: team.into(),
        source: source.into(),
        member: "beatrix".into(),
        at,
    };
    let later = store
        .record_check(check("team", "#integrations", day + Duration::hours(15)))
        .await
        .unwrap();
    let morning = store
        .record_check(check(
            "team",
            "team/integrations",
            day + Duration::hours(9) + Duration::microseconds(77),
        ))
        .await
        .unwrap();
    let next_day = store
        .record_check(check("team", "#integrations", day + Duration::days(1)))
        .await
        .unwrap();
    store
        .record_check(check("other", "#integrations", day + Duration::hours(10)))
        .await
        .unwrap();
    assert_eq!(morning.team, "team");
    assert_eq!(morning.source, "team/integrations");
    assert_eq!(morning.member, "beatrix");
    assert_eq!(morning.at, day + Duration::hours(9));

    let today = store
        .list_checks("team", day, day + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(today, vec![morning.clone(), later.clone()]);
    let two_days = store
        .list_checks("team", day, day + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(two_days, vec![morning.clone(), later, next_day]);
    assert!(store
        .list_checks(
            "team",
            day + Duration::hours(9) + Duration::microseconds(1),
            day + Duration::hours(15)
        )
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_checks("team", day, day)
        .await
        .unwrap()
        .is_empty());
    assert_invalid(
        store
            .list_checks("team", day, day - Duration::days(1))
            .await,
    );

    let events = store.list_events(all_events(Some("team"))).await.unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.kind == kind::CHECK_RECORDED));
    assert_eq!(events[1].data, serde_json::to_value(&morning).unwrap());
    assert_eq!(events[1].actor, "beatrix");

    assert_invalid(store.record_check(check("team", "", day)).await);
    assert_invalid(store.record_check(check("", "#x", day)).await);
}

fn new_token(name: &str, hash: &str) -> NewApiToken {
    NewApiToken {
        name: name.into(),
        role: Role::Member,
        token_hash: hash.into(),
        created_by: "beatrix".into(),
    }
}

pub async fn tokens_round_trip_without_their_hash_in_events(db: TestDb) {
    let store = &db.store;
    let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let before = Utc::now() - Duration::seconds(1);
    let ci = store
        .create_token(NewApiToken {
            role: Role::Admin,
            ..new_token("ci", hash)
        })
        .await
        .unwrap();
    assert_eq!(ci.name, "ci");
    assert_eq!(ci.role, Role::Admin);
    assert_eq!(ci.token_hash, hash);
    assert_eq!(ci.created_by, "beatrix");
    assert!(ci.created_at >= before && ci.created_at <= Utc::now());
    assert_eq!(ci.revoked_at, None);
    let viewer = store
        .create_token(NewApiToken {
            role: Role::Viewer,
            ..new_token("dashboard", "abc")
        })
        .await
        .unwrap();

    assert_eq!(store.find_token(hash).await.unwrap(), Some(ci.clone()));
    assert_eq!(store.find_token("abc").await.unwrap(), Some(viewer.clone()));
    assert_eq!(store.find_token("nope").await.unwrap(), None);
    assert_eq!(
        store.list_tokens().await.unwrap(),
        vec![ci.clone(), viewer.clone()]
    );

    let message = assert_conflict(store.create_token(new_token("again", hash)).await);
    assert!(!message.contains(hash), "{message}");
    assert_invalid(store.create_token(new_token("", "def")).await);
    assert_invalid(store.create_token(new_token("x", "")).await);

    let events = store.list_events(all_events(None)).await.unwrap();
    assert_eq!(events.len(), 2);
    let created = &events[1];
    assert_eq!(created.kind, kind::TOKEN_CREATED);
    assert_eq!(created.team, None);
    assert_eq!(created.actor, "beatrix");
    assert_eq!(created.data["name"], "ci");
    assert_eq!(created.data["role"], "admin");
    assert!(created.data.get("token_hash").is_none());
    assert!(!created.data.to_string().contains(hash));
}

pub async fn revoked_tokens_are_not_found(db: TestDb) {
    let store = &db.store;
    let token = store.create_token(new_token("bot", "h1")).await.unwrap();
    let other = store.create_token(new_token("other", "h2")).await.unwrap();

    let revoked = store.revoke_token(token.id, "philipp").await.unwrap();
    let revoked_at = revoked.revoked_at.expect("revoked_at is set");
    assert!(revoked_at >= token.created_at);
    assert_eq!(
        revoked,
        ApiToken {
            revoked_at: Some(revoked_at),
            ..token.clone()
        }
    );
    assert_eq!(store.find_token("h1").await.unwrap(), None);
    assert_eq!(store.find_token("h2").await.unwrap(), Some(other));
    assert_eq!(store.list_tokens().await.unwrap()[0], revoked);

    // Revoking again keeps the first revocation and records nothing.
    let again = store.revoke_token(token.id, "david").await.unwrap();
    assert_eq!(again, revoked);
    assert_not_found(store.revoke_token(token.id + 1000, "david").await);
    assert_invalid(store.revoke_token(token.id, "").await);

    let events = store.list_events(all_events(None)).await.unwrap();
    let kinds: Vec<_> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (kind::TOKEN_REVOKED, "philipp"),
            (kind::TOKEN_CREATED, "beatrix"),
            (kind::TOKEN_CREATED, "beatrix"),
        ]
    );
    assert_eq!(events[0].data["id"], token.id);
    assert!(!events[0].data.to_string().contains("h1"));
}

pub async fn invalid_inquiries_are_refused_without_events(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let valid = new_inquiry("team", Some("r"), t);
    let invalid = [
        NewInquiry {
            team: String::new(),
            ..valid.clone()
        },
        NewInquiry {
            source: " ".into(),
            ..valid.clone()
        },
        NewInquiry {
            assignee: String::new(),
            ..valid.clone()
        },
        NewInquiry {
            title: String::new(),
            ..valid.clone()
        },
        NewInquiry {
            external_ref: Some(String::new()),
            ..valid.clone()
        },
        NewInquiry {
            title: "é".repeat(1_001),
            ..valid.clone()
        },
        // PostgreSQL's text cannot hold NUL: both backends refuse it the same way.
        NewInquiry {
            title: "disk\0full".into(),
            ..valid.clone()
        },
        NewInquiry {
            body: "a\0b".into(),
            ..valid.clone()
        },
        NewInquiry {
            body: "x".repeat(256 * 1024 + 1),
            ..valid.clone()
        },
    ];
    for new in invalid {
        assert_invalid(
            store
                .create_inquiry(new, "intake", chrono::Utc::now())
                .await,
        );
    }
    assert_invalid(
        store
            .create_inquiry(valid.clone(), "", chrono::Utc::now())
            .await,
    );
    let message = store
        .create_inquiry(
            NewInquiry {
                title: "t".repeat(1_001),
                ..valid.clone()
            },
            "intake",
            chrono::Utc::now(),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("1000 characters"), "{message}");

    assert!(store
        .list_inquiries(&InquiryFilter::default())
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_events(all_events(None))
        .await
        .unwrap()
        .is_empty());

    // The limits themselves are fine.
    let (largest, _) = store
        .create_inquiry(
            NewInquiry {
                title: "é".repeat(1_000),
                body: "x".repeat(256 * 1024),
                ..valid
            },
            "intake",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(largest.title.chars().count(), 1_000);
    assert_eq!(store.get_inquiry(largest.id).await.unwrap(), largest);

    // A save is checked the same way.
    let too_long = Inquiry {
        title: "t".repeat(1_001),
        ..largest.clone()
    };
    assert_invalid(
        store
            .save_inquiry(&too_long, change("inquiry.x", "a", t))
            .await,
    );
    let no_assignee = Inquiry {
        assignee: String::new(),
        ..largest.clone()
    };
    assert_invalid(
        store
            .save_inquiry(&no_assignee, change("inquiry.x", "a", t))
            .await,
    );
    assert_eq!(store.get_inquiry(largest.id).await.unwrap(), largest);
}

// ---- webhook intake -------------------------------------------------------------------------

fn delivery(key: Option<&str>, team: Option<&str>, received_at: DateTime<Utc>) -> NewDelivery {
    NewDelivery {
        provider: "github".into(),
        key: key.map(str::to_owned),
        team: team.map(str::to_owned),
        kind: "issues.opened".into(),
        headers: serde_json::json!({
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-github-delivery": key.unwrap_or("none"),
        }),
        body: format!(r#"{{"action":"opened","key":{key:?}}}"#).into_bytes(),
        received_at,
        outcome: "inquiry created".into(),
    }
}

fn create_effect(new: NewInquiry) -> IntakeEffect {
    IntakeEffect::Create {
        inquiry: new,
        actor: "intake".into(),
    }
}

fn save_effect(inquiry: &Inquiry, change: InquiryChange) -> IntakeEffect {
    IntakeEffect::Save {
        inquiry: Box::new(inquiry.clone()),
        change,
    }
}

/// A delivery with key `key` for `team` that creates the inquiry `ref-{key}`.
fn creating_item(key: &str, team: &str, received_at: DateTime<Utc>) -> IntakeItem {
    IntakeItem {
        schedule_revision: None,
        delivery: delivery(Some(key), Some(team), received_at),
        effects: vec![create_effect(new_inquiry(
            team,
            Some(&format!("ref-{key}")),
            received_at,
        ))],
    }
}

fn all_deliveries() -> DeliveryFilter {
    DeliveryFilter {
        limit: 1_000,
        ..DeliveryFilter::default()
    }
}

/// The delivery id and the effects of a stored item.
fn stored(outcome: &IntakeOutcome) -> (i64, &[EffectOutcome]) {
    match outcome {
        IntakeOutcome::Stored {
            delivery_id,
            effects,
        } => (*delivery_id, effects),
        IntakeOutcome::Duplicate => panic!("expected a stored delivery, got a duplicate"),
    }
}

/// The inquiry an effect created (asserting that it did) or found.
fn created(effect: &EffectOutcome, expect_new: bool) -> Inquiry {
    match effect {
        EffectOutcome::Created { inquiry, created } => {
            assert_eq!(*created, expect_new, "{effect:?}");
            inquiry.clone()
        }
        other => panic!("expected Created, got {other:?}"),
    }
}

fn saved(effect: &EffectOutcome) -> Inquiry {
    match effect {
        EffectOutcome::Saved { inquiry } => inquiry.clone(),
        other => panic!("expected Saved, got {other:?}"),
    }
}

/// Body bytes (not UTF-8, NULs included), headers JSON, optional key and team, and the arrival
/// (truncated to milliseconds) come back exactly; an item without effects is just stored.
pub async fn delivery_round_trips_byte_for_byte(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0) + Duration::microseconds(1_234_567);
    let body: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let headers = serde_json::json!({
        "x-slack-signature": "v0=abc",
        "x-slack-retry-num": "1",
        "ünïcödé": ["a", "b"],
        "nested": { "n": 1.5, "flag": true, "none": null },
    });
    let items = vec![
        IntakeItem {
            schedule_revision: None,
            delivery: NewDelivery {
                provider: "slack".into(),
                key: Some("slack:Ev0123".into()),
                team: Some("integrations".into()),
                kind: "message".into(),
                headers: headers.clone(),
                body: body.clone(),
                received_at: t,
                outcome: "ignored: bot message".into(),
            },
            effects: Vec::new(),
        },
        IntakeItem {
            schedule_revision: None,
            delivery: NewDelivery {
                provider: "alertmanager".into(),
                key: None,
                team: None,
                kind: "alert.firing".into(),
                headers: serde_json::json!({}),
                body: Vec::new(),
                received_at: t + Duration::seconds(1),
                outcome: "unrouted: no team watches receiver x".into(),
            },
            effects: Vec::new(),
        },
    ];
    let outcomes = store.commit_intake(items).await.unwrap();
    assert_eq!(outcomes.len(), 2);
    let (first_id, effects) = stored(&outcomes[0]);
    assert!(effects.is_empty());
    let (second_id, _) = stored(&outcomes[1]);
    assert_ne!(first_id, second_id);

    let listed = store.list_deliveries(&all_deliveries()).await.unwrap();
    assert_eq!(listed.len(), 2);
    let (second, first) = (&listed[0], &listed[1]);
    assert_eq!(first.id, first_id);
    assert_eq!(first.provider, "slack");
    assert_eq!(first.key.as_deref(), Some("slack:Ev0123"));
    assert_eq!(first.team.as_deref(), Some("integrations"));
    assert_eq!(first.kind, "message");
    assert_eq!(first.headers, headers);
    assert_eq!(first.body, body);
    assert_eq!(
        first.received_at,
        utc(2022, 9, 26, 9, 0, 1) + Duration::milliseconds(234)
    );
    assert_eq!(first.outcome, "ignored: bot message");
    assert_eq!(second.id, second_id);
    assert_eq!(second.key, None);
    assert_eq!(second.team, None);
    assert_eq!(second.headers, serde_json::json!({}));
    assert!(second.body.is_empty());

    // No effects, no events; an empty batch writes nothing.
    assert!(store
        .list_events(all_events(None))
        .await
        .unwrap()
        .is_empty());
    assert!(store.commit_intake(Vec::new()).await.unwrap().is_empty());
    assert_eq!(
        store
            .list_deliveries(&all_deliveries())
            .await
            .unwrap()
            .len(),
        2
    );
}

/// A `Create` stores what `create_inquiry` would, with its event at the delivery's arrival.
pub async fn intake_creates_inquiries_like_create_inquiry(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0) + Duration::microseconds(2_500);
    let outcomes = store
        .commit_intake(vec![creating_item("k1", "integrations", t)])
        .await
        .unwrap();
    let (delivery_id, effects) = stored(&outcomes[0]);
    assert_eq!(effects.len(), 1);
    let inquiry = created(&effects[0], true);
    assert_eq!(inquiry.team, "integrations");
    assert_eq!(inquiry.external_ref.as_deref(), Some("ref-k1"));
    assert_eq!(inquiry.version, 1);
    assert_eq!(
        inquiry.updated_at,
        utc(2022, 9, 26, 9, 0, 0) + Duration::milliseconds(2)
    );
    assert_eq!(store.get_inquiry(inquiry.id).await.unwrap(), inquiry);

    let events = store.list_inquiry_events(inquiry.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, kind::INQUIRY_CREATED);
    assert_eq!(events[0].actor, "intake");
    assert_eq!(events[0].team.as_deref(), Some("integrations"));
    assert_eq!(events[0].at, inquiry.updated_at);
    assert_eq!(events[0].data, serde_json::to_value(&inquiry).unwrap());

    let deliveries = store.list_deliveries(&all_deliveries()).await.unwrap();
    assert_eq!(ids(&deliveries, |d| d.id), vec![delivery_id]);

    // `create_inquiry` with the same reference finds it, and the other way round.
    let (again, was_created) = store
        .create_inquiry(new_inquiry("integrations", Some("ref-k1"), t), "x", t)
        .await
        .unwrap();
    assert!(!was_created);
    assert_eq!(again, inquiry);
    let manual = create(store, new_inquiry("integrations", Some("ref-k2"), t)).await;
    let outcomes = store
        .commit_intake(vec![creating_item("k2", "integrations", t)])
        .await
        .unwrap();
    assert_eq!(created(&stored(&outcomes[0]).1[0], false), manual);
    assert_eq!(store.list_events(all_events(None)).await.unwrap().len(), 2);
}

pub async fn duplicate_deliveries_are_skipped_in_and_across_batches(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let keyless = |minute| IntakeItem {
        schedule_revision: None,
        delivery: delivery(None, Some("team"), t + Duration::minutes(minute)),
        effects: vec![create_effect(new_inquiry("team", None, t))],
    };
    let outcomes = store
        .commit_intake(vec![
            creating_item("a", "team", t),
            creating_item("b", "team", t),
            // A redelivery within the batch, though it would create another inquiry.
            IntakeItem {
                effects: vec![create_effect(new_inquiry("team", Some("other"), t))],
                ..creating_item("a", "team", t + Duration::seconds(5))
            },
            keyless(1),
            keyless(2),
        ])
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 5);
    let a = created(&stored(&outcomes[0]).1[0], true);
    created(&stored(&outcomes[1]).1[0], true);
    assert_eq!(outcomes[2], IntakeOutcome::Duplicate);
    // Deliveries without a key are never duplicates.
    let (keyless_1, _) = stored(&outcomes[3]);
    let (keyless_2, _) = stored(&outcomes[4]);
    assert_ne!(keyless_1, keyless_2);

    // Across batches: the first occurrence of `c` is stored, both `a` and `b` are duplicates.
    let outcomes = store
        .commit_intake(vec![
            creating_item("b", "team", t + Duration::minutes(1)),
            creating_item("c", "team", t + Duration::minutes(1)),
            creating_item("a", "team", t + Duration::minutes(1)),
            creating_item("c", "team", t + Duration::minutes(1)),
        ])
        .await
        .unwrap();
    assert_eq!(outcomes[0], IntakeOutcome::Duplicate);
    created(&stored(&outcomes[1]).1[0], true);
    assert_eq!(outcomes[2], IntakeOutcome::Duplicate);
    assert_eq!(outcomes[3], IntakeOutcome::Duplicate);

    let deliveries = store.list_deliveries(&all_deliveries()).await.unwrap();
    assert_eq!(deliveries.len(), 5);
    let mut keys: Vec<_> = deliveries.iter().filter_map(|d| d.key.clone()).collect();
    keys.sort();
    assert_eq!(keys, ["a", "b", "c"]);
    // The first `a` was kept, not the redelivery.
    let stored_a = deliveries
        .iter()
        .find(|d| d.key.as_deref() == Some("a"))
        .unwrap();
    assert_eq!(stored_a.received_at, t);

    // a, b, c and the two keyless ones: five inquiries, five events; no `other`.
    let inquiries = store.list_inquiries(&team_inquiries("team")).await.unwrap();
    assert_eq!(inquiries.len(), 5);
    assert!(inquiries
        .iter()
        .all(|i| i.external_ref.as_deref() != Some("other")));
    let events = store.list_events(all_events(None)).await.unwrap();
    assert_eq!(events.len(), 5);
    assert_eq!(store.list_inquiry_events(a.id).await.unwrap().len(), 1);
}

/// Many writers committing batches with the same keys at once (in different orders): each key
/// is stored once, with one inquiry and one `inquiry.created` event.
pub async fn concurrent_intake_stores_each_key_once(db: TestDb) {
    const TASKS: usize = 16;
    const KEYS: usize = 6;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = db.store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let mut keys: Vec<usize> = (0..KEYS).collect();
                keys.rotate_left(task % KEYS);
                if task % 2 == 1 {
                    keys.reverse();
                }
                let items: Vec<_> = keys
                    .iter()
                    .map(|k| creating_item(&format!("key-{k}"), "team", t))
                    .collect();
                barrier.wait().await;
                let outcomes = store.commit_intake(items).await.unwrap();
                keys.into_iter().zip(outcomes).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut stored_per_key = vec![Vec::new(); KEYS];
    for task in tasks {
        for (key, outcome) in task.await.unwrap() {
            if let IntakeOutcome::Stored { effects, .. } = outcome {
                stored_per_key[key].push(created(&effects[0], true));
            }
        }
    }
    for (key, stored) in stored_per_key.iter().enumerate() {
        assert_eq!(stored.len(), 1, "key-{key} stored {} times", stored.len());
        assert_eq!(
            stored[0].external_ref.as_deref(),
            Some(format!("ref-key-{key}").as_str())
        );
    }

    let deliveries = db.store.list_deliveries(&all_deliveries()).await.unwrap();
    assert_eq!(deliveries.len(), KEYS);
    let inquiries = db
        .store
        .list_inquiries(&team_inquiries("team"))
        .await
        .unwrap();
    assert_eq!(inquiries.len(), KEYS);
    let events = db.store.list_events(all_events(None)).await.unwrap();
    assert_eq!(events.len(), KEYS);
    assert!(events.iter().all(|e| e.kind == kind::INQUIRY_CREATED));
    let mut event_inquiries: Vec<_> = events.iter().filter_map(|e| e.inquiry_id).collect();
    event_inquiries.sort_unstable();
    let mut inquiry_ids = ids(&inquiries, |i| i.id);
    inquiry_ids.sort_unstable();
    assert_eq!(event_inquiries, inquiry_ids);
}

/// Saves that cannot be written (stale version, unknown inquiry, a changed fixed field) are
/// reported as `Stale`, write nothing, and do not keep the rest of the batch from committing.
pub async fn stale_save_is_reported_and_the_rest_of_the_batch_committed(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let read = create(store, new_inquiry("team", Some("r"), t)).await;
    let other = create(store, new_inquiry("team", Some("s"), t)).await;
    // Someone acknowledges `read` meanwhile.
    let current = store
        .save_inquiry(
            &Inquiry {
                state: State::Acknowledged,
                ..read.clone()
            },
            change("inquiry.acknowledged", "philipp", t + Duration::minutes(1)),
        )
        .await
        .unwrap();

    let later = t + Duration::minutes(2);
    let responded = |inquiry: &Inquiry| Inquiry {
        first_response_at: Some(later),
        ..inquiry.clone()
    };
    let item = |key: &str, effects| IntakeItem {
        schedule_revision: None,
        delivery: delivery(Some(key), Some("team"), later),
        effects,
    };
    let outcomes = store
        .commit_intake(vec![
            creating_item("new", "team", later),
            item(
                "stale",
                vec![save_effect(
                    &responded(&read),
                    change("inquiry.responded", "slack", later),
                )],
            ),
            item(
                "gone",
                vec![save_effect(
                    &Inquiry {
                        id: other.id + 1_000,
                        ..responded(&other)
                    },
                    change("inquiry.responded", "slack", later),
                )],
            ),
            item(
                "moved",
                vec![save_effect(
                    &Inquiry {
                        team: "elsewhere".into(),
                        ..responded(&other)
                    },
                    change("inquiry.responded", "slack", later),
                )],
            ),
            item(
                "fresh",
                vec![save_effect(
                    &responded(&current),
                    change("inquiry.responded", "slack", later),
                )],
            ),
        ])
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 5);
    let new = created(&stored(&outcomes[0]).1[0], true);
    assert_eq!(
        stored(&outcomes[1]).1,
        [EffectOutcome::Stale {
            inquiry_id: read.id
        }]
    );
    assert_eq!(
        stored(&outcomes[2]).1,
        [EffectOutcome::Stale {
            inquiry_id: other.id + 1_000
        }]
    );
    assert_eq!(
        stored(&outcomes[3]).1,
        [EffectOutcome::Stale {
            inquiry_id: other.id
        }]
    );
    let fresh = saved(&stored(&outcomes[4]).1[0]);
    assert_eq!(fresh.version, 3);
    assert_eq!(fresh.first_response_at, Some(later));
    assert_eq!(fresh.state, State::Acknowledged);
    assert_eq!(fresh.updated_at, later);

    // Everything else was committed: all five deliveries, the new inquiry and the fresh save.
    assert_eq!(
        store
            .list_deliveries(&all_deliveries())
            .await
            .unwrap()
            .len(),
        5
    );
    assert_eq!(store.get_inquiry(new.id).await.unwrap(), new);
    assert_eq!(store.get_inquiry(read.id).await.unwrap(), fresh);
    assert_eq!(store.get_inquiry(other.id).await.unwrap(), other);
    let kinds: Vec<_> = store
        .list_inquiry_events(read.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            kind::INQUIRY_CREATED,
            "inquiry.acknowledged",
            "inquiry.responded"
        ]
    );
    assert_eq!(store.list_inquiry_events(other.id).await.unwrap().len(), 1);
    assert_eq!(store.list_events(all_events(None)).await.unwrap().len(), 5);
}

/// Effects apply in order, item after item: a create that finds an inquiry saved earlier in the
/// batch returns it as saved; a second save of the version the first one replaced is stale;
/// time entries are stored with their saves; events follow the order of the effects.
pub async fn intake_mixes_creates_and_saves_in_order(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let a = create(store, new_inquiry("team", Some("issue-a"), t)).await;
    let b = create(store, new_inquiry("team", Some("issue-b"), t)).await;
    let later = t + Duration::hours(1);
    let logged_a = Inquiry {
        state: State::InProgress,
        logged_minutes: 15,
        ..a.clone()
    };
    let entry = NewTimeEntry {
        inquiry_id: a.id,
        member: "taras".into(),
        minutes: 15,
        note: Some("looked into it".into()),
        at: later,
    };
    let outcomes = store
        .commit_intake(vec![
            IntakeItem {
                schedule_revision: None,
                delivery: delivery(Some("d1"), Some("team"), later),
                effects: vec![
                    create_effect(new_inquiry("team", Some("issue-c"), later)),
                    save_effect(
                        &logged_a,
                        InquiryChange {
                            time_entry: Some(entry),
                            ..change("inquiry.started", "taras", later)
                        },
                    ),
                ],
            },
            IntakeItem {
                schedule_revision: None,
                delivery: delivery(Some("d2"), Some("team"), later),
                effects: vec![
                    save_effect(
                        &Inquiry {
                            state: State::Acknowledged,
                            ..b.clone()
                        },
                        change("inquiry.acknowledged", "david", later),
                    ),
                    save_effect(
                        &Inquiry {
                            state: State::Resolved,
                            ..b.clone()
                        },
                        change("inquiry.resolved", "david", later),
                    ),
                ],
            },
            IntakeItem {
                schedule_revision: None,
                delivery: delivery(Some("d3"), Some("team"), later),
                effects: vec![create_effect(new_inquiry("team", Some("issue-a"), later))],
            },
        ])
        .await
        .unwrap();
    let (_, first) = stored(&outcomes[0]);
    let c = created(&first[0], true);
    let a_saved = saved(&first[1]);
    assert_eq!(a_saved.version, 2);
    assert_eq!(a_saved.logged_minutes, 15);
    let (_, second) = stored(&outcomes[1]);
    let b_saved = saved(&second[0]);
    assert_eq!(b_saved.state, State::Acknowledged);
    assert_eq!(second[1], EffectOutcome::Stale { inquiry_id: b.id });
    let (_, third) = stored(&outcomes[2]);
    assert_eq!(created(&third[0], false), a_saved);

    assert_eq!(store.get_inquiry(a.id).await.unwrap(), a_saved);
    assert_eq!(store.get_inquiry(b.id).await.unwrap(), b_saved);
    assert_eq!(store.get_inquiry(c.id).await.unwrap(), c);
    let entries = store
        .list_time_entries(&TimeEntryFilter {
            inquiry_id: Some(a.id),
            ..TimeEntryFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].minutes, 15);
    assert_eq!(entries[0].team, "team");
    assert_eq!(entries[0].note.as_deref(), Some("looked into it"));

    // The batch's events, oldest first, in the order of its effects.
    let mut events = store.list_events(all_events(None)).await.unwrap();
    events.reverse();
    let summary: Vec<_> = events[2..]
        .iter()
        .map(|e| (e.kind.as_str(), e.inquiry_id, e.at))
        .collect();
    assert_eq!(
        summary,
        [
            (kind::INQUIRY_CREATED, Some(c.id), later),
            ("inquiry.started", Some(a.id), later),
            ("inquiry.acknowledged", Some(b.id), later),
        ]
    );
}

/// Many creates in one batch, with and without references, across teams and sources, some
/// repeating a reference of the batch or of the store: each gets the inquiry it asked for (or
/// the one it repeats), as stored, and one event per inquiry made, in order.
pub async fn creates_in_one_batch_get_their_own_inquiries(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let before = create(store, new_inquiry("b", Some("r1"), t)).await;
    // (team, source, reference, whether it is new)
    let requests: Vec<(&str, &str, Option<&str>, bool)> = vec![
        ("z", "#s", None, true),
        ("b", "#s", Some("r2"), true),
        ("a", "#s", Some("r1"), true),
        ("b", "#integrations", Some("r1"), false),
        ("a", "#s", None, true),
        ("a", "#s", Some("r1"), false),
        ("b", "#s", Some("r1"), true),
        ("c", "#other", None, true),
        ("a", "#t", Some("r1"), true),
        ("b", "#s", Some("r2"), false),
        ("a", "#s", None, true),
    ];
    let effects = requests
        .iter()
        .enumerate()
        .map(|(i, (team, source, external_ref, _))| {
            create_effect(NewInquiry {
                source: (*source).into(),
                title: format!("request {i}"),
                ..new_inquiry(team, *external_ref, t + Duration::seconds(i as i64))
            })
        })
        .collect();
    let outcomes = store
        .commit_intake(vec![
            IntakeItem {
                schedule_revision: None,
                delivery: delivery(Some("one"), None, t),
                effects,
            },
            IntakeItem {
                schedule_revision: None,
                delivery: delivery(Some("two"), None, t),
                effects: vec![create_effect(NewInquiry {
                    title: "late".into(),
                    ..new_inquiry("z", None, t)
                })],
            },
        ])
        .await
        .unwrap();
    let (_, effects) = stored(&outcomes[0]);
    assert_eq!(effects.len(), requests.len());
    let mut made = Vec::new();
    for (i, (effect, (team, source, external_ref, new))) in
        effects.iter().zip(&requests).enumerate()
    {
        let inquiry = created(effect, *new);
        assert_eq!(&inquiry.team, team, "request {i}");
        assert_eq!(&inquiry.source, source, "request {i}");
        assert_eq!(
            inquiry.external_ref.as_deref(),
            *external_ref,
            "request {i}"
        );
        assert_eq!(store.get_inquiry(inquiry.id).await.unwrap(), inquiry);
        if *new {
            assert_eq!(inquiry.title, format!("request {i}"));
            made.push(inquiry.id);
        }
    }
    // The repeats found the inquiry stored before or made earlier in the batch.
    assert_eq!(created(&effects[3], false), before);
    assert_eq!(created(&effects[5], false).title, "request 2");
    assert_eq!(created(&effects[9], false).title, "request 1");
    let late = created(&stored(&outcomes[1]).1[0], true);
    assert_eq!(late.title, "late");
    made.push(late.id);

    let mut events = store.list_events(all_events(None)).await.unwrap();
    events.reverse();
    let event_inquiries: Vec<_> = events[1..].iter().map(|e| e.inquiry_id.unwrap()).collect();
    assert_eq!(event_inquiries, made);
}

/// A batch with an item that fails the checks writes nothing and names the item; the same
/// batch without it commits.
pub async fn invalid_intake_item_is_named_and_nothing_written(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let read = create(store, new_inquiry("team", Some("r"), t)).await;
    let good = vec![
        creating_item("k0", "team", t),
        creating_item("k1", "team", t),
    ];
    let invalid = [
        IntakeItem {
            effects: vec![create_effect(NewInquiry {
                title: String::new(),
                ..new_inquiry("team", Some("x"), t)
            })],
            ..creating_item("bad", "team", t)
        },
        IntakeItem {
            effects: vec![IntakeEffect::Create {
                inquiry: new_inquiry("team", Some("x"), t),
                actor: " ".into(),
            }],
            ..creating_item("bad", "team", t)
        },
        IntakeItem {
            effects: vec![save_effect(&read, change("", "a", t))],
            ..creating_item("bad", "team", t)
        },
        IntakeItem {
            schedule_revision: None,
            delivery: NewDelivery {
                provider: String::new(),
                ..delivery(Some("bad"), None, t)
            },
            effects: Vec::new(),
        },
        IntakeItem {
            schedule_revision: None,
            delivery: NewDelivery {
                key: Some(String::new()),
                ..delivery(None, None, t)
            },
            effects: Vec::new(),
        },
        IntakeItem {
            schedule_revision: None,
            delivery: NewDelivery {
                team: Some(String::new()),
                ..delivery(Some("bad"), None, t)
            },
            effects: Vec::new(),
        },
    ];
    for bad in invalid {
        assert_invalid(bad.check());
        let mut batch = good.clone();
        batch.push(bad);
        batch.swap(1, 2);
        let message = match store.commit_intake(batch).await {
            Err(StoreError::Invalid(message)) => message,
            other => panic!("expected Invalid, got {other:?}"),
        };
        assert!(message.starts_with("intake item 1:"), "{message}");
    }
    for item in &good {
        item.check().unwrap();
    }
    assert!(store
        .list_deliveries(&all_deliveries())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.list_events(all_events(None)).await.unwrap().len(), 1);

    let outcomes = store.commit_intake(good).await.unwrap();
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, IntakeOutcome::Stored { .. })));
}

pub async fn unrouted_deliveries_are_listed_apart(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let items: Vec<_> = (0..12)
        .map(|i| {
            let team = (i % 3 != 0).then_some("team");
            // Two deliveries per instant: ties newest-first by id.
            let mut delivery = delivery(Some(&format!("k{i}")), team, t + Duration::minutes(i / 2));
            if i % 4 == 0 {
                delivery.provider = "slack".into();
            }
            IntakeItem {
                schedule_revision: None,
                delivery,
                effects: Vec::new(),
            }
        })
        .collect();
    let outcomes = store.commit_intake(items).await.unwrap();
    let ids_by_item: Vec<i64> = outcomes.iter().map(|o| stored(o).0).collect();
    let keys = |deliveries: &[baton_store::Delivery]| -> Vec<String> {
        deliveries.iter().map(|d| d.key.clone().unwrap()).collect()
    };

    let all = store.list_deliveries(&all_deliveries()).await.unwrap();
    let expected: Vec<String> = (0..12).rev().map(|i| format!("k{i}")).collect();
    assert_eq!(keys(&all), expected);
    let mut by_id = ids(&all, |d| d.id);
    by_id.reverse();
    assert_eq!(by_id, ids_by_item);

    let unrouted = store
        .list_deliveries(&DeliveryFilter {
            unrouted_only: true,
            ..all_deliveries()
        })
        .await
        .unwrap();
    assert_eq!(keys(&unrouted), ["k9", "k6", "k3", "k0"]);
    assert!(unrouted.iter().all(|d| d.team.is_none()));

    let slack = store
        .list_deliveries(&DeliveryFilter {
            provider: Some("slack".into()),
            ..all_deliveries()
        })
        .await
        .unwrap();
    assert_eq!(keys(&slack), ["k8", "k4", "k0"]);
    let unrouted_slack = store
        .list_deliveries(&DeliveryFilter {
            unrouted_only: true,
            provider: Some("slack".into()),
            limit: 1_000,
        })
        .await
        .unwrap();
    assert_eq!(keys(&unrouted_slack), ["k0"]);

    let newest = store
        .list_deliveries(&DeliveryFilter {
            limit: 3,
            ..DeliveryFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(keys(&newest), ["k11", "k10", "k9"]);
    // 0 means the default page (100), which holds all twelve.
    let default = store
        .list_deliveries(&DeliveryFilter::default())
        .await
        .unwrap();
    assert_eq!(default.len(), 12);
}

pub async fn inquiries_are_found_by_ref_across_teams(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let issue = "https://github.com/o/r/issues/7";
    let team_a = create(store, new_inquiry("a", Some(issue), t)).await;
    create(
        store,
        new_inquiry("a", Some("https://github.com/o/r/issues/8"), t),
    )
    .await;
    create(store, new_inquiry("a", None, t)).await;
    let outcomes = store
        .commit_intake(vec![IntakeItem {
            schedule_revision: None,
            delivery: delivery(Some("d"), Some("b"), t),
            effects: vec![create_effect(new_inquiry("b", Some(issue), t))],
        }])
        .await
        .unwrap();
    let team_b = created(&stored(&outcomes[0]).1[0], true);
    let other_source = create(
        store,
        NewInquiry {
            source: "team/integrations".into(),
            ..new_inquiry("a", Some(issue), t)
        },
    )
    .await;

    let found = store.find_inquiries_by_ref(issue).await.unwrap();
    assert_eq!(found, vec![team_a, team_b, other_source]);
    assert!(store
        .find_inquiries_by_ref("https://github.com/o/r/issues/9")
        .await
        .unwrap()
        .is_empty());
    assert!(store.find_inquiries_by_ref("").await.unwrap().is_empty());
}

pub async fn known_deliveries_are_the_stored_keys(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    assert!(store.known_deliveries(&[]).await.unwrap().is_empty());
    let items = ["github:1", "slack:Ev2", "it's \"quoted\" ü"]
        .into_iter()
        .map(|key| IntakeItem {
            schedule_revision: None,
            delivery: delivery(Some(key), None, t),
            effects: Vec::new(),
        })
        .collect();
    store.commit_intake(items).await.unwrap();
    let asked: Vec<String> = [
        "slack:Ev3",
        "it's \"quoted\" ü",
        "github:1",
        "slack:Ev2",
        "github:1",
        "",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(
        store.known_deliveries(&asked).await.unwrap(),
        ["it's \"quoted\" ü", "github:1", "slack:Ev2"]
    );
    let many: Vec<String> = (0..5_000).map(|i| format!("github:{i}")).collect();
    assert_eq!(store.known_deliveries(&many).await.unwrap(), ["github:1"]);
}

/// A delivery whose effect went stale is decided again and its effects committed with
/// `retry_intake`: the effects are written, the delivery's outcome replaced, and the delivery
/// itself is not stored a second time. Unknown deliveries and invalid effects write nothing.
pub async fn stale_effects_are_retried_without_storing_the_delivery_again(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let read = create(store, new_inquiry("team", Some("r"), t)).await;
    // Someone acknowledges it between the delivery's decision and its commit.
    let current = store
        .save_inquiry(
            &Inquiry {
                state: State::Acknowledged,
                ..read.clone()
            },
            change("inquiry.acknowledged", "philipp", t + Duration::minutes(1)),
        )
        .await
        .unwrap();
    let later = t + Duration::minutes(2);
    let responded = |inquiry: &Inquiry| Inquiry {
        first_response_at: Some(later),
        ..inquiry.clone()
    };
    let first = store
        .commit_intake(vec![IntakeItem {
            schedule_revision: None,
            delivery: delivery(Some("slack:Ev1"), Some("team"), later),
            effects: vec![save_effect(
                &responded(&read),
                change("inquiry.responded", "slack", later),
            )],
        }])
        .await
        .unwrap();
    let (delivery_id, effects) = stored(&first[0]);
    assert_eq!(
        effects,
        [EffectOutcome::Stale {
            inquiry_id: read.id
        }]
    );

    // Decided again against the inquiry as it is now.
    let retried_at = later + Duration::seconds(1);
    let effects = store
        .retry_intake(IntakeRetry {
            schedule_revision: None,
            delivery_id,
            outcome: "retry after a concurrent change: inquiry responded".into(),
            at: retried_at,
            effects: vec![
                save_effect(
                    &responded(&current),
                    change("inquiry.responded", "slack", later),
                ),
                create_effect(new_inquiry("team", Some("ref-retry"), later)),
            ],
        })
        .await
        .unwrap();
    assert_eq!(effects.len(), 2);
    let fresh = saved(&effects[0]);
    assert_eq!(fresh.version, 3);
    assert_eq!(fresh.state, State::Acknowledged);
    assert_eq!(fresh.first_response_at, Some(later));
    assert_eq!(store.get_inquiry(read.id).await.unwrap(), fresh);
    let new = created(&effects[1], true);
    assert_eq!(new.updated_at, retried_at);

    // One delivery row for the key, byte for byte as received, with the new outcome.
    let deliveries = store.list_deliveries(&all_deliveries()).await.unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0].id, delivery_id);
    assert_eq!(deliveries[0].key.as_deref(), Some("slack:Ev1"));
    assert_eq!(
        deliveries[0].body,
        delivery(Some("slack:Ev1"), Some("team"), later).body
    );
    assert_eq!(
        deliveries[0].outcome,
        "retry after a concurrent change: inquiry responded"
    );
    assert_eq!(
        store
            .known_deliveries(&["slack:Ev1:retry".to_owned()])
            .await
            .unwrap(),
        Vec::<String>::new()
    );
    let kinds: Vec<_> = store
        .list_inquiry_events(read.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            kind::INQUIRY_CREATED,
            "inquiry.acknowledged",
            "inquiry.responded"
        ]
    );

    // A retry that is stale again writes nothing for that effect.
    let again = store
        .retry_intake(IntakeRetry {
            schedule_revision: None,
            delivery_id,
            outcome: "retry after a concurrent change: stale again".into(),
            at: retried_at,
            effects: vec![save_effect(
                &responded(&current),
                change("inquiry.responded", "slack", later),
            )],
        })
        .await
        .unwrap();
    assert_eq!(
        again,
        [EffectOutcome::Stale {
            inquiry_id: read.id
        }]
    );
    assert_eq!(store.get_inquiry(read.id).await.unwrap(), fresh);

    // An unknown delivery, or an invalid effect: nothing is written at all.
    let events_before = store.list_events(all_events(None)).await.unwrap().len();
    assert_not_found(
        store
            .retry_intake(IntakeRetry {
                schedule_revision: None,
                delivery_id: delivery_id + 1_000,
                outcome: "x".into(),
                at: retried_at,
                effects: vec![create_effect(new_inquiry("team", Some("orphan"), later))],
            })
            .await,
    );
    let invalid = store
        .retry_intake(IntakeRetry {
            schedule_revision: None,
            delivery_id,
            outcome: "never stored".into(),
            at: retried_at,
            effects: vec![
                create_effect(new_inquiry("team", Some("valid"), later)),
                create_effect(NewInquiry {
                    title: String::new(),
                    ..new_inquiry("team", Some("untitled"), later)
                }),
            ],
        })
        .await;
    match invalid {
        Err(StoreError::Invalid(why)) => assert!(why.contains("effect 1"), "{why}"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert!(store
        .find_inquiries_by_ref("orphan")
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .find_inquiries_by_ref("valid")
        .await
        .unwrap()
        .is_empty());
    let deliveries = store.list_deliveries(&all_deliveries()).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0].outcome,
        "retry after a concurrent change: stale again"
    );
    assert_eq!(
        store.list_events(all_events(None)).await.unwrap().len(),
        events_before
    );
}

// ---- accounts, sessions, sign-in links ------------------------------------------------------

fn new_user(email: &str, role: Role, password_hash: Option<&str>) -> baton_core::access::NewUser {
    baton_core::access::NewUser {
        email: email.into(),
        role,
        password_hash: password_hash.map(str::to_owned),
        created_by: "cli".into(),
        created_at: utc(2024, 3, 4, 9, 0, 0),
    }
}

fn new_session_at(
    token_hash: &str,
    at: DateTime<Utc>,
    lifetime: Duration,
) -> baton_core::access::NewSession {
    baton_core::access::NewSession {
        token_hash: token_hash.into(),
        csrf: format!("csrf-of-{token_hash}"),
        created_at: at,
        expires_at: at + lifetime,
        method: baton_core::access::SignInMethod::Password,
    }
}

fn new_link(user_id: i64, token_hash: &str, at: DateTime<Utc>) -> baton_core::access::NewLoginLink {
    baton_core::access::NewLoginLink {
        user_id,
        token_hash: token_hash.into(),
        created_by: "user:admin@example.com".into(),
        created_at: at,
        expires_at: at + Duration::hours(24),
    }
}

/// Two members signed in at `t0` for a week: Ana (password `ana_password`) on `ana-laptop`
/// and `ana-phone`, Bo (with a password) on `bo-laptop`.
async fn ana_and_bo_signed_in(
    store: &Arc<dyn Store>,
    t0: DateTime<Utc>,
    ana_password: Option<&str>,
) -> (baton_core::access::User, baton_core::access::User) {
    let ana = store
        .create_user(new_user("ana@example.com", Role::Member, ana_password))
        .await
        .unwrap();
    let bo = store
        .create_user(new_user("bo@example.com", Role::Member, Some(PHC)))
        .await
        .unwrap();
    for hash in ["ana-laptop", "ana-phone"] {
        store
            .create_session(ana.id, new_session_at(hash, t0, Duration::days(7)))
            .await
            .unwrap();
    }
    store
        .create_session(bo.id, new_session_at("bo-laptop", t0, Duration::days(7)))
        .await
        .unwrap();
    (ana, bo)
}

const PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";

pub async fn accounts_are_unique_by_email_without_case(db: TestDb) {
    let store = &db.store;
    let ana = store
        .create_user(new_user(" Ana@Example.com ", Role::Member, Some(PHC)))
        .await
        .unwrap();
    assert_eq!(ana.email, "Ana@Example.com");
    assert_eq!(ana.role, Role::Member);
    assert_eq!(ana.password_hash.as_deref(), Some(PHC));
    assert_eq!(ana.created_by, "cli");
    assert_eq!(ana.created_at, utc(2024, 3, 4, 9, 0, 0));
    assert_eq!(ana.disabled_at, None);
    let bo = store
        .create_user(new_user("bo@example.com", Role::Viewer, None))
        .await
        .unwrap();
    assert_eq!(bo.password_hash, None);

    assert_eq!(
        store.find_user("ana@EXAMPLE.COM").await.unwrap(),
        Some(ana.clone())
    );
    assert_eq!(store.find_user("nobody@example.com").await.unwrap(), None);
    assert_eq!(store.get_user(bo.id).await.unwrap(), bo);
    assert_not_found(store.get_user(bo.id + 100).await);
    assert_eq!(
        store.list_users().await.unwrap(),
        vec![ana.clone(), bo.clone()]
    );

    let message = assert_conflict(
        store
            .create_user(new_user("ANA@example.com", Role::Admin, None))
            .await,
    );
    assert!(message.contains("ANA@example.com"), "{message}");
    assert_invalid(
        store
            .create_user(new_user("not an email", Role::Admin, None))
            .await,
    );
    assert_invalid(
        store
            .create_user(new_user("c@example.com", Role::Admin, Some("")))
            .await,
    );
    assert_invalid(
        store
            .create_user(baton_core::access::NewUser {
                created_by: String::new(),
                ..new_user("d@example.com", Role::Admin, None)
            })
            .await,
    );
    assert_eq!(store.list_users().await.unwrap().len(), 2);

    let events = store.list_events(all_events(None)).await.unwrap();
    assert_eq!(events.len(), 2, "refused accounts append no event");
    let created = &events[1];
    assert_eq!(created.kind, kind::USER_CREATED);
    assert_eq!(created.actor, "cli");
    assert_eq!(created.data["email"], "Ana@Example.com");
    assert_eq!(created.data["role"], "member");
    assert!(created.data.get("password_hash").is_none());
    assert!(
        !created.data.to_string().contains("argon2"),
        "{}",
        created.data
    );
}

pub async fn account_roles_change_with_an_event(db: TestDb) {
    let store = &db.store;
    let at = utc(2024, 3, 5, 10, 0, 0);
    let ana = store
        .create_user(new_user("ana@example.com", Role::Viewer, None))
        .await
        .unwrap();
    let same = store
        .set_user_role(ana.id, Role::Viewer, "user:admin@example.com", at)
        .await
        .unwrap();
    assert_eq!(same, ana);
    let admin = store
        .set_user_role(ana.id, Role::Admin, "user:admin@example.com", at)
        .await
        .unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert_eq!(store.get_user(ana.id).await.unwrap().role, Role::Admin);
    assert_not_found(store.set_user_role(ana.id + 1, Role::Admin, "x", at).await);
    assert_invalid(store.set_user_role(ana.id, Role::Member, "", at).await);

    let events = store.list_events(all_events(None)).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        vec![kind::USER_ROLE_CHANGED, kind::USER_CREATED],
        "an unchanged role appends nothing"
    );
    assert_eq!(events[0].actor, "user:admin@example.com");
    assert_eq!(events[0].at, at);
    assert_eq!(events[0].data["role"], "admin");
    assert_eq!(events[0].data["previous_role"], "viewer");
}

pub async fn sessions_expire_and_end(db: TestDb) {
    let store = &db.store;
    let t0 = utc(2024, 3, 5, 10, 0, 0);
    let ana = store
        .create_user(new_user("ana@example.com", Role::Member, Some(PHC)))
        .await
        .unwrap();
    let session = store
        .create_session(ana.id, new_session_at("hash-1", t0, Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(session.user_id, ana.id);
    assert_eq!(session.csrf, "csrf-of-hash-1");
    assert_eq!(session.created_at, t0);
    assert_eq!(session.last_seen, t0);
    assert_eq!(session.expires_at, t0 + Duration::hours(1));

    let (found, user) = store
        .find_session("hash-1", t0 + Duration::minutes(59))
        .await
        .unwrap()
        .expect("a live session");
    assert_eq!(found, session);
    assert_eq!(user, ana);
    assert_eq!(store.find_session("hash-2", t0).await.unwrap(), None);
    assert_eq!(
        store
            .find_session("hash-1", t0 + Duration::hours(1))
            .await
            .unwrap(),
        None,
        "a session is over at its expiry"
    );

    // Sliding expiry: used at 0:30, it lasts until 1:30.
    store
        .touch_session(
            session.id,
            t0 + Duration::minutes(30),
            t0 + Duration::minutes(90),
        )
        .await
        .unwrap();
    let (touched, _) = store
        .find_session("hash-1", t0 + Duration::minutes(89))
        .await
        .unwrap()
        .expect("extended");
    assert_eq!(touched.last_seen, t0 + Duration::minutes(30));
    assert_eq!(touched.expires_at, t0 + Duration::minutes(90));

    assert_invalid(
        store
            .create_session(ana.id, new_session_at("hash-3", t0, Duration::zero()))
            .await,
    );
    assert_invalid(
        store
            .create_session(ana.id, new_session_at("", t0, Duration::hours(1)))
            .await,
    );
    assert_not_found(
        store
            .create_session(ana.id + 9, new_session_at("hash-4", t0, Duration::hours(1)))
            .await,
    );
    assert_conflict(
        store
            .create_session(ana.id, new_session_at("hash-1", t0, Duration::hours(1)))
            .await,
    );

    assert!(store
        .end_session("hash-1", t0 + Duration::minutes(40))
        .await
        .unwrap());
    assert_eq!(
        store
            .find_session("hash-1", t0 + Duration::minutes(41))
            .await
            .unwrap(),
        None
    );
    assert!(!store
        .end_session("hash-1", t0 + Duration::minutes(42))
        .await
        .unwrap());

    let events = store.list_events(all_events(None)).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        vec![
            kind::SESSION_ENDED,
            kind::SESSION_CREATED,
            kind::USER_CREATED
        ]
    );
    for event in &events[..2] {
        assert_eq!(event.actor, "user:ana@example.com");
        assert_eq!(event.data["user_id"], ana.id);
        assert_eq!(event.data["session_id"], session.id);
        let text = event.data.to_string();
        assert!(!text.contains("hash-1") && !text.contains("csrf"), "{text}");
    }
    assert_eq!(events[1].data["method"], "password");
}

pub async fn disabled_accounts_lose_their_sessions_and_links(db: TestDb) {
    let store = &db.store;
    let t0 = utc(2024, 3, 5, 10, 0, 0);
    let (ana, bo) = ana_and_bo_signed_in(store, t0, Some(PHC)).await;
    store
        .create_login_link(new_link(ana.id, "ana-link", t0))
        .await
        .unwrap();

    let later = t0 + Duration::hours(1);
    let disabled = store
        .disable_user(ana.id, "user:admin@example.com", later)
        .await
        .unwrap();
    assert_eq!(disabled.disabled_at, Some(later));
    assert!(!disabled.is_active());
    for hash in ["ana-laptop", "ana-phone"] {
        assert_eq!(
            store.find_session(hash, later).await.unwrap(),
            None,
            "{hash}"
        );
    }
    assert!(store
        .find_session("bo-laptop", later)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .redeem_login_link(
                "ana-link",
                new_session_at("ana-new", later, Duration::days(7))
            )
            .await
            .unwrap()
            .err(),
        Some(baton_core::access::LinkRefused::Disabled)
    );
    assert_invalid(
        store
            .create_session(
                ana.id,
                new_session_at("ana-again", later, Duration::days(7)),
            )
            .await,
    );
    assert_invalid(
        store
            .create_login_link(new_link(ana.id, "ana-link-2", later))
            .await,
    );
    assert_invalid(store.set_user_role(ana.id, Role::Admin, "x", later).await);

    // Disabling again keeps the first instant and appends nothing.
    let again = store
        .disable_user(ana.id, "user:other@example.com", later + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again, disabled);
    assert_not_found(store.disable_user(bo.id + 100, "x", later).await);
    let events = store.list_events(all_events(None)).await.unwrap();
    let disabling: Vec<_> = events
        .iter()
        .filter(|e| e.kind == kind::USER_DISABLED)
        .collect();
    assert_eq!(disabling.len(), 1);
    assert_eq!(disabling[0].actor, "user:admin@example.com");
    assert_eq!(disabling[0].data["email"], "ana@example.com");

    // Enabled again: she may sign in, her old sessions stay ended, and the link sent before
    // she was disabled stays dead (expired) while a new one works.
    let back = later + Duration::hours(2);
    let enabled = store
        .enable_user(ana.id, "user:admin@example.com", back)
        .await
        .unwrap();
    assert!(enabled.is_active());
    assert_eq!(enabled.role, Role::Member);
    assert_eq!(store.find_session("ana-laptop", back).await.unwrap(), None);
    assert_eq!(
        store
            .redeem_login_link(
                "ana-link",
                new_session_at("ana-old-link", back, Duration::days(7))
            )
            .await
            .unwrap()
            .err(),
        Some(baton_core::access::LinkRefused::Expired)
    );
    store
        .create_login_link(new_link(ana.id, "ana-link-3", back))
        .await
        .unwrap();
    assert!(store
        .redeem_login_link(
            "ana-link-3",
            new_session_at("ana-new-link", back, Duration::days(7))
        )
        .await
        .unwrap()
        .is_ok());
    // Enabling an active account changes nothing and appends nothing.
    assert_eq!(
        store.enable_user(ana.id, "cli", back).await.unwrap().id,
        ana.id
    );
    assert_not_found(store.enable_user(bo.id + 100, "x", back).await);
    let events = store.list_events(all_events(None)).await.unwrap();
    let enabling: Vec<_> = events
        .iter()
        .filter(|e| e.kind == kind::USER_ENABLED)
        .collect();
    assert_eq!(enabling.len(), 1);
    assert_eq!(enabling[0].actor, "user:admin@example.com");
}

pub async fn a_new_password_ends_the_other_sessions(db: TestDb) {
    let store = &db.store;
    let t0 = utc(2024, 3, 5, 10, 0, 0);
    let (ana, bo) = ana_and_bo_signed_in(store, t0, None).await;

    // A link-only account gets a password from its laptop: the phone is signed out.
    let later = t0 + Duration::hours(1);
    let set = store
        .set_user_password(
            ana.id,
            PHC,
            Some("ana-laptop"),
            "user:ana@example.com",
            later,
        )
        .await
        .unwrap();
    assert_eq!(set.password_hash.as_deref(), Some(PHC));
    assert_eq!(
        store
            .find_user("ana@example.com")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some(PHC)
    );
    assert!(store
        .find_session("ana-laptop", later)
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.find_session("ana-phone", later).await.unwrap(), None);
    assert!(store
        .find_session("bo-laptop", later)
        .await
        .unwrap()
        .is_some());

    // Set by someone else (`baton user password`): every session ends.
    store
        .set_user_password(ana.id, "$argon2id$other", None, "cli", later)
        .await
        .unwrap();
    assert_eq!(store.find_session("ana-laptop", later).await.unwrap(), None);

    assert_invalid(
        store
            .set_user_password(ana.id, " ", None, "cli", later)
            .await,
    );
    assert_not_found(
        store
            .set_user_password(bo.id + 100, PHC, None, "cli", later)
            .await,
    );
    store.disable_user(bo.id, "cli", later).await.unwrap();
    assert_invalid(
        store
            .set_user_password(bo.id, PHC, None, "cli", later)
            .await,
    );

    let events = store.list_events(all_events(None)).await.unwrap();
    let set: Vec<_> = events
        .iter()
        .filter(|e| e.kind == kind::USER_PASSWORD_SET)
        .collect();
    assert_eq!(set.len(), 2);
    assert_eq!(set[1].actor, "user:ana@example.com");
    assert_eq!(set[1].data["email"], "ana@example.com");
    for event in set {
        let text = event.data.to_string();
        assert!(!text.contains("argon2"), "{text}");
    }
}

pub async fn sign_in_links_work_once_and_expire(db: TestDb) {
    use baton_core::access::LinkRefused;
    let store = &db.store;
    let t0 = utc(2024, 3, 5, 10, 0, 0);
    let ana = store
        .create_user(new_user("ana@example.com", Role::Admin, None))
        .await
        .unwrap();
    let link = store
        .create_login_link(new_link(ana.id, "link-1", t0))
        .await
        .unwrap();
    assert_eq!(link.user_id, ana.id);
    assert_eq!(link.created_at, t0);
    assert_eq!(link.expires_at, t0 + Duration::hours(24));
    assert_eq!(link.used_at, None);
    assert_not_found(
        store
            .create_login_link(new_link(ana.id + 5, "link-x", t0))
            .await,
    );
    assert_invalid(
        store
            .create_login_link(baton_core::access::NewLoginLink {
                expires_at: t0,
                ..new_link(ana.id, "link-y", t0)
            })
            .await,
    );

    let at = t0 + Duration::minutes(5);
    let (session, user) = store
        .redeem_login_link("link-1", new_session_at("s-1", at, Duration::days(7)))
        .await
        .unwrap()
        .expect("the first use signs in");
    assert_eq!(user, ana);
    assert_eq!(session.user_id, ana.id);
    assert_eq!(session.created_at, at);
    assert!(store.find_session("s-1", at).await.unwrap().is_some());

    let redeem = |hash: &'static str, session: &'static str, at: DateTime<Utc>| {
        let store = store.clone();
        async move {
            store
                .redeem_login_link(hash, new_session_at(session, at, Duration::days(7)))
                .await
                .unwrap()
                .err()
        }
    };
    assert_eq!(redeem("link-1", "s-2", at).await, Some(LinkRefused::Used));
    assert_eq!(store.find_session("s-2", at).await.unwrap(), None);
    assert_eq!(
        redeem("no-such-link", "s-3", at).await,
        Some(LinkRefused::Unknown)
    );

    store
        .create_login_link(new_link(ana.id, "link-2", t0))
        .await
        .unwrap();
    let expiry = t0 + Duration::hours(24);
    assert_eq!(
        redeem("link-2", "s-4", expiry).await,
        Some(LinkRefused::Expired)
    );
    assert_eq!(store.find_session("s-4", expiry).await.unwrap(), None);

    let events = store.list_events(all_events(None)).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            kind::LOGIN_LINK_CREATED,
            kind::SESSION_CREATED,
            kind::LOGIN_LINK_CREATED,
            kind::USER_CREATED,
        ]
    );
    assert_eq!(events[1].data["method"], "link");
    assert_eq!(events[2].data["email"], "ana@example.com");
    assert_eq!(events[2].actor, "user:admin@example.com");
    for event in &events {
        let text = event.data.to_string();
        assert!(!text.contains("link-") && !text.contains("s-1"), "{text}");
    }
}

/// Sixteen browsers open the same link at once: exactly one is signed in.
pub async fn concurrent_redeemers_of_a_link_let_exactly_one_in(db: TestDb) {
    use baton_core::access::LinkRefused;
    let t0 = utc(2024, 3, 5, 10, 0, 0);
    let ana = db
        .store
        .create_user(new_user("ana@example.com", Role::Admin, None))
        .await
        .unwrap();
    db.store
        .create_login_link(new_link(ana.id, "shared", t0))
        .await
        .unwrap();

    let at = t0 + Duration::minutes(1);
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let hash = format!("session-{i}");
                let outcome = store
                    .redeem_login_link("shared", new_session_at(&hash, at, Duration::days(7)))
                    .await
                    .unwrap();
                (hash, outcome.map(|(session, _)| session.id))
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (hash, outcome) = task.await.unwrap();
        match outcome {
            Ok(_) => winners.push(hash),
            Err(refused) => {
                assert_eq!(refused, LinkRefused::Used);
                assert_eq!(db.store.find_session(&hash, at).await.unwrap(), None);
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one redeemer wins: {winners:?}");
    assert!(db
        .store
        .find_session(&winners[0], at)
        .await
        .unwrap()
        .is_some());
    let events = db.store.list_events(all_events(None)).await.unwrap();
    let sign_ins = events
        .iter()
        .filter(|e| e.kind == kind::SESSION_CREATED)
        .count();
    assert_eq!(sign_ins, 1);
}

/// Every change to overrides, swaps or time off moves the schedule revision on; intake effects
/// decided at an older revision are not applied (the delivery is stored, its effects are each
/// `Rescheduled`), those decided at the current one or at none are, in the same batch; and a
/// retry decided at an old revision applies nothing either.
pub async fn schedule_changes_move_the_revision_and_outdate_intake_effects(db: TestDb) {
    let store = &db.store;
    let t = utc(2022, 9, 26, 9, 0, 0);
    let mut seen = vec![store.schedule_revision().await.unwrap()];
    let mut moved = |revision: i64, what: &str| {
        assert!(
            revision > *seen.last().unwrap(),
            "{what} moves the revision on: {seen:?} then {revision}"
        );
        seen.push(revision);
    };
    let o = store
        .add_override(new_override("team", "taras", t, 8))
        .await
        .unwrap();
    moved(store.schedule_revision().await.unwrap(), "an override");
    let s = store
        .add_swap(new_swap("team", t, t + Duration::weeks(1)))
        .await
        .unwrap();
    moved(store.schedule_revision().await.unwrap(), "a swap");
    let off = store
        .add_time_off(new_time_off("taras", t, 2))
        .await
        .unwrap();
    moved(store.schedule_revision().await.unwrap(), "time off");
    store
        .remove_override("team", o.id, "philipp")
        .await
        .unwrap();
    moved(
        store.schedule_revision().await.unwrap(),
        "removing an override",
    );
    store.remove_swap("team", s.id, "philipp").await.unwrap();
    moved(store.schedule_revision().await.unwrap(), "removing a swap");
    store.remove_time_off(off.id, "philipp").await.unwrap();
    moved(
        store.schedule_revision().await.unwrap(),
        "removing time off",
    );
    // Inquiries and deliveries leave it alone.
    let current = store.schedule_revision().await.unwrap();
    create(store, new_inquiry("team", Some("unrelated"), t)).await;
    assert_eq!(store.schedule_revision().await.unwrap(), current);

    let at = |revision: Option<i64>, key: &str| IntakeItem {
        schedule_revision: revision,
        ..creating_item(key, "team", t)
    };
    let outcomes = store
        .commit_intake(vec![
            at(Some(current - 1), "github:old"),
            at(Some(current), "github:current"),
            at(None, "github:none"),
        ])
        .await
        .unwrap();
    let (old_id, old_effects) = stored(&outcomes[0]);
    assert_eq!(old_effects, [EffectOutcome::Rescheduled]);
    assert!(old_effects[0].is_outdated());
    created(&stored(&outcomes[1]).1[0], true);
    created(&stored(&outcomes[2]).1[0], true);
    assert!(store
        .find_inquiries_by_ref("ref-github:old")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .find_inquiries_by_ref("ref-github:current")
            .await
            .unwrap()
            .len(),
        1
    );
    let deliveries = store.list_deliveries(&all_deliveries()).await.unwrap();
    assert!(
        deliveries.iter().any(|d| d.id == old_id),
        "the outdated delivery is kept"
    );

    // A retry decided at a revision that moved on again applies nothing; at the current one,
    // it applies.
    let retry = |revision| IntakeRetry {
        schedule_revision: Some(revision),
        delivery_id: old_id,
        outcome: "retry after a schedule change".into(),
        at: t,
        effects: vec![create_effect(new_inquiry(
            "team",
            Some("ref-github:old"),
            t,
        ))],
    };
    assert_eq!(
        store.retry_intake(retry(current - 1)).await.unwrap(),
        [EffectOutcome::Rescheduled]
    );
    assert!(store
        .find_inquiries_by_ref("ref-github:old")
        .await
        .unwrap()
        .is_empty());
    let applied = store.retry_intake(retry(current)).await.unwrap();
    created(&applied[0], true);
    assert_eq!(
        store
            .find_inquiries_by_ref("ref-github:old")
            .await
            .unwrap()
            .len(),
        1
    );
}
