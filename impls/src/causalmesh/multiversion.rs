//! The bounded multi-version C-cache of CausalMesh-TCC (reference §8) and the
//! choice of a version compatible with what a transaction has read.
//!
//! A write's clock is its head's clock at the time, so for the joined clock J
//! of any C-cache entry, a version x (head h, counter x[h]) is in J's causal
//! past iff J[h] >= x[h]: a larger component at h can only come from x or a
//! later write at h, which saw x. A transaction's reads are one causal
//! snapshot iff no version read has in its past a version of another read key
//! that the version read of that key does not reflect. With the counters of
//! every version of a key this server has received, per head, that is a range
//! query. (The prototype's check compares the wrong clocks and never fails,
//! §8; this one is exact.)

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::clock::VectorClock;
use crate::version::{Key, NodeId, Register};

pub struct Multiversion {
    bound: usize,
    /// The last `bound` states of each key's C-cache entry, oldest first.
    history: HashMap<Key, VecDeque<Register>>,
    /// Per key and head, the counters of the versions received.
    writes: HashMap<Key, Vec<BTreeSet<u32>>>,
    servers: usize,
}

/// What a transaction has read: per key, the joined clock of the version.
pub type ReadSet<'a> = &'a [(Key, &'a VectorClock)];

impl Multiversion {
    pub fn new(bound: usize, servers: usize) -> Multiversion {
        Multiversion {
            bound: bound.max(1),
            history: HashMap::new(),
            writes: HashMap::new(),
            servers,
        }
    }

    /// A version of `key` written at `head` with clock `vc` reached this server.
    pub fn received(&mut self, key: Key, head: NodeId, vc: &VectorClock) {
        if let Some(&c) = vc.counters().get(head) {
            let heads = self
                .writes
                .entry(key)
                .or_insert_with(|| vec![BTreeSet::new(); self.servers]);
            if let Some(set) = heads.get_mut(head) {
                set.insert(c);
            }
        }
    }

    /// Records the C-cache entry of `key` after an integration step;
    /// `before` is its state before, kept the first time so the preloaded
    /// value stays readable.
    pub fn record(&mut self, key: Key, before: &Register, after: &Register) {
        let h = self.history.entry(key).or_default();
        if h.is_empty() {
            h.push_back(before.clone());
        }
        h.push_back(after.clone());
        while h.len() > self.bound {
            h.pop_front();
        }
    }

    /// Whether a version of `key` with head h has counter in `(lo[h], hi[h]]`
    /// for some h: one that `hi`'s past holds and `lo`'s does not.
    fn newer_between(&self, key: Key, lo: &VectorClock, hi: &VectorClock) -> bool {
        let Some(heads) = self.writes.get(&key) else {
            return false;
        };
        heads.iter().enumerate().any(|(h, set)| {
            let (l, u) = (component(lo, h), component(hi, h));
            l < u && set.range(l + 1..=u).next().is_some()
        })
    }

    /// The newest kept state of `key` compatible with `reads` (or `current`
    /// if the key was never integrated here: the preloaded value); `None`
    /// if the bounded history holds none, and the transaction must abort.
    pub fn choose<'a>(
        &'a self,
        key: Key,
        current: &'a Register,
        reads: ReadSet<'_>,
    ) -> Option<&'a Register> {
        let candidates: Vec<&Register> = match self.history.get(&key) {
            Some(h) => h.iter().rev().collect(),
            None => vec![current],
        };
        candidates.into_iter().find(|c| {
            reads.iter().all(|&(k, read)| {
                // Not too old: nothing of `key` in a read's past is missing
                // from the candidate's. Not too new: nothing of another read
                // key in the candidate's past is missing from that read's.
                !self.newer_between(key, &c.vc, read)
                    && (k == key || !self.newer_between(k, read, &c.vc))
            })
        })
    }

    pub fn metadata_bytes(&self) -> u64 {
        let history: usize = self
            .history
            .values()
            .flatten()
            .map(Register::metadata_bytes)
            .sum();
        let counters: usize = self.writes.values().flatten().map(|s| 4 * s.len()).sum();
        (history + counters) as u64
    }
}

fn component(vc: &VectorClock, i: usize) -> u32 {
    vc.counters().get(i).copied().unwrap_or(0)
}
