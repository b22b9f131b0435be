//! [`commit`](super::commit) when a delivery's effects go stale, and
//! [`effective_instant`](super::effective_instant).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use baton_core::inquiry::{Inquiry, Pause, State};
use baton_core::sla::Priority;
use baton_core::triage::{Action, Arrival};
use baton_store::{DeliveryFilter, OpenMode};
use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{commit, effective_instant, Decision, Intake, IntakeWriter, Received, Routes, Secrets};
use crate::clock::Clock;
use crate::service::Service;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2022, 10, 5, 8, 0, 0).unwrap()
}

async fn service(dir: &tempfile::TempDir) -> Service {
    let url = format!("sqlite://{}", dir.path().join("baton.db").display());
    let store = baton_store::open(&url, OpenMode::Create).await.unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/integrations.toml");
    let config = baton_config::load(&path).unwrap();
    Service::new(Arc::new(config), store, Clock::manual(t0()))
}

fn arrival() -> Arrival {
    Arrival {
        source: "#integrations".into(),
        external_ref: Some("slack:C0INTEGRAT:1664874847.123459".into()),
        link: None,
        title: "The JetBrains plugin does not start".into(),
        body: String::new(),
        reporter: Some("U02ALICE".into()),
        labels: Vec::new(),
        severity: None,
        received_at: t0(),
        area: None,
        priority: None,
    }
}

/// A schedule that changes between every decision and its commit (an override from another
/// process each time) still leaves the delivery with its inquiry: the decision is made again
/// with the schedule read afresh, and the last one is applied whatever the schedule did since.
#[tokio::test]
async fn a_delivery_keeps_its_inquiry_while_the_schedule_keeps_changing() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(&dir).await;
    let (handle, writer) = IntakeWriter::spawn(service.store().clone());
    let intake = Intake {
        routes: Arc::new(Routes::new(service.config())),
        secrets: Secrets::default(),
        writer: handle,
    };
    let team = service.team("integrations").unwrap().clone();
    let target = super::Target {
        team: "integrations".into(),
        source: "#integrations".into(),
    };
    let received = Received {
        provider: "slack",
        key: Some("slack:Ev055BUSY".into()),
        kind: "message".into(),
        headers: serde_json::json!({"content-type": "application/json"}),
        body: br#"{"type":"event_callback","event_id":"Ev055BUSY"}"#.to_vec(),
    };
    let decisions = AtomicUsize::new(0);
    let accepted = commit(&intake, &service, received, || {
        let (service, decisions, team, target) = (&service, &decisions, &team, &target);
        async move {
            let n = decisions.fetch_add(1, Ordering::SeqCst) as i64;
            let mut d = Decision::default();
            d.create(service, target, arrival(), "slack:U02ALICE")
                .await?;
            // Someone covers an hour somewhere else in the schedule before this commits.
            let start = t0() + Duration::days(30 + n);
            service
                .store()
                .add_override(baton_core::model::NewOverride {
                    team: team.slug.clone(),
                    member: "taras".into(),
                    start,
                    end: start + Duration::hours(1),
                    reason: None,
                    created_by: "cli".into(),
                })
                .await?;
            Ok(d)
        }
    })
    .await
    .unwrap();

    assert_eq!(decisions.load(Ordering::SeqCst), super::MAX_DECISIONS);
    assert_eq!(accepted.inquiries.len(), 1, "{accepted:?}");
    let found = service
        .store()
        .find_inquiries_by_ref("slack:C0INTEGRAT:1664874847.123459")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let deliveries = service
        .store()
        .list_deliveries(&DeliveryFilter::default())
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    writer.shutdown().await;
}

