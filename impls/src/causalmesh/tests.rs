//! CausalMesh's rules under scripted message orders. Clients talk to their
//! node synchronously; ring messages wait on FIFO links until a test delivers
//! them, so each test chooses exactly which propagation has happened.

use std::collections::VecDeque;

use proptest::prelude::*;

use super::*;
use crate::design::{
    ClientSession, Cluster, DesignOptions, Op, OpResult, Outbox, Peer, Poll, ServerNode,
};
use crate::version::{Key, Value};

/// A ring of servers; `TCC` runs CausalMesh-TCC.
struct Ring<const TCC: bool = false> {
    servers: Vec<CausalMeshServer>,
    /// One FIFO queue per ring link `i -> i+1`.
    links: Vec<VecDeque<Msg>>,
    cluster: Cluster,
}

impl Ring {
    fn new(n: usize) -> Ring {
        Ring::with(n, DesignOptions::default())
    }
}

impl<const TCC: bool> Ring<TCC> {
    fn with(n: usize, options: DesignOptions) -> Ring<TCC> {
        let cluster = Cluster {
            servers: n,
            keys: 16,
            value_size: 8,
            options,
            hands_on_contexts: false,
        };
        let mode = if TCC {
            Mode::Transactional
        } else {
            Mode::Causal
        };
        Ring {
            servers: (0..n)
                .map(|i| CausalMeshServer::new(i, &cluster, mode))
                .collect(),
            links: (0..n).map(|_| VecDeque::new()).collect(),
            cluster,
        }
    }

    fn absorb(&mut self, node: NodeId, out: Outbox<Msg>) -> Option<Msg> {
        let mut reply = None;
        for (to, msg) in out.sends {
            match to {
                Peer::Node(next) => {
                    assert_eq!(
                        next,
                        (node + 1) % self.servers.len(),
                        "ring messages go to the successor"
                    );
                    self.links[node].push_back(msg);
                }
                Peer::Client(_) => reply = Some(msg),
            }
        }
        reply
    }

    /// Delivers the oldest message on link `from -> from+1`.
    fn deliver(&mut self, from: NodeId) -> bool {
        let Some(msg) = self.links[from].pop_front() else {
            return false;
        };
        let to = (from + 1) % self.servers.len();
        let mut out = Outbox::default();
        self.servers[to].on_message(0, Peer::Node(from), msg, &mut out);
        self.absorb(to, out);
        true
    }

    fn deliver_all(&mut self) {
        while (0..self.servers.len()).any(|i| !self.links[i].is_empty()) {
            for i in 0..self.servers.len() {
                self.deliver(i);
            }
        }
    }

    fn run(&mut self, ctx: &mut ClientContext, node: NodeId, op: Op) -> OpResult {
        let mut client =
            CausalMeshClient::<TCC>::resume(std::mem::take(ctx), node, 1, &self.cluster);
        let mut sends = Vec::new();
        let mut poll = client.start(&op, &mut sends);
        while let Some((to, msg)) = sends.pop() {
            let mut out = Outbox::default();
            self.servers[to].on_message(0, Peer::Client(1), msg, &mut out);
            let reply = self.absorb(to, out).expect("the node answers at once");
            poll = client.on_reply(to, reply, &mut sends);
        }
        *ctx = client.suspend();
        match poll {
            Poll::Ready(c) => c.result,
            Poll::Pending => panic!("CausalMesh never leaves an operation waiting"),
        }
    }

    fn read(&mut self, ctx: &mut ClientContext, node: NodeId, key: Key) -> u64 {
        match self.run(ctx, node, Op::Read(key)) {
            OpResult::Read(v) => v.tag(),
            other => panic!("read answered {other:?}"),
        }
    }

    fn txn(&mut self, ctx: &mut ClientContext, node: NodeId, op: Op) -> Option<Vec<u64>> {
        match self.run(ctx, node, op) {
            OpResult::Txn(values) => Some(values.iter().map(Value::tag).collect()),
            OpResult::Aborted => None,
            other => panic!("transaction answered {other:?}"),
        }
    }

    fn write(&mut self, ctx: &mut ClientContext, node: NodeId, key: Key, tag: u64) -> VectorClock {
        self.run(ctx, node, Op::Write(key, Value::tagged(tag, 8)));
        ctx.local[&key].version.vc.clone()
    }

    fn visible(&self, node: NodeId, key: Key) -> u64 {
        self.servers[node].consistent(key).value.tag()
    }
}

const X: Key = 1;
const Y: Key = 2;
const Z: Key = 3;

