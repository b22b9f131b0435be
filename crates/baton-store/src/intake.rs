//! What webhook intake writes: each delivery as received (for audit and re-processing) and the
//! effects baton decided for it, committed in batches ("group commit") by one writer.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use baton_core::inquiry::{Inquiry, NewInquiry};
use chrono::{DateTime, Utc};

use crate::inquiry::{CheckedCreate, CheckedSave};
use crate::{validate, InquiryChange, StoreError};

/// A webhook delivery as received.
#[derive(Clone, Debug, PartialEq)]
pub struct NewDelivery {
    /// `slack`, `github`, `alertmanager`, `grafana` or `generic`.
    pub provider: String,
    /// What makes a redelivery recognisable (`slack:Ev0123`, `github:<X-GitHub-Delivery>`);
    /// `None` when the sender has none (alerts: their repeats are updates, not duplicates).
    pub key: Option<String>,
    /// The team it was routed to; `None` when no team watches what it came from (unrouted).
    pub team: Option<String>,
    /// The event type, e.g. `message`, `issues.opened`, `alert.firing`.
    pub kind: String,
    /// The request's headers kept for audit, without credentials (`Authorization`, cookies).
    pub headers: serde_json::Value,
    /// The raw body, byte for byte.
    pub body: Vec<u8>,
    pub received_at: DateTime<Utc>,
    /// What baton did with it, in words: `inquiry created`, `ignored: bot message`, `unrouted:
    /// no team watches channel C0123`.
    pub outcome: String,
}

/// A stored delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub provider: String,
    pub key: Option<String>,
    pub team: Option<String>,
    pub kind: String,
    pub headers: serde_json::Value,
    pub body: Vec<u8>,
    pub received_at: DateTime<Utc>,
    pub outcome: String,
}

/// One thing a delivery makes happen.
#[derive(Clone, Debug)]
pub enum IntakeEffect {
    /// A new inquiry (an existing one with the same `(team, source, external_ref)` is returned
    /// instead, as [`Store::create_inquiry`](crate::Store::create_inquiry) does).
    Create { inquiry: NewInquiry, actor: String },
    /// A change to an inquiry, saved only if its version is still the one read.
    Save {
        inquiry: Box<Inquiry>,
        change: InquiryChange,
    },
}

/// How webhook intake hands its items to [`Store::commit_intake`](crate::Store::commit_intake).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntakeGrouping {
    /// One call per delivery: the store itself writes the calls that wait for it together,
    /// in one transaction ("group commit"), as an SQLite file's batch thread does.
    ByStore,
    /// The caller gathers items into batches and commits this many batches at once.
    Batches(usize),
}

/// A delivery and its effects, committed together.
#[derive(Clone, Debug)]
pub struct IntakeItem {
    pub delivery: NewDelivery,
    pub effects: Vec<IntakeEffect>,
    /// The [schedule revision](crate::Store::schedule_revision) of the overrides, swaps and
    /// time off the effects were decided with. If the stored revision differs when the batch
    /// commits, the delivery is stored but none of its effects is applied: each is
    /// [`EffectOutcome::Rescheduled`]. `None`: the effects do not depend on them.
    pub schedule_revision: Option<i64>,
}

impl IntakeItem {
    /// The checks [`Store::commit_intake`](crate::Store::commit_intake) makes of this item before
    /// it writes anything, without a database: an item that passes is never the reason a batch
    /// is refused as [`StoreError::Invalid`]. Call it before queueing an item for a batch.
    pub fn check(&self) -> Result<(), StoreError> {
        CheckedItem::new(self.clone()).map(|_| ())
    }
}

/// The effects of a delivery that is already stored, decided again after some of them were found
/// stale (the inquiry changed between the decision and the commit). Committed by
/// [`Store::retry_intake`](crate::Store::retry_intake) without storing the delivery a second
/// time: its effects, and the delivery's new outcome.
#[derive(Clone, Debug)]
pub struct IntakeRetry {
    /// The stored delivery the effects belong to.
    pub delivery_id: i64,
    /// What baton did with the delivery, in words, as decided again: replaces the stored one.
    pub outcome: String,
    /// When it was decided again: the instant of the `inquiry.created` events of its creates.
    pub at: DateTime<Utc>,
    pub effects: Vec<IntakeEffect>,
    /// As [`IntakeItem::schedule_revision`].
    pub schedule_revision: Option<i64>,
}

