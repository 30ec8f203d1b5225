//! A proof that a history is causally convergent, found in time linear in
//! its length when it exists, and tried before the exact search for
//! violations.
//!
//! # The proof
//! A history is CCv iff some total order ARB of its writes contains CO and
//! every read returns the ARB-last write of its key among the writes in its
//! strict causal past (the initial value if there is none). Take for ARB a
//! topological order τ of CO. If, for every read r of x that returned w1,
//! no write of x that τ places after w1 (after nothing, for the initial
//! value) is in r's past, then:
//! - no write w2 of x has w1 CO w2 CO r (it would follow w1 in τ): no
//!   WriteCORead, and no WriteCOInitRead;
//! - every CF edge w2 → w1 (w2 in r's past) goes forward in τ, as every CO
//!   edge does, so CF ∪ CO is acyclic: no CyclicCF;
//! - FracturedRead and SnapshotViolation name reads that are WriteCORead
//!   (or WriteCOInitRead) anomalous, so there are none either.
//!
//! With no malformed record, no thin-air or aborted read and no CO cycle
//! (all found while the graph is built and ordered), the exact checker
//! would report nothing, and the empty report is the answer.
//!
//! # Finding τ
//! The first τ is the checker's own order, earliest start first. A read that
//! finds a τ-later write w2 of its key in its past shows a CF edge w2 → w1
//! that τ contradicts; the next round orders CO ∪ those edges. A round that
//! finds none proves the history CCv; a cycle (an anomaly, or CO ∪ CF
//! cyclic), a read of the initial value with a write of its key in its past,
//! or [`ROUNDS`] rounds without a proof hand the history to the exact
//! checker, so the answer never depends on this module.
//!
//! # Why it is linear
//! A read only asks about the writes of its key between w1 and itself in τ,
//! which a store that propagates writes within a bounded time keeps few and
//! recent. So a node keeps its causal past only over a window: the last
//! write items in τ up to its own, at most [`Tuning::window_words`] × 64 and
//! no more than the widest question needs, as a dense bit set. A window's
//! bits are exact (every path to a node from a write in its window runs
//! through predecessors whose windows hold that write), a union is one pass
//! over the window, and a node's window is dropped once τ has moved past
//! it. Questions about writes older than the reader's window (a read from
//! an old snapshot, a cold key) go to two bounded searches ([`Search`]),
//! within a budget of twice the graph's size per round; past the budget the
//! exact checker takes over. Each round is O(n·W + e log n) for n nodes, e
//! reads and windows of W words, plus the searches.

use std::collections::VecDeque;

use super::cycles::{Digraph, Label, View};
use super::graph::{Graph, Src};

/// How wide windows may grow and how far searches go before giving up (the
/// tests shrink them so that small histories take every path).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuning {
    /// The widest window, in words of 64 write items.
    pub window_words: usize,
    /// Node visits of the first, short forward search of a question.
    pub forward_first: usize,
    /// Node visits of a marking of a reader's past before it gives up.
    pub mark_at_most: usize,
}

impl Tuning {
    pub const DEFAULT: Tuning = Tuning {
        window_words: 64,
        forward_first: 64,
        mark_at_most: 1024,
    };
}

/// Rounds of reordering by the CF edges found before giving up.
pub(crate) const ROUNDS: usize = 4;

/// Whether the history of `g`, free of malformed records, thin-air reads and
/// CO cycles, is causally convergent by the proof above. `co` is PO ∪ RF
/// and `order` its topological order by earliest start.
pub(crate) fn proves_ccv(g: &Graph<'_>, co: &Digraph, order: &[u32], tuning: Tuning) -> bool {
    let n = g.nodes.len();
    let all = vec![true; n];
    let mut conflicts: Vec<(u32, u32, Label)> = Vec::new();
    let mut tau = order.to_vec();
    for round in 0..ROUNDS {
        if round > 0 {
            let cf = Digraph::new(n, &conflicts);
            tau = View {
                graphs: &[co, &cf],
                include: &all,
            }
            .topological_order(|v| g.start_us(v));
            if tau.len() < n {
                return false;
            }
        }
        let round = Round::new(g, &tau, tuning.window_words);
        match round.contradictions(Search::new(g, co, tuning), &tau, &mut conflicts) {
            Some(0) => return true,
            Some(_) => {}
            None => return false,
        }
    }
    false
}

