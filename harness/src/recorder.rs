//! What completed, and when: HdrHistograms of workflow and operation latency
//! in microseconds, and the counters behind every summary column. Each client
//! task keeps its own recorder; they are merged, never averaged.

use hdrhistogram::Histogram;
use impls::{Micros, Served};
use serde::Serialize;

/// Latencies above this are clamped (and counted), never dropped.
const MAX_LATENCY_US: u64 = 600_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;
/// Width of one interval of the `.hlog` interval log.
pub const INTERVAL_US: Micros = 1_000_000;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGNIFICANT_DIGITS)
        .unwrap_or_else(|e| unreachable!("constant histogram bounds are valid: {e}"))
}

/// The measurement window `[start, end)`: workflows whose intended start
/// falls in it are measured; completions in it count towards throughput.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub start: Micros,
    pub end: Micros,
}

impl Window {
    pub fn contains(&self, t: Micros) -> bool {
        (self.start..self.end).contains(&t)
    }

    pub fn seconds(&self) -> f64 {
        (self.end - self.start) as f64 / 1e6
    }
}

pub struct Recorder {
    window: Window,
    pub workflow: Histogram<u64>,
    pub op: Histogram<u64>,
    /// Workflow latencies by the second (of the window) they completed in.
    pub intervals: Vec<Histogram<u64>>,
    workflows: u64,
    ops: u64,
    completed_in_window: u64,
    ops_in_window: u64,
    reads: u64,
    read_hits: u64,
    clamped: u64,
    pub unfinished: u64,
    /// Open-loop arrivals of the window not started: the backlog was full.
    shed: u64,
    /// Aborted attempts of measured workflows (each restarts or gives up).
    aborts: u64,
    /// Attempts beyond the first of measured workflows that committed.
    retries: u64,
    /// Measured workflows that gave up after the retry limit.
    failed: u64,
}

impl Recorder {
    pub fn new(window: Window) -> Recorder {
        Recorder {
            window,
            workflow: histogram(),
            op: histogram(),
            intervals: Vec::new(),
            workflows: 0,
            ops: 0,
            completed_in_window: 0,
            ops_in_window: 0,
            reads: 0,
            read_hits: 0,
            clamped: 0,
            unfinished: 0,
            shed: 0,
            aborts: 0,
            retries: 0,
            failed: 0,
        }
    }

    fn record(&mut self, which: Which, latency: Micros) {
        let v = latency.max(1);
        if v > MAX_LATENCY_US {
            self.clamped += 1;
        }
        let h = match which {
            Which::Workflow => &mut self.workflow,
            Which::Op => &mut self.op,
        };
        h.saturating_record(v);
    }

    /// An operation of the workflow that started (intendedly) at `wf_start`
    /// finished at `now` after `latency`.
    pub fn op_done(
        &mut self,
        wf_start: Micros,
        now: Micros,
        latency: Micros,
        is_read: bool,
        served: Served,
    ) {
        if self.window.contains(now) {
            self.ops_in_window += 1;
        }
        if !self.window.contains(wf_start) {
            return;
        }
        self.ops += 1;
        self.record(Which::Op, latency);
        if is_read {
            self.reads += 1;
            self.read_hits += u64::from(served != Served::Database);
        }
    }

    /// An attempt of the workflow that started at `wf_start` aborted.
    pub fn aborted(&mut self, wf_start: Micros) {
        if self.window.contains(wf_start) {
            self.aborts += 1;
        }
    }

    /// The workflow ran out of retries.
    pub fn workflow_failed(&mut self, wf_start: Micros) {
        if self.window.contains(wf_start) {
            self.failed += 1;
        }
    }

    /// The workflow committed at `now` after `retries` aborted attempts;
    /// its latency includes them (the paper's metric).
    pub fn workflow_done(&mut self, wf_start: Micros, now: Micros, retries: u32) {
        if self.window.contains(now) {
            self.completed_in_window += 1;
        }
        if !self.window.contains(wf_start) {
            return;
        }
        self.workflows += 1;
        self.retries += u64::from(retries);
        let latency = now.saturating_sub(wf_start);
        self.record(Which::Workflow, latency);
        let slot = (now.saturating_sub(self.window.start) / INTERVAL_US) as usize;
        if self.intervals.len() <= slot {
            self.intervals.resize_with(slot + 1, histogram);
        }
        self.intervals[slot].saturating_record(latency.max(1));
    }

