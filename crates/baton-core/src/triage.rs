//! The triage loop: who gets an inquiry when it arrives, which actions are allowed in which
//! state, and the SLA clock counted in the responsible member's working time.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::calendar::WorkingCalendar;
use crate::civil::local_date;
use crate::duration::Minutes;
use crate::inquiry::{Inquiry, NewInquiry, NewTimeEntry, Pause, State};
use crate::rubric::{Facts, Rubric};
use crate::schedule::Schedule;
use crate::sla::{Priority, Sla};

/// Until someone sets a priority (or the rubric suggests one), deadlines use this one.
pub const DEFAULT_PRIORITY: Priority = Priority::Medium;

/// Most minutes one time entry may log.
pub const MAX_ENTRY_MINUTES: i64 = 24 * 60;

/// What triage needs to know about one source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourcePolicy {
    pub name: String,
    pub first_response: Sla,
    pub resolution: Sla,
    pub daily_check: bool,
}

/// A clear owner: inquiries about `area` (or from `source`) go to `member` until `until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerRule {
    pub area: Option<String>,
    pub source: Option<String>,
    pub member: String,
    /// The last day the rule applies (in the team's time zone), inclusive.
    pub until: Option<NaiveDate>,
}

/// Everything triage needs to know about one team.
#[derive(Clone, Debug)]
pub struct Policy {
    pub team: String,
    pub tz: chrono_tz::Tz,
    pub schedule: Schedule,
    /// Each member's working calendar, with their time off taken out.
    pub calendars: HashMap<String, WorkingCalendar>,
    pub areas: Vec<String>,
    pub sources: Vec<SourcePolicy>,
    pub owners: Vec<OwnerRule>,
    pub rubric: Rubric,
    pub escalate_after: Minutes,
}

/// An inquiry as it arrives, before anyone is responsible for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Arrival {
    pub source: String,
    pub external_ref: Option<String>,
    pub link: Option<String>,
    pub title: String,
    pub body: String,
    pub reporter: Option<String>,
    pub labels: Vec<String>,
    pub severity: Option<String>,
    pub received_at: DateTime<Utc>,
    pub area: Option<String>,
    pub priority: Option<Priority>,
}

/// Something a person does to an inquiry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// "I have seen it": the first response.
    Acknowledge,
    /// Work starts (or resumes after waiting on the reporter).
    Start,
    /// Waiting on the reporter: the SLA clock stops.
    Wait,
    Resolve,
    Reopen,
    /// A GitHub issue now carries the work; with an assignee, it is handed over to them.
    Escalate {
        issue_url: String,
        assignee: Option<String>,
    },
    /// A clear owner carries it.
    Route {
        member: String,
    },
    Reassign {
        member: String,
    },
    SetPriority {
        priority: Option<Priority>,
    },
    SetArea {
        area: Option<String>,
    },
    LogTime {
        minutes: i64,
        note: Option<String>,
        /// Who did the work (default: the responsible member).
        member: Option<String>,
    },
    /// A reply to the reporter was seen (e.g. in the Slack thread): the first response.
    Respond,
    /// Someone marked it as work for a GitHub issue (e.g. a :ticket: reaction).
    FlagForIssue,
}

impl Action {
    /// The event kind recorded for this action.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Acknowledge => "inquiry.acknowledged",
            Self::Start => "inquiry.started",
            Self::Wait => "inquiry.waiting",
            Self::Resolve => "inquiry.resolved",
            Self::Reopen => "inquiry.reopened",
            Self::Escalate { .. } => "inquiry.escalated",
            Self::Route { .. } => "inquiry.routed",
            Self::Reassign { .. } => "inquiry.reassigned",
            Self::SetPriority { .. } => "inquiry.priority_set",
            Self::SetArea { .. } => "inquiry.area_set",
            Self::LogTime { .. } => "inquiry.time_logged",
            Self::Respond => "inquiry.responded",
            Self::FlagForIssue => "inquiry.flagged_for_issue",
        }
    }

    /// What doing it is called, for messages: "cannot acknowledge an inquiry that is …".
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Start => "start",
            Self::Wait => "wait on the reporter of",
            Self::Resolve => "resolve",
            Self::Reopen => "reopen",
            Self::Escalate { .. } => "escalate",
            Self::Route { .. } => "route",
            Self::Reassign { .. } => "reassign",
            Self::SetPriority { .. } => "set the priority of",
            Self::SetArea { .. } => "set the area of",
            Self::LogTime { .. } => "log time on",
            Self::Respond => "respond to",
            Self::FlagForIssue => "flag for an issue",
        }
    }

    /// What happened, in the past tense: "acknowledged", "time_logged".
    pub fn done(&self) -> &'static str {
        self.kind().trim_start_matches("inquiry.")
    }

    /// Whether doing this answers the reporter (counts as the first response).
    fn responds(&self) -> bool {
        matches!(
            self,
            Self::Acknowledge
                | Self::Start
                | Self::Wait
                | Self::Resolve
                | Self::Escalate { .. }
                | Self::Respond
        )
    }
}

