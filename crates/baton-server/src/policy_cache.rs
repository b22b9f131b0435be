//! Teams' triage policies held in memory for webhook intake, so that a delivery is decided
//! without reading the schedule records (overrides, swaps, time off) again.
//!
//! Each policy is kept with the store's schedule revision read before its records. A decision
//! names that revision in its intake item; the store applies the item's effects only if the
//! revision is still current when the batch commits (another process may have changed the
//! schedule), and otherwise reports them `Rescheduled`, whereupon intake forgets these
//! policies and decides again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use baton_core::triage::Policy;

#[derive(Default)]
struct Held {
    /// The revision every held policy was read at.
    revision: i64,
    policies: HashMap<String, Arc<Policy>>,
}

/// The cache, shared by clones of the service.
#[derive(Clone, Default)]
pub struct PolicyCache {
    held: Arc<Mutex<Held>>,
}

impl PolicyCache {
    /// The policy of team `slug` and the revision it was read at, if held.
    pub fn get(&self, slug: &str) -> Option<(Arc<Policy>, i64)> {
        let held = self.lock();
        held.policies
            .get(slug)
            .map(|policy| (Arc::clone(policy), held.revision))
    }

    /// Holds `policy` of team `slug`, read at `revision`. Policies read at an older revision
    /// are dropped; one older than those held is not kept.
    pub fn put(&self, slug: &str, policy: Arc<Policy>, revision: i64) {
        let mut held = self.lock();
        if revision > held.revision {
            held.policies.clear();
            held.revision = revision;
        }
        if revision == held.revision {
            held.policies.insert(slug.to_owned(), policy);
        }
    }

    /// Drops every held policy (the schedule changed).
    pub fn forget(&self) {
        self.lock().policies.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // A panic while holding the lock leaves a consistent map: keep using it.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(team: &str) -> Arc<Policy> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/integrations.toml"
        );
        let config = baton_config::load(std::path::Path::new(path)).expect("the example config");
        let mut policy = config.teams[0].policy(&[], &[], &[]);
        policy.team = team.to_owned();
        Arc::new(policy)
    }

    #[test]
    fn newer_revisions_replace_older_policies() {
        let cache = PolicyCache::default();
        cache.put("a", policy("a"), 3);
        cache.put("b", policy("b"), 3);
        assert_eq!(
            cache.get("a").map(|(p, r)| (p.team.clone(), r)),
            Some(("a".into(), 3))
        );
        // A policy read at a newer revision drops those read before it.
        cache.put("b", policy("b"), 4);
        assert!(cache.get("a").is_none());
        assert_eq!(cache.get("b").map(|(_, r)| r), Some(4));
        // One read at an older revision (a slow reader) is not kept.
        cache.put("a", policy("a"), 3);
        assert!(cache.get("a").is_none());
        cache.forget();
        assert!(cache.get("b").is_none());
    }
}
