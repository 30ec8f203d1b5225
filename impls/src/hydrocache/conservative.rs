//! The conservative scheduler's plan (baselines.md §1.5 steps 3-4; the
//! artifact's remote-version computation, causalmesh.md §13.1 step 3): from
//! every snapshot's chains, which versions each snapshot must fetch so that
//! every reader of a key reads the join of every version of it seen anywhere.

use std::collections::BTreeMap;

use crate::clock::VectorClock;
use crate::version::{Deps, Key, NodeId};

use super::Fetch;
use super::snapshot::Holder;

/// One pinned snapshot as its version-query reply describes it.
pub struct Pinned {
    pub node: NodeId,
    pub holder: Holder,
    /// The keys it will be read for (the heads of its chains).
    pub reads: Vec<Key>,
    /// Every version in its chains.
    pub versions: Deps,
}

impl Pinned {
    pub fn from_chains(node: NodeId, holder: Holder, chains: &[(Key, Deps)]) -> Pinned {
        let mut versions = Deps::new();
        for (_, chain) in chains {
            versions.merge(chain);
        }
        Pinned {
            node,
            holder,
            reads: chains.iter().map(|(k, _)| *k).collect(),
            versions,
        }
    }
}

/// The key-shipping requests, per node: each snapshot's fetch list.
pub type Shipping = BTreeMap<NodeId, Vec<(Holder, Vec<Fetch>)>>;

/// Plans the fetches. `every_newer`: fetch from every snapshot whose version
/// is not below one's own (artifact); otherwise walk the frontier until the
/// target is reached (published).
pub fn plan_shipping(pinned: &[Pinned], every_newer: bool) -> Shipping {
    let mut target: BTreeMap<Key, VectorClock> = BTreeMap::new();
    // frontier[k]: the maximal versions of k, each with one snapshot holding it.
    let mut frontier: BTreeMap<Key, Vec<(&VectorClock, &Pinned)>> = BTreeMap::new();
    for p in pinned {
        for (key, vc) in p.versions.iter() {
            target
                .entry(key)
                .and_modify(|t| t.merge(vc))
                .or_insert_with(|| vc.clone());
            let maximal = frontier.entry(key).or_default();
            if !maximal.iter().any(|(m, _)| vc.leq(m)) {
                maximal.retain(|(m, _)| !m.leq(vc));
                maximal.push((vc, p));
            }
        }
    }
    let mut shipping = Shipping::new();
    for p in pinned {
        let mut fetches = Vec::new();
        for &key in &p.reads {
            let own = p.versions.get(key).cloned().unwrap_or_default();
            if target.get(&key).is_none_or(|t| t.leq(&own)) {
                continue;
            }
            let candidates: Vec<(&VectorClock, &Pinned)> = if every_newer {
                pinned
                    .iter()
                    .filter_map(|q| q.versions.get(key).map(|vc| (vc, q)))
                    .collect()
            } else {
                frontier.get(&key).cloned().unwrap_or_default()
            };
            let mut have = own;
            for (vc, q) in candidates {
                if !vc.leq(&have) {
                    if !every_newer {
                        have.merge(vc);
                    }
                    fetches.push(Fetch {
                        key,
                        node: q.node,
                        holder: q.holder,
                        need: vc.clone(),
                    });
                }
            }
        }
        shipping
            .entry(p.node)
            .or_default()
            .push((p.holder, fetches));
    }
    shipping
}
