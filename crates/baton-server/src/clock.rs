//! Where "now" comes from: the system clock, or a hand-set one for tests and history imports.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// The server's source of the current instant.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stands at `at` until it is set or advanced.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self {
            manual: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(m) => *m.lock().unwrap_or_else(|e| e.into_inner()),
            None => Utc::now(),
        }
    }

    /// Moves a manual clock to `at` (no effect on the system clock).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(m) = &self.manual {
            *m.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }

    /// Moves a manual clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }
}