/// One pass along τ.
struct Round<'a> {
    g: &'a Graph<'a>,
    /// Per node: its place in τ.
    place: Vec<u32>,
    /// Per node: the number of write items of the nodes before it in τ, the
    /// number of its first write item.
    first: Vec<u32>,
    /// Per write item number: its node.
    writer: Vec<u32>,
    /// Per key: its write items' numbers, ascending.
    by_key: Vec<Vec<u32>>,
    /// Per read item: where in its key's `by_key` its questions start (the
    /// first item after the write it returned; `u32::MAX` if it asks none).
    asked_from: Vec<u32>,
    /// Words per window.
    words: usize,
}

/// The inclusive pasts of processed nodes that later nodes may still need,
/// each `words` words from word `base`.
struct Windows {
    words: usize,
    slab: Vec<u64>,
    free: Vec<u32>,
    /// Per node: its slot and base word, if kept.
    slot: Vec<Option<(u32, u32)>>,
    /// Kept nodes, in τ order, with the word their window ends before.
    kept: VecDeque<(u32, u32)>,
}

impl Windows {
    fn new(words: usize, nodes: usize) -> Windows {
        Windows {
            words,
            slab: Vec::new(),
            free: Vec::new(),
            slot: vec![None; nodes],
            kept: VecDeque::new(),
        }
    }

    fn keep(&mut self, node: u32, base: u32, end: u32, window: &[u64]) {
        let s = self.free.pop().unwrap_or_else(|| {
            self.slab.resize(self.slab.len() + self.words, 0);
            (self.slab.len() / self.words - 1) as u32
        });
        let at = s as usize * self.words;
        self.slab[at..at + self.words].copy_from_slice(window);
        self.slot[node as usize] = Some((s, base));
        self.kept.push_back((node, end));
    }

    /// Drops the windows that end at or before word `base`: they hold no
    /// write item a later window covers.
    fn drop_before(&mut self, base: u32) {
        while let Some(&(node, end)) = self.kept.front() {
            if end > base {
                break;
            }
            self.kept.pop_front();
            if let Some((s, _)) = self.slot[node as usize].take() {
                self.free.push(s);
            }
        }
    }

    /// ORs node `p`'s window into `window`, which starts at word `base`.
    fn union_into(&self, p: u32, base: u32, window: &mut [u64]) {
        let Some((s, p_base)) = self.slot[p as usize] else {
            return;
        };
        let shift = (base - p_base) as usize;
        if shift >= self.words {
            return;
        }
        let at = s as usize * self.words + shift;
        for (w, &x) in window
            .iter_mut()
            .zip(&self.slab[at..at + self.words - shift])
        {
            *w |= x;
        }
    }
}

/// Answers the questions outside a node's window, within a budget of
/// node visits for the whole round. Two searches suit different stores: one
/// forward from the asked-about write, which is short where old writes
/// soon reach everything or the reader soon; and one marking the reader's
/// past back to its oldest question, which is short where the reader reads
/// an old snapshot. A question gets a short forward search and (once per
/// reader) a bounded marking, the one that last answered first, then a full
/// forward search.
struct Search<'a> {
    g: &'a Graph<'a>,
    co: &'a Digraph,
    tuning: Tuning,
    budget: usize,
    /// Per node: the forward search that last reached it.
    seen: Vec<u32>,
    search: u32,
    /// Per node: the marking that last reached it.
    past: Vec<u32>,
    marking: u32,
    /// The reader last marked, and whether its marking completed.
    marked: Option<(u32, bool)>,
    /// Whether a marking answered the last reader that needed a search.
    mark_first: bool,
    stack: Vec<u32>,
}

