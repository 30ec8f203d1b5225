//! A workflow in flight: its plan, the function running now, and the client
//! library (or, between functions, the causal context it exported). Pure, so
//! every runtime drives workflows the same way.

use impls::{ClientId, ClientSession, Cluster, Micros, NodeId, Op, Poll, Served};
use workloads::WorkflowPlan;

/// What a step of the workflow asks of the runtime.
pub struct Effects<M> {
    /// Messages for cache nodes.
    pub sends: Vec<(NodeId, M)>,
    /// Operations that completed: latency, whether a read, where served.
    pub completed: Vec<(Micros, bool, Served)>,
}

impl<M> Default for Effects<M> {
    fn default() -> Self {
        Effects {
            sends: Vec::new(),
            completed: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// An operation waits for a node.
    Waiting,
    /// The function finished; the runtime dispatches the next one.
    NextFunction,
    Finished,
}

pub struct WorkflowRun<C: ClientSession> {
    pub id: ClientId,
    plan: WorkflowPlan,
    /// When the workflow was meant to start: latency is measured from here.
    pub intended_start: Micros,
    function: usize,
    op: usize,
    op_started: Micros,
    client: Option<C>,
    context: Option<C::Context>,
}

impl<C: ClientSession> WorkflowRun<C> {
    pub fn new(id: ClientId, plan: WorkflowPlan, intended_start: Micros) -> Self {
        WorkflowRun {
            id,
            plan,
            intended_start,
            function: 0,
            op: 0,
            op_started: intended_start,
            client: None,
            context: Some(C::Context::default()),
        }
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
        self.client = Some(C::resume(ctx, node, self.id, cluster));
        self.op = 0;
        self.advance(now, None, fx)
    }

    /// A node answered the running operation.
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
        self.advance(now, Some(poll), fx)
    }

    fn advance(
        &mut self,
        now: Micros,
        mut poll: Option<Poll>,
        fx: &mut Effects<C::Msg>,
    ) -> Progress {
        loop {
            let ops = &self.plan.functions[self.function].ops;
            match poll.take() {
                Some(Poll::Pending) => return Progress::Waiting,
                Some(Poll::Ready(done)) => {
                    let is_read = matches!(ops[self.op], Op::Read(_));
                    fx.completed
                        .push((now - self.op_started, is_read, done.served));
                    self.op += 1;
                }
                None => {}
            }
            let Some(client) = self.client.as_mut() else {
                return Progress::Waiting;
            };
            if self.op == ops.len() {
                self.context = self.client.take().map(C::suspend);
                self.function += 1;
                return if self.function == self.plan.functions.len() {
                    Progress::Finished
                } else {
                    Progress::NextFunction
                };
            }
            self.op_started = now;
            poll = Some(client.start(&ops[self.op], &mut fx.sends));
        }
    }
}
