//! A tiny in-test network for HydroCache: servers, a database with the
//! emulated store's semantics, FIFO links between every pair of endpoints,
//! and workflows driven as the runtime drives them. Tests choose which link
//! delivers next, so every interleaving is scripted or drawn at random.

use std::collections::{BTreeMap, VecDeque};

use crate::clock::VectorClock;
use crate::db::{DbReply, DbRequest};
use crate::design::{
    ClientId, ClientSession, Cluster, DesignOptions, FunctionPlan, Micros, OpResult, Outbox, Peer,
    Poll, ServerNode, WorkflowPlan,
};
use crate::hydrocache::{Flavor, HydroClient, HydroContext, HydroServer, Msg};
use crate::version::{Deps, Key, NodeId, Registers, Value, Version};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum End {
    Node(NodeId),
    Client(ClientId),
    Db,
}

#[derive(Debug)]
enum Envelope {
    Msg(Msg),
    Request(DbRequest),
    Reply(DbReply),
}

/// The emulated database's semantics (harness `emulated_db.rs`), plus a log
/// of every write's clock and dependencies by value tag, for the checkers.
pub struct Db {
    rows: Registers,
    deps: BTreeMap<Key, Deps>,
    subscribers: Vec<NodeId>,
    /// Value tag -> (key, clock, dependencies) of the write.
    pub log: BTreeMap<u64, (Key, VectorClock, Deps)>,
}

