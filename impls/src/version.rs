//! Keys, values, versions and the last-writer-wins register every design and
//! the database keep per key (reference §3, §4, §10).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::clock::VectorClock;

/// Keys are dense integers `0..keys`; workloads map their names onto them.
pub type Key = u64;

/// Index of a cache server, `0..n`.
pub type NodeId = usize;

/// A value: opaque bytes whose first eight carry a tag unique to the write
/// that produced it (0 for the preloaded initial value), so every read names
/// the write it saw.
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Value(Bytes);

/// Bytes a value needs to carry its tag.
pub const TAG_BYTES: usize = 8;

impl Value {
    /// A value of `size` bytes (at least [`TAG_BYTES`]) carrying `tag`.
    pub fn tagged(tag: u64, size: usize) -> Value {
        let mut b = BytesMut::with_capacity(size.max(TAG_BYTES));
        b.put_u64_le(tag);
        b.resize(size.max(TAG_BYTES), 0);
        Value(b.freeze())
    }

    pub fn from_bytes(bytes: Bytes) -> Value {
        Value(bytes)
    }

    pub fn bytes(&self) -> &Bytes {
        &self.0
    }

    /// The tag of the write that produced this value; 0 for the initial value
    /// and for values too short to carry one.
    pub fn tag(&self) -> u64 {
        match self.0.get(..TAG_BYTES) {
            Some(b) => u64::from_le_bytes(b.try_into().unwrap_or([0; TAG_BYTES])),
            None => 0,
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.tag())
    }
}

/// Dependencies: "I depend on the version of key k identified by this clock,
/// or a later one" (reference §3).
///
/// Shared copy-on-write: a version's deps travel unchanged to every cache
/// (HydroCache notifies all of them) and are copied into unmerged stores and
/// closures, so a clone only counts a reference; the map is copied when a
/// shared set actually changes. The wire size is kept as entries change:
/// every message is sized, and a hot HydroCache key's deps hold thousands of
/// entries (see `hydrocache::lattice::merge_parts`).
#[derive(Clone, PartialEq, Eq, Default, Debug, Serialize, Deserialize)]
#[serde(
    from = "BTreeMap<Key, VectorClock>",
    into = "BTreeMap<Key, VectorClock>"
)]
pub struct Deps(Arc<DepsMap>);

#[derive(Clone, PartialEq, Eq, Default, Debug)]
struct DepsMap {
    clocks: BTreeMap<Key, VectorClock>,
    /// `Deps::encoded_bytes` of `clocks`.
    bytes: usize,
}

fn entry_bytes(vc: &VectorClock) -> usize {
    8 + vc.encoded_bytes()
}

impl Deps {
    pub fn new() -> Deps {
        Deps::default()
    }

    /// Joins `vc` into the dependency on `key`.
    pub fn add(&mut self, key: Key, vc: &VectorClock) {
        if self.0.clocks.get(&key).is_some_and(|d| vc.leq(d)) {
            return;
        }
        let DepsMap { clocks, bytes } = Arc::make_mut(&mut self.0);
        match clocks.entry(key) {
            Entry::Occupied(mut held) => {
                *bytes -= entry_bytes(held.get());
                held.get_mut().merge(vc);
                *bytes += entry_bytes(held.get());
            }
            Entry::Vacant(slot) => {
                *bytes += entry_bytes(vc);
                slot.insert(vc.clone());
            }
        }
    }

    /// Key-wise join.
    pub fn merge(&mut self, other: &Deps) {
        if self.is_empty() || Arc::ptr_eq(&self.0, &other.0) {
            self.0 = Arc::clone(&other.0);
            return;
        }
        for (k, vc) in other.iter() {
            self.add(k, vc);
        }
    }

