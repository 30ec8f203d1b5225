//! The causal past of every operation, computed along a topological order of
//! PO ∪ RF, and the CO-maximal writes of a key in a past.
//!
//! A past is a sparse vector clock: per session, how many of its operations
//! lie in the past (a prefix, by PO), in a persistent map ([`PMap`]) so that
//! keeping the clock of every write costs a path copy. A node's past is the
//! union of its predecessors' (its PO predecessor and the writes it reads).
//! Instead of a pointwise join (work in the number of sessions), the largest
//! predecessor's past is the base and each other predecessor is merged in by
//! a walk back through the graph that stops at operations the base holds:
//! the work is what the base lacks, O(depth) per operation.
//!
//! The maximal writes of key x in a past P: the writes of x are listed in
//! processing order, which extends CO, and each carries its *cover*, the
//! length of the list's prefix that lay in its own past when it was
//! processed. Scanning the list backwards, a write in P is maximal unless it
//! is CO-below one found before it (a later write is never CO-below an
//! earlier one), and once the scan passes below the cover of a write in P,
//! everything left is CO-below that write. So the scan touches only the
//! writes of x processed since the horizon of P: those concurrent with P.

use super::graph::{Graph, Src};
use super::pmap::PMap;

#[derive(Clone)]
pub(crate) struct Past {
    /// Per session, how many of its operations are in the past.
    vc: PMap<u32>,
    /// Operations in the past: picks the base of a merge.
    size: u64,
}

/// A write of a key, in processing order, with its cover.
#[derive(Clone, Copy)]
struct Listed {
    node: u32,
    cover: u32,
}

pub(crate) struct Pasts<'g> {
    g: &'g Graph<'g>,
    /// Clock and size of the (inclusive) past of every processed write.
    vc_of: Vec<Option<PMap<u32>>>,
    size_of: Vec<u64>,
    /// Past of each session's last processed node.
    current: Vec<Option<Past>>,
    /// Per key, its processed writes.
    writes: Vec<Vec<Listed>>,
    stack: Vec<(u32, u32)>,
}

fn known(vc: &PMap<u32>, s: u32) -> u32 {
    vc.get(s).copied().unwrap_or(0)
}

impl<'g> Pasts<'g> {
    pub fn new(g: &'g Graph<'g>) -> Pasts<'g> {
        Pasts {
            g,
            vc_of: vec![None; g.nodes.len()],
            size_of: vec![0; g.nodes.len()],
            current: vec![None; g.sessions()],
            writes: vec![Vec::new(); g.keys],
            stack: Vec::new(),
        }
    }

    fn held(&self, a: u32, vc: &PMap<u32>) -> bool {
        let n = &self.g.nodes[a as usize];
        known(vc, n.session) > n.pos
    }

    /// `a` CO `b`, for a processed write `b`.
    pub fn co(&self, a: u32, b: u32) -> bool {
        a != b
            && self.vc_of[b as usize]
                .as_ref()
                .is_some_and(|vc| self.held(a, vc))
    }

    /// `w1` CO `b`, where `None` is the initial value (CO-before every write).
    pub fn precedes(&self, w1: Option<u32>, b: u32) -> bool {
        w1.is_none_or(|a| self.co(a, b))
    }

    /// The CO-maximal writes of key `k` in `past`, into `out`.
    pub fn maximal_writes(&self, k: Option<u32>, past: &Past, out: &mut Vec<u32>) {
        self.scan(k, &past.vc, out);
    }

    /// The CO-maximal writes of key `k` in the inclusive past of the
    /// processed write `w`, into `out`.
    pub fn maximal_writes_at(&self, w: u32, k: Option<u32>, out: &mut Vec<u32>) {
        out.clear();
        if let Some(vc) = &self.vc_of[w as usize] {
            self.scan(k, vc, out);
        }
    }

    /// The backward scan of the module documentation; returns the cover of
    /// a past with clock `vc` (the first position whose write it lacks).
    fn scan(&self, k: Option<u32>, vc: &PMap<u32>, out: &mut Vec<u32>) -> u32 {
        out.clear();
        let Some(list) = k.and_then(|k| self.writes.get(k as usize)) else {
            return 0;
        };
        let mut cover = list.len() as u32;
        let mut below = 0;
        for i in (0..list.len()).rev() {
            if (i as u32) < below {
                break;
            }
            let Listed { node, cover: c } = list[i];
            if !self.held(node, vc) {
                cover = i as u32;
                continue;
            }
            below = below.max(c);
            if !out.iter().any(|&m| self.co(node, m)) {
                out.push(node);
            }
        }
        cover
    }

    /// The strict causal past of `n`, whose predecessors are all processed.
    pub fn enter(&mut self, n: u32) -> Past {
        let node = &self.g.nodes[n as usize];
        let s = node.session;
        let own = if node.pos > 0 {
            self.current[s as usize].take()
        } else {
            None
        };
        // The largest predecessor's past is the base; own wins ties, being
        // updated in place.
        let mut base: Option<Past> = None;
        let mut base_from = None;
        if let Some(p) = own {
            base_from = Some((s, node.pos - 1));
            base = Some(p);
        }
        for r in self.g.reads_of(n) {
            if let Src::Node(w) = r.src
                && base
                    .as_ref()
                    .is_none_or(|b| self.size_of[w as usize] > b.size)
                && let Some(vc) = &self.vc_of[w as usize]
            {
                let wn = &self.g.nodes[w as usize];
                base_from = Some((wn.session, wn.pos));
                base = Some(Past {
                    vc: vc.clone(),
                    size: self.size_of[w as usize],
                });
            }
        }
        let mut past = base.unwrap_or_else(|| Past {
            vc: PMap::new(self.g.sessions()),
            size: 0,
        });
        if node.pos > 0 && base_from != Some((s, node.pos - 1)) {
            self.merge(&mut past, s, node.pos - 1);
        }
        for r in self.g.reads_of(n) {
            if let Src::Node(w) = r.src {
                let wn = &self.g.nodes[w as usize];
                self.merge(&mut past, wn.session, wn.pos);
            }
        }
        past
    }

    /// Adds `n` to its strict past, lists its writes with their covers, and
    /// keeps what later nodes need.
    pub fn leave(&mut self, n: u32, mut past: Past, scratch: &mut Vec<u32>) {
        let g = self.g;
        let node = &g.nodes[n as usize];
        for w in g.writes_of(n) {
            let cover = self.scan(Some(w.key_idx), &past.vc, scratch);
            self.writes[w.key_idx as usize].push(Listed { node: n, cover });
        }
        past.vc.set(node.session, node.pos + 1);
        past.size += 1;
        if !g.writes_of(n).is_empty() {
            self.vc_of[n as usize] = Some(past.vc.clone());
            self.size_of[n as usize] = past.size;
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
            let had = known(&past.vc, s);
            if had > pos {
                continue;
            }
            past.vc.set(s, pos + 1);
            past.size += u64::from(pos + 1 - had);
            for q in had..=pos {
                for r in g.reads_of(g.at(s, q)) {
                    if let Src::Node(w) = r.src
                        && !self.held(w, &past.vc)
                    {
                        let wn = &g.nodes[w as usize];
                        self.stack.push((wn.session, wn.pos));
                    }
                }
            }
        }
    }
}
