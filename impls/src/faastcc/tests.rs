//! FaaSTCC's rules under scripted message orders. A client reaches its node
//! at once; what travels between nodes and the database waits in flight
//! until a test delivers it, so each test chooses when storage answers and
//! which caches have heard of which versions.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::storage::MvStore;
use super::*;
use crate::db::{DbReply, DbRequest};
use crate::design::{
    ClientSession, Completion, DesignOptions, Micros, Op, OpResult, Outbox, Peer, Poll, Served,
    ServerNode, WorkflowPlan,
};
use crate::version::{Deps, Registers};

/// The database: the multi-version store for the published variant and
/// registers with a notification stream for the artifact's direct writes.
struct TestDb {
    store: MvStore,
    rows: Registers,
    subscribers: Vec<NodeId>,
}

impl TestDb {
    fn handle(&mut self, now: Micros, from: NodeId, req: DbRequest) -> Vec<(NodeId, DbReply)> {
        match req {
            DbRequest::Subscribe => {
                self.subscribers.push(from);
                Vec::new()
            }
            DbRequest::Merge {
                id, key, version, ..
            } => {
                let row = self.rows.get_mut(key);
                row.merge_version(&version);
                let notify = DbReply::Notify {
                    key,
                    register: row.clone(),
                    deps: Deps::new(),
                };
                let mut out = vec![(from, DbReply::Written { id, key })];
                out.extend(self.subscribers.iter().map(|&s| (s, notify.clone())));
                out
            }
            req => match self.store.handle(now, req) {
                Ok(step) => self.route(from, step.reply, step.pushes),
                Err(other) => panic!("FaaSTCC sent {other:?}"),
            },
        }
    }

    fn route(
        &self,
        from: NodeId,
        reply: Option<DbReply>,
        pushes: Vec<DbReply>,
    ) -> Vec<(NodeId, DbReply)> {
        let mut out: Vec<(NodeId, DbReply)> = reply.map(|r| (from, r)).into_iter().collect();
        for push in pushes {
            out.extend(self.subscribers.iter().map(|&s| (s, push.clone())));
        }
        out
    }
}

struct Workflow {
    client: Option<FaasClient>,
    ctx: FaasContext,
    node: NodeId,
    result: Option<Completion>,
}

struct World {
    cluster: Cluster,
    servers: Vec<FaasServer>,
    db: TestDb,
    now: Micros,
    to_db: Vec<(NodeId, DbRequest)>,
    to_nodes: Vec<(NodeId, DbReply)>,
    /// Nodes whose update stream is paused.
    held: BTreeSet<NodeId>,
    workflows: Vec<Workflow>,
}

const X: Key = 1;
const Y: Key = 2;
const Z: Key = 3;

fn plan() -> WorkflowPlan {
    WorkflowPlan::chain(0, Vec::new())
}

fn tagged(tag: u64) -> Value {
    Value::tagged(tag, 8)
}

impl World {
    fn new<D: Design<Server = FaasServer>>(n: usize, options: DesignOptions) -> World {
        let cluster = Cluster {
            servers: n,
            keys: 8,
            value_size: 8,
            options,
            hands_on_contexts: false,
        };
        let mut w = World {
            servers: (0..n).map(|i| D::server(i, &cluster)).collect(),
            db: TestDb {
                store: MvStore::preloaded(tagged(0)),
                rows: Registers::preloaded(n, cluster.keys, cluster.value_size),
                subscribers: Vec::new(),
            },
            cluster,
            now: 1_000,
            to_db: Vec::new(),
            to_nodes: Vec::new(),
            held: BTreeSet::new(),
            workflows: Vec::new(),
        };
        for node in 0..n {
            let mut out = Outbox::default();
            w.servers[node].on_start(w.now, &mut out);
            w.dispatch(node, out);
        }
        w.settle();
        w
    }

    /// Sends what a node left: database requests go in flight, client
    /// replies are handed to their session at once.
    fn dispatch(&mut self, node: NodeId, out: Outbox<Msg>) {
        for (to, msg) in out.sends {
            let Peer::Client(id) = to else {
                panic!("FaaSTCC caches never talk to each other")
            };
            let wf = &mut self.workflows[id as usize];
            if let Some(client) = wf.client.as_mut()
                && let Poll::Ready(done) = client.on_reply(node, msg, &mut Vec::new())
            {
                wf.result = Some(done);
            }
        }
        self.to_db.extend(out.db.into_iter().map(|r| (node, r)));
    }

