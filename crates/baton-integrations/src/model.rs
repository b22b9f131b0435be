//! The normalized alert model that Prometheus Alertmanager, Grafana and generic JSON alerts all
//! become. One inquiry per [`Alert::fingerprint`]: a repeat firing updates it, a resolved alert
//! resolves it, and [`Alert::severity`] feeds the priority rubric.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};

/// Which sender a batch came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertSource {
    Alertmanager,
    Grafana,
    Generic,
}

impl AlertSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager",
            Self::Grafana => "grafana",
            Self::Generic => "generic",
        }
    }
}

impl fmt::Display for AlertSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an alert (or a whole group) is firing or resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }

    /// `firing` or `resolved`, in any case.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("firing") {
            Some(Self::Firing)
        } else if s.eq_ignore_ascii_case("resolved") {
            Some(Self::Resolved)
        } else {
            None
        }
    }
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One delivery: a group of alerts from Alertmanager or Grafana, or a single generic alert.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertBatch {
    pub source: AlertSource,
    /// The Alertmanager receiver or Grafana contact point that sent it (routes it to a team).
    pub receiver: Option<String>,
    /// The group's status: `resolved` only when every alert in it is.
    pub status: AlertStatus,
    /// Alertmanager's key of the alert group.
    pub group_key: Option<String>,
    /// Grafana's rendered group title (`[FIRING:1] …`).
    pub title: Option<String>,
    /// The Alertmanager or Grafana address, for links back.
    pub external_url: Option<String>,
    /// Alerts the sender left out because of its `max_alerts` setting.
    pub truncated_alerts: u64,
    pub alerts: Vec<Alert>,
}

/// One alert, normalized.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub status: AlertStatus,
    /// Stable identity of the alert: the sender's fingerprint, or the generic alert's `id`. When
    /// the sender gave none, a hash of the labels (or of the generic alert's title), so that a
    /// repeat firing still finds the same inquiry.
    pub fingerprint: String,
    /// For the inquiry title: the `summary` annotation, else the `alertname` label; a generic
    /// alert's `title`.
    pub title: String,
    /// The `description` annotation; a generic alert's `body` or `description`.
    pub description: Option<String>,
    /// The `severity` label as sent (`critical`, `warning`, …).
    pub severity: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<DateTime<Utc>>,
    /// `None` while the alert fires (Alertmanager sends `0001-01-01T00:00:00Z` then).
    pub ends_at: Option<DateTime<Utc>>,
    /// Where the alert comes from: Alertmanager's and Grafana's `generatorURL`, a generic
    /// alert's `link` or `url`.
    pub link: Option<String>,
    /// The `runbook_url` annotation.
    pub runbook_url: Option<String>,
    /// Grafana's links (absent or empty elsewhere).
    pub dashboard_url: Option<String>,
    pub panel_url: Option<String>,
    pub silence_url: Option<String>,
    /// Grafana's query values (`{"A": 38}`).
    pub values: BTreeMap<String, f64>,
}

impl Alert {
    /// The `alertname` label.
    pub fn name(&self) -> Option<&str> {
        self.labels.get("alertname").map(String::as_str)
    }

    pub fn is_resolved(&self) -> bool {
        self.status == AlertStatus::Resolved
    }
}
