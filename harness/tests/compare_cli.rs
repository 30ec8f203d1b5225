//! `cmbench compare` exit status on hand-made results folders: the
//! regression gate `make regress` relies on it.

use std::path::{Path, PathBuf};
use std::process::Command;

const HEADER: &str = "design,workflows,throughput_wf_s,p50_us,p99_us,cpu_us_per_wf";

fn folder(root: &Path, name: &str, kind: &str, rows: &[&str]) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("summary.csv"),
        format!("{HEADER}\n{}\n", rows.join("\n")),
    )
    .unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!("[runtime]\nkind = \"{kind}\"\n"),
    )
    .unwrap();
    dir
}

fn compare(old: &Path, new: &Path, extra: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cmbench"))
        .arg("compare")
        .arg(old)
        .arg(new)
        .args([
            "--metric",
            "throughput_wf_s,p50_us,p99_us",
            "--threshold",
            "0.02",
        ])
        .args(extra)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn the_gate_fails_only_on_a_regression_past_the_threshold() {
    let root = std::env::temp_dir().join(format!("cmbench-compare-cli-{}", std::process::id()));
    let base = [
        "causalmesh,500,2000,4000,9000,30",
        "nocache,500,1000,8000,20000,10",
    ];
    let old = folder(&root, "old", "sim", &base);
    let same = folder(&root, "same", "sim", &base);
    let better = folder(
        &root,
        "better",
        "sim",
        &["causalmesh,500,2100,3900,8000,30", base[1]],
    );
    let slower = folder(
        &root,
        "slower",
        "sim",
        &[base[0], "nocache,500,1000,8000,20500,10"],
    );
    let live_old = folder(&root, "live-old", "live", &base);
    let live_slower = folder(
        &root,
        "live-slower",
        "live",
        &[base[0], "nocache,500,1000,8000,30000,10"],
    );

    assert!(compare(&old, &same, &[]).0);
    assert!(compare(&old, &better, &[]).0);
    let (ok, text) = compare(&old, &slower, &[]);
    assert!(!ok, "p99 2.5% worse must fail:\n{text}");
    assert!(text.contains("nocache: p99_us ratio 1.025"), "{text}");
    assert!(
        compare(&live_old, &live_slower, &[]).0,
        "live runs only report"
    );
    assert!(!compare(&live_old, &live_slower, &["--strict"]).0);
    std::fs::remove_dir_all(root).unwrap();
}
