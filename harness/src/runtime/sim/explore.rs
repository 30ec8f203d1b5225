//! `cmbench explore`: run a small configuration in the simulator under
//! random fault schedules, one per seed, until the checker finds an anomaly
//! the design's claims rule out or an acknowledged write is lost; then drop
//! faults from the schedule while the failure persists, so what is printed
//! is a minimal schedule that reproduces it (the run is deterministic).

use std::sync::Arc;

use anyhow::{Result, anyhow};
use impls::{Design, Micros};
use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use workloads::invariants::audit::Violation;
use workloads::stream_seed;

use crate::checker::{self, Anomaly, Report};
use crate::config::{RunConfig, RuntimeKind};
use crate::faults::{FaultKind, FaultSpec, LinkClass};
use crate::latency::Dist;
use crate::registry::{self, DesignVisitor};
use crate::runtime::outcome::Outcome;

/// The random stream fault schedules come from, apart from the run's own.
const SCHEDULE_STREAM: u64 = 9_000;

/// The small, write-heavy roaming configuration explored by default:
/// latencies about a tenth of the default profile's, so a seed takes a
/// fraction of a second yet messages still interleave.
pub const DEFAULT_OVERRIDES: &[(&str, &str)] = &[
    (
        "latency.client_node",
        r#"{ dist = "uniform", low = "5us", high = "20us" }"#,
    ),
    (
        "latency.node_node",
        r#"{ dist = "uniform", low = "10us", high = "60us" }"#,
    ),
    (
        "latency.node_db",
        r#"{ dist = "uniform", low = "20us", high = "80us" }"#,
    ),
    (
        "latency.db_service",
        r#"{ dist = "constant", value = "2us" }"#,
    ),
    (
        "latency.dispatch",
        r#"{ dist = "uniform", low = "50us", high = "150us" }"#,
    ),
    ("load.rate", "2000"),
    ("load.warmup", "0s"),
    ("load.duration", "200ms"),
    ("load.drain", "2s"),
    ("workload.keys", "50"),
    (
        "workload.functions",
        "[{ reads = 1, writes = 1 }, { reads = 1, writes = 1 }, { reads = 2, writes = 0 }]",
    ),
];

/// A failing run: its seed, the shrunk schedule, and what the checker saw.
pub struct Finding {
    pub seed: u64,
    /// The schedule drawn for the seed, before shrinking.
    pub drawn: usize,
    /// The config that reproduces the failure (seed and shrunk faults).
    pub config: RunConfig,
    pub report: Report,
    pub lost_writes: u64,
    /// Broken invariants of an invariant workload, in the order found.
    pub invariants: Vec<Violation>,
}

impl Finding {
    /// The shrunk schedule as TOML, ready for a run config.
    pub fn schedule_toml(&self) -> String {
        #[derive(Serialize)]
        struct Schedule<'a> {
            faults: &'a [FaultSpec],
        }
        toml::to_string(&Schedule {
            faults: &self.config.faults,
        })
        .unwrap_or_else(|e| format!("# cannot show the schedule: {e}"))
    }
}

/// Explores seeds `first..first + seeds` of `design` on `base`; `beyond`
/// also draws faults outside the protocols' model. `on_seed` hears each
/// seed as it starts. Returns the seeds tried and the first failure.
pub fn explore(
    base: &RunConfig,
    design: &str,
    first: u64,
    seeds: u64,
    beyond: bool,
    mut on_seed: impl FnMut(u64),
) -> Result<(u64, Option<Finding>)> {
    let traits =
        registry::traits(design).ok_or_else(|| anyhow!("--design: unknown design `{design}`"))?;
    let mut config = base.clone();
    config.designs = vec![design.to_string()];
    config.runtime.kind = RuntimeKind::Sim;
    config.beyond_model = beyond;
    let run_us = config.load.warmup + config.load.duration;
    let failing = |config: &RunConfig| -> Result<Option<(Report, u64, Vec<Violation>)>> {
        let (outcome, workload) = run_one(config, design)?;
        let report = checker::check(&outcome.history);
        let broken = match workload.invariants() {
            Some(inv) => outcome.invariants.violations(inv),
            None => Vec::new(),
        };
        // A design that does not promise convergence may diverge.
        let divergent = if traits.convergent {
            0
        } else {
            report.count(Anomaly::CyclicCF)
        };
        let lost = outcome.figures.lost_writes.unwrap_or(0);
        Ok(
            (report.total() > divergent || lost > 0 || !broken.is_empty())
                .then_some((report, lost, broken)),
        )
    };
    for (tried, seed) in (first..first + seeds).enumerate() {
        on_seed(seed);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, SCHEDULE_STREAM));
        config.seed = seed;
        config.faults = random_schedule(&mut rng, config.servers, run_us, beyond);
        let drawn = config.faults.len();
        let Some(mut failure) = failing(&config)? else {
            continue;
        };
        // Drop one fault at a time while the failure persists.
        let mut shrunk = true;
        while shrunk {
            shrunk = false;
            for i in 0..config.faults.len() {
                let mut fewer = config.clone();
                fewer.faults.remove(i);
                if let Some(f) = failing(&fewer)? {
                    (config, failure, shrunk) = (fewer, f, true);
                    break;
                }
            }
        }
        let (report, lost_writes, invariants) = failure;
        return Ok((
            tried as u64 + 1,
            Some(Finding {
                seed,
                drawn,
                config,
                report,
                lost_writes,
                invariants,
            }),
        ));
    }
    Ok((seeds, None))
}

