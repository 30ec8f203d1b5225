//! The embedded emulated database: an in-memory store with the prototype
//! proxy's semantics (reference §10). Time and latency belong to the runtime,
//! which queues requests behind the configured service time.

use impls::db::{DbReply, DbRequest};
use impls::{NodeId, Register, Registers, VectorClock, Version};

pub struct EmulatedDb {
    rows: Registers,
    subscribers: Vec<NodeId>,
    pub reads: u64,
    pub writes: u64,
}

impl EmulatedDb {
    /// Every key `0..keys` seeded with the initial value, as server 0 seeds
    /// Redis in the prototype.
    pub fn preloaded(keys: u64, servers: usize, value_size: usize) -> EmulatedDb {
        EmulatedDb {
            rows: Registers::preloaded(servers, keys, value_size),
            subscribers: Vec::new(),
            reads: 0,
            writes: 0,
        }
    }

    pub fn get(&self, key: u64) -> &Register {
        self.rows.get(key)
    }

    /// Applies one request from `from`; replies (and notifications) go into `out`.
    pub fn handle(&mut self, from: NodeId, req: DbRequest, out: &mut Vec<(NodeId, DbReply)>) {
        let (id, key) = match req {
            DbRequest::Get { id, key } => {
                self.reads += 1;
                let register = Some(self.get(key).clone());
                out.push((from, DbReply::Got { id, key, register }));
                return;
            }
            DbRequest::Subscribe => {
                if !self.subscribers.contains(&from) {
                    self.subscribers.push(from);
                }
                return;
            }
            // Clock join plus last-writer-wins with the tie-break.
            DbRequest::Merge { id, key, version } => {
                self.rows.get_mut(key).merge_version(&version);
                (id, key)
            }
            // A plain SET: clocks play no part.
            DbRequest::Set { id, key, value } => {
                let width = self.rows.servers();
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
        for &s in &self.subscribers {
            out.push((
                s,
                DbReply::Notify {
                    key,
                    register: register.clone(),
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
        db.handle(
            0,
            DbRequest::Merge {
                id: tag,
                key: 5,
                version,
            },
            &mut out,
        );
        out
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
        db.handle(1, DbRequest::Subscribe, &mut out);
        db.handle(
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
            matches!(&out[1], (1, DbReply::Notify { key: 3, register }) if register.value.tag() == 9)
        );
        out.clear();
        db.handle(0, DbRequest::Get { id: 8, key: 4 }, &mut out);
        assert!(
            matches!(&out[0], (0, DbReply::Got { id: 8, register: Some(r), .. }) if r.value.tag() == 0)
        );
        assert_eq!(db.reads, 1);
    }
}