impl<'a> Search<'a> {
    fn new(g: &'a Graph<'a>, co: &'a Digraph, tuning: Tuning) -> Search<'a> {
        let n = g.nodes.len();
        Search {
            g,
            co,
            tuning,
            budget: 2 * (n + g.reads.len()),
            seen: vec![0; n],
            search: 0,
            past: vec![0; n],
            marking: 0,
            marked: None,
            mark_first: false,
            stack: Vec::new(),
        }
    }

    /// Spends one node visit of `left` and of the budget: `Some(false)` once
    /// `left` is used up, `None` once the budget is.
    fn visit(&mut self, left: &mut usize) -> Option<bool> {
        if *left == 0 {
            return Some(false);
        }
        *left -= 1;
        self.budget = self.budget.checked_sub(1)?;
        Some(true)
    }

    /// Whether `a` CO `v`, for a write `a` that `place` puts at `lo` or
    /// later, `lo` being the same for all of `v`'s questions. The search
    /// that answered the last reader first goes first. `None` once the
    /// budget is spent.
    fn reaches(&mut self, place: &[u32], a: u32, v: u32, lo: u32) -> Option<bool> {
        let unmarked = self.marked.is_none_or(|(m, _)| m != v);
        if self.mark_first && unmarked {
            self.mark(place, v, lo)?;
        }
        if self.marked == Some((v, true)) {
            return Some(self.past[a as usize] == self.marking);
        }
        if let Some(answer) = self.forward(place, a, v, self.tuning.forward_first)? {
            self.mark_first = false;
            return Some(answer);
        }
        if self.marked.is_none_or(|(m, _)| m != v) {
            self.mark(place, v, lo)?;
            if self.marked == Some((v, true)) {
                self.mark_first = true;
                return Some(self.past[a as usize] == self.marking);
            }
        }
        self.forward(place, a, v, usize::MAX)?
    }

    fn mark(&mut self, place: &[u32], v: u32, lo: u32) -> Option<()> {
        let complete = self.mark_past(place, v, lo)?;
        self.marked = Some((v, complete));
        Some(())
    }

    /// Searches forward from `a` for `v` among nodes placed before `v`,
    /// visiting at most `most` nodes (`Some(None)` if that was too few).
    fn forward(&mut self, place: &[u32], a: u32, v: u32, most: usize) -> Option<Option<bool>> {
        self.search += 1;
        let limit = place[v as usize];
        let mut left = most;
        self.stack.clear();
        self.stack.push(a);
        self.seen[a as usize] = self.search;
        while let Some(x) = self.stack.pop() {
            for &(m, _) in self.co.out(x) {
                if m == v {
                    return Some(Some(true));
                }
                if place[m as usize] < limit && self.seen[m as usize] != self.search {
                    if !self.visit(&mut left)? {
                        return Some(None);
                    }
                    self.seen[m as usize] = self.search;
                    self.stack.push(m);
                }
            }
        }
        Some(Some(false))
    }

    /// Marks the nodes of `v`'s strict past that `place` puts at `lo` or
    /// later; whether it did so within `mark_at_most` visits.
    fn mark_past(&mut self, place: &[u32], v: u32, lo: u32) -> Option<bool> {
        let g = self.g;
        self.marking += 1;
        let mut left = self.tuning.mark_at_most;
        self.stack.clear();
        self.stack.push(v);
        while let Some(x) = self.stack.pop() {
            let po = (g.nodes[x as usize].pos > 0).then(|| x - 1);
            let rf = g.reads_of(x).iter().filter_map(|r| match r.src {
                Src::Node(w) => Some(w),
                _ => None,
            });
            for p in po.into_iter().chain(rf) {
                if place[p as usize] >= lo && self.past[p as usize] != self.marking {
                    if !self.visit(&mut left)? {
                        return Some(false);
                    }
                    self.past[p as usize] = self.marking;
                    self.stack.push(p);
                }
            }
        }
        Some(true)
    }
}

impl<'a> Round<'a> {
    /// Numbers the write items along `tau`; windows are as wide as the
    /// round's questions need, up to `max_words`.
    fn new(g: &'a Graph<'a>, tau: &[u32], max_words: usize) -> Round<'a> {
        let n = g.nodes.len();
        let mut place = vec![0u32; n];
        let mut first = vec![0u32; n];
        let mut writer = Vec::with_capacity(g.write_items());
        let mut by_key: Vec<Vec<u32>> = vec![Vec::new(); g.keys];
        for (i, &v) in tau.iter().enumerate() {
            place[v as usize] = i as u32;
            first[v as usize] = writer.len() as u32;
            for w in g.writes_of(v) {
                by_key[w.key_idx as usize].push(writer.len() as u32);
                writer.push(v);
            }
        }
        let asked_from = g
            .reads
            .iter()
            .map(|r| {
                let after = match (r.key_idx, r.src) {
                    (Some(_), Src::Init) => 0,
                    (Some(k), Src::Node(w1)) => {
                        match g.writes_of(w1).iter().position(|x| x.key_idx == k) {
                            Some(i) => first[w1 as usize] + i as u32 + 1,
                            None => return u32::MAX,
                        }
                    }
                    _ => return u32::MAX,
                };
                let items = r.key_idx.map_or(&[][..], |k| &by_key[k as usize]);
                items.partition_point(|&b| b < after) as u32
            })
            .collect();
        let mut round = Round {
            g,
            place,
            first,
            writer,
            by_key,
            asked_from,
            words: 1,
        };
        // A window holds at least its node's own items.
        let own = tau
            .iter()
            .map(|&v| (round.end(v) - round.first[v as usize] / 64) as usize)
            .max()
            .unwrap_or(1);
        let widest = tau
            .iter()
            .filter_map(|&v| {
                let oldest = round.oldest(v)?;
                Some((round.end(v) - oldest / 64) as usize)
            })
            .max()
            .unwrap_or(1);
        round.words = widest.min(max_words).max(own);
        round
    }