    fn deliver_to_db(&mut self, i: usize) {
        let (from, req) = self.to_db.remove(i);
        self.now += 10;
        let replies = self.db.handle(self.now, from, req);
        self.to_nodes.extend(replies);
    }

    fn deliver_to_node(&mut self, i: usize) {
        let (node, reply) = self.to_nodes.remove(i);
        self.now += 10;
        let mut out = Outbox::default();
        self.servers[node].on_db_reply(self.now, reply, &mut out);
        self.dispatch(node, out);
    }

    /// Time passes at the database (its periodic work).
    fn wait(&mut self, us: Micros) {
        self.now += us;
        let pushes = self.db.store.advance(self.now);
        let routed = self.db.route(0, None, pushes);
        self.to_nodes.extend(routed);
    }

    fn deliverable(&self) -> Option<usize> {
        self.to_nodes.iter().position(|(node, r)| {
            !(self.held.contains(node)
                && matches!(r, DbReply::Visible { .. } | DbReply::Notify { .. }))
        })
    }

    /// Delivers everything in flight, oldest first, but the update stream
    /// of held nodes.
    fn settle(&mut self) {
        loop {
            if !self.to_db.is_empty() {
                self.deliver_to_db(0);
            } else if let Some(i) = self.deliverable() {
                self.deliver_to_node(i);
            } else {
                return;
            }
        }
    }

    fn start_workflow(&mut self, node: NodeId) -> usize {
        self.start_from(node, FaasContext::default())
    }

    /// A workflow whose first function resumes `ctx`.
    fn start_from(&mut self, node: NodeId, ctx: FaasContext) -> usize {
        let id = self.workflows.len();
        self.workflows.push(Workflow {
            client: Some(FaasClient::resume(
                ctx.clone(),
                node,
                id as u64,
                &self.cluster,
            )),
            ctx,
            node,
            result: None,
        });
        id
    }

    fn context(&self, wf: usize) -> FaasContext {
        let w = &self.workflows[wf];
        w.client
            .as_ref()
            .map_or(w.ctx.clone(), |c| c.context().clone())
    }

    /// The workflow's next function, `function`, runs on `node`.
    fn roam(&mut self, wf: usize, node: NodeId, function: usize) {
        let w = &mut self.workflows[wf];
        if let Some(client) = w.client.take() {
            w.ctx = client.suspend();
        }
        let mut client = FaasClient::resume(w.ctx.clone(), node, wf as u64, &self.cluster);
        assert_eq!(
            client.begin_function(&plan(), function, &mut Vec::new()),
            Poll::done()
        );
        w.client = Some(client);
        w.node = node;
    }

    fn interval(&self, wf: usize) -> Interval {
        let w = &self.workflows[wf];
        w.client
            .as_ref()
            .map_or(w.ctx.interval, |c| c.context().interval)
    }

    /// Starts a step of the workflow at its node; the answer lands in its
    /// `result` once everything it needs has been delivered.
    fn begin(
        &mut self,
        wf: usize,
        step: impl FnOnce(&mut FaasClient, &mut Vec<(NodeId, Msg)>) -> Poll,
    ) {
        self.now += 10;
        let w = &mut self.workflows[wf];
        let client = w.client.as_mut().expect("the workflow runs a function");
        let mut sends = Vec::new();
        if let Poll::Ready(done) = step(client, &mut sends) {
            w.result = Some(done);
        }
        for (node, msg) in sends {
            assert_eq!(
                node, self.workflows[wf].node,
                "a function talks to its own node"
            );
            let mut out = Outbox::default();
            self.servers[node].on_message(self.now, Peer::Client(wf as u64), msg, &mut out);
            self.dispatch(node, out);
        }
    }

    /// Runs a step to completion, delivering whatever it needs.
    fn run(
        &mut self,
        wf: usize,
        step: impl FnOnce(&mut FaasClient, &mut Vec<(NodeId, Msg)>) -> Poll,
    ) -> Completion {
        self.begin(wf, step);
        self.settle();
        self.workflows[wf]
            .result
            .take()
            .expect("the step completes")
    }

    fn read(&mut self, wf: usize, key: Key) -> (OpResult, Served) {
        let done = self.run(wf, |c, out| c.start(&Op::Read(key), out));
        (done.result, done.served)
    }

