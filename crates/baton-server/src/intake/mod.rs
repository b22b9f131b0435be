//! Webhook intake: what turns Slack, GitHub and alert deliveries into inquiries.
//!
//! - [`writer`]: the one task that commits deliveries and their effects in batches.
//! - [`route`]: the configuration read as "who watches what".
//! - `slack`, `github`, `alerts`: each delivery's decision: which team, which effects, and the
//!   outcome in words.
//!
//! The endpoints themselves are in `routes::hooks`.

pub mod alerts;
pub mod commands;
pub mod github;
pub mod route;
pub mod slack;
pub mod writer;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use axum::http::{header, HeaderMap};
use baton_config::Config;
use baton_core::inquiry::Inquiry;
use baton_core::triage::{Action, Arrival, Policy};
use baton_store::{
    EffectOutcome, InquiryChange, IntakeEffect, IntakeItem, IntakeOutcome, NewDelivery,
};

use secrecy::{ExposeSecret, SecretSlice};

use crate::error::ApiError;
use crate::service::{Service, ServiceError};

pub use route::{Routes, Target};
pub use writer::{IntakeHandle, IntakeWriter, WriteError};

/// A secret read once at startup: never printed (`Debug` shows `[REDACTED]`), zeroed when
/// dropped (`secrecy`).
#[derive(Clone)]
pub struct Secret(Arc<SecretSlice<u8>>);

impl Secret {
    pub fn new(value: impl Into<Vec<u8>>) -> Self {
        Self(Arc::new(SecretSlice::from(value.into())))
    }

    /// The secret's bytes, for a verifier only.
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret()
    }

    fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl Default for Secret {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The webhook secrets, by the name of the environment variable the config gives for each.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    values: HashMap<String, Secret>,
}

impl Secrets {
    /// Reads, once, every variable the config names for webhooks (Slack signing secret, GitHub
    /// webhook secret, alert sources' tokens); warns about those that are not set.
    pub fn from_env(config: &Config) -> Self {
        let mut secrets = Self::default();
        for name in webhook_env_names(config) {
            match std::env::var(&name) {
                Ok(value) if !value.is_empty() => {
                    secrets.values.insert(name, Secret::new(value));
                }
                _ => tracing::warn!(
                    variable = %name,
                    "a webhook secret is not set: its endpoint answers 503 until it is"
                ),
            }
        }
        secrets
    }

    /// The secret `value` under variable `name` (for tests and embedding).
    pub fn with(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.values.insert(name.to_owned(), Secret::new(value));
        self
    }

    /// The secret held by variable `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.values.get(name).filter(|s| !s.is_empty())
    }
}

/// Every environment variable the config names for inbound webhooks.
fn webhook_env_names(config: &Config) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    names.extend(config.slack.signing_secret_env.clone());
    names.extend(config.github.webhook_secret_env.clone());
    for team in &config.teams {
        for source in &team.sources {
            names.extend(source.token_env.clone());
        }
    }
    names.sort();
    names.dedup();
    names
}

/// What the intake endpoints share: who watches what, the secrets and the writer.
pub struct Intake {
    pub routes: Routes,
    pub secrets: Secrets,
    pub writer: IntakeHandle,
}

/// The request's headers for the audit record: every header but credentials.
pub fn audit_headers(headers: &HeaderMap) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (name, value) in headers {
        if name == header::AUTHORIZATION || name == header::COOKIE || name == "x-api-key" {
            continue;
        }
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match map.get_mut(name.as_str()) {
            Some(serde_json::Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(&text);
            }
            _ => {
                map.insert(name.as_str().to_owned(), serde_json::Value::String(text));
            }
        }
    }
    serde_json::Value::Object(map)
}

/// The first line of `text`, at most `max` characters (cut on a character boundary, with `…`).
pub fn title_of(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    match line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", line[..i].trim_end()),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_first_lines_cut_on_char_boundaries() {
        assert_eq!(title_of("\n  hello\nworld", 120), "hello");
        assert_eq!(title_of("ééééé", 3), "ééé…");
        assert_eq!(title_of("", 3), "");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secrets::default().with("X", "hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(Secrets::default().with("X", "").get("X").is_none());
    }
}

/// What baton decided for one delivery: the team it belongs to, its effects, and what happened
/// in words (the delivery's `outcome`).
#[derive(Default)]
pub struct Decision {
    pub team: Option<String>,
    pub notes: Vec<String>,
    pub effects: Vec<IntakeEffect>,
    policies: HashMap<String, Policy>,
}

impl Decision {
    /// Adds a sentence to the outcome.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// Routes the delivery to `team` unless it already has one.
    pub fn route(&mut self, team: &str) {
        if self.team.is_none() {
            self.team = Some(team.to_owned());
        }
    }

    /// The outcome in words.
    pub fn outcome(&self) -> String {
        if self.notes.is_empty() {
            "ignored".to_owned()
        } else {
            self.notes.join("; ")
        }
    }

    async fn policy(&mut self, service: &Service, slug: &str) -> Result<&Policy, ServiceError> {
        if !self.policies.contains_key(slug) {
            let team = service.team(slug)?;
            let policy = service.policy(team).await?;
            self.policies.insert(slug.to_owned(), policy);
        }
        self.policies
            .get(slug)
            .ok_or_else(|| ServiceError::NotFound(format!("team {slug:?} not found")))
    }

