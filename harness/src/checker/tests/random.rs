//! Random small histories, checker against oracle: every count per kind and
//! per guarantee must agree. Two generators: reads returning any value ever
//! written to their key (anomalies of every kind, CO cycles included), and
//! executions against a causal store (one total log of writes, each read sees
//! a prefix of it that holds its causal past) with a few reads corrupted.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::oracle::{Counts, oracle};
use super::{proves, read, txn, write};
use crate::checker::causal_past::{BLOCK_BITS, SCAN_BELOW_WRITES};
use crate::checker::history::Record;
use crate::checker::retirement::lifetimes;
use crate::checker::witness::Tuning;
use crate::checker::{Anomaly, Guarantee, check, check_tuned, check_with};

/// Windows of one word and searches that give up at once or soon, so that
/// small histories take every way of answering a question.
const NARROW: [Tuning; 4] = [
    Tuning {
        window_words: 1,
        ..Tuning::DEFAULT
    },
    Tuning {
        window_words: 1,
        forward_first: 0,
        mark_at_most: 1024,
    },
    Tuning {
        window_words: 1,
        forward_first: 0,
        mark_at_most: 2,
    },
    Tuning {
        window_words: 1,
        forward_first: 1,
        mark_at_most: 1,
    },
];

fn counts(history: &[Record], scan_below_writes: usize) -> Counts {
    counts_of(&check_with(history, scan_below_writes))
}

fn counts_of(report: &crate::checker::Report) -> Counts {
    let mut kinds: BTreeMap<Anomaly, usize> = BTreeMap::new();
    let mut guarantees: BTreeMap<Guarantee, usize> = BTreeMap::new();
    for v in &report.violations {
        *kinds.entry(v.kind).or_default() += 1;
        if let Some(g) = v.guarantee {
            *guarantees.entry(g).or_default() += 1;
        }
    }
    (kinds, guarantees)
}

fn distinct_keys(rng: &mut impl Rng, keys: u64, most: usize) -> Vec<u64> {
    let mut all: Vec<u64> = (0..keys).collect();
    all.shuffle(rng);
    all.truncate(rng.random_range(0..=most));
    all
}

/// Sessions of reads, writes and transactions; each read returns the initial
/// value, any value written to its key anywhere in the history (committed or
/// not, earlier or later), or rarely a value nobody wrote.
fn arbitrary(seed: u64) -> Vec<Record> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let keys = rng.random_range(1..=4u64);
    let sessions = rng.random_range(1..=5u64);
    let mut next = 1u64;
    let mut written: Vec<Vec<u64>> = vec![Vec::new(); keys as usize];
    // (session, seq, reads as keys, writes with values, kind, committed)
    let mut shapes = Vec::new();
    for s in 0..sessions {
        for seq in 0..rng.random_range(1..=5u64) {
            let kind = rng.random_range(0..10);
            let (reads, writes, committed) = match kind {
                0..4 => (vec![rng.random_range(0..keys)], vec![], true),
                4..7 => (vec![], vec![rng.random_range(0..keys)], true),
                _ => (
                    distinct_keys(&mut rng, keys, 2),
                    distinct_keys(&mut rng, keys, 2),
                    rng.random_bool(0.8),
                ),
            };
            let writes: Vec<(u64, u64)> = writes
                .into_iter()
                .map(|k| {
                    next += 1;
                    written[k as usize].push(next);
                    (k, next)
                })
                .collect();
            shapes.push((s, seq * 2, reads, writes, kind, committed));
        }
    }
    let mut history: Vec<Record> = shapes
        .into_iter()
        .map(|(s, seq, reads, writes, kind, committed)| {
            let reads: Vec<(u64, u64)> = reads
                .into_iter()
                .map(|k| {
                    let choices = &written[k as usize];
                    let value = match rng.random_range(0..=choices.len() + 1) {
                        0 => 0,
                        i if i <= choices.len() => choices[i - 1],
                        _ if rng.random_bool(0.2) => 1_000,
                        _ => 0,
                    };
                    (k, value)
                })
                .collect();
            match kind {
                0..4 => read(s, seq, 0, reads[0].0, reads[0].1),
                4..7 => write(s, seq, 0, writes[0].0, writes[0].1),
                _ => txn(s, seq, &reads, &writes, committed),
            }
        })
        .collect();
    history.shuffle(&mut rng);
    history
}

