//! The simulated runtime: the same design state machines, emulated database,
//! workloads, client tasks and fault schedule as the live runtime, driven by
//! a discrete-event loop over virtual microseconds. Nothing depends on the
//! host: every random draw comes from the run seed, every tie in time is
//! broken by scheduling order, and each cache server is a [`Station`] whose
//! cores take the service time of a [`ServiceProfile`] per message kind.

pub mod calibrate;
pub mod events;
pub mod explore;
mod net;
pub mod profile;
pub mod station;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Result, anyhow};
use impls::db::DbRequest;
use impls::{
    ClientId, ClientSession, Cluster, Design, MessageKind, Micros, NodeId, Outbox, Peer, ServerNode,
};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use workloads::{Workload, stream_seed};

use self::events::EventQueue;
use self::net::{Event, NodeInput, SimNet, Tally};
use self::profile::{ServiceProfile, ServiceTable};
use self::station::Station;
use super::clients::{ClientParams, ClientTask, Generator};
use super::database::DbServer;
use super::node_sends::NodeSends;
use super::outcome::{Outcome, ServerLoad, lost_writes};
use super::workflow::workflow_of;
use crate::config::{LoadMode, RunConfig};
use crate::faults::Faults;
use crate::invariants::InvariantLog;
use crate::latency::LatencyProfile;
use crate::recorder::{Recorder, RunFigures, Window};
use crate::tokens::{Grant, TokenService};

/// How long after the clients stop the run waits for messages in flight to
/// settle, as the live runtime does.
const QUIESCENCE_LIMIT_US: Micros = 30_000_000;

/// A simulated cache node: the design's server behind its station.
struct SimNode<D: Design> {
    server: D::Server,
    sends: NodeSends,
    station: Station,
    /// Crash times still to come, earliest first (beyond the model).
    crashes: Vec<Micros>,
    fetches_at_start: Option<u64>,
    fetches_at_end: Option<u64>,
}

/// A simulated client task and its share of the load.
struct SimTask<D: Design> {
    clients: ClientTask<D>,
    generator: Generator,
    generating: bool,
}

impl<D: Design> SimTask<D> {
    fn done(&self) -> bool {
        !self.generating && self.clients.in_flight() == 0
    }
}

struct Sim<D: Design> {
    queue: EventQueue<Event<D::Msg>>,
    tally: Tally,
    nodes: Vec<SimNode<D>>,
    db: DbServer,
    tasks: Vec<SimTask<D>>,
    service: ServiceTable,
    latency: LatencyProfile,
    faults: Faults,
    cluster: Cluster,
    window: Window,
    out: Outbox<D::Msg>,
    /// The token service, and its stream for the grants' delays.
    tokens: TokenService<<D::Client as ClientSession>::Context>,
    token_rng: Xoshiro256PlusPlus,
    /// The clients have stopped: nothing new starts, replies are dropped.
    clients_closed: bool,
    /// When calibrating: the host's time spent in each kind's handler.
    timer: Option<calibrate::KindTimer>,
}

