//! Workflows whose stages run functions in parallel (the visibility probe:
//! a writer and one polling reader per other server in one stage) are
//! recorded so the checker reports no anomaly that did not happen: parallel
//! branches are not ordered with each other, so a reader that misses its
//! sibling's write is no read-your-writes violation.

use harness::bench;
use harness::config::RunConfig;

#[test]
fn parallel_branches_are_not_checked_as_one_session() {
    let dir = std::env::temp_dir().join(format!("cmbench-parallel-{}", std::process::id()));
    let overrides: Vec<(String, String)> = [
        ("designs", r#"["causalmesh", "nocache"]"#),
        ("load.warmup", r#""200ms""#),
        ("load.duration", r#""1s""#),
        ("load.drain", r#""1s""#),
        ("sim.profile", r#""default""#),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = RunConfig::load(
        Some(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../workloads/paper/F-visibility.toml"
        ))),
        &overrides,
    )
    .expect("the visibility config is valid");
    let rows = bench::run(&config, &dir, true).expect("run succeeds");
    for r in &rows {
        assert!(r.workflows > 100, "{}: {} workflows", r.design, r.workflows);
        // Every poll that misses the write in flight would be one if the
        // probe's functions were one session.
        assert_eq!(r.anomalies, Some(0), "{}", r.design);
        assert_eq!(r.lost_writes, Some(0), "{}", r.design);
    }
    std::fs::remove_dir_all(dir).ok();
}