/// An execution against a causal store: a log of committed writes; a read
/// sees a prefix of the log no shorter than its session's causal past, which
/// is causally (and convergently) consistent; each read is replaced by a
/// random value of its key with probability `corrupt`.
fn execution(seed: u64, corrupt: f64) -> Vec<Record> {
    execution_of(seed, corrupt, 6)
}

/// [`execution`] with up to `most` sessions of up to `most` operations.
fn execution_of(seed: u64, corrupt: f64, most: u64) -> Vec<Record> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let keys = rng.random_range(1..=4u64);
    let sessions = rng.random_range(1..=most as usize);
    let mut left: Vec<u64> = (0..sessions).map(|_| rng.random_range(1..=most)).collect();
    let mut seq = vec![0u64; sessions];
    let mut min_prefix = vec![0usize; sessions];
    // Log entries, and every value written (aborted ones too) with its entry.
    let mut log: Vec<Vec<(u64, u64)>> = Vec::new();
    let mut values: Vec<Vec<(u64, Option<usize>)>> = vec![vec![(0, None)]; keys as usize];
    let mut history = Vec::new();
    let mut next = 0u64;
    while let Some(s) = {
        let active: Vec<usize> = (0..sessions).filter(|&s| left[s] > 0).collect();
        (!active.is_empty()).then(|| active[rng.random_range(0..active.len())])
    } {
        left[s] -= 1;
        let prefix = rng.random_range(min_prefix[s]..=log.len());
        let mut read_at = |k: u64, rng: &mut Xoshiro256PlusPlus| {
            let (value, entry) = if rng.random_bool(corrupt) {
                let all = &values[k as usize];
                all[rng.random_range(0..all.len())]
            } else {
                (0..prefix)
                    .rev()
                    .find_map(|e| {
                        log[e]
                            .iter()
                            .find(|&&(key, _)| key == k)
                            .map(|&(_, v)| (v, Some(e)))
                    })
                    .unwrap_or((0, None))
            };
            if let Some(e) = entry {
                min_prefix[s] = min_prefix[s].max(e + 1);
            }
            (k, value)
        };
        let (node, op) = (rng.random_range(0..3), rng.random_range(0..10));
        let record = match op {
            0..5 => {
                let (k, v) = read_at(rng.random_range(0..keys), &mut rng);
                read(s as u64, seq[s], node, k, v)
            }
            5..8 => {
                next += 1;
                let k = rng.random_range(0..keys);
                log.push(vec![(k, next)]);
                values[k as usize].push((next, Some(log.len() - 1)));
                min_prefix[s] = log.len();
                write(s as u64, seq[s], node, k, next)
            }
            _ => {
                let reads: Vec<(u64, u64)> = distinct_keys(&mut rng, keys, 2)
                    .into_iter()
                    .map(|k| read_at(k, &mut rng))
                    .collect();
                let writes: Vec<(u64, u64)> = distinct_keys(&mut rng, keys, 2)
                    .into_iter()
                    .map(|k| {
                        next += 1;
                        (k, next)
                    })
                    .collect();
                let committed = rng.random_bool(0.85);
                let entry = (committed && !writes.is_empty()).then(|| {
                    log.push(writes.clone());
                    min_prefix[s] = log.len();
                    log.len() - 1
                });
                for &(k, v) in &writes {
                    values[k as usize].push((v, entry));
                }
                txn(s as u64, seq[s], &reads, &writes, committed)
            }
        };
        seq[s] += 1;
        history.push(record);
    }
    history
}

