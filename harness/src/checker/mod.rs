//! The history checker: is a recorded history causally consistent?
//!
//! # Definitions
//! Bouajjani, Enea, Guerraoui, Hamza, *On Verifying Causal Consistency*
//! (POPL'17). Histories are differentiated: each (key, value) is written at
//! most once and 0 is every key's initial value, so each read names the write
//! it returned (read-from, RF). Nodes are the committed operations (reads,
//! writes, committed transactions); an aborted transaction takes no part.
//! Program order PO orders each session's nodes by `seq`; causal order is
//! CO = (PO ∪ RF)⁺. A transaction is one node: its reads and writes share one
//! place in CO, and its read of a value it wrote itself is no RF edge.
//!
//! Bad patterns (a history is CC iff it has none; CCv iff also no CyclicCF):
//! - **ThinAirRead**: a read returns a non-zero value no committed operation
//!   wrote; **AbortedRead** when only an aborted transaction wrote it.
//! - **CyclicCO**: CO has a cycle. Reported once per strongly connected
//!   component of PO ∪ RF, with one cycle. Operations on or after a cycle
//!   are not checked for the patterns below (CO is no order there).
//! - **WriteCOInitRead**: a read of x returns 0 although a write of x is
//!   CO-before it.
//! - **WriteCORead**: a read r of x returns w1 although some write w2 of x has
//!   w1 CO w2 CO r.
//! - **FracturedRead** (atomic visibility): an anomalous read r of x, where an
//!   operation of r's session at or before r (r itself included) read another
//!   key from a transaction T that wrote x with a value CO-after w1.
//! - **SnapshotViolation**: an anomalous read of a transaction, where another
//!   read of the same transaction returned w3 with w1 CO w2 and (w2 = w3 or
//!   w2 CO w3) for a write w2 of x: the transaction did not read one causal
//!   snapshot.
//! - **CyclicCF**: w1 CF w2 when both write x, w1 ≠ w2, and some read r
//!   returns w2 with w1 CO r (r arbitrates w1 before w2); CF ∪ CO has a cycle.
//!   Only reads that are not anomalous contribute CF edges (an anomalous read
//!   already closes such a cycle and is reported as such). Reported once per
//!   strongly connected component of PO ∪ RF ∪ CF over checked operations.
//!
//! Each anomalous read is reported once, under the first kind that applies of
//! FracturedRead, SnapshotViolation, WriteCORead / WriteCOInitRead (the
//! first two imply the third). Its session guarantee is attributed by the
//! rule documented on `reads::guarantee`: read-your-writes if the reader's own
//! earlier write is the newer one, monotonic reads if the reader read the
//! newer one before, monotonic writes if the reader read a later write of the
//! session that wrote the newer one, writes-follow-reads if the reader read
//! a write of a session that had read the newer one, otherwise none.
//!
//! # Algorithm
//! 1. Build the graph; order it topologically by Kahn's algorithm, earliest
//!    `start_us` first. What it cannot order holds the CO cycles (Tarjan's
//!    SCCs over the rest).
//! 2. In that order, compute each node's causal past (`causal_past`): per
//!    session the length of the PO prefix it holds (a sparse vector clock) and
//!    per frequently written key the CO-maximal writes in it (the frontier),
//!    both persistent maps; a rarely written key's maximal writes are found by
//!    scanning its writes. A read r of x returning w1 is anomalous iff some
//!    maximal write of x in r's strict past is CO-after w1 (any maximal one
//!    for the initial value): every write in the past lies below a maximal
//!    one. CO between two writes is one clock lookup.
//! 3. Non-anomalous reads add CF edges from the other maximal writes of their
//!    key (enough: any other write CO-before the read lies CO-below one of
//!    them); Kahn's algorithm over PO ∪ RF ∪ CF finds CyclicCF.
//!
//! # Complexity
//! n operations, e reads, S sessions, d = log16 of S or of the key count.
//! Graph building, Kahn and Tarjan are O((n + e) log n). Dense vector clocks
//! would cost O(n · S); instead a node starts from its largest predecessor's
//! past and walks back from each other predecessor only through operations
//! that past lacks. The total is O((n + e) · d · w + M · d · w), where w is
//! the width of a key's maximal writes (the writes of one key concurrent with
//! a read; at most 128, `FRONTIER_MIN_WRITES`, for a rare key) and M
//! is the sum over merges of what the smaller past adds: the operations
//! concurrent with the reader, about 30 per operation on the benchmark's
//! histories (64 sessions in flight). M is quadratic only when long-separated
//! histories meet again and again. Memory: a path copy of each map per write
//! (about 2 kB). Measured (`cargo bench -p harness --bench checker`; one size
//! alone with `CHECKER_OPS=N`): 10^5 operations in 0.4 s, 10^6 (200,000
//! sessions, 100,000 Zipf keys) in about 12 s and 2.1 GB peak RSS on an idle
//! 2-core machine (75 s while four other builds shared it).
//! That is not near-linear, for two reasons: M per operation still grows on
//! these histories (the walks visit 5.5 operations per operation at 10^4,
//! 22 at 10^5, 28 at 3·10^5), and each visited operation costs a few lookups
//! of depth log16 S in maps that outgrow the caches (a profile shows a third
//! of the time in the walk's lookups and a quarter in allocation and
//! reference counting). Joining two pasts' maps structurally instead of
//! walking (descending only where the trees' pointers differ) was 1.7 times
//! faster at 10^5 but far slower (over 9 CPU minutes, unfinished) and over
//! 3.9 GB at 10^6: pasts built along
//! different paths hold equal subtrees under different pointers, so the joins
//! keep descending into them.

