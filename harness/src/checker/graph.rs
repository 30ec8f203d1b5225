//! The history as a graph: committed operations are nodes, numbered in
//! (session, seq) order so a session's nodes are consecutive (program order,
//! PO), and every read names the node whose write it returned (read-from, RF).
//! Records that break the schema's rules become `Malformed` violations and
//! reads of values no committed operation wrote become `ThinAirRead` or
//! `AbortedRead`; all of them stay out of CO.

use std::ops::Range;

use rustc_hash::FxHashMap;

use super::history::{Op, Record, op};
use super::report::{Anomaly, OpRef, Violation};

/// Where a read's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Src {
    /// The initial value 0.
    Init,
    /// The reading transaction's own write.
    Own,
    /// The write of this node (an RF edge).
    Node(u32),
    /// No committed write: reported at build time.
    Missing,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadItem {
    pub node: u32,
    pub key: u64,
    /// Dense index of `key` among written keys; `None` if nothing writes it.
    pub key_idx: Option<u32>,
    pub value: u64,
    pub src: Src,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct WriteItem {
    pub key: u64,
    pub key_idx: u32,
    pub value: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub record: u32,
    pub session: u32,
    pub pos: u32,
    pub txn: bool,
    start_us: u64,
    reads: Range<u32>,
    writes: Range<u32>,
}

pub(crate) struct Graph<'h> {
    records: &'h [Record],
    pub nodes: Vec<Node>,
    pub reads: Vec<ReadItem>,
    writes: Vec<WriteItem>,
    /// `session_first[s]..session_first[s + 1]` are session `s`'s nodes.
    session_first: Vec<u32>,
    /// Sessions in the history, counting those with no committed operation.
    pub session_count: usize,
    pub keys: usize,
}

fn record_ref(r: &Record, role: &'static str, key: Option<u64>, value: Option<u64>) -> OpRef {
    OpRef {
        role,
        session: r.session,
        seq: r.seq,
        node: r.node,
        key,
        value,
    }
}

fn malformed(r: &Record, note: String) -> Violation {
    Violation {
        kind: Anomaly::Malformed,
        guarantee: None,
        ops: vec![record_ref(r, "record", r.key, r.value)],
        note: Some(note),
    }
}

