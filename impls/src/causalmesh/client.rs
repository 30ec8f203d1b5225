//! The CausalMesh client library (reference §6): `deps` and `local` travel
//! with the workflow from function to function.

use std::collections::BTreeMap;

use crate::design::{
    ClientId, ClientSession, Cluster, Completion, Op, OpResult, Poll, Served, WireSize,
};
use crate::version::{Deps, Key, NodeId, Value, Version};

use super::Msg;
use super::meta::Meta;

/// The causal context of a workflow.
#[derive(Clone, Default, Debug)]
pub struct ClientContext {
    /// The clock of every version read from a server, joined per key.
    pub deps: Deps,
    /// Every write the workflow issued, with its value and dependencies.
    pub local: BTreeMap<Key, Meta>,
}

impl ClientContext {
    /// Joins a parallel branch's context into this one (§6).
    pub fn merge(&mut self, other: &ClientContext) {
        self.deps.merge(&other.deps);
        for meta in other.local.values() {
            self.keep_local(meta.clone());
        }
    }

    /// Records a write of the workflow: the last writer wins the value, the
    /// dependencies join.
    fn keep_local(&mut self, meta: Meta) {
        match self.local.get_mut(&meta.key) {
            Some(mine) if other_wins(mine, &meta) => {
                let older = std::mem::replace(mine, meta);
                mine.deps.merge(&older.deps);
            }
            Some(mine) => mine.deps.merge(&meta.deps),
            None => {
                self.local.insert(meta.key, meta);
            }
        }
    }
}

fn other_wins(mine: &Meta, other: &Meta) -> bool {
    other.version.vc.lww_cmp(&mine.version.vc).is_gt()
}

impl WireSize for ClientContext {
    fn encoded_bytes(&self) -> usize {
        self.deps.encoded_bytes() + self.local.values().map(Meta::encoded_bytes).sum::<usize>()
    }
}

enum Pending {
    Read(Key),
    /// A write awaiting its clock from the head.
    Write(Key, Value),
}

pub struct CausalMeshClient {
    ctx: ClientContext,
    node: NodeId,
    pending: Option<Pending>,
}

impl ClientSession for CausalMeshClient {
    type Msg = Msg;
    type Context = ClientContext;

    fn resume(ctx: ClientContext, node: NodeId, _id: ClientId, _cluster: &Cluster) -> Self {
        CausalMeshClient {
            ctx,
            node,
            pending: None,
        }
    }

    fn start(&mut self, op: &Op, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        match op {
            Op::Read(key) => {
                // Read-your-writes without a round trip.
                if let Some(own) = self.ctx.local.get(key) {
                    return Poll::Ready(Completion {
                        result: OpResult::Read(own.version.value.clone()),
                        served: Served::Client,
                    });
                }
                self.pending = Some(Pending::Read(*key));
                out.push((
                    self.node,
                    Msg::Read {
                        key: *key,
                        deps: self.ctx.deps.clone(),
                    },
                ));
            }
            Op::Write(key, value) => {
                self.pending = Some(Pending::Write(*key, value.clone()));
                out.push((
                    self.node,
                    Msg::Write {
                        key: *key,
                        value: value.clone(),
                        deps: self.ctx.deps.clone(),
                        local: self.ctx.local.values().cloned().collect(),
                    },
                ));
            }
        }
        Poll::Pending
    }

    fn on_reply(&mut self, _from: NodeId, msg: Msg, _out: &mut Vec<(NodeId, Msg)>) -> Poll {
        match (self.pending.take(), msg) {
            (Some(Pending::Read(key)), Msg::ReadReply { value, vc }) => {
                // The key's dependency is the C-cache clock, not only the
                // winning version's: the reader has now seen all of it.
                self.ctx.deps.add(key, &vc);
                Poll::Ready(Completion {
                    result: OpResult::Read(value),
                    served: Served::Cache,
                })
            }
            (Some(Pending::Write(key, value)), Msg::WriteReply { vc }) => {
                let mut deps = self.ctx.deps.clone();
                for (k, m) in &self.ctx.local {
                    deps.add(*k, &m.version.vc);
                }
                let meta = Meta {
                    key,
                    version: Version { value, vc },
                    deps,
                };
                self.ctx.keep_local(meta);
                Poll::Ready(Completion {
                    result: OpResult::Written,
                    served: Served::Cache,
                })
            }
            // Anything else is not an answer to the running operation.
            (pending, _) => {
                self.pending = pending;
                Poll::Pending
            }
        }
    }

    fn suspend(self) -> ClientContext {
        self.ctx
    }
}
