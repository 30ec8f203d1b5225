//! The optimistic check at a function's cache (baselines.md §1.6; the
//! artifact's Prepare, causalmesh.md §13.2): read at least what upstream
//! implies, never read locally what needs newer data than the workflow read,
//! and abort when the only fallback, an upstream copy, does not exist.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::clock::VectorClock;
use crate::version::{Deps, Key, NodeId};

use super::Fetch;
use super::lattice::KeyVersion;
use super::snapshot::{Holder, Snapshot};

/// A version held in an upstream snapshot, and where it can be fetched.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Held {
    pub vc: VectorClock,
    pub node: NodeId,
    pub holder: Holder,
}

/// F (§1.6): per key, the maximal versions in upstream snapshots. The
/// artifact's su keeps one joined clock per key instead (§13.2).
#[derive(Clone, Default, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Frontier(BTreeMap<Key, Vec<Held>>);

impl Frontier {
    /// Adds a version, keeping only maximal ones (published) or one joined
    /// clock per key (`joined`, the artifact's su).
    pub fn add(&mut self, key: Key, held: Held, joined: bool) {
        let entries = self.0.entry(key).or_default();
        if joined {
            let vc = entries
                .iter()
                .fold(held.vc.clone(), |acc, h| acc.joined(&h.vc));
            *entries = vec![Held { vc, ..held }];
        } else if !entries.iter().any(|h| held.vc.leq(&h.vc)) {
            entries.retain(|h| !h.vc.leq(&held.vc));
            entries.push(held);
        }
    }

    /// Adds every version of `other`, keeping only maximal ones per key. In
    /// the artifact's joined form a key may then hold two concurrent clocks
    /// until its next `add` folds them into one; checks read every entry of a
    /// key either way.
    pub fn merge(&mut self, other: &Frontier) {
        for (key, held) in &other.0 {
            for h in held {
                self.add(*key, h.clone(), false);
            }
        }
    }

    pub fn get(&self, key: Key) -> &[Held] {
        self.0.get(&key).map_or(&[], Vec::as_slice)
    }

    /// Per key, the join of its versions: the artifact's su as a clock map.
    pub fn joined(&self) -> Deps {
        let mut deps = Deps::new();
        for (k, held) in &self.0 {
            for h in held {
                deps.add(*k, &h.vc);
            }
        }
        deps
    }

    pub fn encoded_bytes(&self) -> usize {
        self.0
            .values()
            .flatten()
            .map(|h| 8 + h.vc.encoded_bytes() + 16)
            .sum()
    }
}

/// Where the check fetches frontier versions from.
pub enum FetchFrom {
    /// The snapshot each frontier entry names (§1.6).
    Holders,
    /// The previous function's node, whatever the entry names (§13.2);
    /// `None` for a workflow's first function.
    Parent(Option<NodeId>),
}

/// How the check runs for a variant.
pub struct Rules {
    pub fetch_from: FetchFrom,
    pub cascade: bool,
}

/// What the function's cache must do before the function reads.
#[derive(Debug, Default)]
pub struct FetchPlan {
    pub fetches: Vec<Fetch>,
    /// Keys read from fetched versions only.
    pub dropped: BTreeSet<Key>,
}

/// Runs the check on a freshly pinned snapshot; `None` means abort.
pub fn check(
    snapshot: &Snapshot,
    reads: &[Key],
    read: &Deps,
    frontier: &Frontier,
    rules: &Rules,
) -> Option<FetchPlan> {
    let mut c = Check {
        snapshot,
        reads,
        read,
        frontier,
        rules,
        plan: FetchPlan::default(),
        fetched: BTreeMap::new(),
    };
    // up -> down: read at least what upstream snapshots imply.
    for &key in reads {
        let mut have = snapshot
            .pinned(key)
            .map(|v| v.vc().clone())
            .unwrap_or_default();
        for held in frontier.get(key) {
            if !held.vc.leq(&have) {
                have.merge(&held.vc);
                c.fetch(key, held)?;
            }
        }
    }
    // down -> up: a local version must not need newer data than the workflow
    // read (the key itself included: repeatable reads).
    for &key in reads {
        if !c.plan.dropped.contains(&key) && c.conflicts(key) && !c.drop_local(key) {
            return None;
        }
    }
    Some(c.plan)
}

/// Whether a version fetched for `key` needs no newer data than the
/// workflow read: the down -> up rule (§1.6) applied to upstream copies, on
/// the version's own dependencies. The published protocol fetches exactly
/// the frontier's versions, which pass; the artifact's parent serves
/// whatever its snapshot holds at least as new as su (§13.2), which may be a
/// version no function read that depends on newer data than R, and reading
/// it would break the workflow's snapshot.
pub fn fits(read: &Deps, key: Key, version: &KeyVersion) -> bool {
    // Walked from R's side, the smaller one (a hot key's deps can hold
    // thousands of keys).
    read.iter()
        .filter(|&(d, _)| d != key)
        .all(|(d, r)| version.deps.get(d).is_none_or(|need| need.leq(r)))
}

struct Check<'a> {
    snapshot: &'a Snapshot,
    reads: &'a [Key],
    read: &'a Deps,
    frontier: &'a Frontier,
    rules: &'a Rules,
    plan: FetchPlan,
    /// Per key, the join of the versions planned for fetching.
    fetched: BTreeMap<Key, VectorClock>,
}

impl Check<'_> {
    fn conflicts(&self, key: Key) -> bool {
        self.snapshot
            .chain(key)
            .iter()
            .any(|(d, v)| self.read.get(*d).is_some_and(|r| !v.vc().leq(r)))
    }

    /// Plans a fetch of `held`; `None` when there is nowhere to fetch it from
    /// (the artifact's first function has no upstream).
    fn fetch(&mut self, key: Key, held: &Held) -> Option<()> {
        let (node, holder) = match self.rules.fetch_from {
            FetchFrom::Parent(parent) => (parent?, Holder::Node),
            FetchFrom::Holders => (held.node, held.holder),
        };
        let same = |f: &&mut Fetch| f.key == key && f.node == node && f.holder == holder;
        match self.plan.fetches.iter_mut().find(same) {
            Some(f) => f.need.merge(&held.vc),
            None => self.plan.fetches.push(Fetch {
                key,
                node,
                holder,
                need: held.vc.clone(),
            }),
        }
        self.fetched
            .entry(key)
            .and_modify(|vc| vc.merge(&held.vc))
            .or_insert_with(|| held.vc.clone());
        Some(())
    }

    /// drop_local (§1.6): read `key` from upstream copies only; false when
    /// there are none.
    fn drop_local(&mut self, key: Key) -> bool {
        self.plan.dropped.insert(key);
        let upstream = self.frontier.get(key);
        if upstream.is_empty() {
            return false;
        }
        for held in upstream {
            let covered = self.fetched.get(&key).is_some_and(|vc| held.vc.leq(vc));
            if !covered && self.fetch(key, held).is_none() {
                return false;
            }
        }
        if !self.rules.cascade {
            return true;
        }
        let upstream_join = upstream
            .iter()
            .fold(VectorClock::default(), |acc, h| acc.joined(&h.vc));
        let reads = self.reads;
        for &other in reads {
            let newer = self
                .snapshot
                .chain(other)
                .get(&key)
                .is_some_and(|v| !v.vc().leq(&upstream_join));
            if !self.plan.dropped.contains(&other) && newer && !self.drop_local(other) {
                return false;
            }
        }
        true
    }
}
