//! `cmbench compare OLD NEW`: NEW/OLD ratios of the headline metrics, per
//! design (and per point of a sweep), and a regression gate for CI.
//!
//! Simulated runs are deterministic, so two sim results compare exactly: a
//! metric regresses as soon as it moves past the threshold in the bad
//! direction. Live runs vary from run to run, so a live comparison widens the
//! threshold by [`LIVE_NOISE_MARGIN`] and only reports, unless `strict`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::sweep::{RowKey, SWEEP_FILE, table::Table};

/// Metrics printed when none is chosen.
pub const DEFAULT_METRICS: [&str; 4] = ["throughput_wf_s", "p50_us", "p99_us", "cpu_us_per_wf"];

/// Extra relative change a live metric may show before it is flagged. It is
/// a floor for a quiet machine only: three identical 5 s live runs of
/// quick.toml on this 2-core machine while other jobs ran (load average 10)
/// gave CausalMesh p99 ratios of 1.8 and 9.3, with `runtime_lag_us` of 1 to
/// 32 ms, so live comparisons never gate unless asked to (`strict`).
pub const LIVE_NOISE_MARGIN: f64 = 0.10;

/// One side of a comparison: a results folder, a sweep folder, or either's
/// CSV file.
pub struct Source {
    pub path: PathBuf,
    pub table: Table,
    /// The sweep's varied columns (empty for a single run).
    pub varied: Vec<String>,
    /// Whether the results came from the simulated runtime.
    pub sim: bool,
}

impl Source {
    pub fn load(path: &Path) -> Result<Source> {
        let (file, folder) = if path.is_dir() {
            let sweep = path.join(SWEEP_FILE);
            let file = if sweep.is_file() {
                sweep
            } else {
                path.join("summary.csv")
            };
            (file, path.to_path_buf())
        } else {
            let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            (path.to_path_buf(), folder)
        };
        let table = Table::read(&file)?;
        if table.column("design").is_none() {
            bail!("{}: no design column", file.display());
        }
        // A sweep's varied fields sit between `design` and the first summary column.
        let varied = match table.column("workflows") {
            Some(end) => table.headers[1..end].to_vec(),
            None => Vec::new(),
        };
        Ok(Source {
            path: file,
            table,
            varied,
            sim: runtime_is_sim(&folder.join("config.toml")),
        })
    }
}

/// True when the config names the simulated runtime (`runtime.kind = "sim"`).
fn runtime_is_sim(config: &Path) -> bool {
    std::fs::read_to_string(config)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|t| {
            t.get("runtime")
                .and_then(|r| r.get("kind"))
                .and_then(toml::Value::as_str)
                == Some("sim")
        })
}

/// Which metrics decide the exit status, and how strictly.
#[derive(Clone, Debug, Default)]
pub struct Gate {
    pub metrics: Vec<String>,
    /// Relative change allowed, e.g. 0.05 for 5%.
    pub threshold: f64,
    /// Fail on a live regression too.
    pub strict: bool,
}

/// Throughputs and hit ratios are better higher; latencies, CPU, messages
/// and everything else better lower.
pub fn higher_is_better(metric: &str) -> bool {
    metric.starts_with("throughput") || metric == "hit_ratio"
}

/// One metric of one design at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub design: String,
    /// `field=value,...` of a sweep point; empty for a single run.
    pub point: String,
    pub metric: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
    pub gated: bool,
    pub regressed: bool,
}

impl Line {
    /// NEW/OLD; 1 when both are 0, infinite when only OLD is.
    pub fn ratio(&self) -> Option<f64> {
        let (old, new) = (self.old?, self.new?);
        Some(if old == 0.0 {
            if new == 0.0 { 1.0 } else { f64::INFINITY }
        } else {
            new / old
        })
    }
}

pub struct Comparison {
    pub lines: Vec<Line>,
    /// Rows of OLD that NEW lacks.
    pub missing: Vec<String>,
    /// Both sides are sim runs.
    pub exact: bool,
    /// The relative change a gated metric may show: the threshold, plus the
    /// noise margin for live runs.
    pub limit: f64,
    pub gate: Gate,
}

