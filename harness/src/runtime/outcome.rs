//! What one design's run measured, whichever runtime ran it.

use std::collections::HashMap;
use std::time::SystemTime;

use impls::Key;

use crate::history::Record;
use crate::invariants::InvariantLog;
use crate::recorder::{Recorder, RunFigures};

pub struct Outcome {
    pub recorder: Recorder,
    /// The operations of the run, if recorded.
    pub history: Vec<Record>,
    /// The history hit its size limit.
    pub history_truncated: bool,
    pub figures: RunFigures,
    /// When the measurement window began, for the interval log.
    pub window_start: SystemTime,
    /// False when the drain deadline passed with messages still in flight.
    pub quiesced: bool,
    /// Per cache server (simulated runtime only): how busy it was.
    pub servers: Vec<ServerLoad>,
    /// What committed workflows of an invariant workload read and did.
    pub invariants: InvariantLog,
}

/// How busy one cache server was over the measurement window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServerLoad {
    /// Busy fraction of the server's cores.
    pub utilisation: f64,
    /// Most messages waiting for a core at once, over the whole run.
    pub queue_peak: u64,
    /// Core time spent handling messages that started in the window.
    pub busy_us: f64,
}

/// Acknowledged writes the database does not hold at the end (write-behind
/// included): per session, the last write of each key must be there;
/// earlier ones may be overwritten inside a transaction that buffers writes.
pub fn lost_writes(history: &[Record], holds_write: impl Fn(Key, u64) -> bool) -> u64 {
    let mut last: HashMap<(u64, u64), (u64, u64)> = HashMap::new();
    for r in history {
        for (key, tag) in r.written() {
            let seen = last.entry((r.session, key)).or_insert((r.seq, tag));
            if r.seq >= seen.0 {
                *seen = (r.seq, tag);
            }
        }
    }
    last.iter()
        .filter(|&(&(_, key), &(_, tag))| !holds_write(key, tag))
        .count() as u64
}
