//! HydroCache's rules under scripted message orders (see `net`), and random
//! roaming schedules checked for causally consistent workflow snapshots.

mod net;
mod random;

use std::collections::BTreeSet;

use self::net::{End, Net};
use super::*;
use crate::db::{DbReply, DbRequest};
use crate::design::{ClientSession, DesignOptions, FunctionPlan, Op, OpResult, Outbox, ServerNode};
use crate::version::{Key, Register, Version};

const X: Key = 1;
const Y: Key = 2;
const Z: Key = 3;

fn reads(node: NodeId, keys: &[Key]) -> FunctionPlan {
    FunctionPlan {
        node,
        ops: keys.iter().map(|&k| Op::Read(k)).collect(),
    }
}

fn tags(results: &[OpResult]) -> Vec<u64> {
    results
        .iter()
        .filter_map(|r| match r {
            OpResult::Read(v) => Some(v.tag()),
            _ => None,
        })
        .collect()
}

fn clock(c: &[u32]) -> VectorClock {
    VectorClock::from_counters(c)
}

fn version(tag: u64, c: &[u32], deps: &[(Key, &[u32])]) -> (Register, Deps) {
    let mut d = Deps::new();
    for (k, dc) in deps {
        d.add(*k, &clock(dc));
    }
    let register = Register::new(Version {
        value: Value::tagged(tag, 8),
        vc: clock(c),
    });
    (register, d)
}

/// Nodes that received a message of one kind, in the order sent.
fn receivers<F>(net: &Net<F>, kind: fn(&Msg) -> bool) -> BTreeSet<NodeId> {
    net.sent
        .iter()
        .filter_map(|(_, to, m)| match to {
            End::Node(n) if kind(m) => Some(*n),
            _ => None,
        })
        .collect()
}

fn position<F>(net: &Net<F>, what: impl Fn(End, End, &Msg) -> bool) -> Option<usize> {
    net.sent.iter().position(|(f, t, m)| what(*f, *t, m))
}

/// Node 0 of a three-server cluster over eight keys.
fn lone_node<F: Flavor>(options: DesignOptions) -> HydroServer<F> {
    let cluster = Cluster {
        servers: 3,
        keys: 8,
        value_size: 8,
        options,
        hands_on_contexts: false,
    };
    HydroServer::new(0, &cluster)
}

/// The database's stream brings `node` a version of `key`.
fn notify<F: Flavor>(
    node: &mut HydroServer<F>,
    key: Key,
    version: (Register, Deps),
    out: &mut Outbox<Msg>,
) {
    let (register, deps) = version;
    node.on_db_reply(
        0,
        DbReply::Notify {
            key,
            register,
            deps,
        },
        out,
    );
}

/// A version whose dependency the node lacks waits in preparation; the GET
/// that brings the dependency installs both in one step (§1.3). The
/// artifact's stream names the key only, so its node GETs the head first.
fn closure_enters_the_cut_in_one_step<F: Flavor>() {
    let mut node = lone_node::<F>(DesignOptions::default());
    let x = version(1, &[1, 0, 0], &[]);
    let y = version(2, &[1, 1, 0], &[(X, &[1, 0, 0])]);
    let mut out = Outbox::default();
    notify(&mut node, Y, y.clone(), &mut out);
    node.on_tick(10_000, &mut out);
    let mut x_get = None;
    while let Some(req) = out.db.pop() {
        let DbRequest::Get { id, key } = req else {
            continue;
        };
        if key == X {
            x_get = Some(id);
            continue;
        }
        let (register, deps) = y.clone();
        node.on_db_reply(
            0,
            DbReply::Got {
                id,
                key,
                register: Some(register),
                deps,
            },
            &mut out,
        );
    }
    let Some(id) = x_get else {
        panic!("{}: no GET for the missing dependency", F::VARIANT.name)
    };
    assert!(node.cut().vc(Y).is_zero(), "y entered the cut before x");
    assert!(node.is_preparing(Y));
    assert!(node.cut().is_causal());
    let (register, deps) = x;
    node.on_db_reply(
        0,
        DbReply::Got {
            id,
            key: X,
            register: Some(register),
            deps,
        },
        &mut out,
    );
    assert_eq!(node.cut().version(Y).register.value.tag(), 2);
    assert_eq!(node.cut().version(X).register.value.tag(), 1);
    assert!(!node.is_preparing(Y));
    assert!(node.cut().is_causal());
    assert!(
        node.remote_fetches() >= 1,
        "the dependency GET is a remote fetch"
    );
}