fn run_one(config: &RunConfig, design: &str) -> Result<(Outcome, Arc<dyn workloads::Workload>)> {
    let workload: Arc<dyn workloads::Workload> = Arc::from(
        workloads::build(&config.workload, config.servers, config.seed).map_err(|e| anyhow!(e))?,
    );
    let outcome = registry::with_design(
        design,
        RunSim {
            config,
            workload: workload.clone(),
        },
    )
    .ok_or_else(|| anyhow!("--design: unknown design `{design}`"))??;
    Ok((outcome, workload))
}

struct RunSim<'a> {
    config: &'a RunConfig,
    workload: Arc<dyn workloads::Workload>,
}

impl DesignVisitor for RunSim<'_> {
    type Output = Result<Outcome>;
    fn visit<D: Design>(self) -> Result<Outcome> {
        super::run::<D>(self.config, self.workload, &|_| {})
    }
}

/// One to four faults at random times within a run of `run_us`, each
/// lasting a twentieth to a quarter of it; beyond-model kinds only with
/// `beyond`.
pub fn random_schedule(
    rng: &mut impl Rng,
    servers: usize,
    run_us: Micros,
    beyond: bool,
) -> Vec<FaultSpec> {
    let count = rng.random_range(1..=4);
    let kinds = if beyond { 11 } else { 7 };
    (0..count)
        .map(|_| {
            let at = rng.random_range(0..run_us.max(1));
            let duration = rng.random_range(run_us / 20..=run_us / 4).max(1);
            let node = rng.random_range(0..servers);
            let kind = match rng.random_range(0..kinds) {
                0 => FaultKind::DelaySpike {
                    link: LinkClass::NodeNode,
                    extra: Dist::Uniform {
                        low: 100,
                        high: 2_000,
                    },
                },
                1 => FaultKind::DelaySpike {
                    link: LinkClass::ClientNode,
                    extra: Dist::constant(500),
                },
                2 => FaultKind::SlowDb {
                    extra: Dist::constant(300),
                },
                3 => FaultKind::DbUnavailable,
                4 => FaultKind::PauseNode { node },
                5 => FaultKind::FastMigration,
                6 => FaultKind::Partition { nodes: vec![node] },
                7 => FaultKind::Reorder {
                    extra: Dist::Uniform {
                        low: 0,
                        high: 2_000,
                    },
                },
                8 => FaultKind::CrashNode { node },
                9 => FaultKind::Loss {
                    rate: rng.random_range(0.01..0.2),
                },
                _ => FaultKind::Duplicate {
                    rate: rng.random_range(0.01..0.2),
                },
            };
            let duration = if matches!(kind, FaultKind::CrashNode { .. }) {
                0
            } else {
                duration
            };
            FaultSpec { kind, at, duration }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> RunConfig {
        let o: Vec<(String, String)> = DEFAULT_OVERRIDES
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([("load.duration".to_string(), "100ms".to_string())])
            .collect();
        RunConfig::load(None, &o).unwrap()
    }

    #[test]
    fn schedules_are_valid_and_in_model_unless_asked() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for _ in 0..200 {
            let s = random_schedule(&mut rng, 3, 200_000, false);
            assert!((1..=4).contains(&s.len()));
            assert!(s.iter().all(|f| !f.kind.beyond_model()));
            crate::faults::Faults::new(s, 3, false).unwrap();
            let s = random_schedule(&mut rng, 3, 200_000, true);
            crate::faults::Faults::new(s, 3, true).unwrap();
        }
    }

    #[test]
    fn the_eventual_cache_fails_with_a_shrunk_schedule_and_causalmesh_does_not() {
        let (tried, found) = explore(&base(), "eventual", 0, 20, false, |_| {}).unwrap();
        let f = found.expect("the eventual cache shows an anomaly");
        assert!(tried <= 20 && f.report.total() > 0);
        assert!(f.config.faults.len() <= f.drawn);
        // The eventual cache needs no fault to go wrong.
        assert!(f.config.faults.is_empty(), "{}", f.schedule_toml());
        let (tried, found) = explore(&base(), "causalmesh", 0, 5, false, |_| {}).unwrap();
        assert_eq!(tried, 5);
        assert!(found.is_none());
    }

    /// Causal consistency alone lets concurrent withdrawals overdraw an
    /// account: no anomaly, but a broken invariant, which explore reports.
    #[test]
    fn a_broken_invariant_is_a_finding() {
        let o: Vec<(String, String)> = [
            ("load.rate", "300"),
            ("load.duration", "300ms"),
            (
                "workload",
                r#"{ kind = "bank", objects = 1, initial_balance = 20, max_amount = 10, mix = { deposit = 1, withdraw = 3 }, placement = { kind = "roam", probability = 1.0 }, token_fraction = 0.0 }"#,
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let base = RunConfig::load(None, &o).unwrap();
        let (_, found) = explore(&base, "causalmesh", 0, 3, false, |_| {}).unwrap();
        let f = found.expect("withdrawals overdraw without tokens");
        assert_eq!(f.report.total(), 0, "{}", f.report.show(3));
        assert!(!f.invariants.is_empty());
    }
}