impl Db {
    fn handle(&mut self, from: NodeId, req: DbRequest) -> Vec<(NodeId, DbReply)> {
        match req {
            DbRequest::Get { id, key } => vec![(
                from,
                DbReply::Got {
                    id,
                    key,
                    register: Some(self.rows.get(key).clone()),
                    deps: self.deps.get(&key).cloned().unwrap_or_default(),
                },
            )],
            DbRequest::Subscribe => {
                self.subscribers.push(from);
                Vec::new()
            }
            DbRequest::Merge {
                id,
                key,
                version,
                deps,
            } => {
                self.log
                    .insert(version.value.tag(), (key, version.vc.clone(), deps.clone()));
                let row = self.rows.get_mut(key);
                if row.vc.happens_before(&version.vc) {
                    self.deps.insert(key, deps);
                } else if row.vc.concurrent(&version.vc) {
                    self.deps.entry(key).or_default().merge(&deps);
                }
                row.merge_version(&version);
                let register = row.clone();
                let deps = self.deps.get(&key).cloned().unwrap_or_default();
                let mut out = vec![(from, DbReply::Written { id, key })];
                out.extend(self.subscribers.iter().map(|&s| {
                    (
                        s,
                        DbReply::Notify {
                            key,
                            register: register.clone(),
                            deps: deps.clone(),
                        },
                    )
                }));
                out
            }
            other => panic!("HydroCache never sends {other:?}"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Workflow,
    Function,
    Op(usize),
    End,
}

/// A read a committed workflow made: key, value tag, clock.
pub type Observed = (Key, u64, VectorClock);

pub struct Run<F> {
    plan: WorkflowPlan,
    function: usize,
    stage: Stage,
    client: Option<HydroClient<F>>,
    /// Keys of the read request in flight, to pair with its reply.
    asked: Vec<Key>,
    pub observed: Vec<Observed>,
    pub results: Vec<OpResult>,
    pub outcome: Option<OpResult>,
    /// What the workflow exported after its last function.
    pub context: Option<HydroContext>,
}

pub struct Net<F> {
    pub servers: Vec<HydroServer<F>>,
    pub db: Db,
    links: BTreeMap<(End, End), VecDeque<Envelope>>,
    pub runs: BTreeMap<ClientId, Run<F>>,
    /// Every message sent between endpoints, in order, for assertions on who
    /// talks to whom.
    pub sent: Vec<(End, End, Msg)>,
    pub cluster: Cluster,
    now: Micros,
}

impl<F: Flavor> Net<F> {
    pub fn new(servers: usize, options: DesignOptions) -> Net<F> {
        let cluster = Cluster {
            servers,
            keys: 8,
            value_size: 8,
            options,
            hands_on_contexts: false,
        };
        let mut net = Net {
            servers: (0..servers)
                .map(|i| HydroServer::new(i, &cluster))
                .collect(),
            db: Db {
                rows: Registers::preloaded(servers, cluster.keys, 8),
                deps: BTreeMap::new(),
                subscribers: Vec::new(),
                log: BTreeMap::from([(0, (0, VectorClock::zero(servers), Deps::new()))]),
            },
            links: BTreeMap::new(),
            runs: BTreeMap::new(),
            sent: Vec::new(),
            cluster,
            now: 0,
        };
        for n in 0..servers {
            let mut out = Outbox::default();
            net.servers[n].on_start(0, &mut out);
            net.absorb(n, out);
            net.deliver(End::Node(n), End::Db);
        }
        net
    }

    /// A write by some other workflow, straight into the database: its
    /// notifications wait on the database's links until delivered.
    pub fn write(&mut self, key: Key, tag: u64, vc: &[u32], deps: &[(Key, &[u32])]) {
        let mut d = Deps::new();
        for (k, c) in deps {
            d.add(*k, &VectorClock::from_counters(c));
        }
        let req = DbRequest::Merge {
            id: 0,
            key,
            version: Version {
                value: Value::tagged(tag, 8),
                vc: VectorClock::from_counters(vc),
            },
            deps: d,
        };
        for (to, reply) in self.db.handle(usize::MAX, req) {
            if to != usize::MAX {
                self.push(End::Db, End::Node(to), Envelope::Reply(reply));
            }
        }
    }

    /// Brings `node`'s cut up to date with everything the database has told
    /// it: the stream, the migration ticks and their GETs.
    pub fn sync(&mut self, node: NodeId) {
        loop {
            while self.deliver(End::Db, End::Node(node)) {}
            self.tick(node);
            if !self.deliver(End::Node(node), End::Db) {
                return;
            }
            while self.deliver(End::Node(node), End::Db) {}
        }
    }

    pub fn tick(&mut self, node: NodeId) {
        self.now += self.servers[node].tick_interval().unwrap_or(1);
        let mut out = Outbox::default();
        self.servers[node].on_tick(self.now, &mut out);
        self.absorb(node, out);
    }

    fn push(&mut self, from: End, to: End, env: Envelope) {
        if let Envelope::Msg(m) = &env {
            self.sent.push((from, to, m.clone()));
        }
        self.links.entry((from, to)).or_default().push_back(env);
    }

    fn absorb(&mut self, node: NodeId, out: Outbox<Msg>) {
        for (to, msg) in out.sends {
            let to = match to {
                Peer::Node(n) => End::Node(n),
                Peer::Client(c) => End::Client(c),
            };
            self.push(End::Node(node), to, Envelope::Msg(msg));
        }
        for req in out.db {
            self.push(End::Node(node), End::Db, Envelope::Request(req));
        }
    }

    fn client_sends(&mut self, id: ClientId, sends: Vec<(NodeId, Msg)>) {
        for (node, msg) in sends {
            if let (Msg::Read { keys, .. }, Some(run)) = (&msg, self.runs.get_mut(&id)) {
                run.asked = keys.clone();
            }
            self.push(End::Client(id), End::Node(node), Envelope::Msg(msg));
        }
    }

    /// Delivers the oldest message on one link; false if it is empty.
    pub fn deliver(&mut self, from: End, to: End) -> bool {
        let Some(env) = self
            .links
            .get_mut(&(from, to))
            .and_then(VecDeque::pop_front)
        else {
            return false;
        };
        let peer = |e: End| match e {
            End::Node(n) => Peer::Node(n),
            End::Client(c) => Peer::Client(c),
            End::Db => unreachable!("the database sends replies, not messages"),
        };
        let mut out = Outbox::default();
        match (to, env) {
            (End::Node(n), Envelope::Msg(m)) => {
                self.servers[n].on_message(self.now, peer(from), m, &mut out);
                self.absorb(n, out);
            }
            (End::Node(n), Envelope::Reply(r)) => {
                self.servers[n].on_db_reply(self.now, r, &mut out);
                self.absorb(n, out);
            }
            (End::Db, Envelope::Request(req)) => {
                let End::Node(n) = from else { unreachable!() };
                for (to, reply) in self.db.handle(n, req) {
                    self.push(End::Db, End::Node(to), Envelope::Reply(reply));
                }
            }
            (End::Client(c), Envelope::Msg(m)) => {
                let End::Node(n) = from else { unreachable!() };
                self.client_reply(c, n, m);
            }
            (to, env) => panic!("{env:?} cannot go to {to:?}"),
        }
        true
    }

    /// The non-empty links, in a fixed order.
    pub fn busy_links(&self) -> Vec<(End, End)> {
        self.links
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(l, _)| *l)
            .collect()
    }

    /// Delivers until no link but the excluded ones holds anything.
    pub fn settle_except(&mut self, skip: impl Fn(End, End) -> bool) {
        while let Some((from, to)) = self.busy_links().into_iter().find(|(f, t)| !skip(*f, *t)) {
            self.deliver(from, to);
        }
    }

    /// Starts a workflow as the runtime does: resume at the first function's
    /// node, then `begin_workflow`.
    pub fn start(&mut self, id: ClientId, plan: WorkflowPlan) {
        self.start_from(id, plan, HydroContext::default());
    }

    /// Starts a workflow whose first function resumes `ctx`.
    pub fn start_from(&mut self, id: ClientId, plan: WorkflowPlan, ctx: HydroContext) {
        let node = plan.functions[0].node;
        let mut client = HydroClient::resume(ctx, node, id, &self.cluster);
        let mut sends = Vec::new();
        let poll = client.begin_workflow(&plan, &mut sends);
        self.runs.insert(
            id,
            Run {
                plan,
                function: 0,
                stage: Stage::Workflow,
                client: Some(client),
                asked: Vec::new(),
                observed: Vec::new(),
                results: Vec::new(),
                outcome: None,
                context: None,
            },
        );
        self.client_sends(id, sends);
        self.advance(id, poll);
    }

    /// [`Net::run`] for a workflow whose first function resumes `ctx`.
    pub fn run_from(
        &mut self,
        id: ClientId,
        functions: Vec<FunctionPlan>,
        ctx: HydroContext,
    ) -> &Run<F> {
        let plan = WorkflowPlan {
            index: id,
            functions,
            stages: Vec::new(),
        };
        self.start_from(id, plan, ctx);
        self.settle_except(|from, _| from == End::Db);
        &self.runs[&id]
    }

    /// Runs a workflow to its end while the caches' streams stay undelivered.
    pub fn run(&mut self, id: ClientId, functions: Vec<FunctionPlan>) -> &Run<F> {
        self.start(id, WorkflowPlan::chain(id, functions));
        self.settle_except(|from, _| from == End::Db);
        &self.runs[&id]
    }

    fn client_reply(&mut self, id: ClientId, from: NodeId, msg: Msg) {
        let Some(run) = self.runs.get_mut(&id) else {
            return;
        };
        if let Msg::ReadReply { versions: Some(v) } = &msg {
            let asked = std::mem::take(&mut run.asked);
            run.observed.extend(
                asked
                    .into_iter()
                    .zip(v)
                    .map(|(k, (value, vc))| (k, value.tag(), vc.clone())),
            );
        }
        let mut sends = Vec::new();
        let poll = match run.client.as_mut() {
            Some(c) => c.on_reply(from, msg, &mut sends),
            None => Poll::Pending,
        };
        self.client_sends(id, sends);
        self.advance(id, poll);
    }

    /// The runtime's contract (design.rs, ClientSession): begin_workflow,
    /// then per function begin_function, its ops, end_function, suspend and
    /// resume at the next function's node.
    fn advance(&mut self, id: ClientId, mut poll: Poll) {
        loop {
            let Poll::Ready(done) = poll else { return };
            let Some(run) = self.runs.get_mut(&id) else {
                return;
            };
            if done.result == OpResult::Aborted {
                run.outcome = Some(OpResult::Aborted);
                run.client = None;
                return;
            }
            run.stage = match run.stage {
                Stage::Workflow => Stage::Function,
                Stage::Function => Stage::Op(0),
                Stage::Op(i) => {
                    run.results.push(done.result);
                    Stage::Op(i + 1)
                }
                Stage::End if run.function + 1 == run.plan.functions.len() => {
                    run.outcome = Some(OpResult::Done);
                    run.context = run.client.take().map(HydroClient::suspend);
                    return;
                }
                Stage::End => {
                    let ctx = run
                        .client
                        .take()
                        .map(HydroClient::suspend)
                        .unwrap_or_default();
                    run.function += 1;
                    let node = run.plan.functions[run.function].node;
                    run.client = Some(HydroClient::resume(ctx, node, id, &self.cluster));
                    Stage::Function
                }
            };
            let f = run.function;
            if matches!(run.stage, Stage::Op(i) if i >= run.plan.functions[f].ops.len()) {
                run.stage = Stage::End;
            }
            let Some(client) = run.client.as_mut() else {
                return;
            };
            let mut sends = Vec::new();
            poll = match run.stage {
                Stage::Function => client.begin_function(&run.plan, f, &mut sends),
                Stage::Op(i) => client.start(&run.plan.functions[f].ops[i], &mut sends),
                Stage::End => client.end_function(f + 1 == run.plan.functions.len(), &mut sends),
                Stage::Workflow => return,
            };
            self.client_sends(id, sends);
        }
    }
}
