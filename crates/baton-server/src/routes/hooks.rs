//! The webhook endpoints: `/hooks/slack/events`, `/hooks/github`, `/hooks/alertmanager`, … Each
//! verifies its signature or token over the raw body, decides what the delivery makes happen,
//! and answers 2xx only once the delivery and its effects are committed.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method};
use axum::Json;
use baton_config::SourceKind;
use baton_core::access::Role;
use baton_integrations::alerts;
use baton_integrations::github;
use baton_integrations::model::AlertBatch;
use baton_integrations::slack::{self, Envelope};
use baton_integrations::VerifyError;
use baton_store::DeliveryFilter;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::Endpoint;
use crate::auth::Access;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::intake::{self, audit_headers, Accepted, Received, Secret};
use crate::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::POST,
            "/hooks/slack/events",
            Access::Public,
            slack_events,
        ),
        Endpoint::new(
            Method::POST,
            "/hooks/slack/commands",
            Access::Public,
            slack_commands,
        ),
        Endpoint::new(Method::POST, "/hooks/github", Access::Public, github_hook),
        Endpoint::new(
            Method::POST,
            "/hooks/alertmanager",
            Access::Public,
            alertmanager_hook,
        ),
        Endpoint::new(Method::POST, "/hooks/grafana", Access::Public, grafana_hook),
        Endpoint::new(
            Method::POST,
            "/hooks/generic/{source}",
            Access::Public,
            generic_hook,
        ),
        Endpoint::new(
            Method::GET,
            "/api/v1/deliveries",
            Access::Bearer(Role::Admin),
            deliveries,
        ),
    ]
}

/// The body, or 413 / 400 as JSON.
fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(ApiError::from)
}

/// Refuses a body whose content type is not `want` (compared without parameters) with 415.
fn content_type(headers: &HeaderMap, want: &str) -> Result<(), ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if essence == want {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "send the body with `Content-Type: {want}`"
        )))
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The secret held in environment variable `env`, or 503 `not_configured` (logged).
fn secret<'a>(state: &'a AppState, env: Option<&str>, what: &str) -> Result<&'a Secret, ApiError> {
    let found = env.and_then(|name| state.intake.secrets.get(name));
    found.ok_or_else(|| {
        match env {
            Some(name) => tracing::warn!(
                variable = %name,
                "{what} is not configured: set the environment variable and restart"
            ),
            None => tracing::warn!("{what} is not configured: name its variable in the config"),
        }
        ApiError::NotConfigured(format!("{what} is not configured on this server"))
    })
}

/// 401, with the reason in the log only.
fn refuse(provider: &str, e: &VerifyError) -> ApiError {
    tracing::warn!(provider, code = e.code(), reason = %e, "a webhook delivery was refused");
    ApiError::Unauthorized("the request could not be verified".into())
}

/// The body of a Slack request once its size, content type and signature are checked.
fn verified_slack_body(
    state: &AppState,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
    expected_type: &str,
) -> Result<Bytes, ApiError> {
    let raw = body(raw)?;
    content_type(headers, expected_type)?;
    let config = state.service.config();
    let key = secret(
        state,
        config.slack.signing_secret_env.as_deref(),
        "the Slack signing secret",
    )?;
    slack::verify(
        key.expose(),
        slack::SignatureHeaders {
            timestamp: header_str(headers, slack::TIMESTAMP_HEADER),
            signature: header_str(headers, slack::SIGNATURE_HEADER),
        },
        &raw,
        state.service.now(),
    )
    .map_err(|e| refuse("slack", &e))?;
    Ok(raw)
}

async fn slack_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let raw = verified_slack_body(&state, &headers, raw, "application/json")?;
    let envelope = slack::parse_event(&raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let callback = match envelope {
        Envelope::UrlVerification { challenge } => {
            return Ok(Json(json!({ "challenge": challenge })))
        }
        Envelope::Ignored { kind } => {
            // Kept like every accepted delivery: `app_rate_limited`, say, tells an admin that
            // Slack dropped events.
            let kind = delivery_kind(&kind);
            let received = Received {
                provider: "slack",
                key: None,
                kind: kind.clone(),
                headers: audit_headers(&headers),
                body: Vec::from(raw),
            };
            let accepted = intake::commit(&state.intake, &state.service, received, || {
                let mut d = intake::Decision::default();
                d.note(format!("ignored: request type {kind}"));
                std::future::ready(Ok(d))
            })
            .await?;
            return Ok(Json(accepted_json(&accepted)));
        }
        Envelope::Event(callback) => callback,
    };
    let received = Received {
        provider: "slack",
        key: Some(delivery_key("slack", &callback.event_id)),
        kind: delivery_kind(&intake::slack::kind(&callback)),
        headers: audit_headers(&headers),
        body: Vec::from(raw),
    };
    let intake = &state.intake;
    let service = &state.service;
    let accepted = intake::commit(intake, service, received, || {
        intake::slack::decide(service, &intake.routes, &callback)
    })
    .await?;
    Ok(Json(accepted_json(&accepted)))
}

