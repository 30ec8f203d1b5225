//! The exact search's causal past of every operation (for the histories the
//! witness does not prove), computed along a topological order of PO ∪ RF
//! as the set of the writes in it that some check may ask about
//! ([`asked_about`]). Each set is a persistent bit set ([`Bits`]) and a
//! node's past is the union of its predecessors' (its PO predecessor's and
//! those of the writes it reads), joined chunk by chunk.
//!
//! Bits belong to write items, not nodes (a transaction writing two keys has
//! one bit per key), and are numbered in processing order a block of
//! [`BLOCK_BITS`] at a time, key by key within a block: the writes of one key
//! are one range of bits per block, in processing order. The read patterns
//! need the writes of the read's key in a past that are not CO-below (or
//! equal to) the write it returned, w1: those are the writes that could be
//! CO-after w1 and the sources of CF edges.
//! They are the bits of the key's ranges set in the reader's past and clear
//! in w1's, found in one of two ways that give the same writes:
//! - testing each bit of the ranges (a key with fewer than
//!   [`SCAN_BELOW_WRITES`] asked-about writes);
//! - comparing the two sets word by word over the ranges, skipping chunks
//!   the two share: one word operation per 64 writes of the key.

use std::ops::Range;

use super::bits::Bits;
use super::graph::{Graph, Src};

/// A key with fewer asked-about writes than this is scanned bit by bit: its
/// range spans few words, not worth the word-wise walk.
pub(crate) const SCAN_BELOW_WRITES: usize = 64;

/// Bits are numbered in blocks of this many, key by key within a block:
/// the bits that change together stay close, and a key's bits in a block are
/// one range.
pub(crate) const BLOCK_BITS: usize = 4096;

/// The bit of a write item that no check asks about.
const UNTRACKED: u32 = u32::MAX;

pub(crate) struct Pasts<'g> {
    g: &'g Graph<'g>,
    /// Per write item of the graph: its bit.
    bit: Vec<u32>,
    /// Per node: the bit of one of its asked-about write items (all of a
    /// node's bits enter a past together).
    node_bit: Vec<u32>,
    /// Per bit: the node that wrote it.
    writer: Vec<u32>,
    /// Per key: its bits, as one range per block that holds any.
    spans: Vec<Vec<Range<u32>>>,
    /// Per key: whether its range is walked word by word.
    wordwise: Vec<bool>,
    /// Per node: whether its inclusive past is kept, for a write that
    /// something reads or follows (the only writes CO-before anything).
    keeps: Vec<bool>,
    /// Inclusive past of every processed write whose past is kept.
    past_of: Vec<Option<Bits>>,
    /// Past of each session's last processed node.
    current: Vec<Option<Bits>>,
}

impl<'g> Pasts<'g> {
    /// Pasts for the nodes of `order`, a topological order of PO ∪ RF that
    /// they will be entered in; keys with at least `scan_below_writes`
    /// asked-about writes are compared word by word; bits are numbered in
    /// blocks of `block_bits` (at least one).
    pub fn new(
        g: &'g Graph<'g>,
        order: &[u32],
        scan_below_writes: usize,
        block_bits: usize,
    ) -> Pasts<'g> {
        let mut read = vec![false; g.nodes.len()];
        for r in &g.reads {
            if let Src::Node(w) = r.src {
                read[w as usize] = true;
            }
        }
        let keeps: Vec<bool> = (0..g.nodes.len() as u32)
            .map(|n| (read[n as usize] || g.po_next(n).is_some()) && !g.writes_of(n).is_empty())
            .collect();
        let asked = asked_about(g, order, &keeps);

