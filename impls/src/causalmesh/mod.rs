//! CausalMesh (reference §2–§7): a causally consistent cache whose clients
//! roam between nodes without coordination and without aborts. We follow the
//! verified two-round protocol (model B, §5), not the prototype's deviations
//! (§5.6).

mod caches;
mod client;
mod meta;
mod multiversion;
mod server;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use client::{CausalMeshClient, ClientContext};
pub use meta::Meta;
pub use server::{CausalMeshServer, ReadAnswer};

use crate::clock::VectorClock;
use crate::design::{Cluster, Design, MessageKind, WireSize};
use crate::version::{Deps, Key, NodeId, Register, Value};

/// Which lap of the ring a propagated write is on (§5.3).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Lap {
    /// Adds the write to every I-cache.
    First,
    /// Ends at the tail, which integrates the write into its C-cache.
    Second,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Msg {
    /// ClientRead, or a read-only transaction over several keys: integrate
    /// the client's dependencies, then read the keys at one instant.
    Read {
        keys: Vec<Key>,
        deps: Deps,
    },
    /// Per key read: its C-cache entry (value, the winning version's clock
    /// and the joined clock).
    ReadReply {
        values: Vec<Register>,
    },
    /// ClientWrite of one key, or of a transaction's writes together: the
    /// client's dependencies and all its earlier writes (`local`) travel with
    /// it (§5.2).
    Write {
        writes: Vec<(Key, Value)>,
        deps: Deps,
        local: Vec<Meta>,
    },
    WriteReply {
        vc: VectorClock,
    },
    /// ServerWrite: a write (or a transaction's writes) travelling the ring
    /// from its head. Each write is shared with every I-cache its first lap
    /// fills instead of copied (the simulator holds all servers' caches).
    Propagate {
        writes: Vec<Arc<Meta>>,
        head: NodeId,
        lap: Lap,
        /// The writes' encoded size, summed once at the head: they do not
        /// change on the ring, which is as long as the cluster.
        bytes: usize,
    },
    /// CausalMesh-TCC: no kept version fits the transaction's snapshot.
    Abort,
}

impl WireSize for Msg {
    fn encoded_bytes(&self) -> usize {
        const HEADER: usize = 16;
        HEADER
            + match self {
                Msg::Read { keys, deps } => 8 * keys.len() + deps.encoded_bytes(),
                Msg::ReadReply { values } => values
                    .iter()
                    .map(|r| r.value.len() + r.metadata_bytes())
                    .sum(),
                Msg::Write {
                    writes,
                    deps,
                    local,
                } => {
                    writes.iter().map(|(_, v)| 8 + v.len()).sum::<usize>()
                        + deps.encoded_bytes()
                        + local.iter().map(Meta::encoded_bytes).sum::<usize>()
                }
                Msg::WriteReply { vc } => vc.encoded_bytes(),
                Msg::Propagate { bytes, .. } => 8 + bytes,
                Msg::Abort => 0,
            }
    }
}

impl MessageKind for Msg {
    const KINDS: &'static [&'static str] = &[
        "read",
        "read_reply",
        "write",
        "write_reply",
        "propagate",
        "abort",
    ];

    fn kind_index(&self) -> usize {
        match self {
            Msg::Read { .. } => 0,
            Msg::ReadReply { .. } => 1,
            Msg::Write { .. } => 2,
            Msg::WriteReply { .. } => 3,
            Msg::Propagate { .. } => 4,
            Msg::Abort => 5,
        }
    }
}

/// CausalMesh proper, or its read-write transactional variant.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Causal consistency; reads, writes and read-only transactions never
    /// abort and never coordinate.
    Causal,
    /// Transactional causal consistency over the whole workflow: reads come
    /// from a bounded multi-version C-cache and may abort (§8).
    Transactional,
}

pub struct CausalMesh;

impl Design for CausalMesh {
    const NAME: &'static str = "causalmesh";
    const CAUSAL: bool = true;
    const CONVERGENT: bool = true;
    const ABOUT: &'static str = "causal consistency and read-only transactions under roaming; two-lap ring propagation, lazy integration";

    type Msg = Msg;
    type Server = CausalMeshServer;
    type Client = CausalMeshClient<false>;

    fn server(id: NodeId, cluster: &Cluster) -> CausalMeshServer {
        CausalMeshServer::new(id, cluster, Mode::Causal)
    }
}

pub struct CausalMeshTcc;

impl Design for CausalMeshTcc {
    const NAME: &'static str = "causalmesh-tcc";
    const CAUSAL: bool = true;
    const CONVERGENT: bool = true;
    const ABORT_FREE: bool = false;
    const ABOUT: &'static str = "transactional causal consistency over the whole workflow from a bounded multi-version cache";

    type Msg = Msg;
    type Server = CausalMeshServer;
    type Client = CausalMeshClient<true>;

    fn server(id: NodeId, cluster: &Cluster) -> CausalMeshServer {
        CausalMeshServer::new(id, cluster, Mode::Transactional)
    }
}