/// The longest sender id kept as is in a delivery's key; longer ones are hashed.
const MAX_KEY_ID: usize = 128;

/// The dedup key of a delivery that `provider` identifies as `id`. Senders' ids are short
/// (`Ev0ABC…`, a GUID); an id longer than [`MAX_KEY_ID`] bytes is kept as its SHA-256, so that a
/// forged giant id neither bloats the key index nor stops the same id from being recognised.
fn delivery_key(provider: &str, id: &str) -> String {
    if id.len() <= MAX_KEY_ID {
        format!("{provider}:{id}")
    } else {
        format!(
            "{provider}:sha256:{}",
            hex::encode(Sha256::digest(id.as_bytes()))
        )
    }
}

/// A delivery's kind as stored: the sender's event type on one line, at most 64 characters,
/// `(no type)` when it is blank (the store refuses an empty kind).
fn delivery_kind(kind: &str) -> String {
    match intake::title_of(kind, 64) {
        k if k.is_empty() => "(no type)".to_owned(),
        k => k,
    }
}

fn accepted_json(accepted: &Accepted) -> Value {
    serde_json::to_value(accepted).unwrap_or(Value::Null)
}

async fn github_hook(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let raw = body(raw)?;
    content_type(&headers, "application/json")?;
    let config = state.service.config();
    let key = secret(
        &state,
        config.github.webhook_secret_env.as_deref(),
        "the GitHub webhook secret",
    )?;
    github::verify(
        key.expose(),
        header_str(&headers, github::SIGNATURE_HEADER),
        &raw,
    )
    .map_err(|e| refuse("github", &e))?;
    let event_name = header_str(&headers, github::EVENT_HEADER)
        .ok_or_else(|| {
            ApiError::BadRequest(format!("the {} header is missing", github::EVENT_HEADER))
        })?
        .to_owned();
    let event =
        github::parse(&event_name, &raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let received = Received {
        provider: "github",
        key: header_str(&headers, github::DELIVERY_HEADER)
            .filter(|k| !k.is_empty())
            .map(|k| delivery_key("github", k)),
        kind: delivery_kind(&intake::github::kind(&event_name, &event)),
        headers: audit_headers(&headers),
        body: Vec::from(raw),
    };
    let intake = &state.intake;
    let service = &state.service;
    let accepted = intake::commit(intake, service, received, || {
        intake::github::decide(service, &intake.routes, &event)
    })
    .await?;
    Ok(Json(accepted_json(&accepted)))
}

/// `?token=` for alert senders that cannot send a bearer token.
#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn alertmanager_hook(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TokenQuery>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    alert_hook(&state, SourceKind::Alertmanager, None, query, &headers, raw).await
}

async fn grafana_hook(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TokenQuery>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    alert_hook(&state, SourceKind::Grafana, None, query, &headers, raw).await
}

async fn generic_hook(
    State(state): State<AppState>,
    ApiPath(source): ApiPath<String>,
    ApiQuery(query): ApiQuery<TokenQuery>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    alert_hook(
        &state,
        SourceKind::Generic,
        Some(&source),
        query,
        &headers,
        raw,
    )
    .await
}

