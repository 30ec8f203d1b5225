//! No cache: every operation goes to the database through the node.

use crate::db::{DbReply, DbRequest, DbRequests};
use crate::design::{Cluster, Design, Micros, Outbox, Peer, ServerNode};
use crate::version::{NodeId, Value};

use super::{Msg, PlainClient, Waiter};

pub struct NoCache;

impl Design for NoCache {
    const NAME: &'static str = "nocache";
    const CAUSAL: bool = false;
    const ABOUT: &'static str = "every operation goes to the database";

    type Msg = Msg;
    type Server = NoCacheServer;
    type Client = PlainClient;

    fn server(_id: NodeId, cluster: &Cluster) -> NoCacheServer {
        NoCacheServer {
            initial: Value::tagged(0, cluster.value_size),
            db: DbRequests::default(),
        }
    }
}

pub struct NoCacheServer {
    initial: Value,
    db: DbRequests<Waiter>,
}

impl ServerNode for NoCacheServer {
    type Msg = Msg;

    fn on_message(&mut self, _now: Micros, from: Peer, msg: Msg, out: &mut Outbox<Msg>) {
        match msg {
            Msg::Read { key } => {
                let id = self.db.issue(Waiter::Read { client: from });
                out.to_db(DbRequest::Get { id, key });
            }
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

    fn on_db_reply(&mut self, _now: Micros, reply: DbReply, out: &mut Outbox<Msg>) {
        let (id, value) = match reply {
            DbReply::Got { id, register, .. } => (id, register.map(|r| r.value)),
            DbReply::Written { id, .. } => (id, None),
            // Notifications and versioned-storage replies are for other designs.
            _ => return,
        };
        match self.db.complete(id) {
            Some(Waiter::Read { client }) => {
                let value = value.unwrap_or_else(|| self.initial.clone());
                out.send(
                    client,
                    Msg::ReadReply {
                        value,
                        from_db: true,
                    },
                );
            }
            Some(Waiter::Write { client, .. }) => out.send(client, Msg::WriteReply),
            None => {}
        }
    }

    fn metadata_bytes(&self) -> u64 {
        0
    }
}
