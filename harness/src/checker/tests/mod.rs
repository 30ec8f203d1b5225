//! One valid and one invalid history per kind of violation, then the checker
//! against a brute-force oracle on random histories (`random`).

mod oracle;
mod random;
mod retirement;

use super::graph::Graph;
use super::history::{OpKind, Record};
use super::witness::{Tuning, proves_ccv};
use super::{Anomaly, Guarantee, Report, causal_order, check};

fn record(session: u64, seq: u64, node: u64, kind: OpKind) -> Record {
    Record {
        session,
        seq,
        node,
        kind,
        key: None,
        value: None,
        reads: None,
        writes: None,
        committed: None,
        start_us: seq * 10,
        end_us: seq * 10 + 5,
    }
}

/// A read of `key` returning `value` at (session, seq), on cache node `node`.
pub(super) fn read(session: u64, seq: u64, node: u64, key: u64, value: u64) -> Record {
    Record {
        key: Some(key),
        value: Some(value),
        ..record(session, seq, node, OpKind::Read)
    }
}

pub(super) fn write(session: u64, seq: u64, node: u64, key: u64, value: u64) -> Record {
    Record {
        key: Some(key),
        value: Some(value),
        ..record(session, seq, node, OpKind::Write)
    }
}

pub(super) fn txn(
    session: u64,
    seq: u64,
    reads: &[(u64, u64)],
    writes: &[(u64, u64)],
    committed: bool,
) -> Record {
    Record {
        reads: Some(reads.to_vec()),
        writes: Some(writes.to_vec()),
        committed: Some(committed),
        ..record(session, seq, 0, OpKind::Txn)
    }
}

/// Whether the witness proves `history` CCv with windows of at most
/// `window_words`.
pub(super) fn proves(history: &[Record], window_words: usize) -> bool {
    let (g, found) = Graph::build(history);
    let (co, order) = causal_order(&g);
    let tuning = Tuning {
        window_words,
        ..Tuning::DEFAULT
    };
    found.is_empty() && order.len() == g.nodes.len() && proves_ccv(&g, &co, &order, tuning)
}

fn found(report: &Report) -> Vec<(Anomaly, Option<Guarantee>)> {
    report
        .violations
        .iter()
        .map(|v| (v.kind, v.guarantee))
        .collect()
}

fn assert_valid(history: &[Record]) {
    let report = check(history);
    assert_eq!(report.total(), 0, "{report}");
}

fn assert_found(history: &[Record], expected: &[(Anomaly, Option<Guarantee>)]) -> Report {
    let report = check(history);
    assert_eq!(found(&report), expected, "{report}");
    report
}

const X: u64 = 1;
const Y: u64 = 2;

#[test]
fn roaming_workflow_must_read_its_own_write() {
    // Session 1 writes x at node A (0), its next function runs at node B (1).
    let wrote = write(1, 0, 0, X, 11);
    assert_valid(&[wrote.clone(), read(1, 1, 1, X, 11)]);
    let report = assert_found(
        &[wrote.clone(), read(1, 1, 1, X, 0)],
        &[(Anomaly::WriteCOInitRead, Some(Guarantee::ReadYourWrites))],
    );
    let ops = &report.violations[0].ops;
    assert_eq!((ops[0].session, ops[0].seq, ops[0].node), (1, 1, 1));
    assert_eq!(
        (ops[1].seq, ops[1].key, ops[1].value),
        (0, Some(X), Some(11))
    );
    // Another session's older value is as stale as the initial one.
    assert_found(
        &[
            write(2, 0, 0, X, 7),
            read(1, 0, 0, X, 7),
            write(1, 1, 0, X, 11),
            read(1, 2, 1, X, 7),
        ],
        &[(Anomaly::WriteCORead, Some(Guarantee::ReadYourWrites))],
    );
}

#[test]
fn monotonic_reads() {
    let writes = [write(1, 0, 0, X, 11), write(1, 1, 0, X, 12)];
    let history = |first, second| {
        let mut h = writes.to_vec();
        h.extend([read(2, 0, 1, X, first), read(2, 1, 2, X, second)]);
        h
    };
    assert_valid(&history(11, 12));
    assert_found(
        &history(12, 11),
        &[(Anomaly::WriteCORead, Some(Guarantee::MonotonicReads))],
    );
}