/// The alert endpoints: the token picks the sources it opens, the receiver (or the path's
/// source name) picks the one the alerts arrive through.
async fn alert_hook(
    state: &AppState,
    kind: SourceKind,
    name: Option<&str>,
    query: TokenQuery,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let raw = body(raw)?;
    content_type(headers, "application/json")?;
    let intake = &state.intake;
    let candidates: Vec<_> = intake
        .routes
        .alerts(kind)
        .filter(|r| name.is_none_or(|n| r.matches == n || r.target.source == n))
        .collect();
    if candidates.is_empty() {
        return Err(match name {
            // Answered like a wrong token, so that the answers do not tell an outsider which
            // source names exist; the log says what happened.
            Some(n) => {
                tracing::warn!(source = %n, "a generic alert arrived for a source that is not configured");
                refuse(kind.as_str(), &VerifyError::Unconfigured)
            }
            None => {
                tracing::warn!("no {} source is configured", kind.as_str());
                ApiError::NotConfigured(format!("no {} source is configured", kind.as_str()))
            }
        });
    }
    let given = header_str(headers, header::AUTHORIZATION.as_str())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .map(str::to_owned)
        .or(query.token);
    let mut configured = 0;
    let mut last = VerifyError::Unconfigured;
    let mut opened = Vec::new();
    for route in &candidates {
        let Some(secret) = route
            .token_env
            .as_deref()
            .and_then(|e| intake.secrets.get(e))
        else {
            tracing::warn!(
                source = %route.target.source,
                variable = route.token_env.as_deref().unwrap_or("(none: set `token_env`)"),
                "an alert source's token is not configured"
            );
            continue;
        };
        configured += 1;
        let expected = String::from_utf8_lossy(secret.expose());
        match alerts::verify_token(&expected, given.as_deref()) {
            Ok(()) => opened.push(*route),
            Err(e) => last = e,
        }
    }
    if configured == 0 {
        return Err(ApiError::NotConfigured(format!(
            "no token is configured for the {} sources",
            kind.as_str()
        )));
    }
    if opened.is_empty() {
        return Err(refuse(kind.as_str(), &last));
    }
    let parse = match kind {
        SourceKind::Alertmanager => alerts::parse_alertmanager,
        SourceKind::Grafana => alerts::parse_grafana,
        _ => alerts::parse_generic,
    };
    let batch: AlertBatch = parse(&raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let route = match name {
        Some(_) => opened.first().copied(),
        None => opened
            .iter()
            .find(|r| batch.receiver.as_deref() == Some(r.matches.as_str()))
            .copied(),
    };
    let received = Received {
        provider: kind.as_str(),
        key: None,
        kind: format!("alert.{}", batch.status),
        headers: audit_headers(headers),
        body: Vec::from(raw),
    };
    let service = &state.service;
    let accepted = match route {
        Some(route) => {
            intake::commit(intake, service, received, || {
                intake::alerts::decide(service, &route.target, &batch)
            })
            .await?
        }
        None => {
            let why = format!(
                "unrouted: no {} source with this token receives {:?}",
                kind.as_str(),
                batch.receiver.as_deref().unwrap_or("(no receiver)")
            );
            intake::commit(intake, service, received, || {
                let mut d = intake::Decision::default();
                d.note(why.clone());
                std::future::ready(Ok(d))
            })
            .await?
        }
    };
    Ok(Json(accepted_json(&accepted)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveriesQuery {
    #[serde(default)]
    unrouted: bool,
    provider: Option<String>,
    limit: Option<u32>,
}

/// Webhook deliveries, newest first, without their bodies (admins).
async fn deliveries(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = DeliveryFilter {
        unrouted_only: query.unrouted,
        provider: query.provider,
        limit: crate::extract::limit(query.limit, 100, 1000)?,
    };
    let found = state
        .service
        .store()
        .list_deliveries(&filter)
        .await
        .map_err(ApiError::internal)?;
    let items: Vec<Value> = found
        .into_iter()
        .map(|d| {
            json!({
                "id": d.id,
                "provider": d.provider,
                "key": d.key,
                "team": d.team,
                "kind": d.kind,
                "received_at": d.received_at,
                "outcome": d.outcome,
                "headers": d.headers,
                "body_bytes": d.body.len(),
            })
        })
        .collect();
    Ok(Json(Value::Array(items)))
}

async fn slack_commands(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let raw = verified_slack_body(&state, &headers, raw, "application/x-www-form-urlencoded")?;
    let command = slack::parse_command(&raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let response = intake::commands::answer(&state.service, &state.intake.routes, &command).await;
    Ok(Json(serde_json::to_value(response).unwrap_or(Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_short_ids_and_hash_long_ones() {
        assert_eq!(delivery_key("slack", "Ev0ABC"), "slack:Ev0ABC");
        let long = "x".repeat(MAX_KEY_ID + 1);
        let key = delivery_key("github", &long);
        assert_eq!(key.len(), "github:sha256:".len() + 64);
        assert_eq!(key, delivery_key("github", &long));
        assert_ne!(key, delivery_key("github", &"x".repeat(MAX_KEY_ID + 2)));
    }

    #[test]
    fn kinds_are_one_short_line_and_never_blank() {
        assert_eq!(delivery_kind("issues.opened"), "issues.opened");
        assert_eq!(delivery_kind("\t \n "), "(no type)");
        assert_eq!(delivery_kind(""), "(no type)");
        assert_eq!(delivery_kind(&"a".repeat(100)).chars().count(), 65);
    }
}