    /// A new inquiry for `target` (assigned by the team's policy at its arrival).
    pub async fn create(
        &mut self,
        service: &Service,
        target: &Target,
        arrival: Arrival,
        actor: &str,
    ) -> Result<(), ServiceError> {
        self.route(&target.team);
        let policy = self.policy(service, &target.team).await?;
        match policy.arrive(arrival) {
            Ok(inquiry) => {
                self.note(format!(
                    "inquiry for team {} from {}",
                    target.team, target.source
                ));
                self.effects.push(IntakeEffect::Create {
                    inquiry,
                    actor: actor.to_owned(),
                });
            }
            Err(e) => self.note(format!("no inquiry for team {}: {e}", target.team)),
        }
        Ok(())
    }

    /// `action` by `actor` on `inquiry` now; an illegal transition is noted, not an error.
    pub async fn act(
        &mut self,
        service: &Service,
        inquiry: &Inquiry,
        action: Action,
        actor: &str,
    ) -> Result<(), ServiceError> {
        self.route(&inquiry.team);
        let now = service.now();
        let policy = self.policy(service, &inquiry.team).await?;
        match policy.apply(inquiry, action.clone(), now) {
            Ok(applied) => {
                self.note(format!("inquiry #{} {}", inquiry.id, action.done()));
                let data = serde_json::json!({
                    "action": action,
                    "from": inquiry.state,
                    "to": applied.inquiry.state,
                    "assignee": applied.inquiry.assignee,
                });
                self.effects.push(IntakeEffect::Save {
                    inquiry: Box::new(applied.inquiry),
                    change: InquiryChange {
                        kind: applied.kind.to_owned(),
                        actor: actor.to_owned(),
                        at: now,
                        data,
                        time_entry: applied.time_entry,
                    },
                });
            }
            Err(e) => self.note(format!("inquiry #{}: {e}", inquiry.id)),
        }
        Ok(())
    }
}

/// A delivery as received, before its decision.
pub struct Received {
    pub provider: &'static str,
    pub key: Option<String>,
    pub kind: String,
    pub headers: serde_json::Value,
    pub body: Vec<u8>,
}

/// What the endpoint answers about a committed delivery.
#[derive(Debug, serde::Serialize)]
pub struct Accepted {
    pub duplicate: bool,
    pub delivery_id: Option<i64>,
    pub team: Option<String>,
    pub outcome: String,
    /// The inquiries created or changed.
    pub inquiries: Vec<i64>,
}

/// Decides (with `decide`), commits through the writer, and answers once committed. Effects
/// found stale (the inquiry changed meanwhile) are decided once more against fresh data and
/// committed as a retry of the delivery.
pub async fn commit<F, Fut>(
    intake: &Intake,
    service: &Service,
    received: Received,
    mut decide: F,
) -> Result<Accepted, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Decision, ServiceError>>,
{
    if let Some(key) = &received.key {
        // A redelivery of something already stored: answer without deciding again.
        if let Ok(known) = service
            .store()
            .known_deliveries(std::slice::from_ref(key))
            .await
        {
            if !known.is_empty() {
                return Ok(duplicate());
            }
        }
    }
    let mut key = received.key.clone();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let decision = decide().await?;
        let outcome = decision.outcome();
        let team = decision.team.clone();
        let item = IntakeItem {
            delivery: NewDelivery {
                provider: received.provider.to_owned(),
                key: key.clone(),
                team: team.clone(),
                kind: received.kind.clone(),
                headers: received.headers.clone(),
                body: received.body.clone(),
                received_at: service.now(),
                outcome: if attempt > 1 {
                    format!("retry after a concurrent change: {outcome}")
                } else {
                    outcome.clone()
                },
            },
            effects: decision.effects,
        };
        let result = intake.writer.submit(item).await.map_err(|e| match e {
            WriteError::Unavailable(_) => {
                tracing::warn!(error = %e, "a delivery could not be stored; the sender will retry");
                ApiError::Unavailable("the delivery could not be stored now; retry later".into())
            }
            WriteError::Refused(_) => ApiError::internal(e),
        })?;
        let (delivery_id, effects) = match result {
            IntakeOutcome::Duplicate => return Ok(duplicate()),
            IntakeOutcome::Stored {
                delivery_id,
                effects,
            } => (delivery_id, effects),
        };
        let stale = effects
            .iter()
            .any(|e| matches!(e, EffectOutcome::Stale { .. }));
        if stale && attempt < 2 {
            tracing::info!(delivery_id, "stale effects: deciding once more");
            key = key.map(|k| format!("{k}:retry"));
            continue;
        }
        let inquiries = effects
            .iter()
            .filter_map(|e| match e {
                EffectOutcome::Created { inquiry, .. } | EffectOutcome::Saved { inquiry } => {
                    Some(inquiry.id)
                }
                EffectOutcome::Stale { .. } => None,
            })
            .collect();
        return Ok(Accepted {
            duplicate: false,
            delivery_id: Some(delivery_id),
            team,
            outcome,
            inquiries,
        });
    }
}

fn duplicate() -> Accepted {
    Accepted {
        duplicate: true,
        delivery_id: None,
        team: None,
        outcome: "duplicate delivery: already stored".into(),
        inquiries: Vec::new(),
    }
}
