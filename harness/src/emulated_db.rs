//! The embedded emulated database: an in-memory store with the prototype
//! proxy's semantics (reference §10). Time and latency belong to the runtime,
//! which queues requests behind the configured service time.

use std::collections::{HashMap, HashSet};

use impls::db::{DbReply, DbRequest};
use impls::faastcc::storage::MvStore;
use impls::{Deps, Key, Micros, NodeId, Register, Registers, Value, VectorClock, Version};

pub struct EmulatedDb {
    rows: Registers,
    /// Dependencies of keys written with some (HydroCache's lattice).
    deps: HashMap<Key, Deps>,
    subscribers: Vec<NodeId>,
    /// The multi-version transactional store FaaSTCC's requests go to.
    versions: MvStore,
    /// Tags of the values each key's merges and sets applied, so a run can
    /// show that no acknowledged write was lost.
    applied: HashMap<Key, HashSet<u64>>,
    pub reads: u64,
    pub writes: u64,
}

impl EmulatedDb {
    /// Every key `0..keys` seeded with the initial value, as server 0 seeds
    /// Redis in the prototype.
    pub fn preloaded(keys: u64, servers: usize, value_size: usize) -> EmulatedDb {
        EmulatedDb {
            rows: Registers::preloaded(servers, keys, value_size),
            deps: HashMap::new(),
            subscribers: Vec::new(),
            versions: MvStore::preloaded(Value::tagged(0, value_size)),
            applied: HashMap::new(),
            reads: 0,
            writes: 0,
        }
    }

    pub fn get(&self, key: u64) -> &Register {
        self.rows.get(key)
    }

    /// Whether the write of `key` that produced the value tagged `tag`
    /// reached the database (merged, set, or committed as a version).
    pub fn holds_write(&self, key: Key, tag: u64) -> bool {
        self.applied.get(&key).is_some_and(|t| t.contains(&tag))
            || self.versions.versions(key).any(|(_, v)| v.tag() == tag)
    }

    fn deps_of(&self, key: Key) -> Deps {
        self.deps.get(&key).cloned().unwrap_or_default()
    }

    /// FaaSTCC's requests go to the multi-version store; what it makes
    /// visible goes to every subscriber.
    fn serve_versions(
        &mut self,
        now: Micros,
        from: NodeId,
        req: DbRequest,
        out: &mut Vec<(NodeId, DbReply)>,
    ) {
        match &req {
            DbRequest::ReadAt { keys, .. } => self.reads += keys.len() as u64,
            DbRequest::Prepare { writes, .. } => self.writes += writes.len() as u64,
            _ => {}
        }
        if let Ok(step) = self.versions.handle(now, req) {
            out.extend(step.reply.map(|r| (from, r)));
            for push in step.pushes {
                out.extend(self.subscribers.iter().map(|&s| (s, push.clone())));
            }
        }
    }

