//! The live runtime: N cache nodes, the emulated database and the workflows
//! as tokio tasks in one process, in real time, with every link's latency
//! injected by the delay line.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use anyhow::{Context, Result};
use impls::db::{DbReply, DbRequest};
use impls::{
    ClientId, ClientSession, Cluster, Design, Micros, NodeId, Outbox, Peer, ServerNode, WireSize,
};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use workloads::{Workload, stream_seed};

use super::net::{Clock, Delivery, Links, Net, Router};
use super::workflow::{Effects, Progress, WorkflowRun, workflow_of};
use crate::config::{HistorySpec, LoadMode, RunConfig};
use crate::emulated_db::EmulatedDb;
use crate::faults::{Faults, LinkClass};
use crate::history::Record;
use crate::latency::LatencyProfile;
use crate::recorder::{Recorder, RunFigures, Window};

/// Everything an actor can receive.
pub enum Input<M> {
    /// To a node: a message from a client or another node; `remote` when a
    /// client sent it from another machine (a scheduler, a function
    /// elsewhere), so the reply crosses the network too.
    FromPeer {
        from: Peer,
        msg: M,
        remote: bool,
    },
    /// To a node: time for its background work.
    Tick,
    /// To a node: the database answered or notified.
    FromDb(DbReply),
    /// To the database.
    ToDb {
        from: NodeId,
        req: DbRequest,
    },
    /// To a client task: a node answered workflow `client`.
    Reply {
        client: ClientId,
        from: NodeId,
        msg: M,
    },
    /// To a client task: the serverless runtime starts the workflow's next function.
    FunctionStart(ClientId),
    /// To a client task: open-loop workflow `index` is due.
    StartWorkflow(u64),
    Stop,
}

type Inbox<M> = UnboundedReceiver<Delivery<Input<M>>>;

/// What one design's live run measured.
pub struct LiveOutcome {
    pub recorder: Recorder,
    /// The operations of the run, if recorded.
    pub history: Vec<Record>,
    /// The history hit its size limit.
    pub history_truncated: bool,
    pub figures: RunFigures,
    pub window_start: SystemTime,
    /// False when the drain deadline passed with messages still in flight.
    pub quiesced: bool,
}

/// Actor numbering: nodes `0..n`, then the database, then the client tasks.
#[derive(Clone, Copy)]
struct Actors {
    servers: usize,
    client_tasks: usize,
}

impl Actors {
    fn db(&self) -> usize {
        self.servers
    }
    fn client_task(&self, client: ClientId) -> usize {
        self.servers + 1 + (workflow_of(client) % self.client_tasks as u64) as usize
    }
    fn count(&self) -> usize {
        self.servers + 1 + self.client_tasks
    }
}

/// Shared, read-only facts every actor of a run needs.
struct Run<D: Design> {
    net: Net<Input<D::Msg>>,
    actors: Actors,
    latency: LatencyProfile,
    cluster: Cluster,
    window: Window,
    /// How long after the window workflows may still finish.
    drain: Micros,
    max_retries: u32,
    seed: u64,
    traffic: Traffic,
    history: HistorySpec,
    /// Records kept so far, over all client tasks.
    history_len: AtomicU64,
    faults: Faults,
}

/// Protocol messages and their bytes, sent during the measurement window.
#[derive(Default)]
struct Traffic {
    msgs: AtomicU64,
    bytes: AtomicU64,
}

impl<D: Design> Run<D> {
    fn rng(&self, stream: u64) -> Xoshiro256PlusPlus {
        Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed, stream))
    }

    /// The delay of a message sent on `class` at `now`, spikes included.
    fn delay(&self, class: LinkClass, now: Micros, rng: &mut Xoshiro256PlusPlus) -> Micros {
        let base = match class {
            LinkClass::ClientNode => &self.latency.client_node,
            LinkClass::NodeNode => &self.latency.node_node,
            LinkClass::NodeDb => &self.latency.node_db,
        };
        base.sample(rng) + self.faults.extra_delay(class, now, rng)
    }

    /// Counts a message of `bytes` sent at `now`.
    fn count(&self, now: Micros, bytes: usize) {
        if self.window.contains(now) {
            self.traffic.msgs.fetch_add(1, Ordering::Relaxed);
            self.traffic
                .bytes
                .fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }
}

