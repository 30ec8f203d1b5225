//! The client side of a run, shared by both runtimes: a client task starts
//! its share of the workflows, drives each through [`WorkflowRun`], sends
//! what the client libraries send, records completions and keeps histories.
//! How messages travel and when they arrive is the runtime's business, behind
//! [`ClientNet`].

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use impls::{ClientId, ClientSession, Cluster, Design, Micros, NodeId, WireSize};
use rand_xoshiro::Xoshiro256PlusPlus;
use workloads::{TokenRequest, Workload};

use super::links::{Links, link_delay};
use super::workflow::{Effects, Progress, WorkflowRun, workflow_of};
use crate::config::{LoadMode, LoadSpec};
use crate::faults::{Faults, LinkClass};
use crate::history::Record;
use crate::invariants::InvariantLog;
use crate::latency::LatencyProfile;
use crate::recorder::{Recorder, Window};
use crate::tokens::TokenMsg;

/// What a client task needs from its runtime.
pub trait ClientNet<M> {
    /// `msg` from session `client` reaches `node` at `at`; `remote` when it
    /// crossed the network, so the reply does too.
    fn to_node(&mut self, at: Micros, node: NodeId, client: ClientId, msg: M, remote: bool);
    /// The serverless runtime starts session `client`'s next function at `at`.
    fn function_start(&mut self, at: Micros, client: ClientId);
    /// A protocol message of `bytes` was sent at `now`.
    fn count(&mut self, now: Micros, bytes: usize);
    /// Whether the run's history may take `records` more.
    fn admit_history(&mut self, records: u64) -> bool;
    /// `msg` reaches the token service at `at`; its grants come back to
    /// [`ClientTask::on_token_grant`].
    fn to_tokens(&mut self, at: Micros, msg: TokenMsg);
}

/// The facts of the run every client task shares.
#[derive(Clone)]
pub struct ClientParams {
    pub latency: LatencyProfile,
    pub faults: Faults,
    pub cluster: Cluster,
    pub window: Window,
    pub max_retries: u32,
    pub history: bool,
}

/// One client task and the workflows in flight on it.
pub struct ClientTask<D: Design> {
    params: ClientParams,
    workload: Arc<dyn Workload>,
    /// Workflows in flight by index, in index order so that whatever is
    /// left at the end is reported in the same order every run.
    workflows: BTreeMap<u64, WorkflowRun<D::Client>>,
    pub recorder: Recorder,
    pub history: Vec<Record>,
    rng: Xoshiro256PlusPlus,
    links: Links,
    fx: Effects<D::Msg>,
    /// Per workflow index, its tokens in acquisition order and how many it
    /// holds.
    tokens: BTreeMap<u64, (Vec<TokenRequest>, usize)>,
    /// What committed workflows of an invariant workload read and did.
    pub invariants: InvariantLog,
}

impl<D: Design> ClientTask<D> {
    pub fn new(params: ClientParams, workload: Arc<dyn Workload>, rng: Xoshiro256PlusPlus) -> Self {
        ClientTask {
            recorder: Recorder::new(params.window),
            params,
            workload,
            workflows: BTreeMap::new(),
            history: Vec::new(),
            rng,
            links: Links::default(),
            fx: Effects::default(),
            tokens: BTreeMap::new(),
            invariants: InvariantLog::default(),
        }
    }

    pub fn in_flight(&self) -> usize {
        self.workflows.len()
    }

    /// An open-loop arrival: started, or shed while `backlog` workflows are
    /// already in flight on this task.
    pub fn arrive(
        &mut self,
        net: &mut impl ClientNet<D::Msg>,
        index: u64,
        intended_start: Micros,
        now: Micros,
        backlog: usize,
    ) {
        if self.in_flight() < backlog {
            self.start_workflow(net, index, intended_start, now);
        } else {
            self.recorder.workflow_shed(intended_start);
        }
    }

    pub fn start_workflow(
        &mut self,
        net: &mut impl ClientNet<D::Msg>,
        index: u64,
        intended_start: Micros,
        now: Micros,
    ) {
        let plan = self.workload.workflow(index);
        let tokens = self.workload.tokens(&plan);
        let mut run = WorkflowRun::new(
            plan,
            intended_start,
            self.params.max_retries,
            self.params.history,
        );
        if self.workload.invariants().is_some() {
            run = run.with_decisions(self.workload.clone());
        }
        self.workflows.insert(index, run);
        match tokens.first() {
            // The first function waits for the tokens, taken one by one.
            Some(&request) => {
                self.tokens.insert(index, (tokens, 0));
                let msg = TokenMsg::Acquire {
                    workflow: index,
                    request,
                };
                self.send_tokens(net, now, msg);
            }
            None => self.dispatch_stage(net, index, now),
        }
    }

