//! The FaaSTCC client library: the workflow's snapshot interval and its
//! buffered writes travel from function to function (baselines §2.5, §2.7;
//! causalmesh.md §13, where the artifact's scheduler keeps the interval).
//! Both variants use it unchanged: what differs is what their caches answer.

use std::collections::BTreeMap;

use crate::design::{
    ClientId, ClientSession, Cluster, Completion, Op, OpResult, Poll, Served, WireSize,
    WorkflowPlan,
};
use crate::version::{Key, NodeId, Value};

use super::{Interval, Msg};

/// What travels with a workflow.
#[derive(Clone, Debug)]
pub struct FaasContext {
    /// Instants at which every version read so far is its key's newest.
    pub interval: Interval,
    /// Writes buffered until the last function commits them.
    pub writes: BTreeMap<Key, Value>,
    /// Writes already committed by this workflow, or by one whose context
    /// was merged in (a token's last holder): read back like buffered ones,
    /// never committed again. Their commit timestamps lie above every
    /// interval the context knows, so only this keeps them visible.
    pub committed: BTreeMap<Key, Value>,
}

impl Default for FaasContext {
    fn default() -> Self {
        FaasContext {
            interval: Interval::ALL,
            writes: BTreeMap::new(),
            committed: BTreeMap::new(),
        }
    }
}

impl WireSize for FaasContext {
    fn encoded_bytes(&self) -> usize {
        16 + self
            .writes
            .values()
            .chain(self.committed.values())
            .map(|v| 8 + v.len())
            .sum::<usize>()
    }
}

enum Pending {
    /// The values of a read, in key order: buffered ones filled in, the
    /// others awaiting the cache, in order.
    Read {
        values: Vec<Option<Value>>,
        single: bool,
    },
    Commit,
}

pub struct FaasClient {
    ctx: FaasContext,
    node: NodeId,
    /// Collapse the interval to a point after the first function.
    point_snapshot: bool,
    pending: Option<Pending>,
}

impl FaasClient {
    pub fn context(&self) -> &FaasContext {
        &self.ctx
    }

    fn complete(values: Vec<Value>, single: bool, served: Served) -> Poll {
        let result = match (single, values.as_slice()) {
            (true, [value]) => OpResult::Read(value.clone()),
            _ => OpResult::Txn(values),
        };
        Poll::Ready(Completion { result, served })
    }
}

impl ClientSession for FaasClient {
    type Msg = Msg;
    type Context = FaasContext;

    fn resume(ctx: FaasContext, node: NodeId, _id: ClientId, cluster: &Cluster) -> Self {
        FaasClient {
            ctx,
            node,
            point_snapshot: cluster.options.faastcc_point_snapshot,
            pending: None,
        }
    }

    /// The authors' executor (§2.5) sends `[hi, hi]` downstream after the
    /// first function, so every later function reads at that one instant.
    fn begin_function(
        &mut self,
        _plan: &WorkflowPlan,
        function: usize,
        _out: &mut Vec<(NodeId, Msg)>,
    ) -> Poll {
        let iv = &mut self.ctx.interval;
        if self.point_snapshot && function > 0 && iv.hi != Interval::ALL.hi {
            iv.lo = iv.hi;
        }
        Poll::done()
    }

    /// The workflow's writes commit from its last function (§2.7, §13).
    fn end_function(&mut self, last: bool, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        if !last || self.ctx.writes.is_empty() {
            return Poll::done();
        }
        self.pending = Some(Pending::Commit);
        let writes = std::mem::take(&mut self.ctx.writes);
        out.push((
            self.node,
            Msg::Commit {
                writes: writes.iter().map(|(k, v)| (*k, v.clone())).collect(),
                last_seen: self.ctx.interval.last_seen(),
            },
        ));
        self.ctx.committed.extend(writes);
        Poll::Pending
    }

    fn start(&mut self, op: &Op, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        // Reads see the workflow's own earlier writes, then the op's writes
        // join the buffer.
        let keys = op.read_keys();
        let values: Vec<Option<Value>> = keys
            .iter()
            .map(|k| {
                self.ctx
                    .writes
                    .get(k)
                    .or_else(|| self.ctx.committed.get(k))
                    .cloned()
            })
            .collect();
        for (key, value) in op.writes() {
            self.ctx.writes.insert(key, value.clone());
        }
        if let Op::Write(..) = op {
            return Poll::Ready(Completion {
                result: OpResult::Written,
                served: Served::Client,
            });
        }
        let single = matches!(op, Op::Read(_));
        let remote: Vec<Key> = keys
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| *k)
            .collect();
        if remote.is_empty() {
            return Self::complete(
                values.into_iter().flatten().collect(),
                single,
                Served::Client,
            );
        }
        self.pending = Some(Pending::Read { values, single });
        out.push((
            self.node,
            Msg::Read {
                keys: remote,
                interval: self.ctx.interval,
            },
        ));
        Poll::Pending
    }

    fn on_reply(&mut self, _from: NodeId, msg: Msg, _out: &mut Vec<(NodeId, Msg)>) -> Poll {
        match (self.pending.take(), msg) {
            (
                Some(Pending::Read { values, single }),
                Msg::ReadReply {
                    reads,
                    from_storage,
                },
            ) => {
                let mut reads = reads.into_iter();
                let mut filled = Vec::with_capacity(values.len());
                for own in values {
                    let value = match own {
                        Some(own) => own,
                        None => {
                            let Some((value, valid)) = reads.next() else {
                                return Poll::aborted();
                            };
                            self.ctx.interval = self.ctx.interval.intersect(valid);
                            value
                        }
                    };
                    filled.push(value);
                }
                // The artifact's scheduler restarts on an empty interval
                // (§13.3); the published protocol never produces one.
                if self.ctx.interval.is_empty() {
                    return Poll::aborted();
                }
                let served = if from_storage {
                    Served::Database
                } else {
                    Served::Cache
                };
                Self::complete(filled, single, served)
            }
            (Some(Pending::Read { .. }), Msg::Abort) => Poll::aborted(),
            (Some(Pending::Commit), Msg::Committed { waited_for_db }) => Poll::Ready(Completion {
                result: OpResult::Done,
                served: if waited_for_db {
                    Served::Database
                } else {
                    Served::Cache
                },
            }),
            // Anything else is not an answer to the running step.
            (pending, _) => {
                self.pending = pending;
                Poll::Pending
            }
        }
    }

    fn suspend(self) -> FaasContext {
        self.ctx
    }

    /// Every version either side read is its key's newest throughout that
    /// side's interval, so reading inside the intersection returns exactly
    /// what both saw. If the sides read disjoint snapshots the intersection
    /// is empty and no single instant fits; then reads go at or above the
    /// later lower end, where no key is older than either side saw (causal,
    /// though no longer one snapshot). Buffered and committed writes unite,
    /// `b`'s last.
    fn merge_contexts(mut a: FaasContext, b: FaasContext) -> FaasContext {
        let both = a.interval.intersect(b.interval);
        a.interval = if both.is_empty() {
            Interval::new(both.lo, Interval::ALL.hi)
        } else {
            both
        };
        a.writes.extend(b.writes);
        a.committed.extend(b.committed);
        a
    }
}
