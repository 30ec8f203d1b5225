//! `cmbench`: run cache designs side by side and compare them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use harness::bench;
use harness::checker;
use harness::compare;
use harness::config::{RunConfig, set_overrides};
use harness::latency::LatencyProfile;
use harness::paper;
use harness::registry;
use harness::results;
use harness::sim_commands::{self, CalibrateArgs, ExploreArgs};
use harness::sweep::{self, Sweep, vary::Vary};

#[derive(Parser)]
#[command(
    name = "cmbench",
    version,
    about = "Causally consistent caches for roaming workflows, measured side by side"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run designs on a workload and write results/<name>/.
    Run(Box<RunArgs>),
    /// Run every design at every point of one or two varied config fields
    /// into one sweep folder (sweep.csv, knees.csv for rate sweeps).
    Sweep(Box<SweepArgs>),
    /// NEW/OLD ratios of throughput, latency and CPU per design (and sweep
    /// point); exits non-zero when a --metric regresses past --threshold
    /// (sim runs; live runs only with --strict).
    Compare {
        /// A results folder, a sweep folder, or a summary.csv / sweep.csv.
        old: PathBuf,
        new: PathBuf,
        /// Metrics that decide the exit status: --metric p99_us,throughput_wf_s
        #[arg(long = "metric", value_delimiter = ',')]
        metrics: Vec<String>,
        /// Relative change allowed before a metric counts as regressed.
        #[arg(long, default_value_t = 0.05)]
        threshold: f64,
        /// Fail on live regressions too (beyond the noise margin).
        #[arg(long)]
        strict: bool,
    },
    /// Run every experiment of the paper's evaluation as a sweep, draw the
    /// plots and write REPORT.md (`make reproduce`).
    Reproduce(Box<ReproduceArgs>),
    /// Write REPORT.md from the paper experiments' sweeps in a folder and the
    /// paper's reference numbers.
    Report(Box<PaperFiles>),
    /// List the designs and workloads.
    List,
    /// Draw the plots of a results or sweep folder again.
    Plot { dir: PathBuf },
    /// Check the POPL'16 proof rule for an invariant workload (bank, auction,
    /// registry) by enumeration: print the conflicts it needs and, with
    /// --conflicts or --tokens, whether that assignment is enough (exits
    /// non-zero with a counter-example when it is not).
    Analyze {
        workload: String,
        /// Conflicting pairs to verify, e.g. `withdraw:withdraw,bid:close`.
        #[arg(long, conflicts_with = "tokens")]
        conflicts: Option<String>,
        /// A TOML file with `conflicts = ["withdraw:withdraw", ...]`.
        #[arg(long)]
        tokens: Option<PathBuf>,
    },
    /// Measure each design's server handler time per message kind on this
    /// machine (in the simulator, release build) and write a service-time
    /// profile for `sim.profile`.
    Calibrate(CalibrateArgs),
    /// Run a small config in the simulator under random fault schedules, a
    /// seed at a time, until an anomaly, a lost write or a broken invariant; print the seed, the
    /// shrunk schedule and the violation, and exit non-zero if one was found.
    Explore(ExploreArgs),
    /// Check saved histories (`<design>.history.jsonl`) for causal anomalies;
    /// exits non-zero when any file has one.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Violations to print per file.
        #[arg(long, default_value_t = 10)]
        show: usize,
    },
}

#[derive(Args)]
struct RunArgs {
    /// A TOML run config; fields not given keep their defaults.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Comma-separated designs, or "all".
    #[arg(long, value_delimiter = ',')]
    designs: Option<Vec<String>>,
    #[arg(long)]
    servers: Option<usize>,
    /// Open loop at this many workflows per second.
    #[arg(long, conflicts_with = "concurrency")]
    rate: Option<f64>,
    /// Closed loop with this many workflows in flight.
    #[arg(long)]
    concurrency: Option<u32>,
    /// Measured time, e.g. 10s.
    #[arg(long)]
    duration: Option<String>,
    #[arg(long)]
    warmup: Option<String>,
    #[arg(long)]
    zipf: Option<f64>,
    #[arg(long)]
    keys: Option<u64>,
    #[arg(long)]
    seed: Option<u64>,
    /// Run name; results go to results/<name>/ unless --out is given.
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override any config field: --set load.drain=2s --set workload.value_size=64
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    set: Vec<String>,
    /// Record operation histories (`<design>.history.jsonl`) and check them.
    #[arg(long, value_parser = ["on", "off"])]
    history: Option<String>,
    /// The runtime: live (tokio, real time) or sim (deterministic, virtual time).
    #[arg(long, value_parser = ["live", "sim"])]
    runtime: Option<String>,
    /// Every latency zero: the in-process ceiling of each design.
    #[arg(long)]
    zero_latency: bool,
    /// No progress bars or console table.
    #[arg(long)]
    quiet: bool,
    /// Skip drawing plots.
    #[arg(long)]
    no_plots: bool,
}

