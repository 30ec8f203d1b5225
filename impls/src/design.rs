//! The design interface: every cache design is a pair of pure state machines,
//! a server (one per cache node) and a client library (one per running
//! function of a workflow). Neither touches a socket, a clock or a thread: the
//! runtime passes time in as data, delivers messages, and sends what the state
//! machines leave in their outboxes.

use std::fmt::Debug;

use serde::{Deserialize, Serialize};

use crate::db::{DbReply, DbRequest};
use crate::version::{Key, NodeId, Value};

/// Identifies a running client session; the runtime allocates them.
pub type ClientId = u64;

/// Microseconds since the start of the run, as the runtime measures them.
pub type Micros = u64;

/// Who sent a message to a server.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Peer {
    Node(NodeId),
    Client(ClientId),
}

/// An operation of the shared vocabulary; workloads and the recorder never
/// special-case a design.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Op {
    Read(Key),
    Write(Key, Value),
}

/// Where a completed operation was served from, for hit ratios.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Served {
    /// The client library answered from the workflow's own state.
    Client,
    /// A cache node answered from its cache.
    Cache,
    /// The answer needed the database.
    Database,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum OpResult {
    Read(Value),
    Written,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Completion {
    pub result: OpResult,
    pub served: Served,
}

/// The state of an operation after the client library has handled an event.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Poll {
    Pending,
    Ready(Completion),
}

/// Messages a server leaves for the runtime to send.
#[derive(Debug)]
pub struct Outbox<M> {
    pub sends: Vec<(Peer, M)>,
    pub db: Vec<DbRequest>,
}

impl<M> Default for Outbox<M> {
    fn default() -> Self {
        Outbox {
            sends: Vec::new(),
            db: Vec::new(),
        }
    }
}

impl<M> Outbox<M> {
    pub fn send(&mut self, to: Peer, msg: M) {
        self.sends.push((to, msg));
    }

    pub fn to_db(&mut self, req: DbRequest) {
        self.db.push(req);
    }

    pub fn is_empty(&self) -> bool {
        self.sends.is_empty() && self.db.is_empty()
    }
}

/// Size on the wire, for metadata accounting and bandwidth models.
pub trait WireSize {
    fn encoded_bytes(&self) -> usize;
}

/// What every design is built from; the runtime needs nothing else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// Number of cache servers; also the width of vector clocks.
    pub servers: usize,
    /// Size of the key space `0..keys`, preloaded where a design preloads.
    pub keys: u64,
    /// Bytes of every value, including its tag.
    pub value_size: usize,
    /// Design-specific knobs.
    pub options: DesignOptions,
}

/// Knobs of individual designs, with the defaults the evaluation used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DesignOptions {
    /// Eventual cache: how long a cached value is served before the node
    /// fetches it again (DAX's item-cache TTL; its default is 5 minutes).
    #[serde(rename = "eventual_ttl", with = "micros_as_duration")]
    pub eventual_ttl_us: Micros,
}

impl Default for DesignOptions {
    fn default() -> Self {
        DesignOptions {
            eventual_ttl_us: 300_000_000,
        }
    }
}

/// Durations in configs are written as "150ms", "5m"; designs see microseconds.
pub mod micros_as_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(us: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(Duration::from_micros(*us)).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        let duration = humantime::parse_duration(&text).map_err(|e| {
            serde::de::Error::custom(format!(
                "`{text}` is not a duration like \"150ms\" or \"5m\": {e}"
            ))
        })?;
        u64::try_from(duration.as_micros())
            .map_err(|_| serde::de::Error::custom("duration too long"))
    }
}

/// A cache node's state machine.
pub trait ServerNode: Send + 'static {
    type Msg;

    /// Called once before any message; a design may subscribe to the database.
    fn on_start(&mut self, _now: Micros, _out: &mut Outbox<Self::Msg>) {}

    fn on_message(&mut self, now: Micros, from: Peer, msg: Self::Msg, out: &mut Outbox<Self::Msg>);

    fn on_db_reply(&mut self, now: Micros, reply: DbReply, out: &mut Outbox<Self::Msg>);

    /// Bytes of causality metadata (clocks, dependencies) the node holds.
    fn metadata_bytes(&self) -> u64;
}

/// A workflow's client library while one of its functions runs on `node`.
/// Between functions it lives on only as its [`ClientSession::Context`], which
/// the scheduler ships to wherever the next function runs.
pub trait ClientSession: Sized + Send + 'static {
    type Msg;
    type Context: Clone + Default + Debug + Send + WireSize + 'static;

    /// Imports the causal context at the node where the function runs.
    fn resume(ctx: Self::Context, node: NodeId, id: ClientId, cluster: &Cluster) -> Self;

    /// Starts an operation; messages go into `out` addressed to cache nodes.
    /// One operation runs at a time.
    fn start(&mut self, op: &Op, out: &mut Vec<(NodeId, Self::Msg)>) -> Poll;

    /// A cache node answered the running operation.
    fn on_reply(
        &mut self,
        from: NodeId,
        msg: Self::Msg,
        out: &mut Vec<(NodeId, Self::Msg)>,
    ) -> Poll;

    /// Exports the causal context for the workflow's next function.
    fn suspend(self) -> Self::Context;
}

/// A cache design: its messages, its server and its client library.
pub trait Design: 'static {
    /// The name used in configs, on the command line and in results.
    const NAME: &'static str;
    /// Whether the design claims causal consistency for roaming workflows.
    const CAUSAL: bool;

    type Msg: Clone + Debug + Send + WireSize + 'static;
    type Server: ServerNode<Msg = Self::Msg>;
    type Client: ClientSession<Msg = Self::Msg>;

    fn server(id: NodeId, cluster: &Cluster) -> Self::Server;
}
