//! Plots of a sweep folder (`sweep.csv`, as `cmbench sweep` writes it): one
//! line per design against a varied field. A two-dimensional sweep gets one
//! figure per value of the field not on the x axis.

use std::path::{Path, PathBuf};

use crate::lines::{LineChart, Panel, Scale, Series};
use crate::metric::{column_axis, field_axis};
use crate::read::{csv_error, open_csv};
use crate::render;
use crate::{PlotError, run_name};

/// Name of a sweep's table inside its folder.
pub const SWEEP_FILE: &str = "sweep.csv";
/// The varied field of rate sweeps.
pub const RATE_FIELD: &str = "load.rate";
pub const SERVERS_FIELD: &str = "servers";
/// The share of conflicting operations run with tokens (invariant workloads).
pub const TOKEN_FIELD: &str = "workload.token_fraction";

/// What a sweep plot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepKind {
    /// p50 and p99 workflow latency against the offered rate, two panels
    /// (p99 on a log axis when it spans more than 20x).
    LatencyVsRate,
    /// The chosen metrics (p50 and p99 if none), one panel each, against any
    /// varied field.
    Param,
    /// Throughput, and throughput per server, against the number of servers.
    Servers,
    /// Process CPU and resident memory against the offered rate.
    Resources,
}

/// A named plot of a sweep folder, for [`plot_sweep`].
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPlot {
    pub kind: SweepKind,
    /// The varied field on the x axis, as named in sweep.csv (e.g. `load.rate`).
    pub x_field: String,
    /// Summary columns to draw, one panel each (`Param` only; others fix theirs).
    pub metrics: Vec<String>,
    /// Figure title; `<folder>: <what is shown>` by default.
    pub title: Option<String>,
    /// File stem of the PNG and SVG; by default `latency_vs_rate`,
    /// `sweep_<field>`, `servers` or `resources`.
    pub file: Option<String>,
}

impl SweepPlot {
    pub fn new(kind: SweepKind, x_field: &str) -> SweepPlot {
        SweepPlot {
            kind,
            x_field: x_field.to_string(),
            metrics: Vec::new(),
            title: None,
            file: None,
        }
    }

    fn stem(&self) -> String {
        if let Some(file) = &self.file {
            return file.clone();
        }
        match self.kind {
            SweepKind::LatencyVsRate => "latency_vs_rate".into(),
            SweepKind::Param => format!("sweep_{}", self.x_field.replace('.', "_")),
            SweepKind::Servers => "servers".into(),
            SweepKind::Resources => "resources".into(),
        }
    }

    /// The panels: a summary column, or the column divided by x.
    fn panels(&self) -> Vec<(String, bool)> {
        let fixed = |cols: &[(&str, bool)]| {
            cols.iter()
                .map(|(c, per_x)| (c.to_string(), *per_x))
                .collect()
        };
        match self.kind {
            SweepKind::LatencyVsRate => fixed(&[("p50_us", false), ("p99_us", false)]),
            SweepKind::Servers => fixed(&[("throughput_wf_s", false), ("throughput_wf_s", true)]),
            SweepKind::Resources => fixed(&[("cpu_pct", false), ("rss_mb", false)]),
            SweepKind::Param if self.metrics.is_empty() => {
                fixed(&[("p50_us", false), ("p99_us", false)])
            }
            SweepKind::Param => self.metrics.iter().map(|m| (m.clone(), false)).collect(),
        }
    }

    fn what(&self) -> String {
        match self.kind {
            SweepKind::LatencyVsRate => "workflow latency vs offered load".into(),
            SweepKind::Servers => "throughput vs cache servers".into(),
            SweepKind::Resources => "CPU and memory vs offered load".into(),
            SweepKind::Param => {
                let names: Vec<String> = self.panels().into_iter().map(|(c, _)| c).collect();
                format!("{} vs {}", names.join(", "), self.x_field)
            }
        }
    }
}

/// sweep.csv as text cells; numbers are parsed where a plot needs them.
struct SweepTable {
    path: PathBuf,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    /// The varied fields: the columns between `design` and `workflows`.
    varied: Vec<String>,
}