#[derive(Args)]
struct PaperFiles {
    /// The folder with one sweep folder per figure; REPORT.md goes there.
    #[arg(long, default_value = "results/paper")]
    out: PathBuf,
    #[arg(long, default_value = "workloads/paper/experiments.toml")]
    experiments: PathBuf,
    #[arg(long, default_value = "workloads/paper/reference.toml")]
    reference: PathBuf,
    #[arg(long, default_value = "workloads/paper/explanations.toml")]
    explanations: PathBuf,
}

#[derive(Args)]
struct ReproduceArgs {
    #[command(flatten)]
    files: PaperFiles,
    /// The reduced run of every experiment (fewer points, shorter runs).
    #[arg(long)]
    quick: bool,
    /// Comma-separated figures to run (the report covers all that ran).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct SweepArgs {
    /// A TOML run config: the base every point starts from.
    #[arg(long)]
    config: Option<PathBuf>,
    /// FIELD=SPEC, SPEC a range 500..6000:500 (inclusive) or a list 2,4,8;
    /// FIELD a dotted config path or rate, servers, zipf, keys. At most twice.
    #[arg(long, value_name = "FIELD=SPEC", required = true)]
    vary: Vec<String>,
    /// Comma-separated designs, or "all".
    #[arg(long, value_delimiter = ',')]
    designs: Option<Vec<String>>,
    /// The runtime of every point: live or sim.
    #[arg(long, value_parser = ["live", "sim"])]
    runtime: Option<String>,
    /// Override any config field of every point: --set load.duration=5s
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    set: Vec<String>,
    /// Sweep folder; results/<name>-sweep/ by default.
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Skip drawing plots.
    #[arg(long)]
    no_plots: bool,
}

/// `--designs` as an override of the `designs` field.
fn designs_override(designs: &[String]) -> (String, String) {
    let quoted: Vec<String> = designs.iter().map(|x| format!("{:?}", x.trim())).collect();
    ("designs".into(), format!("[{}]", quoted.join(", ")))
}

impl RunArgs {
    /// Flags become dotted-path overrides, applied after `--set` ones.
    fn overrides(&self) -> Result<Vec<(String, String)>> {
        let mut o = set_overrides(&self.set)?;
        if let Some(d) = &self.designs {
            o.push(designs_override(d));
        }
        let mut put = |k: &str, v: String| o.push((k.to_string(), v));
        if let Some(v) = self.servers {
            put("servers", v.to_string())
        }
        if let Some(v) = self.rate {
            put("load.mode", "\"open\"".into());
            put("load.rate", format!("{v:?}"));
        }
        if let Some(v) = self.concurrency {
            put("load.mode", "\"closed\"".into());
            put("load.concurrency", v.to_string());
        }
        if let Some(v) = &self.duration {
            put("load.duration", format!("{v:?}"))
        }
        if let Some(v) = &self.warmup {
            put("load.warmup", format!("{v:?}"))
        }
        if let Some(v) = self.zipf {
            put("workload.zipf", format!("{v:?}"))
        }
        if let Some(v) = self.keys {
            put("workload.keys", v.to_string())
        }
        if let Some(v) = &self.history {
            put("history.enabled", (v == "on").to_string())
        }
        if let Some(v) = &self.runtime {
            put("runtime.kind", format!("{v:?}"))
        }
        if let Some(v) = self.seed {
            put("seed", v.to_string())
        }
        if let Some(v) = &self.name {
            put("name", format!("{v:?}"))
        }
        Ok(o)
    }
}

