//! The live runtime: N cache nodes, the emulated database and the workflows
//! as tokio tasks in one process, in real time, with every link's latency
//! injected by the delay line.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use anyhow::{Context, Result};
use impls::db::{DbReply, DbRequest};
use impls::{ClientId, ClientSession, Cluster, Design, Micros, NodeId, Outbox, Peer, ServerNode};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use workloads::{Workload, stream_seed};

use super::clients::{ClientNet, ClientParams, ClientTask, Generator};
use super::database::{DbOutcome, DbServer};
use super::net::{Clock, Delivery, Net, Router};
use super::node_sends::{NodeNet, NodeSends};
use super::outcome::{Outcome, lost_writes};
use super::workflow::workflow_of;
use crate::config::{Backend, HistorySpec, LoadMode, RunConfig};
use crate::emulated_db::EmulatedDb;
use crate::faults::Faults;
use crate::history::Record;
use crate::invariants::InvariantLog;
use crate::latency::LatencyProfile;
use crate::recorder::{Recorder, RunFigures, Window};
use crate::resources::Sampler;
use crate::rows::{RedisRows, RowStore};
use crate::tokens::{Grant, TokenMsg, TokenService};

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
    /// To the token service.
    Token(TokenMsg),
    /// To a client task: the workflow holds one more token and joins `ctx`
    /// (the design's causal context).
    TokenGrant {
        workflow: u64,
        ctx: Box<dyn std::any::Any + Send>,
    },
    Stop,
}

type Inbox<M> = UnboundedReceiver<Delivery<Input<M>>>;