impl SweepTable {
    fn read(path: &Path) -> Result<SweepTable, PlotError> {
        let mut reader = open_csv(path)?;
        let malformed = |e: csv::Error| csv_error(path, &e);
        let headers: Vec<String> = reader
            .headers()
            .map_err(malformed)?
            .iter()
            .map(String::from)
            .collect();
        let invalid = |reason: String| PlotError::Invalid {
            path: path.to_owned(),
            reason,
        };
        if headers.first().map(String::as_str) != Some("design") {
            return Err(invalid("the first column is not `design`".into()));
        }
        let end = headers
            .iter()
            .position(|h| h == "workflows")
            .ok_or_else(|| invalid("no `workflows` column (not a sweep.csv)".into()))?;
        let mut rows = Vec::new();
        for record in reader.records() {
            rows.push(
                record
                    .map_err(malformed)?
                    .iter()
                    .map(String::from)
                    .collect(),
            );
        }
        Ok(SweepTable {
            path: path.to_owned(),
            varied: headers[1..end].to_vec(),
            headers,
            rows,
        })
    }

    fn cell<'a>(&self, row: &'a [String], column: &str) -> Option<&'a str> {
        let i = self.headers.iter().position(|h| h == column)?;
        row.get(i).map(String::as_str)
    }

    /// The column's value in `row`; `None` if empty, an error if not a number.
    fn number(&self, row: &[String], column: &str, line: usize) -> Result<Option<f64>, PlotError> {
        match self.cell(row, column) {
            None | Some("") => Ok(None),
            Some(text) => match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(PlotError::Malformed {
                    path: self.path.clone(),
                    line: line as u64 + 2,
                    reason: format!("{column} = `{text}` is not a number"),
                }),
            },
        }
    }

    /// Whether any row holds a number above zero in `column`.
    fn any_positive(&self, column: &str) -> bool {
        self.rows.iter().any(|r| {
            self.cell(r, column)
                .and_then(|c| c.parse::<f64>().ok())
                .is_some_and(|v| v > 0.0)
        })
    }

    /// Whether any row has a value in `column`.
    fn has_values(&self, column: &str) -> bool {
        self.rows
            .iter()
            .any(|r| self.cell(r, column).is_some_and(|c| !c.is_empty()))
    }
}

/// Draws `plot` from the sweep in `dir` and returns the files written.
pub fn plot_sweep(dir: &Path, plot: &SweepPlot) -> Result<Vec<PathBuf>, PlotError> {
    let table = SweepTable::read(&dir.join(SWEEP_FILE))?;
    draw(dir, &table, plot)
}

fn draw(dir: &Path, table: &SweepTable, plot: &SweepPlot) -> Result<Vec<PathBuf>, PlotError> {
    let invalid = |reason: String| PlotError::Invalid {
        path: table.path.clone(),
        reason,
    };
    if !table.varied.contains(&plot.x_field) {
        return Err(invalid(format!(
            "{} is not a varied field here (varied: {})",
            plot.x_field,
            table.varied.join(", ")
        )));
    }
    let mut panels = plot.panels();
    for (column, _) in &panels {
        if !table.headers.contains(column) {
            return Err(invalid(format!("no column {column}")));
        }
    }
    // Resources show what the runtime measured: sim runs have no memory figure.
    if plot.kind == SweepKind::Resources {
        panels.retain(|(column, _)| table.has_values(column));
    }
    if let Some((column, _)) = panels.iter().find(|(c, _)| !table.has_values(c)) {
        return Err(invalid(format!("column {column} holds no values")));
    }
    if panels.is_empty() {
        return Err(invalid("neither cpu_pct nor rss_mb holds a value".into()));
    }
    // Figures per value of the other varied field, if there is one.
    let other = table.varied.iter().find(|f| **f != plot.x_field);
    let mut groups: Vec<Option<String>> = Vec::new();
    for row in &table.rows {
        let value = other.map(|f| table.cell(row, f).unwrap_or_default().to_string());
        if !groups.contains(&value) {
            groups.push(value);
        }
    }
    let name = run_name(dir);
    let mut written = Vec::new();
    for group in groups {
        let rows: Vec<(usize, &Vec<String>)> = table
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| match (other, &group) {
                (Some(f), Some(v)) => table.cell(r, f) == Some(v.as_str()),
                _ => true,
            })
            .collect();
        let suffix = match (other, &group) {
            (Some(f), Some(v)) => Some(format!("{f}={v}")),
            _ => None,
        };
        let chart = chart(table, plot, &panels, &rows, &name, suffix.as_deref())?;
        let stem = match &suffix {
            Some(s) => format!("{}_{s}", plot.stem()),
            None => plot.stem(),
        };
        written.extend(render::save(&chart, dir, &stem)?);
    }
    Ok(written)
}

