//! The database server's semantics: the prototype's causal proxy (reference
//! §10) over rows kept in memory (the embedded emulated database, the
//! default) or in a real Redis (`database.backend = "redis"`). Time and
//! latency belong to the runtime, which queues requests behind the
//! configured service time.

use std::collections::{HashMap, HashSet};

use impls::db::{DbReply, DbRequest};
use impls::faastcc::storage::MvStore;
use impls::hydrocache::join_deps;
use impls::{Key, Micros, NodeId, Register, Value, VectorClock, Version};

use crate::rows::{MemoryRows, Row, RowStore};

pub struct EmulatedDb<R: RowStore = MemoryRows> {
    /// Width of the clocks.
    servers: usize,
    /// Each key's register and, for HydroCache's lattice, its dependencies.
    rows: R,
    subscribers: Vec<NodeId>,
    /// The multi-version transactional store FaaSTCC's requests go to (its
    /// own storage tier, kept in memory with either backend).
    versions: MvStore,
    /// Tags of the values each key's merges and sets applied (after the row
    /// was stored), so a run can show that no acknowledged write was lost.
    applied: HashMap<Key, HashSet<u64>>,
    pub reads: u64,
    pub writes: u64,
    /// Rows keep every dependency a key ever had
    /// (`options.hydrocache_keep_deps`).
    keep_deps: bool,
}

impl EmulatedDb<MemoryRows> {
    /// Every key `0..keys` seeded with the initial value in memory, as server
    /// 0 seeds Redis in the prototype.
    pub fn preloaded(keys: u64, servers: usize, value_size: usize) -> EmulatedDb {
        EmulatedDb::over(
            MemoryRows::preloaded(keys, servers, value_size),
            servers,
            value_size,
        )
    }
}

impl<R: RowStore> EmulatedDb<R> {
    /// The server over any row store, for clocks over `servers` nodes.
    pub fn over(rows: R, servers: usize, value_size: usize) -> EmulatedDb<R> {
        EmulatedDb {
            rows,
            servers,
            subscribers: Vec::new(),
            versions: MvStore::preloaded(Value::tagged(0, value_size)),
            applied: HashMap::new(),
            reads: 0,
            writes: 0,
            keep_deps: false,
        }
    }

    /// Rows keep every dependency a key ever had, as HydroCache's caches do
    /// with `options.hydrocache_keep_deps`.
    pub fn keeping_deps(mut self, keep: bool) -> EmulatedDb<R> {
        self.keep_deps = keep;
        self
    }

    /// The key's current register, as a reader would get it.
    pub fn register(&mut self, key: Key) -> Result<Register, R::Error> {
        Ok(self.rows.load(key)?.register)
    }

