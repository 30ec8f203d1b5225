//! Synthetic run folders, shared by the end-to-end test and the sample example.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

/// A made-up design result.
pub struct Design {
    pub name: &'static str,
    pub p50_us: f64,
    /// Tail heaviness: 1 is mild, 2 is heavy.
    pub tail: f64,
    pub throughput_wf_s: f64,
    /// Whether to write `<name>.hgrm`.
    pub hgrm: bool,
}

const SAMPLES: f64 = 20_000.0;

impl Design {
    /// Quantile function: `p50_us` at p = 0.5 and a tail growing with `tail`.
    fn latency_us(&self, p: f64) -> f64 {
        let halvings = -(1.0 - p).ln() / 2f64.ln();
        self.p50_us * (0.6 + 0.4 * halvings.powf(self.tail))
    }

    /// Same layout as HdrHistogram's `outputPercentileDistribution`, with
    /// five rows per halving of the remaining tail and a final 100% row.
    fn hgrm(&self) -> String {
        let mut out = String::from("       Value     Percentile TotalCount 1/(1-Percentile)\n\n");
        let mut k = 0;
        loop {
            let p = 1.0 - 0.5f64.powf(f64::from(k) / 5.0);
            if (1.0 - p) * SAMPLES < 1.0 {
                break;
            }
            let value = self.latency_us(p);
            let count = (p * SAMPLES).round().max(1.0);
            let _ = writeln!(
                out,
                "{value:12.3} {p:2.12} {count:10} {:14.2}",
                1.0 / (1.0 - p)
            );
            k += 1;
        }
        let max = self.latency_us(1.0 - 1.0 / SAMPLES) * 1.2;
        let _ = writeln!(out, "{max:12.3} {:2.12} {SAMPLES:10}", 1.0);
        let _ = writeln!(
            out,
            "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
            self.p50_us * 1.2,
            self.p50_us
        );
        let _ = writeln!(
            out,
            "#[Max     = {max:12.3}, Total count    = {SAMPLES:12}]"
        );
        let _ = writeln!(out, "#[Buckets = {:12}, SubBuckets     = {:12}]", 22, 2048);
        out
    }

    fn summary_row(&self) -> String {
        let q = |p| self.latency_us(p);
        let ops = self.throughput_wf_s * 60.0 * 4.0;
        let hit_ratio = if self.name == "nocache" {
            String::new()
        } else {
            "0.83".into()
        };
        format!(
            "{},{},{ops},60.0,{},{},{},{},{},{},{},{},{},{},{},{hit_ratio},{},{},24.0,ignored\n",
            self.name,
            self.throughput_wf_s * 60.0,
            self.throughput_wf_s,
            ops / 60.0,
            q(0.5) * 1.2,
            q(0.5),
            q(0.9),
            q(0.95),
            q(0.99),
            q(0.999),
            q(1.0 - 1.0 / SAMPLES) * 1.2,
            q(0.5) / 4.0,
            q(0.99) / 4.0,
            ops as u64 / 5,
            ops as u64 / 20,
        )
    }
}

pub const SUMMARY_HEADER: &str = "design,workflows,ops,duration_s,throughput_wf_s,throughput_ops_s,\
mean_us,p50_us,p90_us,p95_us,p99_us,p999_us,max_us,op_mean_us,op_p99_us,hit_ratio,db_reads,\
db_writes,metadata_bytes_per_key,future_column\n";

/// Writes `summary.csv` (with an extra column later versions may add) and
/// the `.hgrm` files of the designs that ask for one.
pub fn write_run(dir: &Path, designs: &[Design]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut summary = String::from(SUMMARY_HEADER);
    for design in designs {
        summary.push_str(&design.summary_row());
        if design.hgrm {
            fs::write(dir.join(format!("{}.hgrm", design.name)), design.hgrm())?;
        }
    }
    fs::write(dir.join("summary.csv"), summary)
}
