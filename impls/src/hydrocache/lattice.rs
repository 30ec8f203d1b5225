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

    /// The lattice join (§1.2) of the register: a strictly dominating
    /// version replaces it, a concurrent one joins clocks and keeps the
    /// tie-break's value, a dominated (or equal) one changes nothing. The
    /// deps are joined in every case (see [`merge_parts`]).
    pub fn merge(&mut self, other: &KeyVersion) {
        merge_parts(&mut self.register, &mut self.deps, other);
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
/// Deps only grow, where the published lattice lets a dominating version's
/// deps replace the old ones (§1.2). Replacing loses what the old version
/// needed although its successor causally follows it: y@1 needs x@1; a
/// workflow reads y@1 and writes y@2, whose deps ("D without the output
/// key", §1.8) no longer name x; a cache that installs y@2 without ever
/// holding y@1 serves y@2 beside an older x, and a downstream snapshot's
/// chain of y no longer leads to x (a WriteCORead that `cmbench explore
/// --design hydrocache-opt` found at seed 26). Keeping every dependency ever
/// attached to a key closes that, at the cost of deps that grow with a hot
/// key's history (README, HydroCache).
pub fn merge_parts(register: &mut Register, deps: &mut Deps, other: &KeyVersion) {
    if register.vc.happens_before(other.vc()) {
        *register = other.register.clone();
    } else if register.vc.concurrent(other.vc()) {
        register.merge(&other.register);
    }
    deps.merge(&other.deps);
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