fn agree(history: &[Record]) -> Result<(), TestCaseError> {
    let expected = oracle(history);
    // Every key may use set differences, then none does.
    for scan_below_writes in [0, usize::MAX] {
        prop_assert_eq!(
            counts(history, scan_below_writes),
            expected.clone(),
            "history:\n{}",
            history
                .iter()
                .map(|r| serde_json::to_string(r).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Ok(())
}

/// Bits numbered in blocks of 1 to 3, so that each key's writes are cut
/// into many ranges (the default block outgrows these histories).
fn agree_in_blocks(history: &[Record], seed: u64) -> Result<(), TestCaseError> {
    let expected = oracle(history);
    let block_bits = 1 + (seed % 3) as usize;
    for scan_below_writes in [0, usize::MAX] {
        let report = check_tuned(history, scan_below_writes, block_bits, None);
        prop_assert_eq!(
            counts_of(&report),
            expected.clone(),
            "blocks of {}",
            block_bits
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn checker_agrees_with_oracle_in_small_blocks(seed: u64) {
        agree_in_blocks(&arbitrary(seed), seed)?;
        agree_in_blocks(&execution(seed, 0.15), seed)?;
    }

    /// Windows of one to three words, so that questions outside a window
    /// and the search that answers them are common.
    #[test]
    fn checker_agrees_with_oracle_in_small_windows(seed: u64) {
        let tuning = Some(Tuning {
            window_words: 1 + (seed % 3) as usize,
            ..Tuning::DEFAULT
        });
        for history in [arbitrary(seed), execution(seed, 0.15), execution(seed, 0.0)] {
            let report = check_tuned(&history, SCAN_BELOW_WRITES, BLOCK_BITS, tuning);
            prop_assert_eq!(counts_of(&report), oracle(&history));
        }
    }

    #[test]
    fn checker_agrees_with_oracle_on_arbitrary_reads(seed: u64) {
        agree(&arbitrary(seed))?;
    }

    #[test]
    fn checker_agrees_with_oracle_on_corrupted_executions(seed: u64) {
        agree(&execution(seed, 0.15))?;
    }

    #[test]
    fn no_retirement_rule_retires_a_bit_before_its_last_question(seed: u64) {
        for history in [arbitrary(seed), execution(seed, 0.15)] {
            let l = lifetimes(&history);
            let [returned_write, descendants, question, maximal] = &l.last;
            for i in 0..l.born.len() {
                prop_assert!(returned_write[i] >= descendants[i]);
                prop_assert!(
                    descendants[i] >= question[i],
                    "bit {} retired at {} before its last question at {}",
                    i, descendants[i], question[i]
                );
                prop_assert!(question[i] >= maximal[i] && maximal[i] >= l.born[i]);
            }
        }
    }

    #[test]
    fn causal_executions_are_valid(seed: u64) {
        let history = execution(seed, 0.0);
        let report = check(&history);
        prop_assert_eq!(report.total(), 0, "{}", report);
    }

    /// The witness proves every causal execution CCv, with the default
    /// window and with one word.
    #[test]
    fn witness_proves_causal_executions(seed: u64) {
        let history = execution(seed, 0.0);
        for window in [Tuning::DEFAULT.window_words, 1] {
            prop_assert!(proves(&history, window), "window of {} words", window);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    /// Executions of up to 30 sessions of 30 operations hold up to a few
    /// hundred writes, so windows of one word leave most questions to the searches
    /// (or, once their budget is spent, to the exact checker).
    #[test]
    fn witness_agrees_with_oracle_beyond_its_window(seed: u64) {
        let tuning = NARROW[(seed % 4) as usize];
        for corrupt in [0.005, 0.02] {
            let history = execution_of(seed, corrupt, 30);
            let report = check_tuned(&history, SCAN_BELOW_WRITES, BLOCK_BITS, Some(tuning));
            prop_assert_eq!(counts_of(&report), oracle(&history), "{:?}", tuning);
        }
    }
}

/// The generators reach every kind and guarantee, so the agreement above
/// covers each of them.
#[test]
fn generators_reach_every_kind_and_guarantee() {
    let mut kinds: BTreeMap<Anomaly, usize> = BTreeMap::new();
    let mut guarantees: BTreeMap<Guarantee, usize> = BTreeMap::new();
    for seed in 0..2000 {
        for history in [arbitrary(seed), execution(seed, 0.15)] {
            let (k, g) = oracle(&history);
            k.into_iter()
                .for_each(|(k, c)| *kinds.entry(k).or_default() += c);
            g.into_iter()
                .for_each(|(g, c)| *guarantees.entry(g).or_default() += c);
        }
    }
    let missing: Vec<_> = Anomaly::ALL
        .iter()
        .filter(|&&k| k != Anomaly::Malformed && !kinds.contains_key(&k))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    assert_eq!(guarantees.len(), Guarantee::ALL.len(), "{guarantees:?}");
}