#[test]
fn the_cut_installs_only_dependency_closed_versions() {
    closure_enters_the_cut_in_one_step::<Con>();
    closure_enters_the_cut_in_one_step::<Opt>();
    closure_enters_the_cut_in_one_step::<ConCm>();
    closure_enters_the_cut_in_one_step::<OptCm>();
}

/// y@1 needs x@1; y@2 follows y@1 (its writer read y@1 and nothing else)
/// and names no deps of its own. A cache that hears of both before its next
/// migration installs y@2 at once as published, beside the old x; with
/// `hydrocache_keep_deps` it waits for x@1, as the deps a key ever had stay
/// with it (`lattice::merge_parts`).
fn a_newer_version_keeps_what_its_predecessor_needed<F: Flavor>(keep_deps: bool) {
    let mut node = lone_node::<F>(DesignOptions {
        hydrocache_keep_deps: keep_deps,
        ..DesignOptions::default()
    });
    let mut out = Outbox::default();
    for v in [
        version(1, &[0, 1, 0], &[(X, &[1, 0, 0])]),
        version(2, &[0, 2, 0], &[]),
    ] {
        notify(&mut node, Y, v, &mut out);
    }
    node.on_tick(10_000, &mut out);
    let x_get = out
        .db
        .iter()
        .any(|r| matches!(r, DbRequest::Get { key, .. } if *key == X));
    assert_eq!(x_get, keep_deps, "{}: a GET for x@1", F::VARIANT.name);
    assert_eq!(
        node.cut().vc(Y).is_zero(),
        keep_deps,
        "y@2 entered the cut before x@1"
    );
}

#[test]
fn a_dominating_version_drops_its_predecessors_dependencies_unless_deps_are_kept() {
    for keep_deps in [false, true] {
        a_newer_version_keeps_what_its_predecessor_needed::<Con>(keep_deps);
        a_newer_version_keeps_what_its_predecessor_needed::<Opt>(keep_deps);
    }
}

/// Only node 1 knows x and y (which depends on x). A workflow reading x at
/// node 0 and then y at node 1 reads both new versions: node 0 fetched x
/// from a peer's pinned snapshot before any function ran (§1.5, §13.1).
fn con_prepares_before_the_workflow<F: Flavor>() {
    let mut net = Net::<F>::new(3, DesignOptions::default());
    net.write(X, 1, &[0, 1, 0], &[]);
    net.write(Y, 2, &[0, 2, 0], &[(X, &[0, 1, 0])]);
    net.sync(1);
    let run = net.run(7, vec![reads(0, &[X]), reads(1, &[Y])]);
    assert_eq!(run.outcome, Some(OpResult::Done), "{}", F::VARIANT.name);
    assert_eq!(tags(&run.results), [1, 2]);
    assert!(
        net.servers[0].cut().vc(X).is_zero(),
        "node 0's own cut is still stale"
    );
    let fetch = position(&net, |f, t, m| {
        f == End::Node(0)
            && t == End::Node(1)
            && matches!(
                m,
                Msg::ServerRead {
                    fetch: Fetch { key: X, .. },
                    ..
                }
            )
    });
    let first_read = position(&net, |_, _, m| matches!(m, Msg::Read { .. }));
    assert!(
        fetch.is_some() && fetch < first_read,
        "fetch {fetch:?} before read {first_read:?}"
    );
    assert!(net.servers[0].remote_fetches() >= 1);
}

