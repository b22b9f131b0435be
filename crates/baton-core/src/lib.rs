//! baton's pure domain: who is on duty when, and how much working time lies between two instants.
//!
//! Architecture invariant: this crate does no I/O and knows nothing of HTTP, SQL or JSON wire
//! formats. Every instant is a UTC [`chrono::DateTime`]; civil time is computed from a real
//! time-zone database (`chrono-tz`).

pub mod access;
pub mod calendar;
pub mod civil;
pub mod duration;
pub mod duty;
pub mod ics;
pub mod inquiry;
pub mod model;
pub mod rotation;
pub mod rubric;
pub mod schedule;
pub mod sla;
pub mod triage;
pub mod working_hours;
