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
    /// keeps the tie-break's value; a dominated (or equal) one changes nothing.
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
pub fn merge_parts(register: &mut Register, deps: &mut Deps, other: &KeyVersion) {
    if register.vc.happens_before(other.vc()) {
        *register = other.register.clone();
        *deps = other.deps.clone();
    } else if register.vc.concurrent(other.vc()) {
        register.merge(&other.register);
        deps.merge(&other.deps);
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