    fn read_tag(&mut self, wf: usize, key: Key) -> (u64, Served) {
        match self.read(wf, key) {
            (OpResult::Read(v), served) => (v.tag(), served),
            other => panic!("read of {key} answered {other:?}"),
        }
    }

    /// A one-function workflow at `node` writing `writes` and committing.
    fn commit(&mut self, node: NodeId, writes: &[(Key, u64)]) -> Completion {
        let wf = self.start_workflow(node);
        for &(key, tag) in writes {
            self.run(wf, |c, out| c.start(&Op::Write(key, tagged(tag)), out));
        }
        self.run(wf, |c, out| c.end_function(true, out))
    }
}

fn options(point_snapshot: bool, cm_narrow: bool) -> DesignOptions {
    DesignOptions {
        faastcc_point_snapshot: point_snapshot,
        faastcc_cm_narrow: cm_narrow,
        ..DesignOptions::default()
    }
}

/// A workflow reads x at node 0 after x was rewritten, then roams to node 1,
/// whose cached y is older than that write (and, published, promised only
/// up to before it). Returns the roaming read's answer and the interval
/// after reading x.
fn read_stale_y_after_new_x<D: Design<Server = FaasServer>>(
    options: DesignOptions,
) -> (OpResult, Served, Interval) {
    let mut w = World::new::<D>(2, options);
    let early = w.start_workflow(1);
    assert_eq!(w.read_tag(early, Y).0, 0, "node 1 caches y");
    w.wait(5_000);
    assert!(w.commit(0, &[(X, 1)]).served != Served::Client);
    w.settle();
    w.wait(5_000);
    let r = w.start_workflow(0);
    assert_eq!(w.read_tag(r, X).0, 1);
    let after_x = w.interval(r);
    w.roam(r, 1, 1);
    let (result, served) = w.read(r, Y);
    if result != OpResult::Aborted {
        assert!(w.interval(r).contains(after_x.lo), "{:?}", w.interval(r));
    }
    (result, served, after_x)
}

#[test]
fn published_reads_storage_where_the_artifact_aborts() {
    let (result, served, after_x) = read_stale_y_after_new_x::<FaasTcc>(DesignOptions::default());
    assert!(after_x.lo > 0, "the new x bounds the snapshot from below");
    assert_eq!(result, OpResult::Read(tagged(0)));
    let why = "y's promise ended before x's version began";
    assert_eq!(served, Served::Database, "{why}");
    let (result, _, after_x) = read_stale_y_after_new_x::<FaasTccCm>(options(false, true));
    assert!(after_x.lo > 0);
    assert_eq!(
        result,
        OpResult::Aborted,
        "y's timestamp is below the interval"
    );
    // As the artifact ran: its server echoes the interval, which never narrows.
    let (result, served, after_x) = read_stale_y_after_new_x::<FaasTccCm>(DesignOptions::default());
    assert_eq!(after_x, Interval::ALL);
    assert_eq!((result, served), (OpResult::Read(tagged(0)), Served::Cache));
}

/// A workflow `r` reads x at node 0; then x and y change together, every
/// cache holding them hears of it, and `r` roams to node 1, which caches the
/// new y.
fn roam_after_x_and_y_change_together<D: Design<Server = FaasServer>>(
    options: DesignOptions,
) -> (World, usize) {
    let mut w = World::new::<D>(2, options);
    let warm = w.start_workflow(1);
    w.read_tag(warm, Y);
    let r = w.start_workflow(0);
    assert_eq!(w.read_tag(r, X).0, 0);
    w.wait(5_000);
    w.commit(0, &[(X, 1), (Y, 2)]);
    w.settle();
    assert_eq!(w.servers[1].cached(Y).map(|e| e.value.tag()), Some(2));
    w.roam(r, 1, 1);
    (w, r)
}

#[test]
fn the_artifact_mixes_snapshots_that_the_published_keeps_apart() {
    // The new y's timestamp is above everything read: no check catches it.
    for narrow in [false, true] {
        let (mut w, r) = roam_after_x_and_y_change_together::<FaasTccCm>(options(false, narrow));
        assert_eq!(w.read_tag(r, Y), (2, Served::Cache), "narrow: {narrow}");
    }
}