fn run(args: RunArgs) -> Result<()> {
    let mut config = RunConfig::load(args.config.as_deref(), &args.overrides()?)?;
    if args.zero_latency {
        config.latency = LatencyProfile::zero();
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| results::default_dir(&config.name));
    if !args.quiet {
        eprintln!(
            "cmbench: {} on {} servers -> {}",
            config.designs.join(", "),
            config.servers,
            out.display()
        );
        eprintln!("{}", bench::console_header());
    }
    bench::run(&config, &out, args.quiet)?;
    if !args.no_plots {
        let written =
            plots::plot_run(&out).with_context(|| format!("drawing plots in {}", out.display()))?;
        if !args.quiet {
            eprintln!(
                "plots: {}",
                written
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if !args.quiet {
        eprintln!("results: {}", out.join("summary.csv").display());
    }
    Ok(())
}

fn sweep(args: SweepArgs) -> Result<()> {
    let mut overrides = set_overrides(&args.set)?;
    if let Some(d) = &args.designs {
        overrides.push(designs_override(d));
    }
    if let Some(r) = &args.runtime {
        overrides.push(("runtime.kind".into(), format!("{r:?}")));
    }
    let varies = args
        .vary
        .iter()
        .map(|v| Vary::parse(v))
        .collect::<Result<Vec<_>, _>>()?;
    let out = match &args.out {
        Some(out) => out.clone(),
        None => {
            let base = RunConfig::load(args.config.as_deref(), &overrides)?;
            results::default_dir(&format!("{}-sweep", base.name))
        }
    };
    let sweep = Sweep {
        config_file: args.config.clone(),
        overrides,
        varies,
        out: out.clone(),
        quiet: args.quiet,
    };
    let outcome = sweep.run()?;
    if !args.no_plots {
        plots::plot_dir(&out).with_context(|| format!("drawing plots in {}", out.display()))?;
    }
    if !args.quiet {
        eprintln!(
            "sweep: {} points run, {} already done; {} rows in {}",
            outcome.ran,
            outcome.resumed,
            outcome.table.rows.len(),
            out.join(sweep::SWEEP_FILE).display()
        );
    }
    Ok(())
}

fn reproduce(args: ReproduceArgs) -> Result<()> {
    let f = args.files;
    let path = paper::reproduce::Reproduce {
        experiments: f.experiments,
        reference: f.reference,
        explanations: f.explanations,
        out: f.out,
        quick: args.quick,
        only: args.only,
        quiet: args.quiet,
    }
    .run()?;
    println!("{}", path.display());
    Ok(())
}

fn report(f: PaperFiles) -> Result<()> {
    let path = paper::report::write(&paper::report::Inputs {
        experiments: paper::experiments::load(&f.experiments)?,
        reference: paper::reference::Reference::load(&f.reference)?,
        explanations: paper::report::load_explanations(&f.explanations)?,
        dir: f.out,
    })?;
    println!("{}", path.display());
    Ok(())
}

fn compare(
    old: &std::path::Path,
    new: &std::path::Path,
    metrics: Vec<String>,
    threshold: f64,
    strict: bool,
) -> Result<()> {
    let gate = compare::Gate {
        metrics: metrics.iter().map(|m| m.trim().to_string()).collect(),
        threshold,
        strict,
    };
    let (old, new) = (compare::Source::load(old)?, compare::Source::load(new)?);
    println!("{} -> {}", old.path.display(), new.path.display());
    let comparison = compare::compare(&old, &new, &gate)?;
    print!("{}", comparison.render());
    let failures = comparison.failures();
    anyhow::ensure!(
        failures.is_empty(),
        "{} regression(s) past {:.1}%: {}",
        failures.len(),
        comparison.limit * 100.0,
        failures.join("; ")
    );
    if !gate.metrics.is_empty() {
        println!("no regression past {:.1}%", comparison.limit * 100.0);
    }
    Ok(())
}

fn check(files: &[PathBuf], show: usize) -> Result<()> {
    let mut anomalous = Vec::new();
    for file in files {
        let history = checker::history::read_jsonl(file)?;
        let started = std::time::Instant::now();
        let report = checker::check(&history);
        println!(
            "{}: {} operations checked in {:.2?}",
            file.display(),
            history.len(),
            started.elapsed()
        );
        println!("{}", report.show(show));
        if report.total() > 0 {
            anomalous.push(file.display().to_string());
        }
    }
    anyhow::ensure!(
        anomalous.is_empty(),
        "causal anomalies in {}",
        anomalous.join(", ")
    );
    Ok(())
}

/// The assignment file of `cmbench analyze --tokens`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    conflicts: Vec<String>,
}

fn analyze(workload: &str, conflicts: Option<String>, tokens: Option<PathBuf>) -> Result<()> {
    let given = match tokens {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let file: TokenFile =
                toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
            Some(file.conflicts.join(","))
        }
        None => conflicts,
    };
    let analysis =
        workloads::invariants::analyze(workload, given.as_deref()).map_err(anyhow::Error::msg)?;
    print!("{}", analysis.text);
    anyhow::ensure!(
        analysis.enough,
        "the conflicts are not enough to keep {workload}'s invariant"
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(*args),
        Command::Sweep(args) => sweep(*args),
        Command::Reproduce(args) => reproduce(*args),
        Command::Report(files) => report(*files),
        Command::Compare {
            old,
            new,
            metrics,
            threshold,
            strict,
        } => compare(&old, &new, metrics, threshold, strict),
        Command::List => {
            println!("designs:");
            for name in registry::names() {
                let Some(t) = registry::traits(name) else {
                    continue;
                };
                let pick = |b: bool, yes: &'static str, no: &'static str| if b { yes } else { no };
                println!(
                    "  {name:<20} {:<10} {:<10} {:<17} {}",
                    pick(t.causal, "causal", "not causal"),
                    pick(t.abort_free, "abort-free", "may abort"),
                    pick(t.coordination_free, "coordination-free", "coordinates"),
                    t.about
                );
            }
            println!("workloads:");
            for (name, about) in workloads::WORKLOADS {
                println!("  {name:<20} {about}");
            }
            Ok(())
        }
        Command::Check { files, show } => check(&files, show),
        Command::Calibrate(args) => sim_commands::calibrate(args),
        Command::Explore(args) => match sim_commands::explore(args) {
            Ok(true) => return ExitCode::FAILURE,
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        },
        Command::Analyze {
            workload,
            conflicts,
            tokens,
        } => analyze(&workload, conflicts, tokens),
        Command::Plot { dir } => plots::plot_dir(&dir)
            .map(|written| {
                for p in written {
                    println!("{}", p.display());
                }
            })
            .with_context(|| format!("drawing plots in {}", dir.display())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cmbench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
