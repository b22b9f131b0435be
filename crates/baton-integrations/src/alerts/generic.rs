//! Generic JSON alerts: any object with a `title`, for senders without a format of their own.
//!
//! ```json
//! {"title": "Nightly sync failed", "body": "…", "severity": "high",
//!  "link": "https://ci.example/run/7", "id": "nightly-sync", "status": "firing"}
//! ```
//! `title` is required. Optional: `body` (or `description`), `severity`, `link` (or `url`), `id`
//! (or `fingerprint`; a string or a number) to recognise repeats, `status` (`firing`, the
//! default, or `resolved`), and `labels` (an object of strings). Other fields are ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::prometheus::{non_empty, shorten, status};
use crate::error::{from_json_object, ParseError};
use crate::model::{Alert, AlertBatch, AlertSource, AlertStatus};

const WHAT: &str = "generic alert";

#[derive(Deserialize)]
struct RawGeneric {
    title: String,
    body: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    link: Option<String>,
    url: Option<String>,
    id: Option<Value>,
    fingerprint: Option<Value>,
    status: Option<String>,
    labels: Option<BTreeMap<String, String>>,
}

/// Reads a generic JSON alert.
pub fn parse_generic(body: &[u8]) -> Result<AlertBatch, ParseError> {
    let raw: RawGeneric = from_json_object(WHAT, body)?;
    let title = raw.title.trim().to_owned();
    if title.is_empty() {
        return Err(ParseError::new(WHAT, "`title` is empty"));
    }
    let status = match raw.status.as_deref() {
        None => AlertStatus::Firing,
        Some(s) => status(WHAT, "status", s)?,
    };
    let fingerprint = match (raw.id, raw.fingerprint) {
        (Some(v), _) => identity(&v, "id")?,
        (None, Some(v)) => identity(&v, "fingerprint")?,
        (None, None) => None,
    }
    .unwrap_or_else(|| title_fingerprint(&title));
    let alert = Alert {
        status,
        fingerprint,
        title,
        description: non_empty(raw.body).or(non_empty(raw.description)),
        severity: non_empty(raw.severity),
        labels: raw.labels.unwrap_or_default(),
        annotations: BTreeMap::new(),
        starts_at: None,
        ends_at: None,
        link: non_empty(raw.link).or(non_empty(raw.url)),
        runbook_url: None,
        dashboard_url: None,
        panel_url: None,
        silence_url: None,
        values: BTreeMap::new(),
    };
    Ok(AlertBatch {
        source: AlertSource::Generic,
        receiver: None,
        status,
        group_key: None,
        title: None,
        external_url: None,
        truncated_alerts: 0,
        alerts: vec![alert],
    })
}

/// An `id` given as a string or a number; `null` or an empty string is none.
fn identity(v: &Value, field: &str) -> Result<Option<String>, ParseError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(non_empty(Some(s.trim().to_owned()))),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(ParseError::new(
            WHAT,
            format!(
                "`{field}` must be a string or a number, not {}",
                shorten(&other.to_string())
            ),
        )),
    }
}

/// Without an id, repeats are recognised by their title.
fn title_fingerprint(title: &str) -> String {
    let hash = Sha256::digest(title.as_bytes());
    format!("title-{}", hex::encode(&hash[..8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_and_full() {
        let b = parse_generic(br#"{"title": " Nightly sync failed "}"#).unwrap();
        let a = &b.alerts[0];
        assert_eq!(a.title, "Nightly sync failed");
        assert_eq!(a.status, AlertStatus::Firing);
        assert!(a.fingerprint.starts_with("title-"));
        let again = parse_generic(br#"{"title": "Nightly sync failed", "x": 1}"#).unwrap();
        assert_eq!(again.alerts[0].fingerprint, a.fingerprint);

        let b = parse_generic(
            br#"{"title":"t","description":"d","severity":"high","url":"https://u","fingerprint":42,"status":"RESOLVED","labels":{"area":"jetbrains"}}"#,
        )
        .unwrap();
        let a = &b.alerts[0];
        assert_eq!(a.fingerprint, "42");
        assert_eq!(a.description.as_deref(), Some("d"));
        assert_eq!(a.severity.as_deref(), Some("high"));
        assert_eq!(a.link.as_deref(), Some("https://u"));
        assert_eq!(b.status, AlertStatus::Resolved);
        assert_eq!(a.labels["area"], "jetbrains");
    }

    #[test]
    fn says_what_is_wrong() {
        let e = |body: &str| parse_generic(body.as_bytes()).unwrap_err().to_string();
        assert!(e(r#"{"body": "x"}"#).contains("missing field `title`"));
        assert_eq!(e(r#"{"title": "  "}"#), "generic alert: `title` is empty");
        assert!(e(r#"{"title": 3}"#).contains("invalid type: integer `3`, expected a string"));
        assert_eq!(
            e(r#"{"title": "t", "status": "ok"}"#),
            "generic alert: status: expected \"firing\" or \"resolved\", got \"ok\""
        );
        assert_eq!(
            e(r#"{"title": "t", "id": [1]}"#),
            "generic alert: `id` must be a string or a number, not [1]"
        );
        assert_eq!(e("[]"), "generic alert: expected a JSON object");
        assert_eq!(e(" "), "generic alert: the body is empty");
    }
}
