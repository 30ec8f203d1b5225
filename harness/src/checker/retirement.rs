//! How far retiring bits could shrink the causal pasts, measured offline
//! (issue 4). The checker retires nothing: the module documentation of
//! [`crate::checker`] gives these figures for the bench's histories and why
//! they rule retirement out as a bound on the unions.
//! `CHECKER_RETIREMENT=1 CHECKER_OPS=N cargo bench -p harness --bench checker`
//! prints the profile of one bench history.
//!
//! A bit is live from its write's position in the processing order to the
//! last position a rule keeps it at. A retired bit could be left out of every
//! set built afterwards, so the live bits, and the chunks holding a live bit,
//! are what unions would still have to join. The rules, weakest first:
//! - [`Rule::ReturnedWrite`]: bit w of key x is kept while some read of x not
//!   yet processed returns the initial value, w itself, or a write that is
//!   not processed or whose inclusive past lacks w. A read returning w keeps
//!   it because its check asks whether w is in the pasts of the writes of x
//!   it finds in its own past (WriteCORead, FracturedRead and the guarantees
//!   all ask that), and those may be built after w.
//! - [`Rule::Descendants`]: the same, ignoring the reads after the last node
//!   CO-after w (w is in none of their pasts).
//! - [`Rule::LastQuestion`]: up to the last read whose check asks about the
//!   bit (a candidate of its key not CO-below the returned write, the latest
//!   write of its key for a read of the initial value, or the returned write
//!   of a read with candidates). No rule that leaves every check's answers
//!   unchanged can retire earlier; computing it needs the pasts themselves.
//! - [`Rule::LastMaximal`]: the same counting only CO-maximal candidates: the
//!   bound if the check never had to meet the others.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::bits::CHUNK_BITS;
use super::causal_order;
use super::causal_past::{BLOCK_BITS, Pasts, SCAN_BELOW_WRITES};
use super::graph::{Graph, Src};
use super::history::Record;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    ReturnedWrite,
    Descendants,
    LastQuestion,
    LastMaximal,
}

impl Rule {
    pub const ALL: [Rule; 4] = [
        Rule::ReturnedWrite,
        Rule::Descendants,
        Rule::LastQuestion,
        Rule::LastMaximal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rule::ReturnedWrite => "returned-write",
            Rule::Descendants => "descendants",
            Rule::LastQuestion => "last-question",
            Rule::LastMaximal => "last-maximal",
        }
    }
}

/// Live bits and chunks along the processing order under one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Live {
    pub rule: Rule,
    /// After a quarter, half and three quarters of the order.
    pub bits_at: [usize; 3],
    pub peak_bits: usize,
    pub chunks_at: [usize; 3],
    pub peak_chunks: usize,
    /// Old bits: born in the first half of the order and live after three
    /// quarters of it.
    pub old: usize,
    /// Old bits of the ten keys with the most bits.
    pub old_on_hot_keys: usize,
}

/// What keeps a bit live longest under [`Rule::ReturnedWrite`]: the last read
/// of its key that keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keeper {
    /// No read: the bit goes once the returned writes are processed.
    None,
    /// A read returning the bit's own write.
    Own,
    /// A read returning a write whose past lacks the bit.
    Lacking,
    /// A read returning the initial value.
    Initial,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Nodes in the processing order.
    pub processed: usize,
    pub bits: usize,
    pub chunks: usize,
    /// One per rule of [`Rule::ALL`].
    pub live: Vec<Live>,
    /// Old bits under [`Rule::ReturnedWrite`] by what keeps them: counts for
    /// [`Keeper::Own`], [`Keeper::Lacking`], [`Keeper::Initial`].
    pub old_kept_by: [usize; 3],
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "retirement over {} processed nodes: {} bits in {} chunks of {CHUNK_BITS}; \
             live at 1/4, 1/2, 3/4 of the order and at peak",
            self.processed, self.bits, self.chunks
        )?;
        for l in &self.live {
            let [a, b, c] = l.bits_at;
            let [d, e, g] = l.chunks_at;
            writeln!(
                f,
                "  {:<15} bits {a:>7} {b:>7} {c:>7} peak {:>7} | chunks {d:>4} {e:>4} {g:>4} peak {:>4}",
                l.rule.name(),
                l.peak_bits,
                l.peak_chunks
            )?;
        }
        writeln!(
            f,
            "old bits (born in the first half, live after 3/4), of them on the ten keys with most bits:"
        )?;
        for l in &self.live {
            writeln!(
                f,
                "  {:<15} {:>7} {:>7}",
                l.rule.name(),
                l.old,
                l.old_on_hot_keys
            )?;
        }
        let [own, lacking, initial] = self.old_kept_by;
        writeln!(
            f,
            "old bits under {} kept by a read of: their own write {own}, a write lacking them \
             {lacking}, the initial value {initial}",
            Rule::ReturnedWrite.name()
        )
    }
}

