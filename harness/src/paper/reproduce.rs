//! `cmbench reproduce`: every experiment of `experiments.toml` as a sweep
//! into `<out>/<figure>/`, its plots, then `<out>/REPORT.md`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use plots::{SweepKind, SweepPlot};

use super::experiments::{self, Experiment};
use super::reference::Reference;
use super::report::{self, Inputs};
use crate::sweep::Sweep;
use crate::sweep::vary::Vary;

pub struct Reproduce {
    /// `workloads/paper/experiments.toml`.
    pub experiments: PathBuf,
    pub reference: PathBuf,
    pub explanations: PathBuf,
    pub out: PathBuf,
    /// The reduced run of every experiment.
    pub quick: bool,
    /// Figures to run; every one when empty. The report covers all that
    /// have run.
    pub only: Vec<String>,
    pub quiet: bool,
}

impl Reproduce {
    fn selected(&self, all: &[Experiment]) -> Result<Vec<Experiment>> {
        if let Some(unknown) = self
            .only
            .iter()
            .find(|f| !all.iter().any(|e| &e.figure == *f))
        {
            bail!(
                "--only: no experiment `{unknown}`; known: {}",
                all.iter()
                    .map(|e| e.figure.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(all
            .iter()
            .filter(|e| self.only.is_empty() || self.only.contains(&e.figure))
            .cloned()
            .collect())
    }

    /// Runs the selected experiments (a finished point is not run again),
    /// draws their plots and writes the report; returns its path.
    pub fn run(&self) -> Result<PathBuf> {
        let all = experiments::load(&self.experiments)?;
        for e in self.selected(&all)? {
            let varies = e
                .varies(self.quick)
                .iter()
                .map(|v| Vary::parse(v))
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("experiment {}", e.figure))?;
            let dir = self.out.join(&e.figure);
            if !self.quiet {
                eprintln!("reproduce: {} -> {}", e.figure, dir.display());
            }
            Sweep {
                config_file: Some(e.config.clone()),
                overrides: e.overrides(self.quick)?,
                varies,
                out: dir.clone(),
                quiet: self.quiet,
            }
            .run()
            .with_context(|| format!("experiment {}", e.figure))?;
            plot(&dir, &e).with_context(|| format!("plots of {}", e.figure))?;
        }
        report::write(&Inputs {
            dir: self.out.clone(),
            experiments: all,
            reference: Reference::load(&self.reference)?,
            explanations: report::load_explanations(&self.explanations)?,
        })
    }
}

/// The sweep's standard plots, plus the figure's own metrics against its x
/// axis (`plot_metrics`, e.g. F-DAX's anomaly rate) as `<figure>.png`.
fn plot(dir: &std::path::Path, e: &Experiment) -> Result<()> {
    plots::plot_dir(dir)?;
    if let (false, Some(x)) = (e.plot_metrics.is_empty(), e.x_field()) {
        let plot = SweepPlot {
            metrics: e.plot_metrics.clone(),
            title: Some(format!(
                "{}: {} vs {x}",
                e.figure,
                e.plot_metrics.join(", ")
            )),
            file: Some(e.figure.clone()),
            ..SweepPlot::new(SweepKind::Param, x)
        };
        plots::plot_sweep(dir, &plot)?;
    }
    Ok(())
}
