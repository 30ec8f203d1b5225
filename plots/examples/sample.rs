//! Writes a synthetic run folder with every known design (and one unknown)
//! and plots it, to eyeball the charts:
//!
//! `cargo run -p plots --example sample [-- DIR]` (DIR defaults to /tmp/plots-sample)

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;

use support::Design;

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
        .and_then(|()| plots::plot_run(&dir).map_err(|e| e.to_string()));
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
