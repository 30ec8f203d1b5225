//! The two caches of a CausalMesh server (reference §3).

use std::collections::HashMap;
use std::sync::Arc;

use smallvec::SmallVec;

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
    /// Per key, its held versions in arrival order. The lists stay short (a
    /// key's versions leave together when a read needs a newer one), so the
    /// first two sit in the map's entry, and a scan of their inline head
    /// counters is cheaper than a second index.
    versions: HashMap<Key, SmallVec<[Held; 2]>, FastHash>,
}

/// A held version and its clock's counter at its head, kept inline: a
/// write's clock is its head's clock at the time, so comparing that one
/// counter rules out most versions without reading the shared copy.
struct Held {
    /// The head's id; far fewer than 2^32 servers.
    head: u32,
    at_head: u32,
    meta: Arc<Meta>,
}

impl Held {
    /// Whether the held clock may be at or below `vc` (exact when false).
    fn may_be_leq(&self, vc: &VectorClock) -> bool {
        vc.counters()
            .get(self.head as usize)
            .map_or(self.at_head == 0, |&c| self.at_head <= c)
    }

    /// Whether the held clock may equal `vc` (exact when false).
    fn may_equal(&self, vc: &VectorClock) -> bool {
        vc.counters().get(self.head as usize).copied().unwrap_or(0) == self.at_head
    }
}

impl InconsistentCache {
    /// Adds a version unless the same write (key and clock) is already held:
    /// it can arrive twice, on its lap and piggybacked by its client.
    pub fn add(&mut self, meta: Arc<Meta>) {
        let vc = &meta.version.vc;
        let at_head = vc.counters().get(meta.head).copied().unwrap_or(0);
        let held = self.versions.entry(meta.key).or_default();
        // The (head, counter) pair names one write unless a crashed head
        // reused its counters, so a match is confirmed on the whole clock.
        if held
            .iter()
            .any(|h| h.may_equal(vc) && &h.meta.version.vc == vc)
        {
            return;
        }
        held.push(Held {
            head: meta.head as u32,
            at_head,
            meta,
        });
    }

    /// Removes and returns every held version of `key` at or below `need`
    /// (§5.4: all of them, not only the exact one, so concurrent versions
    /// below a joined clock come along).
    pub fn take_at_or_below(&mut self, key: Key, need: &VectorClock) -> Vec<Arc<Meta>> {
        let Some(held) = self.versions.get_mut(&key) else {
            return Vec::new();
        };
        let mut taken = Vec::new();
        let mut i = 0;
        while let Some(h) = held.get(i) {
            if h.may_be_leq(need) && h.meta.version.vc.leq(need) {
                taken.push(held.remove(i).meta);
            } else {
                i += 1;
            }
        }
        if held.is_empty() {
            self.versions.remove(&key);
        }
        taken
    }

    pub fn contains(&self, key: Key, vc: &VectorClock) -> bool {
        self.versions
            .get(&key)
            .is_some_and(|held| held.iter().any(|h| &h.meta.version.vc == vc))
    }

    pub fn metadata_bytes(&self) -> u64 {
        self.versions
            .values()
            .flatten()
            .map(|h| h.meta.metadata_bytes() as u64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::{Deps, NodeId, Value, Version};

    fn write(key: Key, head: NodeId, counters: &[u32]) -> Arc<Meta> {
        Arc::new(Meta {
            key,
            head,
            version: Version {
                value: Value::tagged(1, 8),
                vc: VectorClock::from_counters(counters),
            },
            deps: Deps::new(),
        })
    }

    #[test]
    fn a_write_arriving_twice_is_held_once() {
        let mut icache = InconsistentCache::default();
        icache.add(write(7, 1, &[0, 2, 0]));
        icache.add(write(7, 1, &[0, 2, 0]));
        let all = VectorClock::from_counters(&[9, 9, 9]);
        assert_eq!(icache.take_at_or_below(7, &all).len(), 1);
        assert!(!icache.contains(7, &VectorClock::from_counters(&[0, 2, 0])));
        icache.add(write(7, 1, &[0, 2, 0]));
        assert_eq!(
            icache.take_at_or_below(7, &all).len(),
            1,
            "taken writes may come back"
        );
    }

    #[test]
    fn a_reused_head_counter_with_another_clock_is_another_write() {
        // A crashed head restarts its counters: same (head, counter), other clock.
        let mut icache = InconsistentCache::default();
        icache.add(write(7, 0, &[1, 0, 0]));
        icache.add(write(7, 0, &[1, 3, 0]));
        assert!(icache.contains(7, &VectorClock::from_counters(&[1, 0, 0])));
        assert!(icache.contains(7, &VectorClock::from_counters(&[1, 3, 0])));
        let taken = icache.take_at_or_below(7, &VectorClock::from_counters(&[1, 0, 0]));
        assert_eq!(taken.len(), 1);
        assert!(icache.contains(7, &VectorClock::from_counters(&[1, 3, 0])));
    }

    #[test]
    fn takes_every_version_at_or_below_in_arrival_order() {
        let mut icache = InconsistentCache::default();
        icache.add(write(3, 2, &[0, 0, 2]));
        icache.add(write(3, 0, &[1, 0, 0]));
        icache.add(write(3, 1, &[0, 5, 0]));
        icache.add(write(3, 2, &[0, 0, 1]));
        let taken = icache.take_at_or_below(3, &VectorClock::from_counters(&[1, 4, 2]));
        let clocks: Vec<&[u32]> = taken.iter().map(|m| m.version.vc.counters()).collect();
        assert_eq!(clocks, vec![&[0, 0, 2][..], &[1, 0, 0], &[0, 0, 1]]);
        assert!(icache.contains(3, &VectorClock::from_counters(&[0, 5, 0])));
    }
}
