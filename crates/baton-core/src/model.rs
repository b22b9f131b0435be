//! Records that people create while a rotation runs: overrides, swaps and time off.
//!
//! They live in the database (the config only describes the rotation); the schedule engine reads
//! them to decide who is on duty.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Another member covers `[start, end)` of a team's rotation, possibly part of one shift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Override {
    pub id: i64,
    pub team: String,
    pub member: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// An override before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOverride {
    pub team: String,
    pub member: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_by: String,
}

/// Two members exchange shifts: the shift starting at `first` and the one starting at `second`
/// (both hand-off instants of the team's rotation) trade their members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Swap {
    pub id: i64,
    pub team: String,
    pub first: DateTime<Utc>,
    pub second: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A swap before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSwap {
    pub team: String,
    pub first: DateTime<Utc>,
    pub second: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_by: String,
}

/// A member is away for `[start, end)`. A member id names one person across the organisation, so
/// time off applies to every team the member belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimeOff {
    pub id: i64,
    pub member: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// Time off before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTimeOff {
    pub member: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_by: String,
}