#[test]
fn con_fetches_newer_versions_from_peer_snapshots_before_any_function_runs() {
    con_prepares_before_the_workflow::<Con>();
    con_prepares_before_the_workflow::<ConCm>();
}

/// Published: only the caches hosting reading functions are asked, and only
/// the hosts are cleaned up. Artifact: every server, in both rounds.
#[test]
fn con_asks_the_function_hosts_and_con_cm_asks_every_server() {
    let plan = || {
        vec![
            reads(0, &[X]),
            FunctionPlan {
                node: 1,
                ops: vec![Op::Write(Y, Value::tagged(5, 8))],
            },
        ]
    };
    let mut published = Net::<Con>::new(4, DesignOptions::default());
    assert_eq!(published.run(1, plan()).outcome, Some(OpResult::Done));
    let mut artifact = Net::<ConCm>::new(4, DesignOptions::default());
    assert_eq!(artifact.run(1, plan()).outcome, Some(OpResult::Done));
    let query = |m: &Msg| matches!(m, Msg::VersionQuery { .. });
    let ship = |m: &Msg| matches!(m, Msg::KeyShipping { .. });
    let clean = |m: &Msg| matches!(m, Msg::CleanUp { .. });
    for kind in [query, ship, clean] {
        assert_eq!(receivers(&published, kind), BTreeSet::from([0]));
        assert_eq!(receivers(&artifact, kind), BTreeSet::from([0, 1, 2, 3]));
    }
    assert!(published.servers.iter().all(|s| s.snapshots() == 0));
    assert!(artifact.servers.iter().all(|s| s.snapshots() == 0));
}

/// Upstream read a newer x than node 0's cut holds: node 0 fetches it from
/// upstream instead of reading its own (§1.6 up -> down, §13.2 remote keys).
fn opt_reads_what_upstream_read<F: Flavor>() {
    let mut net = Net::<F>::new(3, DesignOptions::default());
    net.write(X, 1, &[0, 1, 0], &[]);
    net.sync(1);
    let run = net.run(7, vec![reads(1, &[X]), reads(0, &[X])]);
    assert_eq!(run.outcome, Some(OpResult::Done), "{}", F::VARIANT.name);
    assert_eq!(tags(&run.results), [1, 1]);
    assert!(net.servers[0].cut().vc(X).is_zero());
    assert_eq!(net.servers[0].remote_fetches(), 1);
}

#[test]
fn opt_fetches_from_upstream_when_upstream_read_a_newer_version() {
    opt_reads_what_upstream_read::<Opt>();
    opt_reads_what_upstream_read::<OptCm>();
}

/// f0 reads the old x at node 0; at node 1, y needs the new x. With no
/// upstream copy of y the workflow aborts; with one (f0 read y too), node 1
/// drops its own y and reads upstream's (§1.6 down -> up, §13.2).
fn opt_aborts_without_an_upstream_copy<F: Flavor>() {
    let setup = || {
        let mut net = Net::<F>::new(3, DesignOptions::default());
        net.write(X, 1, &[0, 1, 0], &[]);
        net.write(Y, 2, &[0, 2, 0], &[(X, &[0, 1, 0])]);
        net.sync(1);
        net
    };
    let mut net = setup();
    let run = net.run(7, vec![reads(0, &[X]), reads(1, &[Y])]);
    assert_eq!(run.outcome, Some(OpResult::Aborted), "{}", F::VARIANT.name);
    assert_eq!(tags(&run.results), [0]);
    assert!(
        net.servers.iter().all(|s| s.snapshots() == 0),
        "an abort releases the snapshots"
    );
    let mut net = setup();
    let run = net.run(7, vec![reads(0, &[X, Y]), reads(1, &[Y])]);
    assert_eq!(run.outcome, Some(OpResult::Done), "{}", F::VARIANT.name);
    assert_eq!(
        tags(&run.results),
        [0, 0, 0],
        "repeatable read from upstream"
    );
    assert_eq!(net.servers[1].cut().version(Y).register.value.tag(), 2);
}

