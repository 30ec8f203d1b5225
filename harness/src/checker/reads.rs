//! The read patterns, decided at each read from the CO-maximal writes of its
//! key in the reader's strict causal past that are not CO-below the write it
//! returned, and the session guarantee each anomalous read breaks.

use super::bits::Bits;
use super::causal_past::Pasts;
use super::graph::{Graph, ReadItem, Src};
use super::report::{Anomaly, Guarantee, OpRef, Violation};

/// A conflict edge `from` CF `to`, shown by read item `read` (index into
/// `Graph::reads`): the read returns `to` although `from` is CO-before it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Conflict {
    pub from: u32,
    pub to: u32,
    pub read: u32,
}

/// Checks the reads of node `n` against its strict past; reads that are not
/// anomalous contribute their CF edges. `maximal` is scratch space.
pub(crate) fn check_node(
    g: &Graph<'_>,
    pasts: &Pasts<'_>,
    n: u32,
    past: &Bits,
    found: &mut Vec<Violation>,
    conflicts: &mut Vec<Conflict>,
    maximal: &mut Vec<u32>,
) {
    for i in g.read_range(n) {
        let r = &g.reads[i];
        let w1 = match r.src {
            Src::Init => None,
            Src::Node(w) => Some(w),
            Src::Own | Src::Missing => continue,
        };
        pasts.not_below(r.key_idx, w1, past, maximal);
        // WriteCORead / WriteCOInitRead: some write w2 of the key with
        // w1 CO w2 CO r. Such a write is not CO-below w1 and lies below a
        // maximal one, so it suffices to look among those.
        match maximal.iter().find(|&&a| pasts.precedes(w1, a)) {
            Some(&w2) => found.push(classify(g, pasts, i, w1, w2)),
            None => {
                // The other maximal writes of the past are CO-below w1: CO
                // edges already order them before it.
                if let Some(w) = w1 {
                    conflicts.extend(maximal.iter().map(|&a| Conflict {
                        from: a,
                        to: w,
                        read: i as u32,
                    }));
                }
            }
        }
    }
}

fn write_ref(g: &Graph<'_>, w: u32, key_idx: Option<u32>, role: &'static str) -> OpRef {
    match key_idx.and_then(|k| g.write_of(w, k)) {
        Some(x) => g.op_ref(w, role, x.key, x.value),
        None => g.op_ref_any(w, role),
    }
}

/// The most specific kind of an anomalous read `i` (of `w1`, overwritten by
/// `w2`), its guarantee and the operations involved.
fn classify(g: &Graph<'_>, pasts: &Pasts<'_>, i: usize, w1: Option<u32>, w2: u32) -> Violation {
    let r = &g.reads[i];
    let n = r.node;
    let mut ops = vec![g.op_ref(n, "read", r.key, r.value)];
    if let Some(w) = w1 {
        ops.push(g.op_ref(w, "reads from", r.key, r.value));
    }
    let kind = if let Some((o, t)) = fractured(g, pasts, r, w1) {
        ops.push(write_ref(g, t, r.key_idx, "txn overwrites"));
        let other = &g.reads[o];
        ops.push(g.op_ref(other.node, "read txn's", other.key, other.value));
        Anomaly::FracturedRead
    } else if let Some((o, w2)) = torn_snapshot(g, pasts, i, w1) {
        ops.push(write_ref(g, w2, r.key_idx, "overwritten by"));
        let other = &g.reads[o];
        ops.push(g.op_ref(n, "same txn reads", other.key, other.value));
        Anomaly::SnapshotViolation
    } else {
        ops.push(write_ref(g, w2, r.key_idx, "overwritten by"));
        if w1.is_some() {
            Anomaly::WriteCORead
        } else {
            Anomaly::WriteCOInitRead
        }
    };
    Violation {
        kind,
        guarantee: guarantee(g, pasts, r, w1),
        ops,
        note: None,
    }
}

