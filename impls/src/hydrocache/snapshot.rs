//! The per-function pinned snapshot, HydroCache's "version store"
//! (baselines.md §1.4), with the prepared view built on it (§1.5 step 5,
//! §1.6).

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::VectorClock;
use crate::version::{Deps, Key};

use super::cut::CausalCut;
use super::lattice::KeyVersion;

/// Who a snapshot belongs to at its node.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize,
)]
pub enum Holder {
    /// One function of the workflow (§1.4).
    Function(usize),
    /// The node as a whole, as the artifact stores one snapshot per request
    /// id (causalmesh.md §13); a later prepare at the node replaces it.
    Node,
}

#[derive(Default, Debug)]
pub struct Snapshot {
    /// The cut's versions at pin time: each read key and, transitively, each
    /// dependency key in the workflow's full read set. Later changes to the
    /// cut do not reach them; peers fetch from here.
    pinned: BTreeMap<Key, KeyVersion>,
    /// Versions fetched from peers' snapshots, joined per key.
    fetched: BTreeMap<Key, KeyVersion>,
    /// Keys whose pinned version the optimistic check dropped: they read the
    /// fetched versions only (§1.6 `remove_from_local_readset`).
    dropped: BTreeSet<Key>,
}

impl Snapshot {
    /// save_versions (§1.4). The walk stays inside the full read set (sorted,
    /// as `WorkflowPlan::full_read_set` gives it), which bounds a workflow's
    /// metadata and is all any function of it can read.
    pub fn pin(cut: &CausalCut, reads: &[Key], full_read_set: &[Key]) -> Snapshot {
        let mut pinned = BTreeMap::new();
        let mut todo: Vec<Key> = reads.to_vec();
        while let Some(key) = todo.pop() {
            if pinned.contains_key(&key) {
                continue;
            }
            let version = cut.version(key);
            // From the read set's side: a hot key's deps grow to thousands
            // of keys under contention (see `lattice::merge_parts`), the read set
            // has a handful.
            todo.extend(
                full_read_set
                    .iter()
                    .copied()
                    .filter(|&d| version.deps.get(d).is_some() && !pinned.contains_key(&d)),
            );
            pinned.insert(key, version);
        }
        Snapshot {
            pinned,
            fetched: BTreeMap::new(),
            dropped: BTreeSet::new(),
        }
    }

    pub fn pinned(&self, key: Key) -> Option<&KeyVersion> {
        self.pinned.get(&key)
    }

    /// The chain of `head` (§1.4): the head and the pinned versions of its
    /// dependencies, transitively, as key -> version.
    pub fn chain(&self, head: Key) -> BTreeMap<Key, &KeyVersion> {
        let mut chain = BTreeMap::new();
        let mut todo = vec![head];
        while let Some(key) = todo.pop() {
            let Some(version) = self.pinned.get(&key) else {
                continue;
            };
            if chain.insert(key, version).is_none() {
                todo.extend(
                    self.pinned
                        .keys()
                        .copied()
                        .filter(|&d| version.deps.get(d).is_some()),
                );
            }
        }
        chain
    }

    /// The chain of `head` as clocks, as the scheduler receives it (§1.5 step 2).
    pub fn chain_clocks(&self, head: Key) -> Deps {
        let mut deps = Deps::new();
        for (key, version) in self.chain(head) {
            deps.add(key, version.vc());
        }
        deps
    }

    /// The clocks of every version in the chains of the keys read locally
    /// (not dropped): the frontier entries this snapshot offers downstream (§1.6).
    pub fn local_chains(&self, reads: &[Key]) -> BTreeMap<Key, VectorClock> {
        let mut out = BTreeMap::new();
        for &head in reads.iter().filter(|k| !self.dropped.contains(k)) {
            for (key, version) in self.chain(head) {
                out.insert(key, version.vc().clone());
            }
        }
        out
    }

    /// A view is read once and dropped, so its versions join as published
    /// whatever `options.hydrocache_keep_deps` says; the cut keeps deps.
    pub fn add_fetched(&mut self, key: Key, version: &KeyVersion) {
        self.fetched
            .entry(key)
            .and_modify(|v| v.merge(version, false))
            .or_insert_with(|| version.clone());
    }

    pub fn drop_local(&mut self, key: Key) {
        self.dropped.insert(key);
    }

    /// What a function reads for `key`: its pinned version (unless dropped)
    /// joined with what was fetched for it.
    pub fn view(&self, key: Key) -> Option<KeyVersion> {
        let local = self
            .pinned
            .get(&key)
            .filter(|_| !self.dropped.contains(&key));
        match (local, self.fetched.get(&key)) {
            (Some(l), Some(f)) => {
                let mut v = l.clone();
                v.merge(f, false);
                Some(v)
            }
            (l, f) => l.or(f).cloned(),
        }
    }

    pub fn metadata_bytes(&self) -> u64 {
        let versions: usize = self
            .pinned
            .values()
            .chain(self.fetched.values())
            .map(KeyVersion::metadata_bytes)
            .sum();
        (versions + 8 * self.dropped.len()) as u64
    }
}