/// Actor numbering: nodes `0..n`, then the database, then the client tasks,
/// then the token service.
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
    fn token_service(&self) -> usize {
        self.servers + 1 + self.client_tasks
    }
    fn count(&self) -> usize {
        self.servers + 2 + self.client_tasks
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
) -> Result<Outcome> {
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
) -> Result<Outcome> {
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
    let sampler = Sampler::start(clock.instant(0), window);
    let run = Arc::new(Run::<D> {
        net: net.clone(),
        actors,
        latency: config.latency.clone(),
        cluster: config.cluster(),
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
    let db_inbox = inboxes.next().context("db inbox")?;
    let db = match config.database.backend {
        Backend::Emulated => {
            let server = DbServer::new(
                &run.cluster,
                run.latency.clone(),
                run.faults.clone(),
                window,
                run.rng(2_000),
            );
            tokio::spawn(db_actor(run.clone(), db_inbox, server))
        }
        // Redis calls block: the server gets a thread of its own.
        Backend::Redis => {
            let rows = RedisRows::connect(
                &config.database.redis_url,
                config.servers,
                config.workload.value_size(),
            )
            .context("database.backend = redis")?;
            let db = EmulatedDb::over(rows, config.servers, config.workload.value_size())
                .keeping_deps(config.options.hydrocache_keep_deps);
            let server = DbServer::over(
                db,
                Some(Box::new(move || clock.now())),
                run.latency.clone(),
                run.faults.clone(),
                window,
                run.rng(2_000),
            );
            let run = run.clone();
            tokio::task::spawn_blocking(move || db_thread(run, db_inbox, server))
        }
    };
    let mut clients = Vec::new();
    let mut client_inboxes = Vec::new();
    for _ in 0..actors.client_tasks {
        client_inboxes.push(inboxes.next().context("client inbox")?);
    }
    let tokens = tokio::spawn(token_actor(
        run.clone(),
        inboxes.next().context("token service inbox")?,
    ));
    for (task, inbox) in client_inboxes.into_iter().enumerate() {
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
    let mut invariants = InvariantLog::default();
    let gather = async {
        for c in clients {
            let (r, h, i) = c.await.context("a client task failed")?;
            recorder.merge(&r);
            history.extend(h);
            invariants.merge(i);
        }
        anyhow::Ok(())
    };
    tokio::select! {
        r = gather => r?,
        _ = ticker => {}
    }
    progress(1.0);
    let usage = sampler.finish();

    // Let write-behind and propagation finish before reading the servers:
    // nothing new starts, so only a protocol that never settles takes long.
    let deadline = clock.now() + QUIESCENCE_LIMIT_US.max(load.drain);
    while net.in_flight() > 0 && clock.now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let quiesced = net.in_flight() <= 0;
    for actor in (0..actors.db() + 1).chain([actors.token_service()]) {
        net.send_now(actor, Input::Stop);
    }
    tokens.await.context("the token service failed")?;
    let (mut metadata, mut remote_fetches, mut cpu_us) = (0u64, 0u64, 0f64);
    for n in nodes {
        let f = n.await.context("a node task failed")?;
        metadata += f.metadata_bytes;
        remote_fetches += f.remote_fetches;
        cpu_us += f.cpu_us;
    }
    let db = db.await.context("the database task failed")??;
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
    let lost_writes = (config.history.enabled && !history_truncated)
        .then(|| lost_writes(&history, &db.holds_write));
    Ok(Outcome {
        recorder,
        history,
        history_truncated,
        figures: RunFigures {
            db_reads: db.reads,
            db_writes: db.writes,
            metadata_bytes_per_key: metadata as f64 / (keys * config.servers as f64),
            runtime_lag_us,
            lost_writes,
            remote_fetches,
            server_cpu_us: cpu_us,
            msgs: run_traffic.0,
            bytes: run_traffic.1,
            cpu_pct: usage.cpu_pct,
            rss_mb: usage.rss_mb,
            ..RunFigures::default()
        },
        window_start: wall_start + std::time::Duration::from_micros(window.start),
        quiesced,
        servers: Vec::new(),
        invariants,
    })
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
    let mut node = NodeSends::new(id, run.rng(1_000 + id as u64));
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
        node.flush(
            &run.latency,
            &run.faults,
            &mut LiveNet { run: &run },
            net.clock.now(),
            &mut out,
        );
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

/// A live actor's view of the network, for the shared client and node code.
struct LiveNet<'a, D: Design> {
    run: &'a Run<D>,
}

impl<D: Design> NodeNet<D::Msg> for LiveNet<'_, D> {
    fn to_node(&mut self, at: Micros, to: NodeId, from: NodeId, msg: D::Msg) {
        let input = Input::FromPeer {
            from: Peer::Node(from),
            msg,
            remote: true,
        };
        self.run.net.send_at(at, to, input);
    }

    fn to_client(&mut self, at: Micros, client: ClientId, from: NodeId, msg: D::Msg) {
        let task = self.run.actors.client_task(client);
        let input = Input::Reply { client, from, msg };
        self.run.net.send_at(at, task, input);
    }

    fn to_db(&mut self, at: Micros, from: NodeId, req: DbRequest) {
        self.run
            .net
            .send_at(at, self.run.actors.db(), Input::ToDb { from, req });
    }

    fn client_link(&self, client: ClientId) -> usize {
        self.run.actors.client_task(client)
    }

    fn db_link(&self) -> usize {
        self.run.actors.db()
    }

    fn count(&mut self, now: Micros, bytes: usize) {
        self.run.count(now, bytes);
    }
}

impl<D: Design> ClientNet<D::Msg> for LiveNet<'_, D> {
    fn to_node(&mut self, at: Micros, node: NodeId, client: ClientId, msg: D::Msg, remote: bool) {
        let input = Input::FromPeer {
            from: Peer::Client(client),
            msg,
            remote,
        };
        self.run.net.send_at(at, node, input);
    }

    fn function_start(&mut self, at: Micros, client: ClientId) {
        let task = self.run.actors.client_task(client);
        self.run.net.send_at(at, task, Input::FunctionStart(client));
    }

    fn count(&mut self, now: Micros, bytes: usize) {
        self.run.count(now, bytes);
    }

    fn to_tokens(&mut self, at: Micros, msg: TokenMsg) {
        let service = self.run.actors.token_service();
        self.run.net.send_at(at, service, Input::Token(msg));
    }

    fn admit_history(&mut self, records: u64) -> bool {
        self.run.history_len.fetch_add(records, Ordering::Relaxed) + records
            <= self.run.history.max_ops
    }
}

/// The database over memory rows, behind its inbox, until told to stop.
async fn db_actor<D: Design>(
    run: Arc<Run<D>>,
    mut inbox: Inbox<D::Msg>,
    mut server: DbServer,
) -> Result<DbOutcome> {
    while let Some(delivery) = inbox.recv().await {
        if !db_step(&run, &mut server, delivery)? {
            break;
        }
    }
    Ok(server.finish())
}

/// The database over a real backend, on a thread of its own; a backend
/// error ends the run with that error.
fn db_thread<D: Design, R: RowStore>(
    run: Arc<Run<D>>,
    mut inbox: Inbox<D::Msg>,
    mut server: DbServer<R>,
) -> Result<DbOutcome> {
    while let Some(delivery) = inbox.blocking_recv() {
        if !db_step(&run, &mut server, delivery)? {
            break;
        }
    }
    Ok(server.finish())
}

/// Serves one delivery; false when it says stop.
fn db_step<D: Design, R: RowStore>(
    run: &Run<D>,
    server: &mut DbServer<R>,
    delivery: Delivery<Input<D::Msg>>,
) -> Result<bool> {
    let net = &run.net;
    let now = net.arrive(delivery.due);
    let Input::ToDb { from, req } = delivery.item else {
        return Ok(!matches!(delivery.item, Input::Stop));
    };
    let served = server.serve(now, from, req, |at, to, reply| {
        net.send_at(at, to, Input::FromDb(reply));
    });
    net.handled();
    served?;
    Ok(true)
}

/// The token service: one server a `latency.token` hop from every
/// workflow, driving the pure [`TokenService`] with the design's contexts.
async fn token_actor<D: Design>(run: Arc<Run<D>>, mut inbox: Inbox<D::Msg>) {
    let mut service = TokenService::new(D::Client::merge_contexts);
    let mut rng = run.rng(4_000);
    let net = &run.net;
    while let Some(delivery) = inbox.recv().await {
        let now = net.arrive(delivery.due);
        let grants = match delivery.item {
            Input::Token(msg) => service.handle(msg),
            Input::Stop => break,
            _ => Vec::new(),
        };
        for Grant { holder, ctx, .. } in grants {
            let at = now + run.latency.token.sample(&mut rng);
            let grant = Input::TokenGrant {
                workflow: holder,
                ctx: Box::new(ctx),
            };
            net.send_at(at, run.actors.client_task(holder), grant);
        }
        net.handled();
    }
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
) -> (Recorder, Vec<Record>, InvariantLog) {
    let window = run.window;
    let clock = run.net.clock;
    let me_actor = run.actors.servers + 1 + task;
    let params = ClientParams {
        latency: run.latency.clone(),
        faults: run.faults.clone(),
        cluster: run.cluster.clone(),
        window,
        max_retries: run.max_retries,
        history: run.history.enabled,
    };
    let mut me = ClientTask::<D>::new(params, workload, run.rng(3_000 + task as u64));
    let mut net = LiveNet { run: &run };
    let now = clock.now();
    match generator.mode {
        LoadMode::Closed => {
            for _ in 0..generator.slots {
                let i = generator.take_index();
                me.start_workflow(&mut net, i, now, now);
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
    let mut generating = generator.has_work();
    while generating || me.in_flight() > 0 {
        let input = tokio::select! {
            input = inbox.recv() => input,
            _ = tokio::time::sleep_until(deadline) => None,
        };
        let Some(delivery) = input else { break };
        let now = run.net.arrive(delivery.due);
        let finished = match delivery.item {
            Input::StartWorkflow(i) => {
                let start = generator.intended_start(i);
                if start < window.end {
                    me.arrive(&mut net, i, start, now, generator.backlog);
                    let next = generator.take_index();
                    run.net.timer_at(
                        generator.intended_start(next),
                        me_actor,
                        Input::StartWorkflow(next),
                    );
                } else {
                    generating = false;
                }
                false
            }
            Input::FunctionStart(client) => me.on_function_start(&mut net, client, now),
            Input::Reply { client, from, msg } => me.on_reply(&mut net, client, from, msg, now),
            Input::TokenGrant { workflow, ctx } => {
                me.on_token_grant(&mut net, workflow, ctx, now);
                false
            }
            _ => false,
        };
        if generator.mode == LoadMode::Closed {
            if now >= window.end {
                generating = false;
            } else if finished {
                let i = generator.take_index();
                me.start_workflow(&mut net, i, now, now);
            }
        }
        run.net.handled();
    }
    me.cut_off(clock.now());
    (me.recorder, me.history, me.invariants)
}
