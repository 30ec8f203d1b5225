//! CausalMesh (reference §2–§7): a causally consistent cache whose clients
//! roam between nodes without coordination and without aborts. We follow the
//! verified two-round protocol (model B, §5), not the prototype's deviations
//! (§5.6).

mod caches;
mod client;
mod meta;
mod server;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use client::{CausalMeshClient, ClientContext};
pub use meta::Meta;
pub use server::CausalMeshServer;

use crate::clock::VectorClock;
use crate::design::{Cluster, Design, WireSize};
use crate::version::{Deps, Key, NodeId, Value};

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
    /// ClientRead: integrate the client's dependencies, then read `key`.
    Read {
        key: Key,
        deps: Deps,
    },
    ReadReply {
        value: Value,
        vc: VectorClock,
    },
    /// ClientWrite: the client's dependencies and all its earlier writes
    /// (`local`) travel with the write (§5.2).
    Write {
        key: Key,
        value: Value,
        deps: Deps,
        local: Vec<Meta>,
    },
    WriteReply {
        vc: VectorClock,
    },
    /// ServerWrite: the write travelling the ring from its head.
    Propagate {
        write: Meta,
        head: NodeId,
        lap: Lap,
    },
}

impl WireSize for Msg {
    fn encoded_bytes(&self) -> usize {
        const HEADER: usize = 16;
        HEADER
            + match self {
                Msg::Read { deps, .. } => 8 + deps.encoded_bytes(),
                Msg::ReadReply { value, vc } => value.len() + vc.encoded_bytes(),
                Msg::Write {
                    value, deps, local, ..
                } => {
                    8 + value.len()
                        + deps.encoded_bytes()
                        + local.iter().map(Meta::encoded_bytes).sum::<usize>()
                }
                Msg::WriteReply { vc } => vc.encoded_bytes(),
                Msg::Propagate { write, .. } => 8 + write.encoded_bytes(),
            }
    }
}

pub struct CausalMesh;

impl Design for CausalMesh {
    const NAME: &'static str = "causalmesh";
    const CAUSAL: bool = true;

    type Msg = Msg;
    type Server = CausalMeshServer;
    type Client = CausalMeshClient;

    fn server(id: NodeId, cluster: &Cluster) -> CausalMeshServer {
        CausalMeshServer::new(id, cluster)
    }
}