#[test]
fn opt_aborts_when_a_local_version_needs_newer_data_and_upstream_has_no_copy() {
    opt_aborts_without_an_upstream_copy::<Opt>();
    opt_aborts_without_an_upstream_copy::<OptCm>();
}

/// x's newer version sits in f0's snapshot at node 1; f1 at node 2 reads
/// something else. Published f2 fetches x from f0's snapshot; the artifact
/// asks only the parent (node 2), which has no x, and aborts.
#[test]
fn opt_fetches_from_any_upstream_holder_and_opt_cm_only_from_the_parent() {
    let plan = || vec![reads(1, &[X]), reads(2, &[Z]), reads(0, &[X])];
    let mut published = Net::<Opt>::new(3, DesignOptions::default());
    published.write(X, 1, &[0, 1, 0], &[]);
    published.sync(1);
    let run = published.run(7, plan());
    assert_eq!(run.outcome, Some(OpResult::Done));
    assert_eq!(tags(&run.results), [1, 0, 1]);
    let mut artifact = Net::<OptCm>::new(3, DesignOptions::default());
    artifact.write(X, 1, &[0, 1, 0], &[]);
    artifact.sync(1);
    assert_eq!(artifact.run(7, plan()).outcome, Some(OpResult::Aborted));
    let asked = receivers(&artifact, |m| {
        matches!(
            m,
            Msg::ServerRead {
                fetch: Fetch { key: X, .. },
                ..
            }
        )
    });
    assert_eq!(
        asked,
        BTreeSet::from([2]),
        "the artifact asks the parent's node"
    );
}

/// The parent's snapshot holds x, but older than what upstream read: the
/// artifact's fetch cannot bring su's version, so the workflow aborts rather
/// than read x backwards; published fetches it from f0's snapshot.
#[test]
fn opt_cm_aborts_when_the_parent_holds_only_an_older_copy() {
    fn setup<F: Flavor>() -> Net<F> {
        let mut net = Net::<F>::new(3, DesignOptions::default());
        net.write(X, 1, &[0, 0, 1], &[]);
        net.write(Y, 2, &[0, 0, 2], &[(X, &[0, 0, 1])]);
        (0..3).for_each(|n| net.sync(n));
        net.write(X, 3, &[0, 1, 1], &[]);
        net.sync(1);
        net
    }
    let plan = || vec![reads(1, &[X]), reads(2, &[Y]), reads(0, &[X])];
    let mut published = setup::<Opt>();
    let run = published.run(7, plan());
    assert_eq!(run.outcome, Some(OpResult::Done));
    assert_eq!(tags(&run.results), [3, 2, 3]);
    let mut artifact = setup::<OptCm>();
    let run = artifact.run(7, plan());
    assert_eq!(run.outcome, Some(OpResult::Aborted));
    assert_eq!(tags(&run.results), [3, 2]);
}