/// Runs one design on the configured workload and load; `progress` hears the
/// fraction of the run done.
pub fn run<D: Design>(
    config: &RunConfig,
    workload: Arc<dyn Workload>,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<LiveOutcome> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.runtime.workers)
        .enable_time()
        .build()
        .context("starting the tokio runtime")?;
    rt.block_on(run_async::<D>(config, workload, progress))
}

async fn run_async<D: Design>(
    config: &RunConfig,
    workload: Arc<dyn Workload>,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<LiveOutcome> {
    let actors = Actors {
        servers: config.servers,
        client_tasks: config.runtime.client_tasks,
    };
    let (senders, mut receivers): (Vec<_>, Vec<_>) =
        (0..actors.count()).map(|_| unbounded_channel()).unzip();
    let clock = Clock::start();
    let wall_start = SystemTime::now();
    let (net, delay_thread) = Net::new(Router::new(senders), clock, config.latency.is_zero())
        .context("starting the delay line")?;
    let load = &config.load;
    let window = Window {
        start: load.warmup,
        end: load.warmup + load.duration,
    };
    let run = Arc::new(Run::<D> {
        net: net.clone(),
        actors,
        latency: config.latency.clone(),
        cluster: Cluster {
            servers: config.servers,
            keys: config.workload.keys(),
            value_size: config.workload.value_size(),
            options: config.options.clone(),
        },
        window,
        drain: load.drain,
        max_retries: load.max_retries,
        seed: config.seed,
        traffic: Traffic::default(),
        history: config.history.clone(),
        history_len: AtomicU64::new(0),
        faults: config.faults()?,
    });

    let mut inboxes = receivers.drain(..);
    let mut nodes = Vec::new();
    for id in 0..actors.servers {
        let inbox = inboxes.next().context("node inbox")?;
        nodes.push(tokio::spawn(node_actor(run.clone(), id, inbox)));
    }
    let db = tokio::spawn(db_actor(run.clone(), inboxes.next().context("db inbox")?));
    let mut clients = Vec::new();
    for task in 0..actors.client_tasks {
        let inbox = inboxes.next().context("client inbox")?;
        let generator = Generator::new(&config.load, task, actors.client_tasks);
        clients.push(tokio::spawn(client_actor(
            run.clone(),
            task,
            inbox,
            workload.clone(),
            generator,
        )));
    }

    let ticker = async {
        loop {
            progress((clock.now() as f64 / window.end as f64).min(1.0));
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    };
    let mut recorder = Recorder::new(window);
    let mut history = Vec::new();
    let gather = async {
        for c in clients {
            let (r, h) = c.await.context("a client task failed")?;
            recorder.merge(&r);
            history.extend(h);
        }
        anyhow::Ok(())
    };
    tokio::select! {
        r = gather => r?,
        _ = ticker => {}
    }
    progress(1.0);

    // Let write-behind and propagation finish before reading the servers:
    // nothing new starts, so only a protocol that never settles takes long.
    let deadline = clock.now() + QUIESCENCE_LIMIT_US.max(load.drain);
    while net.in_flight() > 0 && clock.now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let quiesced = net.in_flight() <= 0;
    for actor in 0..actors.db() + 1 {
        net.send_now(actor, Input::Stop);
    }
    let (mut metadata, mut remote_fetches, mut cpu_us) = (0u64, 0u64, 0f64);
    for n in nodes {
        let f = n.await.context("a node task failed")?;
        metadata += f.metadata_bytes;
        remote_fetches += f.remote_fetches;
        cpu_us += f.cpu_us;
    }
    let (db_reads, db_writes, db) = db.await.context("the database task failed")?;
    let runtime_lag_us = net.mean_lag();
    let run_history_len = run.history_len.load(Ordering::Relaxed);
    let run_traffic = (
        run.traffic.msgs.load(Ordering::Relaxed),
        run.traffic.bytes.load(Ordering::Relaxed),
    );
    drop(run);
    drop(net);
    let _ = tokio::task::spawn_blocking(move || delay_thread.join()).await;
    let keys = config.workload.keys().max(1) as f64;
    let history_truncated = run_history_len > config.history.max_ops;
    let lost_writes =
        (config.history.enabled && !history_truncated).then(|| lost_writes(&history, &db));
    Ok(LiveOutcome {
        recorder,
        history,
        history_truncated,
        figures: RunFigures {
            db_reads,
            db_writes,
            metadata_bytes_per_key: metadata as f64 / (keys * config.servers as f64),
            runtime_lag_us,
            lost_writes,
            remote_fetches,
            server_cpu_us: cpu_us,
            msgs: run_traffic.0,
            bytes: run_traffic.1,
        },
        window_start: wall_start + std::time::Duration::from_micros(window.start),
        quiesced,
    })
}

/// Acknowledged writes the database does not hold at the end (write-behind
/// included): per session, the last write of each key must be there;
/// earlier ones may be overwritten inside a transaction that buffers writes.
fn lost_writes(history: &[Record], db: &EmulatedDb) -> u64 {
    let mut last: HashMap<(u64, u64), (u64, u64)> = HashMap::new();
    for r in history {
        for (key, tag) in r.written() {
            let seen = last.entry((r.session, key)).or_insert((r.seq, tag));
            if r.seq >= seen.0 {
                *seen = (r.seq, tag);
            }
        }
    }
    last.iter()
        .filter(|&(&(_, key), &(_, tag))| !db.holds_write(key, tag))
        .count() as u64
}

/// How long the end of a run waits for messages in flight to settle.
const QUIESCENCE_LIMIT_US: Micros = 30_000_000;

/// What a node reports at the end of the run.
struct NodeFigures {
    metadata_bytes: u64,
    remote_fetches: u64,
    /// CPU time spent in the design's handlers during the window.
    cpu_us: f64,
}

/// A cache node: the design's server state machine behind its inbox.
async fn node_actor<D: Design>(
    run: Arc<Run<D>>,
    id: NodeId,
    mut inbox: Inbox<D::Msg>,
) -> NodeFigures {
    let mut server = D::server(id, &run.cluster);
    let mut crashes = run.faults.crashes(id);
    let mut node = NodeState {
        id,
        rng: run.rng(1_000 + id as u64),
        links: Links::default(),
        remote_clients: HashMap::new(),
    };
    let mut out = Outbox::default();
    let net = &run.net;
    let window = run.window;
    let (mut cpu_ns, mut fetches_at_start, mut fetches_at_end) = (0u64, None, None);
    let start = net.clock.now();
    server.on_start(start, &mut out);
    if let Some(every) = server.tick_interval() {
        net.tick_at(start + every, id, Input::Tick);
    }
    loop {
        node.flush(&run, net.clock.now(), &mut out);
        let Some(delivery) = inbox.recv().await else {
            break;
        };
        let mut now = net.arrive(delivery.due);
        // A paused node handles nothing until it resumes; messages queue.
        let resume = run.faults.node_resumes(id, now);
        if resume > now {
            tokio::time::sleep_until(tokio::time::Instant::from_std(net.clock.instant(resume)))
                .await;
            now = net.clock.now();
        }
        // A crash (beyond the model) loses every cache of the node.
        while crashes.first().is_some_and(|&at| at <= now) {
            crashes.remove(0);
            server = D::server(id, &run.cluster);
            server.on_start(now, &mut out);
        }
        if now >= window.start && fetches_at_start.is_none() {
            fetches_at_start = Some(server.remote_fetches());
        }
        if now >= window.end && fetches_at_end.is_none() {
            fetches_at_end = Some(server.remote_fetches());
        }
        let cpu = thread_cpu_ns();
        match delivery.item {
            Input::FromPeer { from, msg, remote } => {
                if let Peer::Client(c) = from {
                    node.remember(c, remote);
                }
                server.on_message(now, from, msg, &mut out);
            }
            Input::FromDb(reply) => server.on_db_reply(now, reply, &mut out),
            Input::Tick => {
                server.on_tick(now, &mut out);
                if let Some(every) = server.tick_interval() {
                    net.tick_at(now + every, id, Input::Tick);
                }
                if window.contains(now) {
                    cpu_ns += thread_cpu_ns().saturating_sub(cpu);
                }
                // Ticks are not traffic: they never hold up quiescence.
                continue;
            }
            Input::Stop => break,
            _ => {}
        }
        if window.contains(now) {
            cpu_ns += thread_cpu_ns().saturating_sub(cpu);
        }
        net.handled();
    }
    let end = server.remote_fetches();
    NodeFigures {
        metadata_bytes: server.metadata_bytes(),
        remote_fetches: fetches_at_end.unwrap_or(end) - fetches_at_start.unwrap_or(end),
        cpu_us: cpu_ns as f64 / 1e3,
    }
}

/// CPU time of the calling thread. Handlers never await, so the thread is
/// the same before and after one.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if ok {
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    } else {
        0
    }
}

