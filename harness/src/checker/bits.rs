//! A persistent bit set over a fixed domain, cut into chunks of
//! [`CHUNK_BITS`] shared between versions (`Rc`): a copy costs one pointer per
//! chunk and a union compares the words of only the chunks whose pointers
//! differ. A union whose result equals the other side's chunk takes that
//! chunk, so a set that merely catches up with another shares its chunks.
//!
//! The checker keeps one set per causal past, over the writes a check may
//! ask about, numbered key by key within blocks of processing order, so that
//! one key's writes in a block are a range that [`Bits::difference_rev`]
//! walks a word at a time.

use std::ops::Range;
use std::rc::Rc;

const WORDS: usize = 16;
/// Bits per chunk.
pub(crate) const CHUNK_BITS: usize = WORDS * 64;

type Chunk = [u64; WORDS];

static ZERO: Chunk = [0; WORDS];

#[derive(Clone)]
pub(crate) struct Bits {
    chunks: Rc<Vec<Option<Rc<Chunk>>>>,
}

fn at(i: u32) -> (usize, usize, u64) {
    let i = i as usize;
    (i / CHUNK_BITS, (i % CHUNK_BITS) / 64, 1 << (i % 64))
}

impl Bits {
    /// The empty set over `0..domain`.
    pub fn new(domain: usize) -> Bits {
        Bits {
            chunks: Rc::new(vec![None; domain.div_ceil(CHUNK_BITS)]),
        }
    }

    pub fn contains(&self, i: u32) -> bool {
        let (c, w, mask) = at(i);
        self.chunks
            .get(c)
            .and_then(Option::as_deref)
            .is_some_and(|chunk| chunk[w] & mask != 0)
    }

    /// Adds `i`; a bit beyond the last chunk is ignored.
    pub fn insert(&mut self, i: u32) {
        let (c, w, mask) = at(i);
        if c >= self.chunks.len() || self.contains(i) {
            return;
        }
        let slot = &mut Rc::make_mut(&mut self.chunks)[c];
        Rc::make_mut(slot.get_or_insert_with(|| Rc::new([0; WORDS])))[w] |= mask;
    }