#[test]
fn storage_confirms_a_cached_version_without_sending_it_again() {
    let mut w = World::new::<FaasTcc>(2, DesignOptions::default());
    let early = w.start_workflow(1);
    w.read_tag(early, Y);
    let promised = w.servers[1].cached(Y).map(|e| e.promise);
    w.wait(5_000);
    w.commit(0, &[(X, 1)]);
    w.settle();
    let r = w.start_workflow(0);
    w.read_tag(r, X);
    w.roam(r, 1, 1);
    w.begin(r, |c, out| c.start(&Op::Read(Y), out));
    let [(1, DbRequest::ReadAt { keys, .. })] = w.to_db.as_slice() else {
        panic!("{:?}", w.to_db)
    };
    assert_eq!(
        keys,
        &vec![(Y, Some(0))],
        "the read names the version it holds"
    );
    w.deliver_to_db(0);
    assert!(
        matches!(&w.to_nodes[..], [(1, DbReply::VersionsAt { versions, .. })] if versions[0].value.is_none())
    );
    w.settle();
    assert_eq!(
        w.workflows[r].result.take().map(|c| c.result),
        Some(OpResult::Read(tagged(0)))
    );
    let now_promised = w.servers[1].cached(Y).map(|e| e.promise);
    assert!(
        now_promised > promised,
        "the promise grew: {promised:?} -> {now_promised:?}"
    );
}

#[test]
fn a_roaming_workflow_reads_one_snapshot_across_caches() {
    let (mut w, r) = roam_after_x_and_y_change_together::<FaasTcc>(DesignOptions::default());
    let before = w.interval(r);
    assert!(before.hi < Ts::MAX);
    // The cached y is too new for r's interval: storage answers at a
    // snapshot inside it, with the y that goes with the x r read.
    assert_eq!(w.read_tag(r, Y), (0, Served::Database));
    assert_eq!(w.read_tag(r, X).0, 0, "repeatable across caches");
    assert_eq!(w.interval(r), before, "the snapshot did not move");
    assert_eq!(
        w.servers[1].cached(Y).map(|e| e.value.tag()),
        Some(2),
        "the older answer does not replace the newer cached version"
    );
}

#[test]
fn a_hit_promised_only_before_another_hits_version_goes_to_storage() {
    let mut w = World::new::<FaasTcc>(1, DesignOptions::default());
    let early = w.start_workflow(0);
    w.read_tag(early, X);
    w.wait(5_000);
    w.commit(0, &[(Y, 2)]);
    let late = w.start_workflow(0);
    w.read_tag(late, Y);
    let (x, y) = (w.servers[0].cached(X), w.servers[0].cached(Y));
    assert!(
        x.zip(y).is_some_and(|(x, y)| x.promise < y.ts),
        "{x:?} {y:?}"
    );
    // Both lie inside a new workflow's interval, but not at a common instant.
    let r = w.start_workflow(0);
    let done = w.run(r, |c, out| c.start(&Op::ReadTxn(vec![X, Y]), out));
    assert_eq!(done.result, OpResult::Txn(vec![tagged(0), tagged(2)]));
    assert_eq!(done.served, Served::Database);
    assert!(!w.interval(r).is_empty());
}

#[test]
fn the_interval_narrows_across_functions() {
    let mut w = World::new::<FaasTcc>(2, DesignOptions::default());
    w.commit(0, &[(X, 1)]);
    w.settle();
    w.wait(1_000);
    w.commit(0, &[(Y, 2)]);
    w.settle();
    w.wait(1_000);
    let r = w.start_workflow(0);
    assert_eq!(w.read_tag(r, X).0, 1);
    let first = w.interval(r);
    w.roam(r, 1, 1);
    assert_eq!(w.read_tag(r, Y).0, 2);
    let second = w.interval(r);
    assert!(
        second.lo > first.lo,
        "y is newer than x: {first:?} -> {second:?}"
    );
    assert!(second.hi <= first.hi && !second.is_empty());
    let y_ts = w.db.store.versions(Y).map(|(ts, _)| ts).last();
    assert_eq!(Some(second.lo), y_ts);
}

