//! `cmbench sweep`: one run per point of a one- or two-dimensional grid of
//! config values, every design at every point, gathered into `sweep.csv`
//! (and `knees.csv` for rate sweeps).
//!
//! Layout of a sweep folder:
//! - `config.toml`: the base config, resolved;
//! - `points/<field>=<value>[,<field>=<value>]/`: each point's full run folder;
//! - `sweep.csv`: `design`, one column per varied field (full dotted path),
//!   then every summary.csv column but `design`; one row per point and design,
//!   rewritten atomically after every point;
//! - `knees.csv` when `load.rate` is varied (see [`knee`]).
//!
//! A point whose folder already holds a complete summary.csv for the same
//! resolved config (provenance aside) is not run again, so rerunning an
//! interrupted sweep resumes it.

pub mod knee;
pub mod table;
pub mod vary;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::bench;
use crate::config::RunConfig;
use crate::results;
use knee::RatePoint;
use table::Table;
use vary::Vary;

/// The field whose sweeps get knees.
pub const RATE_FIELD: &str = "load.rate";
pub const SWEEP_FILE: &str = "sweep.csv";
pub const KNEES_FILE: &str = "knees.csv";
pub const POINTS_DIR: &str = "points";

/// What to sweep.
pub struct Sweep {
    pub config_file: Option<PathBuf>,
    /// `--set` and flag overrides applied to every point, before the varied fields.
    pub overrides: Vec<(String, String)>,
    pub varies: Vec<Vary>,
    pub out: PathBuf,
    pub quiet: bool,
}

/// One point of the grid: its values of the varied fields and its config.
pub struct Point {
    pub values: Vec<(String, String)>,
    pub config: RunConfig,
    pub dir: PathBuf,
}