#[test]
fn monotonic_writes() {
    let writes = [write(1, 0, 0, X, 11), write(1, 1, 0, Y, 21)];
    let history = |x| {
        let mut h = writes.to_vec();
        h.extend([read(2, 0, 1, Y, 21), read(2, 1, 1, X, x)]);
        h
    };
    assert_valid(&history(11));
    assert_found(
        &history(0),
        &[(Anomaly::WriteCOInitRead, Some(Guarantee::MonotonicWrites))],
    );
}

#[test]
fn writes_follow_reads() {
    // Session 2 writes y after reading x = 11; session 3 reads that y, then x.
    let history = |x| {
        vec![
            write(1, 0, 0, X, 11),
            read(2, 0, 1, X, 11),
            write(2, 1, 1, Y, 21),
            read(3, 0, 2, Y, 21),
            read(3, 1, 2, X, x),
        ]
    };
    assert_valid(&history(11));
    assert_found(
        &history(0),
        &[(Anomaly::WriteCOInitRead, Some(Guarantee::WritesFollowReads))],
    );
}

#[test]
fn transitive_causality_breaks_no_single_guarantee() {
    // x = 11 reaches session 4 through two other sessions' read-then-write.
    let history = |x| {
        vec![
            write(1, 0, 0, X, 11),
            read(2, 0, 0, X, 11),
            write(2, 1, 0, Y, 21),
            read(3, 0, 0, Y, 21),
            write(3, 1, 0, 3, 31),
            read(4, 0, 0, 3, 31),
            read(4, 1, 0, X, x),
        ]
    };
    assert_valid(&history(11));
    assert_found(&history(0), &[(Anomaly::WriteCOInitRead, None)]);
}

#[test]
fn cyclic_co() {
    assert_valid(&[write(1, 0, 0, X, 11), read(2, 0, 0, X, 11)]);
    // Each session reads what the other writes afterwards.
    let report = assert_found(
        &[
            read(1, 0, 0, Y, 21),
            write(1, 1, 0, X, 11),
            read(2, 0, 0, X, 11),
            write(2, 1, 0, Y, 21),
            read(3, 0, 0, X, 11),
        ],
        &[(Anomaly::CyclicCO, None)],
    );
    assert_eq!(report.violations[0].ops.len(), 4);
    assert_eq!(report.unchecked, 5, "the cycle and what follows it");
    // A read of the session's own later write.
    assert_found(
        &[read(1, 0, 0, X, 11), write(1, 1, 0, X, 11)],
        &[(Anomaly::CyclicCO, None)],
    );
}

#[test]
fn thin_air_read() {
    assert_valid(&[]);
    assert_valid(&[read(1, 0, 0, X, 0)]);
    assert_found(&[read(1, 0, 0, X, 7)], &[(Anomaly::ThinAirRead, None)]);
}

#[test]
fn aborted_read() {
    let history = |committed| vec![txn(1, 0, &[], &[(X, 11)], committed), read(2, 0, 0, X, 11)];
    assert_valid(&history(true));
    let report = assert_found(&history(false), &[(Anomaly::AbortedRead, None)]);
    assert_eq!(report.violations[0].ops[1].role, "aborted writer");
}

#[test]
fn cyclic_cf_two_sessions_see_two_writes_in_opposite_orders() {
    let history = |last| {
        vec![
            write(1, 0, 0, X, 11),
            write(2, 0, 1, X, 12),
            read(3, 0, 0, X, 11),
            read(3, 1, 0, X, 12),
            read(4, 0, 1, X, 12),
            read(4, 1, 1, X, last),
        ]
    };
    assert_valid(&history(12));
    let report = assert_found(&history(11), &[(Anomaly::CyclicCF, None)]);
    let roles: Vec<_> = report.violations[0].ops.iter().map(|o| o.role).collect();
    assert_eq!(
        roles,
        [
            "CF-before next",
            "as seen by",
            "CF-before next",
            "as seen by"
        ]
    );
}