    fn send_tokens(&mut self, net: &mut impl ClientNet<D::Msg>, now: Micros, msg: TokenMsg) {
        let at = now + self.params.latency.token.sample(&mut self.rng);
        net.to_tokens(at, msg);
    }

    /// Workflow `workflow` holds one more token and joins the causal
    /// context handed over with it (the design's context, boxed); with all
    /// of its tokens it starts.
    pub fn on_token_grant(
        &mut self,
        net: &mut impl ClientNet<D::Msg>,
        workflow: u64,
        ctx: Box<dyn Any + Send>,
        now: Micros,
    ) {
        let (Some(wf), Some((tokens, held))) = (
            self.workflows.get_mut(&workflow),
            self.tokens.get_mut(&workflow),
        ) else {
            return;
        };
        if let Ok(ctx) = ctx.downcast::<<D::Client as ClientSession>::Context>() {
            wf.inherit(*ctx);
        }
        *held += 1;
        match tokens.get(*held).copied() {
            Some(request) => self.send_tokens(net, now, TokenMsg::Acquire { workflow, request }),
            None => self.dispatch_stage(net, workflow, now),
        }
    }

    /// A workflow committed or gave up: the invariant checks of what it
    /// read and did, and its tokens back with its causal context.
    fn ended(
        &mut self,
        net: &mut impl ClientNet<D::Msg>,
        mut wf: WorkflowRun<D::Client>,
        committed: bool,
        now: Micros,
    ) {
        if committed && let Some(inv) = self.workload.invariants() {
            let (plan, results) = wf.outcome();
            let (broken, effect) = inv.observe(plan, results);
            self.invariants.reads.extend(broken);
            self.invariants.effects.extend(effect.map(|e| (now, e)));
        }
        let Some((tokens, _)) = self.tokens.remove(&wf.original().index) else {
            return;
        };
        let ctx = wf.take_context();
        for request in tokens {
            let msg = TokenMsg::Release {
                request,
                ctx: Box::new(ctx.clone()),
            };
            self.send_tokens(net, now, msg);
        }
    }

    /// The serverless runtime invokes the workflow's next function.
    fn dispatch(&mut self, net: &mut impl ClientNet<D::Msg>, client: ClientId, now: Micros) {
        let dispatch = if self.params.faults.fast_migration(now) {
            0
        } else {
            self.params.latency.dispatch.sample(&mut self.rng)
        };
        net.function_start(now + dispatch, client);
    }

    /// Invokes every function of the workflow's stage about to run.
    fn dispatch_stage(&mut self, net: &mut impl ClientNet<D::Msg>, index: u64, now: Micros) {
        let sessions = self
            .workflows
            .get(&index)
            .map(WorkflowRun::sessions)
            .unwrap_or_default();
        for session in sessions {
            self.dispatch(net, session, now);
        }
    }

    /// The function of session `client` starts now. Returns true when a
    /// workflow finished or gave up.
    pub fn on_function_start(
        &mut self,
        net: &mut impl ClientNet<D::Msg>,
        client: ClientId,
        now: Micros,
    ) -> bool {
        let Some(wf) = current(&mut self.workflows, client) else {
            return false;
        };
        let here = wf.node_of(client);
        let progress = wf.start_function(client, now, &self.params.cluster, &mut self.fx);
        self.after(net, client, here, progress, now)
    }

    /// Node `from` answered session `client`. Returns true when a workflow
    /// finished or gave up.
    pub fn on_reply(
        &mut self,
        net: &mut impl ClientNet<D::Msg>,
        client: ClientId,
        from: NodeId,
        msg: D::Msg,
        now: Micros,
    ) -> bool {
        let Some(wf) = current(&mut self.workflows, client) else {
            return false;
        };
        let here = wf.node_of(client);
        let progress = wf.on_reply(client, now, from, msg, &mut self.fx);
        self.after(net, client, here, progress, now)
    }

