//! A FaaSTCC cache node: a function's read at its cache (baselines §2.4), the
//! update stream (§2.3), and the commit of a workflow's writes (§2.7); the
//! artifact's variant of each (causalmesh.md §13.3).

use std::collections::VecDeque;

use crate::clock::VectorClock;
use crate::db::{DbReply, DbRequest, DbRequests, PromisedVersion, Ts, TxnId};
use crate::design::{Cluster, Micros, Outbox, Peer, ServerNode};
use crate::version::{Deps, Key, NodeId, Register, Value, Version};

use super::cache::{Cache, Entry};
use super::{Interval, Msg, Variant};

/// A key of a function's read: served by the cache (`hit`), or waiting for
/// storage with the cached version, if any, kept aside in case storage
/// confirms it is still the one at the snapshot (§2.4).
struct Slot {
    key: Key,
    cached: Option<Entry>,
    hit: bool,
}

enum Waiter {
    Read {
        client: Peer,
        slots: Vec<Slot>,
    },
    /// Published: phase one of a workflow's commit.
    Prepare,
    /// Artifact: the workflow's writes still to go, one after another.
    Write {
        client: Peer,
        rest: VecDeque<(Key, Value)>,
    },
}

pub struct FaasServer {
    id: NodeId,
    variant: Variant,
    /// Artifact: a read's version bounds the interval from below
    /// (`faastcc_cm_narrow`).
    narrow: bool,
    cache: Cache,
    /// Artifact: every key is preloaded, at timestamp 0, as in the prototype.
    initial: Entry,
    keys: u64,
    db: DbRequests<Waiter>,
    next_txn: u64,
    fetched: u64,
}

/// The artifact stamps a write with the node's time in milliseconds, kept in
/// the first component of a one-entry clock (§13.3), so the database's merge
/// and its notifications carry it. Counted from the start of the run, so it
/// never wraps as the prototype's i32 of epoch milliseconds does.
fn stamp(now: Micros) -> VectorClock {
    VectorClock::from_counters(&[u32::try_from(now / 1000).unwrap_or(u32::MAX)])
}

fn stamp_of(register: &Register) -> Ts {
    register
        .winner
        .counters()
        .first()
        .map_or(0, |&c| Ts::from(c))
}

impl FaasServer {
    pub fn new(id: NodeId, cluster: &Cluster, variant: Variant) -> FaasServer {
        FaasServer {
            id,
            variant,
            narrow: cluster.options.faastcc_cm_narrow,
            cache: Cache::default(),
            initial: Entry {
                value: Value::tagged(0, cluster.value_size),
                ts: 0,
                promise: 0,
            },
            keys: cluster.keys,
            db: DbRequests::default(),
            next_txn: 0,
            fetched: 0,
        }
    }

    pub fn cached(&self, key: Key) -> Option<&Entry> {
        self.cache.get(key)
    }

    /// §2.4: serve from the cache every key whose version shares an instant
    /// with the interval and with the other hits; read the rest from storage
    /// at a snapshot inside what is left, so the read never aborts.
    fn read_published(
        &mut self,
        client: Peer,
        keys: Vec<Key>,
        iv: Interval,
        out: &mut Outbox<Msg>,
    ) {
        if iv.is_empty() {
            return out.send(client, Msg::Abort);
        }
        let mut dlo = iv.lo;
        let mut slots: Vec<Slot> = keys
            .into_iter()
            .map(|key| {
                let cached = self.cache.get(key).cloned();
                let hit = cached
                    .as_ref()
                    .is_some_and(|e| e.ts <= iv.hi && e.promise >= iv.lo);
                if let Some(e) = cached.as_ref().filter(|_| hit) {
                    dlo = dlo.max(e.ts);
                }
                Slot { key, cached, hit }
            })
            .collect();
        // A hit whose promise ends before another hit's version begins has no
        // instant in common with it: storage decides.
        let mut dhi = iv.hi;
        for slot in slots.iter_mut().filter(|s| s.hit) {
            match &slot.cached {
                Some(e) if e.promise >= dlo => dhi = dhi.min(e.promise),
                _ => slot.hit = false,
            }
        }
        let misses: Vec<(Key, Option<Ts>)> = slots
            .iter()
            .filter(|s| !s.hit)
            .map(|s| (s.key, s.cached.as_ref().map(|e| e.ts)))
            .collect();
        if misses.is_empty() {
            let reads = slots
                .into_iter()
                .filter_map(|s| s.cached)
                .map(Entry::into_read);
            return out.send(
                client,
                Msg::ReadReply {
                    reads: reads.collect(),
                    from_storage: false,
                },
            );
        }
        self.fetched += misses.len() as u64;
        let id = self.db.issue(Waiter::Read { client, slots });
        out.to_db(DbRequest::ReadAt {
            id,
            keys: misses,
            snapshot: dhi,
            last_seen: Interval::new(dlo, dhi).last_seen(),
        });
    }

    /// Storage answered a read's misses, in order. Without a value it
    /// confirms the version kept aside; anything else is a protocol error of
    /// the database, answered with an abort rather than a wrong value.
    fn finish_read(&mut self, slots: Vec<Slot>, versions: Vec<PromisedVersion>) -> Msg {
        let mut versions = versions.into_iter();
        let mut reads = Vec::with_capacity(slots.len());
        for Slot { key, cached, hit } in slots {
            let read = match cached {
                Some(e) if hit => e.into_read(),
                aside => {
                    let Some(v) = versions.next().filter(|v| v.key == key) else {
                        return Msg::Abort;
                    };
                    let value = match (v.value, aside) {
                        (Some(value), _) => value,
                        (None, Some(e)) if e.ts == v.ts => e.value,
                        (None, _) => return Msg::Abort,
                    };
                    self.cache
                        .merge(key, Some(value.clone()), v.ts, v.promise, true);
                    (value, Interval::new(v.ts, v.promise))
                }
            };
            reads.push(read);
        }
        Msg::ReadReply {
            reads,
            from_storage: true,
        }
    }

