//! The history checker on generated causally consistent histories of 10^4 to
//! 10^6 operations: sessions of the micro-benchmark's workflow (four reads,
//! then a write; one in ten reads two keys in a read-only transaction and
//! writes two in a read-write one), Zipf(1.0) keys over 100,000, 64 sessions
//! in flight that roam between 3 replicas. Replicas apply one log of writes
//! with a random lag, and a session reads no older prefix than its causal
//! past, so reads are stale but causal.
//!
//! `cargo bench -p harness --bench checker` prints one timed check per size
//! (the million-operation figure) and runs criterion on the smaller two.
//! With `CHECKER_OPS=N` it only generates and times one history of N
//! operations, so that a tool such as `/usr/bin/time -v` sees that size's
//! peak memory alone. `CHECKER_RETIREMENT=1` also prints, for each history,
//! how many bits retiring them would leave live
//! (`harness::checker::retirement`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use harness::checker::history::{OpKind, Record};
use harness::checker::{check, retirement};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const KEYS: usize = 100_000;
const IN_FLIGHT: usize = 64;
const REPLICAS: usize = 3;
const MAX_LAG: u32 = 64;

struct Session {
    id: u64,
    seq: u64,
    replica: usize,
    /// The log prefix holding the session's causal past.
    min_prefix: u32,
    /// Where the session is: 0..=3 read (a transaction reads two at once),
    /// 4 writes.
    step: u8,
    txns: bool,
}

struct Store {
    /// Per key, (log entry, value) in log order.
    versions: Vec<Vec<(u32, u64)>>,
    entries: u32,
    prefixes: [u32; REPLICAS],
    next_value: u64,
}

impl Store {
    /// The latest value of `key` in the first `prefix` entries, and its entry.
    fn read(&self, key: u64, prefix: u32) -> (u64, Option<u32>) {
        let v = &self.versions[key as usize];
        match v.partition_point(|&(e, _)| e < prefix) {
            0 => (0, None),
            i => (v[i - 1].1, Some(v[i - 1].0)),
        }
    }

    fn append(&mut self, keys: &[u64]) -> Vec<(u64, u64)> {
        let entry = self.entries;
        self.entries += 1;
        keys.iter()
            .map(|&k| {
                self.next_value += 1;
                self.versions[k as usize].push((entry, self.next_value));
                (k, self.next_value)
            })
            .collect()
    }
}

fn zipf_cdf(keys: usize) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = (1..=keys)
        .map(|i| {
            acc += 1.0 / i as f64;
            acc
        })
        .collect();
    cdf.iter_mut().for_each(|c| *c /= acc);
    cdf
}

fn history(operations: usize, seed: u64) -> Vec<Record> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let cdf = zipf_cdf(KEYS);
    let key = |rng: &mut Xoshiro256PlusPlus| {
        let u: f64 = rng.random();
        cdf.partition_point(|&c| c < u).min(KEYS - 1) as u64
    };
    let mut store = Store {
        versions: vec![Vec::new(); KEYS],
        entries: 0,
        prefixes: [0; REPLICAS],
        next_value: 0,
    };
    let mut next_session = 0u64;
    let mut start = |rng: &mut Xoshiro256PlusPlus| {
        next_session += 1;
        Session {
            id: next_session,
            seq: 0,
            replica: rng.random_range(0..REPLICAS),
            min_prefix: 0,
            step: 0,
            txns: rng.random_bool(0.1),
        }
    };
    let mut active: Vec<Session> = (0..IN_FLIGHT).map(|_| start(&mut rng)).collect();
    let mut records = Vec::with_capacity(operations);
    while records.len() < operations {
        let now = records.len() as u64;
        for r in 0..REPLICAS {
            let lag = rng.random_range(0..=MAX_LAG);
            store.prefixes[r] = store.prefixes[r].max(store.entries.saturating_sub(lag));
        }
        let i = rng.random_range(0..active.len());
        let s = &mut active[i];
        if rng.random_bool(0.3) {
            s.replica = rng.random_range(0..REPLICAS);
        }
        let prefix = store.prefixes[s.replica].max(s.min_prefix);
        let mut record = Record {
            session: s.id,
            seq: s.seq,
            node: s.replica as u64,
            kind: OpKind::Read,
            key: None,
            value: None,
            reads: None,
            writes: None,
            committed: None,
            start_us: now,
            end_us: now + 1,
        };
        let read = |k: u64, s: &mut Session| {
            let (value, entry) = store.read(k, prefix);
            if let Some(e) = entry {
                s.min_prefix = s.min_prefix.max(e + 1);
            }
            (k, value)
        };
        match (s.step, s.txns) {
            (0..=3, true) => {
                let reads = vec![read(key(&mut rng), s), read(key(&mut rng), s)];
                record.kind = OpKind::Txn;
                record.reads = Some(reads);
                record.writes = Some(Vec::new());
                record.committed = Some(true);
                s.step += 1;
            }
            (0..=3, _) => {
                let (k, v) = read(key(&mut rng), s);
                record.key = Some(k);
                record.value = Some(v);
            }
            (_, txns) => {
                let (a, b) = (key(&mut rng), key(&mut rng));
                let keys = if txns && a != b { vec![a, b] } else { vec![a] };
                let writes = store.append(&keys);
                s.min_prefix = store.entries;
                if txns {
                    record.kind = OpKind::Txn;
                    record.reads = Some(Vec::new());
                    record.writes = Some(writes);
                    record.committed = Some(true);
                } else {
                    record.kind = OpKind::Write;
                    record.key = Some(writes[0].0);
                    record.value = Some(writes[0].1);
                }
            }
        }
        records.push(record);
        s.seq += 1;
        s.step += 1;
        if s.step > 4 {
            active[i] = start(&mut rng);
        }
    }
    records
}

/// Generates and checks one history of `operations`, printing the time.
fn timed(operations: usize) -> Vec<Record> {
    let h = history(operations, 7);
    let start = Instant::now();
    let report = check(&h);
    eprintln!(
        "checker: {operations} operations in {} sessions checked in {:.2?}",
        report.sessions,
        start.elapsed()
    );
    assert_eq!(report.total(), 0, "the generator is causal: {report}");
    if std::env::var_os("CHECKER_RETIREMENT").is_some() {
        eprint!("{}", retirement::profile(&h));
    }
    h
}

fn checker(c: &mut Criterion) {
    if let Ok(ops) = std::env::var("CHECKER_OPS") {
        let ops = ops
            .parse()
            .unwrap_or_else(|e| panic!("CHECKER_OPS must be an operation count: {e}"));
        timed(ops);
        return;
    }
    let mut group = c.benchmark_group("checker");
    group.sample_size(10);
    for operations in [10_000, 100_000, 1_000_000] {
        // One timed run per size: the figure for a million operations, too
        // slow for criterion's ten samples.
        let h = timed(operations);
        if operations >= 1_000_000 {
            continue;
        }
        group.throughput(Throughput::Elements(operations as u64));
        group.bench_with_input(BenchmarkId::from_parameter(operations), &h, |b, h| {
            b.iter(|| check(black_box(h)))
        });
    }
    group.finish();
}

criterion_group!(benches, checker);
criterion_main!(benches);
