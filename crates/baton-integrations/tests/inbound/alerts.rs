//! Alertmanager, Grafana and generic alert payloads.

use baton_integrations::alerts;
use baton_integrations::model::{AlertSource, AlertStatus};
use chrono::{DateTime, Utc};

use crate::fixture;

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

#[test]
fn alertmanager_firing_group() {
    let batch = alerts::parse_alertmanager(&fixture("alertmanager/firing.json")).unwrap();
    assert_eq!(batch.source, AlertSource::Alertmanager);
    assert_eq!(batch.receiver.as_deref(), Some("integrations"));
    assert_eq!(batch.status, AlertStatus::Firing);
    assert_eq!(
        batch.group_key.as_deref(),
        Some(r#"{}/{team="integrations"}:{team="integrations"}"#)
    );
    assert_eq!(
        batch.external_url.as_deref(),
        Some("http://alertmanager.sourcegraph.example:9093")
    );
    assert_eq!(batch.title, None);
    assert_eq!(batch.truncated_alerts, 0);
    assert_eq!(batch.alerts.len(), 2);

    let gql = &batch.alerts[0];
    assert_eq!(gql.status, AlertStatus::Firing);
    assert!(!gql.is_resolved());
    assert_eq!(gql.fingerprint, "5a8e6c0b1f2d3e47");
    assert_eq!(gql.name(), Some("BrowserExtensionGraphQLErrors"));
    assert_eq!(gql.title, "Browser extension GraphQL error rate above 5%");
    assert_eq!(
        gql.description.as_deref(),
        Some("12.4% of GraphQL requests from the browser extension failed over the last 10 minutes (threshold 5%).")
    );
    assert_eq!(gql.severity.as_deref(), Some("critical"));
    assert_eq!(gql.labels["team"], "integrations");
    assert_eq!(gql.labels["job"], "sourcegraph-frontend");
    assert_eq!(gql.starts_at, Some(at("2022-10-04T08:58:45.828Z")));
    assert_eq!(gql.ends_at, None, "0001-01-01T00:00:00Z means still firing");
    let link = gql.link.as_deref().unwrap();
    assert!(link.starts_with("http://prometheus.sourcegraph.example:9090/graph?g0.expr="));
    assert!(link.ends_with("&g0.tab=1"), "\\u0026 is decoded: {link}");
    assert_eq!(
        gql.runbook_url.as_deref(),
        Some("https://docs.sourcegraph.example/runbooks/browser-extension-graphql-errors")
    );
    assert_eq!(gql.dashboard_url, None);
    assert!(gql.values.is_empty());

    let queue = &batch.alerts[1];
    assert_eq!(queue.fingerprint, "c41f09d27be36a58");
    assert_eq!(queue.severity.as_deref(), Some("warning"));
    assert_eq!(queue.title, "Code host webhook queue backlog");
    assert_eq!(queue.runbook_url, None);
}

#[test]
fn alertmanager_resolved_group() {
    let batch = alerts::parse_alertmanager(&fixture("alertmanager/resolved.json")).unwrap();
    assert_eq!(batch.status, AlertStatus::Resolved);
    assert_eq!(batch.alerts.len(), 1);
    let a = &batch.alerts[0];
    assert!(a.is_resolved());
    assert_eq!(
        a.fingerprint, "5a8e6c0b1f2d3e47",
        "the same alert as when it fired"
    );
    assert_eq!(a.ends_at, Some(at("2022-10-04T10:12:45.828Z")));
}

#[test]
fn grafana_firing_and_resolved() {
    let batch = alerts::parse_grafana(&fixture("grafana/firing.json")).unwrap();
    assert_eq!(batch.source, AlertSource::Grafana);
    assert_eq!(batch.receiver.as_deref(), Some("integrations"));
    assert_eq!(batch.status, AlertStatus::Firing);
    assert_eq!(
        batch.title.as_deref(),
        Some("[FIRING:1] JetBrains plugin sign-in failures Integrations (high integrations)")
    );
    assert_eq!(
        batch.external_url.as_deref(),
        Some("https://grafana.sourcegraph.example/")
    );
    let a = &batch.alerts[0];
    assert_eq!(a.fingerprint, "e2b7c61d0a9f8354");
    assert_eq!(a.name(), Some("JetBrains plugin sign-in failures"));
    assert_eq!(
        a.title,
        "JetBrains plugin sign-in failures above 20 per 15 minutes"
    );
    assert_eq!(a.severity.as_deref(), Some("high"));
    assert_eq!(a.starts_at, Some(at("2022-10-04T09:40:00Z")));
    assert_eq!(a.ends_at, None);
    assert_eq!(
        a.link.as_deref(),
        Some("https://grafana.sourcegraph.example/alerting/grafana/b2f6a3c9-7e1d-4a5b-8c0f-3d2e1a9b8c7d/view?orgId=1")
    );
    assert_eq!(
        a.dashboard_url.as_deref(),
        Some("https://grafana.sourcegraph.example/d/ide-plugins?orgId=1")
    );
    assert_eq!(
        a.panel_url.as_deref(),
        Some("https://grafana.sourcegraph.example/d/ide-plugins?orgId=1&viewPanel=4")
    );
    assert!(a
        .silence_url
        .as_deref()
        .unwrap()
        .starts_with("https://grafana.sourcegraph.example/alerting/silence/new?"));
    assert_eq!(a.values.get("A"), Some(&38.0));
    assert_eq!(a.values.get("B"), Some(&1.0));

    let resolved = alerts::parse_grafana(&fixture("grafana/resolved.json")).unwrap();
    assert_eq!(resolved.status, AlertStatus::Resolved);
    let r = &resolved.alerts[0];
    assert!(r.is_resolved());
    assert_eq!(r.fingerprint, a.fingerprint);
    assert_eq!(r.ends_at, Some(at("2022-10-04T10:25:00Z")));
    assert_eq!(r.values.get("A"), Some(&6.0));
}

#[test]
fn grafana_empty_links_are_none() {
    // Grafana's documented example: empty dashboard and panel URLs, an offset start time.
    let body = br#"{"receiver":"My Super Webhook","status":"firing","orgId":1,"alerts":[{"status":"firing",
        "labels":{"alertname":"High memory usage","team":"blue","zone":"us-1"},
        "annotations":{"description":"The system has high memory usage","runbook_url":"https://myrunbook.com/runbook/1234","summary":"This alert was triggered for zone us-1"},
        "startsAt":"2021-10-12T09:51:03.157076+02:00","endsAt":"0001-01-01T00:00:00Z",
        "generatorURL":"https://play.grafana.org/alerting/1afz29v7z/edit","fingerprint":"c6eadffa33fcdf37",
        "silenceURL":"https://play.grafana.org/alerting/silence/new","dashboardURL":"","panelURL":"",
        "values":{"B":44.23943737541908,"C":1}}],
        "groupLabels":{},"commonLabels":{"team":"blue"},"commonAnnotations":{},"externalURL":"https://play.grafana.org/",
        "version":"1","groupKey":"{}:{}","truncatedAlerts":0,"title":"[FIRING:1]  (blue)","state":"alerting","message":"**Firing**"}"#;
    let batch = alerts::parse_grafana(body).unwrap();
    let a = &batch.alerts[0];
    assert_eq!(a.dashboard_url, None);
    assert_eq!(a.panel_url, None);
    assert_eq!(a.severity, None);
    assert_eq!(a.starts_at, Some(at("2021-10-12T07:51:03.157076Z")));
    assert_eq!(a.values.len(), 2);
}

