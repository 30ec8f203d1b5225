//! Cache designs as pure state machines (see `DESIGN.md`): vector clocks, the
//! design interface, and every design behind it.

pub mod causalmesh;
pub mod clock;
pub mod db;
pub mod design;
pub mod faastcc;
pub mod fasthash;
pub mod hydrocache;
pub mod plain;
pub mod version;

pub use clock::VectorClock;
pub use design::{
    ClientId, ClientSession, Cluster, Completion, Design, DesignOptions, FunctionPlan, MessageKind,
    Micros, Op, OpResult, Outbox, Peer, Poll, Served, ServerNode, WireSize, WorkflowPlan,
};
pub use version::{Deps, Key, NodeId, Register, Registers, Value, Version};