#[test]
fn the_point_snapshot_switch_collapses_the_interval_after_the_first_function() {
    let mut w = World::new::<FaasTcc>(2, options(true, true));
    w.commit(0, &[(X, 1)]);
    w.settle();
    w.wait(1_000);
    let r = w.start_workflow(0);
    w.read_tag(r, X);
    let first = w.interval(r);
    assert!(first.lo < first.hi);
    w.roam(r, 1, 1);
    assert_eq!(w.interval(r), Interval::new(first.hi, first.hi));
    assert_eq!(w.read_tag(r, Y).0, 0);
    assert_eq!(w.interval(r), Interval::new(first.hi, first.hi));
}

#[test]
fn the_last_function_commits_every_write_at_one_timestamp_above_the_reads() {
    let mut w = World::new::<FaasTcc>(2, DesignOptions::default());
    let r = w.start_workflow(0);
    w.read_tag(r, X);
    w.run(r, |c, out| c.start(&Op::Write(Y, tagged(5)), out));
    let own = w.run(r, |c, out| c.start(&Op::ReadTxn(vec![Y, X]), out));
    assert_eq!(own.result, OpResult::Txn(vec![tagged(5), tagged(0)]));
    w.roam(r, 1, 1);
    let rw = Op::ReadWriteTxn {
        reads: vec![Y],
        writes: vec![(Z, tagged(6)), (X, tagged(7))],
    };
    assert_eq!(
        w.run(r, |c, out| c.start(&rw, out)).result,
        OpResult::Txn(vec![tagged(5)])
    );
    let hi = w.interval(r).hi;
    w.begin(r, |c, out| c.end_function(true, out));
    let [(1, DbRequest::Prepare { last_seen, .. })] = w.to_db.as_slice() else {
        panic!("{:?}", w.to_db)
    };
    assert_eq!(*last_seen, hi, "storage's clock passes the whole interval");
    let done = w.workflows[r]
        .result
        .take()
        .expect("the cache answers at once");
    assert_eq!((done.result, done.served), (OpResult::Done, Served::Cache));
    assert_eq!(
        w.db.store.versions(Y).count(),
        0,
        "nothing is visible before the commit"
    );
    w.settle();
    let ts: BTreeSet<Ts> = [X, Y, Z]
        .into_iter()
        .flat_map(|k| w.db.store.versions(k).map(|(ts, _)| ts).collect::<Vec<_>>())
        .collect();
    assert_eq!(ts.len(), 1, "one commit timestamp: {ts:?}");
    assert!(
        ts.iter().all(|&t| t > hi),
        "commit {ts:?} is not above the interval's end {hi}"
    );
    assert_eq!(
        w.servers[0].cached(X).map(|e| e.value.tag()),
        Some(7),
        "the stream updates held keys"
    );
    assert!(w.servers[1].cached(Z).is_none(), "and only those");
}

#[test]
fn artifact_writes_go_straight_to_the_database_stamped_in_milliseconds() {
    let mut w = World::new::<FaasTccCm>(3, DesignOptions::default());
    w.now = 7_654_321;
    let wf = w.start_workflow(0);
    w.run(wf, |c, out| c.start(&Op::Write(X, tagged(1)), out));
    w.run(wf, |c, out| c.start(&Op::Write(Y, tagged(2)), out));
    w.begin(wf, |c, out| c.end_function(true, out));
    assert!(
        w.workflows[wf].result.is_none(),
        "the client waits for the database"
    );
    assert_eq!(w.to_db.len(), 1, "one write at a time");
    w.settle();
    let done = w.workflows[wf].result.take().expect("written");
    assert_eq!(
        (done.result, done.served),
        (OpResult::Done, Served::Database)
    );
    for node in 0..3 {
        let e = w.servers[node]
            .cached(Y)
            .expect("refreshed from the stream");
        assert_eq!((e.value.tag(), e.ts), (2, 7_654));
    }
}

/// A step of a random schedule of three workflows on three nodes.
#[derive(Clone, Debug)]
enum Step {
    Read { wf: usize, keys: Vec<Key> },
    Write { wf: usize, key: Key },
    Roam { wf: usize, node: NodeId },
    Finish { wf: usize },
    ToDb { pick: usize },
    ToNode { pick: usize },
    Wait { us: Micros },
}

