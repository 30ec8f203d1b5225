//! Run configuration: a TOML file, overridden field by field from the command
//! line, checked before anything runs. Every error names the field and why.

use std::path::Path;

use impls::design::micros_as_duration;
use impls::{Cluster, DesignOptions, Micros};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use workloads::WorkloadSpec;

use crate::faults::{FaultSpec, Faults};
use crate::latency::LatencyProfile;
use crate::registry;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config {path} is not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("{field}: {reason}")]
    Field { field: String, reason: String },
}

fn field_error(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Names the results folder `results/<name>/` unless `--out` is given.
    #[serde(default = "default_name")]
    pub name: String,
    /// Designs to compare, in order; "all" selects every design.
    #[serde(default = "default_designs")]
    pub designs: Vec<String>,
    /// Every random stream of the run derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Number of cache servers.
    #[serde(default = "default_servers")]
    pub servers: usize,
    #[serde(default)]
    pub load: LoadSpec,
    #[serde(default)]
    pub workload: WorkloadSpec,
    #[serde(default)]
    pub latency: LatencyProfile,
    #[serde(default)]
    pub options: DesignOptions,
    #[serde(default)]
    pub runtime: RuntimeSpec,
    #[serde(default)]
    pub sim: SimSpec,
    #[serde(default)]
    pub database: DatabaseSpec,
    #[serde(default)]
    pub history: HistorySpec,
    /// Faults to inject, by time and target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// Allows faults outside the protocols' stated model.
    #[serde(default)]
    pub beyond_model: bool,
    /// Written into resolved configs so every number can be traced to code;
    /// ignored on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

fn default_name() -> String {
    "run".into()
}
fn default_designs() -> Vec<String> {
    vec!["causalmesh".into(), "eventual".into(), "nocache".into()]
}
fn default_seed() -> u64 {
    1
}
fn default_servers() -> usize {
    3
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            name: default_name(),
            designs: default_designs(),
            seed: default_seed(),
            servers: default_servers(),
            load: LoadSpec::default(),
            workload: WorkloadSpec::default(),
            latency: LatencyProfile::default(),
            options: DesignOptions::default(),
            runtime: RuntimeSpec::default(),
            sim: SimSpec::default(),
            database: DatabaseSpec::default(),
            history: HistorySpec::default(),
            faults: Vec::new(),
            beyond_model: false,
            provenance: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadMode {
    /// Workflows start at a fixed rate whatever the system does; latency is
    /// measured from each one's intended start (no coordinated omission).
    Open,
    /// `concurrency` workflows run at all times, each starting when another ends.
    Closed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoadSpec {
    pub mode: LoadMode,
    /// Open loop: workflows started per second.
    pub rate: f64,
    /// Closed loop: workflows in flight.
    pub concurrency: u32,
    /// Run, but do not measure, for this long first.
    #[serde(with = "micros_as_duration")]
    pub warmup: Micros,
    /// Measure for this long.
    #[serde(with = "micros_as_duration")]
    pub duration: Micros,
    /// After the last start, wait at most this long for workflows to finish;
    /// those still running are reported as unfinished.
    #[serde(with = "micros_as_duration")]
    pub drain: Micros,
    /// An aborted workflow restarts as a new session at most this many times.
    pub max_retries: u32,
    /// Open loop: an arrival is shed (counted, not started) while this long
    /// a stretch of arrivals (`rate` x `max_backlog` workflows) is still in
    /// flight. Past a design's knee the backlog would otherwise grow for the
    /// whole run, and with it the memory and time of the point.
    #[serde(with = "micros_as_duration")]
    pub max_backlog: Micros,
}

impl Default for LoadSpec {
    fn default() -> Self {
        LoadSpec {
            mode: LoadMode::Open,
            rate: 1000.0,
            concurrency: 16,
            warmup: 2_000_000,
            duration: 10_000_000,
            drain: 5_000_000,
            max_retries: 50,
            max_backlog: 1_000_000,
        }
    }
}

/// Which runtime runs the designs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeKind {
    /// Real time on tokio, on this machine's cores.
    #[default]
    Live,
    /// Virtual time in a deterministic discrete-event simulator.
    Sim,
}

/// How the live runtime uses this machine (`client_tasks` also groups the
/// simulated clients' links the same way).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeSpec {
    pub kind: RuntimeKind,
    /// Tokio worker threads.
    pub workers: usize,
    /// Client tasks the workflows are spread over.
    pub client_tasks: usize,
}

impl Default for RuntimeSpec {
    fn default() -> Self {
        RuntimeSpec {
            kind: RuntimeKind::Live,
            workers: 2,
            client_tasks: 2,
        }
    }
}

/// The simulated runtime's machines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimSpec {
    /// The service-time profile: "default" for the committed one
    /// (`harness/profiles/default.toml`), or the path of one written by
    /// `cmbench calibrate`.
    pub profile: String,
    /// Cores of each cache server; messages queue when all are busy.
    pub cores: usize,
}

impl Default for SimSpec {
    fn default() -> Self {
        SimSpec {
            profile: "default".into(),
            cores: 8,
        }
    }
}