/// What became of one effect.
#[derive(Clone, Debug, PartialEq)]
pub enum EffectOutcome {
    /// `created` is false when the inquiry already existed (same external reference).
    Created {
        inquiry: Inquiry,
        created: bool,
    },
    Saved {
        inquiry: Inquiry,
    },
    /// The inquiry changed since it was read (or is gone); nothing was written for this effect.
    Stale {
        inquiry_id: i64,
    },
    /// The overrides, swaps or time off changed since the effect was decided (its item's
    /// `schedule_revision` is not the stored one); nothing was written for this effect.
    Rescheduled,
}

impl EffectOutcome {
    /// The outcomes of a step of creates, from what it made (`true`: a new inquiry).
    pub(crate) fn of_creates(made: Vec<(Inquiry, bool)>) -> impl Iterator<Item = EffectOutcome> {
        made.into_iter()
            .map(|(inquiry, created)| EffectOutcome::Created { inquiry, created })
    }

    /// The outcome of `save`, from the inquiry it stored (`None`: stale).
    pub(crate) fn of_save(save: &CheckedSave, stored: Option<Inquiry>) -> EffectOutcome {
        match stored {
            Some(inquiry) => EffectOutcome::Saved { inquiry },
            None => EffectOutcome::Stale {
                inquiry_id: save.inquiry.id,
            },
        }
    }

    /// Whether the effect was not applied because what it was decided from has changed: it
    /// should be decided again.
    pub fn is_outdated(&self) -> bool {
        matches!(
            self,
            EffectOutcome::Stale { .. } | EffectOutcome::Rescheduled
        )
    }
}

/// What became of one item.
#[derive(Clone, Debug, PartialEq)]
pub enum IntakeOutcome {
    /// Its key was seen before: nothing was written, its effects were not applied.
    Duplicate,
    /// Stored, with the outcome of each effect in order.
    Stored {
        delivery_id: i64,
        effects: Vec<EffectOutcome>,
    },
}

/// Which deliveries [`Store::list_deliveries`](crate::Store::list_deliveries) returns.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    /// Only those no team watches.
    pub unrouted_only: bool,
    pub provider: Option<String>,
    /// Newest first, at most this many (0 → 100, at most 1000).
    pub limit: u32,
}

// ---- what the backends write -------------------------------------------------------------

/// An [`IntakeItem`] checked and brought to stored precision, ready to be written.
pub(crate) struct CheckedItem {
    /// `received_at` truncated to stored precision.
    pub delivery: NewDelivery,
    /// `delivery.headers` as JSON text.
    pub headers: String,
    /// The body as the backend stores it when it compresses it itself (SQLite: lz4,
    /// `sqlite::body_codec`); `None`: the body as it came.
    pub stored_body: Option<Vec<u8>>,
    pub effects: Vec<CheckedEffect>,
    pub schedule_revision: Option<i64>,
}

// Built once per effect and read in place: the size difference costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub(crate) enum CheckedEffect {
    Create(CheckedCreate),
    Save(CheckedSave),
}

impl CheckedItem {
    fn new(item: IntakeItem) -> Result<Self, StoreError> {
        let delivery = validate::new_delivery(item.delivery)?;
        let headers = serde_json::to_string(&delivery.headers)?;
        let effects = check_effects(item.effects, delivery.received_at)?;
        Ok(CheckedItem {
            delivery,
            headers,
            stored_body: None,
            effects,
            schedule_revision: item.schedule_revision,
        })
    }
}

/// Checks effects decided at `at` (the instant of their creates' events); the first refused
/// one is [`StoreError::Invalid`] naming its index (`effect 2: …`).
fn check_effects(
    effects: Vec<IntakeEffect>,
    at: DateTime<Utc>,
) -> Result<Vec<CheckedEffect>, StoreError> {
    effects
        .into_iter()
        .enumerate()
        .map(|(j, effect)| {
            let checked = match effect {
                IntakeEffect::Create { inquiry, actor } => {
                    CheckedCreate::new(inquiry, actor, at).map(CheckedEffect::Create)
                }
                IntakeEffect::Save { inquiry, change } => {
                    CheckedSave::new(&inquiry, change).map(CheckedEffect::Save)
                }
            };
            checked.map_err(|e| in_context(&format!("effect {j}"), e))
        })
        .collect()
}