mod bits;
mod causal_past;
mod cycles;
mod graph;
pub mod history;
mod reads;
mod report;

#[cfg(test)]
mod tests;

pub use report::{Anomaly, Guarantee, OpRef, Report, SHOWN, Shown, Violation};

use causal_past::Pasts;
use cycles::{Digraph, Label, View};
use graph::{Graph, Src};
use history::Record;

/// Checks `history` for causal consistency (and convergence); never panics on
/// any input.
pub fn check(history: &[Record]) -> Report {
    check_with(history, causal_past::SCAN_BELOW_WRITES)
}

/// [`check`], scanning the writes of the keys written fewer than
/// `scan_below_writes` times (the tests check both ways of finding
/// maximal writes against the oracle).
fn check_with(history: &[Record], scan_below_writes: usize) -> Report {
    let (g, mut found) = Graph::build(history);
    let n = g.nodes.len();
    let mut edges: Vec<(u32, u32, Label)> = Vec::with_capacity(n + g.reads.len());
    edges.extend((0..n as u32).filter_map(|v| g.po_next(v).map(|m| (v, m, Label::Po))));
    edges.extend(g.reads.iter().enumerate().filter_map(|(i, r)| match r.src {
        Src::Node(w) => Some((w, r.node, Label::Rf(i as u32))),
        _ => None,
    }));
    let co = Digraph::new(n, &edges);
    drop(edges);

    let all = vec![true; n];
    // In real-time order as far as CO allows: few sessions are in progress
    // at once, so few pasts are held.
    let order = View {
        graphs: &[&co],
        include: &all,
    }
    .topological_order(|v| g.start_us(v));
    let mut checked = vec![false; n];
    for &v in &order {
        checked[v as usize] = true;
    }
    if order.len() < n {
        let rest: Vec<bool> = checked.iter().map(|c| !c).collect();
        report_cycles(&g, &[&co], &rest, Anomaly::CyclicCO, &mut found);
    }

    let mut pasts = Pasts::new(&g, &order, scan_below_writes);
    let mut conflicts = Vec::new();
    let mut maximal = Vec::new();
    for &v in &order {
        let past = pasts.enter(v);
        reads::check_node(
            &g,
            &pasts,
            v,
            &past,
            &mut found,
            &mut conflicts,
            &mut maximal,
        );
        pasts.leave(v, past);
    }
    drop(pasts);

    if !conflicts.is_empty() {
        let cf_edges: Vec<(u32, u32, Label)> = conflicts
            .iter()
            .map(|c| (c.from, c.to, Label::Cf(c.read)))
            .collect();
        let cf = Digraph::new(n, &cf_edges);
        let graphs = [&co, &cf];
        let ordered = View {
            graphs: &graphs,
            include: &checked,
        }
        .topological_order(|_| 0);
        if ordered.len() < order.len() {
            let mut rest = checked.clone();
            for &v in &ordered {
                rest[v as usize] = false;
            }
            report_cycles(&g, &graphs, &rest, Anomaly::CyclicCF, &mut found);
        }
    }

    found.sort_by_key(|v| (v.kind, v.ops.first().map(|o| (o.session, o.seq))));
    Report {
        operations: history.len(),
        sessions: g.session_count,
        unchecked: n - order.len(),
        violations: found,
    }
}

/// One violation per cyclic component of the `graphs` over `include`.
fn report_cycles(
    g: &Graph<'_>,
    graphs: &[&Digraph],
    include: &[bool],
    kind: Anomaly,
    found: &mut Vec<Violation>,
) {
    let view = View { graphs, include };
    for component in view.cyclic_components() {
        let mut ops = Vec::new();
        for (v, label) in view.cycle_in(&component) {
            match label {
                Label::Po => ops.push(g.op_ref_any(v, "PO-before next")),
                Label::Rf(i) => {
                    let r = &g.reads[i as usize];
                    ops.push(g.op_ref(v, "read by next", r.key, r.value));
                }
                Label::Cf(i) => {
                    let r = &g.reads[i as usize];
                    let own = r.key_idx.and_then(|k| g.write_of(v, k));
                    ops.push(match own {
                        Some(w) => g.op_ref(v, "CF-before next", w.key, w.value),
                        None => g.op_ref_any(v, "CF-before next"),
                    });
                    ops.push(g.op_ref(r.node, "as seen by", r.key, r.value));
                }
            }
        }
        found.push(Violation {
            kind,
            guarantee: None,
            ops,
            note: None,
        });
    }
}
