//! Cut maintenance shared by every HydroCache variant (baselines.md §1.3):
//! versions arrive in an unmerged store with no guarantee, and dependency
//! resolution moves each one into the causal cut together with its whole
//! dependency closure, fetching missing dependencies from the database.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::clock::VectorClock;
use crate::version::{Deps, Key, Registers};

use super::lattice::{KeyVersion, merge_parts};

/// The causal cut (§1.2): one version per key such that every dependency of
/// every version is covered by the cut's version of that key. Reads and
/// snapshots come only from here. Every key is preloaded with the initial
/// value, as the database is, so the cut never misses.
pub struct CausalCut {
    registers: Registers,
    /// Dependencies of the keys that have some.
    deps: HashMap<Key, Deps>,
}

impl CausalCut {
    pub fn preloaded(servers: usize, keys: u64, value_size: usize) -> CausalCut {
        CausalCut {
            registers: Registers::preloaded(servers, keys, value_size),
            deps: HashMap::new(),
        }
    }

    /// The cut's current version of `key`.
    pub fn version(&self, key: Key) -> KeyVersion {
        KeyVersion::new(
            self.registers.get(key).clone(),
            self.deps.get(&key).cloned().unwrap_or_default(),
        )
    }

    pub fn vc(&self, key: Key) -> &VectorClock {
        &self.registers.get(key).vc
    }

    pub fn covers(&self, key: Key, need: &VectorClock) -> bool {
        need.leq(self.vc(key))
    }

    /// Joins one member of a closure in; only [`Resolver`] calls this, with
    /// every member of the closure in one step.
    fn join(&mut self, key: Key, version: &KeyVersion, keep_deps: bool) {
        let deps = self.deps.entry(key).or_default();
        merge_parts(self.registers.get_mut(key), deps, version, keep_deps);
        if deps.is_empty() {
            self.deps.remove(&key);
        }
    }

    /// Whether every dependency of `key`'s version is covered (§1.2).
    pub fn is_closed_at(&self, key: Key) -> bool {
        self.deps
            .get(&key)
            .is_none_or(|deps| deps.iter().all(|(d, need)| self.covers(d, need)))
    }

    /// Whether the whole cut is a causal cut.
    pub fn is_causal(&self) -> bool {
        self.deps.keys().all(|&k| self.is_closed_at(k))
    }

    pub fn metadata_bytes(&self) -> u64 {
        let clocks = self.registers.metadata_bytes();
        let deps: usize = self.deps.values().map(Deps::encoded_bytes).sum();
        (clocks + deps) as u64
    }
}

/// A head key's closure being assembled (§1.3 "in-preparation").
#[derive(Default)]
struct Preparation {
    /// Dependency key -> the version that will enter the cut with the head.
    closure: BTreeMap<Key, KeyVersion>,
    /// Dependency key -> the least clock still missing (§1.3 "to-fetch").
    missing: BTreeMap<Key, VectorClock>,
}

/// The unmerged store, the in-preparation closures and the cut, under the
/// cache's single event loop: a closure enters the cut in one step, so no
/// reader sees part of it (§1.3).
pub struct Resolver {
    pub cut: CausalCut,
    /// The newest known version of each key, joined, with no guarantee.
    unmerged: HashMap<Key, KeyVersion>,
    /// Keys whose unmerged version changed since the last migration.
    dirty: BTreeSet<Key>,
    preparing: BTreeMap<Key, Preparation>,
    /// Dependency key -> heads waiting for a newer version of it.
    waiting: HashMap<Key, BTreeSet<Key>>,
    /// Keys with a dependency GET to the database in flight.
    fetching: BTreeSet<Key>,
    /// `options.hydrocache_keep_deps` (see `lattice::merge_parts`).
    keep_deps: bool,
}

impl Resolver {
    pub fn new(cut: CausalCut, keep_deps: bool) -> Resolver {
        Resolver {
            cut,
            unmerged: HashMap::new(),
            dirty: BTreeSet::new(),
            preparing: BTreeMap::new(),
            waiting: HashMap::new(),
            fetching: BTreeSet::new(),
            keep_deps,
        }
    }