impl Point {
    pub fn label(&self) -> String {
        self.values
            .iter()
            .map(|(f, v)| format!("{f}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// What a sweep did.
pub struct Outcome {
    pub table: Table,
    pub ran: usize,
    pub resumed: usize,
}

impl Sweep {
    /// The base config and every point's config, all checked before anything
    /// runs: a bad value at the last point fails at once, naming it.
    pub fn plan(&self) -> Result<(RunConfig, Vec<Point>)> {
        match self.varies.len() {
            1 | 2 => {}
            0 => bail!("--vary: name a field to vary, e.g. --vary rate=500..6000:500"),
            n => bail!("--vary: at most two fields, got {n}"),
        }
        if self.varies.len() == 2 && self.varies[0].field == self.varies[1].field {
            bail!("--vary: {} is varied twice", self.varies[0].field);
        }
        let base = RunConfig::load(self.config_file.as_deref(), &self.overrides)?;
        let mut grid: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for vary in &self.varies {
            grid = grid
                .into_iter()
                .flat_map(|prefix| {
                    vary.values.iter().map(move |v| {
                        let mut point = prefix.clone();
                        point.push((vary.field.clone(), v.clone()));
                        point
                    })
                })
                .collect();
        }
        let mut points = Vec::with_capacity(grid.len());
        for values in grid {
            let mut overrides = self.overrides.clone();
            overrides.extend(values.iter().cloned());
            let mut point = Point {
                values,
                config: RunConfig::default(),
                dir: PathBuf::new(),
            };
            point.config = RunConfig::load(self.config_file.as_deref(), &overrides)
                .with_context(|| format!("point {}", point.label()))?;
            point.dir = self.out.join(POINTS_DIR).join(point.label());
            points.push(point);
        }
        Ok((base, points))
    }

    /// Runs every point not already done and writes the sweep's files.
    pub fn run(&self) -> Result<Outcome> {
        let (base, points) = self.plan()?;
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating {}", self.out.display()))?;
        let toml = base.resolved(results::git_revision()).to_toml()?;
        results::write_atomically(&self.out.join("config.toml"), |w| {
            w.write_all(toml.as_bytes())
        })
        .context("writing config.toml")?;

        let mut done: Vec<Option<Table>> = Vec::with_capacity(points.len());
        for point in &points {
            done.push(finished(point)?);
        }
        let resumed = done.iter().filter(|d| d.is_some()).count();
        let bar = progress_bar(points.len() - resumed, self.quiet);
        if resumed > 0 {
            bar.println(format!(
                "sweep: {resumed} of {} points already done in {}",
                points.len(),
                self.out.display()
            ));
        }
        let mut ran = 0;
        self.write(&points, &done)?;
        for (i, point) in points.iter().enumerate() {
            if done[i].is_some() {
                continue;
            }
            bar.set_message(point.label());
            bench::run(&point.config, &point.dir, true)
                .with_context(|| format!("point {}", point.label()))?;
            done[i] = Some(Table::read(&point.dir.join("summary.csv"))?);
            ran += 1;
            bar.inc(1);
            self.write(&points, &done)?;
        }
        bar.finish_and_clear();
        Ok(Outcome {
            table: sweep_table(&self.varies, &points, &done),
            ran,
            resumed,
        })
    }

    /// Writes sweep.csv (and knees.csv) from the points done so far.
    fn write(&self, points: &[Point], done: &[Option<Table>]) -> Result<()> {
        let table = sweep_table(&self.varies, points, done);
        table.write(&self.out.join(SWEEP_FILE))?;
        if self.varies.iter().any(|v| v.field == RATE_FIELD) {
            knees(&table, &self.varies)?.write(&self.out.join(KNEES_FILE))?;
        }
        Ok(())
    }
}

/// The point's summary, if its folder holds a complete one for the same
/// resolved config.
fn finished(point: &Point) -> Result<Option<Table>> {
    let summary = point.dir.join("summary.csv");
    let config = point.dir.join("config.toml");
    if !summary.exists() || !config.exists() {
        return Ok(None);
    }
    let on_disk = std::fs::read_to_string(&config)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .map(|mut t| {
            t.remove("provenance");
            t
        });
    let wanted = point.config.to_toml()?.parse::<toml::Table>().ok();
    if on_disk.is_none() || on_disk != wanted {
        return Ok(None);
    }
    // A summary that cannot be read is redone, not trusted.
    let Ok(table) = Table::read(&summary) else {
        return Ok(None);
    };
    let complete = point
        .config
        .designs
        .iter()
        .all(|d| table.find(&[("design".to_string(), d.clone())]).is_some());
    Ok(complete.then_some(table))
}

/// sweep.csv from the summaries of the points done so far, in plan order.
fn sweep_table(varies: &[Vary], points: &[Point], done: &[Option<Table>]) -> Table {
    let mut summary_columns: Vec<String> = Vec::new();
    for t in done.iter().flatten() {
        for h in &t.headers {
            if h != "design" && !summary_columns.contains(h) {
                summary_columns.push(h.clone());
            }
        }
    }
    let mut headers = vec!["design".to_string()];
    headers.extend(varies.iter().map(|v| v.field.clone()));
    headers.extend(summary_columns.iter().cloned());
    let mut rows = Vec::new();
    for (point, summary) in points.iter().zip(done) {
        let Some(summary) = summary else { continue };
        for row in &summary.rows {
            let mut out = vec![summary.cell(row, "design").unwrap_or_default().to_string()];
            out.extend(point.values.iter().map(|(_, v)| v.clone()));
            out.extend(
                summary_columns
                    .iter()
                    .map(|c| summary.cell(row, c).unwrap_or_default().to_string()),
            );
            rows.push(out);
        }
    }
    Table { headers, rows }
}

/// Column names and values that pick out rows of a table.
pub type RowKey = Vec<(String, String)>;

/// knees.csv: per design (and value of the other varied field, if any) the
/// knee rate and the p99 at the lowest rate.
pub fn knees(sweep: &Table, varies: &[Vary]) -> Result<Table> {
    let others: Vec<&str> = varies
        .iter()
        .map(|v| v.field.as_str())
        .filter(|f| *f != RATE_FIELD)
        .collect();
    let mut groups: Vec<(RowKey, Vec<RatePoint>)> = Vec::new();
    for row in &sweep.rows {
        let mut key = vec![(
            "design".to_string(),
            sweep.cell(row, "design").unwrap_or_default().to_string(),
        )];
        for f in &others {
            key.push((f.to_string(), sweep.cell(row, f).unwrap_or_default().into()));
        }
        let number = |name: &str| -> Result<f64> {
            sweep
                .number(row, name)?
                .with_context(|| format!("sweep.csv: empty {name}"))
        };
        let point = RatePoint {
            offered: number(RATE_FIELD)?,
            achieved: number("throughput_wf_s")?,
            p99_us: number("p99_us")?,
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, pts)) => pts.push(point),
            None => groups.push((key, vec![point])),
        }
    }
    let mut headers = vec!["design".to_string()];
    headers.extend(others.iter().map(|f| f.to_string()));
    headers.extend(["knee_rate".to_string(), "low_load_p99_us".to_string()]);
    let rows = groups
        .into_iter()
        .filter_map(|(key, pts)| {
            let k = knee::knee(&pts)?;
            let mut row: Vec<String> = key.into_iter().map(|(_, v)| v).collect();
            row.push(k.rate.map(|r| r.to_string()).unwrap_or_default());
            row.push(k.low_load_p99_us.to_string());
            Some(row)
        })
        .collect();
    Ok(Table { headers, rows })
}

fn progress_bar(points: usize, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::new(points as u64);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
        return bar;
    }
    if let Ok(style) = ProgressStyle::with_template(
        "sweep [{bar:30}] {pos}/{len} points, {elapsed} elapsed, eta {eta}  {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_secs(1));
    bar
}

/// Does `dir` hold a sweep (its sweep.csv)?
pub fn is_sweep(dir: &Path) -> bool {
    dir.join(SWEEP_FILE).is_file()
}

#[cfg(test)]
mod tests;
