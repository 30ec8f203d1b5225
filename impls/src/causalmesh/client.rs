//! The CausalMesh client library (reference §6): `deps` and `local` travel
//! with the workflow from function to function.

use std::collections::BTreeMap;

use crate::clock::VectorClock;
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
    /// CausalMesh-TCC: what the workflow's transaction read, for repeatable reads.
    pub read: BTreeMap<Key, Value>,
}

impl ClientContext {
    /// Joins another context into this one (§6): dependencies key-wise,
    /// writes by the tie-break with their dependencies joined.
    ///
    /// CausalMesh-TCC's remembered reads are one causal snapshot per side,
    /// but a key one side remembers may be older than what the other side's
    /// past holds (even through a key it never read). So the remembered reads
    /// of a side survive alone only when the other side is empty; otherwise
    /// only the reads both sides agree on do, and the next read of any other
    /// key goes to a node, which integrates the joined dependencies first.
    /// A key either side wrote is never answered from remembered reads.
    pub fn merge(&mut self, other: &ClientContext) {
        let mine_empty = self.is_empty();
        let mine = std::mem::take(&mut self.read);
        self.read = if mine_empty {
            other.read.clone()
        } else if other.is_empty() {
            mine
        } else {
            mine.into_iter()
                .filter(|(k, v)| other.read.get(k) == Some(v))
                .collect()
        };
        self.deps.merge(&other.deps);
        for meta in other.local.values() {
            self.keep_local(meta.clone());
        }
        let local = &self.local;
        self.read.retain(|k, _| !local.contains_key(k));
    }

    /// Nothing read and nothing written.
    pub fn is_empty(&self) -> bool {
        self.deps.is_empty() && self.local.is_empty() && self.read.is_empty()
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
        self.deps.encoded_bytes()
            + self.local.values().map(Meta::encoded_bytes).sum::<usize>()
            + self.read.values().map(|v| 8 + v.len()).sum::<usize>()
    }
}

/// The operation in flight: its read keys and the answers so far, and the
/// writes to send once the reads are in.
struct Running {
    keys: Vec<Key>,
    answers: Vec<Option<Value>>,
    writes: Vec<(Key, Value)>,
    /// The whole operation is a transaction (a `Txn` result).
    txn: bool,
    asked_server: bool,
}

/// The CausalMesh client library; `TCC` selects CausalMesh-TCC, where the
/// whole workflow is one transaction and re-reads return the version read.
pub struct CausalMeshClient<const TCC: bool> {
    ctx: ClientContext,
    node: NodeId,
    running: Option<Running>,
}

impl<const TCC: bool> CausalMeshClient<TCC> {
    /// What the workflow can answer itself: in TCC, what its transaction
    /// already read (repeatable reads).
    ///
    /// Unlike the prototype, a key the workflow wrote is still read at the
    /// node and merged with the own write (below): answering the own write
    /// alone would ignore a concurrent version that wins the tie-break and is
    /// already in the workflow's causal past, arbitrating the two differently
    /// from every replica (the checker finds such CyclicCF cycles).
    fn known(&self, key: Key) -> Option<Value> {
        if TCC {
            self.ctx.read.get(&key).cloned()
        } else {
            None
        }
    }

    /// Sends what the running operation still needs, or completes it.
    fn advance(&mut self, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        let Some(run) = self.running.as_mut() else {
            return Poll::Pending;
        };
        let missing: Vec<Key> = run
            .keys
            .iter()
            .zip(&run.answers)
            .filter(|(_, a)| a.is_none())
            .map(|(k, _)| *k)
            .collect();
        if !missing.is_empty() {
            run.asked_server = true;
            out.push((
                self.node,
                Msg::Read {
                    keys: missing,
                    deps: self.ctx.deps.clone(),
                },
            ));
            return Poll::Pending;
        }
        if !run.writes.is_empty() {
            run.asked_server = true;
            let writes = run.writes.clone();
            out.push((
                self.node,
                Msg::Write {
                    writes,
                    deps: self.ctx.deps.clone(),
                    local: self.ctx.local.values().cloned().collect(),
                },
            ));
            return Poll::Pending;
        }
        let Some(run) = self.running.take() else {
            return Poll::Pending;
        };
        let values: Vec<Value> = run.answers.into_iter().flatten().collect();
        let result = match (run.txn, values.len()) {
            (true, _) => OpResult::Txn(values),
            (false, 0) => OpResult::Written,
            (false, _) => OpResult::Read(values.into_iter().next().unwrap_or_default()),
        };
        let served = if run.asked_server {
            Served::Cache
        } else {
            Served::Client
        };
        Poll::Ready(Completion { result, served })
    }

