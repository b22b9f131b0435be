//! Alert deliveries (Alertmanager, Grafana, generic JSON): one inquiry per alert fingerprint. A
//! repeat firing finds the same inquiry (reopening it if it was resolved, taking a changed
//! severity and the rubric's new suggestion if it is open); a resolved alert
//! resolves it; the alert's severity feeds the priority rubric. Each is dated by the alert's own
//! `startsAt` (arrival, reopening) and `endsAt` (resolution), no later than now.

use baton_core::triage::{Action, Arrival};
use baton_integrations::model::{AlertBatch, AlertStatus};

use super::route::Target;
use super::{arrived_at, title_of, Decision};
use crate::service::{Service, ServiceError};

/// The external reference of an alert of `source`.
pub fn alert_ref(source: &str, fingerprint: &str) -> String {
    format!("alert:{source}:{fingerprint}")
}

/// Decides what `batch`, received through `target`, makes happen.
pub async fn decide(
    service: &Service,
    target: &Target,
    batch: &AlertBatch,
) -> Result<Decision, ServiceError> {
    let mut d = Decision::default();
    d.route(&target.team);
    let actor = format!("{}:{}", batch.source, target.source);
    for alert in &batch.alerts {
        let external_ref = alert_ref(&target.source, &alert.fingerprint);
        let mut known = service.store().find_inquiries_by_ref(&external_ref).await?;
        known.retain(|i| i.team == target.team && i.source == target.source);
        let open = known.iter().find(|i| i.state.is_open());
        match alert.status {
            AlertStatus::Firing => {
                if let Some(inquiry) = open {
                    d.refire(service, inquiry, alert.severity.as_deref(), &actor)
                        .await?;
                } else if let Some(inquiry) = known.iter().max_by_key(|i| i.id) {
                    d.act_at(service, inquiry, Action::Reopen, &actor, alert.starts_at)
                        .await?;
                } else {
                    let mut body = alert.description.clone().unwrap_or_default();
                    for (k, v) in &alert.labels {
                        body.push_str(&format!("\n{k}: {v}"));
                    }
                    if let Some(runbook) = &alert.runbook_url {
                        body.push_str(&format!("\nrunbook: {runbook}"));
                    }
                    let title = match title_of(&alert.title, 200) {
                        t if t.is_empty() => batch
                            .title
                            .clone()
                            .unwrap_or_else(|| format!("{} alert", batch.source)),
                        t => t,
                    };
                    let arrival = Arrival {
                        source: target.source.clone(),
                        external_ref: Some(external_ref),
                        link: alert.link.clone().or_else(|| batch.external_url.clone()),
                        title,
                        body: body.trim().to_owned(),
                        reporter: None,
                        labels: Vec::new(),
                        severity: alert.severity.clone(),
                        received_at: arrived_at(alert.starts_at, service.now()),
                        area: None,
                        priority: None,
                    };
                    d.create(service, target, arrival, &actor).await?;
                }
            }
            AlertStatus::Resolved => match open {
                Some(inquiry) => {
                    d.act_at(service, inquiry, Action::Resolve, &actor, alert.ends_at)
                        .await?
                }
                None => d.note(format!("{} resolved: no open inquiry", alert.title)),
            },
        }
    }
    if batch.alerts.is_empty() {
        d.note("ignored: no alerts in the delivery");
    }
    Ok(d)
}
