//! The bounded multi-version C-cache of CausalMesh-TCC (reference §8) and the
//! choice of a version compatible with what a transaction has read.
//!
//! A write's clock is its head's clock at the time, so a version x (head h) is
//! in the causal past of a clock J that joins version clocks iff
//! J[h] >= x[h]: a larger component at h can only come from x or a later
//! write at h, which saw x. A transaction's reads are one causal snapshot iff
//! no version read has in its past a version of another read key that the
//! version read of that key does not reflect. With the counters of every
//! version of a key this server has received, per head, that is a range query.
//! (The prototype's check compares the wrong clocks and never fails, §8.)
//!
//! Each key keeps the last `bound` versions integrated here, one by one, over
//! a base that merges the preloaded value and every older version. A read
//! merges the base with every kept version compatible with the transaction:
//! the newest state of the key the transaction may see, not only one of the
//! states the C-cache happened to pass through (lazy integration moves in
//! large steps, and a step's state would often mix in versions too new).

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::clock::VectorClock;
use crate::fasthash::FastHash;
use crate::version::{Key, NodeId, Register, Version};

struct History {
    /// The preloaded value merged with every version dropped by the bound.
    base: Register,
    /// Versions integrated here, oldest first.
    kept: VecDeque<Version>,
}

pub struct Multiversion {
    bound: usize,
    history: HashMap<Key, History, FastHash>,
    /// Per key, the (head, counter) of every version received: one ordered
    /// set per key, not one per key and head, whose empty sets would cost a
    /// 64-server cluster about 1.5 KB per key on every server. Heads are
    /// u32 (far fewer than 2^32 servers) to keep an entry at 8 bytes.
    writes: HashMap<Key, BTreeSet<(u32, u32)>, FastHash>,
    servers: usize,
}

/// What a transaction has read: per key, the joined clock of the state read.
pub type ReadSet<'a> = &'a [(Key, &'a VectorClock)];

impl Multiversion {
    pub fn new(bound: usize, servers: usize) -> Multiversion {
        Multiversion {
            bound: bound.max(1),
            history: HashMap::default(),
            writes: HashMap::default(),
            servers,
        }
    }

    /// A version of `key` written at `head` with clock `vc` reached this server.
    pub fn received(&mut self, key: Key, head: NodeId, vc: &VectorClock) {
        if let Some(&c) = vc.counters().get(head) {
            self.writes.entry(key).or_default().insert((head as u32, c));
        }
    }

    /// A version of `key` is being integrated; `before` is the key's C-cache
    /// entry before the integration step.
    pub fn record(&mut self, key: Key, before: &Register, version: &Version) {
        let h = self.history.entry(key).or_insert_with(|| History {
            base: before.clone(),
            kept: VecDeque::new(),
        });
        h.kept.push_back(version.clone());
        while h.kept.len() > self.bound {
            if let Some(old) = h.kept.pop_front() {
                h.base.merge_version(&old);
            }
        }
    }

    /// Whether a version of `key` with head h has counter in `(lo[h], hi[h]]`
    /// for some h: one that `hi`'s past holds and `lo`'s does not.
    fn newer_between(&self, key: Key, lo: &VectorClock, hi: &VectorClock) -> bool {
        let Some(set) = self.writes.get(&key) else {
            return false;
        };
        (0..self.servers).any(|h| {
            let (l, u) = (component(lo, h), component(hi, h));
            l < u
                && set
                    .range((h as u32, l + 1)..=(h as u32, u))
                    .next()
                    .is_some()
        })
    }

    /// Nothing in the past of `vc` is newer than what the reads of other
    /// keys reflect.
    fn not_newer_than_reads(&self, key: Key, vc: &VectorClock, reads: ReadSet<'_>) -> bool {
        reads
            .iter()
            .all(|&(k, read)| k == key || !self.newer_between(k, read, vc))
    }

    /// The newest state of `key` compatible with `reads`, built from the
    /// kept versions (`current` for a key never integrated here: the
    /// preloaded value); `None` if there is none and the transaction must
    /// abort: the versions it needs are too new for its other reads, or were
    /// dropped by the bound.
    pub fn choose(&self, key: Key, current: &Register, reads: ReadSet<'_>) -> Option<Register> {
        let state = match self.history.get(&key) {
            None => current.clone(),
            Some(h) => {
                if !self.not_newer_than_reads(key, &h.base.vc, reads) {
                    return None;
                }
                let mut state = h.base.clone();
                // Compatibility is closed downwards, so this is the largest
                // compatible set of kept versions.
                for v in h
                    .kept
                    .iter()
                    .filter(|v| self.not_newer_than_reads(key, &v.vc, reads))
                {
                    state.merge_version(v);
                }
                state
            }
        };
        // Not too old: nothing of `key` in a read's past is missing.
        let complete = reads
            .iter()
            .all(|&(_, read)| !self.newer_between(key, &state.vc, read));
        complete.then_some(state)
    }

    pub fn metadata_bytes(&self) -> u64 {
        let kept: usize = self
            .history
            .values()
            .map(|h| {
                h.base.metadata_bytes() + h.kept.iter().map(|v| v.vc.encoded_bytes()).sum::<usize>()
            })
            .sum();
        let counters: usize = self.writes.values().map(|s| 4 * s.len()).sum();
        (kept + counters) as u64
    }
}

fn component(vc: &VectorClock, i: usize) -> u32 {
    vc.counters().get(i).copied().unwrap_or(0)
}