    /// A version arrived (notification, GET reply, peer fetch): join it into
    /// the unmerged store and resume every closure that waited for it.
    /// Keys to GET from the database are pushed onto `gets`.
    pub fn arrive(&mut self, key: Key, version: &KeyVersion, gets: &mut Vec<Key>) {
        let keep_deps = self.keep_deps;
        self.unmerged
            .entry(key)
            .and_modify(|v| v.merge(version, keep_deps))
            .or_insert_with(|| version.clone());
        self.dirty.insert(key);
        for head in self.waiting.remove(&key).unwrap_or_default() {
            let Some(mut prep) = self.preparing.remove(&head) else {
                continue;
            };
            let retry: Vec<(Key, VectorClock)> = prep
                .missing
                .remove(&key)
                .map(|need| (key, need))
                .into_iter()
                .collect();
            self.resolve(head, &mut prep, retry, gets);
            self.finish_or_park(head, prep);
        }
    }

    /// The database answered a dependency GET for `key`.
    pub fn fetched(&mut self, key: Key, version: &KeyVersion, gets: &mut Vec<Key>) {
        self.fetching.remove(&key);
        self.arrive(key, version, gets);
    }

    /// Periodic migration (§1.3): every key whose unmerged version is not in
    /// the cut starts (or, if one is under way, keeps) its closure.
    pub fn migrate(&mut self, gets: &mut Vec<Key>) {
        let dirty = std::mem::take(&mut self.dirty);
        for key in dirty {
            if self.preparing.contains_key(&key) {
                // One closure per head at a time; the newer version goes next round.
                self.dirty.insert(key);
            } else {
                self.try_install(key, gets);
            }
        }
    }

    /// try_install (§1.3): the head's unmerged version with its closure.
    pub fn try_install(&mut self, head: Key, gets: &mut Vec<Key>) {
        if self.preparing.contains_key(&head) {
            return;
        }
        let Some(version) = self
            .unmerged
            .get(&head)
            .filter(|v| !self.cut.covers(head, v.vc()))
        else {
            return;
        };
        let needs: Vec<(Key, VectorClock)> =
            version.deps.iter().map(|(k, vc)| (k, vc.clone())).collect();
        let mut prep = Preparation::default();
        prep.closure.insert(head, version.clone());
        self.resolve(head, &mut prep, needs, gets);
        self.finish_or_park(head, prep);
    }

    /// resolve (§1.3): adds to the closure every dependency the cut lacks and
    /// the unmerged store has, transitively; records the rest as missing and
    /// asks the database for them.
    fn resolve(
        &mut self,
        head: Key,
        prep: &mut Preparation,
        mut needs: Vec<(Key, VectorClock)>,
        gets: &mut Vec<Key>,
    ) {
        while let Some((dep, need)) = needs.pop() {
            if self.cut.covers(dep, &need)
                || prep.closure.get(&dep).is_some_and(|v| v.covers(&need))
            {
                continue;
            }
            match self.unmerged.get(&dep).filter(|v| v.covers(&need)) {
                Some(version) => {
                    needs.extend(version.deps.iter().map(|(k, vc)| (k, vc.clone())));
                    prep.closure
                        .entry(dep)
                        .and_modify(|v| v.merge(version, self.keep_deps))
                        .or_insert_with(|| version.clone());
                }
                None => {
                    prep.missing
                        .entry(dep)
                        .and_modify(|m| m.merge(&need))
                        .or_insert(need);
                    self.waiting.entry(dep).or_default().insert(head);
                    if self.fetching.insert(dep) {
                        gets.push(dep);
                    }
                }
            }
        }
    }

    /// install (§1.3): the whole closure enters the cut at once, or the
    /// preparation waits for its missing dependencies.
    fn finish_or_park(&mut self, head: Key, prep: Preparation) {
        if !prep.missing.is_empty() {
            self.preparing.insert(head, prep);
            return;
        }
        for (key, version) in &prep.closure {
            self.cut.join(*key, version, self.keep_deps);
        }
        debug_assert!(
            prep.closure.keys().all(|&k| self.cut.is_closed_at(k)),
            "a closure entered the cut without its dependencies"
        );
    }

    /// Whether `head` waits for dependencies before it can enter the cut.
    pub fn is_preparing(&self, head: Key) -> bool {
        self.preparing.contains_key(&head)
    }

    pub fn metadata_bytes(&self) -> u64 {
        let unmerged: usize = self.unmerged.values().map(KeyVersion::metadata_bytes).sum();
        let preparing: usize = self
            .preparing
            .values()
            .map(|p| {
                p.closure
                    .values()
                    .map(KeyVersion::metadata_bytes)
                    .sum::<usize>()
                    + p.missing
                        .values()
                        .map(|vc| 8 + vc.encoded_bytes())
                        .sum::<usize>()
            })
            .sum();
        self.cut.metadata_bytes() + (unmerged + preparing) as u64
    }
}
