//! `cmbench calibrate`: the host time each design's server handlers take, per
//! message kind. A simulation drives the real state machines with the
//! workload's own mix of messages and states; each handler call is timed on
//! the wall clock (minus the timer's own cost) and the means become a
//! [`ServiceProfile`]. Meaningful in release builds only.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use impls::Design;

use super::Sim;
use super::profile::{ServiceProfile, kind_names};
use super::station::Nanos;
use crate::config::RunConfig;
use crate::registry::{self, DesignVisitor};

/// Host time per handler kind, summed, and calls.
pub struct KindTimer {
    total: Vec<Duration>,
    calls: Vec<u64>,
}

impl KindTimer {
    fn new(kinds: usize) -> KindTimer {
        KindTimer {
            total: vec![Duration::ZERO; kinds],
            calls: vec![0; kinds],
        }
    }

    pub fn add(&mut self, kind: usize, took: Duration) {
        if let (Some(t), Some(c)) = (self.total.get_mut(kind), self.calls.get_mut(kind)) {
            *t += took;
            *c += 1;
        }
    }
}

/// What one design's handlers cost: per kind seen, mean nanoseconds and calls.
pub type KindCosts = BTreeMap<&'static str, (Nanos, u64)>;

/// Runs design `D` on `config` in the simulator, timing every handler call.
pub fn measure<D: Design>(config: &RunConfig) -> Result<KindCosts> {
    let workload: Arc<dyn workloads::Workload> = Arc::from(
        workloads::build(&config.workload, config.servers, config.seed).map_err(|e| anyhow!(e))?,
    );
    let profile =
        ServiceProfile::load(&config.sim.profile).map_err(|e| anyhow!("sim.profile: {e}"))?;
    let names = kind_names::<D>();
    let mut sim = Sim::<D>::new(config, workload, profile.table::<D>())?;
    sim.timer = Some(KindTimer::new(names.len()));
    sim.run(config.load.drain, &|_| {});
    let overhead = timer_overhead();
    let timer = sim
        .timer
        .take()
        .ok_or_else(|| anyhow!("the timer is gone"))?;
    Ok(names
        .into_iter()
        .zip(timer.total.iter().zip(&timer.calls))
        .filter(|(_, (_, calls))| **calls > 0)
        .map(|(name, (total, &calls))| {
            let mean = total.as_nanos() as f64 / calls as f64 - overhead;
            (name, (mean.max(1.0).round() as Nanos, calls))
        })
        .collect())
}

/// Mean nanoseconds an `Instant::now()` and `elapsed()` pair costs.
fn timer_overhead() -> f64 {
    const N: u32 = 200_000;
    let mut sum = Duration::ZERO;
    for _ in 0..N {
        let t = Instant::now();
        sum += t.elapsed();
    }
    sum.as_nanos() as f64 / f64::from(N)
}

struct Measure<'a>(&'a RunConfig);

impl DesignVisitor for Measure<'_> {
    type Output = Result<KindCosts>;
    fn visit<D: Design>(self) -> Result<KindCosts> {
        measure::<D>(self.0)
    }
}

/// Measures every design of `config` `repeat` times, keeping each kind's
/// lowest mean (other processes on the host only ever add time); `report`
/// hears each design's costs as they come. Kinds a design never handled
/// keep `default_ns`.
pub fn calibrate(
    config: &RunConfig,
    default_ns: Nanos,
    repeat: u32,
    mut report: impl FnMut(&str, &KindCosts),
) -> Result<ServiceProfile> {
    let mut designs = BTreeMap::new();
    for design in &config.designs {
        let mut costs = KindCosts::new();
        for _ in 0..repeat.max(1) {
            let run = registry::with_design(design, Measure(config))
                .ok_or_else(|| anyhow!("designs: unknown design `{design}`"))??;
            for (kind, (ns, calls)) in run {
                let best = costs.entry(kind).or_insert((ns, calls));
                best.0 = best.0.min(ns);
            }
        }
        report(design, &costs);
        let table = costs
            .iter()
            .map(|(&k, &(ns, _))| (k.to_string(), ns))
            .collect();
        designs.insert(design.clone(), table);
    }
    let build = if cfg!(debug_assertions) {
        "a debug build (figures too high: use --release)"
    } else {
        "a release build"
    };
    Ok(ServiceProfile {
        about: format!(
            "mean handler time per message kind (ns) measured by `cmbench calibrate` with {build} on {}; workload: {} servers, {} wf/s, seed {}",
            cpu_model(),
            config.servers,
            config.load.rate,
            config.seed
        ),
        default_ns,
        designs,
    })
}

/// The host's CPU, for the profile's `about`.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "an unknown CPU".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_a_run_handles_is_timed() {
        let o: Vec<(String, String)> = [
            ("designs", r#"["causalmesh", "hydrocache-con"]"#),
            ("load.rate", "1000"),
            ("load.warmup", "0s"),
            ("load.duration", "100ms"),
            ("load.drain", "500ms"),
            ("workload.keys", "100"),
            ("history.enabled", "false"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let config = RunConfig::load(None, &o).unwrap();
        let mut seen = Vec::new();
        let profile = calibrate(&config, 999, 2, |d, costs| {
            seen.push((d.to_string(), costs.len()))
        })
        .unwrap();
        assert_eq!(seen.len(), 2);
        let cm = &profile.designs["causalmesh"];
        for kind in ["read", "write", "propagate"] {
            assert!(cm.get(kind).is_some_and(|&ns| ns >= 1), "{kind}: {cm:?}");
        }
        assert!(
            !cm.contains_key("read_reply"),
            "servers never receive replies"
        );
        let hc = &profile.designs["hydrocache-con"];
        assert!(
            hc.contains_key("version_query") && hc.contains_key("tick"),
            "{hc:?}"
        );
        assert_eq!(profile.default_ns, 999);
        let text = profile.to_toml().unwrap();
        let back: ServiceProfile = toml::from_str(&text).unwrap();
        assert_eq!(back, profile);
    }
}
