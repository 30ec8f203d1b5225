//! Small configurations run end to end through the live runtime.

use std::path::PathBuf;
use std::process::Command;

use harness::bench;
use harness::config::RunConfig;
use harness::recorder::Summary;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmbench-e2e-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config(overrides: &[(&str, &str)]) -> RunConfig {
    let mut o: Vec<(String, String)> = [
        ("load.rate", "200"),
        ("load.warmup", "200ms"),
        ("load.duration", "1s"),
        ("load.drain", "2s"),
        ("workload.keys", "1000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    o.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    RunConfig::load(None, &o).expect("test config is valid")
}

fn row<'a>(rows: &'a [Summary], design: &str) -> &'a Summary {
    rows.iter()
        .find(|r| r.design == design)
        .expect("a row per design")
}

#[test]
fn every_design_runs_and_leaves_a_complete_results_folder() {
    let dir = temp_dir("all");
    let cfg = config(&[("designs", "[\"all\"]")]);
    let rows = bench::run(&cfg, &dir, true).expect("run succeeds");
    assert_eq!(rows.len(), cfg.designs.len());
    for r in &rows {
        // 200 workflows/s for 1 s, each of 5 operations and 1 write.
        assert!(
            (180..=220).contains(&r.workflows),
            "{}: {} workflows",
            r.design,
            r.workflows
        );
        let claims = harness::registry::traits(&r.design).expect("a registered design");
        if claims.abort_free {
            assert_eq!(r.ops, 5 * r.workflows, "{}", r.design);
            assert_eq!((r.aborts, r.retries, r.failed), (0, 0, 0), "{}", r.design);
        } else {
            // Aborted attempts' operations count too; retries follow aborts.
            assert!(
                r.ops >= 5 * r.workflows && r.retries <= r.aborts,
                "{}",
                r.design
            );
        }
        assert!(
            r.msgs_per_wf >= 10.0,
            "{}: five operations are ten messages at least",
            r.design
        );
        assert!(
            r.bytes_per_wf > 0.0 && r.cpu_us_per_wf > 0.0,
            "{}",
            r.design
        );
        assert_eq!(r.unfinished, 0, "{}", r.design);
        assert!(
            r.p50_us > 0 && r.p50_us <= r.p99_us && r.p99_us <= r.max_us,
            "{}",
            r.design
        );
        assert!(
            (180..=220).contains(&r.db_writes),
            "{}: every write reaches the database",
            r.design
        );
        for file in [format!("{}.hgrm", r.design), format!("{}.hlog", r.design)] {
            assert!(
                dir.join(&file).metadata().is_ok_and(|m| m.len() > 0),
                "{file}"
            );
        }
    }
    let cm = row(&rows, "causalmesh");
    assert_eq!(
        (cm.hit_ratio, cm.db_reads),
        (1.0, 0),
        "CausalMesh serves every read from its caches"
    );
    assert_eq!(cm.remote_fetches, 0, "and never fetches from elsewhere");
    // Per workflow: 5 requests and replies, a write's 2N-1 ring hops, one
    // write-behind.
    assert_eq!(cm.msgs_per_wf.round(), 16.0);
    assert!(cm.metadata_bytes_per_key > 0.0);
    let none = row(&rows, "nocache");
    assert_eq!(none.hit_ratio, 0.0);
    // Database requests count by arrival and workflows by start, so the
    // window's edges may shift a few.
    let reads = 4 * none.workflows;
    assert!(
        none.db_reads.abs_diff(reads) <= reads / 50,
        "four reads per workflow, all from the database: {}",
        none.db_reads
    );
    let ev = row(&rows, "eventual");
    assert!(
        ev.hit_ratio > 0.0 && ev.hit_ratio < 1.0,
        "a cold TTL cache misses, then hits: {}",
        ev.hit_ratio
    );
    assert!(
        cm.p50_us < none.p50_us,
        "cache hits beat database round trips"
    );

    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(summary.starts_with("design,workflows,ops,duration_s,"));
    assert_eq!(summary.lines().count(), 1 + rows.len());
    let resolved =
        RunConfig::load(Some(&dir.join("config.toml")), &[]).expect("config.toml runs again");
    assert_eq!(resolved.designs, cfg.designs);
    let text = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(text.contains("git_revision"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn closed_loop_with_zero_latency_measures_the_ceiling() {
    let dir = temp_dir("closed");
    let mut cfg = config(&[
        ("load.mode", "\"closed\""),
        ("load.concurrency", "4"),
        ("designs", "[\"causalmesh\"]"),
    ]);
    cfg.latency = harness::latency::LatencyProfile::zero();
    let rows = bench::run(&cfg, &dir, true).expect("run succeeds");
    let cm = row(&rows, "causalmesh");
    assert!(cm.throughput_wf_s > 200.0, "{} wf/s", cm.throughput_wf_s);
    assert_eq!(cm.unfinished, 0);
    assert_eq!(cm.offered_wf_s, 0.0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_cli_reports_bad_input_by_field_and_exits_non_zero() {
    let out = Command::new(env!("CARGO_BIN_EXE_cmbench"))
        .args(["run", "--rate=-5", "--quiet", "--no-plots"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("load.rate: must be a positive number"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_cmbench"))
        .args(["run", "--config", "/nonexistent/x.toml", "--quiet"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read config /nonexistent/x.toml")
    );
}

#[test]
fn the_cli_lists_designs_and_workloads() {
    let out = Command::new(env!("CARGO_BIN_EXE_cmbench"))
        .arg("list")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["causalmesh", "eventual", "nocache", "micro"] {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn every_design_runs_transactions() {
    let dir = temp_dir("txn");
    let cfg = RunConfig::load(
        Some(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../workloads/configs/transactions.toml"
        ))),
        &[
            ("load.rate".into(), "100".into()),
            ("load.warmup".into(), "200ms".into()),
            ("load.duration".into(), "1s".into()),
            ("workload.keys".into(), "1000".into()),
        ],
    )
    .expect("the transactions config is valid");
    let rows = bench::run(&cfg, &dir, true).expect("run succeeds");
    for r in &rows {
        assert!(
            (90..=110).contains(&r.workflows),
            "{}: {} workflows",
            r.design,
            r.workflows
        );
        assert_eq!(r.unfinished + r.failed, 0, "{}", r.design);
        // Two writes per workflow, in one transaction; an aborted attempt
        // may have written already.
        let claims = harness::registry::traits(&r.design).expect("a registered design");
        let writes = 2 * r.workflows;
        assert!(
            r.db_writes >= writes - writes / 10,
            "{}: {} writes",
            r.design,
            r.db_writes
        );
        assert!(
            !claims.abort_free || r.db_writes <= writes + writes / 10,
            "{}: {} writes",
            r.design,
            r.db_writes
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
