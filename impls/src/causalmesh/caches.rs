//! The two caches of a CausalMesh server (reference §3).

use std::collections::HashMap;
use std::sync::Arc;

use crate::clock::VectorClock;
use crate::fasthash::FastHash;
use crate::version::{Key, Register, Registers};

use super::meta::Meta;

/// The consistent cache (C-cache): one register per key, always a causal cut
/// (Definition 1). Reads are served from it. The whole key space is preloaded
/// with the initial value, as in the prototype; a key past the preloaded range
/// is preloaded on first touch, which is the same thing.
pub struct ConsistentCache {
    entries: Registers,
}

impl ConsistentCache {
    pub fn preloaded(servers: usize, keys: u64, value_size: usize) -> ConsistentCache {
        ConsistentCache {
            entries: Registers::preloaded(servers, keys, value_size),
        }
    }

    pub fn get(&self, key: Key) -> &Register {
        self.entries.get(key)
    }

    pub fn merge(&mut self, key: Key, incoming: &Register) {
        self.entries.get_mut(key).merge(incoming);
    }

    /// Whether the C-cache already reflects every version of `key` at or below `vc`.
    pub fn covers(&self, key: Key, vc: &VectorClock) -> bool {
        vc.leq(&self.get(key).vc)
    }

    pub fn metadata_bytes(&self) -> u64 {
        self.entries.metadata_bytes() as u64
    }
}

/// The inconsistent cache (I-cache): versions received but not yet known to
/// be safe to expose, each with its dependencies. A write is held by every
/// server its first lap passes, so the servers share one copy of it.
#[derive(Default)]
pub struct InconsistentCache {
    versions: HashMap<Key, Vec<Arc<Meta>>, FastHash>,
}

impl InconsistentCache {
    /// Adds a version unless the same write (key and clock) is already held:
    /// it can arrive twice, on its lap and piggybacked by its client.
    pub fn add(&mut self, meta: Arc<Meta>) {
        let held = self.versions.entry(meta.key).or_default();
        if !held.iter().any(|m| m.version.vc == meta.version.vc) {
            held.push(meta);
        }
    }

    /// Removes and returns every held version of `key` at or below `need`
    /// (§5.4: all of them, not only the exact one, so concurrent versions
    /// below a joined clock come along).
    pub fn take_at_or_below(&mut self, key: Key, need: &VectorClock) -> Vec<Arc<Meta>> {
        let Some(held) = self.versions.get_mut(&key) else {
            return Vec::new();
        };
        let taken: Vec<Arc<Meta>> = held.extract_if(.., |m| m.version.vc.leq(need)).collect();
        if held.is_empty() {
            self.versions.remove(&key);
        }
        taken
    }

    pub fn contains(&self, key: Key, vc: &VectorClock) -> bool {
        self.versions
            .get(&key)
            .is_some_and(|held| held.iter().any(|m| &m.version.vc == vc))
    }

    pub fn metadata_bytes(&self) -> u64 {
        self.versions
            .values()
            .flatten()
            .map(|m| m.metadata_bytes() as u64)
            .sum()
    }
}