    /// The head assigned `vc` to the running operation's writes.
    fn written(&mut self, vc: VectorClock) {
        let Some(run) = self.running.as_mut() else {
            return;
        };
        let writes = std::mem::take(&mut run.writes);
        let mut deps = self.ctx.deps.clone();
        for (k, m) in &self.ctx.local {
            deps.add(*k, &m.version.vc);
        }
        for (k, _) in &writes {
            deps.add(*k, &vc);
        }
        for (key, value) in writes {
            // A transaction's re-read of a key it has since written must see
            // the write, not the version it read before.
            self.ctx.read.remove(&key);
            self.ctx.keep_local(Meta {
                key,
                head: self.node,
                version: Version {
                    value,
                    vc: vc.clone(),
                },
                deps: deps.clone(),
            });
        }
    }
}

impl<const TCC: bool> ClientSession for CausalMeshClient<TCC> {
    type Msg = Msg;
    type Context = ClientContext;

    fn resume(ctx: ClientContext, node: NodeId, _id: ClientId, _cluster: &Cluster) -> Self {
        CausalMeshClient {
            ctx,
            node,
            running: None,
        }
    }

    fn start(&mut self, op: &Op, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        let keys = op.read_keys().to_vec();
        let answers = keys.iter().map(|&k| self.known(k)).collect();
        self.running = Some(Running {
            keys,
            answers,
            writes: op
                .writes()
                .into_iter()
                .map(|(k, v)| (k, v.clone()))
                .collect(),
            txn: matches!(op, Op::ReadTxn(_) | Op::ReadWriteTxn { .. }),
            asked_server: false,
        });
        self.advance(out)
    }

    fn on_reply(&mut self, _from: NodeId, msg: Msg, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        match msg {
            Msg::ReadReply { values } => {
                let Some(run) = self.running.as_mut() else {
                    return Poll::Pending;
                };
                let mut values = values.into_iter();
                for (key, answer) in run.keys.iter().zip(run.answers.iter_mut()) {
                    if answer.is_some() {
                        continue;
                    }
                    let Some(reg) = values.next() else {
                        break;
                    };
                    // The key's dependency is the C-cache entry's joined clock,
                    // not only the winning version's: the reader has seen all of it.
                    self.ctx.deps.add(*key, &reg.vc);
                    // Read-your-writes: the own write, unless the node's
                    // entry already reflects it or a version that beats it.
                    let value = match self.ctx.local.get(key) {
                        Some(own)
                            if !own.version.vc.leq(&reg.vc)
                                && own.version.vc.lww_cmp(&reg.winner).is_gt() =>
                        {
                            own.version.value.clone()
                        }
                        _ => reg.value,
                    };
                    if TCC {
                        self.ctx.read.insert(*key, value.clone());
                    }
                    *answer = Some(value);
                }
            }
            Msg::WriteReply { vc } => self.written(vc),
            Msg::Abort => {
                self.running = None;
                return Poll::aborted();
            }
            Msg::Read { .. } | Msg::Write { .. } | Msg::Propagate { .. } => return Poll::Pending,
        }
        self.advance(out)
    }

    fn suspend(self) -> ClientContext {
        self.ctx
    }

    fn merge_contexts(mut a: ClientContext, b: ClientContext) -> ClientContext {
        a.merge(&b);
        a
    }
}