/// Where the database server keeps its rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// In memory, behind the latency profile's `db_service` (the default).
    #[default]
    Emulated,
    /// A real Redis at `database.redis_url`; its own time replaces
    /// `db_service` (live runtime only).
    Redis,
}

/// The backing database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSpec {
    pub backend: Backend,
    /// Emptied (FLUSHDB) before each design's run, as the paper's scripts do
    /// before each data point.
    pub redis_url: String,
}

impl Default for DatabaseSpec {
    fn default() -> Self {
        DatabaseSpec {
            backend: Backend::Emulated,
            redis_url: "redis://127.0.0.1:6379/".into(),
        }
    }
}

/// Operation histories, written per design and checked for anomalies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistorySpec {
    pub enabled: bool,
    /// Operations recorded per design at most; a longer run records its
    /// first `max_ops` and says the history is truncated.
    pub max_ops: u64,
}

impl Default for HistorySpec {
    fn default() -> Self {
        HistorySpec {
            enabled: true,
            max_ops: 2_000_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub git_revision: String,
    pub cmbench_version: String,
}

impl RunConfig {
    /// What every design of this run is built from.
    pub fn cluster(&self) -> Cluster {
        Cluster {
            servers: self.servers,
            keys: self.workload.keys(),
            value_size: self.workload.value_size(),
            options: self.options.clone(),
            hands_on_contexts: self.workload.uses_tokens(),
        }
    }

    /// Reads `file` (or starts from the defaults), applies `overrides` as
    /// `dotted.path = TOML value` pairs in order, and checks the result.
    pub fn load(
        file: Option<&Path>,
        overrides: &[(String, String)],
    ) -> Result<RunConfig, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Syntax {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })?
            }
            None => toml::Table::new(),
        };
        for (path, value) in overrides {
            set_path(&mut table, path, parse_value(value))?;
        }
        table.remove("provenance");
        // The micro-benchmark is the workload unless another kind is named.
        if let Some(w) = table
            .get_mut("workload")
            .and_then(toml::Value::as_table_mut)
        {
            w.entry("kind")
                .or_insert_with(|| toml::Value::String("micro".into()));
        }
        let mut config: RunConfig = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| {
                let field = e.path().to_string();
                let reason = e.into_inner().to_string();
                field_error(if field == "." { "config".into() } else { field }, reason)
            })?;
        config.expand_designs();
        config.validate()?;
        Ok(config)
    }

    fn expand_designs(&mut self) {
        if self.designs.iter().any(|d| d == "all") {
            self.designs = registry::names().map(String::from).collect();
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.designs.is_empty() {
            return Err(field_error("designs", "name at least one design"));
        }
        for d in &self.designs {
            if !registry::names().any(|n| n == d) {
                let known: Vec<&str> = registry::names().collect();
                return Err(field_error(
                    "designs",
                    format!("unknown design `{d}`; known: {}", known.join(", ")),
                ));
            }
        }
        if self.servers == 0 || self.servers > 1024 {
            return Err(field_error(
                "servers",
                format!("must be between 1 and 1024, got {}", self.servers),
            ));
        }
        let load = &self.load;
        if load.mode == LoadMode::Open && !(load.rate.is_finite() && load.rate > 0.0) {
            return Err(field_error(
                "load.rate",
                format!(
                    "must be a positive number of workflows per second, got {}",
                    load.rate
                ),
            ));
        }
        if load.mode == LoadMode::Closed && load.concurrency == 0 {
            return Err(field_error("load.concurrency", "must be at least 1"));
        }
        if load.duration == 0 {
            return Err(field_error("load.duration", "must be longer than 0s"));
        }
        if load.mode == LoadMode::Open && load.max_backlog == 0 {
            return Err(field_error(
                "load.max_backlog",
                "must be longer than 0s (it bounds the workflows in flight)",
            ));
        }
        if self.runtime.workers == 0 || self.runtime.client_tasks == 0 {
            return Err(field_error(
                "runtime",
                "workers and client_tasks must be at least 1",
            ));
        }
        if self.name.is_empty() || self.name.contains(['/', '\\']) || self.name.starts_with('.') {
            return Err(field_error(
                "name",
                format!("`{}` cannot name a results folder", self.name),
            ));
        }
        if self.sim.cores == 0 || self.sim.cores > 1024 {
            return Err(field_error(
                "sim.cores",
                format!("must be between 1 and 1024, got {}", self.sim.cores),
            ));
        }
        if self.database.backend == Backend::Redis && self.runtime.kind != RuntimeKind::Live {
            return Err(field_error(
                "database.backend",
                "redis runs in real time: it needs runtime.kind = \"live\"",
            ));
        }
        crate::runtime::sim::profile::ServiceProfile::load(&self.sim.profile)
            .map_err(|reason| field_error("sim.profile", reason))?;
        self.faults()?;
        self.workload
            .validate()
            .map_err(|e| field_error(format!("workload.{}", e.field), e.reason))?;
        self.latency
            .validate()
            .map_err(|e| match e.split_once(": ") {
                Some((field, reason)) => field_error(field, reason),
                None => field_error("latency", e),
            })?;
        Ok(())
    }

    /// The faults of the run, checked against the cluster.
    pub fn faults(&self) -> Result<Faults, ConfigError> {
        Faults::new(self.faults.clone(), self.servers, self.beyond_model).map_err(|e| {
            match e.split_once(": ") {
                Some((field, reason)) => field_error(field, reason),
                None => field_error("faults", e),
            }
        })
    }

    /// The config as run, with where it came from.
    pub fn resolved(&self, git_revision: String) -> RunConfig {
        RunConfig {
            provenance: Some(Provenance {
                git_revision,
                cmbench_version: env!("CARGO_PKG_VERSION").into(),
            }),
            ..self.clone()
        }
    }

    pub fn to_toml(&self) -> Result<String, ConfigError> {
        toml::to_string(self).map_err(|e| field_error("config", e.to_string()))
    }
}