/// Per bit: its key, the position of its write in the processing order,
/// under each rule of [`Rule::ALL`] the last position it is live at, and what
/// keeps it under [`Rule::ReturnedWrite`].
pub(crate) struct Lifetimes {
    pub key: Vec<u32>,
    pub born: Vec<u32>,
    pub last: [Vec<u32>; 4],
    pub kept_by: Vec<Keeper>,
    pub processed: usize,
}

pub(crate) fn lifetimes(history: &[Record]) -> Lifetimes {
    let (g, _) = Graph::build(history);
    let (_, order) = causal_order(&g);
    let mut pasts = Pasts::new(&g, &order, SCAN_BELOW_WRITES, BLOCK_BITS);
    let mut pos = vec![u32::MAX; g.nodes.len()];
    for (p, &v) in order.iter().enumerate() {
        pos[v as usize] = p as u32;
    }
    let bits = pasts.bits() as u32;
    let key: Vec<u32> = (0..bits)
        .map(|i| {
            let w = pasts.writer(i);
            g.writes_of(w)
                .iter()
                .map(|x| x.key_idx)
                .find(|&k| pasts.bit_of(w, k) == Some(i))
                .unwrap_or_default()
        })
        .collect();
    let born: Vec<u32> = (0..bits).map(|i| pos[pasts.writer(i) as usize]).collect();

    let mut asked = born.clone();
    let mut asked_maximal = born.clone();
    // Per key: (position, returned write) of each read that asks anything.
    let mut reads: Vec<Vec<(u32, Option<u32>)>> = vec![Vec::new(); g.keys];
    let mut maximal = Vec::new();
    for (p, &v) in order.iter().enumerate() {
        let p = p as u32;
        let past = pasts.enter(v);
        for r in g.reads_of(v) {
            let w1 = match r.src {
                Src::Init => None,
                Src::Node(w) => Some(w),
                Src::Own | Src::Missing => continue,
            };
            let Some(k) = r.key_idx else { continue };
            reads[k as usize].push((p, w1));
            let Some(w1) = w1 else {
                pasts.each_new(k as usize, &past, None, |i| {
                    asked[i as usize] = p;
                    asked_maximal[i as usize] = p;
                    false
                });
                continue;
            };
            let Some(below) = pasts.past_of(w1) else {
                continue;
            };
            pasts.each_new(k as usize, &past, Some(below), |i| {
                asked[i as usize] = p;
                true
            });
            pasts.not_below(Some(k), Some(w1), &past, &mut maximal);
            for m in &maximal {
                if let Some(i) = pasts.bit_of(*m, k) {
                    asked_maximal[i as usize] = p;
                }
            }
            if let Some(i) = pasts.bit_of(w1, k).filter(|_| !maximal.is_empty()) {
                asked[i as usize] = p;
                asked_maximal[i as usize] = p;
            }
        }
        pasts.leave(v, past);
    }

    let latest = latest_descendant(&g, &order, &pos);
    let rule_last = |until: &dyn Fn(u32) -> u32| -> (Vec<u32>, Vec<Keeper>) {
        (0..bits)
            .map(|i| {
                let w = pasts.writer(i);
                let keeping = &reads[key[i as usize] as usize];
                let keeping = &keeping[..keeping.partition_point(|&(p, _)| p <= until(w))];
                // From the latest read back: the latest read that keeps the
                // bit settles it; those after it only wait for their
                // returned write to be processed.
                let mut last = born[i as usize];
                for &(p, w1) in keeping.iter().rev() {
                    if p <= born[i as usize] {
                        break;
                    }
                    let keeper = match w1 {
                        None => Keeper::Initial,
                        Some(w1) if w1 == w => Keeper::Own,
                        Some(w1) if !pasts.past_of(w1).is_some_and(|s| s.contains(i)) => {
                            Keeper::Lacking
                        }
                        Some(w1) => {
                            last = last.max(pos[w1 as usize]);
                            continue;
                        }
                    };
                    return (last.max(p), keeper);
                }
                (last, Keeper::None)
            })
            .unzip()
    };
    let (returned_write, kept_by) = rule_last(&|_| u32::MAX);
    Lifetimes {
        last: [
            returned_write,
            rule_last(&|w| latest[w as usize]).0,
            asked,
            asked_maximal,
        ],
        kept_by,
        key,
        born,
        processed: order.len(),
    }
}