/// Why an arrival or an action was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TriageError {
    #[error("cannot {action} an inquiry that is {state}{hint}")]
    IllegalTransition {
        action: &'static str,
        state: State,
        hint: &'static str,
    },
    #[error("{0:?} is not a member of team {1}")]
    UnknownMember(String, String),
    #[error("{0:?} is not an area of team {1}; areas: {2}")]
    UnknownArea(String, String, String),
    #[error("{0:?} is not a source of team {1}")]
    UnknownSource(String, String),
    #[error("nobody is on duty for team {0} at {1}")]
    NobodyOnDuty(String, DateTime<Utc>),
    #[error("{0}")]
    Invalid(String),
}

/// The outcome of an action: the changed inquiry, the event kind, and any work to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub inquiry: Inquiry,
    pub kind: &'static str,
    pub time_entry: Option<NewTimeEntry>,
}

impl Policy {
    /// The source called `name`, if configured.
    pub fn source(&self, name: &str) -> Option<&SourcePolicy> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// Turns an arrival into a new inquiry: a clear owner if a rule names one (state `routed`),
    /// otherwise whoever is on duty at the arrival instant; the rubric's suggestion; deadlines.
    pub fn arrive(&self, a: Arrival) -> Result<NewInquiry, TriageError> {
        if a.title.trim().is_empty() {
            return Err(TriageError::Invalid("an inquiry needs a title".into()));
        }
        if let Some(area) = &a.area {
            self.check_area(area)?;
        }
        let suggestion = self.rubric.suggest(&Facts {
            source: &a.source,
            labels: &a.labels,
            title: &a.title,
            body: &a.body,
            severity: a.severity.as_deref(),
        });
        let (assignee, state) = match self.owner_for(a.area.as_deref(), &a.source, a.received_at) {
            Some(owner) => (owner.to_owned(), State::Routed),
            None => (self.on_duty(a.received_at)?, State::New),
        };
        let mut inquiry = Inquiry {
            id: 0,
            team: self.team.clone(),
            source: a.source,
            external_ref: a.external_ref,
            link: a.link,
            title: a.title,
            body: a.body,
            reporter: a.reporter,
            labels: a.labels,
            severity: a.severity,
            received_at: a.received_at,
            area: a.area,
            priority: a.priority,
            suggested_priority: suggestion.as_ref().map(|s| s.priority),
            suggestion_reason: suggestion.map(|s| s.reason),
            state,
            assignee,
            first_response_at: None,
            first_response_due: None,
            resolution_due: None,
            resolved_at: None,
            pauses: Vec::new(),
            issue_url: None,
            logged_minutes: 0,
            should_escalate: false,
            next_due: None,
            updated_at: a.received_at,
            version: 0,
        };
        self.recompute_deadlines(&mut inquiry);
        Ok(NewInquiry {
            team: inquiry.team,
            source: inquiry.source,
            external_ref: inquiry.external_ref,
            link: inquiry.link,
            title: inquiry.title,
            body: inquiry.body,
            reporter: inquiry.reporter,
            labels: inquiry.labels,
            severity: inquiry.severity,
            received_at: inquiry.received_at,
            area: inquiry.area,
            priority: inquiry.priority,
            suggested_priority: inquiry.suggested_priority,
            suggestion_reason: inquiry.suggestion_reason,
            state: inquiry.state,
            assignee: inquiry.assignee,
            first_response_due: inquiry.first_response_due,
            resolution_due: inquiry.resolution_due,
            next_due: inquiry.next_due,
        })
    }

