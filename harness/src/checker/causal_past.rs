//! The causal past of every operation, computed along a topological order of
//! PO ∪ RF: a sparse vector clock (per session, how many of its operations lie
//! in the past, which is a prefix by PO) and the frontier (per frequently
//! written key, the CO-maximal writes of that key in the past). Both are
//! persistent maps ([`PMap`]), so keeping the past of every write costs a
//! path copy.
//!
//! A node's past is the union of its predecessors' (its PO predecessor and
//! the writes it reads). Instead of a pointwise join of two clocks (work in the
//! number of sessions), the largest predecessor's past is taken as the base
//! and each other predecessor is merged in by a depth-first walk of the graph
//! from it that stops at operations the base already holds: the work is the
//! number of operations the base lacks, each an O(depth) map update plus, for
//! a write of a frequent key, a frontier update against its maximal writes.
//!
//! A key written fewer than [`FRONTIER_MIN_WRITES`] times has no frontier
//! entry (most keys of a Zipf workload: each would cost a path copy per
//! merge that discovers one of its writes); its maximal writes in a past are
//! found by scanning its few writes, one clock lookup each.

use std::rc::Rc;

use super::graph::{Graph, Src};
use super::pmap::PMap;

/// The CO-maximal writes of one key in a past (an antichain of nodes).
#[derive(Clone, Debug, Default)]
pub(crate) enum Frontier {
    #[default]
    Empty,
    One(u32),
    Many(Rc<Vec<u32>>),
}

impl Frontier {
    pub fn as_slice(&self) -> &[u32] {
        match self {
            Frontier::Empty => &[],
            Frontier::One(n) => std::slice::from_ref(n),
            Frontier::Many(v) => v,
        }
    }
}

#[derive(Clone)]
pub(crate) struct Past {
    /// Per session, how many of its operations are in the past.
    vc: PMap<u32>,
    frontier: PMap<Frontier>,
    /// Operations in the past: picks the base of a merge.
    size: u64,
}

/// A key written at least this often keeps its maximal writes in every
/// past (the frontier); the writes of a rarer key are scanned instead, at
/// most this many CO tests per read.
pub(crate) const FRONTIER_MIN_WRITES: usize = 128;

pub(crate) struct Pasts<'g> {
    g: &'g Graph<'g>,
    /// Clock of every processed write, for CO tests between writes.
    vc_of: Vec<Option<PMap<u32>>>,
    /// Full past of writes some unprocessed read still reads from.
    stored: Vec<Option<Past>>,
    /// Reads of each write not yet processed.
    pending: Vec<u32>,
    /// Past of each session's last processed node.
    current: Vec<Option<Past>>,
    /// Per key: its index in the frontier maps, if written often enough.
    frequent: Vec<Option<u32>>,
    frequent_keys: usize,
    /// Per rarely written key: its processed writes, in processing order.
    rare: Vec<Vec<u32>>,
    stack: Vec<(u32, u32)>,
}

