//! The eventually consistent cache, DAX-like (reference §1): each node caches
//! on its own with a TTL, writes go through to the database, and other nodes
//! see a new value only once their copy expires. Roaming workflows can see
//! anomalies: that is what it is for.

use std::collections::HashMap;

use crate::db::{DbReply, DbRequest, DbRequests};
use crate::design::{Cluster, Design, Micros, Outbox, Peer, ServerNode};
use crate::fasthash::FastHash;
use crate::version::{Key, NodeId, Value};

use super::{Msg, PlainClient, Waiter};

pub struct Eventual;

impl Design for Eventual {
    const NAME: &'static str = "eventual";
    const CAUSAL: bool = false;
    const ABOUT: &'static str =
        "DAX-like per-node TTL cache with write-through: the anomaly-prone reference";

    type Msg = Msg;
    type Server = EventualServer;
    type Client = PlainClient;

    fn server(_id: NodeId, cluster: &Cluster) -> EventualServer {
        EventualServer {
            cache: HashMap::default(),
            ttl: cluster.options.eventual_ttl_us,
            initial: Value::tagged(0, cluster.value_size),
            db: DbRequests::default(),
        }
    }
}

struct Cached {
    value: Value,
    fetched_at: Micros,
}

pub struct EventualServer {
    cache: HashMap<Key, Cached, FastHash>,
    ttl: Micros,
    /// What a key never written to the database holds.
    initial: Value,
    db: DbRequests<Waiter>,
}

impl EventualServer {
    fn fresh(&self, key: Key, now: Micros) -> Option<&Value> {
        self.cache
            .get(&key)
            .filter(|c| now.saturating_sub(c.fetched_at) < self.ttl)
            .map(|c| &c.value)
    }
}

impl ServerNode for EventualServer {
    type Msg = Msg;

    fn on_message(&mut self, now: Micros, from: Peer, msg: Msg, out: &mut Outbox<Msg>) {
        match msg {
            Msg::Read { key } => match self.fresh(key, now) {
                Some(value) => {
                    let value = value.clone();
                    out.send(
                        from,
                        Msg::ReadReply {
                            value,
                            from_db: false,
                        },
                    );
                }
                None => {
                    let id = self.db.issue(Waiter::Read { client: from });
                    out.to_db(DbRequest::Get { id, key });
                }
            },
            Msg::Write { key, value } => {
                let id = self.db.issue(Waiter::Write {
                    client: from,
                    key,
                    value: value.clone(),
                });
                out.to_db(DbRequest::Set { id, key, value });
            }
            Msg::ReadReply { .. } | Msg::WriteReply => {}
        }
    }

    fn on_db_reply(&mut self, now: Micros, reply: DbReply, out: &mut Outbox<Msg>) {
        let (id, key, fetched) = match reply {
            DbReply::Got {
                id, key, register, ..
            } => (id, key, register.map(|r| r.value)),
            DbReply::Written { id, key } => (id, key, None),
            // Notifications and versioned-storage replies are for other designs.
            _ => return,
        };
        match self.db.complete(id) {
            Some(Waiter::Read { client }) => {
                let value = fetched.unwrap_or_else(|| self.initial.clone());
                self.cache.insert(
                    key,
                    Cached {
                        value: value.clone(),
                        fetched_at: now,
                    },
                );
                out.send(
                    client,
                    Msg::ReadReply {
                        value,
                        from_db: true,
                    },
                );
            }
            Some(Waiter::Write { client, key, value }) => {
                // The writer's node keeps its own write; others keep theirs until it expires.
                self.cache.insert(
                    key,
                    Cached {
                        value,
                        fetched_at: now,
                    },
                );
                out.send(client, Msg::WriteReply);
            }
            None => {}
        }
    }

    /// The fetch time of each cached entry.
    fn metadata_bytes(&self) -> u64 {
        8 * self.cache.len() as u64
    }
}