    /// A repeat firing of the alert behind `inquiry`, now with `severity`: when the severity
    /// changed, the inquiry takes it and the rubric's suggestion is made again (a priority a
    /// person set stays; deadlines follow a changed suggestion when nobody set one). `None` when
    /// nothing changes.
    pub fn refire(&self, inquiry: &Inquiry, severity: Option<&str>) -> Option<Applied> {
        let same = match (inquiry.severity.as_deref(), severity) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            // A repeat that no longer says its severity keeps the one it had.
            (Some(_), None) => true,
            (None, Some(_)) => false,
        };
        if same {
            return None;
        }
        let mut inq = inquiry.clone();
        inq.severity = severity.map(str::to_owned);
        let suggestion = self.rubric.suggest(&Facts {
            source: &inq.source,
            labels: &inq.labels,
            title: &inq.title,
            body: &inq.body,
            severity: inq.severity.as_deref(),
        });
        inq.suggested_priority = suggestion.as_ref().map(|s| s.priority);
        inq.suggestion_reason = suggestion.map(|s| s.reason);
        self.recompute_deadlines(&mut inq);
        Some(Applied {
            inquiry: inq,
            kind: "inquiry.alert_updated",
            time_entry: None,
        })
    }

    /// The member on duty at `t` (overrides and swaps included).
    pub fn on_duty(&self, t: DateTime<Utc>) -> Result<String, TriageError> {
        self.schedule
            .at(t)
            .map(|s| s.member)
            .ok_or_else(|| TriageError::NobodyOnDuty(self.team.clone(), t))
    }

    /// The owner a rule names for this area or source at `t`, if any.
    pub fn owner_for(&self, area: Option<&str>, source: &str, t: DateTime<Utc>) -> Option<&str> {
        let today = local_date(self.tz, t);
        self.owners
            .iter()
            .filter(|r| r.until.is_none_or(|u| today <= u))
            .find(|r| {
                let area_ok = r.area.as_deref().is_none_or(|a| area == Some(a));
                let source_ok = r.source.as_deref().is_none_or(|s| s == source);
                (r.area.is_some() || r.source.is_some()) && area_ok && source_ok
            })
            .map(|r| r.member.as_str())
    }

    /// Applies `action` by `actor` at `now`, or explains why it is not allowed.
    pub fn apply(
        &self,
        current: &Inquiry,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<Applied, TriageError> {
        use State::*;
        let mut inq = current.clone();
        let state = inq.state;
        let refuse = |hint: &'static str| TriageError::IllegalTransition {
            action: action.verb(),
            state,
            hint,
        };
        let mut time_entry = None;
        match &action {
            Action::Acknowledge => {
                if !matches!(state, New | Routed) {
                    return Err(refuse(match state {
                        Resolved | Escalated => "; reopen it first",
                        _ => "; it was acknowledged already",
                    }));
                }
                inq.state = Acknowledged;
            }
            Action::Start => {
                if !matches!(state, New | Acknowledged | Routed | Waiting) {
                    return Err(refuse(closed_hint(state)));
                }
                close_pause(&mut inq, now);
                inq.state = InProgress;
            }
            Action::Wait => {
                if !matches!(state, New | Acknowledged | InProgress | Routed) {
                    return Err(refuse(closed_hint(state)));
                }
                inq.pauses.push(Pause {
                    start: now,
                    end: None,
                });
                inq.state = Waiting;
            }
            Action::Resolve => {
                if !state.is_open() {
                    return Err(refuse(closed_hint(state)));
                }
                close_pause(&mut inq, now);
                inq.state = Resolved;
                inq.resolved_at = Some(now);
            }
            Action::Reopen => {
                if state.is_open() {
                    return Err(refuse("; it is still open"));
                }
                inq.state = Acknowledged;
                inq.resolved_at = None;
            }
            Action::Escalate {
                issue_url,
                assignee,
            } => {
                if !state.is_open() {
                    return Err(refuse(closed_hint(state)));
                }
                if !(issue_url.starts_with("https://") || issue_url.starts_with("http://")) {
                    return Err(TriageError::Invalid(format!(
                        "the issue URL {issue_url:?} must be an http(s) link to the GitHub issue"
                    )));
                }
                if let Some(member) = assignee {
                    self.check_member(member)?;
                    inq.assignee = member.clone();
                }
                close_pause(&mut inq, now);
                inq.state = Escalated;
                inq.issue_url = Some(issue_url.clone());
                inq.should_escalate = false;
            }
            Action::Route { member } => {
                if !state.is_open() {
                    return Err(refuse(closed_hint(state)));
                }
                self.check_member(member)?;
                close_pause(&mut inq, now);
                inq.assignee = member.clone();
                inq.state = Routed;
            }
            Action::Reassign { member } => {
                if !state.is_open() {
                    return Err(refuse(closed_hint(state)));
                }
                self.check_member(member)?;
                inq.assignee = member.clone();
            }
            Action::SetPriority { priority } => inq.priority = *priority,
            Action::SetArea { area } => {
                if let Some(a) = area {
                    self.check_area(a)?;
                }
                inq.area = area.clone();
            }
            Action::LogTime {
                minutes,
                note,
                member,
            } => {
                if !(1..=MAX_ENTRY_MINUTES).contains(minutes) {
                    return Err(TriageError::Invalid(format!(
                        "log between 1 and {MAX_ENTRY_MINUTES} minutes at a time, not {minutes}"
                    )));
                }
                let member = member.clone().unwrap_or_else(|| inq.assignee.clone());
                self.check_member(&member)?;
                inq.logged_minutes += minutes;
                time_entry = Some(NewTimeEntry {
                    inquiry_id: inq.id,
                    member,
                    minutes: *minutes,
                    note: note.clone(),
                    at: now,
                });
            }
            Action::Respond | Action::FlagForIssue => {}
        }
        if action.responds() && inq.first_response_at.is_none() {
            inq.first_response_at = Some(now.max(inq.received_at));
        }
        inq.should_escalate =
            inq.state != Escalated && inq.logged_minutes >= i64::from(self.escalate_after.get());
        inq.updated_at = now;
        self.recompute_deadlines(&mut inq);
        Ok(Applied {
            inquiry: inq,
            kind: action.kind(),
            time_entry,
        })
    }

    /// Sets the deadlines still running from the SLA targets of the inquiry's source and
    /// priority, counted in the responsible member's working time with waits taken out.
    /// Deadlines already met or missed stay as they were, so the record shows what was promised.
    pub fn recompute_deadlines(&self, inq: &mut Inquiry) {
        let source = self.source(&inq.source);
        let priority = inq
            .priority
            .or(inq.suggested_priority)
            .unwrap_or(DEFAULT_PRIORITY);
        let calendar = self.calendars.get(&inq.assignee);
        let due = |sla: Option<&Sla>| -> Option<DateTime<Utc>> {
            let target = sla?.target(priority)?;
            let calendar = calendar?;
            let day = calendar.hours().day_length();
            if inq.pauses.is_empty() {
                // Most inquiries: the member's calendar as it is, without a copy.
                return calendar.add_working(inq.received_at, target.to_duration(day));
            }
            let paused = calendar.clone().with_time_off(
                inq.pauses
                    .iter()
                    .map(|p| (p.start, p.end.unwrap_or(DateTime::<Utc>::MAX_UTC))),
            );
            paused.add_working(inq.received_at, target.to_duration(day))
        };
        if inq.first_response_at.is_none() {
            inq.first_response_due = due(source.map(|s| &s.first_response));
        }
        let closed = matches!(inq.state, State::Resolved | State::Escalated);
        if !closed {
            inq.resolution_due = due(source.map(|s| &s.resolution));
        }
        inq.next_due = if closed || inq.state == State::Waiting {
            None
        } else {
            let first = inq
                .first_response_due
                .filter(|_| inq.first_response_at.is_none());
            [first, inq.resolution_due].into_iter().flatten().min()
        };
    }

    fn check_member(&self, member: &str) -> Result<(), TriageError> {
        if self.calendars.contains_key(member) {
            Ok(())
        } else {
            Err(TriageError::UnknownMember(member.into(), self.team.clone()))
        }
    }

    fn check_area(&self, area: &str) -> Result<(), TriageError> {
        if self.areas.iter().any(|a| a == area) {
            Ok(())
        } else {
            Err(TriageError::UnknownArea(
                area.into(),
                self.team.clone(),
                self.areas.join(", "),
            ))
        }
    }
}

