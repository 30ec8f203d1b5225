//! The multi-version transactional store under FaaSTCC (baselines §2.2,
//! §2.3, §2.7): a hybrid logical clock, every committed version of every key,
//! a stable time below which nothing can still commit, promises, the
//! participant side of two-phase commit, and the stream of newly visible
//! versions. One partition: the emulated database is a single store, so the
//! visible time is this partition's own upper bound and no heartbeats are
//! exchanged. Pure, like the designs: time is the `now` argument, so any
//! backend can hold one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::db::{DbReply, DbRequest, PromisedVersion, Ts, TxnId};
use crate::design::Micros;
use crate::version::{Key, Value};

/// How long a transaction may stay prepared before the store commits it on
/// its own (§2.7: the authors' 20 ms).
pub const FORCE_COMMIT_AFTER: Micros = 20_000;

/// A hybrid logical clock in microseconds (§2.2 uses nanoseconds).
#[derive(Clone, Copy, Default, Debug)]
pub struct Hlc {
    now: Ts,
}

impl Hlc {
    /// One event at physical time `physical`, after seeing timestamp `seen`:
    /// hlc := max(hlc + 1, physical, seen + 1).
    pub fn tick(&mut self, physical: Micros, seen: Ts) -> Ts {
        self.now = self
            .now
            .saturating_add(1)
            .max(physical)
            .max(seen.saturating_add(1));
        self.now
    }

    pub fn now(&self) -> Ts {
        self.now
    }
}

struct Prepared {
    writes: Vec<(Key, Value)>,
    ts: Ts,
    /// Physical time of the prepare, for the force-commit rule.
    at: Micros,
}

/// What one request did: the answer for the requester and the versions that
/// became visible, for every subscriber.
#[derive(Debug, Default)]
pub struct StoreStep {
    pub reply: Option<DbReply>,
    pub pushes: Vec<DbReply>,
}

pub struct MvStore {
    clock: Hlc,
    /// Every key starts with this value at timestamp 0 (the preload).
    initial: Value,
    /// Versions committed after the preload, by commit timestamp.
    versions: HashMap<Key, BTreeMap<Ts, Value>>,
    prepared: HashMap<TxnId, Prepared>,
    /// Committed but not yet applied, in commit-timestamp order.
    committed: BTreeMap<(Ts, TxnId), Vec<(Key, Value)>>,
    force_commit_after: Micros,
}

impl MvStore {
    /// A store where every key holds `initial` at timestamp 0.
    pub fn preloaded(initial: Value) -> MvStore {
        MvStore {
            clock: Hlc::default(),
            initial,
            versions: HashMap::new(),
            prepared: HashMap::new(),
            committed: BTreeMap::new(),
            force_commit_after: FORCE_COMMIT_AFTER,
        }
    }

    pub fn with_force_commit_after(mut self, after: Micros) -> MvStore {
        self.force_commit_after = after;
        self
    }

    pub fn clock(&self) -> Ts {
        self.clock.now()
    }

    /// UB (§2.2): the smallest pending prepare timestamp, or the clock. A
    /// prepared transaction commits at or above its prepare timestamp and a
    /// new one prepares above the clock, so nothing can still appear below UB.
    fn upper_bound(&self) -> Ts {
        self.prepared
            .values()
            .map(|p| p.ts)
            .min()
            .unwrap_or(self.clock.now())
    }

    /// The newest instant whose state is final: UB − 1 (the safer rule of
    /// §2.2, since a pending transaction may still commit exactly at UB).
    pub fn stable_time(&self) -> Ts {
        self.upper_bound().saturating_sub(1)
    }

    /// The version of `key` at instant `t` (its commit timestamp and value).
    pub fn version_at(&self, key: Key, t: Ts) -> (Ts, &Value) {
        self.versions
            .get(&key)
            .and_then(|vs| vs.range(..=t).next_back())
            .map_or((0, &self.initial), |(&ts, v)| (ts, v))
    }

