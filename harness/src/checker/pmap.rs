//! A persistent map from dense `u32` indices to small values: a radix tree of
//! fixed depth with 16-way nodes, shared between versions and copied along the
//! path on a write (`Rc::make_mut`, so a version nobody else holds is
//! updated in place). The checker keeps one version per write of a history;
//! consecutive versions differ in a few paths, so they cost a few hundred
//! bytes each, and `get` is `depth` pointer hops.

use std::rc::Rc;

const BITS: u32 = 4;
const FANOUT: usize = 1 << BITS;

#[derive(Clone)]
enum Node<V> {
    Inner([Option<Rc<Node<V>>>; FANOUT]),
    Leaf([V; FANOUT]),
}

#[derive(Clone)]
pub(crate) struct PMap<V> {
    root: Option<Rc<Node<V>>>,
    /// Levels including the leaves: `FANOUT^levels` covers the domain.
    levels: u32,
}

fn slot(i: u32, level: u32) -> usize {
    ((i >> (level * BITS)) as usize) & (FANOUT - 1)
}

impl<V: Clone + Default> PMap<V> {
    /// An empty map over indices `0..domain`.
    pub fn new(domain: usize) -> PMap<V> {
        let mut levels = 1;
        while (FANOUT as u64).pow(levels) < domain as u64 {
            levels += 1;
        }
        PMap { root: None, levels }
    }

    /// The value at `i`, if one was set. The depth is fixed, so the node kind
    /// at each level is known; a mismatch cannot occur and reads as absent.
    pub fn get(&self, i: u32) -> Option<&V> {
        let mut node = self.root.as_deref()?;
        for level in (1..self.levels).rev() {
            let Node::Inner(children) = node else {
                return None;
            };
            node = children[slot(i, level)].as_deref()?;
        }
        let Node::Leaf(values) = node else {
            return None;
        };
        Some(&values[slot(i, 0)])
    }

    pub fn set(&mut self, i: u32, value: V) {
        let mut at = &mut self.root;
        for level in (1..self.levels).rev() {
            let node = at.get_or_insert_with(|| Rc::new(Node::Inner(Default::default())));
            let Node::Inner(children) = Rc::make_mut(node) else {
                return;
            };
            at = &mut children[slot(i, level)];
        }
        let node = at.get_or_insert_with(|| Rc::new(Node::Leaf(Default::default())));
        if let Node::Leaf(values) = Rc::make_mut(node) {
            values[slot(i, 0)] = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_independent() {
        let mut a: PMap<u32> = PMap::new(100_000);
        for i in (0..50_000).step_by(7) {
            a.set(i, i + 1);
        }
        let b = a.clone();
        a.set(14, 99);
        a.set(99_999, 5);
        assert_eq!(a.get(14), Some(&99));
        assert_eq!(b.get(14), Some(&15));
        assert_eq!(b.get(99_999), None);
        assert_eq!(a.get(99_999), Some(&5));
        assert_eq!(a.get(15), Some(&0), "unset slots of a leaf read as default");
        assert_eq!(PMap::<u32>::new(1).get(0), None);
    }
}
