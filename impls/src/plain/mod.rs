//! Designs that keep no causality metadata: the eventually consistent cache
//! and no cache. They share the message vocabulary and the client library; only
//! their servers differ.

pub mod eventual;
pub mod nocache;

use serde::{Deserialize, Serialize};

use crate::design::{
    ClientId, ClientSession, Cluster, Completion, Op, OpResult, Peer, Poll, Served, WireSize,
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

pub struct PlainClient {
    node: NodeId,
}

impl ClientSession for PlainClient {
    type Msg = Msg;
    type Context = NoContext;

    fn resume(_ctx: NoContext, node: NodeId, _id: ClientId, _cluster: &Cluster) -> Self {
        PlainClient { node }
    }

    fn start(&mut self, op: &Op, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        let msg = match op {
            Op::Read(key) => Msg::Read { key: *key },
            Op::Write(key, value) => Msg::Write {
                key: *key,
                value: value.clone(),
            },
        };
        out.push((self.node, msg));
        Poll::Pending
    }

    fn on_reply(&mut self, _from: NodeId, msg: Msg, _out: &mut Vec<(NodeId, Msg)>) -> Poll {
        let (result, from_db) = match msg {
            Msg::ReadReply { value, from_db } => (OpResult::Read(value), from_db),
            // Writes go through to the database before they are acknowledged.
            Msg::WriteReply => (OpResult::Written, true),
            Msg::Read { .. } | Msg::Write { .. } => return Poll::Pending,
        };
        Poll::Ready(Completion {
            result,
            served: if from_db {
                Served::Database
            } else {
                Served::Cache
            },
        })
    }

    fn suspend(self) -> NoContext {
        NoContext
    }
}