    /// Every applied version of `key` after the preload, oldest first.
    pub fn versions(&self, key: Key) -> impl Iterator<Item = (Ts, &Value)> {
        self.versions
            .get(&key)
            .into_iter()
            .flat_map(|vs| vs.iter().map(|(&ts, v)| (ts, v)))
    }

    /// The version of `key` at snapshot `s` (already at most the stable
    /// time) with its promise: the instant before the next version, or `s`
    /// for the latest one, as nothing after `s` is promised (§2.2).
    fn promised(&self, key: Key, s: Ts, hint: Option<Ts>) -> PromisedVersion {
        let (ts, value) = self.version_at(key, s);
        let next = self
            .versions
            .get(&key)
            .and_then(|vs| vs.range(s.saturating_add(1)..).next())
            .map(|(&next, _)| next);
        PromisedVersion {
            key,
            value: (hint != Some(ts)).then(|| value.clone()),
            ts,
            promise: next.map_or(s, |n| n - 1),
        }
    }

    /// ReadAt (§2.2): moves the clock past `last_seen`, so a later prepare
    /// here commits above what the reader has seen, then reads every key at
    /// `snapshot` clamped to the stable time.
    pub fn read_at(
        &mut self,
        now: Micros,
        keys: &[(Key, Option<Ts>)],
        snapshot: Ts,
        last_seen: Ts,
    ) -> Vec<PromisedVersion> {
        self.clock.tick(now, last_seen);
        let s = snapshot.min(self.stable_time());
        keys.iter()
            .map(|&(key, hint)| self.promised(key, s, hint))
            .collect()
    }

    /// Prepare (§2.7): a timestamp from the clock, above `last_seen`; the
    /// writes wait, pending, and hold the stable time below that timestamp.
    pub fn prepare(
        &mut self,
        now: Micros,
        txn: TxnId,
        writes: Vec<(Key, Value)>,
        last_seen: Ts,
    ) -> Ts {
        let ts = self.clock.tick(now, last_seen);
        self.prepared
            .entry(txn)
            .or_insert(Prepared {
                writes,
                ts,
                at: now,
            })
            .ts
    }

    /// Commit (§2.7) at `ts`, never below the prepare timestamp. A transaction
    /// no longer prepared was force-committed already: nothing to do.
    pub fn commit(&mut self, now: Micros, txn: TxnId, ts: Ts) -> Vec<DbReply> {
        self.clock.tick(now, ts);
        if let Some(p) = self.prepared.remove(&txn) {
            self.committed.insert((ts.max(p.ts), txn), p.writes);
        }
        self.apply_ready()
    }

