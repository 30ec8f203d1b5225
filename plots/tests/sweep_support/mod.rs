//! Synthetic sweep folders, shared by the sweep test and the sample example.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

/// A made-up design's behaviour under load, for synthetic sweeps.
pub struct Loaded {
    pub name: &'static str,
    /// Workflows per second one server sustains.
    pub per_server: f64,
    pub p50_us: f64,
}

impl Loaded {
    /// (achieved, p50, p99) at `rate` on `servers`: queueing delay grows as
    /// the load nears capacity and the tail explodes past it.
    fn at(&self, rate: f64, servers: f64) -> (f64, f64, f64) {
        let capacity = self.per_server * servers * (1.0 - 0.02 * servers.log2());
        let load = (rate / capacity).min(0.98);
        let achieved = rate.min(capacity);
        let p50 = self.p50_us / (1.0 - load);
        let over = (rate / capacity - 1.0).max(0.0);
        (achieved, p50, p50 * 3.0 * (1.0 + 40.0 * over))
    }
}

/// Writes a sweep folder's `sweep.csv` varying `field` over `values`; the
/// rate is `values` for a rate sweep and `rate` otherwise, the servers 3
/// unless `field` is `servers`.
pub fn write_sweep(
    dir: &Path,
    field: &str,
    values: &[f64],
    rate: f64,
    designs: &[Loaded],
) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut csv =
        format!("design,{field},workflows,throughput_wf_s,p50_us,p99_us,cpu_pct,rss_mb\n");
    for &v in values {
        let (r, servers) = match field {
            "load.rate" => (v, 3.0),
            "servers" => (rate, v),
            _ => (rate, 3.0),
        };
        for d in designs {
            let (achieved, p50, p99) = d.at(r, servers);
            let cpu = 30.0 + 150.0 * achieved / (d.per_server * 3.0);
            let rss = 40.0 + achieved / 200.0;
            let _ = writeln!(
                csv,
                "{},{v},{},{achieved},{p50:.0},{p99:.0},{cpu:.1},{rss:.1}",
                d.name,
                (achieved * 10.0) as u64
            );
        }
    }
    fs::write(dir.join("sweep.csv"), csv)
}