/// Per node: the latest position in `order` of a node CO-after or equal to
/// it (by dynamic programming backwards over the order).
fn latest_descendant(g: &Graph<'_>, order: &[u32], pos: &[u32]) -> Vec<u32> {
    let mut readers: Vec<Vec<u32>> = vec![Vec::new(); g.nodes.len()];
    for r in &g.reads {
        if let Src::Node(w) = r.src {
            readers[w as usize].push(r.node);
        }
    }
    let mut latest = vec![0u32; g.nodes.len()];
    for &v in order.iter().rev() {
        let next = g
            .po_next(v)
            .into_iter()
            .chain(readers[v as usize].iter().copied());
        latest[v as usize] = next
            .filter(|&m| pos[m as usize] != u32::MAX)
            .map(|m| latest[m as usize])
            .fold(pos[v as usize], u32::max);
    }
    latest
}

/// How many of the (first, last) lifetimes cover each position of `0..n`:
/// at a quarter, half and three quarters, and the peak.
fn coverage(spans: impl Iterator<Item = (u32, u32)>, n: usize) -> ([usize; 3], usize) {
    let mut change = vec![0i64; n + 1];
    for (first, last) in spans {
        change[first as usize] += 1;
        change[last as usize + 1] -= 1;
    }
    let mut live = 0i64;
    let counts: Vec<usize> = change[..n]
        .iter()
        .map(|c| {
            live += c;
            live as usize
        })
        .collect();
    let at = |q: usize| counts.get(n * q / 4).copied().unwrap_or(0);
    (
        [at(1), at(2), at(3)],
        counts.iter().copied().max().unwrap_or(0),
    )
}

/// The live bits and chunks of `history`'s pasts under every rule.
pub fn profile(history: &[Record]) -> Profile {
    let l = lifetimes(history);
    let chunks = l.born.len().div_ceil(CHUNK_BITS);
    let n = l.processed as u32;
    let old = |last: &[u32], i: usize| l.born[i] < n / 2 && last[i] >= n * 3 / 4;
    let mut per_key: BTreeMap<u32, usize> = BTreeMap::new();
    for &k in &l.key {
        *per_key.entry(k).or_default() += 1;
    }
    let mut ranked: Vec<(usize, u32)> = per_key.into_iter().map(|(k, c)| (c, k)).collect();
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    let hot: BTreeSet<u32> = ranked.iter().take(10).map(|&(_, k)| k).collect();
    let live = Rule::ALL
        .iter()
        .zip(&l.last)
        .map(|(&rule, last)| {
            let spans = l.born.iter().copied().zip(last.iter().copied());
            let (bits_at, peak_bits) = coverage(spans.clone(), l.processed);
            let mut chunk_spans = vec![(u32::MAX, 0u32); chunks];
            for (i, (first, last)) in spans.enumerate() {
                let c = &mut chunk_spans[i / CHUNK_BITS];
                *c = (c.0.min(first), c.1.max(last));
            }
            let (chunks_at, peak_chunks) = coverage(chunk_spans.into_iter(), l.processed);
            let old_bits: Vec<usize> = (0..l.born.len()).filter(|&i| old(last, i)).collect();
            Live {
                rule,
                bits_at,
                peak_bits,
                chunks_at,
                peak_chunks,
                old: old_bits.len(),
                old_on_hot_keys: old_bits
                    .iter()
                    .filter(|&&i| hot.contains(&l.key[i]))
                    .count(),
            }
        })
        .collect();
    let mut old_kept_by = [0; 3];
    for i in (0..l.born.len()).filter(|&i| old(&l.last[0], i)) {
        match l.kept_by[i] {
            Keeper::Own => old_kept_by[0] += 1,
            Keeper::Lacking => old_kept_by[1] += 1,
            Keeper::Initial => old_kept_by[2] += 1,
            Keeper::None => {}
        }
    }
    Profile {
        processed: l.processed,
        bits: l.born.len(),
        chunks,
        live,
        old_kept_by,
    }
}