#[test]
fn tail_integrates_only_at_the_end_of_the_second_lap() {
    let mut ring = Ring::new(3);
    let mut c = ClientContext::default();
    let vc = ring.write(&mut c, 0, X, 10);
    // First lap: 0 -> 1 -> 2 (the tail), which keeps it inconsistent.
    assert!(ring.deliver(0));
    assert!(ring.deliver(1));
    for node in 0..3 {
        assert!(
            ring.servers[node].holds_inconsistent(X, &vc),
            "node {node} I-cache"
        );
        assert_eq!(ring.visible(node, X), 0, "node {node} exposes it too early");
    }
    // Second lap: 2 -> 0 -> 1 -> 2.
    assert!(ring.deliver(2));
    assert!(ring.deliver(0));
    assert_eq!(
        ring.visible(2, X),
        0,
        "the tail waits for the whole second lap"
    );
    assert!(ring.deliver(1));
    assert_eq!(ring.visible(2, X), 10);
    assert!(!ring.servers[2].holds_inconsistent(X, &vc));
    // Visibility elsewhere is lazy: nothing else moved.
    assert_eq!(ring.visible(0, X), 0);
    assert_eq!(ring.visible(1, X), 0);
    assert!(
        ring.links.iter().all(VecDeque::is_empty),
        "propagation stops at the tail"
    );
}

#[test]
fn single_server_ring_loops_to_itself() {
    let mut ring = Ring::new(1);
    let mut c = ClientContext::default();
    ring.write(&mut c, 0, X, 10);
    ring.deliver_all();
    assert_eq!(ring.visible(0, X), 10);
}

#[test]
fn a_write_enters_a_consistent_cache_only_with_its_dependencies() {
    let mut ring = Ring::new(3);
    let mut c = ClientContext::default();
    // x at head 0 (tail 2), then the workflow roams and writes y at head 1
    // (tail 0); y depends on x.
    let x_vc = ring.write(&mut c, 0, X, 10);
    ring.write(&mut c, 1, Y, 20);
    assert!(c.local[&Y].deps.get(X).is_some_and(|d| x_vc.leq(d)));
    // Deliver y's two laps first; x's messages stay queued behind on links it shares.
    for _ in 0..5 {
        if !ring.deliver(1) {
            break;
        }
        ring.deliver(2);
    }
    ring.deliver_all();
    // Wherever y is visible, x is too.
    for node in 0..3 {
        if ring.visible(node, Y) == 20 {
            assert_eq!(ring.visible(node, X), 10, "node {node} exposes y without x");
        }
    }
    assert_eq!(ring.visible(0, Y), 20, "node 0 is y's tail");
}

#[test]
fn a_roaming_workflow_reads_its_writes_and_never_goes_back() {
    let mut ring = Ring::new(3);
    let mut writer = ClientContext::default();
    ring.write(&mut writer, 0, X, 10);
    // The workflow roams at once, before any propagation.
    assert_eq!(
        ring.read(&mut writer, 2, X),
        10,
        "read-your-writes across nodes"
    );
    ring.deliver_all();
    // A reader sees x at its tail, then roams to a node that only holds x in
    // its I-cache: the read integrates x instead of returning the older value.
    let mut reader = ClientContext::default();
    assert_eq!(ring.visible(1, X), 0);
    assert_eq!(ring.read(&mut reader, 2, X), 10);
    assert_eq!(
        ring.read(&mut reader, 1, X),
        10,
        "monotonic reads after roaming"
    );
    assert_eq!(ring.visible(1, X), 10);
}

#[test]
fn integration_is_transitive() {
    let mut ring = Ring::new(3);
    // w1 writes x; w2 reads it at x's tail (2), then writes y at node 1
    // (tail 0); w3 reads y at node 0 and roams to node 2... then node 1,
    // where neither is integrated: reading y pulls x along.
    let mut w1 = ClientContext::default();
    ring.write(&mut w1, 0, X, 10);
    ring.deliver_all();
    let mut w2 = ClientContext::default();
    assert_eq!(ring.read(&mut w2, 2, X), 10);
    ring.write(&mut w2, 1, Y, 20);
    ring.deliver_all();
    assert_eq!(ring.visible(1, X), 0);
    assert_eq!(ring.visible(1, Y), 0);
    let mut w3 = ClientContext::default();
    assert_eq!(ring.read(&mut w3, 0, Y), 20);
    assert_eq!(ring.read(&mut w3, 1, Y), 20);
    assert_eq!(ring.visible(1, X), 10, "y's dependency came along");
    assert_eq!(ring.read(&mut w3, 1, X), 10, "writes-follow-reads");
}