/// An [`IntakeRetry`] checked and ready to be written.
pub(crate) struct CheckedRetry {
    pub delivery_id: i64,
    pub outcome: String,
    pub effects: Vec<CheckedEffect>,
    pub schedule_revision: Option<i64>,
}

impl CheckedRetry {
    pub(crate) fn new(retry: IntakeRetry) -> Result<Self, StoreError> {
        let at = validate::stored_instant(retry.at);
        let effects = check_effects(retry.effects, at)
            .map_err(|e| in_context(&format!("retry of delivery {}", retry.delivery_id), e))?;
        Ok(CheckedRetry {
            delivery_id: retry.delivery_id,
            outcome: retry.outcome,
            effects,
            schedule_revision: retry.schedule_revision,
        })
    }

    /// Whether its effects need the stored schedule revision read (see [`revision_needed`]).
    pub(crate) fn revision_needed(&self) -> bool {
        self.schedule_revision.is_some() && !self.effects.is_empty()
    }

    /// Whether its effects apply at the stored schedule revision `current` (`None`: not read).
    pub(crate) fn applies(&self, current: Option<i64>) -> bool {
        revision_holds(self.schedule_revision, current)
    }

    /// The steps that apply its effects, in order, grouped as [`steps`] groups them; none if
    /// they were decided at another schedule revision than `current`.
    pub(crate) fn steps(&self, current: Option<i64>) -> Vec<Step<'_>> {
        if self.applies(current) {
            effect_steps(self.effects.iter())
        } else {
            Vec::new()
        }
    }

    /// The outcomes of its effects: `applied` (from its steps), or all
    /// [`EffectOutcome::Rescheduled`] if it did not apply at `current`.
    pub(crate) fn outcomes(
        &self,
        current: Option<i64>,
        applied: Vec<EffectOutcome>,
    ) -> Vec<EffectOutcome> {
        if self.applies(current) {
            applied
        } else {
            vec![EffectOutcome::Rescheduled; self.effects.len()]
        }
    }
}

/// Whether a backend must read the stored schedule revision to commit `items`: some item with
/// effects names the revision they were decided at.
pub(crate) fn revision_needed(items: &[CheckedItem]) -> bool {
    items
        .iter()
        .any(|item| item.schedule_revision.is_some() && !item.effects.is_empty())
}

/// Whether effects decided at `decided` apply at the stored revision `current` (`None`: not
/// read, which the backends do only when no item names one).
fn revision_holds(decided: Option<i64>, current: Option<i64>) -> bool {
    match (decided, current) {
        (Some(decided), Some(current)) => decided == current,
        _ => true,
    }
}

/// Checks every item of a batch; the first refused one is [`StoreError::Invalid`] naming its
/// index (`intake item 3: effect 0: inquiry title must not be empty`).
pub(crate) fn check_items(items: Vec<IntakeItem>) -> Result<Vec<CheckedItem>, StoreError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            CheckedItem::new(item).map_err(|e| in_context(&format!("intake item {i}"), e))
        })
        .collect()
}

fn in_context(context: &str, error: StoreError) -> StoreError {
    match error {
        StoreError::Invalid(why) => StoreError::Invalid(format!("{context}: {why}")),
        other => other,
    }
}

/// The id each row got from a multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING id, <key>`,
/// in row order; `None` for a row that inserted nothing because its key was already stored or
/// carried by an earlier row.
///
/// `keys` are the rows' unique keys (`None`: a row whose key is NULL, which never conflicts),
/// `returned` the `(id, key)` pairs the statement returned, in any order. A keyed row was
/// inserted if its key was returned, and then by the first row carrying it. Rows without a key
/// are always inserted; the backends insert them in row order, so that their ids, which ascend
/// in insertion order, tell which is which.
pub(crate) fn assign_ids<K: Eq + Hash>(
    keys: Vec<Option<K>>,
    returned: Vec<(i64, Option<K>)>,
) -> Result<Vec<Option<i64>>, StoreError> {
    let returned_rows = returned.len();
    let mut by_key = HashMap::with_capacity(returned.len());
    let mut keyless = Vec::new();
    for (id, key) in returned {
        match key {
            Some(key) => {
                by_key.insert(key, id);
            }
            None => keyless.push(id),
        }
    }
    keyless.sort_unstable();
    let mut keyless = keyless.into_iter();
    let mut assigned = 0;
    let ids: Vec<Option<i64>> = keys
        .into_iter()
        .map(|key| {
            let id = match key {
                // The first row with this key takes its id; later ones find none.
                Some(key) => by_key.remove(&key),
                None => keyless.next(),
            };
            assigned += usize::from(id.is_some());
            id
        })
        .collect();
    if assigned != returned_rows {
        return Err(StoreError::Database(sqlx::Error::Protocol(format!(
            "a multi-row insert returned {returned_rows} rows, of which {assigned} match what \
             was inserted"
        ))));
    }
    Ok(ids)
}

