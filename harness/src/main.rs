//! `cmbench`: run cache designs side by side and compare them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use harness::bench;
use harness::checker;
use harness::config::RunConfig;
use harness::latency::LatencyProfile;
use harness::registry;
use harness::results;
use harness::runtime::sim::{calibrate, explore};

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
    /// List the designs and workloads.
    List,
    /// Draw the plots of a results folder again.
    Plot { dir: PathBuf },
    /// Measure each design's server handler time per message kind on this
    /// machine (in the simulator, release build) and write a service-time
    /// profile for `sim.profile`.
    Calibrate(CalibrateArgs),
    /// Run a small config in the simulator under random fault schedules, a
    /// seed at a time, until an anomaly or a lost write; print the seed, the
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
struct CalibrateArgs {
    /// A run config for the measuring workload; by default every design
    /// on the micro-benchmark at 2000 wf/s for 3 s.
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long, default_value = "profile.toml")]
    out: PathBuf,
    /// Override any config field: --set servers=8
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    set: Vec<String>,
    /// Service time of kinds never measured, in nanoseconds.
    #[arg(long, default_value_t = 2000)]
    default_ns: u64,
    /// Runs per design; each kind keeps its lowest mean.
    #[arg(long, default_value_t = 3)]
    repeat: u32,
}

#[derive(Args)]
struct ExploreArgs {
    #[arg(long)]
    design: String,
    /// Seeds to try.
    #[arg(long, default_value_t = 200)]
    seeds: u64,
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Also draw faults beyond the protocols' model (loss, duplication,
    /// reordering, crashes).
    #[arg(long)]
    beyond_model: bool,
    /// A run config to explore instead of the built-in small one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Override any config field.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    set: Vec<String>,
    /// Where to write the config that reproduces a finding.
    #[arg(long)]
    out: Option<PathBuf>,
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

impl RunArgs {
    /// Flags become dotted-path overrides, applied after `--set` ones.
    fn overrides(&self) -> Result<Vec<(String, String)>> {
        let mut o = parse_sets(&self.set)?;
        let mut put = |k: &str, v: String| o.push((k.to_string(), v));
        if let Some(d) = &self.designs {
            let quoted: Vec<String> = d.iter().map(|x| format!("{:?}", x.trim())).collect();
            put("designs", format!("[{}]", quoted.join(", ")));
        }
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

fn calibrate(args: CalibrateArgs) -> Result<()> {
    let CalibrateArgs {
        config,
        out,
        set,
        default_ns,
        repeat,
    } = args;
    let mut overrides: Vec<(String, String)> = Vec::new();
    if config.is_none() {
        for (k, v) in [
            ("designs", "[\"all\"]"),
            ("load.rate", "2000"),
            ("load.warmup", "500ms"),
            ("load.duration", "3s"),
            ("load.drain", "1s"),
        ] {
            overrides.push((k.into(), v.into()));
        }
    }
    overrides.push(("history.enabled".into(), "false".into()));
    overrides.push(("runtime.kind".into(), "\"sim\"".into()));
    overrides.extend(parse_sets(&set)?);
    let config = RunConfig::load(config.as_deref(), &overrides)?;
    let profile = calibrate::calibrate(&config, default_ns, repeat, |design, costs| {
        let kinds: Vec<String> = costs
            .iter()
            .map(|(k, (ns, calls))| format!("{k} {ns} ns ({calls})"))
            .collect();
        eprintln!("{design:>18}: {}", kinds.join(", "));
    })?;
    let text = profile.to_toml().map_err(anyhow::Error::msg)?;
    results::write_atomically(&out, |w| w.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!("profile: {}", out.display());
    Ok(())
}

fn explore(args: ExploreArgs) -> Result<bool> {
    let mut overrides: Vec<(String, String)> = Vec::new();
    if args.config.is_none() {
        overrides.extend(
            explore::DEFAULT_OVERRIDES
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
    }
    overrides.extend(parse_sets(&args.set)?);
    let base = RunConfig::load(args.config.as_deref(), &overrides)?;
    let started = std::time::Instant::now();
    let (tried, found) = explore::explore(
        &base,
        &args.design,
        args.first_seed,
        args.seeds,
        args.beyond_model,
        |seed| eprint!("\rseed {seed}"),
    )?;
    eprintln!();
    let took = started.elapsed();
    let Some(f) = found else {
        println!(
            "{}: no anomaly and no lost write in {tried} seeds ({:.1?})",
            args.design, took
        );
        return Ok(false);
    };
    println!(
        "{}: seed {} fails after {tried} seeds ({:.1?}): {} anomalies, {} lost writes",
        args.design,
        f.seed,
        took,
        f.report.total(),
        f.lost_writes
    );
    println!(
        "schedule shrunk from {} to {} faults:\n{}",
        f.drawn,
        f.config.faults.len(),
        f.schedule_toml()
    );
    println!("{}", f.report.show(3));
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("explore-{}-seed{}.toml", args.design, f.seed)));
    let text = f.config.to_toml()?;
    results::write_atomically(&out, |w| w.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", out.display()))?;
    println!("reproduce: cmbench run --config {}", out.display());
    Ok(true)
}

/// `--set FIELD=VALUE` flags as dotted-path overrides.
fn parse_sets(set: &[String]) -> Result<Vec<(String, String)>> {
    set.iter()
        .map(|s| {
            let (k, v) = s
                .split_once('=')
                .with_context(|| format!("--set {s}: expected FIELD=VALUE"))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(*args),
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
        Command::Calibrate(args) => calibrate(args),
        Command::Explore(args) => match explore(args) {
            Ok(true) => return ExitCode::FAILURE,
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        },
        Command::Plot { dir } => plots::plot_run(&dir)
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