/// A node's sending side.
struct NodeState {
    id: NodeId,
    rng: Xoshiro256PlusPlus,
    links: Links,
    /// Whether each client's latest message came from another machine: its
    /// replies cross the same network.
    remote_clients: HashMap<ClientId, bool>,
}

/// Past this many clients remembered, the oldest knowledge is dropped (a
/// late reply then takes the local link).
const REMEMBERED_CLIENTS: usize = 1 << 20;

impl NodeState {
    fn remember(&mut self, client: ClientId, remote: bool) {
        if self.remote_clients.len() >= REMEMBERED_CLIENTS {
            self.remote_clients.clear();
        }
        self.remote_clients.insert(client, remote);
    }

    fn flush<D: Design>(&mut self, run: &Run<D>, now: Micros, out: &mut Outbox<D::Msg>) {
        for (to, msg) in out.sends.drain(..) {
            run.count(now, msg.encoded_bytes());
            match to {
                Peer::Node(n) => {
                    let delay = run.delay(LinkClass::NodeNode, now, &mut self.rng);
                    // A reordering fault lets this message overtake earlier ones.
                    let at = if run.faults.reordering(now) {
                        now + delay
                    } else {
                        self.links.schedule(n, now, delay)
                    };
                    run.net.send_at(
                        at,
                        n,
                        Input::FromPeer {
                            from: Peer::Node(self.id),
                            msg,
                            remote: true,
                        },
                    );
                }
                Peer::Client(client) => {
                    let task = run.actors.client_task(client);
                    let remote = self.remote_clients.get(&client).copied().unwrap_or(false);
                    let class = LinkClass::to_client(remote);
                    let at = self
                        .links
                        .schedule(task, now, run.delay(class, now, &mut self.rng));
                    run.net.send_at(
                        at,
                        task,
                        Input::Reply {
                            client,
                            from: self.id,
                            msg,
                        },
                    );
                }
            }
        }
        for req in out.db.drain(..) {
            run.count(now, req.encoded_bytes());
            let db = run.actors.db();
            let at = self
                .links
                .schedule(db, now, run.delay(LinkClass::NodeDb, now, &mut self.rng));
            run.net.send_at(at, db, Input::ToDb { from: self.id, req });
        }
    }
}

