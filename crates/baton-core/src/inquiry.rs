//! Inquiries: one thing someone asked of a team, with one responsible person at every moment.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::sla::Priority;

/// Where an inquiry is in its life.
///
/// `new → acknowledged → in_progress ⇄ waiting → resolved`, plus `escalated` (a GitHub issue now
/// carries the work) and `routed` (a named owner carries it). Resolved and escalated inquiries can
/// be reopened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    New,
    Acknowledged,
    InProgress,
    Waiting,
    Resolved,
    Escalated,
    Routed,
}

impl State {
    /// Every state, in lifecycle order.
    pub const ALL: [State; 7] = [
        Self::New,
        Self::Acknowledged,
        Self::InProgress,
        Self::Waiting,
        Self::Resolved,
        Self::Escalated,
        Self::Routed,
    ];

    /// The states in which an inquiry is still the team's to handle (it sits in the queue).
    pub const OPEN: [State; 5] = [
        Self::New,
        Self::Acknowledged,
        Self::InProgress,
        Self::Waiting,
        Self::Routed,
    ];

    /// The snake_case name used in APIs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Acknowledged => "acknowledged",
            Self::InProgress => "in_progress",
            Self::Waiting => "waiting",
            Self::Resolved => "resolved",
            Self::Escalated => "escalated",
            Self::Routed => "routed",
        }
    }

    /// Whether the inquiry is still in the team's queue.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown state {0:?}: expected new, acknowledged, in_progress, waiting, resolved, escalated or routed")]
pub struct UnknownState(pub String);

impl FromStr for State {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// A stretch of time during which the inquiry waited on its reporter; its SLA clock stood still.
/// `end` is `None` while it is still waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// An inquiry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inquiry {
    pub id: i64,
    pub team: String,
    /// The source's name as configured (`#integrations`, `team/integrations`, `api`, …).
    pub source: String,
    /// The source system's own id (Slack message ts, GitHub issue URL, alert fingerprint), unique
    /// per team and source; a second arrival with the same reference is the same inquiry.
    pub external_ref: Option<String>,
    /// Where to read it: the Slack permalink, the GitHub URL.
    pub link: Option<String>,
    pub title: String,
    pub body: String,
    pub reporter: Option<String>,
    /// Labels carried from the source (GitHub labels, alert labels), used by the rubric.
    pub labels: Vec<String>,
    /// Alert severity as sent, used by the rubric.
    pub severity: Option<String>,
    pub received_at: DateTime<Utc>,
    pub area: Option<String>,
    pub priority: Option<Priority>,
    /// What the rubric suggests, and why; a human confirms by setting `priority`.
    pub suggested_priority: Option<Priority>,
    pub suggestion_reason: Option<String>,
    pub state: State,
    /// The one member responsible right now.
    pub assignee: String,
    pub first_response_at: Option<DateTime<Utc>>,
    /// When the first response is due, in the assignee's working time; `None` without a target
    /// or while the clock is paused.
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The waits on the reporter, oldest first.
    pub pauses: Vec<Pause>,
    /// The GitHub issue that carries the work once escalated.
    pub issue_url: Option<String>,
    /// Total minutes logged on it.
    pub logged_minutes: i64,
    /// Set when logged time crossed the team's `escalate_after` while not escalated.
    pub should_escalate: bool,
    /// The nearest deadline still running: the queue's sort key.
    pub next_due: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Increases with every change; updates name the version they started from.
    pub version: i64,
}

/// An inquiry before it is stored (as built by [`crate::triage::arrive`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInquiry {
    pub team: String,
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
    pub suggested_priority: Option<Priority>,
    pub suggestion_reason: Option<String>,
    pub state: State,
    pub assignee: String,
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
    pub next_due: Option<DateTime<Utc>>,
}

/// Minutes of work logged on an inquiry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimeEntry {
    pub id: i64,
    pub inquiry_id: i64,
    pub team: String,
    pub member: String,
    pub minutes: i64,
    pub note: Option<String>,
    /// When the work was logged (it counts against the shift running then).
    pub at: DateTime<Utc>,
}

/// A time entry before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTimeEntry {
    pub inquiry_id: i64,
    pub member: String,
    pub minutes: i64,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// A status update on an inquiry, or (without an inquiry) a "thing to keep in mind" for the
/// hand-off of the shift that starts at `shift_start`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: i64,
    pub team: String,
    pub inquiry_id: Option<i64>,
    pub shift_start: Option<DateTime<Utc>>,
    pub author: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// A note before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNote {
    pub team: String,
    pub inquiry_id: Option<i64>,
    pub shift_start: Option<DateTime<Utc>>,
    pub author: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// A member looked at a source (a channel, a board) at `at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: i64,
    pub team: String,
    pub source: String,
    pub member: String,
    pub at: DateTime<Utc>,
}

/// A check before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCheck {
    pub team: String,
    pub source: String,
    pub member: String,
    pub at: DateTime<Utc>,
}
