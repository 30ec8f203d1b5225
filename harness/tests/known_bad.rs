//! A scripted interleaving with a known outcome: a workflow writes a key on
//! one node, roams to the other and reads the key back. The eventual cache
//! shows the read-your-writes anomaly and the checker names it; no causal
//! design shows any.

use harness::bench;
use harness::checker::{self, Guarantee};
use harness::config::RunConfig;
use harness::registry;

#[test]
fn write_roam_read_back_breaks_read_your_writes_only_on_the_eventual_cache() {
    let dir = std::env::temp_dir().join(format!("cmbench-known-bad-{}", std::process::id()));
    let overrides: Vec<(String, String)> = [
        ("designs", r#"["all"]"#),
        ("servers", "2"),
        // One key, so every workflow reads, writes and reads back the same
        // one; one workflow at a time.
        ("workload.keys", "1"),
        (
            "workload.functions",
            "[{ reads = 1, writes = 1 }, { reads = 1 }]",
        ),
        (
            "workload.placement",
            r#"{ kind = "roam", probability = 1.0 }"#,
        ),
        ("load.mode", r#""closed""#),
        ("load.concurrency", "1"),
        ("load.warmup", "0s"),
        ("load.duration", "1s"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = RunConfig::load(None, &overrides).expect("valid config");
    let rows = bench::run(&config, &dir, true).expect("run succeeds");
    for r in &rows {
        let history = checker::history::read_jsonl(dir.join(format!("{}.history.jsonl", r.design)))
            .expect("history");
        let report = checker::check(&history);
        let ryw = report.guarantee_count(Guarantee::ReadYourWrites);
        if r.design == "eventual" {
            // The other node returns its own stale copy; whenever the
            // workflow had already seen that value or a later one before
            // writing, the read-back misses its own write.
            assert!(ryw > 0, "eventual: {report}");
        } else if registry::traits(&r.design).is_some_and(|t| t.causal) {
            assert_eq!(report.total(), 0, "{}: {report}", r.design);
        }
    }
    std::fs::remove_dir_all(dir).ok();
}
