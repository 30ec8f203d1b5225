//! A workflow in flight: its plan, the stage running now, and per function of
//! that stage the client library (or, between stages, the causal context they
//! exported). Pure, so every runtime drives workflows the same way.
//!
//! Steps, in order: the scheduler's `begin_workflow` (on the first function's
//! session), then per function `begin_function`, its operations and
//! `end_function`. Any step may abort; the workflow then starts over as a new
//! session, with fresh values, until it commits or runs out of retries.
//!
//! Stages (`WorkflowPlan::stages`): the functions of a stage run at once,
//! each resumed from the context the previous stage left; when all have
//! ended, their exported contexts are merged (`merge_contexts`, §6) into the
//! next stage's. A chain is a plan whose every stage holds one function. When
//! the last stage runs several functions, each ends as a middle function and
//! the workflow's final `end_function` (where buffering designs commit) runs
//! once on the merged context, at the node of the function that ended last.
//! `begin_workflow` runs on the first function's session; the first stage's
//! other functions start alongside it, so a design's workflow-wide
//! preparation is awaited only by the first function (the media workflow's
//! first stage writes only). Operations of concurrent functions enter the
//! history in completion order, one session per attempt: exact for stages
//! whose functions touch disjoint keys, as the media workflow's do.

use std::ops::Range;
use std::sync::Arc;

use crate::history::Record;
use impls::{
    ClientId, ClientSession, Cluster, Micros, NodeId, Op, OpResult, Poll, Served, WorkflowPlan,
};
use workloads::Workload;

/// Session ids carry the attempt above the workflow index, so replies to an
/// aborted attempt never reach its retry, and the function's position in its
/// stage above that, so replies reach the function that asked.
const ATTEMPT_SHIFT: u32 = 40;
const BRANCH_SHIFT: u32 = 56;
const ATTEMPT_MASK: u64 = (1 << (BRANCH_SHIFT - ATTEMPT_SHIFT)) - 1;

/// The workflow index a session id belongs to.
pub fn workflow_of(id: ClientId) -> u64 {
    id & ((1 << ATTEMPT_SHIFT) - 1)
}

/// The attempt's session id without the function's position in its stage.
pub fn attempt_of(id: ClientId) -> ClientId {
    id & ((1 << BRANCH_SHIFT) - 1)
}

fn branch_of(id: ClientId) -> usize {
    (id >> BRANCH_SHIFT) as usize
}

/// The session a function's operations are recorded under: the attempt for
/// the first function of each stage (so a chain is one session), and a
/// session of its own for every other function of a parallel stage, whose
/// operations are not ordered with its siblings'. The checker then does not
/// know that such a branch precedes the next stage: it may miss an anomaly
/// there, but never reports one that did not happen.
fn history_session(attempt: ClientId, branch: usize) -> ClientId {
    attempt | ((branch as u64) << BRANCH_SHIFT)
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
    /// A step waits for a node, or the function waits for the rest of its
    /// stage.
    Waiting,
    /// The stage finished; the runtime dispatches each of `sessions()`.
    NextFunction,
    /// The attempt aborted; the runtime dispatches each of `sessions()`, the
    /// first stage again under the new attempt.
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
    /// The last stage's joined end (see the module comment).
    EndWorkflow,
}

/// One function of the running stage.
struct Branch<C: ClientSession> {
    function: usize,
    step: Step,
    op_started: Micros,
    client: Option<C>,
    ended: bool,
    /// The running operation as the workload decided it, when it differs
    /// from the plan.
    decided: Option<Op>,
}