    pub fn get(&self, key: Key) -> Option<&VectorClock> {
        self.0.clocks.get(&key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Key, &VectorClock)> {
        self.0.clocks.iter().map(|(k, v)| (*k, v))
    }

    pub fn len(&self) -> usize {
        self.0.clocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.clocks.is_empty()
    }

    /// The join of every clock in the set.
    pub fn joined_clock(&self, n: usize) -> VectorClock {
        self.0
            .clocks
            .values()
            .fold(VectorClock::zero(n), |acc, vc| acc.joined(vc))
    }

    /// Bytes on the wire: a key and a clock per entry.
    pub fn encoded_bytes(&self) -> usize {
        self.0.bytes
    }
}

impl From<BTreeMap<Key, VectorClock>> for Deps {
    fn from(clocks: BTreeMap<Key, VectorClock>) -> Deps {
        let bytes = clocks.values().map(entry_bytes).sum();
        Deps(Arc::new(DepsMap { clocks, bytes }))
    }
}

impl From<Deps> for BTreeMap<Key, VectorClock> {
    fn from(deps: Deps) -> BTreeMap<Key, VectorClock> {
        Arc::unwrap_or_clone(deps.0).clocks
    }
}

/// One written version of a key: a `Meta` of the reference without its key.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Version {
    pub value: Value,
    pub vc: VectorClock,
}

/// What a cache entry or a database row holds for one key: the value of the
/// winning version and the join of every version merged into it.
///
/// Reference §4 applies the privilege tie-break to the joined clock; that
/// makes the winner depend on the order of merges (a version dominating an
/// earlier winner can lose to a concurrent one that the join happens to beat),
/// so replicas could diverge. We compare the versions' own clocks instead:
/// happens-before plus privilege is then one total order, and any set of
/// versions merged in any order keeps the same value.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Register {
    /// The value shown to readers.
    pub value: Value,
    /// The clock of the version whose value is shown.
    pub winner: VectorClock,
    /// The join of every merged version: what a reader has now seen.
    pub vc: VectorClock,
}

impl Register {
    pub fn new(version: Version) -> Register {
        Register {
            value: version.value,
            winner: version.vc.clone(),
            vc: version.vc,
        }
    }

    /// The initial value of a preloaded key: tag 0, zero clock.
    pub fn initial(n: usize, value_size: usize) -> Register {
        Register::new(Version {
            value: Value::tagged(0, value_size),
            vc: VectorClock::zero(n),
        })
    }

    /// Merges one version in: the join of clocks, and last-writer-wins on the
    /// versions' own clocks.
    pub fn merge_version(&mut self, version: &Version) {
        if version.vc.lww_cmp(&self.winner) == Ordering::Greater {
            self.value = version.value.clone();
            self.winner.clone_from(&version.vc);
        }
        self.vc.merge(&version.vc);
    }

    /// Merges another register in (both sides may already be joins).
    pub fn merge(&mut self, other: &Register) {
        if other.winner.lww_cmp(&self.winner) == Ordering::Greater {
            self.value = other.value.clone();
            self.winner.clone_from(&other.winner);
        }
        self.vc.merge(&other.vc);
    }

    /// Bytes of causality metadata held with the value.
    pub fn metadata_bytes(&self) -> usize {
        self.winner.encoded_bytes() + self.vc.encoded_bytes()
    }
}

/// One register per key of the key space `0..keys`, every key preloaded with
/// the initial value; a key past the range reads as preloaded too. Only keys
/// that were ever written hold a register of their own, so memory grows with
/// the keys touched, not with keys times clock width (a 256-server cluster
/// over 100,000 keys would otherwise hold gigabytes of initial clocks).
#[derive(Clone, Debug)]
pub struct Registers {
    rows: std::collections::HashMap<Key, Register, crate::fasthash::FastHash>,
    initial: Register,
    keys: u64,
}

impl Registers {
    pub fn preloaded(servers: usize, keys: u64, value_size: usize) -> Registers {
        Registers {
            rows: std::collections::HashMap::default(),
            initial: Register::initial(servers, value_size),
            keys,
        }
    }

    pub fn get(&self, key: Key) -> &Register {
        self.rows.get(&key).unwrap_or(&self.initial)
    }

    pub fn get_mut(&mut self, key: Key) -> &mut Register {
        self.rows.entry(key).or_insert_with(|| self.initial.clone())
    }

    /// The clock width of the preloaded values.
    pub fn servers(&self) -> usize {
        self.initial.vc.len()
    }

