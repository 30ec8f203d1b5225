//! A benchmark run: every configured design, one after another, on the same
//! workload and latency model, into one results folder.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use impls::Design;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::checker::{self, Report};
use crate::config::{LoadMode, RunConfig, RuntimeKind};
use crate::history;
use crate::invariants;
use crate::recorder::Summary;
use crate::registry::{self, DesignVisitor};
use crate::results;
use crate::runtime::outcome::Outcome;
use crate::runtime::{live, sim};

/// Runs one design on the runtime the config names.
struct RunDesign<'a> {
    config: &'a RunConfig,
    workload: Arc<dyn workloads::Workload>,
    progress: &'a (dyn Fn(f64) + Sync),
}

impl DesignVisitor for RunDesign<'_> {
    type Output = Result<Outcome>;
    fn visit<D: Design>(self) -> Result<Outcome> {
        match self.config.runtime.kind {
            RuntimeKind::Live => live::run::<D>(self.config, self.workload, self.progress),
            RuntimeKind::Sim => sim::run::<D>(self.config, self.workload, self.progress),
        }
    }
}

/// Runs every design of `config` and writes the results folder `out`.
pub fn run(config: &RunConfig, out: &Path, quiet: bool) -> Result<Vec<Summary>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    // A summary from an earlier run must not sit beside this run's config.
    let summary_path = out.join("summary.csv");
    if summary_path.exists() {
        std::fs::remove_file(&summary_path)
            .with_context(|| format!("removing old {}", summary_path.display()))?;
    }
    let resolved = config.resolved(results::git_revision());
    let toml = resolved.to_toml()?;
    results::write_atomically(&out.join("config.toml"), |w| w.write_all(toml.as_bytes()))
        .context("writing config.toml")?;
    let workload: Arc<dyn workloads::Workload> = Arc::from(
        workloads::build(&config.workload, config.servers, config.seed).map_err(|e| anyhow!(e))?,
    );
    let offered = match config.load.mode {
        LoadMode::Open => config.load.rate,
        LoadMode::Closed => 0.0,
    };
    let mut rows = Vec::new();
    for design in &config.designs {
        let bar = progress_bar(design, quiet);
        let progress = |f: f64| bar.set_position((f * 1000.0) as u64);
        let visitor = RunDesign {
            config,
            workload: workload.clone(),
            progress: &progress,
        };
        let outcome = registry::with_design(design, visitor)
            .ok_or_else(|| anyhow!("designs: unknown design `{design}`"))??;
        bar.finish_and_clear();
        if !outcome.quiesced {
            eprintln!(
                "warning: {design}: messages were still in flight after the drain time; server figures may be incomplete"
            );
        }
        let mut summary = outcome.recorder.summary(design, offered, outcome.figures);
        if let Some(inv) = workload.invariants() {
            let violations = outcome.invariants.violations(inv);
            summary.invariant_violations = Some(violations.len() as u64);
            invariants::write_report(&out.join(format!("{design}.invariants.txt")), &violations)
                .with_context(|| format!("writing {design}.invariants.txt"))?;
            if !violations.is_empty() && !quiet {
                eprintln!(
                    "{design}: {} invariant violations, e.g. {} (see {design}.invariants.txt)",
                    violations.len(),
                    violations[0].what
                );
            }
        }
        results::write_hgrm(
            &out.join(format!("{design}.hgrm")),
            &outcome.recorder.workflow,
        )
        .with_context(|| format!("writing {design}.hgrm"))?;
        results::write_hlog(
            &out.join(format!("{design}.hlog")),
            &outcome.recorder.intervals,
            outcome.window_start,
        )
        .with_context(|| format!("writing {design}.hlog"))?;
        if !outcome.servers.is_empty() {
            results::write_servers(&out.join(format!("{design}.servers.csv")), &outcome.servers)
                .with_context(|| format!("writing {design}.servers.csv"))?;
        }
        if config.history.enabled {
            let mut history = outcome.history;
            // A truncated history misses writes its reads saw: nothing to check.
            if !outcome.history_truncated {
                let report = checker::check(&history);
                summary.anomalies = Some(report.total() as u64);
                summary.anomaly_rate = Some(anomaly_rate(&report));
                if report.total() > 0 && !quiet {
                    eprintln!("{design}: {}", anomaly_line(&report));
                }
            }
            history::write_jsonl(&out.join(format!("{design}.history.jsonl")), &mut history)
                .with_context(|| format!("writing {design}.history.jsonl"))?;
            if outcome.history_truncated {
                eprintln!(
                    "warning: {design}: history truncated at {} operations (history.max_ops)",
                    config.history.max_ops
                );
            }
        }
        if !quiet {
            eprintln!("{}", console_line(&summary));
        }
        rows.push(summary);
    }
    results::write_summary(&summary_path, &rows).context("writing summary.csv")?;
    Ok(rows)
}

fn progress_bar(design: &str, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::new(1000);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template("{msg:>16} [{bar:40}] {percent:>3}% eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(design.to_string());
    bar
}

/// The fraction of sessions an anomaly involves: the reader of an anomalous
/// read, or every session on a cycle.
pub fn anomaly_rate(report: &Report) -> f64 {
    let involved: std::collections::BTreeSet<u64> = report
        .violations
        .iter()
        .flat_map(|v| {
            let cycle = matches!(
                v.kind,
                checker::Anomaly::CyclicCO | checker::Anomaly::CyclicCF
            );
            v.ops
                .iter()
                .take(if cycle { v.ops.len() } else { 1 })
                .map(|op| op.session)
        })
        .collect();
    if report.sessions == 0 {
        0.0
    } else {
        involved.len() as f64 / report.sessions as f64
    }
}

/// The anomaly kinds found, with counts, and the session guarantees broken.
pub fn anomaly_line(report: &Report) -> String {
    let nonzero = |v: Vec<(&str, usize)>| {
        v.into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let guarantees = nonzero(report.guarantees());
    let broken = if guarantees.is_empty() {
        String::new()
    } else {
        format!("; session guarantees broken: {guarantees}")
    };
    format!(
        "{} anomalies: {}{broken}",
        report.total(),
        nonzero(report.kinds())
    )
}

pub fn console_header() -> String {
    format!(
        "{:>16} {:>10} {:>10} {:>9} {:>9} {:>9} {:>6} {:>9} {:>9} {:>6}",
        "design",
        "wf/s",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "hit",
        "db reads",
        "db writes",
        "unfin"
    )
}

pub fn console_line(s: &Summary) -> String {
    format!(
        "{:>16} {:>10.1} {:>10.1} {:>9.3} {:>9.3} {:>9.3} {:>6.3} {:>9} {:>9} {:>6}",
        s.design,
        s.throughput_wf_s,
        s.throughput_ops_s,
        s.p50_us as f64 / 1e3,
        s.p99_us as f64 / 1e3,
        s.p999_us as f64 / 1e3,
        s.hit_ratio,
        s.db_reads,
        s.db_writes,
        s.unfinished
    )
}