    /// The word `v`'s window ends before: the one after its last write item.
    fn end(&self, v: u32) -> u32 {
        (self.first[v as usize] + self.g.writes_of(v).len() as u32).div_ceil(64)
    }

    /// The write items that read item `i` of node `v` asks about,
    /// ascending: those of its key after the write it returned (all, for the
    /// initial value) and before `v`.
    fn asked(&self, v: u32, i: usize) -> impl Iterator<Item = u32> + '_ {
        let from = self.asked_from[i] as usize;
        let items = match self.g.reads[i].key_idx {
            Some(k) => self.by_key[k as usize].get(from..).unwrap_or_default(),
            None => &[],
        };
        let before = self.first[v as usize];
        items.iter().copied().take_while(move |&b| b < before)
    }

    /// The oldest write item any read of `v` asks about.
    fn oldest(&self, v: u32) -> Option<u32> {
        self.g
            .read_range(v)
            .filter_map(|i| self.asked(v, i).next())
            .min()
    }

    /// Adds to `conflicts` the CF edges that τ contradicts and returns how
    /// many; `None` when the history cannot be proved CCv this way.
    fn contradictions(
        &self,
        mut search: Search<'_>,
        order: &[u32],
        conflicts: &mut Vec<(u32, u32, Label)>,
    ) -> Option<usize> {
        let g = self.g;
        let mut windows = Windows::new(self.words, g.nodes.len());
        let mut window = vec![0u64; self.words];
        let mut found = 0;
        for &v in order {
            let end = self.end(v);
            let base = end.saturating_sub(self.words as u32);
            windows.drop_before(base);
            window.fill(0);
            if g.nodes[v as usize].pos > 0 {
                windows.union_into(v - 1, base, &mut window);
            }
            for r in g.reads_of(v) {
                if let Src::Node(w) = r.src {
                    windows.union_into(w, base, &mut window);
                }
            }
            // The oldest question, where a marking of the past would stop.
            let lo = self
                .oldest(v)
                .map_or(0, |b| self.place[self.writer[b as usize] as usize]);
            for i in g.read_range(v) {
                let r = &g.reads[i];
                for b in self.asked(v, i) {
                    let held = match b.checked_sub(base * 64) {
                        Some(o) => window[o as usize / 64] >> (o % 64) & 1 == 1,
                        None => search.reaches(&self.place, self.writer[b as usize], v, lo)?,
                    };
                    if held {
                        // A write of the key in the past of a read of the
                        // initial value: WriteCOInitRead.
                        let Src::Node(w1) = r.src else { return None };
                        conflicts.push((self.writer[b as usize], w1, Label::Cf(i as u32)));
                        found += 1;
                    }
                }
            }
            let first = self.first[v as usize];
            for b in first..first + g.writes_of(v).len() as u32 {
                let o = (b - base * 64) as usize;
                window[o / 64] |= 1 << (o % 64);
            }
            if g.po_next(v).is_some() || !g.writes_of(v).is_empty() {
                windows.keep(v, base, end, &window);
            }
        }
        Some(found)
    }
}
