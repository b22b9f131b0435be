//! The operations behind the API and the CLI: load a team's policy, apply the domain, store the
//! result with its event. HTTP handlers and CLI commands are thin wrappers around these.

use std::sync::Arc;

use baton_config::{Config, Team};
use baton_core::duty::{budget, Budget, Checklist};
use baton_core::inquiry::{Check, Inquiry, NewCheck, NewNote, Note, State, TimeEntry};
use baton_core::model::{Override, Swap, TimeOff};
use baton_core::schedule::Shift;
use baton_core::triage::{
    first_response_status, working_time_left, Action, Arrival, Policy, SlaStatus, TriageError,
};
use baton_store::{
    Event, InquiryChange, InquiryFilter, NoteFilter, Store, StoreError, TimeEntryFilter,
};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::clock::Clock;
use crate::policy_cache::PolicyCache;

/// Why an operation failed, in terms a caller can act on.
#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with the current state (an illegal transition, a concurrent change).
    #[error("{0}")]
    Conflict(String),
    /// The request is well-formed but its values are not acceptable.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            StoreError::Conflict(why) => Self::Conflict(why),
            StoreError::Invalid(why) => Self::Invalid(why),
            other => Self::Store(other),
        }
    }
}

impl From<TriageError> for ServiceError {
    fn from(e: TriageError) -> Self {
        match e {
            TriageError::IllegalTransition { .. } => Self::Conflict(e.to_string()),
            _ => Self::Invalid(e.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, ServiceError>;

/// An inquiry in the queue, with how its clock stands.
#[derive(Clone, Debug, Serialize)]
pub struct QueueItem {
    #[serde(flatten)]
    pub inquiry: Inquiry,
    pub first_response: SlaStatus,
    /// Working time of the responsible member until `next_due` (negative once passed).
    pub time_left_minutes: Option<i64>,
    pub age_minutes: i64,
}

/// Everything about one inquiry.
#[derive(Clone, Debug, Serialize)]
pub struct InquiryDetail {
    #[serde(flatten)]
    pub item: QueueItem,
    pub events: Vec<EventView>,
    pub time_entries: Vec<TimeEntry>,
    pub notes: Vec<Note>,
}

/// An event as shown to people and API clients.
#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    pub id: i64,
    pub actor: String,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            actor: e.actor,
            kind: e.kind,
            at: e.at,
            data: e.data,
        }
    }
}

/// Who is on duty at an instant, and who follows.
#[derive(Clone, Debug, Serialize)]
pub struct OnCall {
    pub shift: Shift,
    /// Whether that member is in working hours (and not away) at the instant.
    pub working: bool,
    pub next: Option<Shift>,
    pub next_working: bool,
}

/// What the store holds about a team's schedule: its overrides and swaps, and its members'
/// time off.
#[derive(Clone, Debug, Default)]
pub struct ScheduleRecords {
    pub overrides: Vec<Override>,
    pub swaps: Vec<Swap>,
    pub time_off: Vec<TimeOff>,
}

impl ScheduleRecords {
    /// Reads them for `team`.
    pub async fn load(store: &dyn Store, team: &Team) -> std::result::Result<Self, StoreError> {
        let members: Vec<String> = team.members.iter().map(|m| m.id.clone()).collect();
        Ok(Self {
            overrides: store.list_overrides(&team.slug, None, None).await?,
            swaps: store.list_swaps(&team.slug).await?,
            time_off: store.list_time_off(Some(&members), None, None).await?,
        })
    }

