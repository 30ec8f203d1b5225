//! Dense vector clocks over the N cache servers (Fidge/Mattern), reference §4.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// One counter per cache server. Clusters of up to eight servers keep the
/// clock inline, so cloning one on the hot path does not allocate.
#[derive(PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct VectorClock(SmallVec<[u32; 8]>);

/// By copying the counters as one slice: the derived clone pushes them one
/// at a time, which dominates designs that clone 64-wide clocks per message.
impl Clone for VectorClock {
    fn clone(&self) -> Self {
        VectorClock(SmallVec::from_slice(&self.0))
    }

    fn clone_from(&mut self, source: &Self) {
        self.0.clear();
        self.0.extend_from_slice(&source.0);
    }
}

impl VectorClock {
    /// The all-zero clock of a cluster of `n` servers: the clock of every
    /// preloaded initial value.
    pub fn zero(n: usize) -> Self {
        VectorClock(SmallVec::from_elem(0, n))
    }

    pub fn from_counters(counters: &[u32]) -> Self {
        VectorClock(SmallVec::from_slice(counters))
    }

    pub fn counters(&self) -> &[u32] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|&c| c == 0)
    }

    /// Advances server `i`'s component: a new event at that server.
    pub fn increment(&mut self, i: usize) {
        self.0[i] += 1;
    }

    /// Pointwise maximum (the join of the semilattice). Clocks of different
    /// widths join to the wider one, missing components counting as zero.
    pub fn merge(&mut self, other: &VectorClock) {
        if other.0.len() > self.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mine = &mut self.0[..other.0.len()];
        for (m, t) in mine.iter_mut().zip(other.0.iter()) {
            *m = (*m).max(*t);
        }
    }

    pub fn joined(mut self, other: &VectorClock) -> VectorClock {
        self.merge(other);
        self
    }

    fn component(&self, i: usize) -> u32 {
        self.0.get(i).copied().unwrap_or(0)
    }

    fn width(&self, other: &VectorClock) -> usize {
        self.0.len().max(other.0.len())
    }

    /// Every component of `self` is at most the same component of `other`.
    pub fn leq(&self, other: &VectorClock) -> bool {
        // Clocks of one cluster share a width: compare the slices directly
        // (the simulator calls this millions of times on 64-wide clocks).
        let (a, b) = (self.counters(), other.counters());
        if a.len() == b.len() {
            return a.iter().zip(b).all(|(x, y)| x <= y);
        }
        (0..self.width(other)).all(|i| self.component(i) <= other.component(i))
    }

    /// `self` is in the causal past of `other`.
    pub fn happens_before(&self, other: &VectorClock) -> bool {
        self.leq(other) && !other.leq(self)
    }

    pub fn concurrent(&self, other: &VectorClock) -> bool {
        !self.leq(other) && !other.leq(self)
    }

    /// The deterministic tie-break between concurrent versions (reference §4):
    /// at the first server index where the clocks differ, the larger counter
    /// wins. Returns true when `self` wins over `other`.
    ///
    /// Because happens-before implies a lexicographically larger clock, this
    /// order is a total order that extends causality; designs use it through
    /// [`VectorClock::lww_cmp`] so every replica picks the same winner in any
    /// merge order.
    pub fn privileged_over(&self, other: &VectorClock) -> bool {
        self.lww_cmp(other) == Ordering::Greater
    }

    /// Last-writer-wins order: causal order, and the privilege tie-break
    /// between concurrent clocks. Equal clocks compare equal.
    pub fn lww_cmp(&self, other: &VectorClock) -> Ordering {
        // Same width: lexicographic order of the slices is exactly this order.
        if self.0.len() == other.0.len() {
            return self.counters().cmp(other.counters());
        }
        (0..self.width(other))
            .map(|i| self.component(i).cmp(&other.component(i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }

    /// Bytes this clock takes on the wire or in a cache entry.
    pub fn encoded_bytes(&self) -> usize {
        4 * self.0.len()
    }
}

impl PartialOrd for VectorClock {
    /// The causal partial order: `None` for concurrent clocks.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self.leq(other), other.leq(self)) {
            (true, true) => Some(Ordering::Equal),
            (true, false) => Some(Ordering::Less),
            (false, true) => Some(Ordering::Greater),
            (false, false) => None,
        }
    }
}

