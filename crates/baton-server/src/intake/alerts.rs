//! Alert deliveries (Alertmanager, Grafana, generic JSON): one inquiry per alert fingerprint. A
//! repeat firing finds the same inquiry (reopening it if it was resolved); a resolved alert
//! resolves it; the alert's severity feeds the priority rubric.

use baton_core::triage::{Action, Arrival};
use baton_integrations::model::{AlertBatch, AlertStatus};

use super::route::Target;
use super::{title_of, Decision};
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
                    d.note(format!(
                        "{} still firing: inquiry #{}",
                        alert.title, inquiry.id
                    ));
                } else if let Some(inquiry) = known.iter().max_by_key(|i| i.id) {
                    d.act(service, inquiry, Action::Reopen, &actor).await?;
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
                        received_at: service.now(),
                        area: None,
                        priority: None,
                    };
                    d.create(service, target, arrival, &actor).await?;
                }
            }
            AlertStatus::Resolved => match open {
                Some(inquiry) => d.act(service, inquiry, Action::Resolve, &actor).await?,
                None => d.note(format!("{} resolved: no open inquiry", alert.title)),
            },
        }
    }
    if batch.alerts.is_empty() {
        d.note("ignored: no alerts in the delivery");
    }
    Ok(d)
}