/// FracturedRead (atomic visibility): an operation of the reader's session at
/// or before the read read another key from a transaction T that wrote the
/// read's key with a value CO-after `w1`. Returns (that read item, T).
fn fractured(
    g: &Graph<'_>,
    pasts: &Pasts<'_>,
    r: &ReadItem,
    w1: Option<u32>,
) -> Option<(usize, u32)> {
    let k = r.key_idx?;
    let s = g.nodes[r.node as usize].session;
    (g.session_nodes(s).start..=r.node).find_map(|o| {
        g.read_range(o).find_map(|j| {
            let other = &g.reads[j];
            match other.src {
                Src::Node(t)
                    if other.key != r.key
                        && g.write_of(t, k).is_some()
                        && pasts.precedes(w1, t) =>
                {
                    Some((j, t))
                }
                _ => None,
            }
        })
    })
}

/// SnapshotViolation: the read belongs to a transaction and another read of
/// the same transaction returned a write w3 with w1 CO w2 and w2 = w3 or
/// w2 CO w3, for some write w2 of the key. Returns (that read item, w2).
fn torn_snapshot(
    g: &Graph<'_>,
    pasts: &Pasts<'_>,
    i: usize,
    w1: Option<u32>,
) -> Option<(usize, u32)> {
    let r = &g.reads[i];
    if !g.nodes[r.node as usize].txn {
        return None;
    }
    g.read_range(r.node).filter(|&j| j != i).find_map(|j| {
        let Src::Node(w3) = g.reads[j].src else {
            return None;
        };
        let mut maximal = Vec::new();
        // w3 itself may be w2: its past is inclusive.
        pasts.not_below(r.key_idx, w1, pasts.past_of(w3)?, &mut maximal);
        maximal
            .into_iter()
            .find(|&a| pasts.precedes(w1, a))
            .map(|w2| (j, w2))
    })
}

/// The session guarantee an anomalous read breaks, tried in this order (s is
/// the reader's session; "earlier" means PO-before the reading operation):
/// - read-your-writes: s's last earlier write of the key is CO-after w1;
/// - monotonic reads: an earlier read of s returned a write of the key
///   CO-after w1;
/// - monotonic writes: an earlier read of s returned a write of a session t,
///   and t's last write of the key PO-before that write is CO-after w1;
/// - writes-follow-reads: an earlier read of s returned a write of a session
///   t, and a read of the key PO-before that write in t returned a write
///   CO-after w1;
/// - none: the newer write reached s only through longer causal chains.
///
/// The work is linear in the sessions' lengths; it is only done for anomalies.
fn guarantee(g: &Graph<'_>, pasts: &Pasts<'_>, r: &ReadItem, w1: Option<u32>) -> Option<Guarantee> {
    let k = r.key_idx?;
    let s = g.nodes[r.node as usize].session;
    let earlier = g.session_nodes(s).start..r.node;
    let last_write =
        |nodes: std::ops::Range<u32>| nodes.rev().find(|&o| g.write_of(o, k).is_some());
    if last_write(earlier.clone()).is_some_and(|o| pasts.precedes(w1, o)) {
        return Some(Guarantee::ReadYourWrites);
    }
    let sources = || {
        earlier
            .clone()
            .flat_map(|o| g.reads_of(o))
            .filter_map(|x| match x.src {
                Src::Node(w) => Some((x, w)),
                _ => None,
            })
    };
    if sources().any(|(x, w3)| x.key == r.key && pasts.precedes(w1, w3)) {
        return Some(Guarantee::MonotonicReads);
    }
    let before = |w3: u32| g.session_nodes(g.nodes[w3 as usize].session).start..w3;
    if sources().any(|(_, w3)| last_write(before(w3)).is_some_and(|q| pasts.precedes(w1, q))) {
        return Some(Guarantee::MonotonicWrites);
    }
    let read_newer = |w3: u32| {
        before(w3).flat_map(|q| g.reads_of(q)).any(|x| match x.src {
            Src::Node(w2) => x.key == r.key && pasts.precedes(w1, w2),
            _ => false,
        })
    };
    if sources().any(|(_, w3)| read_newer(w3)) {
        return Some(Guarantee::WritesFollowReads);
    }
    None
}