    /// Whether the write of `key` that produced the value tagged `tag`
    /// reached the database (merged, set, or committed as a version).
    pub fn holds_write(&self, key: Key, tag: u64) -> bool {
        self.applied.get(&key).is_some_and(|t| t.contains(&tag))
            || self.versions.versions(key).any(|(_, v)| v.tag() == tag)
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

    /// Applies one request from `from`; replies (and notifications) go into
    /// `out`. A backend error leaves the request unanswered.
    pub fn handle(
        &mut self,
        now: Micros,
        from: NodeId,
        req: DbRequest,
        out: &mut Vec<(NodeId, DbReply)>,
    ) -> Result<(), R::Error> {
        let (id, key, tag, row) = match req {
            DbRequest::ReadAt { .. } | DbRequest::Prepare { .. } | DbRequest::Commit { .. } => {
                self.serve_versions(now, from, req, out);
                return Ok(());
            }
            DbRequest::Get { id, key } => {
                self.reads += 1;
                let Row { register, deps } = self.rows.load(key)?;
                out.push((
                    from,
                    DbReply::Got {
                        id,
                        key,
                        register: Some(register),
                        deps,
                    },
                ));
                return Ok(());
            }
            DbRequest::Subscribe => {
                if !self.subscribers.contains(&from) {
                    self.subscribers.push(from);
                }
                return Ok(());
            }
            // Clock join plus last-writer-wins with the tie-break; deps merge
            // as HydroCache's lattice: a dominating version brings its own,
            // concurrent ones join, a dominated one changes nothing (unless
            // rows keep every dependency).
            DbRequest::Merge {
                id,
                key,
                version,
                deps,
            } => {
                let mut row = self.rows.load(key)?;
                let (dominated, concurrent) = (
                    row.register.vc.happens_before(&version.vc),
                    row.register.vc.concurrent(&version.vc),
                );
                row.register.merge_version(&version);
                join_deps(&mut row.deps, &deps, dominated, concurrent, self.keep_deps);
                (id, key, version.value.tag(), row)
            }
            // A plain SET: clocks play no part.
            DbRequest::Set { id, key, value } => {
                let tag = value.tag();
                let register = Register::new(Version {
                    value,
                    vc: VectorClock::zero(self.servers),
                });
                let row = Row {
                    register,
                    deps: Default::default(),
                };
                (id, key, tag, row)
            }
        };
        self.rows.store(key, &row)?;
        self.applied.entry(key).or_default().insert(tag);
        self.writes += 1;
        out.push((from, DbReply::Written { id, key }));
        for &s in &self.subscribers {
            out.push((
                s,
                DbReply::Notify {
                    key,
                    register: row.register.clone(),
                    deps: row.deps.clone(),
                },
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use impls::{Deps, Value};

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
        db.handle(0, 0, req, &mut out).unwrap();
        out
    }

    #[test]
    fn dependencies_merge_as_hydrocaches_lattice() {
        let mut db = EmulatedDb::preloaded(10, 2, 8);
        merge(&mut db, 1, &[1, 0]);
        merge(&mut db, 2, &[0, 1]); // concurrent: deps join
        merge(&mut db, 3, &[2, 2]); // dominates: its deps replace
        merge(&mut db, 4, &[1, 1]); // dominated: nothing changes
        let mut out = Vec::new();
        db.handle(0, 0, DbRequest::Get { id: 10, key: 5 }, &mut out)
            .unwrap();
        let (_, DbReply::Got { deps, register, .. }) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(deps.iter().map(|(k, _)| k).collect::<Vec<_>>(), vec![3]);
        assert_eq!(register.as_ref().map(|r| r.value.tag()), Some(3));
    }

    #[test]
    fn rows_that_keep_deps_only_grow() {
        let mut db = EmulatedDb::preloaded(10, 2, 8).keeping_deps(true);
        merge(&mut db, 1, &[1, 0]);
        merge(&mut db, 2, &[0, 1]); // concurrent: deps join
        let mut out = Vec::new();
        db.handle(0, 0, DbRequest::Get { id: 9, key: 5 }, &mut out)
            .unwrap();
        let (_, DbReply::Got { deps, .. }) = &out[0] else {
            panic!("{out:?}")
        };
        assert!(deps.get(1).is_some() && deps.get(2).is_some());
        merge(&mut db, 3, &[2, 2]); // dominates: the value is replaced, the deps join
        merge(&mut db, 4, &[1, 1]); // dominated: the value stays, the deps join
        out.clear();
        db.handle(0, 0, DbRequest::Get { id: 10, key: 5 }, &mut out)
            .unwrap();
        let (_, DbReply::Got { deps, register, .. }) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(
            deps.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert_eq!(register.as_ref().map(|r| r.value.tag()), Some(3));
    }

    #[test]
    fn merges_join_clocks_and_keep_the_last_writer() {
        let mut db = EmulatedDb::preloaded(10, 2, 8);
        merge(&mut db, 1, &[0, 2]);
        merge(&mut db, 2, &[1, 0]);
        merge(&mut db, 3, &[0, 1]);
        assert_eq!(
            db.register(5).unwrap().value.tag(),
            2,
            "[1,0] is privileged over [0,2]"
        );
        assert_eq!(
            db.register(5).unwrap().vc,
            VectorClock::from_counters(&[1, 2])
        );
        assert_eq!(db.writes, 3);
    }

    #[test]
    fn subscribers_hear_every_write_and_reads_see_preloaded_keys() {
        let mut db = EmulatedDb::preloaded(10, 2, 8);
        let mut out = Vec::new();
        db.handle(0, 1, DbRequest::Subscribe, &mut out).unwrap();
        db.handle(
            0,
            0,
            DbRequest::Set {
                id: 7,
                key: 3,
                value: Value::tagged(9, 8),
            },
            &mut out,
        )
        .unwrap();
        assert!(matches!(out[0], (0, DbReply::Written { id: 7, key: 3 })));
        assert!(
            matches!(&out[1], (1, DbReply::Notify { key: 3, register, .. }) if register.value.tag() == 9)
        );
        out.clear();
        db.handle(0, 0, DbRequest::Get { id: 8, key: 4 }, &mut out)
            .unwrap();
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
        db.handle(0, 1, DbRequest::Subscribe, &mut out).unwrap();
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
        )
        .unwrap();
        let [(0, DbReply::Prepared { id: 1, ts, .. })] = out.as_slice() else {
            panic!("{out:?}")
        };
        let ts = *ts;
        out.clear();
        db.handle(200, 0, DbRequest::Commit { txn, ts }, &mut out)
            .unwrap();
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
        db.handle(300, 0, read, &mut out).unwrap();
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
