//! A HydroCache key version (baselines.md §1.2): clock, dependencies and
//! value, merged as the lattice join of anna-cache's multi-key causal lattice.

use serde::{Deserialize, Serialize};

use crate::clock::VectorClock;
use crate::version::{Deps, Key, Register};

/// One key's version. The register keeps one value where the lattice keeps a
/// sibling set: functions see only the first value of a set (§1.2), and the
/// register's tie-break picks that value the same way on every node.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct KeyVersion {
    pub register: Register,
    /// "Needs at least this version of that key" (§1.2).
    pub deps: Deps,
}

impl KeyVersion {
    pub fn new(register: Register, deps: Deps) -> KeyVersion {
        KeyVersion { register, deps }
    }

    pub fn vc(&self) -> &VectorClock {
        &self.register.vc
    }

    /// The lattice join (§1.2): a strictly dominating version replaces this
    /// one with its deps and value; a concurrent one joins clocks and deps and
    /// keeps the tie-break's value; a dominated (or equal) one changes
    /// nothing. With `keep_deps` the deps are joined in every case (see
    /// [`merge_parts`]).
    pub fn merge(&mut self, other: &KeyVersion, keep_deps: bool) {
        merge_parts(&mut self.register, &mut self.deps, other, keep_deps);
    }

    /// Whether this version is at or above `need`.
    pub fn covers(&self, need: &VectorClock) -> bool {
        need.leq(self.vc())
    }

    /// Bytes of causality metadata: the clocks and the dependencies.
    pub fn metadata_bytes(&self) -> usize {
        self.register.metadata_bytes() + self.deps.encoded_bytes()
    }

    pub fn encoded_bytes(&self) -> usize {
        self.register.value.len() + self.metadata_bytes()
    }
}

/// The join of [`KeyVersion::merge`] on a register and deps stored apart (the
/// causal cut keeps them in separate tables).
///
///
/// The published lattice lets a dominating version's deps replace the old
/// ones (§1.2). That loses what the old version needed although its
/// successor causally follows it: y@1 needs x@1; a workflow reads y@1 and
/// writes y@2, whose deps ("D without the output key", §1.8) no longer name
/// x; a cache that installs y@2 without ever holding y@1 serves y@2 beside
/// an older x, and a downstream snapshot's chain of y no longer leads to x
/// (a WriteCORead that `cmbench explore --design hydrocache-opt` finds at
/// seed 26). `keep_deps` (`options.hydrocache_keep_deps`) keeps every
/// dependency ever attached to a key, which closes that, at the cost of
/// deps that grow with a hot key's history.
///
/// Even the published join lets a hot key's deps grow: under contention a
/// new write has not seen every concurrent one, so it never strictly
/// dominates the joined version and each merge adds its deps (key 0 of the
/// micro-benchmark at 20,000 wf/s on 64 servers carried about 6,000 after
/// 3 s). Code that meets a key's deps walks them from the smaller side.
pub fn merge_parts(register: &mut Register, deps: &mut Deps, other: &KeyVersion, keep_deps: bool) {
    let dominated = register.vc.happens_before(other.vc());
    let concurrent = register.vc.concurrent(other.vc());
    if dominated {
        *register = other.register.clone();
    } else if concurrent {
        register.merge(&other.register);
    }
    join_deps(deps, &other.deps, dominated, concurrent, keep_deps);
}

/// The deps half of [`merge_parts`], for a store that merges registers its
/// own way (the database's rows): `dominated` when the incoming version
/// strictly dominates, `concurrent` when neither dominates.
pub fn join_deps(
    deps: &mut Deps,
    incoming: &Deps,
    dominated: bool,
    concurrent: bool,
    keep_deps: bool,
) {
    if dominated && !keep_deps {
        *deps = incoming.clone();
    } else if concurrent || keep_deps {
        deps.merge(incoming);
    }
}

/// `deps` without the entry for `key`: a version's own clock already covers
/// its key, so the write drops that dependency (§1.8: "D without the output key").
pub fn deps_without(deps: &Deps, key: Key) -> Deps {
    let mut out = Deps::new();
    for (k, vc) in deps.iter().filter(|(k, _)| *k != key) {
        out.add(k, vc);
    }
    out
}