    /// §13.3: the cached version if its timestamp lies in the interval, else
    /// abort. The artifact's server echoes the interval; narrowing, a version
    /// bounds it from below only, having no promise to bound it from above.
    fn read_artifact(&self, keys: &[Key], iv: Interval) -> Msg {
        let mut reads = Vec::with_capacity(keys.len());
        for &key in keys {
            let e = self.cache.get(key).unwrap_or(&self.initial);
            if !iv.contains(e.ts) {
                return Msg::Abort;
            }
            let valid = if self.narrow {
                Interval::new(e.ts, Ts::MAX)
            } else {
                Interval::ALL
            };
            reads.push((e.value.clone(), valid));
        }
        Msg::ReadReply {
            reads,
            from_storage: false,
        }
    }

    /// §2.7: the cache coordinates a write transaction for the workflow and
    /// answers at once; the commit follows the prepare's reply.
    fn commit_2pc(
        &mut self,
        client: Peer,
        writes: Vec<(Key, Value)>,
        last_seen: Ts,
        out: &mut Outbox<Msg>,
    ) {
        if !writes.is_empty() {
            self.next_txn += 1;
            let txn = TxnId {
                node: self.id,
                seq: self.next_txn,
            };
            let id = self.db.issue(Waiter::Prepare);
            out.to_db(DbRequest::Prepare {
                id,
                txn,
                writes,
                last_seen,
            });
        }
        out.send(
            client,
            Msg::Committed {
                waited_for_db: false,
            },
        );
    }

    /// §13.3: each write stamped and written to the database, one after
    /// another as the prototype's client issues them; answered after the last.
    fn write_next(
        &mut self,
        now: Micros,
        client: Peer,
        mut rest: VecDeque<(Key, Value)>,
        out: &mut Outbox<Msg>,
    ) {
        let Some((key, value)) = rest.pop_front() else {
            return out.send(
                client,
                Msg::Committed {
                    waited_for_db: true,
                },
            );
        };
        let version = Version {
            value,
            vc: stamp(now),
        };
        let id = self.db.issue(Waiter::Write { client, rest });
        out.to_db(DbRequest::Merge {
            id,
            key,
            version,
            deps: Deps::new(),
        });
    }
}

impl ServerNode for FaasServer {
    type Msg = Msg;

    /// The update stream (§2.3); every cache hears about every key.
    fn on_start(&mut self, _now: Micros, out: &mut Outbox<Msg>) {
        out.to_db(DbRequest::Subscribe);
    }

    fn on_message(&mut self, now: Micros, from: Peer, msg: Msg, out: &mut Outbox<Msg>) {
        match (self.variant, msg) {
            (Variant::Published, Msg::Read { keys, interval }) => {
                self.read_published(from, keys, interval, out)
            }
            (Variant::Artifact, Msg::Read { keys, interval }) => {
                out.send(from, self.read_artifact(&keys, interval))
            }
            (Variant::Published, Msg::Commit { writes, last_seen }) => {
                self.commit_2pc(from, writes, last_seen, out)
            }
            (Variant::Artifact, Msg::Commit { writes, .. }) => {
                self.write_next(now, from, writes.into(), out)
            }
            // Replies travel to clients only.
            (_, Msg::ReadReply { .. } | Msg::Abort | Msg::Committed { .. }) => {}
        }
    }

    fn on_db_reply(&mut self, now: Micros, reply: DbReply, out: &mut Outbox<Msg>) {
        match reply {
            DbReply::VersionsAt { id, versions } => {
                if let Some(Waiter::Read { client, slots }) = self.db.complete(id) {
                    let msg = self.finish_read(slots, versions);
                    out.send(client, msg);
                }
            }
            DbReply::Prepared { id, txn, ts } => {
                if let Some(Waiter::Prepare) = self.db.complete(id) {
                    out.to_db(DbRequest::Commit { txn, ts });
                }
            }
            DbReply::Written { id, .. } => {
                if let Some(Waiter::Write { client, rest }) = self.db.complete(id) {
                    self.write_next(now, client, rest, out);
                }
            }
            // The published cache follows only the keys it holds, as it
            // advertises just those (§2.3).
            DbReply::Visible { version } if self.variant == Variant::Published => {
                let PromisedVersion {
                    key,
                    value,
                    ts,
                    promise,
                } = version;
                self.cache.merge(key, value, ts, promise, false);
            }
            // The artifact refreshes from every write, without dependency
            // checks (§13.3).
            DbReply::Notify { key, register, .. } if self.variant == Variant::Artifact => {
                let ts = stamp_of(&register);
                self.cache.merge(key, Some(register.value), ts, ts, true);
            }
            DbReply::Got { .. } | DbReply::Visible { .. } | DbReply::Notify { .. } => {}
        }
    }

    /// Published: a timestamp and a promise per cached key. Artifact: one
    /// timestamp per key, all preloaded.
    fn metadata_bytes(&self) -> u64 {
        let held = self.cache.len() as u64;
        match self.variant {
            Variant::Published => 16 * held,
            Variant::Artifact => 8 * held.max(self.keys),
        }
    }

    fn remote_fetches(&self) -> u64 {
        self.fetched
    }
}