        // Number the asked-about items in processing order, a block at a
        // time, key by key within each block.
        let mut items: Vec<(u32, u32, usize)> = Vec::new();
        for &n in order {
            for (item, w) in g.write_range(n).zip(g.writes_of(n)) {
                if asked[item] {
                    items.push((w.key_idx, n, item));
                }
            }
        }
        let mut bit = vec![UNTRACKED; g.write_items()];
        let mut node_bit = vec![UNTRACKED; g.nodes.len()];
        let mut writer = Vec::with_capacity(items.len());
        let mut spans: Vec<Vec<Range<u32>>> = vec![Vec::new(); g.keys];
        let mut writes = vec![0usize; g.keys];
        for block in items.chunks_mut(block_bits.max(1)) {
            block.sort_by_key(|&(k, _, _)| k);
            for &(k, n, item) in block.iter() {
                let i = writer.len() as u32;
                bit[item] = i;
                node_bit[n as usize] = i;
                writer.push(n);
                writes[k as usize] += 1;
                let key_spans = &mut spans[k as usize];
                match key_spans.last_mut() {
                    Some(span) if span.end == i => span.end += 1,
                    _ => key_spans.push(i..i + 1),
                }
            }
        }
        Pasts {
            g,
            bit,
            node_bit,
            writer,
            wordwise: writes.iter().map(|&w| w >= scan_below_writes).collect(),
            spans,
            keeps,
            past_of: vec![None; g.nodes.len()],
            current: vec![None; g.sessions()],
        }
    }

    /// How many bits the sets have.
    pub fn bits(&self) -> usize {
        self.writer.len()
    }

    /// The node that wrote bit `i`.
    pub fn writer(&self, i: u32) -> u32 {
        self.writer[i as usize]
    }

    /// The bit of `w`'s write of key `k`, if some check may ask about it.
    pub fn bit_of(&self, w: u32, k: u32) -> Option<u32> {
        let g = self.g;
        g.write_range(w)
            .zip(g.writes_of(w))
            .find(|(_, x)| x.key_idx == k)
            .map(|(item, _)| self.bit[item])
            .filter(|&i| i != UNTRACKED)
    }

    /// `a` is in the set `past`.
    fn holds(&self, past: &Bits, a: u32) -> bool {
        let i = self.node_bit[a as usize];
        i != UNTRACKED && past.contains(i)
    }

    /// `a` CO `b`, for a processed write `b` (asked only about writes `a`
    /// that [`asked_about`] marks).
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

    /// Calls `f` with the bits of key `k` in `past` and not in `below`,
    /// latest first, until it returns false.
    pub fn each_new(
        &self,
        k: usize,
        past: &Bits,
        below: Option<&Bits>,
        mut f: impl FnMut(u32) -> bool,
    ) {
        let mut more = true;
        for span in self.spans[k].iter().rev() {
            if self.wordwise[k] {
                past.difference_rev(below, span.clone(), |i| {
                    more = f(i);
                    more
                });
            } else {
                for i in span.clone().rev() {
                    if past.contains(i) && !below.is_some_and(|b| b.contains(i)) {
                        more = f(i);
                        if !more {
                            break;
                        }
                    }
                }
            }
            if !more {
                return;
            }
        }
    }

    /// Into `out`, latest first: the CO-maximal writes of key `k` in `past`
    /// that are neither `w1` nor CO-before it. For the initial value (`None`)
    /// only the latest write of `k` in `past`, if any (it is maximal: nothing
    /// processed before it is CO-after it).
    pub fn not_below(&self, k: Option<u32>, w1: Option<u32>, past: &Bits, out: &mut Vec<u32>) {
        out.clear();
        let Some(k) = k else { return };
        let k = k as usize;
        let Some(w1) = w1 else {
            self.each_new(k, past, None, |i| {
                out.push(self.writer[i as usize]);
                false
            });
            return;
        };
        let Some(below) = self.past_of(w1) else {
            return;
        };
        // Latest first: a write CO-below a kept one comes after it.
        self.each_new(k, past, Some(below), |i| {
            let m = self.writer[i as usize];
            if !out.iter().any(|&a| self.co(m, a)) {
                out.push(m);
            }
            true
        });
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
                .unwrap_or_else(|| Bits::new(self.writer.len())),
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
        for item in g.write_range(n) {
            if self.bit[item] != UNTRACKED {
                past.insert(self.bit[item]);
            }
        }
        if self.keeps[n as usize] {
            self.past_of[n as usize] = Some(past.clone());
        }
        if g.po_next(n).is_some() {
            self.current[g.nodes[n as usize].session as usize] = Some(past);
        }
    }
}

/// Per write item: whether a check may ask if it is in a causal past. When
/// checking a read r of key x that returned w1 (a write or the initial
/// value), only writes of x processed before r are asked about: those other
/// than w1 (the candidates for a newer write and for CF edges), and w1 itself
/// when another write of x lies between w1 and r (is w1 CO-before it?). A
/// write of x that every later read of x returns, with no later write of x,
/// needs no bit: the common case for keys written rarely. Only writes whose
/// past is kept (`keeps`) can be in a past at all.
fn asked_about(g: &Graph<'_>, order: &[u32], keeps: &[bool]) -> Vec<bool> {
    let mut asked = vec![false; g.write_items()];
    // Per key: its write items in processing order, of which a prefix is
    // marked (a read marks all but possibly the latest).
    let mut written: Vec<Vec<usize>> = vec![Vec::new(); g.keys];
    let mut marked = vec![0usize; g.keys];
    for &n in order {
        for r in g.reads_of(n) {
            let Some(k) = r.key_idx else { continue };
            let k = k as usize;
            let before = &written[k];
            let returned_latest = match r.src {
                Src::Node(w) => before
                    .last()
                    .is_some_and(|&item| g.write_range(w).contains(&item)),
                Src::Init => false,
                Src::Own | Src::Missing => continue,
            };
            let upto = before.len() - usize::from(returned_latest);
            for &item in before.get(marked[k]..upto).unwrap_or_default() {
                asked[item] = true;
            }
            marked[k] = marked[k].max(upto);
        }
        if keeps[n as usize] {
            for (item, w) in g.write_range(n).zip(g.writes_of(n)) {
                written[w.key_idx as usize].push(item);
            }
        }
    }
    asked
}
