//! The simulated runtime is deterministic: the same seed and config give
//! byte-identical summaries and histories, and another seed gives others.

use std::path::{Path, PathBuf};

use harness::bench;
use harness::config::RunConfig;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmbench-simdet-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every kind of design (ring propagation, ticks and prepares, multi-version
/// storage, no metadata), write-heavy, under in-model faults.
fn config(seed: u64) -> RunConfig {
    let o: Vec<(String, String)> = [
        ("runtime.kind", "\"sim\""),
        (
            "designs",
            r#"["causalmesh", "causalmesh-tcc", "hydrocache-opt", "faastcc", "eventual"]"#,
        ),
        ("seed", &seed.to_string()),
        ("load.rate", "3000"),
        ("load.warmup", "100ms"),
        ("load.duration", "400ms"),
        ("load.drain", "1s"),
        ("workload.keys", "200"),
        (
            "workload.functions",
            "[{ reads = 1, writes = 1 }, { reads = 2, writes = 1 }]",
        ),
        (
            "faults",
            r#"[
              { kind = "delay-spike", link = "node_node", extra = { dist = "uniform", low = "100us", high = "2ms" }, at = "150ms", duration = "60ms" },
              { kind = "pause-node", node = 1, at = "250ms", duration = "30ms" },
              { kind = "db-unavailable", at = "300ms", duration = "20ms" },
            ]"#,
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    RunConfig::load(None, &o).expect("test config is valid")
}

/// The files of a results folder that must not depend on the host.
fn outputs(dir: &Path, cfg: &RunConfig) -> Vec<(String, Vec<u8>)> {
    let mut names = vec!["summary.csv".to_string()];
    for d in &cfg.designs {
        names.push(format!("{d}.history.jsonl"));
        names.push(format!("{d}.servers.csv"));
    }
    names
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, bytes)
        })
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (temp_dir("a"), temp_dir("b"), temp_dir("c"));
    let cfg = config(11);
    bench::run(&cfg, &a, true).expect("first run");
    bench::run(&cfg, &b, true).expect("second run");
    let (first, second) = (outputs(&a, &cfg), outputs(&b, &cfg));
    for ((name, x), (_, y)) in first.iter().zip(&second) {
        assert!(x == y, "{name} differs between two runs of one seed");
        assert!(!x.is_empty(), "{name} is empty");
    }
    let rows = bench::run(&config(12), &c, true).expect("third run");
    assert!(
        rows.iter()
            .all(|r| r.workflows > 1_000 && r.unfinished == 0)
    );
    let third = outputs(&c, &cfg);
    for ((name, x), (_, z)) in first.iter().zip(&third) {
        if name.ends_with(".history.jsonl") || name == "summary.csv" {
            assert!(x != z, "{name} is the same for another seed");
        }
    }
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}
