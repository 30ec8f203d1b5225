//! Designs that keep no causality metadata: the eventually consistent cache
//! and no cache. They share the message vocabulary and the client library; only
//! their servers differ.

pub mod eventual;
pub mod nocache;

use serde::{Deserialize, Serialize};

use crate::design::{
    ClientId, ClientSession, Cluster, Completion, MessageKind, Op, OpResult, Peer, Poll, Served,
    WireSize,
};
use crate::version::{Key, NodeId, Value};

pub use eventual::{Eventual, EventualServer};
pub use nocache::{NoCache, NoCacheServer};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Msg {
    Read { key: Key },
    ReadReply { value: Value, from_db: bool },
    Write { key: Key, value: Value },
    WriteReply,
}

impl WireSize for Msg {
    fn encoded_bytes(&self) -> usize {
        const HEADER: usize = 16;
        HEADER
            + match self {
                Msg::Read { .. } => 8,
                Msg::ReadReply { value, .. } => value.len(),
                Msg::Write { value, .. } => 8 + value.len(),
                Msg::WriteReply => 0,
            }
    }
}

impl MessageKind for Msg {
    const KINDS: &'static [&'static str] = &["read", "read_reply", "write", "write_reply"];

    fn kind_index(&self) -> usize {
        match self {
            Msg::Read { .. } => 0,
            Msg::ReadReply { .. } => 1,
            Msg::Write { .. } => 2,
            Msg::WriteReply => 3,
        }
    }
}

/// What a server owes a client once the database answers.
#[derive(Debug)]
enum Waiter {
    Read {
        client: Peer,
    },
    Write {
        client: Peer,
        key: Key,
        value: Value,
    },
}

/// The context of a plain workflow: nothing travels between functions.
#[derive(Clone, Default, Debug)]
pub struct NoContext;

impl WireSize for NoContext {
    fn encoded_bytes(&self) -> usize {
        0
    }
}

/// Without a protocol to make them atomic, a transaction runs as its reads
/// and then its writes, one after another.
pub struct PlainClient {
    node: NodeId,
    /// Steps of the running operation not yet sent, in order.
    queued: std::collections::VecDeque<Msg>,
    /// Values read so far by the running transaction.
    read: Vec<Value>,
    /// Whether any step went to the database.
    from_db: bool,
    txn: bool,
}

impl PlainClient {
    fn send_next(&mut self, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        match self.queued.pop_front() {
            Some(msg) => {
                out.push((self.node, msg));
                Poll::Pending
            }
            None => Poll::Ready(Completion {
                result: if self.txn {
                    OpResult::Txn(std::mem::take(&mut self.read))
                } else if let Some(v) = self.read.pop() {
                    OpResult::Read(v)
                } else {
                    OpResult::Written
                },
                served: if self.from_db {
                    Served::Database
                } else {
                    Served::Cache
                },
            }),
        }
    }
}

impl ClientSession for PlainClient {
    type Msg = Msg;
    type Context = NoContext;

    fn resume(_ctx: NoContext, node: NodeId, _id: ClientId, _cluster: &Cluster) -> Self {
        PlainClient {
            node,
            queued: std::collections::VecDeque::new(),
            read: Vec::new(),
            from_db: false,
            txn: false,
        }
    }

    fn start(&mut self, op: &Op, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        self.read.clear();
        self.from_db = false;
        self.txn = matches!(op, Op::ReadTxn(_) | Op::ReadWriteTxn { .. });
        self.queued = op
            .read_keys()
            .iter()
            .map(|&key| Msg::Read { key })
            .chain(op.writes().into_iter().map(|(key, value)| Msg::Write {
                key,
                value: value.clone(),
            }))
            .collect();
        self.send_next(out)
    }

    fn on_reply(&mut self, _from: NodeId, msg: Msg, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        match msg {
            Msg::ReadReply { value, from_db } => {
                self.read.push(value);
                self.from_db |= from_db;
            }
            // Writes go through to the database before they are acknowledged.
            Msg::WriteReply => self.from_db = true,
            Msg::Read { .. } | Msg::Write { .. } => return Poll::Pending,
        }
        self.send_next(out)
    }

    fn suspend(self) -> NoContext {
        NoContext
    }

    /// Nothing travels, so nothing joins.
    fn merge_contexts(_a: NoContext, _b: NoContext) -> NoContext {
        NoContext
    }
}
