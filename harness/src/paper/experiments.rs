//! `workloads/paper/experiments.toml`: which sweep reproduces which figure.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// The figure, also the experiment's folder name.
    pub figure: String,
    /// Base run config, relative to the experiments file.
    pub config: PathBuf,
    pub vary: Vec<String>,
    #[serde(default)]
    pub set: Vec<String>,
    pub quick_vary: Vec<String>,
    #[serde(default)]
    pub quick_set: Vec<String>,
    /// Summary columns drawn against the x axis in `<figure>.png`, beyond
    /// the sweep's standard plots.
    #[serde(default)]
    pub plot_metrics: Vec<String>,
    /// Reference figures its numbers answer; its own figure when empty.
    #[serde(default)]
    pub reference: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    experiment: Vec<Experiment>,
}

impl Experiment {
    /// The `--vary` specs of the full or the quick run.
    pub fn varies(&self, quick: bool) -> &[String] {
        if quick { &self.quick_vary } else { &self.vary }
    }

    /// `--set` overrides as (field, value) pairs.
    pub fn overrides(&self, quick: bool) -> Result<Vec<(String, String)>> {
        let quick_set = if quick { &self.quick_set[..] } else { &[] };
        self.set
            .iter()
            .chain(quick_set)
            .map(|s| {
                s.split_once('=')
                    .map(|(f, v)| (f.trim().to_string(), v.trim().to_string()))
                    .with_context(|| {
                        format!("experiment {}: set `{s}` is not FIELD=VALUE", self.figure)
                    })
            })
            .collect()
    }

    /// The varied field the figure's x axis shows: the first `vary`'s.
    pub fn x_field(&self) -> Option<&str> {
        self.vary
            .first()
            .and_then(|v| v.split_once('='))
            .map(|(f, _)| f.trim())
    }

    pub fn reference_figures(&self) -> Vec<&str> {
        if self.reference.is_empty() {
            vec![self.figure.as_str()]
        } else {
            self.reference.iter().map(String::as_str).collect()
        }
    }
}

/// The experiments of `path`, their configs resolved against its folder.
pub fn load(path: &Path) -> Result<Vec<Experiment>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: File =
        toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut seen: Vec<&str> = Vec::new();
    for e in &file.experiment {
        if seen.contains(&e.figure.as_str()) {
            bail!("{}: figure {} appears twice", path.display(), e.figure);
        }
        if e.vary.is_empty() || e.quick_vary.is_empty() {
            bail!(
                "{}: experiment {} needs vary and quick_vary",
                path.display(),
                e.figure
            );
        }
        seen.push(&e.figure);
    }
    Ok(file
        .experiment
        .into_iter()
        .map(|mut e| {
            e.config = base.join(&e.config);
            e
        })
        .collect())
}
