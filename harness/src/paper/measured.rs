//! Our numbers for a figure, looked up in its sweep folder (`sweep.csv`,
//! `knees.csv`) in the reference's terms: metric names and units of
//! `reference.toml`.

use std::path::Path;

use anyhow::Result;

use crate::sweep::table::Table;
use crate::sweep::{KNEES_FILE, SWEEP_FILE};

pub struct Measured {
    /// The sweep.csv column of the figure's x axis.
    pub x_field: String,
    pub sweep: Table,
    pub knees: Option<Table>,
}

impl Measured {
    /// The sweep in `dir`; `None` when it has not run.
    pub fn load(dir: &Path, x_field: &str) -> Result<Option<Measured>> {
        let sweep = dir.join(SWEEP_FILE);
        if !sweep.is_file() {
            return Ok(None);
        }
        let knees = dir.join(KNEES_FILE);
        Ok(Some(Measured {
            x_field: x_field.to_string(),
            sweep: Table::read(&sweep)?,
            knees: if knees.is_file() {
                Some(Table::read(&knees)?)
            } else {
                None
            },
        }))
    }

    /// The row of `design` at `x`.
    fn row(&self, design: &str, x: f64) -> Option<&[String]> {
        self.sweep
            .rows
            .iter()
            .find(|row| {
                self.sweep.cell(row, "design") == Some(design)
                    && self
                        .sweep
                        .cell(row, &self.x_field)
                        .and_then(|v| v.parse::<f64>().ok())
                        .is_some_and(|v| (v - x).abs() < 1e-9)
            })
            .map(Vec::as_slice)
    }

    fn column(&self, design: &str, x: f64, name: &str) -> Option<f64> {
        self.sweep.number(self.row(design, x)?, name).ok().flatten()
    }

    /// Our value of a reference metric, in the reference's unit; `None`
    /// when the sweep lacks the point or the column.
    pub fn value(&self, design: &str, metric: &str, x: Option<f64>) -> Option<f64> {
        let Some(x) = x else {
            return (metric == "knee").then(|| self.knee(design)).flatten();
        };
        let ms = |column: &str| self.column(design, x, column).map(|us| us / 1000.0);
        match metric {
            "p50" => ms("p50_us"),
            "p99" => ms("p99_us"),
            "p50_per_function" => ms("p50_us").map(|v| v / x),
            "p99_per_function" => ms("p99_us").map(|v| v / x),
            "cpu" => self.column(design, x, "cpu_pct"),
            "rss" => self.column(design, x, "rss_mb"),
            "anomaly_pct" => self.column(design, x, "anomaly_rate").map(|r| r * 100.0),
            "throughput" => self.column(design, x, "throughput_wf_s"),
            "throughput_per_server" => self.column(design, x, "throughput_wf_s").map(|t| t / x),
            _ => None,
        }
    }

    /// The design's knee rate from knees.csv (empty when it kept up with no
    /// offered rate).
    pub fn knee(&self, design: &str) -> Option<f64> {
        let knees = self.knees.as_ref()?;
        let row = knees
            .rows
            .iter()
            .find(|row| knees.cell(row, "design") == Some(design))?;
        knees.number(row, "knee_rate").ok().flatten()
    }

    /// The x values the sweep ran, ascending, each with its text as
    /// sweep.csv (and the point's folder name) spells it.
    pub fn points(&self) -> Vec<(f64, String)> {
        let mut xs: Vec<(f64, String)> = self
            .sweep
            .rows
            .iter()
            .filter_map(|row| {
                let text = self.sweep.cell(row, &self.x_field)?;
                Some((text.parse().ok()?, text.to_string()))
            })
            .collect();
        xs.sort_by(|a, b| a.0.total_cmp(&b.0));
        xs.dedup();
        xs
    }

    /// The x values the sweep ran, ascending.
    pub fn xs(&self) -> Vec<f64> {
        self.points().into_iter().map(|(x, _)| x).collect()
    }

    /// The designs of the sweep, in its order.
    pub fn designs(&self) -> Vec<String> {
        let mut designs: Vec<String> = Vec::new();
        for row in &self.sweep.rows {
            if let Some(d) = self.sweep.cell(row, "design")
                && !designs.iter().any(|x| x == d)
            {
                designs.push(d.to_string());
            }
        }
        designs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured() -> Measured {
        let row = |d: &str, rate: &str, p50: &str, tput: &str| {
            vec![
                d.into(),
                rate.into(),
                p50.into(),
                tput.into(),
                "0.25".into(),
            ]
        };
        Measured {
            x_field: "load.rate".into(),
            sweep: Table {
                headers: vec![
                    "design".into(),
                    "load.rate".into(),
                    "p50_us".into(),
                    "throughput_wf_s".into(),
                    "anomaly_rate".into(),
                ],
                rows: vec![
                    row("causalmesh", "1000", "4800", "999"),
                    row("causalmesh", "2000", "5200", "1990"),
                    row("eventual", "1000", "4100", "1000"),
                ],
            },
            knees: Some(Table {
                headers: vec!["design".into(), "knee_rate".into()],
                rows: vec![
                    vec!["causalmesh".into(), "2000".into()],
                    vec!["eventual".into(), "".into()],
                ],
            }),
        }
    }

    #[test]
    fn metrics_come_in_the_references_units() {
        let m = measured();
        assert_eq!(m.value("causalmesh", "p50", Some(2000.0)), Some(5.2));
        assert_eq!(m.value("eventual", "anomaly_pct", Some(1000.0)), Some(25.0));
        assert_eq!(
            m.value("causalmesh", "throughput_per_server", Some(1000.0)),
            Some(0.999)
        );
        assert_eq!(m.value("causalmesh", "p50", Some(3000.0)), None);
        assert_eq!(m.value("causalmesh", "knee", None), Some(2000.0));
        assert_eq!(m.value("eventual", "knee", None), None);
        assert_eq!(m.xs(), vec![1000.0, 2000.0]);
        assert_eq!(m.designs(), vec!["causalmesh", "eventual"]);
    }
}