impl fmt::Debug for VectorClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vc(c: &[u32]) -> VectorClock {
        VectorClock::from_counters(c)
    }

    fn clock() -> impl Strategy<Value = VectorClock> {
        proptest::collection::vec(0u32..4, 3).prop_map(|c| vc(&c))
    }

    #[test]
    fn order_of_simple_clocks() {
        assert!(vc(&[1, 0, 0]).happens_before(&vc(&[1, 1, 0])));
        assert!(!vc(&[1, 1, 0]).happens_before(&vc(&[1, 1, 0])));
        assert!(vc(&[1, 0, 0]).concurrent(&vc(&[0, 1, 0])));
        assert_eq!(vc(&[1, 0, 0]).partial_cmp(&vc(&[0, 1, 0])), None);
        assert_eq!(vc(&[1, 0]).partial_cmp(&vc(&[1, 2])), Some(Ordering::Less));
        assert!(vc(&[1, 0, 0]) < vc(&[1, 0, 1]));
        // Concurrent clocks are neither below nor at-or-above each other.
        let (a, b) = (vc(&[1, 0, 0]), vc(&[0, 1, 0]));
        assert!(!a.lt(&b) && !a.ge(&b) && !b.lt(&a) && !b.ge(&a));
    }

    #[test]
    fn clones_are_equal_inline_or_spilled() {
        let wide = VectorClock::from_counters(&(0..64).collect::<Vec<u32>>());
        let narrow = vc(&[3, 1, 2]);
        assert_eq!(wide.clone(), wide);
        let mut into = narrow.clone();
        assert_eq!(into, narrow);
        into.clone_from(&wide);
        assert_eq!(into, wide);
        into.clone_from(&narrow);
        assert_eq!(into, narrow);
    }

    #[test]
    fn increment_and_merge() {
        let mut a = vc(&[0, 2, 1]);
        a.increment(0);
        assert_eq!(a, vc(&[1, 2, 1]));
        a.merge(&vc(&[0, 3, 0]));
        assert_eq!(a, vc(&[1, 3, 1]));
    }

    #[test]
    fn tie_break_prefers_larger_counter_at_first_difference() {
        let a = vc(&[2, 0, 0]);
        let b = vc(&[1, 5, 5]);
        assert!(a.concurrent(&b));
        assert!(a.privileged_over(&b));
        assert!(!b.privileged_over(&a));
        assert!(!a.privileged_over(&a));
    }

    proptest! {
        #[test]
        fn partial_order_laws(a in clock(), b in clock(), c in clock()) {
            prop_assert!(a.leq(&a));
            if a.leq(&b) && b.leq(&a) { prop_assert_eq!(&a, &b); }
            if a.leq(&b) && b.leq(&c) { prop_assert!(a.leq(&c)); }
            // Exactly one of: equal, before, after, concurrent.
            let cases = [a == b, a.happens_before(&b), b.happens_before(&a), a.concurrent(&b)];
            prop_assert_eq!(cases.iter().filter(|&&x| x).count(), 1);
            prop_assert_eq!(a.partial_cmp(&b).is_none(), a.concurrent(&b));
        }

        #[test]
        fn join_semilattice_laws(a in clock(), b in clock(), c in clock()) {
            let ab = a.clone().joined(&b);
            prop_assert_eq!(&ab, &b.clone().joined(&a));
            prop_assert_eq!(a.clone().joined(&a), a.clone());
            prop_assert_eq!(ab.clone().joined(&c), a.clone().joined(&b.clone().joined(&c)));
            // The join is the least upper bound.
            prop_assert!(a.leq(&ab) && b.leq(&ab));
            if a.leq(&c) && b.leq(&c) { prop_assert!(ab.leq(&c)); }
        }

        #[test]
        fn mixed_widths_compare_as_if_zero_padded(
            a in proptest::collection::vec(0u32..3, 1..5),
            b in proptest::collection::vec(0u32..3, 1..5),
        ) {
            let width = a.len().max(b.len());
            let pad = |c: &[u32]| {
                let mut p = c.to_vec();
                p.resize(width, 0);
                vc(&p)
            };
            let (va, vb, pa, pb) = (vc(&a), vc(&b), pad(&a), pad(&b));
            prop_assert_eq!(va.leq(&vb), pa.leq(&pb));
            prop_assert_eq!(va.lww_cmp(&vb), pa.lww_cmp(&pb));
            prop_assert_eq!(va.joined(&vb), pa.joined(&pb));
        }

        #[test]
        fn lww_order_is_total_and_extends_causality(a in clock(), b in clock(), c in clock()) {
            if a.happens_before(&b) { prop_assert_eq!(a.lww_cmp(&b), Ordering::Less); }
            prop_assert_eq!(a.lww_cmp(&b), b.lww_cmp(&a).reverse());
            prop_assert_eq!(a.lww_cmp(&b) == Ordering::Equal, a == b);
            if a.lww_cmp(&b).is_le() && b.lww_cmp(&c).is_le() {
                prop_assert!(a.lww_cmp(&c).is_le());
            }
        }
    }
}
