//! Visibility times from the histories of the `visibility` workload
//! (`workloads::visibility`): per probe, when each reader first returned the
//! write. The sample is the mean of the time since the write started and
//! since it was acknowledged, as the paper's tool reports (reference §16).

use std::collections::BTreeMap;

use workloads::visibility::{WRITER_NODE, reader_nodes};

use crate::history::{Kind, Record};
use crate::runtime::workflow::attempt_of;

/// Visibility at one group of readers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Window {
    /// Median sample, microseconds; `None` when no reader saw a write.
    pub median_us: Option<f64>,
    /// Probes whose readers here never returned the write within their polls.
    pub unseen: usize,
    pub probes: usize,
}

/// At the tail of the writer's ring and at every other reader.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Visibility {
    pub tail: Window,
    pub others: Window,
}

/// The probes of one history (a run with `servers` cache servers).
pub fn measure(history: &[Record], servers: usize) -> Visibility {
    // The probe's writer and readers run as one parallel stage, each
    // function recorded as a session of its own: group them by attempt.
    let mut sessions: BTreeMap<u64, Vec<&Record>> = BTreeMap::new();
    for r in history {
        sessions.entry(attempt_of(r.session)).or_default().push(r);
    }
    let readers = reader_nodes(servers);
    let tail = readers.first().copied();
    let mut tail_samples = Vec::new();
    let mut other_samples = Vec::new();
    let mut out = Visibility::default();
    for records in sessions.values() {
        let Some(write) = records
            .iter()
            .find(|r| r.kind == Kind::Write && r.node == WRITER_NODE as u64)
        else {
            continue;
        };
        for &node in &readers {
            let mut polls: Vec<&&Record> = records
                .iter()
                .filter(|r| r.kind == Kind::Read && r.node == node as u64 && r.key == write.key)
                .collect();
            if polls.is_empty() {
                continue;
            }
            polls.sort_by_key(|r| r.end_us);
            let seen = polls.iter().find(|r| r.value == write.value).map(|r| {
                let end = r.end_us as f64;
                ((end - write.start_us as f64) + (end - write.end_us as f64)) / 2.0
            });
            let (window, samples) = if Some(node) == tail {
                (&mut out.tail, &mut tail_samples)
            } else {
                (&mut out.others, &mut other_samples)
            };
            window.probes += 1;
            match seen {
                Some(s) => samples.push(s),
                None => window.unseen += 1,
            }
        }
    }
    out.tail.median_us = median(&mut tail_samples);
    out.others.median_us = median(&mut other_samples);
    out
}

fn median(samples: &mut [f64]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_by(f64::total_cmp);
    Some(samples[samples.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(session: u64, node: u64, kind: Kind, value: u64, start: u64, end: u64) -> Record {
        Record {
            session,
            seq: 0,
            node,
            kind,
            key: Some(7),
            value: Some(value),
            reads: None,
            writes: None,
            committed: None,
            start_us: start,
            end_us: end,
        }
    }

    #[test]
    fn the_first_poll_returning_the_write_is_the_sample() {
        // Three servers: the tail is server 2, the other reader server 1.
        let history = vec![
            rec(1, 0, Kind::Write, 9, 100, 300),
            rec(1, 2, Kind::Read, 0, 100, 250),
            rec(1, 2, Kind::Read, 9, 250, 500),
            rec(1, 2, Kind::Read, 9, 500, 700),
            rec(1, 1, Kind::Read, 0, 100, 900),
            // A probe whose tail reader never saw its write.
            rec(2, 0, Kind::Write, 10, 0, 100),
            rec(2, 2, Kind::Read, 0, 0, 50),
        ];
        let v = measure(&history, 3);
        assert_eq!(v.tail.median_us, Some(300.0));
        assert_eq!((v.tail.probes, v.tail.unseen), (2, 1));
        assert_eq!(v.others.median_us, None);
        assert_eq!((v.others.probes, v.others.unseen), (1, 1));
    }
}
