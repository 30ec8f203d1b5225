//! A workflow in flight: its plan, the step running now, and the client
//! library (or, between functions, the causal context it exported). Pure, so
//! every runtime drives workflows the same way.
//!
//! Steps, in order: the scheduler's `begin_workflow` (on the first function's
//! session), then per function `begin_function`, its operations and
//! `end_function`. Any step may abort; the workflow then starts over as a new
//! session, with fresh values, until it commits or runs out of retries.

use std::sync::Arc;

use crate::history::Record;
use impls::{
    ClientId, ClientSession, Cluster, Micros, NodeId, Op, OpResult, Poll, Served, WorkflowPlan,
};
use workloads::Workload;

/// Session ids carry the attempt above the workflow index, so replies to an
/// aborted attempt never reach its retry.
const ATTEMPT_SHIFT: u32 = 40;

/// The workflow index a session id belongs to.
pub fn workflow_of(id: ClientId) -> u64 {
    id & ((1 << ATTEMPT_SHIFT) - 1)
}

/// What a step of the workflow asks of the runtime.
pub struct Effects<M> {
    /// Messages for cache nodes.
    pub sends: Vec<(NodeId, M)>,
    /// Operations that completed: latency, whether a read, where served.
    pub completed: Vec<(Micros, bool, Served)>,
    /// History records of an attempt that ended: all its operations if it
    /// committed, only its acknowledged writes if it aborted.
    pub history: Vec<Record>,
}