    /// A workflow that started in the window but did not finish in time.
    pub fn workflow_unfinished(&mut self, wf_start: Micros) {
        if self.window.contains(wf_start) {
            self.unfinished += 1;
        }
    }

    /// An arrival shed because the backlog was full.
    pub fn workflow_shed(&mut self, wf_start: Micros) {
        if self.window.contains(wf_start) {
            self.shed += 1;
        }
    }

    pub fn merge(&mut self, other: &Recorder) {
        // Histograms of equal bounds always add.
        let _ = self.workflow.add(&other.workflow);
        let _ = self.op.add(&other.op);
        if self.intervals.len() < other.intervals.len() {
            self.intervals.resize_with(other.intervals.len(), histogram);
        }
        for (mine, theirs) in self.intervals.iter_mut().zip(&other.intervals) {
            let _ = mine.add(theirs);
        }
        self.workflows += other.workflows;
        self.ops += other.ops;
        self.completed_in_window += other.completed_in_window;
        self.ops_in_window += other.ops_in_window;
        self.reads += other.reads;
        self.read_hits += other.read_hits;
        self.clamped += other.clamped;
        self.unfinished += other.unfinished;
        self.shed += other.shed;
        self.aborts += other.aborts;
        self.retries += other.retries;
        self.failed += other.failed;
    }

    pub fn summary(&self, design: &str, offered_wf_s: f64, server: RunFigures) -> Summary {
        let secs = self.window.seconds();
        let per_wf = |x: f64| {
            if self.completed_in_window == 0 {
                0.0
            } else {
                x / self.completed_in_window as f64
            }
        };
        let w = &self.workflow;
        let q = |p: f64| {
            if w.is_empty() {
                0
            } else {
                w.value_at_quantile(p)
            }
        };
        Summary {
            design: design.to_string(),
            workflows: self.workflows,
            ops: self.ops,
            duration_s: secs,
            offered_wf_s,
            throughput_wf_s: self.completed_in_window as f64 / secs,
            throughput_ops_s: self.ops_in_window as f64 / secs,
            mean_us: if w.is_empty() { 0.0 } else { w.mean() },
            p50_us: q(0.50),
            p90_us: q(0.90),
            p95_us: q(0.95),
            p99_us: q(0.99),
            p999_us: q(0.999),
            max_us: if w.is_empty() { 0 } else { w.max() },
            op_mean_us: if self.op.is_empty() {
                0.0
            } else {
                self.op.mean()
            },
            op_p99_us: if self.op.is_empty() {
                0
            } else {
                self.op.value_at_quantile(0.99)
            },
            hit_ratio: if self.reads == 0 {
                0.0
            } else {
                self.read_hits as f64 / self.reads as f64
            },
            db_reads: server.db_reads,
            db_writes: server.db_writes,
            metadata_bytes_per_key: server.metadata_bytes_per_key,
            unfinished: self.unfinished,
            shed: self.shed,
            clamped: self.clamped,
            runtime_lag_us: server.runtime_lag_us,
            aborts: self.aborts,
            retries: self.retries,
            failed: self.failed,
            remote_fetches: server.remote_fetches,
            msgs_per_wf: per_wf(server.msgs as f64),
            bytes_per_wf: per_wf(server.bytes as f64),
            cpu_us_per_wf: per_wf(server.server_cpu_us),
            lost_writes: server.lost_writes,
            anomalies: None,
            anomaly_rate: None,
            cpu_pct: server.cpu_pct,
            rss_mb: server.rss_mb,
            server_util_mean: server.server_util_mean,
            server_util_max: server.server_util_max,
            queue_peak: server.queue_peak,
            invariant_violations: None,
        }
    }
}

enum Which {
    Workflow,
    Op,
}

