//! The causal past of every operation, computed along a topological order of
//! PO ∪ RF as the set of *tracked* writes in it: writes that some operation
//! reads or follows in its session. No other operation is CO-before anything,
//! so only these can make a CO test true. Each set is a persistent bit set
//! ([`Bits`]) over the tracked writes numbered in processing order, and a
//! node's past is the union of its predecessors' (its PO predecessor's and
//! those of the writes it reads), joined chunk by chunk.
//!
//! The read patterns need the writes of the read's key in a past that are
//! not CO-below (or equal to) the write it returned, w1: those are the
//! writes that could be CO-after w1 and the sources of CF edges. Two ways
//! find them; both give the same writes:
//! - scanning the key's tracked writes, one bit test each (a key written
//!   fewer than [`SCAN_BELOW_WRITES`] times, or when the difference holds
//!   more elements than the key has writes);
//! - walking the set difference of the reader's past and w1's, which the
//!   two bit sets give chunk by chunk: for a read of a recent write it holds
//!   about the operations concurrent with the read, however often the key
//!   is written.

use super::bits::Bits;
use super::graph::{Graph, Src};

/// A key with fewer tracked writes than this is always scanned: the
/// difference of two pasts is not worth its chunk comparisons.
pub(crate) const SCAN_BELOW_WRITES: usize = 128;

/// The number of a node that is no tracked write.
const UNTRACKED: u32 = u32::MAX;

pub(crate) struct Pasts<'g> {
    g: &'g Graph<'g>,
    /// Per node: its number among the tracked writes, in processing order.
    number: Vec<u32>,
    /// Per number: the tracked write.
    tracked: Vec<u32>,
    /// Inclusive past of every processed tracked write.
    past_of: Vec<Option<Bits>>,
    /// Past of each session's last processed node.
    current: Vec<Option<Bits>>,
    /// Per key: the numbers of its processed tracked writes, in order.
    key_writes: Vec<Vec<u32>>,
    /// Per key: whether it has at least the scan threshold's writes.
    frequent: Vec<bool>,
}

impl<'g> Pasts<'g> {
    /// Pasts for the nodes of `order`, a topological order of PO ∪ RF that
    /// they will be entered in; keys written at least `scan_below_writes`
    /// times may use set differences.
    pub fn new(g: &'g Graph<'g>, order: &[u32], scan_below_writes: usize) -> Pasts<'g> {
        let mut read = vec![false; g.nodes.len()];
        for r in &g.reads {
            if let Src::Node(w) = r.src {
                read[w as usize] = true;
            }
        }
        let mut number = vec![UNTRACKED; g.nodes.len()];
        let mut tracked = Vec::new();
        for &n in order {
            let followed = read[n as usize] || g.po_next(n).is_some();
            if followed && !g.writes_of(n).is_empty() {
                number[n as usize] = tracked.len() as u32;
                tracked.push(n);
            }
        }
        let mut writes = vec![0usize; g.keys];
        for &n in &tracked {
            for w in g.writes_of(n) {
                writes[w.key_idx as usize] += 1;
            }
        }
        Pasts {
            g,
            number,
            tracked,
            past_of: vec![None; g.nodes.len()],
            current: vec![None; g.sessions()],
            key_writes: vec![Vec::new(); g.keys],
            frequent: writes.iter().map(|&c| c >= scan_below_writes).collect(),
        }
    }

    /// `a` is in the set `past`.
    fn holds(&self, past: &Bits, a: u32) -> bool {
        let i = self.number[a as usize];
        i != UNTRACKED && past.contains(i)
    }

    /// `a` CO `b`, for a processed write `b`.
    pub fn co(&self, a: u32, b: u32) -> bool {
        a != b
            && self.past_of[b as usize]
                .as_ref()
                .is_some_and(|past| self.holds(past, a))
    }

    /// `w1` CO `b`, where `None` is the initial value (CO-before every write).
    pub fn precedes(&self, w1: Option<u32>, b: u32) -> bool {
        w1.is_none_or(|a| self.co(a, b))
    }

    /// The inclusive past of the processed write `w`.
    pub fn past_of(&self, w: u32) -> Option<&Bits> {
        self.past_of[w as usize].as_ref()
    }

    /// Into `out`, latest first: the CO-maximal writes of key `k` in `past`
    /// that are neither `w1` nor CO-before it. For the initial value (`None`)
    /// only the latest write of `k` in `past`, if any (it is maximal: nothing
    /// processed before it is CO-after it).
    pub fn not_below(&self, k: Option<u32>, w1: Option<u32>, past: &Bits, out: &mut Vec<u32>) {
        out.clear();
        let Some(k) = k else { return };
        let writes = &self.key_writes[k as usize];
        let Some(w1) = w1 else {
            let latest = writes.iter().rev().find(|&&i| past.contains(i));
            out.extend(latest.map(|&i| self.tracked[i as usize]));
            return;
        };
        let Some(below) = self.past_of(w1) else {
            return;
        };
        let key_writes = |m: u32| self.g.write_of(m, k).is_some();
        let found = self.frequent[k as usize]
            && past.difference(below, writes.len(), |i| {
                let m = self.tracked[i as usize];
                if key_writes(m) {
                    out.push(m);
                }
            });
        if found {
            out.reverse();
            let mut kept = 0;
            for i in 0..out.len() {
                let m = out[i];
                if !out[..kept].iter().any(|&a| self.co(m, a)) {
                    out[kept] = m;
                    kept += 1;
                }
            }
            out.truncate(kept);
            return;
        }
        out.clear();
        for &i in writes.iter().rev() {
            if past.contains(i) && !below.contains(i) {
                let m = self.tracked[i as usize];
                if !out.iter().any(|&a| self.co(m, a)) {
                    out.push(m);
                }
            }
        }
    }

    /// The strict causal past of `n`, whose predecessors are all processed.
    pub fn enter(&mut self, n: u32) -> Bits {
        let g = self.g;
        let node = &g.nodes[n as usize];
        let own = match node.pos {
            0 => None,
            _ => self.current[node.session as usize].take(),
        };
        let mut sources = g.reads_of(n).iter().filter_map(|r| match r.src {
            Src::Node(w) => Some(w),
            _ => None,
        });
        // A first operation starts from (a copy of) the past of a write it read.
        let mut past = match own {
            Some(own) => own,
            None => sources
                .next()
                .and_then(|w| self.past_of(w).cloned())
                .unwrap_or_else(|| Bits::new(self.tracked.len())),
        };
        for w in sources {
            // A write already in the past brings its whole past with it.
            if !self.holds(&past, w)
                && let Some(other) = self.past_of(w)
            {
                past.union_with(other);
            }
        }
        past
    }

    /// Adds `n` itself to its strict past and keeps what later nodes need.
    pub fn leave(&mut self, n: u32, mut past: Bits) {
        let g = self.g;
        let number = self.number[n as usize];
        if number != UNTRACKED {
            past.insert(number);
            for w in g.writes_of(n) {
                self.key_writes[w.key_idx as usize].push(number);
            }
            self.past_of[n as usize] = Some(past.clone());
        }
        if g.po_next(n).is_some() {
            self.current[g.nodes[n as usize].session as usize] = Some(past);
        }
    }
}