#[tokio::test]
async fn a_stale_delivery_is_decided_again_and_its_delivery_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(&dir).await;
    let (inquiry, _) = service
        .create_inquiry("integrations", arrival(), "test")
        .await
        .unwrap();
    let (handle, writer) = IntakeWriter::spawn(service.store().clone());
    let intake = Intake {
        routes: Arc::new(Routes::new(service.config())),
        secrets: Secrets::default(),
        writer: handle,
    };
    let received = Received {
        provider: "slack",
        key: Some("slack:Ev044STALE".into()),
        kind: "reaction_added".into(),
        headers: serde_json::json!({"content-type": "application/json"}),
        body: br#"{"type":"event_callback","event_id":"Ev044STALE"}"#.to_vec(),
    };
    let decisions = AtomicUsize::new(0);
    let accepted = commit(&intake, &service, received, || {
        let (service, decisions) = (&service, &decisions);
        async move {
            let n = decisions.fetch_add(1, Ordering::SeqCst);
            let read = service.store().get_inquiry(inquiry.id).await?;
            let mut d = Decision::default();
            d.act(service, &read, Action::Acknowledge, "slack:U01DAVID")
                .await?;
            if n == 0 {
                // A lead sets the priority between this decision and its commit.
                let high = Action::SetPriority {
                    priority: Some(Priority::High),
                };
                service.act(inquiry.id, high, "philipp").await?;
            }
            Ok(d)
        }
    })
    .await
    .unwrap();

    assert_eq!(decisions.load(Ordering::SeqCst), 2);
    assert!(!accepted.duplicate);
    assert_eq!(accepted.inquiries, [inquiry.id]);
    assert!(
        accepted
            .outcome
            .starts_with("retry after a concurrent change: "),
        "{}",
        accepted.outcome
    );
    // Both changes hold: neither overwrote the other.
    let stored = service.store().get_inquiry(inquiry.id).await.unwrap();
    assert_eq!(stored.state, State::Acknowledged);
    assert_eq!(stored.priority, Some(Priority::High));

    // One delivery row, with the retry's outcome; no `…:retry` key.
    let deliveries = service
        .store()
        .list_deliveries(&DeliveryFilter {
            limit: 100,
            ..DeliveryFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0].key.as_deref(), Some("slack:Ev044STALE"));
    assert_eq!(Some(deliveries[0].id), accepted.delivery_id);
    assert_eq!(deliveries[0].outcome, accepted.outcome);
    assert!(service
        .store()
        .known_deliveries(&["slack:Ev044STALE:retry".to_owned()])
        .await
        .unwrap()
        .is_empty());
    let kinds: Vec<String> = service
        .store()
        .list_inquiry_events(inquiry.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "inquiry.created",
            "inquiry.priority_set",
            "inquiry.acknowledged"
        ]
    );
    writer.shutdown().await;
}

fn inquiry(received_at: DateTime<Utc>) -> Inquiry {
    Inquiry {
        id: 1,
        team: "integrations".into(),
        source: "#integrations".into(),
        external_ref: None,
        link: None,
        title: "t".into(),
        body: String::new(),
        reporter: None,
        labels: Vec::new(),
        severity: None,
        received_at,
        area: None,
        priority: None,
        suggested_priority: None,
        suggestion_reason: None,
        state: State::New,
        assignee: "david".into(),
        first_response_at: None,
        first_response_due: None,
        resolution_due: None,
        resolved_at: None,
        pauses: Vec::new(),
        issue_url: None,
        logged_minutes: 0,
        should_escalate: false,
        next_due: None,
        updated_at: received_at,
        version: 1,
    }
}

#[test]
fn actions_take_effect_when_they_happened_within_bounds() {
    let arrived = t0();
    let now = arrived + Duration::hours(1);
    let i = inquiry(arrived);
    let late = arrived + Duration::minutes(20);
    assert_eq!(effective_instant(&i, Some(late), now), late);
    assert_eq!(effective_instant(&i, None, now), now);
    // A sender's clock ahead of ours; an instant before the inquiry arrived.
    assert_eq!(
        effective_instant(&i, Some(now + Duration::minutes(5)), now),
        now
    );
    assert_eq!(
        effective_instant(&i, Some(arrived - Duration::days(1)), now),
        arrived
    );
    // Never before the last wait began or ended, nor before the last resolution.
    let waiting = Inquiry {
        pauses: vec![Pause {
            start: arrived + Duration::minutes(30),
            end: None,
        }],
        ..i.clone()
    };
    assert_eq!(
        effective_instant(&waiting, Some(late), now),
        arrived + Duration::minutes(30)
    );
    let resolved = Inquiry {
        resolved_at: Some(arrived + Duration::minutes(40)),
        ..i.clone()
    };
    assert_eq!(
        effective_instant(&resolved, Some(late), now),
        arrived + Duration::minutes(40)
    );
}