/// Figures the runtime collects from the servers, the database and itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunFigures {
    /// Database requests that arrived during the measurement window.
    pub db_reads: u64,
    pub db_writes: u64,
    /// Causality metadata a cache server holds per key, averaged over servers.
    pub metadata_bytes_per_key: f64,
    /// Mean microseconds a delivery reached its actor after its due time.
    pub runtime_lag_us: f64,
    /// Fetches from another cache or the database to satisfy a dependency,
    /// during the window.
    pub remote_fetches: u64,
    /// CPU time of the servers' handlers during the window.
    pub server_cpu_us: f64,
    /// Protocol messages (client, node and database links) and their bytes
    /// sent during the window.
    pub msgs: u64,
    pub bytes: u64,
    /// Acknowledged writes missing from the database at the end; `None`
    /// without a complete history.
    pub lost_writes: Option<u64>,
    /// The process's CPU time over the window as a percentage of one core,
    /// and its mean resident set in MB (live runs; see `resources`).
    pub cpu_pct: Option<f64>,
    pub rss_mb: Option<f64>,
    /// Simulated runtime only: mean and largest busy fraction of a cache
    /// server's cores over the window, and the longest queue of any server.
    pub server_util_mean: Option<f64>,
    pub server_util_max: Option<f64>,
    pub queue_peak: Option<u64>,
}

/// One row of `summary.csv`.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub design: String,
    pub workflows: u64,
    pub ops: u64,
    pub duration_s: f64,
    pub offered_wf_s: f64,
    pub throughput_wf_s: f64,
    pub throughput_ops_s: f64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    pub op_mean_us: f64,
    pub op_p99_us: u64,
    pub hit_ratio: f64,
    pub db_reads: u64,
    pub db_writes: u64,
    pub metadata_bytes_per_key: f64,
    pub unfinished: u64,
    pub shed: u64,
    pub clamped: u64,
    pub runtime_lag_us: f64,
    pub aborts: u64,
    pub retries: u64,
    pub failed: u64,
    pub remote_fetches: u64,
    pub msgs_per_wf: f64,
    pub bytes_per_wf: f64,
    pub cpu_us_per_wf: f64,
    pub lost_writes: Option<u64>,
    /// Causal anomalies the checker found in the history (empty without a
    /// complete history).
    pub anomalies: Option<u64>,
    /// The fraction of workflows (sessions) involved in an anomaly: the
    /// reader of an anomalous read, every session on a cycle.
    pub anomaly_rate: Option<f64>,
    /// The process's CPU time over the window, % of one core (live runs).
    pub cpu_pct: Option<f64>,
    /// The process's mean resident set over the window, MB (live runs).
    pub rss_mb: Option<f64>,
    /// Simulated runtime only (empty in live runs): busy fraction of the
    /// cache servers' cores, mean and largest, and the longest queue.
    pub server_util_mean: Option<f64>,
    pub server_util_max: Option<f64>,
    pub queue_peak: Option<u64>,
    /// Broken invariants of an invariant workload, in states workflows read
    /// and in the final state (empty for a workload without an invariant).
    pub invariant_violations: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_window_is_measured_and_merging_adds() {
        let window = Window {
            start: 1_000_000,
            end: 3_000_000,
        };
        let mut a = Recorder::new(window);
        let mut b = Recorder::new(window);
        a.workflow_done(500_000, 900_000, 0); // warm-up
        a.workflow_done(1_000_000, 1_004_000, 0);
        b.workflow_done(2_999_999, 3_010_000, 2); // measured, completes after the window
        b.aborted(2_999_999);
        b.aborted(2_999_999);
        a.op_done(1_000_000, 1_001_000, 1_000, true, Served::Cache);
        a.op_done(1_000_000, 1_002_000, 1_000, true, Served::Database);
        b.workflow_unfinished(2_000_000);
        b.workflow_unfinished(100);
        a.merge(&b);
        let s = a.summary("x", 10.0, RunFigures::default());
        assert_eq!(s.workflows, 2);
        assert_eq!(s.throughput_wf_s, 0.5, "one completion inside a 2 s window");
        assert_eq!(s.hit_ratio, 0.5);
        assert_eq!(s.unfinished, 1);
        assert_eq!((s.aborts, s.retries, s.failed), (2, 2, 0));
        assert!((4_000..=4_010).contains(&s.p50_us));
        assert!((10_000..=10_020).contains(&s.max_us));
        assert_eq!(a.intervals.len(), 3);
    }

    #[test]
    fn outliers_are_clamped_and_counted() {
        let mut r = Recorder::new(Window { start: 0, end: 10 });
        r.workflow_done(0, MAX_LATENCY_US * 2, 0);
        let s = r.summary("x", 1.0, RunFigures::default());
        assert_eq!((s.workflows, s.clamped), (1, 1));
    }
}
