//! Writes a synthetic run folder with every known design (and one unknown)
//! and plots it, to eyeball the charts:
//!
//! `cargo run -p plots --example sample [-- DIR]` (DIR defaults to /tmp/plots-sample)

#[path = "../tests/support/mod.rs"]
mod support;
#[path = "../tests/sweep_support/mod.rs"]
mod sweep_support;

use std::path::PathBuf;
use std::process::ExitCode;

use support::Design;

/// A rate sweep and a server sweep of made-up designs under `dir`.
fn sweeps(dir: &std::path::Path) -> Result<Vec<PathBuf>, String> {
    let loaded = |name, per_server, p50_us| sweep_support::Loaded {
        name,
        per_server,
        p50_us,
    };
    let designs = [
        loaded("causalmesh", 900.0, 3_000.0),
        loaded("causalmesh-tcc", 800.0, 3_300.0),
        loaded("hydrocache-con", 500.0, 4_500.0),
        loaded("hydrocache-opt", 600.0, 4_000.0),
        loaded("faastcc", 550.0, 4_200.0),
        loaded("eventual", 1_000.0, 2_800.0),
        loaded("nocache", 300.0, 7_000.0),
    ];
    let rates: Vec<f64> = (1..=12).map(|i| f64::from(i) * 500.0).collect();
    let servers = [2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
    let mut written = Vec::new();
    for (name, field, values, rate) in [
        ("rate-sweep", "load.rate", &rates[..], 0.0),
        ("servers-sweep", "servers", &servers[..], 100_000.0),
    ] {
        let sweep = dir.join(name);
        sweep_support::write_sweep(&sweep, field, values, rate, &designs)
            .map_err(|e| format!("cannot write {}: {e}", sweep.display()))?;
        written.extend(plots::plot_dir(&sweep).map_err(|e| e.to_string())?);
    }
    Ok(written)
}

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("/tmp/plots-sample"), PathBuf::from);
    let design = |name, p50_us, tail, throughput_wf_s| Design {
        name,
        p50_us,
        tail,
        throughput_wf_s,
        hgrm: true,
    };
    let designs = [
        design("causalmesh", 820.0, 1.2, 11_800.0),
        design("causalmesh-tcc", 910.0, 1.3, 10_900.0),
        design("hydrocache-con", 1_150.0, 1.5, 8_300.0),
        design("hydrocache-opt", 980.0, 1.4, 9_600.0),
        design("faastcc", 1_050.0, 1.3, 9_100.0),
        design("hydrocache-con-cm", 1_090.0, 1.45, 8_700.0),
        design("hydrocache-opt-cm", 940.0, 1.35, 9_900.0),
        design("faastcc-cm", 1_000.0, 1.25, 9_400.0),
        design("eventual", 700.0, 1.1, 12_900.0),
        design("nocache", 2_600.0, 1.0, 3_700.0),
        design("experimental-x", 1_300.0, 1.6, 7_000.0),
    ];
    let result = support::write_run(&dir, &designs)
        .map_err(|e| format!("cannot write sample inputs to {}: {e}", dir.display()))
        .and_then(|()| plots::plot_run(&dir).map_err(|e| e.to_string()))
        .and_then(|mut written| {
            written.extend(sweeps(&dir)?);
            Ok(written)
        });
    match result {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
