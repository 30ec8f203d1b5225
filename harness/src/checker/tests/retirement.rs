//! The retirement rules of `checker::retirement` on hand-written histories,
//! processed in the order of their `start_us` (one operation per position).

use super::{read, write};
use crate::checker::history::Record;
use crate::checker::retirement::{Live, Rule, lifetimes, profile};
use crate::checker::{Anomaly, check};

const X: u64 = 1;
const Y: u64 = 2;

/// `records` with `start_us` set to their index.
fn in_order(records: Vec<Record>) -> Vec<Record> {
    records
        .into_iter()
        .enumerate()
        .map(|(t, r)| Record {
            start_us: t as u64,
            end_us: t as u64,
            ..r
        })
        .collect()
}

/// (born, last position live under each rule of `Rule::ALL`) per bit.
fn spans(history: &[Record]) -> Vec<(u32, [u32; 4])> {
    let l = lifetimes(history);
    (0..l.born.len())
        .map(|i| (l.born[i], [0, 1, 2, 3].map(|r| l.last[r][i])))
        .collect()
}

/// x = 1 then x = 2 in one session; a read of x = 1 after both, a read of
/// x = 2, then an unrelated write and read of y.
fn overwritten() -> Vec<Record> {
    vec![
        write(1, 0, 0, X, 1),
        write(1, 1, 0, X, 2),
        read(2, 0, 0, X, 1),
        read(3, 0, 0, X, 2),
        write(4, 0, 0, Y, 5),
        read(5, 0, 0, Y, 5),
    ]
}

#[test]
fn a_bit_retires_once_every_pending_read_returns_a_write_holding_it() {
    let h = in_order(overwritten());
    assert_eq!(check(&h).total(), 0);
    // x = 1 is kept by the read that returns it (position 2), no longer by
    // the read of x = 2, whose past holds it; x = 2 by the read of x = 1 (x = 2
    // is not in its past) and then by the read that returns it. Neither is
    // ever a candidate: the last-question bound retires them at once.
    assert_eq!(spans(&h), [(0, [2, 2, 0, 0]), (1, [3, 3, 1, 1])]);

    let live = &profile(&h).live[0];
    assert_eq!(
        live,
        &Live {
            rule: Rule::ReturnedWrite,
            bits_at: [2, 1, 0],
            peak_bits: 2,
            chunks_at: [1, 1, 0],
            peak_chunks: 1,
            old: 0,
            old_on_hot_keys: 0,
        }
    );
}

#[test]
fn a_later_read_of_the_initial_value_keeps_every_bit_of_its_key() {
    let mut h = overwritten();
    h.push(read(6, 0, 0, X, 0));
    let h = in_order(h);
    assert_eq!(check(&h).total(), 0);
    // Its past is empty, so the check asks about neither write. The first
    // rule cannot know that and keeps both to the end; no causal chain
    // reaches that read, so the second rule retires them as before.
    assert_eq!(spans(&h), [(0, [6, 2, 0, 0]), (1, [6, 3, 1, 1])]);
    let p = profile(&h);
    let old: Vec<usize> = p.live.iter().map(|l| l.old).collect();
    assert_eq!(old, [2, 0, 0, 0], "born before 3, live at 5 or later");
    assert_eq!(p.old_kept_by, [0, 0, 2]);
}

#[test]
fn a_read_of_the_bit_itself_keeps_it() {
    // Session 3 reads x = 1 and overwrites it; session 2 sees the overwrite
    // through y, then reads x = 1: WriteCORead, found by asking whether
    // x = 1 is in the past of x = 2, which was built after x = 1's last
    // read by another session.
    let h = in_order(vec![
        write(1, 0, 0, X, 1),
        read(3, 0, 0, X, 1),
        write(3, 1, 0, X, 2),
        write(3, 2, 0, Y, 3),
        read(2, 0, 0, Y, 3),
        read(2, 1, 0, X, 1),
    ]);
    let found: Vec<Anomaly> = check(&h).violations.iter().map(|v| v.kind).collect();
    assert_eq!(found, [Anomaly::WriteCORead]);
    assert_eq!(spans(&h), [(0, [5, 5, 5, 5]), (2, [5, 5, 5, 5])]);
    // x = 1 by its own read, x = 2 by that read too: it returns x = 1,
    // whose past lacks x = 2.
    assert_eq!(profile(&h).old_kept_by, [1, 1, 0]);
}

#[test]
fn reads_no_causal_chain_reaches_do_not_keep_a_bit() {
    // x = 2 is a blind write: reads of it keep x = 1 under the first rule,
    // but x = 1 reaches nothing after the read that returns it.
    let h = in_order(vec![
        write(1, 0, 0, X, 1),
        write(2, 0, 0, X, 2),
        read(3, 0, 0, X, 1),
        read(4, 0, 0, X, 2),
        read(5, 0, 0, X, 2),
    ]);
    assert_eq!(check(&h).total(), 0);
    assert_eq!(spans(&h)[0], (0, [4, 2, 0, 0]));
}