impl<'g> Pasts<'g> {
    pub fn new(g: &'g Graph<'g>, frontier_min_writes: usize) -> Pasts<'g> {
        let mut pending = vec![0; g.nodes.len()];
        for r in &g.reads {
            if let Src::Node(w) = r.src {
                pending[w as usize] += 1;
            }
        }
        let mut writes = vec![0usize; g.keys];
        for n in 0..g.nodes.len() as u32 {
            for w in g.writes_of(n) {
                writes[w.key_idx as usize] += 1;
            }
        }
        let mut frequent_keys = 0;
        let frequent = writes
            .iter()
            .map(|&c| {
                (c >= frontier_min_writes).then(|| {
                    frequent_keys += 1;
                    frequent_keys as u32 - 1
                })
            })
            .collect();
        Pasts {
            g,
            vc_of: vec![None; g.nodes.len()],
            stored: vec![None; g.nodes.len()],
            pending,
            current: vec![None; g.sessions()],
            frequent,
            frequent_keys,
            rare: vec![Vec::new(); g.keys],
            stack: Vec::new(),
        }
    }

    fn empty(&self) -> Past {
        Past {
            vc: PMap::new(self.g.sessions()),
            frontier: PMap::new(self.frequent_keys),
            size: 0,
        }
    }

    fn known(vc: &PMap<u32>, s: u32) -> u32 {
        vc.get(s).copied().unwrap_or(0)
    }

    /// `a` is in `past`.
    pub fn in_past(&self, a: u32, past: &Past) -> bool {
        let n = &self.g.nodes[a as usize];
        Self::known(&past.vc, n.session) > n.pos
    }

    /// `a` CO `b`, for a processed write `b`.
    pub fn co(&self, a: u32, b: u32) -> bool {
        let n = &self.g.nodes[a as usize];
        a != b
            && self.vc_of[b as usize]
                .as_ref()
                .is_some_and(|vc| Self::known(vc, n.session) > n.pos)
    }

    /// `w1` CO `b`, where `None` is the initial value (CO-before every write).
    pub fn precedes(&self, w1: Option<u32>, b: u32) -> bool {
        w1.is_none_or(|a| self.co(a, b))
    }

    /// The CO-maximal writes of key `k` in `past`, into `out`.
    pub fn maximal_writes(&self, k: Option<u32>, past: &Past, out: &mut Vec<u32>) {
        self.maximal_in(k, &past.vc, Some(&past.frontier), out);
    }

    /// The CO-maximal writes of key `k` in the inclusive past of `w`, a write
    /// some unprocessed read reads from, into `out`.
    pub fn maximal_writes_at(&self, w: u32, k: Option<u32>, out: &mut Vec<u32>) {
        out.clear();
        if let Some(vc) = &self.vc_of[w as usize] {
            let frontier = self.stored[w as usize].as_ref().map(|p| &p.frontier);
            self.maximal_in(k, vc, frontier, out);
        }
    }

    /// A frequent key's maximal writes are in the frontier; a rare key's
    /// writes are scanned latest first: one in the past is maximal unless it
    /// is CO-below one found before (processing order extends CO).
    fn maximal_in(
        &self,
        k: Option<u32>,
        vc: &PMap<u32>,
        frontier: Option<&PMap<Frontier>>,
        out: &mut Vec<u32>,
    ) {
        out.clear();
        let Some(k) = k else { return };
        match self.frequent[k as usize] {
            Some(f) => out.extend_from_slice(
                frontier
                    .and_then(|m| m.get(f))
                    .map_or(&[], Frontier::as_slice),
            ),
            None => {
                for &w in self.rare[k as usize].iter().rev() {
                    let n = &self.g.nodes[w as usize];
                    if Self::known(vc, n.session) > n.pos && !out.iter().any(|&m| self.co(w, m)) {
                        out.push(w);
                    }
                }
            }
        }
    }

    /// The strict causal past of `n`, whose predecessors are all processed.
    pub fn enter(&mut self, n: u32) -> Past {
        let node = &self.g.nodes[n as usize];
        let s = node.session;
        // Predecessors as (session, pos, size of their past).
        let mut preds: Vec<(u32, u32, u64)> = Vec::with_capacity(2);
        let mut own = None;
        if node.pos > 0 {
            own = self.current[s as usize].take();
            preds.push((s, node.pos - 1, own.as_ref().map_or(0, |p| p.size)));
        }
        for r in self.g.reads_of(n) {
            if let Src::Node(w) = r.src {
                let wn = &self.g.nodes[w as usize];
                let size = self.stored[w as usize].as_ref().map_or(0, |p| p.size);
                preds.push((wn.session, wn.pos, size));
            }
        }
        let Some(base_at) = (0..preds.len()).max_by_key(|&i| (preds[i].2, usize::MAX - i)) else {
            return self.empty();
        };
        let (bs, bpos, _) = preds[base_at];
        let base = if bs == s && node.pos > 0 && bpos == node.pos - 1 {
            own
        } else {
            self.stored[self.g.at(bs, bpos) as usize].clone()
        };
        let mut past = match base {
            Some(p) => p,
            None => {
                let mut p = self.empty();
                self.merge(&mut p, bs, bpos);
                p
            }
        };
        for (i, &(ps, ppos, _)) in preds.iter().enumerate() {
            if i != base_at {
                self.merge(&mut past, ps, ppos);
            }
        }
        past
    }

    /// Adds `n` itself to its strict past, keeps what later nodes need, and
    /// releases the pasts of writes no unprocessed read needs.
    pub fn leave(&mut self, n: u32, mut past: Past) {
        let g = self.g;
        let node = &g.nodes[n as usize];
        past.vc.set(node.session, node.pos + 1);
        past.size += 1;
        let writes = g.writes_of(n);
        // n is CO-after every write in its past, so it alone is maximal.
        for w in writes {
            match self.frequent[w.key_idx as usize] {
                Some(f) => past.frontier.set(f, Frontier::One(n)),
                None => self.rare[w.key_idx as usize].push(n),
            }
        }
        if !writes.is_empty() {
            self.vc_of[n as usize] = Some(past.vc.clone());
            if self.pending[n as usize] > 0 {
                self.stored[n as usize] = Some(past.clone());
            }
        }
        for r in g.reads_of(n) {
            if let Src::Node(w) = r.src {
                self.pending[w as usize] -= 1;
                if self.pending[w as usize] == 0 {
                    self.stored[w as usize] = None;
                }
            }
        }
        if g.po_next(n).is_some() {
            self.current[node.session as usize] = Some(past);
        }
    }

    /// Adds the past of node `pos` of session `s` to `past` by walking the
    /// graph back from it, stopping at what `past` already holds.
    fn merge(&mut self, past: &mut Past, s: u32, pos: u32) {
        let g = self.g;
        self.stack.push((s, pos));
        while let Some((s, pos)) = self.stack.pop() {
            let known = Self::known(&past.vc, s);
            if known > pos {
                continue;
            }
            past.vc.set(s, pos + 1);
            past.size += u64::from(pos + 1 - known);
            for q in known..=pos {
                let m = g.at(s, q);
                for r in g.reads_of(m) {
                    if let Src::Node(w) = r.src
                        && !self.in_past(w, past)
                    {
                        let wn = &g.nodes[w as usize];
                        self.stack.push((wn.session, wn.pos));
                    }
                }
                for w in g.writes_of(m) {
                    if let Some(f) = self.frequent[w.key_idx as usize] {
                        self.add_maximal(past, f, m);
                    }
                }
            }
        }
    }

    /// Adds write `w` of the frequent key `f` to the frontier, keeping it an
    /// antichain.
    fn add_maximal(&self, past: &mut Past, f: u32, w: u32) {
        let current = past.frontier.get(f).map_or(&[][..], Frontier::as_slice);
        if current.iter().any(|&a| self.co(w, a)) {
            return;
        }
        // Allocates only when w joins an antichain of concurrent writes.
        let mut kept: Vec<u32> = Vec::new();
        kept.extend(current.iter().copied().filter(|&a| !self.co(a, w)));
        let frontier = if kept.is_empty() {
            Frontier::One(w)
        } else {
            kept.push(w);
            Frontier::Many(Rc::new(kept))
        };
        past.frontier.set(f, frontier);
    }
}