    /// Applies one request from `from`; replies (and notifications) go into `out`.
    pub fn handle(
        &mut self,
        now: Micros,
        from: NodeId,
        req: DbRequest,
        out: &mut Vec<(NodeId, DbReply)>,
    ) {
        let (id, key) = match req {
            DbRequest::ReadAt { .. } | DbRequest::Prepare { .. } | DbRequest::Commit { .. } => {
                return self.serve_versions(now, from, req, out);
            }
            DbRequest::Get { id, key } => {
                self.reads += 1;
                let register = Some(self.get(key).clone());
                let deps = self.deps_of(key);
                out.push((
                    from,
                    DbReply::Got {
                        id,
                        key,
                        register,
                        deps,
                    },
                ));
                return;
            }
            DbRequest::Subscribe => {
                if !self.subscribers.contains(&from) {
                    self.subscribers.push(from);
                }
                return;
            }
            // Clock join plus last-writer-wins with the tie-break.
            DbRequest::Merge {
                id,
                key,
                version,
                deps,
            } => {
                self.applied
                    .entry(key)
                    .or_default()
                    .insert(version.value.tag());
                let row = self.rows.get_mut(key);
                let (dominates, concurrent) = (
                    row.vc.happens_before(&version.vc),
                    row.vc.concurrent(&version.vc),
                );
                row.merge_version(&version);
                if dominates {
                    self.deps.insert(key, deps);
                } else if concurrent {
                    self.deps.entry(key).or_default().merge(&deps);
                }
                (id, key)
            }
            // A plain SET: clocks play no part.
            DbRequest::Set { id, key, value } => {
                self.applied.entry(key).or_default().insert(value.tag());
                let width = self.rows.servers();
                self.deps.remove(&key);
                *self.rows.get_mut(key) = Register::new(Version {
                    value,
                    vc: VectorClock::zero(width),
                });
                (id, key)
            }
        };
        self.writes += 1;
        out.push((from, DbReply::Written { id, key }));
        let register = self.get(key).clone();
        let deps = self.deps_of(key);
        for &s in &self.subscribers {
            out.push((
                s,
                DbReply::Notify {
                    key,
                    register: register.clone(),
                    deps: deps.clone(),
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use impls::Value;

    fn merge(db: &mut EmulatedDb, tag: u64, vc: &[u32]) -> Vec<(NodeId, DbReply)> {
        let mut out = Vec::new();
        let version = Version {
            value: Value::tagged(tag, 8),
            vc: VectorClock::from_counters(vc),
        };
        // Each write depends on a key named by its tag.
        let mut deps = Deps::new();
        deps.add(tag, &VectorClock::from_counters(vc));
        let req = DbRequest::Merge {
            id: tag,
            key: 5,
            version,
            deps,
        };
        db.handle(0, 0, req, &mut out);
        out
    }

    #[test]
    fn dependencies_merge_as_hydrocaches_lattice() {
        let mut db = EmulatedDb::preloaded(10, 2, 8);
        merge(&mut db, 1, &[1, 0]);
        merge(&mut db, 2, &[0, 1]); // concurrent: deps join
        let mut out = Vec::new();
        db.handle(0, 0, DbRequest::Get { id: 9, key: 5 }, &mut out);
        let (_, DbReply::Got { deps, .. }) = &out[0] else {
            panic!("{out:?}")
        };
        assert!(deps.get(1).is_some() && deps.get(2).is_some());
        merge(&mut db, 3, &[2, 2]); // dominates: its deps replace
        merge(&mut db, 4, &[1, 1]); // dominated: nothing changes
        out.clear();
        db.handle(0, 0, DbRequest::Get { id: 10, key: 5 }, &mut out);
        let (_, DbReply::Got { deps, register, .. }) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(deps.iter().map(|(k, _)| k).collect::<Vec<_>>(), vec![3]);
        assert_eq!(register.as_ref().map(|r| r.value.tag()), Some(3));
    }

    #[test]
    fn merges_join_clocks_and_keep_the_last_writer() {
        let mut db = EmulatedDb::preloaded(10, 2, 8);
        merge(&mut db, 1, &[0, 2]);
        merge(&mut db, 2, &[1, 0]);
        merge(&mut db, 3, &[0, 1]);
        assert_eq!(db.get(5).value.tag(), 2, "[1,0] is privileged over [0,2]");
        assert_eq!(db.get(5).vc, VectorClock::from_counters(&[1, 2]));
        assert_eq!(db.writes, 3);
    }

    #[test]
    fn subscribers_hear_every_write_and_reads_see_preloaded_keys() {
        let mut db = EmulatedDb::preloaded(10, 2, 8);
        let mut out = Vec::new();
        db.handle(0, 1, DbRequest::Subscribe, &mut out);
        db.handle(
            0,
            0,
            DbRequest::Set {
                id: 7,
                key: 3,
                value: Value::tagged(9, 8),
            },
            &mut out,
        );
        assert!(matches!(out[0], (0, DbReply::Written { id: 7, key: 3 })));
        assert!(
            matches!(&out[1], (1, DbReply::Notify { key: 3, register, .. }) if register.value.tag() == 9)
        );
        out.clear();
        db.handle(0, 0, DbRequest::Get { id: 8, key: 4 }, &mut out);
        assert!(
            matches!(&out[0], (0, DbReply::Got { id: 8, register: Some(r), .. }) if r.value.tag() == 0)
        );
        assert_eq!(db.reads, 1);
    }

    #[test]
    fn multi_version_requests_reach_the_store_and_its_pushes_every_subscriber() {
        use impls::db::TxnId;
        let mut db = EmulatedDb::preloaded(10, 2, 8);
        let mut out = Vec::new();
        db.handle(0, 1, DbRequest::Subscribe, &mut out);
        let txn = TxnId { node: 0, seq: 1 };
        let writes = vec![(3, Value::tagged(9, 8)), (4, Value::tagged(10, 8))];
        db.handle(
            100,
            0,
            DbRequest::Prepare {
                id: 1,
                txn,
                writes,
                last_seen: 0,
            },
            &mut out,
        );
        let [(0, DbReply::Prepared { id: 1, ts, .. })] = out.as_slice() else {
            panic!("{out:?}")
        };
        let ts = *ts;
        out.clear();
        db.handle(200, 0, DbRequest::Commit { txn, ts }, &mut out);
        let pushed: Vec<(NodeId, u64, u64)> = out
            .iter()
            .filter_map(|(to, r)| match r {
                DbReply::Visible { version } => Some((*to, version.key, version.ts)),
                _ => None,
            })
            .collect();
        assert_eq!(pushed, vec![(1, 3, ts), (1, 4, ts)]);
        out.clear();
        let read = DbRequest::ReadAt {
            id: 2,
            keys: vec![(3, None), (5, None)],
            snapshot: u64::MAX,
            last_seen: 0,
        };
        db.handle(300, 0, read, &mut out);
        let [(0, DbReply::VersionsAt { id: 2, versions })] = out.as_slice() else {
            panic!("{out:?}")
        };
        let tags: Vec<Option<u64>> = versions
            .iter()
            .map(|v| v.value.as_ref().map(Value::tag))
            .collect();
        assert_eq!(tags, vec![Some(9), Some(0)]);
        assert_eq!((db.reads, db.writes), (2, 2));
    }
}