/// The emulated database: one request at a time, each taking the service
/// time, so requests queue when it is busy. Returns the reads and writes that
/// arrived during the measurement window, and the database itself.
async fn db_actor<D: Design>(run: Arc<Run<D>>, mut inbox: Inbox<D::Msg>) -> (u64, u64, EmulatedDb) {
    let cluster = &run.cluster;
    let mut db = EmulatedDb::preloaded(cluster.keys, cluster.servers, cluster.value_size);
    let mut rng = run.rng(2_000);
    let mut links = Links::default();
    let mut busy_until: Micros = 0;
    let (mut reads, mut writes) = (0, 0);
    let mut replies = Vec::new();
    let net = &run.net;
    while let Some(delivery) = inbox.recv().await {
        let now = net.arrive(delivery.due);
        let Input::ToDb { from, req } = delivery.item else {
            if matches!(delivery.item, Input::Stop) {
                break;
            }
            continue;
        };
        let (r0, w0) = (db.reads, db.writes);
        db.handle(now, from, req, &mut replies);
        if run.window.contains(now) {
            reads += db.reads - r0;
            writes += db.writes - w0;
        }
        // An unavailable database serves nothing until it is back.
        let start = busy_until.max(run.faults.db_available_from(now));
        busy_until =
            start + run.latency.db_service.sample(&mut rng) + run.faults.db_extra(now, &mut rng);
        for (to, reply) in replies.drain(..) {
            let at = links.schedule(
                to,
                busy_until,
                run.delay(LinkClass::NodeDb, busy_until, &mut rng),
            );
            net.send_at(at, to, Input::FromDb(reply));
        }
        net.handled();
    }
    (reads, writes, db)
}

