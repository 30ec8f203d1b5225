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
    /// A read-only transaction: every key from one causal snapshot.
    ReadTxn(Vec<Key>),
    /// A read-write transaction: its reads from one snapshot, its writes
    /// visible all together or not at all.
    ReadWriteTxn {
        reads: Vec<Key>,
        writes: Vec<(Key, Value)>,
    },
}

impl Op {
    /// The keys the operation reads.
    pub fn read_keys(&self) -> &[Key] {
        match self {
            Op::Read(k) => std::slice::from_ref(k),
            Op::Write(..) => &[],
            Op::ReadTxn(keys) | Op::ReadWriteTxn { reads: keys, .. } => keys,
        }
    }

    /// The writes the operation makes.
    pub fn writes(&self) -> Vec<(Key, &Value)> {
        match self {
            Op::Write(k, v) => vec![(*k, v)],
            Op::ReadWriteTxn { writes, .. } => writes.iter().map(|(k, v)| (*k, v)).collect(),
            Op::Read(_) | Op::ReadTxn(_) => Vec::new(),
        }
    }
}

/// One function invocation: the node the scheduler placed it on, and its
/// operations in order.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionPlan {
    pub node: NodeId,
    pub ops: Vec<Op>,
}

impl FunctionPlan {
    /// Every key the function reads, in order, with repeats.
    pub fn read_set(&self) -> impl Iterator<Item = Key> + '_ {
        self.ops
            .iter()
            .flat_map(|op| op.read_keys().iter().copied())
    }
}

/// A workflow: stages run one after another, each of one or more functions
/// that run concurrently, each from the context the previous stage left; the
/// contexts a stage's functions export are merged before the next stage (the
/// media application's parallel branches, causalmesh.md §6, §15). Read sets
/// are known when it starts, as the HydroCache protocols require.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowPlan {
    pub index: u64,
    pub functions: Vec<FunctionPlan>,
    /// How many consecutive functions each stage holds, in order (they sum to
    /// `functions.len()`); empty for a chain, one function per stage.
    pub stages: Vec<usize>,
}

impl WorkflowPlan {
    /// A chain: every function a stage of its own.
    pub fn chain(index: u64, functions: Vec<FunctionPlan>) -> WorkflowPlan {
        WorkflowPlan {
            index,
            functions,
            stages: Vec::new(),
        }
    }

    /// The functions of each stage, as index ranges into `functions`.
    pub fn stage_ranges(&self) -> Vec<std::ops::Range<usize>> {
        if self.stages.is_empty() {
            return (0..self.functions.len()).map(|f| f..f + 1).collect();
        }
        let mut start = 0;
        self.stages
            .iter()
            .map(|&width| {
                let range = start..start + width;
                start += width;
                range
            })
            .collect()
    }

    /// The function whose context flows into `function`: in a chain the one
    /// before it; after a parallel stage, that stage's last function (the
    /// others' contexts are merged into it).
    pub fn upstream(&self, function: usize) -> Option<usize> {
        let ranges = self.stage_ranges();
        let stage = ranges.iter().position(|r| r.contains(&function))?;
        Some(ranges.get(stage.checked_sub(1)?)?.end - 1)
    }

    pub fn ops(&self) -> usize {
        self.functions.iter().map(|f| f.ops.len()).sum()
    }

    /// The union of all functions' read sets, sorted.
    pub fn full_read_set(&self) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .functions
            .iter()
            .flat_map(FunctionPlan::read_set)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
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
    /// The values a transaction read, in the order of its read keys; its
    /// writes, if any, are applied.
    Txn(Vec<Value>),
    /// A workflow-level step (a prepare, a commit) is finished.
    Done,
    /// The design aborted the workflow; the runtime restarts it as a new
    /// session.
    Aborted,
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

impl Poll {
    /// A workflow-level step that finished without leaving the client.
    pub fn done() -> Poll {
        Poll::Ready(Completion {
            result: OpResult::Done,
            served: Served::Client,
        })
    }

    pub fn aborted() -> Poll {
        Poll::Ready(Completion {
            result: OpResult::Aborted,
            served: Served::Client,
        })
    }
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

/// Names each kind of message, so a simulator can charge every kind its own
/// service time and a calibration can measure each one.
pub trait MessageKind {
    /// Every kind of the vocabulary, in a fixed order.
    const KINDS: &'static [&'static str];

    /// The position of this message's kind in [`MessageKind::KINDS`].
    fn kind_index(&self) -> usize;

    fn kind(&self) -> &'static str {
        Self::KINDS
            .get(self.kind_index())
            .copied()
            .unwrap_or("unknown")
    }
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
    /// Workflows hand their causal context on to the next holder of a
    /// token (`harness::tokens`): a design whose last function answers
    /// before its writes are stamped must then wait for them, so that the
    /// context it hands on names them.
    #[serde(default)]
    pub hands_on_contexts: bool,
}