    fn after(
        &mut self,
        net: &mut impl ClientNet<D::Msg>,
        client: ClientId,
        here: Option<NodeId>,
        progress: Progress,
        now: Micros,
    ) -> bool {
        let index = workflow_of(client);
        let Some(wf) = self.workflows.get(&index) else {
            return false;
        };
        let start = wf.intended_start;
        for (latency, is_read, served) in self.fx.completed.drain(..) {
            self.recorder.op_done(start, now, latency, is_read, served);
        }
        if !self.fx.history.is_empty() {
            // Past the limit the history stops growing, whole attempts at a time.
            if net.admit_history(self.fx.history.len() as u64) {
                self.history.append(&mut self.fx.history);
            } else {
                self.fx.history.clear();
            }
        }
        for (node, msg) in self.fx.sends.drain(..) {
            // A function talks to its own node over loopback; anything else
            // (the scheduler's prepares, a remote cache) crosses the network.
            let remote = here != Some(node);
            let class = LinkClass::to_client(remote);
            let delay = link_delay(
                &self.params.latency,
                &self.params.faults,
                class,
                now,
                &mut self.rng,
            );
            let at = self.links.schedule(node, now, delay);
            net.count(now, msg.encoded_bytes());
            net.to_node(at, node, client, msg, remote);
        }
        match progress {
            Progress::Waiting => false,
            Progress::NextFunction => {
                self.dispatch_stage(net, index, now);
                false
            }
            Progress::Retry => {
                self.recorder.aborted(start);
                if let Some(wf) = self.workflows.get_mut(&index) {
                    let plan = self.workload.retry(wf.original(), wf.attempt);
                    wf.restart_with(plan);
                }
                self.dispatch_stage(net, index, now);
                false
            }
            Progress::GaveUp => {
                self.recorder.aborted(start);
                self.recorder.workflow_failed(start);
                if let Some(wf) = self.workflows.remove(&index) {
                    self.ended(net, wf, false, now);
                }
                true
            }
            Progress::Finished => {
                let Some(wf) = self.workflows.remove(&index) else {
                    return true;
                };
                self.recorder.workflow_done(start, now, wf.attempt);
                self.ended(net, wf, true, now);
                true
            }
        }
    }

    /// The run is over at `now`: workflows still running are unfinished,
    /// and what they observed and wrote joins the history.
    pub fn cut_off(&mut self, now: Micros) {
        for wf in self.workflows.values_mut() {
            self.recorder.workflow_unfinished(wf.intended_start);
            self.history.extend(wf.cut_off_history(now));
        }
        self.workflows.clear();
    }
}

/// The workflow whose current attempt is session `client`; a message for an
/// attempt that has since aborted is stale.
fn current<C: ClientSession>(
    workflows: &mut BTreeMap<u64, WorkflowRun<C>>,
    client: ClientId,
) -> Option<&mut WorkflowRun<C>> {
    workflows
        .get_mut(&workflow_of(client))
        .filter(|wf| wf.is_current(client))
}

/// When workflows start: open loop at a fixed rate (each client task takes
/// every k-th workflow), or closed loop with a fixed number in flight.
pub struct Generator {
    pub mode: LoadMode,
    /// Open loop: microseconds between intended starts, over all tasks.
    period: f64,
    next_index: u64,
    stride: u64,
    /// Closed loop: this task's share of the concurrency.
    pub slots: u32,
    /// Open loop: this task's share of the workflows that may be in flight
    /// (`load.max_backlog`'s worth of arrivals).
    pub backlog: usize,
}

impl Generator {
    pub fn new(load: &LoadSpec, task: usize, tasks: usize) -> Generator {
        let tasks32 = tasks as u32;
        Generator {
            mode: load.mode,
            period: 1e6 / load.rate,
            next_index: task as u64,
            stride: tasks as u64,
            slots: load.concurrency / tasks32
                + u32::from((task as u32) < load.concurrency % tasks32),
            backlog: (load.rate * load.max_backlog as f64 / 1e6 / tasks as f64).ceil() as usize,
        }
    }

    pub fn intended_start(&self, index: u64) -> Micros {
        (index as f64 * self.period) as Micros
    }

    pub fn take_index(&mut self) -> u64 {
        let i = self.next_index;
        self.next_index += self.stride;
        i
    }

    /// Whether this task has workflows to start at all: a closed-loop task
    /// with no share of the concurrency has none.
    pub fn has_work(&self) -> bool {
        !(self.mode == LoadMode::Closed && self.slots == 0)
    }
}