/// When workflows start: open loop at a fixed rate (each client task takes
/// every k-th workflow), or closed loop with a fixed number in flight.
struct Generator {
    mode: LoadMode,
    /// Open loop: microseconds between intended starts, over all tasks.
    period: f64,
    next_index: u64,
    stride: u64,
    /// Closed loop: this task's share of the concurrency.
    slots: u32,
}

impl Generator {
    fn new(load: &crate::config::LoadSpec, task: usize, tasks: usize) -> Generator {
        let tasks32 = tasks as u32;
        Generator {
            mode: load.mode,
            period: 1e6 / load.rate,
            next_index: task as u64,
            stride: tasks as u64,
            slots: load.concurrency / tasks32
                + u32::from((task as u32) < load.concurrency % tasks32),
        }
    }

    fn intended_start(&self, index: u64) -> Micros {
        (index as f64 * self.period) as Micros
    }

    fn take_index(&mut self) -> u64 {
        let i = self.next_index;
        self.next_index += self.stride;
        i
    }
}

struct ClientTask<D: Design> {
    run: Arc<Run<D>>,
    workload: Arc<dyn Workload>,
    /// Workflows in flight by index; each knows its current session id.
    workflows: HashMap<u64, WorkflowRun<D::Client>>,
    recorder: Recorder,
    rng: Xoshiro256PlusPlus,
    links: Links,
    fx: Effects<D::Msg>,
    history: Vec<Record>,
}

impl<D: Design> ClientTask<D> {
    fn start_workflow(&mut self, index: u64, intended_start: Micros, now: Micros) {
        let plan = self.workload.workflow(index);
        let run = WorkflowRun::new(
            plan,
            intended_start,
            self.run.max_retries,
            self.run.history.enabled,
        );
        self.workflows.insert(index, run);
        self.dispatch_stage(index, now);
    }

    /// The serverless runtime invokes the workflow's next function.
    fn dispatch(&mut self, client: ClientId, now: Micros) {
        let dispatch = if self.run.faults.fast_migration(now) {
            0
        } else {
            self.run.latency.dispatch.sample(&mut self.rng)
        };
        let at = now + dispatch;
        self.run.net.send_at(
            at,
            self.run.actors.client_task(client),
            Input::FunctionStart(client),
        );
    }

    /// Invokes every function of the workflow's stage about to run.
    fn dispatch_stage(&mut self, index: u64, now: Micros) {
        let sessions = self
            .workflows
            .get(&index)
            .map(WorkflowRun::sessions)
            .unwrap_or_default();
        for session in sessions {
            self.dispatch(session, now);
        }
    }

