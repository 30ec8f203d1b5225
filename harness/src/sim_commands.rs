//! The simulator's own subcommands, `cmbench calibrate` and `cmbench
//! explore`: their arguments and what they print. The work is done by
//! [`crate::runtime::sim::calibrate`] and [`crate::runtime::sim::explore`].

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::config::{RunConfig, set_overrides};
use crate::results;
use crate::runtime::sim::{calibrate, explore};

/// `cmbench calibrate`.
#[derive(Args)]
pub struct CalibrateArgs {
    /// A run config for the measuring workload; by default every design
    /// on the micro-benchmark at 2000 wf/s for 3 s.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, default_value = "profile.toml")]
    pub out: PathBuf,
    /// Override any config field: --set servers=8
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Service time of kinds never measured, in nanoseconds.
    #[arg(long, default_value_t = 2000)]
    pub default_ns: u64,
    /// Runs per design; each kind keeps its lowest mean.
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
}

/// `cmbench explore`.
#[derive(Args)]
pub struct ExploreArgs {
    #[arg(long)]
    pub design: String,
    /// Seeds to try.
    #[arg(long, default_value_t = 200)]
    pub seeds: u64,
    #[arg(long, default_value_t = 0)]
    pub first_seed: u64,
    /// Also draw faults beyond the protocols' model (loss, duplication,
    /// reordering, crashes).
    #[arg(long)]
    pub beyond_model: bool,
    /// A run config to explore instead of the built-in small one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Override any config field.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Where to write the config that reproduces a finding.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Measures and writes a service-time profile.
pub fn calibrate(args: CalibrateArgs) -> Result<()> {
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
    overrides.extend(set_overrides(&set)?);
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

/// Explores seeds; returns whether it found a failure.
pub fn explore(args: ExploreArgs) -> Result<bool> {
    let mut overrides: Vec<(String, String)> = Vec::new();
    if args.config.is_none() {
        overrides.extend(
            explore::DEFAULT_OVERRIDES
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
    }
    overrides.extend(set_overrides(&args.set)?);
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
            "{}: no anomaly, lost write or broken invariant in {tried} seeds ({:.1?})",
            args.design, took
        );
        return Ok(false);
    };
    println!(
        "{}: seed {} fails after {tried} seeds ({:.1?}): {} anomalies, {} lost writes, {} broken invariants",
        args.design,
        f.seed,
        took,
        f.report.total(),
        f.lost_writes,
        f.invariants.len()
    );
    println!(
        "schedule shrunk from {} to {} faults:\n{}",
        f.drawn,
        f.config.faults.len(),
        f.schedule_toml()
    );
    println!("{}", f.report.show(3));
    if let Some(v) = f.invariants.first() {
        println!("first broken invariant: {}", v.what);
    }
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("explore-{}-seed{}.toml", args.design, f.seed)));
    let text = f.config.to_toml()?;
    results::write_atomically(&out, |w| w.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", out.display()))?;
    println!("reproduce: cmbench run --config {}", out.display());
    Ok(true)
}