#[test]
fn alertmanager_payloads_that_are_wrong() {
    let e = |body: &str| {
        alerts::parse_alertmanager(body.as_bytes())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e(r#"{"status":"firing"}"#),
        "Alertmanager webhook: missing field `alerts` at line 1 column 19"
    );
    assert_eq!(
        e(r#"{"status":"pending","alerts":[]}"#),
        "Alertmanager webhook: status: expected \"firing\" or \"resolved\", got \"pending\""
    );
    assert_eq!(
        e(r#"{"status":"firing","alerts":[{"status":"firing","startsAt":"soon"}]}"#),
        "Alertmanager webhook: alerts[0].startsAt: \"soon\" is not an RFC 3339 time"
    );
    assert!(
        e(r#"{"status":"firing","alerts":[{"status":"firing","labels":{"x":1}}]}"#)
            .starts_with("Alertmanager webhook: invalid type: integer `1`, expected a string")
    );
}

#[test]
fn a_generic_alert() {
    let batch = alerts::parse_generic(
        br#"{"title": "Nightly JetBrains plugin build failed", "body": "Gradle task `buildPlugin` failed",
             "severity": "high", "link": "https://ci.example/builds/812", "id": "jetbrains-nightly",
             "status": "firing", "reporter": "ci"}"#,
    )
    .unwrap();
    assert_eq!(batch.source, AlertSource::Generic);
    assert_eq!(batch.status, AlertStatus::Firing);
    let a = &batch.alerts[0];
    assert_eq!(a.title, "Nightly JetBrains plugin build failed");
    assert_eq!(
        a.description.as_deref(),
        Some("Gradle task `buildPlugin` failed")
    );
    assert_eq!(a.severity.as_deref(), Some("high"));
    assert_eq!(a.link.as_deref(), Some("https://ci.example/builds/812"));
    assert_eq!(a.fingerprint, "jetbrains-nightly");

    let resolved = alerts::parse_generic(
        br#"{"title": "Nightly JetBrains plugin build failed", "id": "jetbrains-nightly", "status": "resolved"}"#,
    )
    .unwrap();
    assert!(resolved.alerts[0].is_resolved());
    assert_eq!(resolved.alerts[0].fingerprint, a.fingerprint);
}