/// `FIELD=VALUE` command-line arguments (`--set`) as override pairs for
/// [`RunConfig::load`].
pub fn set_overrides(set: &[String]) -> Result<Vec<(String, String)>, ConfigError> {
    set.iter()
        .map(|s| {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| field_error(format!("--set {s}"), "expected FIELD=VALUE"))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// A command-line value as TOML if it parses as one ("1000", "1.5", "true",
/// "[1, 2]"), else as a string ("10s", "causalmesh").
fn parse_value(text: &str) -> toml::Value {
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), ConfigError> {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts
        .pop()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| field_error(path, "empty field name"))?;
    let mut here = table;
    for (i, part) in parts.iter().enumerate() {
        let entry = here
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        here = entry
            .as_table_mut()
            .ok_or_else(|| field_error(parts[..=i].join("."), "is a value, not a section"))?;
    }
    here.insert(last.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(overrides: &[(&str, &str)]) -> Result<RunConfig, ConfigError> {
        let o: Vec<(String, String)> = overrides
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        RunConfig::load(None, &o)
    }

    fn err(overrides: &[(&str, &str)]) -> String {
        load(overrides).unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_the_papers_micro_benchmark() {
        let c = load(&[]).unwrap();
        assert_eq!(c.servers, 3);
        assert_eq!(c.workload.keys(), 100_000);
        assert_eq!(c.designs, ["causalmesh", "eventual", "nocache"]);
    }

    #[test]
    fn overrides_reach_any_field() {
        let c = load(&[
            ("load.rate", "250"),
            ("load.duration", "3s"),
            ("workload.zipf", "0.5"),
            ("options.eventual_ttl", "100ms"),
        ])
        .unwrap();
        assert_eq!(c.load.rate, 250.0);
        assert_eq!(c.load.duration, 3_000_000);
        assert_eq!(c.options.eventual_ttl_us, 100_000);
        let WorkloadSpec::Micro(m) = &c.workload else {
            panic!("the default workload is micro")
        };
        assert_eq!(m.zipf, 0.5);
    }

    #[test]
    fn all_selects_every_design() {
        let c = load(&[("designs", "[\"all\"]")]).unwrap();
        assert_eq!(c.designs, registry::names().collect::<Vec<_>>());
    }

    #[test]
    fn errors_name_the_field_and_the_reason() {
        assert!(err(&[("load.rate", "-3")]).starts_with("load.rate: must be a positive"));
        assert!(err(&[("load.rate", "fast")]).starts_with("load.rate: invalid type"));
        assert!(
            err(&[("load.duration", "soon")])
                .starts_with("load.duration: `soon` is not a duration")
        );
        assert!(err(&[("servers", "0")]).starts_with("servers: must be between"));
        assert!(
            err(&[("load.max_backlog", "\"0s\"")]).starts_with("load.max_backlog: must be longer")
        );
        assert!(
            err(&[("designs", "[\"redis-magic\"]")])
                .starts_with("designs: unknown design `redis-magic`")
        );
        assert!(
            err(&[("workload.value_size", "2")])
                .starts_with("workload.value_size: must be at least 8")
        );
        assert!(
            err(&[("workload.keyz", "2")]).starts_with("workload: unknown field `keyz`"),
            "{}",
            err(&[("workload.keyz", "2")])
        );
        assert!(
            err(&[("latency.node_db.dist", "gamma")]).starts_with("latency.node_db"),
            "{}",
            err(&[("latency.node_db.dist", "gamma")])
        );
        assert!(
            err(&[("load.rate", "5"), ("load.rate.x", "1")]).starts_with("load.rate: is a value")
        );
    }

    #[test]
    fn resolved_config_round_trips() {
        let c = load(&[("seed", "42")]).unwrap().resolved("abc123".into());
        let text = c.to_toml().unwrap();
        assert!(text.contains("git_revision = \"abc123\""));
        let dir = std::env::temp_dir().join(format!("cmbench-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        let back = RunConfig::load(Some(&path), &[]).unwrap();
        assert_eq!(
            back,
            RunConfig {
                provenance: None,
                ..c
            }
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