    /// Bytes of clocks held over the whole key space (and any key written
    /// past it), untouched keys counted at the initial register's size.
    pub fn metadata_bytes(&self) -> usize {
        let touched: usize = self.rows.values().map(Register::metadata_bytes).sum();
        let inside = self.rows.keys().filter(|&&k| k < self.keys).count() as u64;
        touched + (self.keys - inside) as usize * self.initial.metadata_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn registers_hold_only_written_keys_but_count_the_whole_key_space() {
        let mut r = Registers::preloaded(4, 1_000, 8);
        let initial = r.get(7).clone();
        let per_key = initial.metadata_bytes();
        assert_eq!(r.metadata_bytes(), 1_000 * per_key);
        r.get_mut(7).vc = VectorClock::from_counters(&[1, 0, 0, 0]);
        assert_ne!(r.get(7).vc, initial.vc);
        assert_eq!(r.get(8).vc, initial.vc, "other keys stay preloaded");
        assert_eq!(r.rows.len(), 1);
        r.get_mut(5_000);
        assert_eq!(
            r.metadata_bytes(),
            999 * per_key + r.get(7).metadata_bytes() + per_key,
            "a key past the range counts on top"
        );
    }

    fn version(tag: u64, c: &[u32]) -> Version {
        Version {
            value: Value::tagged(tag, 8),
            vc: VectorClock::from_counters(c),
        }
    }

    #[test]
    fn value_carries_its_tag() {
        let v = Value::tagged(42, 16);
        assert_eq!(v.tag(), 42);
        assert_eq!(v.len(), 16);
        assert_eq!(Value::tagged(7, 2).len(), TAG_BYTES);
    }

    #[test]
    fn later_version_wins_and_clock_joins() {
        let mut r = Register::new(version(1, &[1, 0, 0]));
        r.merge_version(&version(2, &[1, 1, 0]));
        assert_eq!(r.value.tag(), 2);
        r.merge_version(&version(3, &[0, 0, 1]));
        assert_eq!(r.value.tag(), 2, "[1,1,0] is privileged over [0,0,1]");
        assert_eq!(r.vc, VectorClock::from_counters(&[1, 1, 1]));
    }

    #[test]
    fn dominating_version_beats_concurrent_one_the_join_would_beat() {
        // a=[1,0,0] wins against b=[0,5,0]; y=[1,1,1] follows a and is
        // privileged over b, so it must win whatever the merge order.
        let (a, b, y) = (
            version(1, &[1, 0, 0]),
            version(2, &[0, 5, 0]),
            version(3, &[1, 1, 1]),
        );
        let mut r1 = Register::new(a.clone());
        r1.merge_version(&b);
        r1.merge_version(&y);
        let mut r2 = Register::new(a);
        r2.merge_version(&y);
        r2.merge_version(&b);
        assert_eq!(r1.value.tag(), 3);
        assert_eq!(r1, r2);
    }

    proptest! {
        #[test]
        fn merge_order_does_not_matter(clocks in proptest::collection::vec(proptest::collection::vec(0u32..3, 3), 1..6)) {
            let versions: Vec<Version> = clocks.iter().enumerate()
                .map(|(i, c)| version(i as u64 + 1, c)).collect();
            let fold = |order: &mut dyn Iterator<Item = &Version>| {
                let mut r = Register::initial(3, 8);
                for v in order { r.merge_version(v); }
                r
            };
            let forward = fold(&mut versions.iter());
            let backward = fold(&mut versions.iter().rev());
            prop_assert_eq!(forward.vc, backward.vc);
            prop_assert_eq!(forward.winner, backward.winner);
        }

        /// The kept wire size matches a recount however the set was built,
        /// including through shared copies and clocks of different widths.
        #[test]
        fn deps_keep_their_wire_size(adds in proptest::collection::vec(
            (0u64..6, proptest::collection::vec(0u32..4, 1..5)), 0..20)) {
            let mut deps = Deps::new();
            let mut earlier = Vec::new();
            for (key, counters) in &adds {
                earlier.push(deps.clone());
                deps.add(*key, &VectorClock::from_counters(counters));
            }
            let mut joined = Deps::new();
            for d in earlier.iter().chain([&deps]) {
                joined.merge(d);
            }
            for d in earlier.iter().chain([&deps, &joined]) {
                let recount: usize = d.iter().map(|(_, vc)| 8 + vc.encoded_bytes()).sum();
                prop_assert_eq!(d.encoded_bytes(), recount);
            }
            let map: BTreeMap<Key, VectorClock> = deps.clone().into();
            prop_assert_eq!(Deps::from(map), deps);
        }
    }
}