/// The interleaving the 50-seed anomaly test found (WriteCORead): f0 reads
/// x0 and z0 at node 2; node 1 holds y1 (needs z1) and x1 (needs y1). f1 at
/// node 1 drops its y1 (z1 is newer than R) and reads y0 from upstream, but
/// x1 stays pinned in node 1's snapshot. f2 at node 1 must drop x1 too; the
/// artifact fetches x from the parent, node 1 itself, whose snapshot offers
/// x1 as a version at least as new as su's x0. Reading it with y0 would read
/// y older than x1's dependency; x1's chain needs z1, newer than R, so the
/// workflow aborts instead. Published fetches exactly f0's x0.
#[test]
fn opt_cm_never_fetches_a_parent_version_that_needs_newer_data_than_r() {
    fn setup<F: Flavor>() -> Net<F> {
        let mut net = Net::<F>::new(3, DesignOptions::default());
        net.write(Y, 1, &[0, 0, 1], &[]);
        net.write(X, 2, &[0, 0, 2], &[(Y, &[0, 0, 1])]);
        net.write(Z, 3, &[0, 0, 3], &[]);
        (0..3).for_each(|n| net.sync(n));
        net.write(Z, 4, &[0, 1, 3], &[]);
        net.write(Y, 5, &[0, 2, 3], &[(Z, &[0, 1, 3]), (X, &[0, 0, 2])]);
        net.write(X, 6, &[0, 3, 3], &[(Y, &[0, 2, 3])]);
        net.sync(1);
        net
    }
    let plan = || vec![reads(2, &[X, Z]), reads(1, &[Y]), reads(1, &[X, Y])];
    let mut artifact = setup::<OptCm>();
    let run = artifact.run(7, plan());
    assert_eq!(tags(&run.results), [2, 3, 1], "f1 reads y0 from upstream");
    assert_eq!(run.outcome, Some(OpResult::Aborted));
    let mut published = setup::<Opt>();
    let run = published.run(7, plan());
    assert_eq!(run.outcome, Some(OpResult::Done));
    assert_eq!(tags(&run.results), [2, 3, 1, 2, 1]);
}

/// f0 reads y, whose chain holds x@1; node 1 already has x@3. Fixed: ru
/// holds only y, so f1 reads its own x@3. With the defect ru = su claims x@1
/// was read, so f1 drops x@3 and refetches x@1 from the parent (§13.2).
#[test]
fn su_ru_defect_makes_opt_cm_refetch_what_the_workflow_never_read() {
    let run = |defect: bool| {
        let options = DesignOptions {
            hydrocache_opt_su_ru_defect: defect,
            ..DesignOptions::default()
        };
        let mut net = Net::<OptCm>::new(3, options);
        net.write(X, 1, &[0, 1, 0], &[]);
        net.write(Y, 2, &[0, 2, 0], &[(X, &[0, 1, 0])]);
        net.sync(0);
        net.write(X, 3, &[0, 3, 0], &[]);
        net.sync(1);
        let run = net.run(7, vec![reads(0, &[Y]), reads(1, &[X])]);
        assert_eq!(run.outcome, Some(OpResult::Done));
        (tags(&run.results), net.servers[1].remote_fetches())
    };
    assert_eq!(run(false), (vec![2, 3], 0));
    assert_eq!(run(true), (vec![2, 1], 1));
}

/// The last function writes with the join of the reads (its own node's
/// component advanced) and every read as a dependency (§1.8); a read of a
/// buffered key returns the buffered value.
#[test]
fn writes_commit_at_the_end_with_every_read_as_a_dependency() {
    let mut net = Net::<Opt>::new(3, DesignOptions::default());
    net.write(X, 1, &[0, 1, 0], &[]);
    for n in 0..3 {
        net.sync(n);
    }
    let run = net.run(
        7,
        vec![
            FunctionPlan {
                node: 1,
                ops: vec![Op::Read(X), Op::Write(Y, Value::tagged(9, 8))],
            },
            reads(2, &[Y]),
        ],
    );
    assert_eq!(run.outcome, Some(OpResult::Done));
    assert_eq!(tags(&run.results), [1, 9]);
    net.settle_except(|_, _| false);
    let (key, vc, deps) = &net.db.log[&9];
    assert_eq!((*key, vc), (Y, &clock(&[0, 1, 1])));
    assert_eq!(deps.get(X), Some(&clock(&[0, 1, 0])));
    net.sync(0);
    assert_eq!(net.servers[0].cut().version(Y).register.value.tag(), 9);
}