    /// Returns true when a workflow finished or gave up.
    fn handle(&mut self, input: Input<D::Msg>, now: Micros) -> bool {
        let (client, here, progress) = match input {
            Input::FunctionStart(client) => {
                let Some(wf) = current(&mut self.workflows, client) else {
                    return false;
                };
                (
                    client,
                    wf.node_of(client),
                    wf.start_function(client, now, &self.run.cluster, &mut self.fx),
                )
            }
            Input::Reply { client, from, msg } => {
                let Some(wf) = current(&mut self.workflows, client) else {
                    return false;
                };
                let here = wf.node_of(client);
                (
                    client,
                    here,
                    wf.on_reply(client, now, from, msg, &mut self.fx),
                )
            }
            _ => return false,
        };
        let index = workflow_of(client);
        let Some(wf) = self.workflows.get(&index) else {
            return false;
        };
        let start = wf.intended_start;
        for (latency, is_read, served) in self.fx.completed.drain(..) {
            self.recorder.op_done(start, now, latency, is_read, served);
        }
        if !self.fx.history.is_empty() {
            let n = self.fx.history.len() as u64;
            // Past the limit the history stops growing, whole attempts at a time.
            if self.run.history_len.fetch_add(n, Ordering::Relaxed) + n <= self.run.history.max_ops
            {
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
            let at = self
                .links
                .schedule(node, now, self.run.delay(class, now, &mut self.rng));
            self.run.count(now, msg.encoded_bytes());
            self.run.net.send_at(
                at,
                node,
                Input::FromPeer {
                    from: Peer::Client(client),
                    msg,
                    remote,
                },
            );
        }
        match progress {
            Progress::Waiting => false,
            Progress::NextFunction => {
                self.dispatch_stage(index, now);
                false
            }
            Progress::Retry => {
                self.recorder.aborted(start);
                if let Some(wf) = self.workflows.get_mut(&index) {
                    let plan = self.workload.retry(wf.original(), wf.attempt);
                    wf.restart_with(plan);
                }
                self.dispatch_stage(index, now);
                false
            }
            Progress::GaveUp => {
                self.recorder.aborted(start);
                self.recorder.workflow_failed(start);
                self.workflows.remove(&index);
                true
            }
            Progress::Finished => {
                let attempts = self.workflows.remove(&index).map_or(0, |wf| wf.attempt);
                self.recorder.workflow_done(start, now, attempts);
                true
            }
        }
    }
}

/// The workflow whose current attempt is session `client`; a message for an
/// attempt that has since aborted is stale.
fn current<C: ClientSession>(
    workflows: &mut HashMap<u64, WorkflowRun<C>>,
    client: ClientId,
) -> Option<&mut WorkflowRun<C>> {
    workflows
        .get_mut(&workflow_of(client))
        .filter(|wf| wf.is_current(client))
}

/// One client task: starts its share of the workflows, drives them, and
/// returns what it recorded. Open-loop starts arrive as timer events from the
/// delay line, which keeps them to the microsecond.
async fn client_actor<D: Design>(
    run: Arc<Run<D>>,
    task: usize,
    mut inbox: Inbox<D::Msg>,
    workload: Arc<dyn Workload>,
    mut generator: Generator,
) -> (Recorder, Vec<Record>) {
    let window = run.window;
    let clock = run.net.clock;
    let me_actor = run.actors.servers + 1 + task;
    let mut me = ClientTask::<D> {
        rng: run.rng(3_000 + task as u64),
        recorder: Recorder::new(window),
        run: run.clone(),
        workload,
        workflows: HashMap::new(),
        links: Links::default(),
        fx: Effects::default(),
        history: Vec::new(),
    };
    let now = clock.now();
    match generator.mode {
        LoadMode::Closed => {
            for _ in 0..generator.slots {
                let i = generator.take_index();
                me.start_workflow(i, now, now);
            }
        }
        LoadMode::Open => {
            let i = generator.take_index();
            run.net.timer_at(
                generator.intended_start(i),
                me_actor,
                Input::StartWorkflow(i),
            );
        }
    }
    let deadline = tokio::time::Instant::from_std(clock.instant(window.end + run.drain));
    // A closed-loop task with no share of the concurrency has nothing to run.
    let mut generating = !(generator.mode == LoadMode::Closed && generator.slots == 0);
    while generating || !me.workflows.is_empty() {
        let input = tokio::select! {
            input = inbox.recv() => input,
            _ = tokio::time::sleep_until(deadline) => None,
        };
        let Some(delivery) = input else { break };
        let now = run.net.arrive(delivery.due);
        match delivery.item {
            Input::StartWorkflow(i) => {
                let start = generator.intended_start(i);
                if start < window.end {
                    me.start_workflow(i, start, now);
                    let next = generator.take_index();
                    run.net.timer_at(
                        generator.intended_start(next),
                        me_actor,
                        Input::StartWorkflow(next),
                    );
                } else {
                    generating = false;
                }
            }
            input => {
                let finished = me.handle(input, now);
                if generator.mode == LoadMode::Closed && (now >= window.end) {
                    generating = false;
                } else if finished && generator.mode == LoadMode::Closed {
                    let i = generator.take_index();
                    me.start_workflow(i, now, now);
                }
            }
        }
        run.net.handled();
    }
    for wf in me.workflows.values_mut() {
        me.recorder.workflow_unfinished(wf.intended_start);
        // Unfinished workflows observed and wrote things too.
        me.history.extend(wf.cut_off_history(clock.now()));
    }
    (me.recorder, me.history)
}