#[test]
fn concurrent_writes_converge_by_the_tie_break() {
    let mut ring = Ring::new(3);
    let (mut a, mut b) = (ClientContext::default(), ClientContext::default());
    let va = ring.write(&mut a, 0, X, 10);
    let vb = ring.write(&mut b, 1, X, 20);
    assert!(va.concurrent(&vb));
    ring.deliver_all();
    let winner = if va.privileged_over(&vb) { 10 } else { 20 };
    // Each write is visible at its own tail; a reader that saw both makes
    // every node pick the same one.
    let mut r = ClientContext::default();
    assert_eq!(ring.read(&mut r, 2, X), 10);
    ring.read(&mut r, 0, X);
    for node in [1, 2, 0] {
        assert_eq!(ring.read(&mut r, node, X), winner, "node {node}");
    }
}

#[test]
fn a_read_of_an_own_write_follows_the_tie_break_once_a_concurrent_write_is_seen() {
    let mut ring = Ring::new(3);
    let (mut a, mut b) = (ClientContext::default(), ClientContext::default());
    let own = ring.write(&mut a, 1, X, 10);
    let other = ring.write(&mut b, 0, X, 20);
    assert!(own.concurrent(&other) && other.privileged_over(&own));
    ring.write(&mut b, 0, Y, 30);
    ring.deliver_all();
    assert_eq!(
        ring.read(&mut a, 1, X),
        10,
        "nothing else seen: read-your-writes"
    );
    // y depends on b's x, so a's causal past now holds it; every replica
    // lets it win, and so must a, or the replicas' order forms a cycle.
    assert_eq!(ring.read(&mut a, 2, Y), 30);
    assert_eq!(ring.read(&mut a, 2, X), 20);
}

#[test]
fn a_read_only_transaction_is_one_causal_snapshot_with_own_writes_overlaid() {
    let mut ring = Ring::new(3);
    let mut w = ClientContext::default();
    ring.write(&mut w, 0, X, 10);
    ring.write(&mut w, 1, Y, 20); // y depends on x; its tail is node 0
    ring.deliver_all();
    // Node 0 integrated y and, with it, x; a reader sees both or neither.
    let mut r = ClientContext::default();
    assert_eq!(
        ring.txn(&mut r, 0, Op::ReadTxn(vec![Y, X])),
        Some(vec![20, 10])
    );
    // Node 1 has neither in its C-cache: the reader's dependencies pull both.
    assert_eq!(
        ring.txn(&mut r, 1, Op::ReadTxn(vec![X, Y, Z])),
        Some(vec![10, 20, 0])
    );
    // The writer's own writes overlay whatever the node holds.
    assert_eq!(
        ring.txn(&mut w, 2, Op::ReadTxn(vec![Y, X])),
        Some(vec![20, 10])
    );
}

#[test]
fn a_read_write_transactions_writes_become_visible_together() {
    let mut ring = Ring::new(3);
    let mut w = ClientContext::default();
    let op = Op::ReadWriteTxn {
        reads: vec![Z],
        writes: vec![(X, Value::tagged(10, 8)), (Y, Value::tagged(20, 8))],
    };
    assert_eq!(ring.txn(&mut w, 0, op), Some(vec![0]));
    assert_eq!(
        w.local[&X].version.vc, w.local[&Y].version.vc,
        "one clock for the transaction"
    );
    ring.deliver_all();
    // The tail (node 2) integrated both; a reader of x then reads y anywhere.
    let mut r = ClientContext::default();
    assert_eq!(ring.read(&mut r, 2, X), 10);
    assert_eq!(ring.visible(1, Y), 0);
    assert_eq!(
        ring.read(&mut r, 1, Y),
        20,
        "x's integration pulled its sibling"
    );
}

/// x and then y twice written by one workflow; the reader read x before.
fn stale_read_then_newer_dependent<const TCC: bool>(ring: &mut Ring<TCC>) -> ClientContext {
    let mut r = ClientContext::default();
    assert_eq!(ring.read(&mut r, 2, X), 0);
    let mut w = ClientContext::default();
    ring.write(&mut w, 0, X, 10);
    ring.write(&mut w, 0, Y, 20);
    ring.write(&mut w, 0, Y, 21);
    ring.deliver_all();
    r
}

#[test]
fn tcc_reads_an_older_version_that_fits_the_snapshot() {
    let mut ring: Ring<true> = Ring::with(3, DesignOptions::default());
    let mut r = stale_read_then_newer_dependent(&mut ring);
    // Node 2 is the tail of all writes: y=21 is newest but, like y=20,
    // depends on x=10, newer than the x this transaction read; the initial
    // y fits.
    assert_eq!(ring.visible(2, Y), 21);
    assert_eq!(ring.read(&mut r, 2, Y), 0);
    assert_eq!(ring.read(&mut r, 2, X), 0, "repeatable read");
}

