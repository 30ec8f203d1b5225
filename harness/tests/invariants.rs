//! Issue 7: the bank workload under causal consistency alone overdraws
//! accounts; with the tokens `cmbench analyze` derives, it never does, on
//! every design whose context orders a token's holders.

use std::path::PathBuf;

use harness::bench;
use harness::config::RunConfig;
use harness::recorder::Summary;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmbench-inv-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// One account, 300 roaming workflows/s for 1 s, three withdrawals per
/// deposit of up to 10 from a balance of 20: withdrawals at different nodes
/// overlap all the time, so without ordering they overdraw almost at once.
fn bank(designs: &str, withdraw: &str) -> RunConfig {
    let workload = format!(
        r#"{{ kind = "bank", objects = 1, initial_balance = 20, max_amount = 10, mix = {{ deposit = 1, withdraw = 3 }}, placement = {{ kind = "roam", probability = 1.0 }}, tokens = {{ {withdraw} }} }}"#
    );
    let o: Vec<(String, String)> = [
        ("designs", designs),
        ("servers", "3"),
        ("load.rate", "300"),
        ("load.warmup", "200ms"),
        ("load.duration", "1s"),
        ("load.drain", "3s"),
        ("workload", workload.as_str()),
        // HydroCache with every dependency kept (harness/tests/anomalies.rs).
        ("options.hydrocache_keep_deps", "true"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    RunConfig::load(None, &o).expect("test config is valid")
}

fn violations(rows: &[Summary]) -> Vec<(String, u64)> {
    rows.iter()
        .map(|r| (r.design.clone(), r.invariant_violations.unwrap_or(u64::MAX)))
        .collect()
}

#[test]
fn causal_consistency_alone_overdraws_the_account() {
    let dir = temp_dir("causal");
    let cfg = bank(
        r#"["causalmesh", "faastcc", "hydrocache-opt"]"#,
        r#"withdraw = "causal""#,
    );
    let rows = bench::run(&cfg, &dir, true).expect("run succeeds");
    for (design, n) in violations(&rows) {
        assert!(n > 0 && n != u64::MAX, "{design}: {n} violations");
    }
    let report = std::fs::read_to_string(dir.join("causalmesh.invariants.txt"))
        .expect("a violations file per design");
    assert!(report.contains("overdrawn"), "{report}");
    assert!(report.contains("[workflows "), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_analysed_tokens_keep_the_balance_non_negative() {
    let dir = temp_dir("tokens");
    // No `tokens` entry: every kind runs as the analysis says. Every design
    // whose context orders a token's holders; faastcc-cm's claim of causal
    // consistency does not hold (harness/tests/anomalies.rs).
    let cfg = bank(
        r#"["causalmesh", "causalmesh-tcc", "faastcc", "hydrocache-con", "hydrocache-opt", "hydrocache-con-cm", "hydrocache-opt-cm"]"#,
        "",
    );
    let rows = bench::run(&cfg, &dir, true).expect("run succeeds");
    for r in &rows {
        assert!(r.workflows > 100, "{}: {} workflows", r.design, r.workflows);
        assert_eq!(r.anomalies, Some(0), "{}", r.design);
        // Every workflow of an abort-free design commits: HydroCache's
        // decided reads outside a function's declared read set (a failed
        // withdrawal reading its counter) do not abort it.
        let abort_free = harness::registry::traits(&r.design).is_some_and(|t| t.abort_free);
        if abort_free {
            assert_eq!((r.unfinished, r.aborts), (0, 0), "{}", r.design);
        }
    }
    assert!(
        violations(&rows).iter().all(|(_, n)| *n == 0),
        "{:?}",
        violations(&rows)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_analysis_default_and_the_config_choice_reach_the_workload() {
    let cfg = bank(
        r#"["causalmesh"]"#,
        r#"deposit = "token", withdraw = "causal""#,
    );
    let w = workloads::build(&cfg.workload, cfg.servers, cfg.seed).expect("a valid workload");
    let object_token = cfg.workload.keys();
    let mut saw = (false, false);
    for i in 0..40 {
        let plan = w.workflow(i);
        let tokens = w.tokens(&plan);
        // Every counter write holds its counter's token; deposits now also
        // hold the account's, withdrawals do not.
        assert!(tokens.iter().any(|t| t.token < object_token && t.exclusive));
        let holds_account = tokens.iter().any(|t| t.token == object_token);
        let written = plan.functions[1].ops[0].writes()[0].0;
        let deposit = written < 8;
        assert_eq!(holds_account, deposit, "workflow {i}");
        saw = (saw.0 || deposit, saw.1 || !deposit);
    }
    assert_eq!(saw, (true, true));
    let bad = RunConfig::load(
        None,
        &[(
            "workload".to_string(),
            r#"{ kind = "bank", tokens = { borrow = "token" } }"#.to_string(),
        )],
    );
    let Err(err) = bad else {
        panic!("an unknown operation is refused");
    };
    let err = format!("{err:#}");
    assert!(err.contains("workload.tokens.borrow"), "{err}");
}

#[test]
fn the_simulator_drives_the_same_token_service() {
    let run = |tag: &str, withdraw: &str| {
        let dir = temp_dir(tag);
        let mut cfg = bank(r#"["causalmesh"]"#, withdraw);
        cfg.runtime.kind = harness::config::RuntimeKind::Sim;
        let rows = bench::run(&cfg, &dir, true).expect("run succeeds");
        let _ = std::fs::remove_dir_all(&dir);
        violations(&rows)[0].1
    };
    assert!(run("sim-causal", r#"withdraw = "causal""#) > 0);
    assert_eq!(run("sim-tokens", ""), 0);
}
