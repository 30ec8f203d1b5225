//! Comparison plots for one cmbench run folder (`results/<name>/`).
//!
//! [`plot_run`] reads the folder's `summary.csv` and `<design>.hgrm` files and
//! writes, next to them, PNG and SVG versions of:
//! - `latency`: p50 / p99 / p99.9 workflow latency per design,
//! - `latency_whiskers`: a p50 bar with a p99 whisker per design,
//! - `throughput`: workflows per second per design,
//! - `latency_cdf`: latency percentile curves, for designs with a `.hgrm`.
//!
//! [`plot_sweep_all`] draws the plots of a sweep folder (`sweep.csv`), and
//! [`plot_sweep`] one named kind of them ([`SweepPlot`]); [`plot_dir`] picks
//! between a run and a sweep.
//!
//! A design has the same colour and marker in every plot ([`design_style`]).

mod atomic;
mod axis;
mod bars;
mod cdf;
mod error;
mod font;
mod legend;
mod lines;
mod metric;
mod read;
mod render;
mod style;
mod sweep;
mod text;
mod theme;

use std::path::{Path, PathBuf};

pub use error::PlotError;
pub use read::{PercentilePoint, SummaryRow, hgrm_path, read_hgrm, read_summary};
pub use style::{DesignStyle, Marker, Shape, design_style};
pub use sweep::{SWEEP_FILE, SweepKind, SweepPlot, plot_sweep, plot_sweep_all};

/// Name of the per-design results table inside a run folder.
pub const SUMMARY_FILE: &str = "summary.csv";

/// Plots the run in `dir` and returns the files written (PNG and SVG of each
/// plot). All inputs are read and checked before anything is written, and each
/// output is replaced atomically. The percentile plot shows the designs with a
/// `.hgrm` file and is skipped when there are none.
pub fn plot_run(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let rows = read_summary(&dir.join(SUMMARY_FILE))?;
    let mut curves = Vec::new();
    for row in &rows {
        if let Some(distribution) = read_hgrm(&hgrm_path(dir, &row.design))? {
            curves.extend(cdf::Curve::new(&row.design, &distribution));
        }
    }

    let run = run_name(dir);
    let mut written = Vec::new();
    written.extend(render::save(&bars::latency(&run, &rows), dir, "latency")?);
    written.extend(render::save(
        &bars::latency_whiskers(&run, &rows),
        dir,
        "latency_whiskers",
    )?);
    written.extend(render::save(
        &bars::throughput(&run, &rows),
        dir,
        "throughput",
    )?);
    if !curves.is_empty() {
        let chart = cdf::CdfChart::new(&run, curves);
        written.extend(render::save(&chart, dir, "latency_cdf")?);
    }
    Ok(written)
}

/// Plots a sweep folder (one holding sweep.csv) or a run folder.
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    if dir.join(SWEEP_FILE).is_file() {
        plot_sweep_all(dir)
    } else {
        plot_run(dir)
    }
}

/// The folder's own name for plot titles, resolving paths like `.`.
fn run_name(dir: &Path) -> String {
    let resolved = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    match resolved.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => resolved.display().to_string(),
    }
}