#[test]
fn tcc_aborts_when_the_fitting_version_was_dropped_by_the_bound() {
    // With one version kept, y=20 merged into the base: the base is too new.
    let options = DesignOptions {
        tcc_versions: 1,
        ..DesignOptions::default()
    };
    let mut ring: Ring<true> = Ring::with(3, options);
    let mut r = stale_read_then_newer_dependent(&mut ring);
    assert_eq!(ring.run(&mut r, 2, Op::Read(Y)), OpResult::Aborted);
}

#[test]
fn causalmesh_without_tcc_reads_the_newest_version_and_never_aborts() {
    let mut ring = Ring::new(3);
    let mut r = stale_read_then_newer_dependent(&mut ring);
    assert_eq!(ring.read(&mut r, 2, Y), 21);
    assert_eq!(
        ring.read(&mut r, 2, X),
        10,
        "causal: after y, x is at least y's dependency"
    );
}

/// A random roaming schedule: (client, node, op) triples and, between them,
/// random deliveries on FIFO links.
#[derive(Clone, Debug)]
enum Step {
    Read {
        client: usize,
        node: usize,
        key: Key,
    },
    Write {
        client: usize,
        node: usize,
        key: Key,
    },
    Deliver {
        link: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize, 0..3usize, 0..4u64).prop_map(|(client, node, key)| Step::Read {
            client,
            node,
            key
        }),
        (0..3usize, 0..3usize, 0..4u64).prop_map(|(client, node, key)| Step::Write {
            client,
            node,
            key
        }),
        (0..3usize).prop_map(|link| Step::Deliver { link }),
        (0..3usize).prop_map(|link| Step::Deliver { link }),
    ]
}

proptest! {
    /// Under any FIFO delivery order: reads never return a version older than
    /// what the client has seen or written (the integration asserts also
    /// check the causal cut at every step in debug builds), and all nodes
    /// converge.
    #[test]
    fn random_roaming_schedules_stay_causal(steps in proptest::collection::vec(step(), 1..60)) {
        let mut ring = Ring::new(3);
                let mut clients = vec![ClientContext::default(); 3];
        let mut next_tag = 1;
        let mut clocks: std::collections::HashMap<u64, VectorClock> = Default::default();
        for s in steps {
            match s {
                Step::Read { client, node, key } => {
                    let seen = clients[client].deps.get(key).cloned();
                    let own = clients[client].local.get(&key).map(|m| (m.version.value.tag(), m.version.vc.clone()));
                    let tag = ring.read(&mut clients[client], node, key);
                    if let Some((own, own_vc)) = own {
                        // Read-your-writes: the own write, or one that wins
                        // the tie-break against it.
                        let beats = clocks.get(&tag).is_some_and(|vc| vc.lww_cmp(&own_vc).is_gt());
                        prop_assert!(tag == own || beats, "read {} over own write {}", tag, own);
                    } else if let Some(seen) = seen {
                        let now = clients[client].deps.get(key).cloned().unwrap_or_default();
                        prop_assert!(seen.leq(&now));
                        prop_assert!(seen.leq(&ring.servers[node].consistent(key).vc));
                    }
                }
                                Step::Write { client, node, key } => {
                    let vc = ring.write(&mut clients[client], node, key, next_tag);
                    clocks.insert(next_tag, vc);
                    next_tag += 1;
                }
                Step::Deliver { link } => { ring.deliver(link); }
            }
        }
        ring.deliver_all();
        // Visibility is lazy, but a reader that has seen every node's version
        // makes every node integrate the same set: they answer alike (CCv).
        let mut r = ClientContext::default();
        for key in 0..4 {
            for n in 0..3 {
                ring.read(&mut r, n, key);
            }
            let tags: Vec<u64> = (0..3).map(|n| ring.read(&mut r, n, key)).collect();
            prop_assert!(tags.iter().all(|&t| t == tags[0]), "key {} diverged: {:?}", key, tags);
        }
    }
}