pub fn compare(old: &Source, new: &Source, gate: &Gate) -> Result<Comparison> {
    if old.varied != new.varied {
        bail!(
            "{} varies [{}] but {} varies [{}]: not the same sweep",
            old.path.display(),
            old.varied.join(", "),
            new.path.display(),
            new.varied.join(", ")
        );
    }
    if !(gate.threshold.is_finite() && gate.threshold >= 0.0) {
        bail!(
            "--threshold: must be a non-negative fraction, got {}",
            gate.threshold
        );
    }
    let mut metrics: Vec<String> = DEFAULT_METRICS.iter().map(|m| m.to_string()).collect();
    for m in &gate.metrics {
        if old.table.column(m).is_none() {
            bail!("--metric {m}: no such column in {}", old.path.display());
        }
        if !metrics.contains(m) {
            metrics.push(m.clone());
        }
    }
    let exact = old.sim && new.sim;
    let limit = gate.threshold + if exact { 0.0 } else { LIVE_NOISE_MARGIN };
    let mut lines = Vec::new();
    let mut missing = Vec::new();
    for row in &old.table.rows {
        let mut key: RowKey = vec![(
            "design".into(),
            old.table.cell(row, "design").unwrap_or_default().into(),
        )];
        for f in &old.varied {
            key.push((f.clone(), old.table.cell(row, f).unwrap_or_default().into()));
        }
        let point = key[1..]
            .iter()
            .map(|(f, v)| format!("{f}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let design = key[0].1.clone();
        let Some(new_row) = new.table.find(&key) else {
            missing.push(if point.is_empty() {
                design
            } else {
                format!("{design} at {point}")
            });
            continue;
        };
        for metric in &metrics {
            let old_v = old
                .table
                .number(row, metric)
                .with_context(|| old.path.display().to_string())?;
            let new_v = new
                .table
                .number(new_row, metric)
                .with_context(|| new.path.display().to_string())?;
            let gated = gate.metrics.contains(metric);
            let mut line = Line {
                design: design.clone(),
                point: point.clone(),
                metric: metric.clone(),
                old: old_v,
                new: new_v,
                gated,
                regressed: false,
            };
            line.regressed = match (line.ratio(), old_v) {
                (Some(r), _) if higher_is_better(metric) => r < 1.0 - limit,
                (Some(r), _) => r > 1.0 + limit,
                // A value that was measured and now is not counts against NEW.
                (None, Some(_)) => true,
                (None, None) => false,
            };
            lines.push(line);
        }
    }
    Ok(Comparison {
        lines,
        missing,
        exact,
        limit,
        gate: gate.clone(),
    })
}

impl Comparison {
    /// Gated metrics that regressed (or rows that vanished), when a failure
    /// should stop CI: always for exact comparisons, for live ones only when strict.
    pub fn failures(&self) -> Vec<String> {
        if self.gate.metrics.is_empty() || !(self.exact || self.gate.strict) {
            return Vec::new();
        }
        let mut out: Vec<String> = self
            .missing
            .iter()
            .map(|m| format!("{m}: missing"))
            .collect();
        out.extend(
            self.lines
                .iter()
                .filter(|l| l.gated && l.regressed)
                .map(|l| {
                    let at = if l.point.is_empty() {
                        String::new()
                    } else {
                        format!(" at {}", l.point)
                    };
                    format!("{}{at}: {} ratio {}", l.design, l.metric, show_ratio(l))
                }),
        );
        out
    }

    /// The comparison as a console table.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let kind = if self.exact {
            "sim vs sim, exact".to_string()
        } else {
            format!(
                "live, noise margin {:.0}% (reported only{})",
                LIVE_NOISE_MARGIN * 100.0,
                if self.gate.strict {
                    "; --strict: gated"
                } else {
                    ""
                }
            )
        };
        let _ = writeln!(
            out,
            "{kind}; a metric regresses past {:.1}% in its bad direction",
            self.limit * 100.0
        );
        let with_points = self.lines.iter().any(|l| !l.point.is_empty());
        let point_width = self.lines.iter().map(|l| l.point.len()).max().unwrap_or(0);
        let _ = write!(out, "{:<18}", "design");
        if with_points {
            let _ = write!(out, " {:<point_width$}", "point");
        }
        let _ = writeln!(
            out,
            " {:<16} {:>14} {:>14} {:>8}",
            "metric", "old", "new", "new/old"
        );
        for l in &self.lines {
            let _ = write!(out, "{:<18}", l.design);
            if with_points {
                let _ = write!(out, " {:<point_width$}", l.point);
            }
            let mark = match (l.regressed, l.gated) {
                (true, true) => "  REGRESSED",
                (true, false) => "  worse",
                _ => "",
            };
            let _ = writeln!(
                out,
                " {:<16} {:>14} {:>14} {:>8}{mark}",
                l.metric,
                show(l.old),
                show(l.new),
                show_ratio(l)
            );
        }
        for m in &self.missing {
            let _ = writeln!(out, "{m}: in OLD but not in NEW");
        }
        out
    }
}

