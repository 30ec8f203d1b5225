//! A brute-force oracle for small, well-formed histories: the definitions of
//! the module documentation evaluated over an explicit transitive closure,
//! with none of the checker's machinery.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::checker::history::{OpKind, Record};
use crate::checker::{Anomaly, Guarantee};

#[derive(Clone, Copy, PartialEq)]
enum From {
    Init,
    Own,
    Node(usize),
    Missing,
}

struct Op {
    session: u64,
    seq: u64,
    txn: bool,
    reads: Vec<(u64, From)>,
    writes: Vec<u64>,
}

/// Counts per kind and per guarantee.
pub(super) type Counts = (BTreeMap<Anomaly, usize>, BTreeMap<Guarantee, usize>);

/// `reach[a][b]`: a path of at least one edge from a to b.
fn closure(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<bool>> {
    let mut reach = vec![vec![false; n]; n];
    for &(a, b) in edges {
        reach[a][b] = true;
    }
    for k in 0..n {
        let through = reach[k].clone();
        for row in reach.iter_mut().filter(|row| row[k]) {
            for (x, &y) in row.iter_mut().zip(&through) {
                *x |= y;
            }
        }
    }
    reach
}

/// Strongly connected components with a cycle, among `nodes`.
fn cyclic_classes(reach: &[Vec<bool>], nodes: impl Iterator<Item = usize>) -> usize {
    let cyclic: Vec<usize> = nodes.filter(|&m| reach[m][m]).collect();
    cyclic
        .iter()
        .filter(|&&m| {
            cyclic
                .iter()
                .all(|&o| o >= m || !(reach[m][o] && reach[o][m]))
        })
        .count()
}

pub(super) fn oracle(history: &[Record]) -> Counts {
    let mut kinds: BTreeMap<Anomaly, usize> = BTreeMap::new();
    let mut guarantees: BTreeMap<Guarantee, usize> = BTreeMap::new();
    let mut records: Vec<&Record> = history.iter().collect();
    records.sort_by_key(|r| (r.session, r.seq));

    let mut writer: HashMap<(u64, u64), usize> = HashMap::new();
    let mut aborted: HashSet<(u64, u64)> = HashSet::new();
    let mut ops: Vec<Op> = Vec::new();
    let mut committed: Vec<&Record> = Vec::new();
    for r in &records {
        let writes: Vec<(u64, u64)> = match r.kind {
            OpKind::Write => vec![(r.key.unwrap_or(0), r.value.unwrap_or(0))],
            OpKind::Txn => r.writes.clone().unwrap_or_default(),
            OpKind::Read => vec![],
        };
        if r.committed == Some(false) {
            aborted.extend(writes);
            continue;
        }
        for kv in writes {
            writer.insert(kv, committed.len());
        }
        committed.push(r);
    }
    for (i, r) in committed.iter().enumerate() {
        let pairs = match r.kind {
            OpKind::Read => vec![(r.key.unwrap_or(0), r.value.unwrap_or(0))],
            OpKind::Txn => r.reads.clone().unwrap_or_default(),
            OpKind::Write => vec![],
        };
        let reads = pairs
            .into_iter()
            .map(|(k, v)| {
                let from = match writer.get(&(k, v)) {
                    _ if v == 0 => From::Init,
                    Some(&w) if w == i => From::Own,
                    Some(&w) => From::Node(w),
                    None => From::Missing,
                };
                if from == From::Missing {
                    let kind = if aborted.contains(&(k, v)) {
                        Anomaly::AbortedRead
                    } else {
                        Anomaly::ThinAirRead
                    };
                    *kinds.entry(kind).or_default() += 1;
                }
                (k, from)
            })
            .collect();
        let writes = match r.kind {
            OpKind::Write => vec![r.key.unwrap_or(0)],
            OpKind::Txn => r.writes.iter().flatten().map(|&(k, _)| k).collect(),
            OpKind::Read => vec![],
        };
        ops.push(Op {
            session: r.session,
            seq: r.seq,
            txn: r.kind == OpKind::Txn,
            reads,
            writes,
        });
    }

    let ops = &ops;
    let n = ops.len();
    let mut edges = Vec::new();
    for a in 0..n {
        for b in 0..n {
            if ops[a].session == ops[b].session && ops[a].seq < ops[b].seq {
                edges.push((a, b));
            }
        }
        for &(_, from) in &ops[a].reads {
            if let From::Node(w) = from {
                edges.push((w, a));
            }
        }
    }
    let co = closure(n, &edges);
    let cycles = cyclic_classes(&co, 0..n);
    if cycles > 0 {
        kinds.insert(Anomaly::CyclicCO, cycles);
    }
    let checked: Vec<bool> = (0..n)
        .map(|v| !(0..n).any(|m| co[m][m] && (m == v || co[m][v])))
        .collect();

    let writes_key = |b: usize, x: u64| ops[b].writes.contains(&x);
    let prec = |w1: Option<usize>, b: usize| w1.is_none_or(|a| a != b && co[a][b]);
    let earlier = |r: usize| {
        (0..n).filter(move |&o| ops[o].session == ops[r].session && ops[o].seq < ops[r].seq)
    };
    let sources = |o: usize| {
        ops[o].reads.iter().filter_map(|&(k, f)| match f {
            From::Node(w) => Some((k, w)),
            _ => None,
        })
    };
    let mut cf_edges = Vec::new();
    for r in (0..n).filter(|&r| checked[r]) {
        for (i, &(x, from)) in ops[r].reads.iter().enumerate() {
            let w1 = match from {
                From::Init => None,
                From::Node(w) => Some(w),
                From::Own | From::Missing => continue,
            };
            let anomalous = (0..n).any(|b| writes_key(b, x) && prec(w1, b) && co[b][r]);
            if !anomalous {
                if let Some(w2) = w1 {
                    for b in (0..n).filter(|&b| b != w2 && writes_key(b, x) && co[b][r]) {
                        cf_edges.push((b, w2));
                    }
                }
                continue;
            }
            let fractured = (0..n)
                .filter(|&o| ops[o].session == ops[r].session && ops[o].seq <= ops[r].seq)
                .any(|o| sources(o).any(|(z, t)| z != x && writes_key(t, x) && prec(w1, t)));
            let torn = ops[r].txn
                && ops[r].reads.iter().enumerate().any(|(j, &(_, f))| match f {
                    From::Node(w3) if j != i => {
                        (0..n).any(|b| writes_key(b, x) && prec(w1, b) && (b == w3 || co[b][w3]))
                    }
                    _ => false,
                });
            let kind = match (fractured, torn, w1) {
                (true, _, _) => Anomaly::FracturedRead,
                (false, true, _) => Anomaly::SnapshotViolation,
                (false, false, Some(_)) => Anomaly::WriteCORead,
                (false, false, None) => Anomaly::WriteCOInitRead,
            };
            *kinds.entry(kind).or_default() += 1;

            let before = |w3: usize| {
                (0..n)
                    .filter(move |&q| ops[q].session == ops[w3].session && ops[q].seq < ops[w3].seq)
            };
            let last_write = |nodes: Vec<usize>| {
                nodes
                    .into_iter()
                    .filter(|&o| writes_key(o, x))
                    .max_by_key(|&o| ops[o].seq)
            };
            let guarantee = if last_write(earlier(r).collect()).is_some_and(|o| prec(w1, o)) {
                Some(Guarantee::ReadYourWrites)
            } else if earlier(r).any(|o| sources(o).any(|(k, w3)| k == x && prec(w1, w3))) {
                Some(Guarantee::MonotonicReads)
            } else if earlier(r).any(|o| {
                sources(o)
                    .any(|(_, w3)| last_write(before(w3).collect()).is_some_and(|q| prec(w1, q)))
            }) {
                Some(Guarantee::MonotonicWrites)
            } else if earlier(r).any(|o| {
                sources(o).any(|(_, w3)| {
                    before(w3).any(|q| sources(q).any(|(k, w2)| k == x && prec(w1, w2)))
                })
            }) {
                Some(Guarantee::WritesFollowReads)
            } else {
                None
            };
            if let Some(g) = guarantee {
                *guarantees.entry(g).or_default() += 1;
            }
        }
    }
    if !cf_edges.is_empty() {
        let mut all: Vec<(usize, usize)> = edges
            .iter()
            .copied()
            .filter(|&(a, b)| checked[a] && checked[b])
            .collect();
        all.extend(cf_edges);
        let reach = closure(n, &all);
        let cycles = cyclic_classes(&reach, (0..n).filter(|&v| checked[v]));
        if cycles > 0 {
            kinds.insert(Anomaly::CyclicCF, cycles);
        }
    }
    (kinds, guarantees)
}