proptest! {
    // The bad interleavings are rare: a read of a version, then of an older
    // state of one of its dependencies, with the newer state rejected.
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// CausalMesh-TCC: whatever the delivery order and the version bound, a
    /// transaction that has not aborted has read one causal snapshot: no
    /// value it read was written after (in the causal past of) a newer write
    /// of another key it read an older value of.
    #[test]
    fn tcc_transactions_read_causal_snapshots(
        steps in proptest::collection::vec(step(), 1..80),
        bound in 1usize..4,
    ) {
        let mut ring: Ring<true> = Ring::with(3, DesignOptions { tcc_versions: bound, ..DesignOptions::default() });
        // Clients 0..3 only read (long transactions); writers are separate.
        let mut readers = vec![ClientContext::default(); 3];
        let mut aborted = [false; 3];
        let mut read: Vec<std::collections::BTreeMap<Key, u64>> = vec![Default::default(); 3];
        let mut writers = vec![ClientContext::default(); 3];
        // Tag -> (key, clock) of every write.
        let mut written: Vec<(u64, Key, VectorClock)> = Vec::new();
        let mut next_tag = 1;
        for s in steps {
            match s {
                Step::Read { client, node, key } if !aborted[client] => {
                    match ring.run(&mut readers[client], node, Op::Read(key)) {
                        OpResult::Read(v) => {
                            let before = read[client].insert(key, v.tag());
                            prop_assert!(before.is_none_or(|b| b == v.tag()), "non-repeatable read of {}", key);
                        }
                        OpResult::Aborted => aborted[client] = true,
                        other => prop_assert!(false, "read answered {:?}", other),
                    }
                }
                Step::Read { .. } => {}
                Step::Write { client, node, key } => {
                    let vc = ring.write(&mut writers[client], node, key, next_tag);
                    written.push((next_tag, key, vc));
                    next_tag += 1;
                }
                Step::Deliver { link } => { ring.deliver(link); }
            }
        }
        let clock_of = |tag: u64| written.iter().find(|(t, ..)| *t == tag).map(|(_, _, vc)| vc.clone()).unwrap_or_default();
        for (client, reads) in read.iter().enumerate() {
            if aborted[client] {
                continue;
            }
            for (&kb, &tb) in reads {
                let wb = clock_of(tb);
                for (&ka, &ta) in reads {
                    let wa = clock_of(ta);
                    for (_, _, x) in written.iter().filter(|(_, k, _)| *k == ka) {
                        prop_assert!(
                            !x.leq(&wb) || x.leq(&wa),
                            "reader {} read {}={} whose past holds a newer {} than the {}={} it read",
                            client, kb, tb, ka, ka, ta
                        );
                    }
                }
            }
        }
    }
}

/// Two workflows that never met: one wrote x at node 0, the other y at
/// node 1, neither propagated yet. A session resumed from the merged context
/// sees both at a third node.
fn merged_past<const TCC: bool>() -> (Ring<TCC>, ClientContext) {
    let mut ring: Ring<TCC> = Ring::with(3, DesignOptions::default());
    let mut writer = ClientContext::default();
    ring.write(&mut writer, 0, X, 10);
    let mut other = ClientContext::default();
    ring.write(&mut other, 1, Y, 20);
    let mut reader = ClientContext::default();
    assert_eq!(
        ring.read(&mut reader, 1, Y),
        0,
        "y=20 is not yet integrated"
    );
    let merged = CausalMeshClient::<TCC>::merge_contexts(writer, other);
    (ring, merged)
}

#[test]
fn a_merged_context_carries_both_parents_past() {
    let (mut ring, mut merged) = merged_past::<false>();
    assert_eq!(ring.visible(2, X), 0);
    assert_eq!(ring.read(&mut merged, 2, X), 10, "the first parent's write");
    assert_eq!(
        ring.read(&mut merged, 2, Y),
        20,
        "the second parent's write"
    );
    ring.deliver_all();
    assert_eq!(
        ring.read(&mut merged, 0, X),
        10,
        "monotonic after the merge"
    );
}

#[test]
fn a_merged_tcc_context_forgets_a_remembered_read_the_other_side_overtook() {
    let (mut ring, writer) = merged_past::<true>();
    ring.deliver_all();
    // A transaction that read x=0 before x=10 existed meets the writer's past.
    let mut stale = ClientContext::default();
    let mut early: Ring<true> = Ring::with(3, DesignOptions::default());
    assert_eq!(early.read(&mut stale, 0, X), 0);
    assert_eq!(stale.read.get(&X).map(Value::tag), Some(0));
    let mut merged = CausalMeshClient::<true>::merge_contexts(stale.clone(), writer.clone());
    assert!(!merged.read.contains_key(&X), "x=0 is older than x=10");
    assert_eq!(ring.read(&mut merged, 2, X), 10);
    // A fresh session inherits the other side's remembered reads unchanged.
    let inherited = CausalMeshClient::<true>::merge_contexts(ClientContext::default(), stale);
    assert_eq!(inherited.read.get(&X).map(Value::tag), Some(0));
}
