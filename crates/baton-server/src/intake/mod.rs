//! Webhook intake: what turns Slack, GitHub and alert deliveries into inquiries.
//!
//! - [`writer`]: the one task that commits deliveries and their effects in batches.
//! - [`route`]: the configuration read as "who watches what".
//! - [`channels`]: Slack channels given by name only, resolved to ids through Slack's API.
//! - `slack`, `github`, `alerts`: each delivery's decision: which team, which effects, and the
//!   outcome in words.
//!
//! The endpoints themselves are in `routes::hooks`.

pub mod alerts;
pub mod channels;
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
    EffectOutcome, InquiryChange, IntakeEffect, IntakeItem, IntakeOutcome, IntakeRetry, NewDelivery,
};
use chrono::{DateTime, Utc};

use secrecy::{ExposeSecret, SecretSlice, SecretString};

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
    /// webhook secret, alert sources' tokens) and the Slack bot token; warns about those that
    /// are not set.
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
        if let Some(name) = &config.slack.bot_token_env {
            match std::env::var(name) {
                Ok(value) if !value.is_empty() => {
                    secrets.values.insert(name.clone(), Secret::new(value));
                }
                _ => tracing::warn!(
                    variable = %name,
                    "the Slack bot token is not set: Slack channels given by name only are not \
                     watched until it is"
                ),
            }
        }
        secrets
    }

    /// The Slack bot token, when the config names its variable and it is set.
    pub fn slack_bot_token(&self, config: &Config) -> Option<SecretString> {
        let secret = self.get(config.slack.bot_token_env.as_deref()?)?;
        let token = String::from_utf8_lossy(secret.expose()).into_owned();
        Some(SecretString::from(token))
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
    /// Shared with the task that resolves Slack channel names.
    pub routes: Arc<Routes>,
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

/// The most of a message's text an inquiry keeps; the delivery keeps the whole body.
pub const MAX_INQUIRY_TEXT_BYTES: usize = 64 * 1024;

/// The most characters of an inquiry's title.
const MAX_TITLE_CHARS: usize = 200;

/// The most bytes of an external reference, a link or a reporter: longer ones come only from
/// forged or broken payloads, and PostgreSQL's index rows cannot hold arbitrarily long keys.
const MAX_REF_BYTES: usize = 512;

/// `arrival` with text the store can keep: NUL characters (which PostgreSQL's text columns
/// refuse) replaced by U+FFFD, the body cut to [`MAX_INQUIRY_TEXT_BYTES`] with a note saying so,
/// the title to [`MAX_TITLE_CHARS`], and over-long references replaced by a hash of themselves
/// (so that repeats still match). The raw delivery, stored beside it, is never changed.
pub fn storable(mut arrival: Arrival) -> Arrival {
    fn clean(s: &str) -> String {
        s.replace('\0', "\u{FFFD}")
    }
    fn bounded_ref(s: &str) -> String {
        let s = clean(s);
        if s.len() <= MAX_REF_BYTES {
            s
        } else {
            format!("sha256:{}", hex::encode(sha2::Sha256::digest(s.as_bytes())))
        }
    }
    use sha2::Digest;
    arrival.title = title_of(&clean(&arrival.title), MAX_TITLE_CHARS);
    let body = clean(&arrival.body);
    arrival.body = if body.len() > MAX_INQUIRY_TEXT_BYTES {
        let mut end = MAX_INQUIRY_TEXT_BYTES;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        format!(
            "{}\n\n[cut: the message has {} bytes; the whole text is kept with its delivery]",
            body[..end].trim_end(),
            body.len()
        )
    } else {
        body
    };
    arrival.source = clean(&arrival.source);
    arrival.external_ref = arrival.external_ref.as_deref().map(bounded_ref);
    arrival.reporter = arrival.reporter.as_deref().map(bounded_ref);
    arrival.link = arrival.link.filter(|l| l.len() <= 2048).map(|l| clean(&l));
    for label in &mut arrival.labels {
        *label = bounded_ref(label);
    }
    arrival.severity = arrival.severity.as_deref().map(bounded_ref);
    arrival.area = arrival.area.as_deref().map(bounded_ref);
    arrival
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
mod retry_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_are_made_storable_without_losing_repeats() {
        let long_ref = format!("generic:nightly:{}", "x".repeat(2000));
        let arrival = Arrival {
            source: "generic".into(),
            external_ref: Some(long_ref.clone()),
            link: Some(format!("https://example.com/{}", "a".repeat(5000))),
            title: "disk\0full".into(),
            body: format!("é{}", "b\0".repeat(MAX_INQUIRY_TEXT_BYTES)),
            reporter: Some("bot".into()),
            labels: vec!["sev\0".into()],
            severity: None,
            received_at: chrono::DateTime::UNIX_EPOCH,
            area: None,
            priority: None,
        };
        let stored = storable(arrival.clone());
        assert_eq!(stored.title, "disk\u{FFFD}full");
        assert!(!stored.body.contains('\0'));
        assert!(stored.body.len() < MAX_INQUIRY_TEXT_BYTES + 200);
        assert!(stored
            .body
            .ends_with("the whole text is kept with its delivery]"));
        let key = stored.external_ref.clone().unwrap_or_default();
        assert!(key.starts_with("sha256:") && key.len() == 7 + 64);
        assert_eq!(storable(arrival).external_ref, Some(key), "repeats match");
        assert_eq!(stored.link, None);
        assert_eq!(stored.labels, vec!["sev\u{FFFD}".to_owned()]);
        let short = storable(Arrival {
            external_ref: Some("github:o/r#1".into()),
            body: "short".into(),
            ..stored
        });
        assert_eq!(short.external_ref.as_deref(), Some("github:o/r#1"));
        assert_eq!(short.body, "short");
    }

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
    /// The schedule revision of the policies the effects were decided with (the oldest, if
    /// they differ: the store then finds the decision outdated, as it is).
    pub schedule_revision: Option<i64>,
    policies: HashMap<String, Arc<Policy>>,
}

impl Decision {
    /// Adds a sentence to the outcome.
    /// (Sender text quoted in a note loses its NUL characters, which PostgreSQL cannot store.)
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into().replace('\0', "\u{FFFD}"));
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

    /// Team `slug`'s policy, as held for intake (see [`Service::intake_policy`]).
    async fn policy(&mut self, service: &Service, slug: &str) -> Result<Arc<Policy>, ServiceError> {
        if let Some(policy) = self.policies.get(slug) {
            return Ok(Arc::clone(policy));
        }
        let (policy, revision) = service.intake_policy(slug).await?;
        self.schedule_revision = Some(self.schedule_revision.map_or(revision, |r| r.min(revision)));
        self.policies.insert(slug.to_owned(), Arc::clone(&policy));
        Ok(policy)
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
        let arrival = storable(arrival);
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

    /// A repeat firing of the alert behind the open `inquiry`: a changed severity is saved with
    /// the rubric's new suggestion (`inquiry.alert_updated`); otherwise it is only noted.
    pub async fn refire(
        &mut self,
        service: &Service,
        inquiry: &Inquiry,
        severity: Option<&str>,
        actor: &str,
    ) -> Result<(), ServiceError> {
        self.route(&inquiry.team);
        let now = service.now();
        let policy = self.policy(service, &inquiry.team).await?;
        match policy.refire(inquiry, severity) {
            Some(applied) => {
                self.note(format!(
                    "inquiry #{}: the alert fires again with severity {}",
                    inquiry.id,
                    severity.unwrap_or("none")
                ));
                let data = serde_json::json!({
                    "severity": {"from": inquiry.severity, "to": applied.inquiry.severity},
                    "suggested_priority": {
                        "from": inquiry.suggested_priority,
                        "to": applied.inquiry.suggested_priority,
                    },
                });
                self.effects.push(IntakeEffect::Save {
                    inquiry: Box::new(applied.inquiry),
                    change: InquiryChange {
                        kind: applied.kind.to_owned(),
                        actor: actor.to_owned(),
                        at: now,
                        data,
                        time_entry: None,
                    },
                });
            }
            None => self.note(format!("still firing: inquiry #{}", inquiry.id)),
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
        self.act_at(service, inquiry, action, actor, None).await
    }

    /// `action` by `actor` on `inquiry`, taking effect when the sender says it `happened` (see
    /// [`effective_instant`]), so that a late or retried delivery records when it really
    /// happened; now when the sender gives no time. An illegal transition is noted, not an
    /// error.
    pub async fn act_at(
        &mut self,
        service: &Service,
        inquiry: &Inquiry,
        action: Action,
        actor: &str,
        happened: Option<DateTime<Utc>>,
    ) -> Result<(), ServiceError> {
        self.route(&inquiry.team);
        let now = service.now();
        let at = effective_instant(inquiry, happened, now);
        let policy = self.policy(service, &inquiry.team).await?;
        match policy.apply(inquiry, action.clone(), at) {
            Ok(applied) => {
                self.note(format!("inquiry #{} {}", inquiry.id, action.done()));
                let mut data = serde_json::json!({
                    "action": action,
                    "from": inquiry.state,
                    "to": applied.inquiry.state,
                    "assignee": applied.inquiry.assignee,
                });
                if at != now {
                    // The event is dated when it happened; this is when baton learnt of it.
                    data["delivered_at"] = serde_json::json!(now);
                }
                self.effects.push(IntakeEffect::Save {
                    inquiry: Box::new(applied.inquiry),
                    change: InquiryChange {
                        kind: applied.kind.to_owned(),
                        actor: actor.to_owned(),
                        at,
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

/// When an action that a delivery reports takes effect: the instant the sender gives for it
/// (a Slack message's `ts`, a GitHub comment's `created_at`, an alert's `endsAt`), but never
/// later than `now` (a sender's clock ahead of ours) and never earlier than the inquiry's
/// arrival, its last resolution, or the start or end of its last wait, so that its record
/// stays in order. Without an instant from the sender: `now`.
pub fn effective_instant(
    inquiry: &Inquiry,
    happened: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let Some(happened) = happened else {
        return now;
    };
    let mut floor = inquiry.received_at;
    if let Some(resolved) = inquiry.resolved_at {
        floor = floor.max(resolved);
    }
    if let Some(pause) = inquiry.pauses.last() {
        floor = floor.max(pause.end.unwrap_or(pause.start));
    }
    happened.min(now).max(floor.min(now))
}

/// An instant a sender gives for when something happened, or `now` when it gives none or one
/// in the future (a clock ahead of ours): for arrivals.
pub fn arrived_at(happened: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    happened.map_or(now, |t| t.min(now))
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

/// How many times a delivery is decided at most: once, then again while effects are found
/// outdated (the inquiry or the schedule changed between the decision and the commit).
const MAX_DECISIONS: usize = 3;

/// Decides (with `decide`), commits through the writer, and answers once committed. Nothing is
/// read before: a redelivery is found by the writer (its key is stored), and the schedule comes
/// from the policies held in memory. Effects found outdated (the inquiry changed meanwhile, or
/// the schedule: then the held policies are dropped) are decided again against fresh data and
/// committed with [`Store::retry_intake`](baton_store::Store::retry_intake): the delivery,
/// already stored, is not stored a second time; its outcome is replaced by the retry's.
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
    // A redelivery is decided like any delivery (deciding writes nothing); the writer finds
    // its key stored and applies none of it.
    let decision = decide().await?;
    let mut outcome = decision.outcome();
    let mut team = decision.team.clone();
    let item = IntakeItem {
        delivery: NewDelivery {
            provider: received.provider.to_owned(),
            // Sender-chosen text in these columns loses NUL, which PostgreSQL cannot store
            // (the raw body keeps every byte).
            key: received.key.as_deref().map(|k| k.replace('\0', "\u{FFFD}")),
            team: team.clone(),
            kind: received.kind.replace('\0', "\u{FFFD}"),
            headers: received.headers,
            body: received.body,
            received_at: service.now(),
            outcome: outcome.clone(),
        },
        effects: decision.effects,
        schedule_revision: decision.schedule_revision,
    };
    let result = intake.writer.submit(item).await.map_err(|e| match e {
        WriteError::Unavailable(_) => {
            tracing::warn!(error = %e, "a delivery could not be stored; the sender will retry");
            ApiError::Unavailable("the delivery could not be stored now; retry later".into())
        }
        WriteError::Refused(_) => ApiError::internal(e),
    })?;
    let (delivery_id, mut effects) = match result {
        IntakeOutcome::Duplicate => return Ok(duplicate()),
        IntakeOutcome::Stored {
            delivery_id,
            effects,
        } => (delivery_id, effects),
    };
    let mut decisions = 1;
    while decisions < MAX_DECISIONS && effects.iter().any(EffectOutcome::is_outdated) {
        decisions += 1;
        if effects.contains(&EffectOutcome::Rescheduled) {
            // The schedule changed since the held policies were read.
            service.forget_intake_policies();
        }
        tracing::info!(delivery_id, "outdated effects: deciding once more");
        // The delivery is stored: from here on a failure is logged, never answered as one,
        // since the sender's retry would be a duplicate.
        let again = match decide().await {
            Ok(again) => again,
            Err(e) => {
                tracing::warn!(delivery_id, error = %e, "a stale delivery could not be decided again");
                break;
            }
        };
        let retried = format!("retry after a concurrent change: {}", again.outcome());
        let retry = IntakeRetry {
            delivery_id,
            outcome: retried.clone(),
            at: service.now(),
            effects: again.effects,
            // The last decision is applied even if the schedule moved on once more (it was read
            // just now), so that a busy schedule never leaves a delivery without its inquiry.
            schedule_revision: again
                .schedule_revision
                .filter(|_| decisions < MAX_DECISIONS),
        };
        match service.store().retry_intake(retry).await {
            Ok(fresh) => {
                effects = fresh;
                outcome = retried;
                team = again.team.or(team);
            }
            Err(e) => {
                tracing::warn!(delivery_id, error = %e, "the retry of a stale delivery failed");
                break;
            }
        }
    }
    if let Some(amended) = found_existing(&outcome, &effects) {
        // The inquiry was made meanwhile (say by a `labeled` delivery for the same issue that
        // arrived first): the stored outcome says so rather than claim a new one. The delivery
        // and its effects are committed already; only the words change, through a retry that
        // applies nothing.
        let retry = IntakeRetry {
            delivery_id,
            outcome: amended.clone(),
            at: service.now(),
            effects: Vec::new(),
            schedule_revision: None,
        };
        match service.store().retry_intake(retry).await {
            Ok(_) => outcome = amended,
            Err(e) => {
                tracing::warn!(delivery_id, error = %e, "the outcome of a delivery could not be amended");
            }
        }
    }
    let inquiries = effects
        .iter()
        .filter_map(|e| match e {
            EffectOutcome::Created { inquiry, .. } | EffectOutcome::Saved { inquiry } => {
                Some(inquiry.id)
            }
            EffectOutcome::Stale { .. } | EffectOutcome::Rescheduled => None,
        })
        .collect();
    Ok(Accepted {
        duplicate: false,
        delivery_id: Some(delivery_id),
        team,
        outcome,
        inquiries,
    })
}

/// `outcome` with a sentence naming the inquiries that `effects` found rather than created
/// (their team had them already, from the same source and reference); `None` if there are none.
fn found_existing(outcome: &str, effects: &[EffectOutcome]) -> Option<String> {
    let existing: Vec<String> = effects
        .iter()
        .filter_map(|e| match e {
            EffectOutcome::Created {
                inquiry,
                created: false,
            } => Some(format!("#{}", inquiry.id)),
            _ => None,
        })
        .collect();
    (!existing.is_empty()).then(|| {
        format!(
            "{outcome}; no new inquiry: it exists already as {}",
            existing.join(", ")
        )
    })
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