/// Runs one design on the configured workload and load in virtual time;
/// `progress` hears the fraction of the run done.
pub fn run<D: Design>(
    config: &RunConfig,
    workload: Arc<dyn Workload>,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Outcome> {
    let profile =
        ServiceProfile::load(&config.sim.profile).map_err(|e| anyhow!("sim.profile: {e}"))?;
    let mut sim = Sim::<D>::new(config, workload, profile.table::<D>())?;
    let quiesced = sim.run(config.load.drain, progress);
    Ok(sim.finish(config, quiesced))
}

impl<D: Design> Sim<D> {
    fn new(
        config: &RunConfig,
        workload: Arc<dyn Workload>,
        service: ServiceTable,
    ) -> Result<Sim<D>> {
        let rng = |stream: u64| Xoshiro256PlusPlus::seed_from_u64(stream_seed(config.seed, stream));
        let load = &config.load;
        let window = Window {
            start: load.warmup,
            end: load.warmup + load.duration,
        };
        let cluster = config.cluster();
        let faults = config.faults()?;
        let nodes = (0..config.servers)
            .map(|id| SimNode {
                server: D::server(id, &cluster),
                sends: NodeSends::new(id, rng(1_000 + id as u64)),
                station: Station::new(config.sim.cores),
                crashes: faults.crashes(id),
                fetches_at_start: None,
                fetches_at_end: None,
            })
            .collect();
        let tasks_n = config.runtime.client_tasks;
        let params = ClientParams {
            latency: config.latency.clone(),
            faults: faults.clone(),
            cluster: cluster.clone(),
            window,
            max_retries: load.max_retries,
            history: config.history.enabled,
        };
        let tasks = (0..tasks_n)
            .map(|task| {
                let generator = Generator::new(load, task, tasks_n);
                SimTask {
                    generating: generator.has_work(),
                    generator,
                    clients: ClientTask::new(
                        params.clone(),
                        workload.clone(),
                        rng(3_000 + task as u64),
                    ),
                }
            })
            .collect();
        Ok(Sim {
            queue: EventQueue::default(),
            tally: Tally::new(window, config, tasks_n),
            nodes,
            db: DbServer::new(
                &cluster,
                config.latency.clone(),
                faults.clone(),
                window,
                rng(2_000),
            ),
            tasks,
            service,
            latency: config.latency.clone(),
            faults,
            cluster,
            window,
            out: Outbox::default(),
            tokens: TokenService::new(D::Client::merge_contexts),
            token_rng: rng(4_000),
            clients_closed: false,
            timer: None,
        })
    }

    /// Runs until the clients are done and the servers have settled;
    /// returns false if messages were still in flight at the limit.
    fn run(&mut self, drain: Micros, progress: &(dyn Fn(f64) + Sync)) -> bool {
        for id in 0..self.nodes.len() {
            self.start_node(id);
        }
        for task in 0..self.tasks.len() {
            self.start_task(task);
        }
        let deadline = self.window.end + drain;
        let mut settle_by = Micros::MAX;
        let mut handled: u64 = 0;
        while let Some((at, event)) = self.queue.pop() {
            self.tally.in_flight -= u64::from(!is_tick(&event));
            if !self.clients_closed && at > deadline {
                self.close_clients(deadline);
            }
            if self.clients_closed {
                settle_by = settle_by.min(at.max(deadline) + QUIESCENCE_LIMIT_US.max(drain));
                if self.tally.in_flight == 0 && is_tick(&event) {
                    return true;
                }
                if at > settle_by {
                    return false;
                }
            }
            self.handle(at, event);
            if !self.clients_closed && self.tasks.iter().all(SimTask::done) {
                self.close_clients(at);
            }
            handled += 1;
            if handled.is_multiple_of(65_536) {
                progress((at as f64 / deadline as f64).min(1.0));
            }
        }
        if !self.clients_closed {
            self.close_clients(deadline);
        }
        true
    }

    fn start_node(&mut self, id: NodeId) {
        let mut out = std::mem::take(&mut self.out);
        let node = &mut self.nodes[id];
        node.server.on_start(0, &mut out);
        if let Some(every) = node.server.tick_interval() {
            self.queue.push(
                every,
                Event::Node {
                    node: id,
                    input: NodeInput::Tick,
                },
            );
        }
        let mut net = SimNet {
            queue: &mut self.queue,
            tally: &mut self.tally,
        };
        node.sends
            .flush(&self.latency, &self.faults, &mut net, 0, &mut out);
        self.out = out;
    }

    fn start_task(&mut self, task: usize) {
        let mut net = SimNet {
            queue: &mut self.queue,
            tally: &mut self.tally,
        };
        let t = &mut self.tasks[task];
        match t.generator.mode {
            LoadMode::Closed => {
                for _ in 0..t.generator.slots {
                    let i = t.generator.take_index();
                    t.clients.start_workflow(&mut net, i, 0, 0);
                }
            }
            LoadMode::Open => {
                let i = t.generator.take_index();
                net.start_workflow_at(t.generator.intended_start(i), task, i);
            }
        }
    }

    /// The clients stop at `now`: workflows still running are unfinished.
    fn close_clients(&mut self, now: Micros) {
        for t in &mut self.tasks {
            t.generating = false;
            t.clients.cut_off(now);
        }
        self.clients_closed = true;
    }

    fn handle(&mut self, at: Micros, event: Event<D::Msg>) {
        match event {
            Event::Node { node, input } => self.node_input(at, node, input),
            Event::Db { from, req } => self.db_request(at, from, req),
            _ if self.clients_closed => {}
            Event::StartWorkflow { task, index } => self.start_workflow(at, task, index),
            Event::FunctionStart(client) => {
                let (task, finished) =
                    self.with_client(client, |c, net| c.on_function_start(net, client, at));
                self.after_client(at, task, finished);
            }
            Event::Token(msg) => {
                for Grant { holder, ctx, .. } in self.tokens.handle(msg) {
                    let due = at + self.latency.token.sample(&mut self.token_rng);
                    let grant = Event::TokenGrant {
                        workflow: holder,
                        ctx: Box::new(ctx),
                    };
                    self.tally.in_flight += 1;
                    self.queue.push(due, grant);
                }
            }
            Event::TokenGrant { workflow, ctx } => {
                self.with_client(workflow, |c, net| c.on_token_grant(net, workflow, ctx, at));
            }
            Event::Reply { client, from, msg } => {
                let (task, finished) =
                    self.with_client(client, |c, net| c.on_reply(net, client, from, msg, at));
                self.after_client(at, task, finished);
            }
        }
    }

    /// Hands session `client`'s task and the event queue to `step`; returns
    /// the task's index with what `step` returned.
    fn with_client<R>(
        &mut self,
        client: ClientId,
        step: impl FnOnce(&mut ClientTask<D>, &mut SimNet<'_, D::Msg>) -> R,
    ) -> (usize, R) {
        let task = self.task_of(client);
        let mut net = SimNet {
            queue: &mut self.queue,
            tally: &mut self.tally,
        };
        (task, step(&mut self.tasks[task].clients, &mut net))
    }

    fn task_of(&self, client: ClientId) -> usize {
        (workflow_of(client) % self.tasks.len() as u64) as usize
    }

    fn start_workflow(&mut self, at: Micros, task: usize, index: u64) {
        let mut net = SimNet {
            queue: &mut self.queue,
            tally: &mut self.tally,
        };
        let t = &mut self.tasks[task];
        let start = t.generator.intended_start(index);
        if start < self.window.end {
            let backlog = t.generator.backlog;
            t.clients.arrive(&mut net, index, start, at, backlog);
            let next = t.generator.take_index();
            net.start_workflow_at(t.generator.intended_start(next), task, next);
        } else {
            t.generating = false;
        }
    }

    /// A closed loop replaces each finished workflow until the window ends.
    fn after_client(&mut self, at: Micros, task: usize, finished: bool) {
        let mut net = SimNet {
            queue: &mut self.queue,
            tally: &mut self.tally,
        };
        let t = &mut self.tasks[task];
        if t.generator.mode == LoadMode::Closed {
            if at >= self.window.end {
                t.generating = false;
            } else if finished {
                let i = t.generator.take_index();
                t.clients.start_workflow(&mut net, i, at, at);
            }
        }
    }

    fn node_input(&mut self, at: Micros, id: NodeId, input: NodeInput<D::Msg>) {
        let kind = match &input {
            NodeInput::Peer { msg, .. } => msg.kind_index(),
            NodeInput::Db(_) => self.service.kinds.len(),
            NodeInput::Tick => self.service.kinds.len() + 1,
        };
        let service = self.service.of(kind);
        let faults = &self.faults;
        let window = self.window;
        let node = &mut self.nodes[id];
        let slot = node
            .station
            .admit(at, service, window, |t| faults.node_resumes(id, t));
        let now = slot.start_us();
        let mut out = std::mem::take(&mut self.out);
        // A crash (beyond the model) loses every cache of the node.
        while node.crashes.first().is_some_and(|&t| t <= now) {
            node.crashes.remove(0);
            node.server = D::server(id, &self.cluster);
            node.server.on_start(now, &mut out);
        }
        if now >= window.start && node.fetches_at_start.is_none() {
            node.fetches_at_start = Some(node.server.remote_fetches());
        }
        if now >= window.end && node.fetches_at_end.is_none() {
            node.fetches_at_end = Some(node.server.remote_fetches());
        }
        let started = self.timer.as_ref().map(|_| std::time::Instant::now());
        match input {
            NodeInput::Peer { from, msg, remote } => {
                if let Peer::Client(c) = from {
                    node.sends.remember(c, remote);
                }
                node.server.on_message(now, from, msg, &mut out);
            }
            NodeInput::Db(reply) => node.server.on_db_reply(now, reply, &mut out),
            NodeInput::Tick => {
                node.server.on_tick(now, &mut out);
                // Ticks stop once the clients have and nothing is in flight.
                if let Some(every) = node.server.tick_interval() {
                    self.queue.push(
                        now + every,
                        Event::Node {
                            node: id,
                            input: NodeInput::Tick,
                        },
                    );
                }
            }
        }
        if let (Some(timer), Some(started)) = (&mut self.timer, started) {
            timer.add(kind, started.elapsed());
        }
        let mut net = SimNet {
            queue: &mut self.queue,
            tally: &mut self.tally,
        };
        node.sends
            .flush(&self.latency, faults, &mut net, slot.done_us(), &mut out);
        self.out = out;
    }

    fn db_request(&mut self, at: Micros, from: NodeId, req: DbRequest) {
        let mut net = SimNet {
            queue: &mut self.queue,
            tally: &mut self.tally,
        };
        let Ok(()) = self
            .db
            .serve(at, from, req, |t, to, reply| net.db_reply(t, to, reply));
    }

    fn finish(self, config: &RunConfig, quiesced: bool) -> Outcome {
        let window = self.window;
        let mut recorder = Recorder::new(window);
        let mut history = Vec::new();
        let mut invariants = InvariantLog::default();
        for t in self.tasks {
            recorder.merge(&t.clients.recorder);
            history.extend(t.clients.history);
            invariants.merge(t.clients.invariants);
        }
        let servers: Vec<ServerLoad> = self
            .nodes
            .iter()
            .map(|n| ServerLoad {
                utilisation: n.station.utilisation(window),
                queue_peak: n.station.queue_peak,
                busy_us: n.station.busy_ns as f64 / 1e3,
            })
            .collect();
        let metadata: u64 = self.nodes.iter().map(|n| n.server.metadata_bytes()).sum();
        let remote_fetches = self
            .nodes
            .iter()
            .map(|n| {
                let end = n.server.remote_fetches();
                n.fetches_at_end.unwrap_or(end) - n.fetches_at_start.unwrap_or(end)
            })
            .sum();
        let keys = config.workload.keys().max(1) as f64;
        let history_truncated = self.tally.history_len > config.history.max_ops;
        let lost = (config.history.enabled && !history_truncated)
            .then(|| lost_writes(&history, |key, tag| self.db.db.holds_write(key, tag)));
        let utils = servers.iter().map(|s| s.utilisation);
        let util_mean = utils.clone().sum::<f64>() / servers.len().max(1) as f64;
        let util_max = utils.fold(0.0, f64::max);
        Outcome {
            recorder,
            history,
            history_truncated,
            figures: RunFigures {
                db_reads: self.db.reads,
                db_writes: self.db.writes,
                metadata_bytes_per_key: metadata as f64 / (keys * config.servers as f64),
                runtime_lag_us: 0.0,
                lost_writes: lost,
                remote_fetches,
                server_cpu_us: servers.iter().map(|s| s.busy_us).sum(),
                msgs: self.tally.msgs,
                bytes: self.tally.bytes,
                server_util_mean: Some(util_mean),
                server_util_max: Some(util_max),
                queue_peak: servers.iter().map(|s| s.queue_peak).max(),
                // Server 0's modelled core time as a percentage of one core,
                // in place of the process CPU a live run samples.
                cpu_pct: servers
                    .first()
                    .map(|s| s.busy_us / (window.end - window.start).max(1) as f64 * 100.0),
                rss_mb: None,
            },
            // Virtual time starts at the epoch, so interval logs are
            // reproducible too.
            window_start: SystemTime::UNIX_EPOCH + Duration::from_micros(window.start),
            quiesced,
            servers,
            invariants,
        }
    }
}

fn is_tick<M>(event: &Event<M>) -> bool {
    matches!(
        event,
        Event::Node {
            input: NodeInput::Tick,
            ..
        }
    )
}