/// One step of writing a batch's effects, in order: a run of consecutive creates (written with
/// one statement), or a save.
pub(crate) enum Step<'a> {
    Creates(Vec<&'a CheckedCreate>),
    Save(&'a CheckedSave),
}

/// The steps that apply the effects of the stored items (`delivery_ids[i]` is `Some`) decided
/// at the stored schedule revision `current` (see [`IntakeItem::schedule_revision`]), in
/// order. Consecutive creates, also across items, form one step: creates change no stored
/// inquiry, so writing them together is the same as writing them one by one, and a save
/// between them still sees (and is seen by) exactly what it would one by one.
pub(crate) fn steps<'a>(
    items: &'a [CheckedItem],
    delivery_ids: &[Option<i64>],
    current: Option<i64>,
) -> Vec<Step<'a>> {
    let stored = items
        .iter()
        .zip(delivery_ids)
        .filter(|(item, id)| id.is_some() && revision_holds(item.schedule_revision, current))
        .flat_map(|(item, _)| &item.effects);
    effect_steps(stored)
}

/// `effects` as steps: each run of consecutive creates one step, each save one.
fn effect_steps<'a>(effects: impl Iterator<Item = &'a CheckedEffect>) -> Vec<Step<'a>> {
    let mut steps = Vec::new();
    let mut creates = Vec::new();
    for effect in effects {
        match effect {
            CheckedEffect::Create(create) => creates.push(create),
            CheckedEffect::Save(save) => {
                if !creates.is_empty() {
                    steps.push(Step::Creates(std::mem::take(&mut creates)));
                }
                steps.push(Step::Save(save));
            }
        }
    }
    if !creates.is_empty() {
        steps.push(Step::Creates(creates));
    }
    steps
}

/// The outcome of each item, from its delivery id and the outcomes of the effects of all
/// applied items in order (as the [`steps`] produced them at the stored schedule revision
/// `current`); the effects of a stored item decided at another revision are each
/// [`EffectOutcome::Rescheduled`].
pub(crate) fn outcomes(
    items: &[CheckedItem],
    delivery_ids: Vec<Option<i64>>,
    current: Option<i64>,
    effects: Vec<EffectOutcome>,
) -> Vec<IntakeOutcome> {
    let mut effects = effects.into_iter();
    items
        .iter()
        .zip(delivery_ids)
        .map(|(item, id)| match id {
            None => IntakeOutcome::Duplicate,
            Some(delivery_id) if revision_holds(item.schedule_revision, current) => {
                IntakeOutcome::Stored {
                    delivery_id,
                    effects: effects.by_ref().take(item.effects.len()).collect(),
                }
            }
            Some(delivery_id) => IntakeOutcome::Stored {
                delivery_id,
                effects: vec![EffectOutcome::Rescheduled; item.effects.len()],
            },
        })
        .collect()
}

/// `limit` of a [`DeliveryFilter`] as a page size: 0 → 100, at most 1000.
pub(crate) fn delivery_page(limit: u32) -> i64 {
    crate::inquiry::page_size(limit)
}

/// `keys` that are among `stored`, in the order of `keys`, each once.
pub(crate) fn in_order(keys: &[String], stored: Vec<String>) -> Vec<String> {
    let stored: HashSet<String> = stored.into_iter().collect();
    let mut seen = HashSet::new();
    keys.iter()
        .filter(|key| stored.contains(*key) && seen.insert(key.as_str()))
        .cloned()
        .collect()
}
