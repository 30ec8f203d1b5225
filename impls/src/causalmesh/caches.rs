//! The two caches of a CausalMesh server (reference §3).

use std::collections::HashMap;

use crate::clock::VectorClock;
use crate::version::{Key, Register};

use super::meta::Meta;

/// The consistent cache (C-cache): one register per key, always a causal cut
/// (Definition 1). Reads are served from it. The whole key space is preloaded
/// with the initial value, as in the prototype; a key past the preloaded range
/// is preloaded on first touch, which is the same thing.
pub struct ConsistentCache {
    entries: Vec<Register>,
    initial: Register,
}

impl ConsistentCache {
    pub fn preloaded(servers: usize, keys: u64, value_size: usize) -> ConsistentCache {
        let initial = Register::initial(servers, value_size);
        ConsistentCache {
            entries: vec![initial.clone(); keys as usize],
            initial,
        }
    }

    pub fn get(&self, key: Key) -> &Register {
        self.entries.get(key as usize).unwrap_or(&self.initial)
    }

    fn entry(&mut self, key: Key) -> &mut Register {
        let i = key as usize;
        if i >= self.entries.len() {
            self.entries.resize(i + 1, self.initial.clone());
        }
        &mut self.entries[i]
    }

    pub fn merge(&mut self, key: Key, incoming: &Register) {
        self.entry(key).merge(incoming);
    }

    /// Whether the C-cache already reflects every version of `key` at or below `vc`.
    pub fn covers(&self, key: Key, vc: &VectorClock) -> bool {
        vc.leq(&self.get(key).vc)
    }

    pub fn metadata_bytes(&self) -> u64 {
        self.entries.iter().map(|r| r.metadata_bytes() as u64).sum()
    }
}

/// The inconsistent cache (I-cache): versions received but not yet known to
/// be safe to expose, each with its dependencies.
#[derive(Default)]
pub struct InconsistentCache {
    versions: HashMap<Key, Vec<Meta>>,
}

impl InconsistentCache {
    /// Adds a version unless the same write is already held.
    pub fn add(&mut self, meta: Meta) {
        let held = self.versions.entry(meta.key).or_default();
        if !held.iter().any(|m| m.same_write(&meta)) {
            held.push(meta);
        }
    }

    /// Removes and returns every held version of `key` at or below `need`
    /// (§5.4: all of them, not only the exact one, so concurrent versions
    /// below a joined clock come along).
    pub fn take_at_or_below(&mut self, key: Key, need: &VectorClock) -> Vec<Meta> {
        let Some(held) = self.versions.get_mut(&key) else {
            return Vec::new();
        };
        let (taken, kept): (Vec<Meta>, Vec<Meta>) =
            held.drain(..).partition(|m| m.version.vc.leq(need));
        if kept.is_empty() {
            self.versions.remove(&key);
        } else {
            *held = kept;
        }
        taken
    }

    pub fn contains(&self, key: Key, vc: &VectorClock) -> bool {
        self.versions
            .get(&key)
            .is_some_and(|held| held.iter().any(|m| &m.version.vc == vc))
    }

    pub fn len(&self) -> usize {
        self.versions.values().map(Vec::len).sum()
    }

    pub fn metadata_bytes(&self) -> u64 {
        self.versions
            .values()
            .flatten()
            .map(|m| m.metadata_bytes() as u64)
            .sum()
    }
}