pub struct WorkflowRun<C: ClientSession> {
    /// The current attempt's session id (its first function's).
    pub id: ClientId,
    /// The first attempt's plan and the current one's; the same until a
    /// retry, so one copy serves both.
    original: Arc<WorkflowPlan>,
    plan: Arc<WorkflowPlan>,
    stages: Vec<Range<usize>>,
    /// When the workflow was meant to start: latency, retries included, is
    /// measured from here.
    pub intended_start: Micros,
    pub attempt: u32,
    max_retries: u32,
    stage: usize,
    branches: Vec<Branch<C>>,
    /// The context the running stage started from.
    context: C::Context,
    /// The merged contexts of the running stage's functions that ended.
    merged: Option<C::Context>,
    /// Kept from `start_function` when the last stage runs several
    /// functions, to resume the client of the joined end.
    cluster: Option<Cluster>,
    /// The causal context handed over with tokens: every attempt starts
    /// from it.
    inherited: Option<C::Context>,
    /// A workload that decides later operations from earlier results, and
    /// the current attempt's results so far in completion order (kept only
    /// with one).
    decider: Option<Arc<dyn Workload>>,
    results: Vec<OpResult>,
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
        let plan = Arc::new(plan);
        let mut run = WorkflowRun {
            id: plan.index,
            stages: plan.stage_ranges(),
            original: Arc::clone(&plan),
            plan,
            intended_start,
            attempt: 0,
            max_retries,
            stage: 0,
            branches: Vec::new(),
            context: C::Context::default(),
            merged: None,
            cluster: None,
            inherited: None,
            decider: None,
            results: Vec::new(),
            recorded: history.then(Vec::new),
        };
        run.enter_stage();
        run
    }

    /// Lets `workload` decide operations from the attempt's earlier results
    /// ([`Workload::decide`]).
    pub fn with_decisions(mut self, workload: Arc<dyn Workload>) -> Self {
        self.decider = Some(workload);
        self
    }

    /// Starts every attempt from `ctx`, the causal context of a token's
    /// last holders, joined into what the workflow inherited before. Called
    /// before the first function starts.
    pub fn inherit(&mut self, ctx: C::Context) {
        let inherited = match self.inherited.take() {
            Some(before) => C::merge_contexts(before, ctx),
            None => ctx,
        };
        self.context = inherited.clone();
        self.inherited = Some(inherited);
    }

    /// The causal context after the workflow finished (or, if it gave up,
    /// the inherited one), to hand back with its tokens.
    pub fn take_context(&mut self) -> C::Context {
        std::mem::take(&mut self.context)
    }

    /// The plan of the current attempt and the results of its operations,
    /// in completion order (empty unless operations are decided from
    /// results).
    pub fn outcome(&self) -> (&WorkflowPlan, &[OpResult]) {
        (&self.plan, &self.results)
    }

    /// Whether `session` belongs to the current attempt (replies to an
    /// aborted one are stale).
    pub fn is_current(&self, session: ClientId) -> bool {
        attempt_of(session) == self.id
    }

    /// The sessions of the running stage's functions, for the runtime to
    /// dispatch: at the start, after `NextFunction` and after `Retry`.
    pub fn sessions(&self) -> Vec<ClientId> {
        (0..self.branches.len())
            .map(|b| self.id | ((b as u64) << BRANCH_SHIFT))
            .collect()
    }

    /// The node the function of `session` runs on.
    pub fn node_of(&self, session: ClientId) -> Option<NodeId> {
        let branch = self.branches.get(branch_of(session))?;
        self.plan.functions.get(branch.function).map(|f| f.node)
    }

    fn enter_stage(&mut self) {
        let range = self.stages.get(self.stage).cloned().unwrap_or(0..0);
        self.branches = range
            .map(|function| Branch {
                function,
                step: Step::BeginFunction,
                op_started: self.intended_start,
                client: None,
                ended: false,
                decided: None,
            })
            .collect();
        self.merged = None;
    }

    fn last_stage(&self) -> bool {
        self.stage + 1 == self.stages.len()
    }

    /// Runs the function of `session` at its node, resuming the causal
    /// context the previous stage exported.
    pub fn start_function(
        &mut self,
        session: ClientId,
        now: Micros,
        cluster: &Cluster,
        fx: &mut Effects<C::Msg>,
    ) -> Progress {
        let b = branch_of(session);
        let Some(function) = self.branches.get(b).map(|br| br.function) else {
            return Progress::Waiting;
        };
        let node = self.plan.functions[function].node;
        if self.last_stage() && self.branches.len() > 1 && self.cluster.is_none() {
            self.cluster = Some(cluster.clone());
        }
        let mut client = C::resume(self.context.clone(), node, self.id, cluster);
        let (step, poll) = if function == 0 {
            (
                Step::BeginWorkflow,
                client.begin_workflow(&self.plan, &mut fx.sends),
            )
        } else {
            (
                Step::BeginFunction,
                client.begin_function(&self.plan, function, &mut fx.sends),
            )
        };
        let branch = &mut self.branches[b];
        branch.step = step;
        branch.client = Some(client);
        self.advance(b, now, poll, fx)
    }

    /// A node answered the running step of the function of `session`.
    pub fn on_reply(
        &mut self,
        session: ClientId,
        now: Micros,
        from: NodeId,
        msg: C::Msg,
        fx: &mut Effects<C::Msg>,
    ) -> Progress {
        let b = branch_of(session);
        let Some(client) = self.branches.get_mut(b).and_then(|br| br.client.as_mut()) else {
            return Progress::Waiting;
        };
        let poll = client.on_reply(from, msg, &mut fx.sends);
        self.advance(b, now, poll, fx)
    }

    fn advance(
        &mut self,
        b: usize,
        now: Micros,
        mut poll: Poll,
        fx: &mut Effects<C::Msg>,
    ) -> Progress {
        // The workflow's last function ends the workflow itself, unless the
        // last stage runs several and their joined end does.
        let ends_workflow = self.last_stage() && self.branches.len() == 1;
        loop {
            let done = match poll {
                Poll::Pending => return Progress::Waiting,
                Poll::Ready(done) => done,
            };
            if done.result == OpResult::Aborted {
                return self.abort(b, now, fx);
            }
            let branch = &mut self.branches[b];
            let Some(client) = branch.client.as_mut() else {
                return Progress::Waiting;
            };
            let function = branch.function;
            let ops = &self.plan.functions[function].ops;
            let next = match branch.step {
                Step::BeginWorkflow => {
                    branch.step = Step::BeginFunction;
                    poll = client.begin_function(&self.plan, function, &mut fx.sends);
                    continue;
                }
                Step::BeginFunction => 0,
                Step::Op(i) => {
                    let decided = branch.decided.take();
                    let op = decided.as_ref().unwrap_or(&ops[i]);
                    fx.completed.push((
                        now - branch.op_started,
                        !op.read_keys().is_empty(),
                        done.served,
                    ));
                    if let Some(recorded) = &mut self.recorded {
                        let seq = recorded.len() as u64;
                        let node = self.plan.functions[function].node;
                        let record = Record::of(
                            history_session(self.id, b),
                            seq,
                            node,
                            op,
                            &done.result,
                            branch.op_started,
                            now,
                        );
                        recorded.extend(record.map(|r| (r, done.served != Served::Client)));
                    }
                    if self.decider.is_some() {
                        self.results.push(done.result);
                    }
                    i + 1
                }
                Step::EndFunction => return self.end_function(b, now, fx),
                Step::EndWorkflow => {
                    if let Some(client) = branch.client.take() {
                        self.context = client.suspend();
                    }
                    return self.finish(fx);
                }
            };
            poll = match ops.get(next) {
                Some(planned) => {
                    branch.step = Step::Op(next);
                    branch.op_started = now;
                    branch.decided = self
                        .decider
                        .as_ref()
                        .and_then(|w| w.decide(&self.plan, &self.results, planned));
                    client.start(branch.decided.as_ref().unwrap_or(planned), &mut fx.sends)
                }
                None => {
                    branch.step = Step::EndFunction;
                    client.end_function(ends_workflow, &mut fx.sends)
                }
            };
        }
    }

    /// A function of the running stage ended: its context joins the stage's;
    /// the last one to end moves the workflow on.
    fn end_function(&mut self, b: usize, now: Micros, fx: &mut Effects<C::Msg>) -> Progress {
        let branch = &mut self.branches[b];
        branch.ended = true;
        let Some(exported) = branch.client.take().map(C::suspend) else {
            return Progress::Waiting;
        };
        let merged = match self.merged.take() {
            Some(m) => C::merge_contexts(m, exported),
            None => exported,
        };
        if !self.branches.iter().all(|br| br.ended) {
            self.merged = Some(merged);
            return Progress::Waiting;
        }
        if !self.last_stage() {
            self.context = merged;
            self.stage += 1;
            self.enter_stage();
            return Progress::NextFunction;
        }
        if self.branches.len() == 1 {
            self.context = merged;
            return self.finish(fx);
        }
        // The final stage joined: its merged context ends the workflow at
        // the node of the function that ended last, under its session.
        let node = self.plan.functions[self.branches[b].function].node;
        let Some(cluster) = &self.cluster else {
            return Progress::Waiting;
        };
        let mut client = C::resume(merged, node, self.id, cluster);
        let poll = client.end_function(true, &mut fx.sends);
        let branch = &mut self.branches[b];
        branch.client = Some(client);
        branch.step = Step::EndWorkflow;
        self.advance(b, now, poll, fx)
    }

    fn finish(&mut self, fx: &mut Effects<C::Msg>) -> Progress {
        fx.history
            .extend(self.recorded.take().into_iter().flatten().map(|(r, _)| r));
        self.stage = self.stages.len();
        self.branches.clear();
        Progress::Finished
    }

    /// Drops the attempt; the workflow will start over as a new session, or
    /// gives up past the retry limit.
    /// Function `b` of the running stage aborted.
    fn abort(&mut self, b: usize, now: Micros, fx: &mut Effects<C::Msg>) -> Progress {
        // Reads of an aborted attempt do not count; its writes that left the
        // client may have become visible and stay in the history (buffered
        // ones never will), and so may those other functions of the stage
        // still have in flight.
        if let Some(recorded) = self.recorded.take() {
            let seq = recorded.len() as u64;
            let sent = recorded
                .into_iter()
                .filter(|(r, sent)| *sent && r.writes_something());
            fx.history.extend(sent.map(|(r, _)| r));
            fx.history.extend(self.in_flight_writes(seq, now, Some(b)));
            self.recorded = Some(Vec::new());
        }
        self.branches.clear();
        if self.attempt >= self.max_retries {
            self.context = self.inherited.clone().unwrap_or_default();
            return Progress::GaveUp;
        }
        self.attempt += 1;
        self.id = self.original.index | ((u64::from(self.attempt) & ATTEMPT_MASK) << ATTEMPT_SHIFT);
        self.stage = 0;
        self.results.clear();
        self.context = self.inherited.clone().unwrap_or_default();
        self.enter_stage();
        Progress::Retry
    }

    /// The history of an attempt cut off by the end of the run: what it
    /// observed, the writes that left the client, and the writes of the
    /// operations in flight, which the database may have applied unanswered.
    pub fn cut_off_history(&mut self, now: Micros) -> Vec<Record> {
        let Some(recorded) = self.recorded.take() else {
            return Vec::new();
        };
        let seq = recorded.len() as u64;
        let mut history: Vec<Record> = recorded
            .into_iter()
            .filter(|(r, sent)| *sent || !r.writes_something())
            .map(|(r, _)| r)
            .collect();
        history.extend(self.in_flight_writes(seq, now, None));
        history
    }

    /// The writes of the operations running now, but for function `except`'s
    /// (which aborted), numbered from `seq`: the database may apply them
    /// although no answer ever comes.
    fn in_flight_writes(&self, mut seq: u64, now: Micros, except: Option<usize>) -> Vec<Record> {
        let mut history = Vec::new();
        for (b, branch) in self
            .branches
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != except)
        {
            let (Step::Op(i), Some(f)) = (branch.step, self.plan.functions.get(branch.function))
            else {
                continue;
            };
            let op = branch.decided.as_ref().or_else(|| f.ops.get(i));
            for (key, value) in op.map(Op::writes).unwrap_or_default() {
                let write = Op::Write(key, value.clone());
                history.extend(Record::of(
                    history_session(self.id, b),
                    seq,
                    f.node,
                    &write,
                    &OpResult::Written,
                    branch.op_started,
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
        self.stages = plan.stage_ranges();
        self.plan = Arc::new(plan);
        self.enter_stage();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use impls::{Completion, DesignOptions, FunctionPlan, Value, WireSize};

    use super::*;

    /// Functions seen upstream; merging is the union.
    #[derive(Clone, Default, Debug)]
    struct Seen(BTreeSet<usize>);

    impl WireSize for Seen {
        fn encoded_bytes(&self) -> usize {
            8 * self.0.len()
        }
    }

    /// Each operation is one round trip to the function's node; the client
    /// remembers the context it resumed with; the last end commits with a
    /// round trip.
    struct Scripted {
        ctx: Seen,
        node: NodeId,
        function: usize,
        resumed_with: BTreeSet<usize>,
    }

    #[derive(Clone, Debug)]
    enum Msg {
        Op,
        Commit(BTreeSet<usize>),
    }

    impl ClientSession for Scripted {
        type Msg = Msg;
        type Context = Seen;

        fn resume(ctx: Seen, node: NodeId, _id: ClientId, _cluster: &Cluster) -> Self {
            Scripted {
                resumed_with: ctx.0.clone(),
                ctx,
                node,
                function: usize::MAX,
            }
        }

        fn begin_function(
            &mut self,
            _plan: &WorkflowPlan,
            function: usize,
            _out: &mut Vec<(NodeId, Msg)>,
        ) -> Poll {
            self.function = function;
            self.ctx.0.insert(function);
            Poll::done()
        }

        fn end_function(&mut self, last: bool, out: &mut Vec<(NodeId, Msg)>) -> Poll {
            if !last {
                return Poll::done();
            }
            out.push((self.node, Msg::Commit(self.ctx.0.clone())));
            Poll::Pending
        }

        fn start(&mut self, _op: &Op, out: &mut Vec<(NodeId, Msg)>) -> Poll {
            out.push((self.node, Msg::Op));
            Poll::Pending
        }

        fn on_reply(&mut self, _from: NodeId, msg: Msg, _out: &mut Vec<(NodeId, Msg)>) -> Poll {
            let result = match msg {
                Msg::Op => OpResult::Written,
                Msg::Commit(_) => OpResult::Done,
            };
            Poll::Ready(Completion {
                result,
                served: Served::Cache,
            })
        }

        fn suspend(self) -> Seen {
            self.ctx
        }

        fn merge_contexts(mut a: Seen, b: Seen) -> Seen {
            a.0.extend(b.0);
            a
        }
    }

    fn plan(stages: Vec<usize>) -> WorkflowPlan {
        let n = if stages.is_empty() {
            3
        } else {
            stages.iter().sum()
        };
        WorkflowPlan {
            index: 9,
            functions: (0..n)
                .map(|f| FunctionPlan {
                    node: f % 3,
                    ops: vec![Op::Write(f as u64, Value::tagged(f as u64 + 1, 8))],
                })
                .collect(),
            stages,
        }
    }

    fn cluster() -> Cluster {
        Cluster {
            servers: 3,
            keys: 10,
            value_size: 8,
            options: DesignOptions::default(),
            hands_on_contexts: false,
        }
    }

    /// Runs every dispatched function to its end, answering messages in the
    /// order `order` picks among the outstanding ones; returns the progress
    /// sequence and the commits the joined end sent.
    fn drive(
        run: &mut WorkflowRun<Scripted>,
        mut order: impl FnMut(usize) -> usize,
    ) -> (Vec<Progress>, Vec<BTreeSet<usize>>) {
        let mut progress = Vec::new();
        let mut commits = Vec::new();
        let mut pending: Vec<(ClientId, NodeId, Msg)> = Vec::new();
        let mut fx = Effects::default();
        let mut start = run.sessions();
        loop {
            for s in start.drain(..) {
                let p = run.start_function(s, 0, &cluster(), &mut fx);
                pending.extend(fx.sends.drain(..).map(|(n, m)| (s, n, m)));
                progress.push(p);
            }
            if progress.last() == Some(&Progress::NextFunction) {
                start = run.sessions();
                continue;
            }
            if pending.is_empty() {
                return (progress, commits);
            }
            let (s, n, m) = pending.remove(order(pending.len()));
            if let Msg::Commit(seen) = &m {
                commits.push(seen.clone());
            }
            let p = run.on_reply(s, 1, n, m, &mut fx);
            pending.extend(fx.sends.drain(..).map(|(n, m)| (s, n, m)));
            progress.push(p);
            if p == Progress::NextFunction {
                start = run.sessions();
            }
        }
    }

    #[test]
    fn a_chain_runs_one_function_at_a_time() {
        let mut run = WorkflowRun::<Scripted>::new(plan(Vec::new()), 0, 0, false);
        assert_eq!(run.sessions(), vec![9]);
        let (progress, commits) = drive(&mut run, |_| 0);
        assert_eq!(progress.last(), Some(&Progress::Finished));
        assert_eq!(
            progress
                .iter()
                .filter(|p| **p == Progress::NextFunction)
                .count(),
            2
        );
        assert_eq!(commits, vec![BTreeSet::from([0, 1, 2])]);
    }

    #[test]
    fn a_stage_runs_its_functions_at_once_and_merges_their_contexts() {
        for newest_first in [false, true] {
            let mut run = WorkflowRun::<Scripted>::new(plan(vec![3, 1, 2]), 0, 0, true);
            let sessions = run.sessions();
            assert_eq!(sessions.len(), 3);
            assert!(sessions.iter().all(|&s| run.is_current(s)));
            let distinct: BTreeSet<ClientId> = sessions.iter().copied().collect();
            assert_eq!(distinct.len(), 3);
            assert_eq!(run.node_of(sessions[2]), Some(2));
            let (progress, commits) = drive(&mut run, |n| if newest_first { n - 1 } else { 0 });
            assert_eq!(progress.last(), Some(&Progress::Finished));
            // One commit, by the joined end, with every function in its past.
            assert_eq!(commits, vec![BTreeSet::from([0, 1, 2, 3, 4, 5])]);
        }
    }

    #[test]
    fn the_stage_after_a_join_resumes_from_the_merged_context() {
        let mut run = WorkflowRun::<Scripted>::new(plan(vec![2, 1]), 0, 0, false);
        let mut fx = Effects::default();
        let first = run.sessions();
        for &s in &first {
            run.start_function(s, 0, &cluster(), &mut fx);
        }
        fx.sends.clear();
        assert_eq!(
            run.on_reply(first[1], 1, 1, Msg::Op, &mut fx),
            Progress::Waiting
        );
        assert_eq!(
            run.on_reply(first[0], 2, 0, Msg::Op, &mut fx),
            Progress::NextFunction
        );
        let next = run.sessions();
        assert_eq!(next.len(), 1);
        run.start_function(next[0], 3, &cluster(), &mut fx);
        let client = run.branches[0].client.as_ref().unwrap();
        assert_eq!(client.resumed_with, BTreeSet::from([0, 1]));
    }

    #[test]
    fn replies_to_an_aborted_attempt_are_stale() {
        let mut run = WorkflowRun::<Scripted>::new(plan(vec![2, 1]), 0, 3, true);
        let old = run.sessions();
        let mut fx = Effects::default();
        for &s in &old {
            run.start_function(s, 0, &cluster(), &mut fx);
        }
        assert_eq!(run.abort(0, 5, &mut fx), Progress::Retry);
        // The other function's write was in flight and may still apply.
        let written: Vec<u64> = fx.history.iter().filter_map(|r| r.key).collect();
        assert_eq!(written, vec![1]);
        assert!(old.iter().all(|&s| !run.is_current(s)));
        assert!(run.sessions().iter().all(|&s| run.is_current(s)));
        assert_eq!(workflow_of(run.sessions()[1]), 9);
    }
}