/// Knobs of individual designs, with the defaults the evaluation used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DesignOptions {
    /// Eventual cache: how long a cached value is served before the node
    /// fetches it again (DAX's item-cache TTL; its default is 5 minutes).
    #[serde(rename = "eventual_ttl", with = "micros_as_duration")]
    pub eventual_ttl_us: Micros,
    /// CausalMesh-TCC: versions kept per key in the multi-version C-cache
    /// (the prototype's MV_SIZE).
    pub tcc_versions: usize,
    /// HydroCache-Opt as the CausalMesh artifact ran it (`hydrocache-opt-cm`):
    /// reproduce the prototype's defect of copying the returned su into both
    /// su and ru (causalmesh.md §13.2), so later checks compare against the
    /// snapshots' clocks rather than what was actually read. Off: the fixed
    /// protocol.
    pub hydrocache_opt_su_ru_defect: bool,
    /// FaaSTCC: after the first function the workflow's interval collapses to
    /// its upper end, so every later function reads at that one instant, as
    /// the authors' executor does (baselines §2.5). Off: the interval narrows
    /// at every function.
    pub faastcc_point_snapshot: bool,
    /// FaaSTCC-CM: each read raises the interval's lower end to the version's
    /// timestamp, so a later read of an older cached version aborts: the
    /// check causalmesh.md §13.3 describes. Off, as the artifact ran: its
    /// server echoes the interval unchanged, so the check never fires and
    /// the design never aborts.
    pub faastcc_cm_narrow: bool,
    /// HydroCache (every variant) and the database's rows keep every
    /// dependency a key ever had, where the published lattice lets a
    /// dominating version's deps replace its predecessor's (baselines.md
    /// §1.2). Replacing loses what the predecessor needed when a workflow
    /// reads a key and writes it again, a rare causal anomaly (`cmbench
    /// explore --design hydrocache-opt` finds one at seed 26); keeping
    /// closes it, but a hot key's deps then grow with its history, and so
    /// does the CPU every notification of it costs. Off: as published.
    pub hydrocache_keep_deps: bool,
}

impl Default for DesignOptions {
    fn default() -> Self {
        DesignOptions {
            eventual_ttl_us: 300_000_000,
            tcc_versions: 4,
            hydrocache_opt_su_ru_defect: false,
            faastcc_point_snapshot: false,
            faastcc_cm_narrow: false,
            hydrocache_keep_deps: false,
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

    /// How often the node wants [`ServerNode::on_tick`] for background work
    /// (cut maintenance, batching); `None` for never.
    fn tick_interval(&self) -> Option<Micros> {
        None
    }

    fn on_tick(&mut self, _now: Micros, _out: &mut Outbox<Self::Msg>) {}

    /// Bytes of causality metadata (clocks, dependencies) the node holds,
    /// measured from its data structures.
    fn metadata_bytes(&self) -> u64;

    /// Reads or prepares that had to go to another cache or to the database
    /// to satisfy a dependency, so far.
    fn remote_fetches(&self) -> u64 {
        0
    }
}

/// A workflow's client library while one of its functions runs on `node`.
/// Between functions it lives on only as its [`ClientSession::Context`], which
/// the scheduler ships to wherever the next function runs.
pub trait ClientSession: Sized + Send + 'static {
    type Msg;
    type Context: Clone + Default + Debug + Send + WireSize + 'static;

    /// Imports the causal context at the node where the function runs.
    fn resume(ctx: Self::Context, node: NodeId, id: ClientId, cluster: &Cluster) -> Self;

    /// The scheduler's step before the workflow's first function, with the
    /// whole plan known (HydroCache-Con prepares here). Called on the first
    /// function's session, before [`ClientSession::begin_function`]; messages
    /// may go to any node.
    fn begin_workflow(
        &mut self,
        _plan: &WorkflowPlan,
        _out: &mut Vec<(NodeId, Self::Msg)>,
    ) -> Poll {
        Poll::done()
    }

    /// Before the function's first operation, at its node (HydroCache-Opt
    /// checks its snapshot here).
    fn begin_function(
        &mut self,
        _plan: &WorkflowPlan,
        _function: usize,
        _out: &mut Vec<(NodeId, Self::Msg)>,
    ) -> Poll {
        Poll::done()
    }

    /// After the function's last operation; `last` marks the workflow's last
    /// function, where designs that buffer writes commit them. Messages that
    /// need no answer (clean-ups) may be sent with a `done` result.
    fn end_function(&mut self, _last: bool, _out: &mut Vec<(NodeId, Self::Msg)>) -> Poll {
        Poll::done()
    }

    /// Starts an operation; messages go into `out` addressed to cache nodes.
    /// One operation or step runs at a time; any of them may end in
    /// [`OpResult::Aborted`].
    fn start(&mut self, op: &Op, out: &mut Vec<(NodeId, Self::Msg)>) -> Poll;

    /// A cache node answered the running operation or step.
    fn on_reply(
        &mut self,
        from: NodeId,
        msg: Self::Msg,
        out: &mut Vec<(NodeId, Self::Msg)>,
    ) -> Poll;

    /// Exports the causal context for the workflow's next function.
    fn suspend(self) -> Self::Context;

    /// Joins two causal contexts: parallel branches of one workflow (§6 of
    /// the CausalMesh reference), or a token's last holder handing its past
    /// to the next one. A session resumed from the result never reads
    /// anything older than what either side had seen or written.
    fn merge_contexts(a: Self::Context, b: Self::Context) -> Self::Context;
}

/// A cache design: its messages, its server and its client library.
pub trait Design: 'static {
    /// The name used in configs, on the command line and in results.
    const NAME: &'static str;
    /// Whether the design claims causal consistency for roaming workflows.
    const CAUSAL: bool;
    /// Whether replicas converge: concurrent writes are arbitrated alike
    /// everywhere (causal convergence, CCv).
    const CONVERGENT: bool = false;
    /// Whether reads, writes and transactions never abort.
    const ABORT_FREE: bool = true;
    /// Whether a workflow never waits on a prepare round or a fetch from
    /// another cache before it may read.
    const COORDINATION_FREE: bool = true;
    /// One line for `cmbench list`: the consistency it gives, and for a
    /// variant what it simplifies.
    const ABOUT: &'static str;

    type Msg: Clone + Debug + Send + WireSize + MessageKind + 'static;
    type Server: ServerNode<Msg = Self::Msg>;
    type Client: ClientSession<Msg = Self::Msg>;

    fn server(id: NodeId, cluster: &Cluster) -> Self::Server;
}