fn step() -> impl Strategy<Value = Step> {
    let wf = 0..3usize;
    prop_oneof![
        3 => (wf.clone(), proptest::collection::vec(0..4u64, 1..4)).prop_map(|(wf, keys)| Step::Read { wf, keys }),
        1 => (wf.clone(), 0..4u64).prop_map(|(wf, key)| Step::Write { wf, key }),
        1 => (wf.clone(), 0..3usize).prop_map(|(wf, node)| Step::Roam { wf, node }),
        1 => wf.prop_map(|wf| Step::Finish { wf }),
        3 => any::<usize>().prop_map(|pick| Step::ToDb { pick }),
        3 => any::<usize>().prop_map(|pick| Step::ToNode { pick }),
        2 => prop_oneof![Just(100u64), Just(3_000), Just(25_000)].prop_map(|us| Step::Wait { us }),
    ]
}

/// What a workflow has done, for the checks when it commits.
#[derive(Default)]
struct Tracked {
    /// Reads the cache or storage answered: key and value.
    reads: Vec<(Key, Value)>,
    written: BTreeMap<Key, Value>,
    function: usize,
    busy: bool,
    keys: Vec<Key>,
}

proptest! {
    /// Under any delivery order, a committed workflow's reads are exactly
    /// the store's state at every instant of its final interval (which only
    /// narrows and never empties); it never aborts; its writes become
    /// visible together, above that interval; and every cached promise holds.
    #[test]
    fn random_roaming_schedules_read_one_snapshot(
        steps in proptest::collection::vec(step(), 1..120),
        point in any::<bool>(),
    ) {
        let mut w = World::new::<FaasTcc>(3, options(point, true));
        let mut tracked: Vec<Tracked> = (0..3).map(|_| Tracked::default()).collect();
        let mut ids: Vec<usize> = (0..3).map(|n| w.start_workflow(n)).collect();
        let mut committed: Vec<(BTreeMap<Key, Value>, Ts)> = Vec::new();
        let mut next_tag = 1;
        for s in steps {
            match s {
                Step::Read { wf, keys } if !tracked[wf].busy => {
                    let op = if keys.len() == 1 { Op::Read(keys[0]) } else { Op::ReadTxn(keys.clone()) };
                    tracked[wf].busy = true;
                    tracked[wf].keys = keys;
                    w.begin(ids[wf], |c, out| c.start(&op, out));
                }
                Step::Write { wf, key } if !tracked[wf].busy => {
                    let value = tagged(next_tag);
                    next_tag += 1;
                    tracked[wf].written.insert(key, value.clone());
                    w.begin(ids[wf], |c, out| c.start(&Op::Write(key, value), out));
                    prop_assert!(w.workflows[ids[wf]].result.take().is_some());
                }
                Step::Roam { wf, node } if !tracked[wf].busy => {
                    tracked[wf].function += 1;
                    let before = w.interval(ids[wf]);
                    w.roam(ids[wf], node, tracked[wf].function);
                    let after = w.interval(ids[wf]);
                    prop_assert!(after.lo >= before.lo && after.hi <= before.hi && !after.is_empty());
                }
                Step::Finish { wf } if !tracked[wf].busy => {
                    let id = ids[wf];
                    let iv = w.interval(id);
                    for t in [iv.lo, iv.hi].into_iter().filter(|&t| t != Ts::MAX) {
                        for (key, value) in &tracked[wf].reads {
                            prop_assert_eq!(w.db.store.version_at(*key, t).1, value, "key {} at {} in {:?}", key, t, iv);
                        }
                    }
                    w.begin(id, |c, out| c.end_function(true, out));
                    if !tracked[wf].written.is_empty() {
                        prop_assert!(w.workflows[id].result.take().is_some());
                        committed.push((std::mem::take(&mut tracked[wf].written), iv.last_seen()));
                    }
                    tracked[wf] = Tracked::default();
                    ids[wf] = w.start_workflow(wf);
                }
                Step::ToDb { pick } if !w.to_db.is_empty() => {
                    let i = pick % w.to_db.len();
                    w.deliver_to_db(i);
                }
                Step::ToNode { pick } if !w.to_nodes.is_empty() => {
                    let i = pick % w.to_nodes.len();
                    w.deliver_to_node(i);
                }
                Step::Wait { us } => w.wait(us),
                _ => {}
            }
            for (wf, t) in tracked.iter_mut().enumerate() {
                let Some(done) = w.workflows[ids[wf]].result.take() else { continue };
                let values = match done.result {
                    OpResult::Read(v) => vec![v],
                    OpResult::Txn(vs) => vs,
                    other => return Err(TestCaseError::fail(format!("a read answered {other:?}"))),
                };
                for (key, value) in std::mem::take(&mut t.keys).into_iter().zip(values) {
                    match t.written.get(&key) {
                        Some(own) => prop_assert_eq!(own, &value, "read-your-writes"),
                        None => t.reads.push((key, value)),
                    }
                }
                t.busy = false;
                prop_assert!(!w.interval(ids[wf]).is_empty());
            }
        }
        w.settle();
        w.wait(25_000);
        w.settle();
        for (writes, last_seen) in committed {
            let mut stamps = BTreeSet::new();
            for (key, value) in &writes {
                let found = w.db.store.versions(*key).find(|(_, v)| *v == value).map(|(ts, _)| ts);
                prop_assert!(found.is_some_and(|ts| ts > last_seen), "{:?} not committed above {}", key, last_seen);
                stamps.extend(found);
            }
            prop_assert_eq!(stamps.len(), 1, "one commit timestamp per workflow");
        }
        for server in &w.servers {
            for key in 0..4 {
                if let Some(e) = server.cached(key) {
                    let (ts, value) = w.db.store.version_at(key, e.promise);
                    prop_assert_eq!((ts, value), (e.ts, &e.value), "key {} promised to {}", key, e.promise);
                }
            }
        }
    }
}