    /// Periodic work, also run after every request: an event of the clock,
    /// then transactions prepared for longer than the timeout commit on their
    /// own (§2.7), and whatever became safe is applied. They commit at their
    /// prepare timestamp rather than the current time: nothing was promised
    /// at or past it while they were pending, and it is below the clock now,
    /// so they are visible at once.
    pub fn advance(&mut self, now: Micros) -> Vec<DbReply> {
        self.clock.tick(now, 0);
        let stale: Vec<TxnId> = self
            .prepared
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.at) >= self.force_commit_after)
            .map(|(&txn, _)| txn)
            .collect();
        for txn in stale {
            if let Some(p) = self.prepared.remove(&txn) {
                self.committed.insert((p.ts, txn), p.writes);
            }
        }
        self.apply_ready()
    }

    /// Applies, in timestamp order, every committed transaction below UB: all
    /// writes of one transaction at once at its one timestamp (atomic
    /// visibility). Returns the newly visible versions, read at the stable
    /// time, for the update stream (§2.3).
    fn apply_ready(&mut self) -> Vec<DbReply> {
        let ub = self.upper_bound();
        let mut changed = BTreeSet::new();
        while let Some(entry) = self.committed.first_entry() {
            if entry.key().0 >= ub {
                break;
            }
            let ((ts, _), writes) = entry.remove_entry();
            for (key, value) in writes {
                self.versions.entry(key).or_default().insert(ts, value);
                changed.insert(key);
            }
        }
        let s = self.stable_time();
        changed
            .into_iter()
            .map(|key| DbReply::Visible {
                version: self.promised(key, s, None),
            })
            .collect()
    }

    /// Serves a multi-version request; hands any other request back.
    pub fn handle(&mut self, now: Micros, req: DbRequest) -> Result<StoreStep, DbRequest> {
        let (reply, mut pushes) = match req {
            DbRequest::ReadAt {
                id,
                keys,
                snapshot,
                last_seen,
            } => {
                let versions = self.read_at(now, &keys, snapshot, last_seen);
                (Some(DbReply::VersionsAt { id, versions }), Vec::new())
            }
            DbRequest::Prepare {
                id,
                txn,
                writes,
                last_seen,
            } => {
                let ts = self.prepare(now, txn, writes, last_seen);
                (Some(DbReply::Prepared { id, txn, ts }), Vec::new())
            }
            DbRequest::Commit { txn, ts } => (None, self.commit(now, txn, ts)),
            other => return Err(other),
        };
        pushes.extend(self.advance(now));
        Ok(StoreStep { reply, pushes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: Key = 1;
    const Y: Key = 2;

    fn store() -> MvStore {
        MvStore::preloaded(Value::tagged(0, 8))
    }

    fn txn(seq: u64) -> TxnId {
        TxnId { node: 0, seq }
    }

    fn v(tag: u64) -> Value {
        Value::tagged(tag, 8)
    }

    /// Prepares and commits `writes` as one transaction; its commit timestamp.
    fn write(s: &mut MvStore, now: Micros, seq: u64, writes: &[(Key, u64)]) -> Ts {
        let writes = writes.iter().map(|&(k, tag)| (k, v(tag))).collect();
        let ts = s.prepare(now, txn(seq), writes, 0);
        s.commit(now, txn(seq), ts);
        ts
    }

    fn read(s: &mut MvStore, now: Micros, key: Key, snapshot: Ts) -> PromisedVersion {
        s.read_at(now, &[(key, None)], snapshot, 0).remove(0)
    }

    fn tag(p: &PromisedVersion) -> Option<u64> {
        p.value.as_ref().map(Value::tag)
    }

    #[test]
    fn hlc_is_monotonic_and_passes_last_seen() {
        let mut c = Hlc::default();
        assert_eq!(c.tick(5, 0), 5, "follows physical time");
        assert_eq!(c.tick(3, 0), 6, "never goes back when physical time does");
        assert_eq!(c.tick(3, 100), 101, "moves past what the caller has seen");
        let mut s = store();
        s.read_at(10, &[(X, None)], Ts::MAX, 500);
        let ts = s.prepare(11, txn(1), vec![(X, v(1))], 0);
        assert!(
            ts > 500,
            "a prepare after a read commits above its last_seen: {ts}"
        );
        assert!(s.prepare(12, txn(2), vec![(Y, v(2))], 900) > 900);
    }

    #[test]
    fn read_at_picks_the_newest_version_at_or_below_the_snapshot() {
        let mut s = store();
        let t1 = write(&mut s, 100, 1, &[(X, 1)]);
        let t2 = write(&mut s, 200, 2, &[(X, 2)]);
        let old = read(&mut s, 300, X, t2 - 1);
        assert_eq!((tag(&old), old.ts, old.promise), (Some(1), t1, t2 - 1));
        let before = read(&mut s, 301, X, t1 - 1);
        assert_eq!(
            (tag(&before), before.ts, before.promise),
            (Some(0), 0, t1 - 1)
        );
        // The latest version is promised up to the snapshot, never past the
        // stable time.
        let at = read(&mut s, 302, X, t2 + 10);
        assert_eq!((tag(&at), at.ts, at.promise), (Some(2), t2, t2 + 10));
        let latest = read(&mut s, 303, X, Ts::MAX);
        assert_eq!(latest.promise, s.stable_time());
        // A reader already caching the version gets it without its value.
        let hinted = s.read_at(304, &[(X, Some(t2)), (Y, Some(t2))], Ts::MAX, 0);
        assert_eq!(hinted[0].value, None);
        assert_eq!(tag(&hinted[1]), Some(0), "a different version travels");
    }

    #[test]
    fn a_prepared_transaction_holds_back_the_stable_time() {
        let mut s = store();
        let p = s.prepare(100, txn(1), vec![(X, v(1))], 0);
        // Time passes; later events must not promise anything at or past p.
        let later = write(&mut s, 5_000, 2, &[(Y, 2)]);
        assert!(later > p);
        let y = read(&mut s, 6_000, Y, Ts::MAX);
        assert_eq!(
            tag(&y),
            Some(0),
            "y's commit above the pending prepare waits"
        );
        let x = read(&mut s, 6_001, X, Ts::MAX);
        assert!(
            x.promise < p,
            "promise {} reaches the pending prepare {p}",
            x.promise
        );
        assert_eq!(s.stable_time(), p - 1);
        // Committing the first releases both, each at its own timestamp.
        let pushes = s.commit(6_002, txn(1), p);
        let pushed: Vec<(Key, Ts)> = pushes
            .iter()
            .filter_map(|r| match r {
                DbReply::Visible { version } => Some((version.key, version.ts)),
                _ => None,
            })
            .collect();
        assert_eq!(pushed, vec![(X, p), (Y, later)]);
        assert_eq!(s.version_at(X, p).1.tag(), 1);
        assert_eq!(s.version_at(X, p - 1).1.tag(), 0);
    }

    #[test]
    fn a_commit_makes_all_writes_of_a_transaction_visible_at_one_timestamp() {
        let mut s = store();
        let p = s.prepare(100, txn(1), vec![(X, v(1)), (Y, v(2))], 0);
        let before = s.read_at(101, &[(X, None), (Y, None)], Ts::MAX, 0);
        assert_eq!(
            before.iter().map(tag).collect::<Vec<_>>(),
            vec![Some(0), Some(0)]
        );
        let pushes = s.commit(102, txn(1), p);
        assert_eq!(pushes.len(), 2);
        for r in &pushes {
            let DbReply::Visible { version } = r else {
                panic!("{r:?}")
            };
            assert_eq!(version.ts, p, "one timestamp for the whole transaction");
        }
        let at = s.read_at(103, &[(X, None), (Y, None)], p, 0);
        assert_eq!(
            at.iter().map(tag).collect::<Vec<_>>(),
            vec![Some(1), Some(2)]
        );
        let below = s.read_at(104, &[(X, None), (Y, None)], p - 1, 0);
        assert_eq!(
            below.iter().map(tag).collect::<Vec<_>>(),
            vec![Some(0), Some(0)]
        );
    }

    #[test]
    fn a_stale_prepare_is_force_committed_and_its_late_commit_ignored() {
        let mut s = store().with_force_commit_after(1_000);
        let p = s.prepare(100, txn(1), vec![(X, v(1))], 0);
        assert!(s.advance(1_099).is_empty());
        let pushes = s.advance(1_100);
        let [DbReply::Visible { version }] = pushes.as_slice() else {
            panic!("{pushes:?}")
        };
        assert_eq!((version.ts, tag(version)), (p, Some(1)));
        assert!(s.commit(1_200, txn(1), p).is_empty());
        assert_eq!(s.versions(X).count(), 1);
    }

    #[test]
    fn other_requests_are_handed_back() {
        let mut s = store();
        let back = s.handle(0, DbRequest::Get { id: 1, key: X });
        assert!(matches!(back, Err(DbRequest::Get { id: 1, key: X })));
    }
}
