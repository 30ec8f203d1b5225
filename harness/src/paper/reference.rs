//! `workloads/paper/reference.toml`: the paper's numbers, each tagged with
//! its figure, design, x, metric and unit.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub figure: String,
    pub design: String,
    #[serde(default)]
    pub x_name: Option<String>,
    #[serde(default)]
    pub x: Option<f64>,
    pub metric: String,
    pub unit: String,
    pub value: f64,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Headline claims by name.
    #[serde(default)]
    pub claims: BTreeMap<String, f64>,
    #[serde(default)]
    pub point: Vec<Point>,
}

impl Reference {
    pub fn load(path: &Path) -> Result<Reference> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
    }

    pub fn figure<'a>(&'a self, figure: &'a str) -> impl Iterator<Item = &'a Point> + 'a {
        self.point.iter().filter(move |p| p.figure == figure)
    }

    /// The paper's value of `metric` for `design` at `x` (`None` for knees).
    pub fn value(&self, figure: &str, design: &str, metric: &str, x: Option<f64>) -> Option<f64> {
        self.figure(figure)
            .find(|p| p.design == design && p.metric == metric && p.x == x)
            .map(|p| p.value)
    }

    pub fn claim(&self, name: &str) -> Option<f64> {
        self.claims.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_reference_holds_every_figure() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads/paper/reference.toml");
        let r = Reference::load(&path).unwrap();
        for figure in [
            "F-DAX",
            "F-micro",
            "F-CPU-mem",
            "F-media",
            "F-workflow-length",
            "F-servers",
        ] {
            assert!(r.figure(figure).next().is_some(), "{figure}");
        }
        assert_eq!(
            r.value("F-micro", "causalmesh", "p50", Some(1000.0)),
            Some(4.8)
        );
        assert_eq!(
            r.value("F-micro", "hydrocache-con-cm", "knee", None),
            Some(3000.0)
        );
        assert_eq!(r.claim("throughput_vs_hydrocache_con"), Some(1.8));
    }
}