impl<'h> Graph<'h> {
    /// Builds the graph and reports malformed records and reads with no
    /// committed write.
    pub fn build(records: &'h [Record]) -> (Graph<'h>, Vec<Violation>) {
        let mut found = Vec::new();
        // Sorted by (session, seq), ties in record order (which decides the
        // copy a repeated seq keeps); the key is inline so that sorting
        // reads no record.
        let mut ops: Vec<((u64, u64, u32), u64, Op<'h>)> = Vec::with_capacity(records.len());
        let mut malformed_sessions = Vec::new();
        for (i, r) in records.iter().enumerate() {
            match op(r) {
                Ok(o) => ops.push(((r.session, r.seq, i as u32), r.start_us, o)),
                Err(e) => {
                    malformed_sessions.push(r.session);
                    found.push(malformed(r, e.to_string()));
                }
            }
        }
        ops.sort_unstable_by_key(|&(k, _, _)| k);
        let session_count = {
            let distinct = usize::from(!ops.is_empty())
                + ops.windows(2).filter(|p| p[0].0.0 != p[1].0.0).count();
            malformed_sessions.sort_unstable();
            malformed_sessions.dedup();
            let known = |s: &u64| ops.binary_search_by_key(s, |&((x, _, _), _, _)| x).is_ok();
            let only_malformed = malformed_sessions.iter().filter(|s| !known(s)).count();
            distinct + only_malformed
        };

        // Differentiated histories (§2.1): each (key, value) written once.
        let pairs: usize = ops
            .iter()
            .map(|(_, _, o)| match o {
                Op::Write { .. } => 1,
                Op::Txn { writes, .. } => writes.len(),
                Op::Read { .. } => 0,
            })
            .sum();
        let mut written: FxHashMap<(u64, u64), u32> =
            FxHashMap::with_capacity_and_hasher(pairs, Default::default());
        let mut kept: Vec<(u32, u64, u64, Op<'h>)> = Vec::with_capacity(ops.len());
        for (k, &((session, seq, i), start_us, o)) in ops.iter().enumerate() {
            if k > 0 && {
                let ((s, q, _), _, _) = ops[k - 1];
                (s, q) == (session, seq)
            } {
                found.push(malformed(
                    &records[i as usize],
                    format!("repeats seq {seq} of its session"),
                ));
                continue;
            }
            let single;
            let ws: &[(u64, u64)] = match o {
                Op::Write { key, value } => {
                    single = [(key, value)];
                    &single
                }
                Op::Txn { writes, .. } => writes,
                Op::Read { .. } => &[],
            };
            if let Some(&(key, value)) = ws.iter().find(|kv| written.contains_key(kv)) {
                found.push(malformed(
                    &records[i as usize],
                    format!("writes key {key} = {value}, which another record wrote"),
                ));
                continue;
            }
            // An aborted transaction's writes are known (reads of them are
            // AbortedRead) but it is no node.
            written.extend(ws.iter().map(|&kv| (kv, i)));
            if !matches!(
                o,
                Op::Txn {
                    committed: false,
                    ..
                }
            ) {
                kept.push((i, session, start_us, o));
            }
        }

        let mut g = Graph {
            records,
            nodes: Vec::new(),
            reads: Vec::new(),
            writes: Vec::new(),
            session_first: Vec::new(),
            session_count,
            keys: 0,
        };
        let mut node_of_record = vec![u32::MAX; records.len()];
        let mut key_idx: FxHashMap<u64, u32> = FxHashMap::default();
        let mut last_session = None;
        for &(i, session_id, start_us, o) in &kept {
            let pairs = match o {
                Op::Txn { writes, .. } => writes,
                _ => &[][..],
            };
            if last_session != Some(session_id) {
                last_session = Some(session_id);
                g.session_first.push(g.nodes.len() as u32);
            }
            let session = g.session_first.len() as u32 - 1;
            let n = g.nodes.len() as u32;
            node_of_record[i as usize] = n;
            let start = g.writes.len() as u32;
            let single = match o {
                Op::Write { key, value } => Some((key, value)),
                _ => None,
            };
            for &(key, value) in pairs.iter().chain(single.iter()) {
                let next = key_idx.len() as u32;
                let key_idx = *key_idx.entry(key).or_insert(next);
                g.writes.push(WriteItem {
                    key,
                    key_idx,
                    value,
                });
            }
            g.nodes.push(Node {
                record: i,
                session,
                pos: n - g.session_first[session as usize],
                txn: matches!(o, Op::Txn { .. }),
                start_us,
                reads: 0..0,
                writes: start..g.writes.len() as u32,
            });
        }
        g.session_first.push(g.nodes.len() as u32);
        g.keys = key_idx.len();

        for (n, &(i, _, _, o)) in kept.iter().enumerate() {
            let i = i as usize;
            let r = &records[i];
            let single;
            let pairs = match o {
                Op::Read { key, value } => {
                    single = [(key, value)];
                    &single[..]
                }
                Op::Txn { reads, .. } => reads,
                Op::Write { .. } => &[],
            };
            let start = g.reads.len() as u32;
            for &(key, value) in pairs {
                let src = match written.get(&(key, value)) {
                    _ if value == 0 => Src::Init,
                    Some(&w) if w as usize == i => Src::Own,
                    Some(&w) if node_of_record[w as usize] != u32::MAX => {
                        Src::Node(node_of_record[w as usize])
                    }
                    Some(&w) => {
                        found.push(Violation {
                            kind: Anomaly::AbortedRead,
                            guarantee: None,
                            ops: vec![
                                record_ref(r, "read", Some(key), Some(value)),
                                record_ref(
                                    &records[w as usize],
                                    "aborted writer",
                                    Some(key),
                                    Some(value),
                                ),
                            ],
                            note: None,
                        });
                        Src::Missing
                    }
                    None => {
                        found.push(Violation {
                            kind: Anomaly::ThinAirRead,
                            guarantee: None,
                            ops: vec![record_ref(r, "read", Some(key), Some(value))],
                            note: None,
                        });
                        Src::Missing
                    }
                };
                g.reads.push(ReadItem {
                    node: n as u32,
                    key,
                    key_idx: key_idx.get(&key).copied(),
                    value,
                    src,
                });
            }
            g.nodes[n].reads = start..g.reads.len() as u32;
        }
        (g, found)
    }

    pub fn sessions(&self) -> usize {
        self.session_first.len() - 1
    }

    pub fn session_nodes(&self, s: u32) -> Range<u32> {
        self.session_first[s as usize]..self.session_first[s as usize + 1]
    }

    /// The node after `n` in its session.
    pub fn po_next(&self, n: u32) -> Option<u32> {
        let next = n + 1;
        (next < self.session_first[self.nodes[n as usize].session as usize + 1]).then_some(next)
    }

    pub fn read_range(&self, n: u32) -> Range<usize> {
        let r = &self.nodes[n as usize].reads;
        r.start as usize..r.end as usize
    }

    pub fn reads_of(&self, n: u32) -> &[ReadItem] {
        &self.reads[self.read_range(n)]
    }

    /// Indices of `n`'s write items among all of the graph's.
    pub fn write_range(&self, n: u32) -> Range<usize> {
        let w = &self.nodes[n as usize].writes;
        w.start as usize..w.end as usize
    }

    pub fn write_items(&self) -> usize {
        self.writes.len()
    }

    pub fn writes_of(&self, n: u32) -> &[WriteItem] {
        &self.writes[self.write_range(n)]
    }

    /// `n`'s write of the key with dense index `k`.
    pub fn write_of(&self, n: u32, k: u32) -> Option<&WriteItem> {
        self.writes_of(n).iter().find(|w| w.key_idx == k)
    }

    pub fn start_us(&self, n: u32) -> u64 {
        self.nodes[n as usize].start_us
    }

    pub fn op_ref(&self, n: u32, role: &'static str, key: u64, value: u64) -> OpRef {
        let r = &self.records[self.nodes[n as usize].record as usize];
        record_ref(r, role, Some(key), Some(value))
    }

    /// `n` named by its first write or else its first read.
    pub fn op_ref_any(&self, n: u32, role: &'static str) -> OpRef {
        let r = &self.records[self.nodes[n as usize].record as usize];
        let kv = self
            .writes_of(n)
            .first()
            .map(|w| (w.key, w.value))
            .or_else(|| self.reads_of(n).first().map(|x| (x.key, x.value)));
        record_ref(r, role, kv.map(|kv| kv.0), kv.map(|kv| kv.1))
    }
}