fn chart(
    table: &SweepTable,
    plot: &SweepPlot,
    panels: &[(String, bool)],
    rows: &[(usize, &Vec<String>)],
    name: &str,
    suffix: Option<&str>,
) -> Result<LineChart, PlotError> {
    // Numeric x values when every cell parses, else categories in order.
    let cells: Vec<&str> = rows
        .iter()
        .map(|(_, r)| table.cell(r, &plot.x_field).unwrap_or_default())
        .collect();
    let numeric: Option<Vec<f64>> = cells.iter().map(|c| c.parse::<f64>().ok()).collect();
    let (x_scale, xs) = match numeric {
        Some(xs) => {
            let (lo, hi) = xs
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            let doubling = plot.x_field == SERVERS_FIELD && lo > 0.0 && hi / lo >= 8.0;
            (if doubling { Scale::Log2 } else { Scale::Linear }, xs)
        }
        None => {
            let mut names: Vec<String> = Vec::new();
            for c in &cells {
                if !names.iter().any(|n| n == c) {
                    names.push(c.to_string());
                }
            }
            let xs = cells
                .iter()
                .map(|c| names.iter().position(|n| n == c).unwrap_or(0) as f64)
                .collect();
            (Scale::Categories(names), xs)
        }
    };
    let mut drawn = Vec::new();
    for (column, per_x) in panels {
        let (column, per_x) = (column.as_str(), *per_x);
        let (mut y_desc, divisor) = column_axis(column);
        if per_x {
            y_desc = match y_desc.split_once(" (") {
                Some((what, unit)) => format!("{what} per server ({unit}"),
                None => format!("{y_desc} per server"),
            };
        }
        let mut series: Vec<Series> = Vec::new();
        for ((line, row), &x) in rows.iter().zip(&xs) {
            let Some(v) = table.number(row, column, *line)? else {
                continue;
            };
            let y = if per_x { v / x } else { v } / divisor;
            let design = table.cell(row, "design").unwrap_or_default();
            match series.iter_mut().find(|s| s.design == design) {
                Some(s) => s.points.push((x, y)),
                None => series.push(Series {
                    design: design.to_string(),
                    points: vec![(x, y)],
                }),
            }
        }
        for s in &mut series {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        let ys: Vec<f64> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .collect();
        let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ys.iter().copied().fold(0.0, f64::max);
        // A wide latency range would squash the low-load points against zero.
        let wide = column.ends_with("_us") && lo > 0.0 && hi / lo > 20.0;
        drawn.push(Panel {
            y_desc,
            y_scale: if wide { Scale::Log10 } else { Scale::Linear },
            series,
        });
    }
    let mut title = plot
        .title
        .clone()
        .unwrap_or_else(|| format!("{name}: {}", plot.what()));
    if let Some(s) = suffix {
        title = format!("{title} ({s})");
    }
    Ok(LineChart {
        title,
        x_desc: field_axis(&plot.x_field),
        x_scale,
        panels: drawn,
    })
}

/// The plots that fit a sweep: for each varied field, latency against it
/// (latency vs offered load for rate sweeps), plus resources for rate sweeps
/// with CPU or memory figures, throughput per server for server sweeps, and
/// the anomaly rate when any design had anomalies.
pub fn plot_sweep_all(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let table = SweepTable::read(&dir.join(SWEEP_FILE))?;
    let mut written = Vec::new();
    for field in &table.varied {
        let mut plots = Vec::new();
        if field == RATE_FIELD {
            plots.push(SweepPlot::new(SweepKind::LatencyVsRate, field));
            if table.has_values("cpu_pct") || table.has_values("rss_mb") {
                plots.push(SweepPlot::new(SweepKind::Resources, field));
            }
        } else if field == TOKEN_FIELD {
            // The cost of strength: what tokens cost, and what they buy.
            let mut plot = SweepPlot::new(SweepKind::Param, field);
            plot.metrics = [
                "p50_us",
                "p99_us",
                "throughput_wf_s",
                "invariant_violations",
            ]
            .map(String::from)
            .to_vec();
            plots.push(plot);
        } else {
            plots.push(SweepPlot::new(SweepKind::Param, field));
        }
        if field == SERVERS_FIELD {
            plots.push(SweepPlot::new(SweepKind::Servers, field));
        }
        if table.any_positive("anomaly_rate") {
            let mut anomalies = SweepPlot::new(SweepKind::Param, field);
            anomalies.metrics = vec!["anomaly_rate".into()];
            anomalies.file = Some(format!("anomaly_rate_{}", field.replace('.', "_")));
            plots.push(anomalies);
        }
        for plot in plots {
            written.extend(draw(dir, &table, &plot)?);
        }
    }
    Ok(written)
}