fn closed_hint(state: State) -> &'static str {
    match state {
        State::Resolved | State::Escalated => "; reopen it first",
        _ => "",
    }
}

fn close_pause(inq: &mut Inquiry, now: DateTime<Utc>) {
    if let Some(p) = inq.pauses.last_mut().filter(|p| p.end.is_none()) {
        p.end = Some(now.max(p.start));
    }
}

/// How an inquiry stands against its first-response target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// No target applies.
    None,
    /// Responded in time.
    Met,
    /// Responded, late.
    Missed,
    /// Still running, due in the future.
    Running,
    /// No response yet and the deadline has passed.
    Breached,
    /// Waiting on the reporter.
    Paused,
}

/// The first-response status of `inq` at `now`.
pub fn first_response_status(inq: &Inquiry, now: DateTime<Utc>) -> SlaStatus {
    match (inq.first_response_at, inq.first_response_due) {
        (Some(at), Some(due)) => {
            if at <= due {
                SlaStatus::Met
            } else {
                SlaStatus::Missed
            }
        }
        (Some(_), None) => SlaStatus::None,
        (None, _) if inq.state == State::Waiting => SlaStatus::Paused,
        (None, Some(due)) if now > due => SlaStatus::Breached,
        (None, Some(_)) => SlaStatus::Running,
        (None, None) => SlaStatus::None,
    }
}

/// Working time left until `due` for `member` at `now` (negative once breached).
pub fn working_time_left(
    calendars: &HashMap<String, WorkingCalendar>,
    member: &str,
    now: DateTime<Utc>,
    due: DateTime<Utc>,
) -> Option<Duration> {
    let calendar = calendars.get(member)?;
    Some(if due >= now {
        calendar.working_between(now, due)
    } else {
        -calendar.working_between(due, now)
    })
}