    /// Chunk `c` of `other` beside `base`'s (zeros if `base` has none), unless
    /// `other` has none or both share it.
    fn changed<'a>(
        base: &'a Bits,
        other: &'a Bits,
        c: usize,
    ) -> Option<(&'a Chunk, &'a Rc<Chunk>)> {
        let theirs = other.chunks.get(c)?.as_ref()?;
        match base.chunks.get(c).and_then(Option::as_ref) {
            Some(mine) if Rc::ptr_eq(mine, theirs) => None,
            Some(mine) => Some((mine, theirs)),
            None => Some((&ZERO, theirs)),
        }
    }

    /// Adds every element of `other` (over the same domain).
    pub fn union_with(&mut self, other: &Bits) {
        if Rc::ptr_eq(&self.chunks, &other.chunks) {
            return;
        }
        for c in 0..other.chunks.len() {
            let Some((m, theirs)) = Bits::changed(self, other, c) else {
                continue;
            };
            let mut new_bits = false;
            let mut only_mine = false;
            for (a, b) in m.iter().zip(theirs.iter()) {
                new_bits |= b & !a != 0;
                only_mine |= a & !b != 0;
            }
            if !new_bits {
                continue;
            }
            let merged = if only_mine {
                let mut u = *m;
                u.iter_mut().zip(theirs.iter()).for_each(|(a, b)| *a |= b);
                Rc::new(u)
            } else {
                Rc::clone(theirs)
            };
            if let Some(slot) = Rc::make_mut(&mut self.chunks).get_mut(c) {
                *slot = Some(merged);
            }
        }
    }

    /// Calls `f` with each element of `self` in `range` and not in `other`
    /// (none if `other` is `None`), in decreasing order, until it returns
    /// false. Walks the range a word at a time and skips the chunks the two
    /// share.
    pub fn difference_rev(
        &self,
        other: Option<&Bits>,
        range: Range<u32>,
        mut f: impl FnMut(u32) -> bool,
    ) {
        if range.is_empty() || other.is_some_and(|o| Rc::ptr_eq(&self.chunks, &o.chunks)) {
            return;
        }
        let (first, last) = (range.start as usize, range.end as usize - 1);
        for c in (first / CHUNK_BITS..=last / CHUNK_BITS).rev() {
            let Some(mine) = self.chunks.get(c).and_then(Option::as_deref) else {
                continue;
            };
            let theirs = match other.and_then(|o| o.chunks.get(c)).and_then(Option::as_ref) {
                Some(t) if std::ptr::eq(&**t, mine) => continue,
                Some(t) => &**t,
                None => &ZERO,
            };
            let base = c * CHUNK_BITS;
            let words = first.max(base) - base..=last.min(base + CHUNK_BITS - 1) - base;
            for w in (words.start() / 64..=words.end() / 64).rev() {
                let mut only = mine[w] & !theirs[w];
                let (lo, hi) = (w * 64, w * 64 + 63);
                if *words.start() > lo {
                    only &= !0 << (words.start() - lo);
                }
                if *words.end() < hi {
                    only &= !0 >> (hi - words.end());
                }
                while only != 0 {
                    let top = 63 - only.leading_zeros();
                    if !f((base + w * 64) as u32 + top) {
                        return;
                    }
                    only &= !(1 << top);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;

    #[test]
    fn union_adds_and_leaves_copies_alone() {
        let domain = 3 * CHUNK_BITS + 5;
        let mut a = Bits::new(domain);
        for i in [0, 70, CHUNK_BITS as u32 + 1, domain as u32 - 1] {
            a.insert(i);
        }
        let before = a.clone();
        let mut b = Bits::new(domain);
        for i in [70, 71, 2 * CHUNK_BITS as u32, domain as u32 - 1] {
            b.insert(i);
        }
        a.union_with(&b);
        for i in [0, 70, 71, CHUNK_BITS as u32 + 1, 2 * CHUNK_BITS as u32] {
            assert!(a.contains(i), "{i}");
        }
        assert!(!before.contains(71) && !before.contains(2 * CHUNK_BITS as u32));
        assert!(!a.contains(72));

        let mut only = Vec::new();
        let all = 0..domain as u32;
        a.difference_rev(Some(&b), all.clone(), |i| {
            only.push(i);
            true
        });
        assert_eq!(only, [CHUNK_BITS as u32 + 1, 0]);
        only.clear();
        a.difference_rev(None, 1..72, |i| {
            only.push(i);
            true
        });
        assert_eq!(only, [71, 70], "the range's ends cut words");
        only.clear();
        a.difference_rev(None, all.clone(), |i| {
            only.push(i);
            false
        });
        assert_eq!(only, [domain as u32 - 1], "stops when told");
        b.difference_rev(Some(&a), all, |_| panic!("b is a subset of a"));

        // A superset's chunk is taken over by pointer.
        let mut c = Bits::new(domain);
        c.insert(70);
        c.union_with(&a);
        assert!(Rc::ptr_eq(
            c.chunks[0].as_ref().unwrap(),
            a.chunks[0].as_ref().unwrap()
        ));
    }

    #[test]
    fn difference_rev_matches_a_naive_walk() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let domain = 3 * CHUNK_BITS + 77;
        for _ in 0..200 {
            let mut a = Bits::new(domain);
            let mut b = Bits::new(domain);
            for _ in 0..rng.random_range(0..300) {
                a.insert(rng.random_range(0..domain as u32));
                b.insert(rng.random_range(0..domain as u32));
            }
            if rng.random_bool(0.3) {
                b.union_with(&a);
                b.insert(rng.random_range(0..domain as u32));
            }
            let lo = rng.random_range(0..domain as u32);
            let hi = rng.random_range(lo..=domain as u32);
            let other = rng.random_bool(0.8).then_some(&b);
            let mut got = Vec::new();
            a.difference_rev(other, lo..hi, |i| {
                got.push(i);
                true
            });
            let expected: Vec<u32> = (lo..hi)
                .rev()
                .filter(|&i| a.contains(i) && !other.is_some_and(|o| o.contains(i)))
                .collect();
            assert_eq!(got, expected, "{lo}..{hi}");
        }
    }
}
