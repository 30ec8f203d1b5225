//! The HydroCache client library. It also plays the scheduler's part: the
//! conservative version query and key shipping before the workflow (§1.5),
//! the optimistic prepare before each function (§1.6, §13.2), the buffered
//! writes of the last function (§1.8, §13) and the clean-ups (§1.9).

use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

use crate::clock::VectorClock;
use crate::design::{
    ClientId, ClientSession, Cluster, Completion, Op, OpResult, Poll, Served, WireSize,
    WorkflowPlan,
};
use crate::version::{Deps, Key, NodeId, Value};

use super::conservative::{Pinned, plan_shipping};
use super::optimistic::{Frontier, Held};
use super::snapshot::Holder;
use super::variant::{Protocol, Variant};
use super::{Flavor, Msg, Prepare};

/// The workflow's buffered writes in program order, one per key (a rewrite
/// moves the key to the end), so the commit can chain them causally.
#[derive(Clone, Default, Debug)]
pub struct WriteBuffer(Vec<(Key, Value)>);

impl WriteBuffer {
    pub fn insert(&mut self, key: Key, value: Value) {
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, value));
    }

    pub fn get(&self, key: &Key) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        self.0.iter().map(|(k, _)| *k)
    }
}

impl Extend<(Key, Value)> for WriteBuffer {
    fn extend<I: IntoIterator<Item = (Key, Value)>>(&mut self, writes: I) {
        for (k, v) in writes {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for WriteBuffer {
    type Item = (Key, Value);
    type IntoIter = std::vec::IntoIter<(Key, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// What travels with the workflow from function to function.
#[derive(Clone, Default, Debug)]
pub struct HydroContext {
    /// The clock of every version read, per key: R of §1.6 (the artifact's
    /// ru) and D of §1.8, the deps of the final writes.
    pub read: Deps,
    /// F of §1.6 (the artifact's su).
    pub frontier: Frontier,
    /// Writes buffered until the last function (§1.8, §13).
    pub writes: WriteBuffer,
    /// Nodes holding this workflow's snapshots, for the clean-up.
    pub hosts: BTreeSet<NodeId>,
    /// The values this workflow read, for a read outside the function's
    /// declared read set (an operation the workload decided on from what
    /// it read, e.g. a withdrawal whose precondition failed reading its
    /// counter): the function has no prepared view of that key, and MTCC's
    /// reads are repeatable, so it reads what the workflow read before.
    pub seen: BTreeMap<Key, Value>,
    /// What finished workflows whose contexts were merged in (a token's
    /// earlier holders) read and wrote: a lower bound on every version this
    /// workflow reads, not a snapshot it must repeat. Their snapshots are
    /// released, so no F entry can name them; instead each cache this
    /// workflow prepares at waits until its causal cut covers the whole
    /// floor, and the cut's closure then covers everything those versions
    /// depended on. The floor is also a dependency of this workflow's
    /// writes, so a write of a key a predecessor wrote supersedes it.
    pub floor: Deps,
}

impl HydroContext {
    /// The workflow's own value of `key`, while its write is buffered.
    fn own(&self, key: &Key) -> Option<&Value> {
        self.writes.get(key)
    }
}

impl WireSize for HydroContext {
    fn encoded_bytes(&self) -> usize {
        self.read.encoded_bytes()
            + self.frontier.encoded_bytes()
            + self
                .writes
                .values()
                .chain(self.seen.values())
                .map(|v| 8 + v.len())
                .sum::<usize>()
            + 8 * self.hosts.len()
            + self.floor.encoded_bytes()
    }
}

/// What the session waits for.
enum Waiting {
    Nothing,
    /// Version-query replies (§1.5 step 2).
    Chains {
        from: BTreeSet<NodeId>,
        pinned: Vec<Pinned>,
    },
    /// Key-shipping acknowledgements (§1.5 step 5).
    Shipped {
        from: BTreeSet<NodeId>,
    },
    Prepared,
    /// A read op: its values, `None` where the node answers.
    Read {
        values: Vec<Option<Value>>,
        remote: Vec<Key>,
        txn: bool,
        writes: Vec<(Key, Value)>,
    },
    /// The stamp of the writes of these keys.
    Committed {
        keys: Vec<Key>,
    },
}

pub struct HydroClient<F> {
    ctx: HydroContext,
    node: NodeId,
    id: ClientId,
    servers: usize,
    variant: Variant,
    /// Reproduce the artifact's su -> ru copy (§13.2).
    su_ru_defect: bool,
    /// The running function's declared read set.
    declared: BTreeSet<Key>,
    /// The context is handed on with tokens: await the commit's clock.
    hands_on: bool,
    function: usize,
    waiting: Waiting,
    _flavor: PhantomData<fn() -> F>,
}

impl<F: Flavor> HydroClient<F> {
    fn holder(&self) -> Holder {
        self.variant.holder(self.function)
    }

    /// Where clean-ups go: every server (§13), or the nodes holding snapshots (§1.9).
    fn cleanup_targets(&self) -> Vec<NodeId> {
        if self.variant.involves_all_servers() {
            (0..self.servers).collect()
        } else {
            self.ctx.hosts.iter().copied().collect()
        }
    }

    fn clean_up(&self, out: &mut Vec<(NodeId, Msg)>) {
        for node in self.cleanup_targets() {
            out.push((node, Msg::CleanUp { workflow: self.id }));
        }
    }

    /// Aborts the workflow, releasing its snapshots first (§1.6, §13.2).
    fn abort(&mut self, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        self.waiting = Waiting::Nothing;
        self.clean_up(out);
        Poll::aborted()
    }

    fn ready(result: OpResult, served: Served) -> Poll {
        Poll::Ready(Completion { result, served })
    }

    /// Whether the pinned snapshots hold, for every key they will be read
    /// for, a version at least as new as the context read or its floor
    /// names. The caches waited for the floor before pinning, so this holds
    /// unless one of them broke the protocol.
    fn pinned_cover_context(&self, pinned: &[Pinned]) -> bool {
        let mut newest = Deps::new();
        for p in pinned {
            newest.merge(&p.versions);
        }
        pinned.iter().flat_map(|p| &p.reads).all(|&key| {
            [&self.ctx.read, &self.ctx.floor]
                .iter()
                .filter_map(|d| d.get(key))
                .all(|seen| newest.get(key).is_some_and(|have| seen.leq(have)))
        })
    }

    /// Every key-shipping request once all chains are in (§1.5 steps 3-4).
    /// A snapshot older than what the context read aborts the attempt: the
    /// protocol has no way to fetch newer than every cache holds.
    fn ship(&mut self, pinned: &[Pinned], out: &mut Vec<(NodeId, Msg)>) -> Poll {
        if !self.pinned_cover_context(pinned) {
            return self.abort(out);
        }
        let shipping = plan_shipping(pinned, self.variant.fetches_every_newer());
        let from = shipping.keys().copied().collect();
        for (node, fetches) in shipping {
            out.push((
                node,
                Msg::KeyShipping {
                    workflow: self.id,
                    fetches,
                },
            ));
        }
        self.waiting = Waiting::Shipped { from };
        Poll::Pending
    }

    /// The check passed: this snapshot's chains join F (su).
    fn prepared(&mut self, chains: Vec<(Key, VectorClock)>) -> Poll {
        let joined = self.variant.artifact;
        for (key, vc) in chains {
            let held = Held {
                vc,
                node: self.node,
                holder: self.holder(),
            };
            self.ctx.frontier.add(key, held, joined);
        }
        if self.su_ru_defect && self.variant.artifact {
            // The prototype copies the returned su into ru as well (§13.2).
            self.ctx.read.merge(&self.ctx.frontier.joined());
        }
        Self::ready(OpResult::Done, Served::Cache)
    }

    fn finish_read(
        &mut self,
        versions: Vec<(Value, VectorClock)>,
        out: &mut Vec<(NodeId, Msg)>,
    ) -> Poll {
        let Waiting::Read {
            mut values,
            remote,
            txn,
            writes,
        } = std::mem::replace(&mut self.waiting, Waiting::Nothing)
        else {
            return Poll::Pending;
        };
        if versions.len() != remote.len() {
            return self.abort(out);
        }
        let served = if remote.is_empty() {
            Served::Client
        } else {
            Served::Cache
        };
        let mut answers = remote.iter().zip(versions);
        for slot in values.iter_mut().filter(|v| v.is_none()) {
            if let Some((key, (value, vc))) = answers.next() {
                self.ctx.read.add(*key, &vc);
                self.ctx.seen.insert(*key, value.clone());
                *slot = Some(value);
            }
        }
        self.ctx.writes.extend(writes);
        let mut values: Vec<Value> = values.into_iter().flatten().collect();
        let result = match (txn, values.pop()) {
            (false, Some(value)) => OpResult::Read(value),
            (_, last) => {
                values.extend(last);
                OpResult::Txn(values)
            }
        };
        Self::ready(result, served)
    }
}

impl<F: Flavor> ClientSession for HydroClient<F> {
    type Msg = Msg;
    type Context = HydroContext;

    fn resume(ctx: HydroContext, node: NodeId, id: ClientId, cluster: &Cluster) -> Self {
        HydroClient {
            ctx,
            node,
            id,
            servers: cluster.servers,
            variant: F::VARIANT,
            su_ru_defect: cluster.options.hydrocache_opt_su_ru_defect,
            declared: BTreeSet::new(),
            hands_on: cluster.hands_on_contexts,
            function: 0,
            waiting: Waiting::Nothing,
            _flavor: PhantomData,
        }
    }

    /// Conservative: the version query goes to the caches hosting functions
    /// that read (§1.5 step 1), or to all N servers for one snapshot each
    /// (Prepare1, §13.1).
    fn begin_workflow(&mut self, plan: &WorkflowPlan, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        if self.variant.protocol != Protocol::Conservative {
            return Poll::done();
        }
        let full = plan.full_read_set();
        let mut queries: BTreeMap<NodeId, Vec<(Holder, Vec<Key>)>> = BTreeMap::new();
        if self.variant.involves_all_servers() {
            if !full.is_empty() {
                for node in 0..self.servers {
                    queries.insert(node, vec![(Holder::Node, full.clone())]);
                }
            }
        } else {
            for (i, f) in plan.functions.iter().enumerate() {
                let mut reads: Vec<Key> = f.read_set().collect();
                reads.sort_unstable();
                reads.dedup();
                if !reads.is_empty() {
                    queries
                        .entry(f.node)
                        .or_default()
                        .push((self.variant.holder(i), reads));
                }
            }
        }
        if queries.is_empty() {
            return Poll::done();
        }
        self.ctx.hosts = queries.keys().copied().collect();
        for (node, holders) in queries {
            out.push((
                node,
                Msg::VersionQuery {
                    workflow: self.id,
                    holders,
                    full_read_set: full.clone(),
                    floor: self.ctx.floor.clone(),
                },
            ));
        }
        self.waiting = Waiting::Chains {
            from: self.ctx.hosts.clone(),
            pinned: Vec::new(),
        };
        Poll::Pending
    }

    /// Optimistic: the function's cache pins a snapshot and checks it
    /// against R and F (§1.6; Prepare with upstream, §13.2).
    fn begin_function(
        &mut self,
        plan: &WorkflowPlan,
        function: usize,
        out: &mut Vec<(NodeId, Msg)>,
    ) -> Poll {
        self.function = function;
        let Some(f) = plan.functions.get(function) else {
            return Poll::done();
        };
        self.declared = f.read_set().collect();
        // Keys the workflow already wrote are read from its buffer.
        let mut reads: Vec<Key> = f.read_set().filter(|k| self.ctx.own(k).is_none()).collect();
        reads.sort_unstable();
        reads.dedup();
        if self.variant.protocol != Protocol::Optimistic || reads.is_empty() {
            return Poll::done();
        }
        let parent = plan
            .upstream(function)
            .and_then(|p| plan.functions.get(p))
            .map(|p| p.node);
        self.ctx.hosts.insert(self.node);
        out.push((
            self.node,
            Msg::Prepare(Prepare {
                workflow: self.id,
                holder: self.holder(),
                reads,
                full_read_set: plan.full_read_set(),
                read: self.ctx.read.clone(),
                frontier: self.ctx.frontier.clone(),
                parent,
                floor: self.ctx.floor.clone(),
            }),
        ));
        self.waiting = Waiting::Prepared;
        Poll::Pending
    }

    /// The last function issues the buffered writes and releases the
    /// workflow's snapshots. The published sink answers before its writes
    /// are stamped (§1.8); the artifact's, and any whose context is handed
    /// on with tokens, wait for the clock.
    fn end_function(&mut self, last: bool, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        if !last {
            return Poll::done();
        }
        let written: Vec<Key> = self.ctx.writes.keys().collect();
        let ack = (self.variant.awaits_commit() || self.hands_on) && !written.is_empty();
        if !written.is_empty() {
            let mut deps = self.ctx.read.clone();
            deps.merge(&self.ctx.floor);
            out.push((
                self.node,
                Msg::Commit {
                    writes: std::mem::take(&mut self.ctx.writes).into_iter().collect(),
                    deps,
                    ack,
                },
            ));
        }
        self.clean_up(out);
        // The workflow is over: its snapshots are released (F points
        // nowhere, the hosts are cleaned up) and R has served as the
        // commit's dependencies. A successor (a token's next holder) is not
        // pinned to this workflow's snapshot: what it read, and the stamp
        // of what it wrote, become the floor below which the successor
        // reads nothing.
        self.ctx.frontier = Frontier::default();
        let read = std::mem::take(&mut self.ctx.read);
        self.ctx.floor.merge(&read);
        self.ctx.seen.clear();
        self.ctx.hosts.clear();
        if ack {
            self.waiting = Waiting::Committed { keys: written };
            return Poll::Pending;
        }
        Poll::done()
    }

    /// Writes are buffered; reads of buffered keys come from the buffer
    /// (§13); the rest from the function's prepared view.
    fn start(&mut self, op: &Op, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        if let Op::Write(key, value) = op {
            self.ctx.writes.insert(*key, value.clone());
            return Self::ready(OpResult::Written, Served::Client);
        }
        let values: Vec<Option<Value>> = op
            .read_keys()
            .iter()
            .map(|k| {
                let seen = || {
                    (!self.declared.contains(k))
                        .then(|| self.ctx.seen.get(k))
                        .flatten()
                };
                self.ctx.own(k).or_else(seen).cloned()
            })
            .collect();
        let remote: Vec<Key> = op
            .read_keys()
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| *k)
            .collect();
        self.waiting = Waiting::Read {
            values,
            remote: remote.clone(),
            txn: !matches!(op, Op::Read(_)),
            writes: op
                .writes()
                .into_iter()
                .map(|(k, v)| (k, v.clone()))
                .collect(),
        };
        if remote.is_empty() {
            return self.finish_read(Vec::new(), out);
        }
        out.push((
            self.node,
            Msg::Read {
                workflow: self.id,
                holder: self.holder(),
                keys: remote,
            },
        ));
        Poll::Pending
    }

    fn on_reply(&mut self, from: NodeId, msg: Msg, out: &mut Vec<(NodeId, Msg)>) -> Poll {
        match (&mut self.waiting, msg) {
            (_, Msg::Aborted) | (_, Msg::ReadReply { versions: None }) => self.abort(out),
            (
                Waiting::Chains {
                    from: awaited,
                    pinned,
                },
                Msg::Chains { holders },
            ) => {
                if awaited.remove(&from) {
                    pinned.extend(
                        holders
                            .iter()
                            .map(|(h, chains)| Pinned::from_chains(from, *h, chains)),
                    );
                }
                if !awaited.is_empty() {
                    return Poll::Pending;
                }
                let pinned = std::mem::take(pinned);
                self.ship(&pinned, out)
            }
            (Waiting::Shipped { from: awaited }, Msg::Shipped) => {
                awaited.remove(&from);
                if !awaited.is_empty() {
                    return Poll::Pending;
                }
                self.waiting = Waiting::Nothing;
                Self::ready(OpResult::Done, Served::Cache)
            }
            (Waiting::Prepared, Msg::Prepared { chains }) => {
                self.waiting = Waiting::Nothing;
                self.prepared(chains)
            }
            (
                Waiting::Read { .. },
                Msg::ReadReply {
                    versions: Some(versions),
                },
            ) => self.finish_read(versions, out),
            (Waiting::Committed { keys }, Msg::Committed { vc }) => {
                for &key in keys.iter() {
                    self.ctx.floor.add(key, &vc);
                }
                self.waiting = Waiting::Nothing;
                Self::ready(OpResult::Done, Served::Cache)
            }
            // Anything else answers nothing this session waits for.
            _ => Poll::Pending,
        }
    }

    fn suspend(self) -> HydroContext {
        self.ctx
    }

    /// R and F join key-wise (while the snapshots F names are pinned, a
    /// version read by either side stays a lower bound for every later
    /// check), floors join, buffered writes unite in program order (`b`
    /// after `a`, so `b`'s write of a shared key is the later one), and both
    /// sides' snapshot hosts are cleaned up. A finished workflow's context
    /// holds only its floor (see `end_function`): a successor reads nothing
    /// older than it read or wrote.
    fn merge_contexts(mut a: HydroContext, b: HydroContext) -> HydroContext {
        a.read.merge(&b.read);
        a.floor.merge(&b.floor);
        a.frontier.merge(&b.frontier);
        a.writes.extend(b.writes);
        a.seen.extend(b.seen);
        a.hosts.extend(b.hosts);
        a
    }
}