    /// The team's policy with these records applied.
    pub fn policy(&self, team: &Team) -> Policy {
        team.policy(&self.overrides, &self.swaps, &self.time_off)
    }
}

/// baton's operations over one configuration and one store.
#[derive(Clone)]
pub struct Service {
    config: Arc<Config>,
    store: Arc<dyn Store>,
    clock: Clock,
    /// Webhook intake's policies, held between deliveries.
    policies: PolicyCache,
}

impl Service {
    pub fn new(config: Arc<Config>, store: Arc<dyn Store>, clock: Clock) -> Self {
        Self {
            config,
            store,
            clock,
            policies: PolicyCache::default(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The team `slug`.
    pub fn team(&self, slug: &str) -> Result<&Team> {
        self.config
            .team(slug)
            .ok_or_else(|| ServiceError::NotFound(format!("team {slug:?} not found")))
    }

    /// The team's policy with the overrides, swaps and time off stored now.
    pub async fn policy(&self, team: &Team) -> Result<Policy> {
        let records = ScheduleRecords::load(self.store.as_ref(), team).await?;
        Ok(records.policy(team))
    }

    /// Team `slug`'s policy for webhook intake, held in memory between deliveries, with the
    /// schedule revision its records were read at (see [`crate::policy_cache`]): the revision
    /// is read before the records, so a change between the two reads makes the pair look older
    /// than it is, never newer.
    pub async fn intake_policy(&self, slug: &str) -> Result<(Arc<Policy>, i64)> {
        if let Some(held) = self.policies.get(slug) {
            return Ok(held);
        }
        let team = self.team(slug)?;
        let revision = self.store.schedule_revision().await?;
        let policy = Arc::new(self.policy(team).await?);
        self.policies.put(slug, Arc::clone(&policy), revision);
        Ok((policy, revision))
    }

    /// `changed`, a change to the schedule records just made: once it is committed, the
    /// policies held for intake are dropped, so that the next delivery reads them again rather
    /// than find its decision outdated at commit.
    fn revised<T>(&self, changed: std::result::Result<T, StoreError>) -> Result<T> {
        let changed = changed?;
        self.policies.forget();
        Ok(changed)
    }

    /// Drops the policies held for intake: the schedule changed.
    pub fn forget_intake_policies(&self) {
        self.policies.forget();
    }

    /// Creates an inquiry for team `slug`; returns it and whether it is new (an arrival with a
    /// known `external_ref` returns the existing inquiry).
    pub async fn create_inquiry(
        &self,
        slug: &str,
        arrival: Arrival,
        actor: &str,
    ) -> Result<(Inquiry, bool)> {
        let team = self.team(slug)?;
        if !team.sources.iter().any(|s| s.name == arrival.source) {
            let names: Vec<_> = team.sources.iter().map(|s| s.name.as_str()).collect();
            return Err(ServiceError::Invalid(format!(
                "{:?} is not a source of team {slug}; sources: {}",
                arrival.source,
                names.join(", ")
            )));
        }
        let policy = self.policy(team).await?;
        let new = policy.arrive(arrival)?;
        Ok(self.store.create_inquiry(new, actor, self.now()).await?)
    }

    /// Applies `action` by `actor` to inquiry `id` now, and stores it with its event.
    pub async fn act(&self, id: i64, action: Action, actor: &str) -> Result<Inquiry> {
        let current = self.store.get_inquiry(id).await?;
        let team = self.team(&current.team)?;
        let policy = self.policy(team).await?;
        let now = self.now();
        let applied = policy.apply(&current, action.clone(), now)?;
        let data = serde_json::json!({
            "action": action,
            "from": current.state,
            "to": applied.inquiry.state,
            "assignee": applied.inquiry.assignee,
        });
        let change = InquiryChange {
            kind: applied.kind.to_owned(),
            actor: actor.to_owned(),
            at: now,
            data,
            time_entry: applied.time_entry,
        };
        Ok(self.store.save_inquiry(&applied.inquiry, change).await?)
    }

    /// Adds a status update to inquiry `id`.
    pub async fn add_note(&self, id: i64, text: &str, author: &str) -> Result<Note> {
        let inquiry = self.store.get_inquiry(id).await?;
        if text.trim().is_empty() {
            return Err(ServiceError::Invalid("a note needs text".into()));
        }
        Ok(self
            .store
            .add_note(NewNote {
                team: inquiry.team,
                inquiry_id: Some(id),
                shift_start: None,
                author: author.to_owned(),
                text: text.to_owned(),
                at: self.now(),
            })
            .await?)
    }

    /// Adds a "keep in mind" note to the hand-off of the shift running now.
    pub async fn add_shift_note(&self, slug: &str, text: &str, author: &str) -> Result<Note> {
        let team = self.team(slug)?;
        let policy = self.policy(team).await?;
        let now = self.now();
        let shift = policy
            .schedule
            .at(now)
            .ok_or_else(|| ServiceError::Invalid("nobody is on duty now".into()))?;
        let start = team.rotation.handoff(shift.index).unwrap_or(shift.start);
        Ok(self
            .store
            .add_note(NewNote {
                team: team.slug.clone(),
                inquiry_id: None,
                shift_start: Some(start),
                author: author.to_owned(),
                text: text.to_owned(),
                at: now,
            })
            .await?)
    }

    /// Inquiry `id` with its trail, time entries and notes.
    pub async fn inquiry(&self, id: i64) -> Result<InquiryDetail> {
        let inquiry = self.store.get_inquiry(id).await?;
        let team = self.team(&inquiry.team)?;
        let policy = self.policy(team).await?;
        let events = self.store.list_inquiry_events(id).await?;
        let time_entries = self
            .store
            .list_time_entries(&TimeEntryFilter {
                inquiry_id: Some(id),
                ..TimeEntryFilter::default()
            })
            .await?;
        let notes = self
            .store
            .list_notes(&NoteFilter {
                inquiry_id: Some(id),
                ..NoteFilter::default()
            })
            .await?;
        Ok(InquiryDetail {
            item: self.queue_item(&policy, inquiry),
            events: events.into_iter().map(EventView::from).collect(),
            time_entries,
            notes,
        })
    }

    fn queue_item(&self, policy: &Policy, inquiry: Inquiry) -> QueueItem {
        let now = self.now();
        let time_left = inquiry
            .next_due
            .and_then(|due| working_time_left(&policy.calendars, &inquiry.assignee, now, due))
            .map(|d| d.num_minutes());
        QueueItem {
            first_response: first_response_status(&inquiry, now),
            time_left_minutes: time_left,
            age_minutes: (now - inquiry.received_at).num_minutes(),
            inquiry,
        }
    }

    /// The team's open inquiries, most urgent first.
    pub async fn queue(&self, slug: &str, limit: u32) -> Result<Vec<QueueItem>> {
        let team = self.team(slug)?;
        let policy = self.policy(team).await?;
        let open = self.store.list_queue(slug, limit).await?;
        Ok(open
            .into_iter()
            .map(|i| self.queue_item(&policy, i))
            .collect())
    }

    /// Inquiries of a team by filter (newest first).
    pub async fn inquiries(&self, filter: &InquiryFilter) -> Result<Vec<Inquiry>> {
        Ok(self.store.list_inquiries(filter).await?)
    }

    /// Who is on duty at `at`.
    pub async fn on_call(&self, slug: &str, at: DateTime<Utc>) -> Result<OnCall> {
        let team = self.team(slug)?;
        let policy = self.policy(team).await?;
        let shift = policy
            .schedule
            .at(at)
            .ok_or_else(|| ServiceError::Invalid(format!("{at} is beyond the calendar")))?;
        let next = policy.schedule.after(&shift);
        let working = |member: &str| {
            policy
                .calendars
                .get(member)
                .is_some_and(|c| c.is_working(at))
        };
        Ok(OnCall {
            working: working(&shift.member),
            next_working: next.as_ref().is_some_and(|n| working(&n.member)),
            shift,
            next,
        })
    }

    /// The team's shifts overlapping `[from, until)`.
    pub async fn schedule(
        &self,
        slug: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Shift>> {
        if until <= from {
            return Err(ServiceError::Invalid(
                "`until` must come after `from`".into(),
            ));
        }
        if until - from > Duration::days(3 * 366) {
            return Err(ServiceError::Invalid(
                "ask for at most three years of schedule at a time".into(),
            ));
        }
        let team = self.team(slug)?;
        let policy = self.policy(team).await?;
        Ok(policy.schedule.shifts(from, until))
    }

    /// Today's checklist for the member on duty, in their time zone.
    pub async fn checklist(&self, slug: &str) -> Result<Checklist> {
        let team = self.team(slug)?;
        let policy = self.policy(team).await?;
        let day = policy
            .checklist_day(self.now())
            .ok_or_else(|| ServiceError::Invalid("nobody is on duty now".into()))?;
        let checks = self.store.list_checks(slug, day.start, day.end).await?;
        Ok(policy.checklist(day, &checks))
    }

    /// The id of team `slug`'s member whose configured `email` is `email` (compared without
    /// case), if any: who a signed-in account is on that team.
    pub fn member_with_email(&self, slug: &str, email: &str) -> Result<Option<String>> {
        let key = baton_core::access::email_key(email);
        Ok(self
            .team(slug)?
            .members
            .iter()
            .find(|m| {
                m.email
                    .as_deref()
                    .is_some_and(|e| baton_core::access::email_key(e) == key)
            })
            .map(|m| m.id.clone()))
    }

    /// Records that `member` (default: the member on duty) checked `source` now.
    pub async fn record_check(
        &self,
        slug: &str,
        source: &str,
        member: Option<&str>,
    ) -> Result<Check> {
        let team = self.team(slug)?;
        if !team.sources.iter().any(|s| s.name == source) {
            let names: Vec<_> = team.sources.iter().map(|s| s.name.as_str()).collect();
            return Err(ServiceError::Invalid(format!(
                "{source:?} is not a source of team {slug}; sources: {}",
                names.join(", ")
            )));
        }
        let now = self.now();
        let member = match member {
            Some(m) if team.member(m).is_some() => m.to_owned(),
            Some(m) => {
                return Err(ServiceError::Invalid(format!(
                    "{m:?} is not a member of team {slug}"
                )))
            }
            None => self.policy(team).await?.on_duty(now)?,
        };
        Ok(self
            .store
            .record_check(NewCheck {
                team: slug.to_owned(),
                source: source.to_owned(),
                member,
                at: now,
            })
            .await?)
    }

    /// The time budget of the shift running now.
    pub async fn budget(&self, slug: &str) -> Result<Budget> {
        let team = self.team(slug)?;
        let policy = self.policy(team).await?;
        let now = self.now();
        let shift = policy
            .schedule
            .at(now)
            .ok_or_else(|| ServiceError::Invalid("nobody is on duty now".into()))?;
        let entries = self
            .store
            .list_time_entries(&TimeEntryFilter {
                team: Some(slug.to_owned()),
                member: Some(shift.member.clone()),
                from: Some(shift.start),
                until: Some(shift.end),
                ..TimeEntryFilter::default()
            })
            .await?;
        Ok(budget(&policy, &shift, team.time_budget, &entries, now))
    }

    /// Counts of inquiries per team and state.
    pub async fn counts(&self) -> Result<Vec<(String, State, i64)>> {
        Ok(self.store.count_inquiries().await?)
    }
}

// --- What the web pages need beyond the API's operations ------------------------------------

/// An open inquiry that should become a GitHub issue: its logged time passed the team's
/// threshold, or someone flagged it (e.g. with a :ticket: reaction) since it was last escalated.
#[derive(Clone, Debug, Serialize)]
pub struct IssueCandidate {
    pub item: QueueItem,
    /// Logged time has passed the team's `escalate_after`.
    pub over_threshold: bool,
    /// Who flagged it for an issue, and when (the latest flag).
    pub flagged_by: Option<(String, DateTime<Utc>)>,
}

/// A team's shifts over a period, the conflicts among them, and every stored record that
/// shapes the schedule.
#[derive(Clone, Debug)]
pub struct ScheduleView {
    pub shifts: Vec<Shift>,
    /// Shifts whose member is away during their working time, with a suggested cover.
    pub conflicts: Vec<baton_core::schedule::Conflict>,
    pub records: ScheduleRecords,
    /// Swaps that name an instant which is not a hand-off (left out of the schedule).
    pub ignored_swaps: Vec<baton_core::schedule::IgnoredSwap>,
}

impl Service {
    /// The SLA target behind `inquiry.next_due`, as working time of the responsible member:
    /// the first-response target until someone responded, else the resolution target.
    pub fn due_target(&self, inquiry: &Inquiry) -> Option<Duration> {
        let due = inquiry.next_due?;
        let team = self.config.team(&inquiry.team)?;
        let source = team.sources.iter().find(|s| s.name == inquiry.source)?;
        let priority = inquiry
            .priority
            .or(inquiry.suggested_priority)
            .unwrap_or(baton_core::triage::DEFAULT_PRIORITY);
        let first_pending =
            inquiry.first_response_at.is_none() && inquiry.first_response_due == Some(due);
        let sla = if first_pending {
            &source.sla
        } else {
            &source.resolution
        };
        let day = team.member(&inquiry.assignee)?.working_hours.day_length();
        Some(sla.target(priority)?.to_duration(day))
    }

    /// Which of the `open` inquiries should become GitHub issues.
    pub async fn issue_candidates(&self, open: &[QueueItem]) -> Result<Vec<IssueCandidate>> {
        let flag_kind = Action::FlagForIssue.kind();
        let ids: Vec<i64> = open.iter().map(|item| item.inquiry.id).collect();
        // One query for every open inquiry's flags and escalations, not one per inquiry.
        let events = self
            .store
            .list_events_of_inquiries(&ids, &[flag_kind, "inquiry.escalated"])
            .await?;
        let mut out = Vec::new();
        for item in open {
            let last_of = |kind: &str| {
                events
                    .iter()
                    .filter(|e| e.inquiry_id == Some(item.inquiry.id) && e.kind == kind)
                    .max_by_key(|e| e.id)
            };
            let flag = last_of(flag_kind);
            let escalated = last_of("inquiry.escalated");
            let flagged_by = flag
                .filter(|f| escalated.is_none_or(|e| e.id < f.id))
                .map(|f| (f.actor.clone(), f.at));
            let over_threshold = item.inquiry.should_escalate;
            if over_threshold || flagged_by.is_some() {
                out.push(IssueCandidate {
                    item: item.clone(),
                    over_threshold,
                    flagged_by,
                });
            }
        }
        Ok(out)
    }

    /// The team's shifts overlapping `[from, until)` with their conflicts, and the records
    /// behind them.
    pub async fn schedule_view(
        &self,
        slug: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<ScheduleView> {
        if until <= from {
            return Err(ServiceError::Invalid(
                "`until` must come after `from`".into(),
            ));
        }
        let team = self.team(slug)?;
        let records = ScheduleRecords::load(self.store.as_ref(), team).await?;
        let policy = records.policy(team);
        let shifts = policy.schedule.shifts(from, until);
        let calendars = team
            .members
            .iter()
            .map(|m| (m.id.clone(), m.calendar()))
            .collect();
        let conflicts = policy
            .schedule
            .conflicts(&shifts, &records.time_off, &calendars);
        Ok(ScheduleView {
            ignored_swaps: policy.schedule.ignored_swaps().to_vec(),
            shifts,
            conflicts,
            records,
        })
    }

    /// `member` covers team `slug` during `[start, end)`.
    pub async fn add_override(
        &self,
        slug: &str,
        member: &str,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        reason: Option<String>,
        actor: &str,
    ) -> Result<Override> {
        let team = self.team(slug)?;
        check_member(team, member)?;
        if end <= start {
            return Err(ServiceError::Invalid(
                "an override must end after it starts".into(),
            ));
        }
        self.revised(
            self.store
                .add_override(baton_core::model::NewOverride {
                    team: slug.to_owned(),
                    member: member.to_owned(),
                    start,
                    end,
                    reason,
                    created_by: actor.to_owned(),
                })
                .await,
        )
    }

    /// Removes override `id` of team `slug`.
    pub async fn remove_override(&self, slug: &str, id: i64, actor: &str) -> Result<Override> {
        self.team(slug)?;
        self.revised(self.store.remove_override(slug, id, actor).await)
    }

    /// The members of the shifts starting at the hand-offs `first` and `second` trade them.
    pub async fn add_swap(
        &self,
        slug: &str,
        first: DateTime<Utc>,
        second: DateTime<Utc>,
        reason: Option<String>,
        actor: &str,
    ) -> Result<Swap> {
        let team = self.team(slug)?;
        if first == second {
            return Err(ServiceError::Invalid(
                "a swap needs two different shifts".into(),
            ));
        }
        let policy = self.policy(team).await?;
        let rotation = policy.schedule.rotation();
        let index = |t: DateTime<Utc>| {
            rotation
                .index_at(t)
                .filter(|&i| rotation.handoff(i) == Some(t))
                .ok_or_else(|| {
                    ServiceError::Invalid(format!(
                        "{} is not a hand-off of team {slug}'s rotation",
                        t.to_rfc3339()
                    ))
                })
        };
        let (a, b) = (index(first)?, index(second)?);
        let (member_a, _) = policy.schedule.rostered(a);
        let (member_b, _) = policy.schedule.rostered(b);
        if member_a == member_b {
            return Err(ServiceError::Invalid(format!(
                "both shifts are {}'s; a swap needs two different members",
                team.display_name(member_a)
            )));
        }
        self.revised(
            self.store
                .add_swap(baton_core::model::NewSwap {
                    team: slug.to_owned(),
                    first,
                    second,
                    reason,
                    created_by: actor.to_owned(),
                })
                .await,
        )
    }

    /// Removes swap `id` of team `slug`.
    pub async fn remove_swap(&self, slug: &str, id: i64, actor: &str) -> Result<Swap> {
        self.team(slug)?;
        self.revised(self.store.remove_swap(slug, id, actor).await)
    }

    /// Member `member` of team `slug` is away during `[start, end)` (in every team they are on).
    pub async fn add_time_off(
        &self,
        slug: &str,
        member: &str,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        reason: Option<String>,
        actor: &str,
    ) -> Result<TimeOff> {
        let team = self.team(slug)?;
        check_member(team, member)?;
        if end <= start {
            return Err(ServiceError::Invalid(
                "time off must end after it starts".into(),
            ));
        }
        self.revised(
            self.store
                .add_time_off(baton_core::model::NewTimeOff {
                    member: member.to_owned(),
                    start,
                    end,
                    reason,
                    created_by: actor.to_owned(),
                })
                .await,
        )
    }

    /// Removes time off `id`, which must be a member of team `slug`'s.
    pub async fn remove_time_off(&self, slug: &str, id: i64, actor: &str) -> Result<TimeOff> {
        let team = self.team(slug)?;
        let members: Vec<String> = team.members.iter().map(|m| m.id.clone()).collect();
        let theirs = self.store.list_time_off(Some(&members), None, None).await?;
        if !theirs.iter().any(|o| o.id == id) {
            return Err(ServiceError::NotFound(format!(
                "time off #{id} of a member of team {slug} not found"
            )));
        }
        self.revised(self.store.remove_time_off(id, actor).await)
    }

    /// Every API token, revoked ones included.
    pub async fn tokens(&self) -> Result<Vec<baton_core::access::ApiToken>> {
        Ok(self.store.list_tokens().await?)
    }

    /// A new API token called `name` with `role`; returns it with its secret, which is stored
    /// only as a hash and must be shown now.
    pub async fn create_token(
        &self,
        name: &str,
        role: baton_core::access::Role,
        actor: &str,
    ) -> Result<(baton_core::access::ApiToken, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME {
            return Err(ServiceError::Invalid(format!(
                "a token needs a name of 1 to {MAX_TOKEN_NAME} characters"
            )));
        }
        let (secret, token_hash) = crate::auth::generate_token();
        let token = self
            .store
            .create_token(baton_core::access::NewApiToken {
                name: name.to_owned(),
                role,
                token_hash,
                created_by: actor.to_owned(),
            })
            .await?;
        Ok((token, secret))
    }

    /// Revokes API token `id`.
    pub async fn revoke_token(&self, id: i64, actor: &str) -> Result<baton_core::access::ApiToken> {
        Ok(self.store.revoke_token(id, actor).await?)
    }
}

/// The longest name a token may have.
pub const MAX_TOKEN_NAME: usize = 100;

/// Refuses a member who is not on `team`, naming those who are.
fn check_member(team: &Team, member: &str) -> Result<()> {
    if team.member(member).is_some() {
        return Ok(());
    }
    let ids: Vec<_> = team.members.iter().map(|m| m.id.as_str()).collect();
    Err(ServiceError::Invalid(format!(
        "{member:?} is not a member of team {}; members: {}",
        team.slug,
        ids.join(", ")
    )))
}