#[test]
fn a_merged_context_reads_nothing_older_than_either_side_saw() {
    let mut w = World::new::<FaasTcc>(2, DesignOptions::default());
    let early = w.start_workflow(1);
    assert_eq!(w.read_tag(early, X).0, 0, "node 1 caches x");
    w.held.insert(1);
    w.wait(5_000);
    w.commit(0, &[(X, 1)]);
    w.settle();
    w.wait(5_000);
    let late = w.start_workflow(0);
    assert_eq!(w.read_tag(late, X).0, 1);
    let merged = FaasClient::merge_contexts(w.context(early), w.context(late));
    let m = w.start_from(1, merged);
    assert_eq!(
        w.read_tag(m, X).0,
        1,
        "node 1 still caches x=0, but the merged interval lies above it"
    );
    assert_eq!(
        w.read_tag(early, X).0,
        0,
        "the early side alone keeps its snapshot"
    );
}

#[test]
fn merging_disjoint_snapshots_reads_at_or_above_both() {
    let a = FaasContext {
        interval: Interval::new(5, 9),
        writes: BTreeMap::from([(X, tagged(1))]),
        committed: BTreeMap::new(),
    };
    let b = FaasContext {
        interval: Interval::new(12, 20),
        writes: BTreeMap::from([(X, tagged(2)), (Y, tagged(3))]),
        committed: BTreeMap::from([(Z, tagged(4))]),
    };
    let m = FaasClient::merge_contexts(a.clone(), b.clone());
    assert_eq!(m.interval, Interval::new(12, Ts::MAX));
    assert_eq!(m.writes[&X].tag(), 2, "the later branch's write of x");
    assert_eq!(m.writes.len(), 2);
    assert_eq!(m.committed[&Z].tag(), 4);
    let overlapping = FaasContext {
        interval: Interval::new(7, 15),
        ..b
    };
    assert_eq!(
        FaasClient::merge_contexts(a, overlapping).interval,
        Interval::new(7, 9)
    );
}

#[test]
fn a_committed_write_is_read_back_through_a_merged_context_but_never_committed_again() {
    let mut w = World::new::<FaasTcc>(2, DesignOptions::default());
    w.held.insert(1);
    let writer = w.start_workflow(0);
    w.run(writer, |c, out| c.start(&Op::Write(X, tagged(5)), out));
    w.run(writer, |c, out| c.end_function(true, out));
    w.settle();
    let ctx = w.context(writer);
    assert!(ctx.writes.is_empty(), "nothing left to commit");
    assert_eq!(ctx.committed[&X].tag(), 5);
    let next = w.start_from(1, FaasClient::merge_contexts(FaasContext::default(), ctx));
    assert_eq!(
        w.read_tag(next, X),
        (5, Served::Client),
        "node 1 has not heard of x=5, the inherited context has"
    );
    let done = w.run(next, |c, out| c.end_function(true, out));
    assert_eq!(
        done.served,
        Served::Client,
        "no commit: nothing of its own to write"
    );
}
