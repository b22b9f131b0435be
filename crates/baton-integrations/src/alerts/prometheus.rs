//! Prometheus Alertmanager's webhook (version 4) and Grafana alerting's webhook, which is the
//! same document with extra fields (`orgId`, `title`, `state`, `message`, and per alert
//! `silenceURL`, `dashboardURL`, `panelURL`, `values`).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{from_json_object, ParseError};
use crate::model::{Alert, AlertBatch, AlertSource, AlertStatus};

type Labels = Option<BTreeMap<String, String>>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBatch {
    receiver: Option<String>,
    status: String,
    alerts: Vec<RawAlert>,
    group_key: Option<String>,
    #[serde(rename = "externalURL")]
    external_url: Option<String>,
    truncated_alerts: Option<u64>,
    /// Grafana only.
    title: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlert {
    status: String,
    labels: Labels,
    annotations: Labels,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(rename = "generatorURL")]
    generator_url: Option<String>,
    fingerprint: Option<String>,
    #[serde(rename = "silenceURL")]
    silence_url: Option<String>,
    #[serde(rename = "dashboardURL")]
    dashboard_url: Option<String>,
    #[serde(rename = "panelURL")]
    panel_url: Option<String>,
    values: Option<BTreeMap<String, Value>>,
}

/// Reads an Alertmanager webhook body (`"version": "4"`).
pub fn parse_alertmanager(body: &[u8]) -> Result<AlertBatch, ParseError> {
    parse(body, AlertSource::Alertmanager, "Alertmanager webhook")
}

/// Reads a Grafana alerting webhook body.
pub fn parse_grafana(body: &[u8]) -> Result<AlertBatch, ParseError> {
    parse(body, AlertSource::Grafana, "Grafana webhook")
}

fn parse(body: &[u8], source: AlertSource, what: &'static str) -> Result<AlertBatch, ParseError> {
    let raw: RawBatch = from_json_object(what, body)?;
    let status = status(what, "status", &raw.status)?;
    let alerts = raw
        .alerts
        .into_iter()
        .enumerate()
        .map(|(i, a)| alert(what, i, a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AlertBatch {
        source,
        receiver: non_empty(raw.receiver),
        status,
        group_key: non_empty(raw.group_key),
        title: non_empty(raw.title),
        external_url: non_empty(raw.external_url),
        truncated_alerts: raw.truncated_alerts.unwrap_or(0),
        alerts,
    })
}

fn alert(what: &'static str, i: usize, raw: RawAlert) -> Result<Alert, ParseError> {
    let labels = raw.labels.unwrap_or_default();
    let annotations = raw.annotations.unwrap_or_default();
    let title = [annotations.get("summary"), labels.get("alertname")]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .unwrap_or("alert")
        .to_owned();
    let fingerprint = non_empty(raw.fingerprint).unwrap_or_else(|| labels_fingerprint(&labels));
    Ok(Alert {
        status: status(what, &format!("alerts[{i}].status"), &raw.status)?,
        fingerprint,
        title,
        description: non_empty(annotations.get("description").cloned()),
        severity: non_empty(labels.get("severity").cloned()),
        starts_at: time(
            what,
            &format!("alerts[{i}].startsAt"),
            raw.starts_at.as_deref(),
        )?,
        ends_at: time(what, &format!("alerts[{i}].endsAt"), raw.ends_at.as_deref())?,
        link: non_empty(raw.generator_url),
        runbook_url: non_empty(annotations.get("runbook_url").cloned()),
        dashboard_url: non_empty(raw.dashboard_url),
        panel_url: non_empty(raw.panel_url),
        silence_url: non_empty(raw.silence_url),
        values: raw
            .values
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| v.as_f64().map(|v| (k, v)))
            .collect(),
        labels,
        annotations,
    })
}

pub(crate) fn status(what: &'static str, field: &str, s: &str) -> Result<AlertStatus, ParseError> {
    AlertStatus::parse(s).ok_or_else(|| {
        ParseError::new(
            what,
            format!(
                "{field}: expected \"firing\" or \"resolved\", got {:?}",
                shorten(s)
            ),
        )
    })
}

/// An RFC 3339 time; empty, or Go's zero time (`0001-01-01T00:00:00Z`, which Alertmanager sends
/// for the end of a firing alert), is `None`.
fn time(
    what: &'static str,
    field: &str,
    s: Option<&str>,
) -> Result<Option<DateTime<Utc>>, ParseError> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let t = DateTime::parse_from_rfc3339(s).map_err(|_| {
        ParseError::new(
            what,
            format!("{field}: {:?} is not an RFC 3339 time", shorten(s)),
        )
    })?;
    let t = t.with_timezone(&Utc);
    Ok((t.year() > 1).then_some(t))
}

/// A stable identity for an alert without a fingerprint: a hash of its sorted labels.
fn labels_fingerprint(labels: &BTreeMap<String, String>) -> String {
    let mut hash = Sha256::new();
    for (k, v) in labels {
        hash.update(k.as_bytes());
        hash.update([0]);
        hash.update(v.as_bytes());
        hash.update([0]);
    }
    hex::encode(&hash.finalize()[..8])
}

pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// At most 40 characters of a value, for error messages.
pub(crate) fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_time_is_none_and_bad_time_is_an_error() {
        assert_eq!(time("x", "f", Some("0001-01-01T00:00:00Z")), Ok(None));
        assert_eq!(time("x", "f", Some("")), Ok(None));
        assert_eq!(
            time("x", "f", Some("2021-10-12T09:51:03.157076+02:00"))
                .unwrap()
                .map(|t| t.to_rfc3339()),
            Some("2021-10-12T07:51:03.157076+00:00".to_owned())
        );
        assert_eq!(
            time("x", "alerts[0].startsAt", Some("yesterday"))
                .unwrap_err()
                .to_string(),
            "x: alerts[0].startsAt: \"yesterday\" is not an RFC 3339 time"
        );
    }

    #[test]
    fn alerts_without_fingerprint_get_one_from_their_labels() {
        let body = br#"{"status":"firing","alerts":[
            {"status":"firing","labels":{"alertname":"A","job":"x"}},
            {"status":"firing","labels":{"job":"x","alertname":"A"}},
            {"status":"firing","labels":{"alertname":"B","job":"x"}}]}"#;
        let batch = parse_alertmanager(body).unwrap();
        let f: Vec<_> = batch
            .alerts
            .iter()
            .map(|a| a.fingerprint.as_str())
            .collect();
        assert_eq!(f[0], f[1]);
        assert_ne!(f[0], f[2]);
        assert_eq!(f[0].len(), 16);
        assert_eq!(batch.alerts[0].title, "A");
    }
}
