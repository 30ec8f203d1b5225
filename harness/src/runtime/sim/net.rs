//! What travels in the simulator: the events, and the runtime side of the
//! shared client and node code, which turns every send into an event at its
//! arrival time.

use impls::db::{DbReply, DbRequest};
use impls::{ClientId, Micros, NodeId, Peer};

use super::events::EventQueue;
use crate::config::RunConfig;
use crate::recorder::Window;
use crate::runtime::clients::ClientNet;
use crate::runtime::node_sends::NodeNet;
use crate::tokens::TokenMsg;

pub enum NodeInput<M> {
    /// A message from a client or another node; `remote` when a client sent
    /// it from another machine, so the reply crosses the network too.
    Peer { from: Peer, msg: M, remote: bool },
    /// The database answered or notified.
    Db(DbReply),
    /// Time for the node's background work.
    Tick,
}

pub enum Event<M> {
    Node {
        node: NodeId,
        input: NodeInput<M>,
    },
    Db {
        from: NodeId,
        req: DbRequest,
    },
    /// A node answered session `client`.
    Reply {
        client: ClientId,
        from: NodeId,
        msg: M,
    },
    /// The serverless runtime starts the session's next function.
    FunctionStart(ClientId),
    /// Open-loop workflow `index` of client task `task` is due.
    StartWorkflow {
        task: usize,
        index: u64,
    },
    /// A message reaches the token service.
    Token(TokenMsg),
    /// Workflow `workflow` holds one more token and joins `ctx`.
    TokenGrant {
        workflow: u64,
        ctx: Box<dyn std::any::Any + Send>,
    },
}

/// Counts kept while the simulation runs.
pub struct Tally {
    window: Window,
    servers: usize,
    client_tasks: usize,
    history_max: u64,
    /// Protocol messages and bytes sent during the window.
    pub msgs: u64,
    pub bytes: u64,
    /// History records offered so far.
    pub history_len: u64,
    /// Events scheduled and not yet taken, ticks excepted.
    pub in_flight: u64,
}

impl Tally {
    pub fn new(window: Window, config: &RunConfig, client_tasks: usize) -> Tally {
        Tally {
            window,
            servers: config.servers,
            client_tasks,
            history_max: config.history.max_ops,
            msgs: 0,
            bytes: 0,
            history_len: 0,
            in_flight: 0,
        }
    }
}

/// The network as the shared client and node code see it in a simulation.
pub struct SimNet<'a, M> {
    pub queue: &'a mut EventQueue<Event<M>>,
    pub tally: &'a mut Tally,
}

impl<M> SimNet<'_, M> {
    fn push(&mut self, at: Micros, event: Event<M>) {
        self.tally.in_flight += 1;
        self.queue.push(at, event);
    }

    pub fn start_workflow_at(&mut self, at: Micros, task: usize, index: u64) {
        self.push(at, Event::StartWorkflow { task, index });
    }

    pub fn db_reply(&mut self, at: Micros, node: NodeId, reply: DbReply) {
        self.push(
            at,
            Event::Node {
                node,
                input: NodeInput::Db(reply),
            },
        );
    }
}

impl<M> NodeNet<M> for SimNet<'_, M> {
    fn to_node(&mut self, at: Micros, to: NodeId, from: NodeId, msg: M) {
        let input = NodeInput::Peer {
            from: Peer::Node(from),
            msg,
            remote: true,
        };
        self.push(at, Event::Node { node: to, input });
    }

    fn to_client(&mut self, at: Micros, client: ClientId, from: NodeId, msg: M) {
        self.push(at, Event::Reply { client, from, msg });
    }

    fn to_db(&mut self, at: Micros, from: NodeId, req: DbRequest) {
        self.push(at, Event::Db { from, req });
    }

    /// As in the live runtime: replies to one client task share a link.
    fn client_link(&self, client: ClientId) -> usize {
        let task = crate::runtime::workflow::workflow_of(client) % self.tally.client_tasks as u64;
        self.tally.servers + 1 + task as usize
    }

    fn db_link(&self) -> usize {
        self.tally.servers
    }

    fn count(&mut self, now: Micros, bytes: usize) {
        if self.tally.window.contains(now) {
            self.tally.msgs += 1;
            self.tally.bytes += bytes as u64;
        }
    }
}

impl<M> ClientNet<M> for SimNet<'_, M> {
    fn to_node(&mut self, at: Micros, node: NodeId, client: ClientId, msg: M, remote: bool) {
        let input = NodeInput::Peer {
            from: Peer::Client(client),
            msg,
            remote,
        };
        self.push(at, Event::Node { node, input });
    }

    fn function_start(&mut self, at: Micros, client: ClientId) {
        self.push(at, Event::FunctionStart(client));
    }

    fn count(&mut self, now: Micros, bytes: usize) {
        NodeNet::count(self, now, bytes);
    }

    fn to_tokens(&mut self, at: Micros, msg: TokenMsg) {
        self.push(at, Event::Token(msg));
    }

    fn admit_history(&mut self, records: u64) -> bool {
        self.tally.history_len += records;
        self.tally.history_len <= self.history_max()
    }
}

impl<M> SimNet<'_, M> {
    fn history_max(&self) -> u64 {
        self.tally.history_max
    }
}
