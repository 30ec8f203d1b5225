//! A persistent bit set over a fixed domain, cut into chunks of
//! [`CHUNK_BITS`] shared between versions (`Rc`): a copy costs one pointer per
//! chunk and a union compares the words of only the chunks whose pointers
//! differ. A union whose result equals the other side's chunk takes that
//! chunk, so a set that merely catches up with another shares its chunks.
//!
//! The checker keeps one set per causal past, over the writes that some
//! operation reads or follows in its session, numbered in the processing
//! order, so the chunks that change most are the last few.

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

    /// Calls `f` with each element of `self` not in `other`, in increasing
    /// order, unless there are more than `limit` of them: then it stops
    /// early and returns false.
    pub fn difference(&self, other: &Bits, limit: usize, mut f: impl FnMut(u32)) -> bool {
        if Rc::ptr_eq(&self.chunks, &other.chunks) {
            return true;
        }
        let mut count = 0;
        for c in 0..self.chunks.len() {
            let Some((t, mine)) = Bits::changed(other, self, c) else {
                continue;
            };
            for (w, (a, b)) in mine.iter().zip(t.iter()).enumerate() {
                let mut only = a & !b;
                count += only.count_ones() as usize;
                if count > limit {
                    return false;
                }
                while only != 0 {
                    f((c * CHUNK_BITS + w * 64) as u32 + only.trailing_zeros());
                    only &= only - 1;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
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
        assert!(a.difference(&b, 10, |i| only.push(i)));
        assert_eq!(only, [0, CHUNK_BITS as u32 + 1]);
        assert!(
            !a.difference(&b, 1, |_| {}),
            "two elements are over the limit"
        );
        assert!(b.difference(&a, 0, |_| panic!("b is a subset of a")));

        // A superset's chunk is taken over by pointer.
        let mut c = Bits::new(domain);
        c.insert(70);
        c.union_with(&a);
        assert!(Rc::ptr_eq(
            c.chunks[0].as_ref().unwrap(),
            a.chunks[0].as_ref().unwrap()
        ));
    }
}