fn show(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn show_ratio(l: &Line) -> String {
    l.ratio().map_or("-".into(), |r| format!("{r:.3}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Folder(PathBuf);

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const HEADER: &str = "design,workflows,throughput_wf_s,p50_us,p99_us,cpu_us_per_wf";

    /// A results folder holding `rows` under HEADER and a config naming `kind`.
    fn folder(tag: &str, kind: &str, rows: &[&str]) -> Folder {
        let dir =
            std::env::temp_dir().join(format!("cmbench-compare-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut csv = format!("{HEADER}\n");
        for r in rows {
            csv.push_str(r);
            csv.push('\n');
        }
        std::fs::write(dir.join("summary.csv"), csv).unwrap();
        std::fs::write(
            dir.join("config.toml"),
            format!("seed = 1\n[runtime]\nkind = \"{kind}\"\n"),
        )
        .unwrap();
        Folder(dir)
    }

    fn gate(metrics: &[&str], threshold: f64, strict: bool) -> Gate {
        Gate {
            metrics: metrics.iter().map(|m| m.to_string()).collect(),
            threshold,
            strict,
        }
    }

    fn run(old: &Folder, new: &Folder, g: &Gate) -> Comparison {
        compare(
            &Source::load(&old.0).unwrap(),
            &Source::load(&new.0).unwrap(),
            g,
        )
        .unwrap()
    }

    const BASE: [&str; 2] = ["a,100,1000,500,900,40", "b,100,800,600,1200,50"];

    #[test]
    fn identical_sim_runs_pass_and_ratios_are_one() {
        let old = folder("same-old", "sim", &BASE);
        let new = folder("same-new", "sim", &BASE);
        let c = run(
            &old,
            &new,
            &gate(&["throughput_wf_s", "p99_us"], 0.02, false),
        );
        assert!(c.exact);
        assert!(c.failures().is_empty());
        assert_eq!(c.lines.len(), 8);
        assert!(c.lines.iter().all(|l| l.ratio() == Some(1.0)));
    }

    #[test]
    fn sim_regressions_fail_in_the_bad_direction_only() {
        let old = folder("dir-old", "sim", &BASE);
        // a: p99 3% worse and throughput 10% better; b: throughput 3% worse.
        let new = folder(
            "dir-new",
            "sim",
            &["a,100,1100,500,927,40", "b,100,776,600,1200,50"],
        );
        let c = run(
            &old,
            &new,
            &gate(&["p99_us", "throughput_wf_s"], 0.02, false),
        );
        let f = c.failures();
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].starts_with("a: p99_us ratio 1.030"), "{f:?}");
        assert!(f[1].starts_with("b: throughput_wf_s ratio 0.970"), "{f:?}");
        // Within the threshold, or on an ungated metric: no failure.
        let c = run(
            &old,
            &new,
            &gate(&["p99_us", "throughput_wf_s"], 0.05, false),
        );
        assert!(c.failures().is_empty());
        let c = run(&old, &new, &gate(&["p50_us"], 0.0, false));
        assert!(c.failures().is_empty());
        assert!(c.render().contains("worse"));
    }

    #[test]
    fn live_runs_report_unless_strict_and_allow_noise() {
        let old = folder("live-old", "live", &BASE);
        let slight = folder("live-slight", "live", &["a,100,1000,500,990,40", BASE[1]]);
        let large = folder("live-large", "live", &["a,100,1000,500,1200,40", BASE[1]]);
        let g = gate(&["p99_us"], 0.02, false);
        assert!(!run(&old, &large, &g).exact);
        assert!(run(&old, &large, &g).failures().is_empty(), "report only");
        let strict = gate(&["p99_us"], 0.02, true);
        assert!(
            run(&old, &slight, &strict).failures().is_empty(),
            "10% is within threshold + noise margin"
        );
        assert_eq!(run(&old, &large, &strict).failures().len(), 1);
    }

    #[test]
    fn a_design_missing_from_new_fails_the_gate() {
        let old = folder("miss-old", "sim", &BASE);
        let new = folder("miss-new", "sim", &BASE[..1]);
        let c = run(&old, &new, &gate(&["p99_us"], 0.02, false));
        assert_eq!(c.failures(), ["b: missing"]);
        let c = run(&old, &new, &gate(&[], 0.02, false));
        assert!(c.failures().is_empty(), "no gate, no failure");
    }

    #[test]
    fn bad_metrics_and_mismatched_sweeps_are_named() {
        let old = folder("bad-old", "sim", &BASE);
        let new = folder("bad-new", "sim", &BASE);
        let err = compare(
            &Source::load(&old.0).unwrap(),
            &Source::load(&new.0).unwrap(),
            &gate(&["p42_us"], 0.02, false),
        )
        .err()
        .unwrap();
        assert!(
            err.to_string()
                .starts_with("--metric p42_us: no such column")
        );
        let sweep = old.0.join(SWEEP_FILE);
        std::fs::write(
            &sweep,
            format!(
                "design,load.rate,{}\na,100,1,2,3,4,5\n",
                &HEADER["design,".len()..]
            ),
        )
        .unwrap();
        let err = compare(
            &Source::load(&sweep).unwrap(),
            &Source::load(&new.0).unwrap(),
            &Gate::default(),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("not the same sweep"), "{err}");
    }

    #[test]
    fn sweeps_compare_point_by_point() {
        let old = folder("sweep-old", "sim", &[]);
        let new = folder("sweep-new", "sim", &[]);
        let head = format!("design,load.rate,{}", &HEADER["design,".len()..]);
        std::fs::write(
            old.0.join(SWEEP_FILE),
            format!("{head}\na,100,1,100,5,9,1\na,200,1,200,5,9,1\n"),
        )
        .unwrap();
        std::fs::write(
            new.0.join(SWEEP_FILE),
            format!("{head}\na,200,1,150,5,9,1\na,100,1,100,5,9,1\n"),
        )
        .unwrap();
        let c = run(&old, &new, &gate(&["throughput_wf_s"], 0.02, false));
        assert_eq!(
            c.failures(),
            ["a at load.rate=200: throughput_wf_s ratio 0.750"]
        );
        assert!(c.render().contains("load.rate=200"));
    }
}
