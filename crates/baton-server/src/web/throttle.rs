//! Sign-in rate limits: failed attempts counted per email and per client address, and a cap on
//! concurrent password checks.
//!
//! The counts live in memory, per server process: a restart forgets them, and several baton
//! processes behind one address each count on their own. That is acceptable for the purpose —
//! slowing password guessing to a handful of tries per quarter hour — and keeps sign-in free of
//! database writes an attacker could use to load the store.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Semaphore;

/// Failed attempts allowed per email within [`WINDOW`].
pub const PER_EMAIL: usize = 5;
/// Failed attempts allowed per client address within [`WINDOW`] (higher than per email: an
/// office behind one address has many people).
pub const PER_ADDRESS: usize = 20;
/// The window failures are counted over.
pub const WINDOW: Duration = Duration::minutes(15);
/// The most keys one counter keeps; beyond it, keys without recent failures are dropped first.
const MAX_KEYS: usize = 100_000;

/// Failed attempts per key within a sliding window.
#[derive(Debug)]
pub struct Throttle {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl Throttle {
    /// At most `limit` failures per key within `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// When `key` may try again, if it has used up its failures at `now`.
    pub fn blocked_until(&self, key: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let times = failures.get_mut(key)?;
        self.forget_old(times, now);
        if times.len() >= self.limit {
            times.front().map(|oldest| *oldest + self.window)
        } else {
            None
        }
    }

    /// Counts a failure of `key` at `now`.
    pub fn fail(&self, key: &str, now: DateTime<Utc>) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_KEYS && !failures.contains_key(key) {
            let cutoff = now - self.window;
            failures.retain(|_, times| times.back().is_some_and(|t| *t > cutoff));
            if failures.len() >= MAX_KEYS {
                tracing::warn!("sign-in throttle is full; not counting a new key");
                return;
            }
        }
        let times = failures.entry(key.to_owned()).or_default();
        self.forget_old(times, now);
        times.push_back(now);
        while times.len() > self.limit {
            times.pop_front();
        }
    }

    /// Forgets `key`'s failures (after a successful sign-in).
    pub fn clear(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    fn forget_old(&self, times: &mut VecDeque<DateTime<Utc>>, now: DateTime<Utc>) {
        while times.front().is_some_and(|t| *t <= now - self.window) {
            times.pop_front();
        }
    }
}

/// The sign-in limits of one server.
#[derive(Debug)]
pub struct SignInLimits {
    /// Failures per lower-cased email.
    pub by_email: Throttle,
    /// Failures per client IP address.
    pub by_address: Throttle,
    /// Password checks running at once: each takes ~19 MiB and a core for tens of
    /// milliseconds, so a flood of sign-ins waits here instead of exhausting the machine.
    pub hashing: Semaphore,
}

impl SignInLimits {
    /// Until when password checks for the account `email_key` from `address` are refused,
    /// if they are (by the later of the two limits).
    pub fn blocked_until(
        &self,
        email_key: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        [
            self.by_email.blocked_until(email_key, now),
            self.by_address.blocked_until(address, now),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// Counts a wrong password for the account `email_key` from `address`.
    pub fn fail(&self, email_key: &str, address: &str, now: DateTime<Utc>) {
        self.by_email.fail(email_key, now);
        self.by_address.fail(address, now);
    }

    /// What a refused attempt is told: how many whole minutes to wait (at least one).
    pub fn wait_message(until: DateTime<Utc>, now: DateTime<Utc>) -> String {
        let minutes = ((until - now).num_seconds() + 59).div_euclid(60).max(1);
        format!(
            "Too many failed sign-in attempts. Wait {minutes} minute{} and try again",
            if minutes == 1 { "" } else { "s" }
        )
    }
}

impl Default for SignInLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            by_email: Throttle::new(PER_EMAIL, WINDOW),
            by_address: Throttle::new(PER_ADDRESS, WINDOW),
            hashing: Semaphore::new(cores),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::minutes(minute)
    }

    #[test]
    fn blocks_after_the_limit_within_the_window() {
        let throttle = Throttle::new(3, Duration::minutes(15));
        for minute in 0..3 {
            assert_eq!(throttle.blocked_until("a", at(minute)), None);
            throttle.fail("a", at(minute));
        }
        assert_eq!(throttle.blocked_until("a", at(3)), Some(at(15)));
        assert_eq!(throttle.blocked_until("b", at(3)), None);
        // The oldest failure leaves the window at minute 15.
        assert_eq!(throttle.blocked_until("a", at(15)), None);
        throttle.fail("a", at(15));
        assert_eq!(throttle.blocked_until("a", at(15)), Some(at(16)));
        throttle.clear("a");
        assert_eq!(throttle.blocked_until("a", at(15)), None);
    }
}