/// x = 12 starts after x = 11 but a read returning x = 11 has x = 12 in its
/// past: the witness's first order, by start, is contradicted, and the
/// second, with x = 12 first, proves the history. A session that then reads
/// x = 11 before x = 12 closes a CF cycle, which no order can witness.
#[test]
fn witness_reorders_concurrent_writes_read_against_their_start_order() {
    let mut history = vec![
        write(1, 0, 0, X, 11),
        write(2, 0, 1, X, 12),
        write(2, 1, 1, Y, 21),
        read(3, 0, 0, Y, 21),
        read(3, 1, 0, X, 11),
    ];
    for (r, start) in history.iter_mut().zip([10, 15, 16, 20, 21]) {
        r.start_us = start;
    }
    assert!(proves(&history, Tuning::DEFAULT.window_words));
    assert_valid(&history);
    history.extend([read(4, 0, 1, X, 11), read(4, 1, 1, X, 12)]);
    assert!(!proves(&history, Tuning::DEFAULT.window_words));
    assert_found(&history, &[(Anomaly::CyclicCF, None)]);
}

#[test]
fn fractured_read_of_a_transaction() {
    let writer = txn(1, 0, &[], &[(X, 11), (Y, 21)], true);
    let history = |y| vec![writer.clone(), read(2, 0, 0, X, 11), read(2, 1, 0, Y, y)];
    assert_valid(&history(21));
    assert_found(&history(0), &[(Anomaly::FracturedRead, None)]);
    // Both reads in one read-only transaction.
    assert_valid(&[writer.clone(), txn(2, 0, &[(X, 11), (Y, 21)], &[], true)]);
    assert_found(
        &[writer, txn(2, 0, &[(X, 11), (Y, 0)], &[], true)],
        &[(Anomaly::FracturedRead, None)],
    );
}

#[test]
fn snapshot_violation_in_one_transaction() {
    // y = 21 was written after reading x = 11: a snapshot holding y holds x.
    let history = |x| {
        vec![
            write(1, 0, 0, X, 11),
            read(2, 0, 0, X, 11),
            write(2, 1, 0, Y, 21),
            txn(3, 0, &[(X, x), (Y, 21)], &[], true),
        ]
    };
    assert_valid(&history(11));
    assert_found(&history(0), &[(Anomaly::SnapshotViolation, None)]);
}

#[test]
fn transactions_read_their_own_writes_and_concurrent_writes_are_fine() {
    assert_valid(&[
        txn(1, 0, &[(X, 11), (Y, 0)], &[(X, 11)], true),
        write(2, 0, 0, X, 12),
        read(3, 0, 0, X, 12),
        read(4, 0, 0, X, 11),
    ]);
}

#[test]
fn malformed_records_are_reported_and_left_out() {
    let mut no_value = read(3, 0, 0, X, 1);
    no_value.value = None;
    let report = check(&[
        write(1, 0, 0, X, 11),
        write(2, 0, 0, X, 11),
        read(1, 0, 0, X, 0),
        write(1, 1, 0, Y, 0),
        no_value,
        read(1, 2, 0, X, 11),
    ]);
    assert_eq!(report.count(Anomaly::Malformed), 4, "{report}");
    assert_eq!(report.total(), 4, "{report}");
    let notes: Vec<_> = report
        .violations
        .iter()
        .filter_map(|v| v.note.as_deref())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("which another record wrote"))
    );
    assert!(notes.iter().any(|n| n.contains("repeats seq 0")));
    assert!(notes.iter().any(|n| n.contains("initial value")));
    assert!(notes.iter().any(|n| n.contains("needs the field `value`")));
}

#[test]
fn report_prints_a_summary_and_the_first_violations() {
    let report = check(&[
        write(1, 0, 0, X, 11),
        read(1, 1, 1, X, 0),
        read(2, 0, 0, Y, 5),
        read(2, 1, 0, Y, 6),
    ]);
    assert_eq!(report.total(), 3);
    assert_eq!(report.operations, 4);
    assert_eq!(report.sessions, 2);
    let kinds = report.kinds();
    assert_eq!(kinds.len(), Anomaly::ALL.len());
    assert!(kinds.contains(&("ThinAirRead", 2)));
    assert!(kinds.contains(&("WriteCOInitRead", 1)));
    let text = report.show(2).to_string();
    assert!(
        text.starts_with("4 operations in 2 sessions: 3 violations\n"),
        "{text}"
    );
    assert!(text.contains("read-your-writes 1"), "{text}");
    assert!(text.contains("1. ThinAirRead"), "{text}");
    assert!(text.contains("… and 1 more"), "{text}");
    assert!(text.contains("session 2 seq 0 node 0  key 2 = 5"), "{text}");
}
