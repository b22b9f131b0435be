//! Priorities and the service-level targets attached to them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::duration::WorkDuration;

/// How urgent an inquiry is, as on the team's board: 🚨 Critical, 🔴 High, 🟡 Medium, 🟢 Low.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Critical,
    High,
    Medium,
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [Self::Critical, Self::High, Self::Medium, Self::Low];

    /// The lowercase name used in configs and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a priority.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown priority {0:?}: expected critical, high, medium or low")]
pub struct UnknownPriority(pub String);

impl FromStr for Priority {
    type Err = UnknownPriority;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPriority(s.to_owned()))
    }
}

/// First-response targets per priority, in the responsible member's working time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sla {
    targets: [Option<WorkDuration>; 4],
}

impl Sla {
    /// The target for `priority`, if the source sets one.
    pub fn target(&self, priority: Priority) -> Option<WorkDuration> {
        self.targets[priority as usize]
    }

    /// Sets the target for `priority`.
    pub fn set(&mut self, priority: Priority, target: WorkDuration) {
        self.targets[priority as usize] = Some(target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_parse_and_keep_their_targets() {
        assert_eq!("High".parse::<Priority>(), Ok(Priority::High));
        assert!("urgent".parse::<Priority>().is_err());
        let mut sla = Sla::default();
        sla.set(Priority::Low, "3d".parse().unwrap());
        assert_eq!(sla.target(Priority::Low), Some("3d".parse().unwrap()));
        assert_eq!(sla.target(Priority::Critical), None);
    }
}
