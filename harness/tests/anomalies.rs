//! Every causal design shows no causal anomaly and loses no acknowledged
//! write over many seeds of a small, write-heavy roaming configuration, with
//! and without in-model faults; the eventual cache shows anomalies, and so
//! does the CausalMesh artifact's FaaSTCC. The seeds run in the simulator,
//! so they replay exactly and do not depend on the machine's load.

use harness::bench;
use harness::checker::{self, Anomaly};
use harness::config::RunConfig;
use harness::registry;
use harness::runtime::sim::explore::DEFAULT_OVERRIDES;

/// In-model faults inside a 200 ms run.
const FAULTS: &str = r#"[
  { kind = "delay-spike", link = "node_node", extra = { dist = "uniform", low = "100us", high = "2ms" }, at = "20ms", duration = "60ms" },
  { kind = "delay-spike", link = "client_node", extra = { dist = "constant", value = "500us" }, at = "50ms", duration = "30ms" },
  { kind = "slow-db", extra = { dist = "constant", value = "300us" }, at = "60ms", duration = "40ms" },
  { kind = "db-unavailable", at = "100ms", duration = "20ms" },
  { kind = "pause-node", node = 1, at = "120ms", duration = "30ms" },
  { kind = "fast-migration", at = "150ms", duration = "50ms" },
]"#;

/// Every design on seed `seed`, in the simulator, on `cmbench explore`'s
/// small write-heavy roaming configuration: every function writes and reads
/// what others wrote, with latencies a tenth of the default profile's.
fn config(seed: u64, faults: bool) -> RunConfig {
    let mut o: Vec<(String, String)> = DEFAULT_OVERRIDES
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let more = [
        ("designs", r#"["all"]"#.to_string()),
        ("seed", seed.to_string()),
        // Virtual time: handler costs come from the service profile, not
        // from how fast this (debug) build runs on a loaded machine, and
        // every seed replays exactly.
        ("runtime.kind", "\"sim\"".into()),
        ("runtime.client_tasks", "1".into()),
        // HydroCache as published loses a key's older deps when a newer
        // version dominates (`cmbench explore --design hydrocache-opt`
        // finds one WriteCORead at seed 26); keeping them makes it causal.
        ("options.hydrocache_keep_deps", "true".into()),
    ];
    o.extend(more.into_iter().map(|(k, v)| (k.to_string(), v)));
    if faults {
        o.push(("faults".into(), FAULTS.into()));
    }
    RunConfig::load(None, &o).expect("test config is valid")
}

/// The checker's report on `design`'s history and its causal (not CyclicCF)
/// anomalies.
fn check(dir: &std::path::Path, design: &str) -> (checker::Report, usize) {
    let history = checker::history::read_jsonl(dir.join(format!("{design}.history.jsonl")))
        .expect("the history reads back");
    let report = checker::check(&history);
    let causal = report.total() - report.count(Anomaly::CyclicCF);
    (report, causal)
}

#[test]
fn causal_designs_show_no_anomaly_over_fifty_seeds_and_the_eventual_cache_does() {
    let dir = std::env::temp_dir().join(format!("cmbench-anomalies-{}", std::process::id()));
    let mut eventual = Vec::new();
    // The artifact's FaaSTCC never narrows its interval, so it claims TCC
    // but is registered as not causal; the checker must back that claim.
    let unnarrowed = registry::traits("faastcc-cm").expect("a registered design");
    assert!(!unnarrowed.causal, "faastcc-cm is marked not causal");
    let mut unnarrowed_anomalous = 0;
    for seed in 0..50 {
        let faults = seed % 2 == 1;
        let all = config(seed, faults);
        let rows = bench::run(&all, &dir, true).expect("run succeeds");
        for r in &rows {
            let claims = registry::traits(&r.design).expect("a registered design");
            assert_eq!(
                r.lost_writes,
                Some(0),
                "seed {seed} (faults: {faults}): {} lost acknowledged writes",
                r.design
            );
            assert!(
                r.workflows > 0 && r.unfinished == 0,
                "seed {seed}: {} finished nothing",
                r.design
            );
            if r.design == "eventual" {
                eventual.push(r.anomalies.unwrap_or(0));
            } else if r.design == "faastcc-cm" {
                unnarrowed_anomalous += usize::from(check(&dir, &r.design).1 > 0);
            } else if claims.causal {
                let (report, causal) = check(&dir, &r.design);
                assert_eq!(
                    causal, 0,
                    "seed {seed} (faults: {faults}): {} shows causal anomalies:\n{report}",
                    r.design
                );
                // Only designs that arbitrate alike everywhere promise convergence.
                assert!(
                    !claims.convergent || report.count(Anomaly::CyclicCF) == 0,
                    "seed {seed} (faults: {faults}): {} diverges:\n{report}",
                    r.design
                );
            }
        }
    }
    let with_anomalies = eventual.iter().filter(|&&n| n > 0).count();
    assert!(
        with_anomalies >= 25,
        "the eventual cache showed anomalies in only {with_anomalies} of 50 seeds: {eventual:?}"
    );
    // About one seed in eight shows one (six of 50 when measured).
    assert!(
        unnarrowed_anomalous > 0,
        "the checker found no anomaly of the un-narrowed faastcc-cm in 50 seeds"
    );
    std::fs::remove_dir_all(dir).ok();
}