impl<M> Default for Effects<M> {
    fn default() -> Self {
        Effects {
            sends: Vec::new(),
            completed: Vec::new(),
            history: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A step waits for a node.
    Waiting,
    /// The function finished; the runtime dispatches the next one.
    NextFunction,
    /// The attempt aborted; the runtime dispatches the workflow's first
    /// function again under the new session id.
    Retry,
    Finished,
    /// Aborted with no retries left.
    GaveUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    BeginWorkflow,
    BeginFunction,
    Op(usize),
    EndFunction,
}

pub struct WorkflowRun<C: ClientSession> {
    /// The current attempt's session id.
    pub id: ClientId,
    original: WorkflowPlan,
    plan: WorkflowPlan,
    /// When the workflow was meant to start: latency, retries included, is
    /// measured from here.
    pub intended_start: Micros,
    pub attempt: u32,
    max_retries: u32,
    function: usize,
    step: Step,
    op_started: Micros,
    client: Option<C>,
    context: Option<C::Context>,
    /// The causal context handed over with a token: every attempt starts
    /// from it.
    inherited: Option<C::Context>,
    /// A workload that decides later operations from earlier results, and
    /// the current attempt's results so far (kept only with one).
    decider: Option<Arc<dyn Workload>>,
    results: Vec<OpResult>,
    /// The running operation as decided, when it differs from the plan.
    decided: Option<Op>,
    /// The current attempt's completed operations, for the history, each
    /// with whether it left the client (a buffered write did not yet);
    /// `None` when histories are off.
    recorded: Option<Vec<(Record, bool)>>,
}

impl<C: ClientSession> WorkflowRun<C> {
    pub fn new(
        plan: WorkflowPlan,
        intended_start: Micros,
        max_retries: u32,
        history: bool,
    ) -> Self {
        WorkflowRun {
            id: plan.index,
            plan: plan.clone(),
            original: plan,
            intended_start,
            attempt: 0,
            max_retries,
            function: 0,
            step: Step::BeginWorkflow,
            op_started: intended_start,
            client: None,
            context: Some(C::Context::default()),
            inherited: None,
            decider: None,
            results: Vec::new(),
            decided: None,
            recorded: history.then(Vec::new),
        }
    }

    /// Lets `workload` decide operations from the attempt's earlier results
    /// ([`Workload::decide`]).
    pub fn with_decisions(mut self, workload: Arc<dyn Workload>) -> Self {
        self.decider = Some(workload);
        self
    }

    /// Starts every attempt from `ctx`, the causal context of a token's
    /// last holders, joined into what the workflow inherited before.
    pub fn inherit(&mut self, ctx: C::Context) {
        let inherited = match self.inherited.take() {
            Some(before) => C::merge_contexts(before, ctx),
            None => ctx,
        };
        self.context = Some(inherited.clone());
        self.inherited = Some(inherited);
    }

    /// The causal context after the last function (or, if the workflow gave
    /// up, the inherited one), to hand back with a token.
    pub fn take_context(&mut self) -> C::Context {
        self.context
            .take()
            .or_else(|| self.inherited.take())
            .unwrap_or_default()
    }

    /// The plan of the current attempt and the results of its operations,
    /// in order (empty unless operations are decided from results).
    pub fn outcome(&self) -> (&WorkflowPlan, &[OpResult]) {
        (&self.plan, &self.results)
    }

    /// The node the current (or next) function runs on.
    pub fn node(&self) -> Option<NodeId> {
        self.plan.functions.get(self.function).map(|f| f.node)
    }

    /// Runs the next function at its node, resuming the causal context the
    /// previous one exported there.
    pub fn start_function(
        &mut self,
        now: Micros,
        cluster: &Cluster,
        fx: &mut Effects<C::Msg>,
    ) -> Progress {
        let Some(node) = self.node() else {
            return Progress::Finished;
        };
        let ctx = self.context.take().unwrap_or_default();
        let mut client = C::resume(ctx, node, self.id, cluster);
        let poll = if self.function == 0 {
            self.step = Step::BeginWorkflow;
            client.begin_workflow(&self.plan, &mut fx.sends)
        } else {
            self.step = Step::BeginFunction;
            client.begin_function(&self.plan, self.function, &mut fx.sends)
        };
        self.client = Some(client);
        self.advance(now, poll, fx)
    }

    /// A node answered the running step.
    pub fn on_reply(
        &mut self,
        now: Micros,
        from: NodeId,
        msg: C::Msg,
        fx: &mut Effects<C::Msg>,
    ) -> Progress {
        let Some(client) = self.client.as_mut() else {
            return Progress::Waiting;
        };
        let poll = client.on_reply(from, msg, &mut fx.sends);
        self.advance(now, poll, fx)
    }

    fn advance(&mut self, now: Micros, mut poll: Poll, fx: &mut Effects<C::Msg>) -> Progress {
        loop {
            let done = match poll {
                Poll::Pending => return Progress::Waiting,
                Poll::Ready(done) => done,
            };
            if done.result == OpResult::Aborted {
                return self.abort(fx);
            }
            let Some(client) = self.client.as_mut() else {
                return Progress::Waiting;
            };
            let ops = &self.plan.functions[self.function].ops;
            let last = self.function + 1 == self.plan.functions.len();
            let next = match self.step {
                Step::BeginWorkflow => {
                    self.step = Step::BeginFunction;
                    poll = client.begin_function(&self.plan, self.function, &mut fx.sends);
                    continue;
                }
                Step::BeginFunction => 0,
                Step::Op(i) => {
                    let op = self.decided.take();
                    let op = op.as_ref().unwrap_or(&ops[i]);
                    fx.completed.push((
                        now - self.op_started,
                        !op.read_keys().is_empty(),
                        done.served,
                    ));
                    if let Some(recorded) = &mut self.recorded {
                        let seq = recorded.len() as u64;
                        let node = self.plan.functions[self.function].node;
                        let record =
                            Record::of(self.id, seq, node, op, &done.result, self.op_started, now);
                        recorded.extend(record.map(|r| (r, done.served != Served::Client)));
                    }
                    if self.decider.is_some() {
                        self.results.push(done.result);
                    }
                    i + 1
                }
                Step::EndFunction => {
                    self.context = self.client.take().map(C::suspend);
                    self.function += 1;
                    if !last {
                        return Progress::NextFunction;
                    }
                    fx.history
                        .extend(self.recorded.take().into_iter().flatten().map(|(r, _)| r));
                    return Progress::Finished;
                }
            };
            poll = match ops.get(next) {
                Some(planned) => {
                    self.step = Step::Op(next);
                    self.op_started = now;
                    self.decided = self
                        .decider
                        .as_ref()
                        .and_then(|w| w.decide(&self.plan, &self.results, planned));
                    client.start(self.decided.as_ref().unwrap_or(planned), &mut fx.sends)
                }
                None => {
                    self.step = Step::EndFunction;
                    client.end_function(last, &mut fx.sends)
                }
            };
        }
    }

    /// Drops the attempt; the workflow will start over as a new session, or
    /// gives up past the retry limit.
    fn abort(&mut self, fx: &mut Effects<C::Msg>) -> Progress {
        self.client = None;
        // Reads of an aborted attempt do not count; its writes that left the
        // client may have become visible and stay in the history (buffered
        // ones never will).
        if let Some(recorded) = &mut self.recorded {
            let sent = recorded
                .drain(..)
                .filter(|(r, sent)| *sent && r.writes_something());
            fx.history.extend(sent.map(|(r, _)| r));
        }
        if self.attempt >= self.max_retries {
            return Progress::GaveUp;
        }
        self.attempt += 1;
        self.id = self.original.index | (u64::from(self.attempt) << ATTEMPT_SHIFT);
        self.function = 0;
        self.results.clear();
        self.decided = None;
        self.context = Some(self.inherited.clone().unwrap_or_default());
        Progress::Retry
    }

    /// The history of an attempt cut off by the end of the run: what it
    /// observed, the writes that left the client, and the writes of the
    /// operation in flight, which the database may have applied unanswered.
    pub fn cut_off_history(&mut self, now: Micros) -> Vec<Record> {
        let Some(recorded) = self.recorded.take() else {
            return Vec::new();
        };
        let mut seq = recorded.len() as u64;
        let mut history: Vec<Record> = recorded
            .into_iter()
            .filter(|(r, sent)| *sent || !r.writes_something())
            .map(|(r, _)| r)
            .collect();
        if let (Step::Op(i), Some(f)) = (self.step, self.plan.functions.get(self.function)) {
            let op = self.decided.as_ref().or_else(|| f.ops.get(i));
            for (key, value) in op.map(Op::writes).unwrap_or_default() {
                let write = Op::Write(key, value.clone());
                history.extend(Record::of(
                    self.id,
                    seq,
                    f.node,
                    &write,
                    &OpResult::Written,
                    self.op_started,
                    now,
                ));
                seq += 1;
            }
        }
        history
    }

    /// The first attempt's plan, from which retries are made.
    pub fn original(&self) -> &WorkflowPlan {
        &self.original
    }

    /// Sets the plan of the retry about to start (new values, new placement).
    pub fn restart_with(&mut self, plan: WorkflowPlan) {
        self.plan = plan;
    }
}