/// With contexts handed on (tokens), a workflow reads the new x at node 1
/// and writes z; the last function waits for the write's clock. Another,
/// resumed from the merge of its final context and an empty one (the
/// token's next holder), reads z and x at node 0, whose cut has neither: its
/// cache holds it back until the cut has both (the floor), so it reads them,
/// not the initial values. Its own write of z then supersedes the first.
fn a_successor_reads_its_predecessors_writes_and_no_older_x<F: Flavor>() -> Vec<u64> {
    let mut net = Net::<F>::new(3, DesignOptions::default());
    net.cluster.hands_on_contexts = true;
    let name = F::VARIANT.name;
    net.write(X, 1, &[0, 1, 0], &[]);
    net.sync(1);
    let mut f = reads(1, &[X]);
    f.ops.push(Op::Write(Z, Value::tagged(9, 8)));
    let first = net.run(7, vec![f]);
    assert_eq!(first.outcome, Some(OpResult::Done), "{name}");
    assert_eq!(tags(&first.results), [1], "{name}");
    let ctx = first.context.clone().unwrap_or_default();
    assert!(
        ctx.writes.is_empty() && ctx.read.is_empty(),
        "nothing pins a successor"
    );
    let merged = HydroClient::<F>::merge_contexts(HydroContext::default(), ctx);
    let mut f = reads(0, &[Z, X]);
    f.ops.push(Op::Write(Z, Value::tagged(10, 8)));
    let run = net.run_from(8, vec![f], merged);
    assert_eq!(run.outcome, None, "{name}: read before the cut had x@1");
    net.settle_except(|_, _| false);
    let run = &net.runs[&8];
    assert_eq!(run.outcome, Some(OpResult::Done), "{name}");
    let (_, first_z, _) = &net.db.log[&9];
    let (_, second_z, _) = &net.db.log[&10];
    assert!(first_z.happens_before(second_z), "{name}: {second_z:?}");
    tags(&run.results)
}

#[test]
fn a_tokens_next_holder_reads_at_least_what_its_predecessor_read_and_wrote() {
    assert_eq!(
        a_successor_reads_its_predecessors_writes_and_no_older_x::<Opt>(),
        [9, 1]
    );
    assert_eq!(
        a_successor_reads_its_predecessors_writes_and_no_older_x::<OptCm>(),
        [9, 1]
    );
    assert_eq!(
        a_successor_reads_its_predecessors_writes_and_no_older_x::<Con>(),
        [9, 1]
    );
    assert_eq!(
        a_successor_reads_its_predecessors_writes_and_no_older_x::<ConCm>(),
        [9, 1]
    );
}

/// A context that read the new x (a parallel branch merged in) runs at
/// node 0, whose cut still holds the old x.
fn a_context_that_read_newer<F: Flavor>() -> (Option<OpResult>, Vec<u64>) {
    let mut net = Net::<F>::new(3, DesignOptions::default());
    net.write(X, 1, &[0, 1, 0], &[]);
    let mut ctx = HydroContext::default();
    ctx.read.add(X, &clock(&[0, 1, 0]));
    let run = net.run_from(8, vec![reads(0, &[X])], ctx);
    (run.outcome.clone(), tags(&run.results))
}

#[test]
fn a_conservative_prepare_aborts_below_what_the_context_read() {
    assert_eq!(
        a_context_that_read_newer::<Con>().0,
        Some(OpResult::Aborted)
    );
    assert_eq!(
        a_context_that_read_newer::<ConCm>().0,
        Some(OpResult::Aborted)
    );
    // Once node 0's cut has the new x, the workflow reads it.
    let mut net = Net::<Con>::new(3, DesignOptions::default());
    net.write(X, 1, &[0, 1, 0], &[]);
    net.sync(0);
    let mut ctx = HydroContext::default();
    ctx.read.add(X, &clock(&[0, 1, 0]));
    let run = net.run_from(8, vec![reads(0, &[X])], ctx);
    assert_eq!(tags(&run.results), [1]);
}
