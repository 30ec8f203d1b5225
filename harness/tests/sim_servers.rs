//! Simulated cache servers saturate: with slow handlers and one core, a load
//! past capacity keeps the cores busy, builds queues and stretches the tail,
//! and the per-server figures say so.

use std::path::{Path, PathBuf};

use harness::bench;
use harness::config::RunConfig;
use harness::recorder::Summary;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmbench-simsrv-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn run(dir: &Path, rate: u32, max_backlog: &str) -> Summary {
    // Every eventual-cache handler takes 100 us on one core: a server
    // handles at most 10,000 messages a second.
    let profile = dir.join("slow.toml");
    std::fs::write(&profile, "default_ns = 100000\n").expect("profile");
    let o: Vec<(String, String)> = [
        ("runtime.kind", "\"sim\"".to_string()),
        ("designs", "[\"eventual\"]".into()),
        ("sim.cores", "1".into()),
        (
            "sim.profile",
            format!("{:?}", profile.display().to_string()),
        ),
        ("load.rate", rate.to_string()),
        ("load.warmup", "100ms".into()),
        ("load.duration", "300ms".into()),
        ("load.drain", "5s".into()),
        ("load.max_backlog", format!("{max_backlog:?}")),
        ("workload.keys", "1000".into()),
        ("history.enabled", "false".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let config = RunConfig::load(None, &o).expect("test config is valid");
    let out = dir.join(format!("r{rate}-{max_backlog}"));
    let rows = bench::run(&config, &out, true).expect("run succeeds");
    let servers = std::fs::read_to_string(out.join("eventual.servers.csv")).expect("servers.csv");
    assert_eq!(
        servers.lines().count(),
        4,
        "a header and one row per server"
    );
    assert!(servers.starts_with("server,utilisation,queue_peak,busy_us\n"));
    rows.into_iter().next().expect("one row")
}

#[test]
fn past_capacity_the_servers_are_busy_queues_grow_and_the_tail_stretches() {
    let dir = temp_dir("sat");
    let low = run(&dir, 200, "1s");
    // 5 client messages per workflow over 3 servers, plus database replies.
    let high = run(&dir, 8_000, "1s");
    let (lu, hu) = (
        low.server_util_mean.expect("sim fills it"),
        high.server_util_max.expect("sim fills it"),
    );
    assert!(lu < 0.2, "low load utilisation {lu}");
    assert!(hu > 0.95, "saturated utilisation {hu}");
    assert!(high.queue_peak.unwrap_or(0) > 100 * low.queue_peak.unwrap_or(0).max(1));
    assert!(
        high.p99_us > 10 * low.p99_us,
        "{} vs {}",
        high.p99_us,
        low.p99_us
    );
    assert!(high.throughput_wf_s < 0.9 * 8_000.0);
    assert!(low.cpu_pct.is_some() && low.runtime_lag_us == 0.0);
    assert_eq!(
        (low.shed, high.shed),
        (0, 0),
        "a 1 s backlog is never full here"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_full_backlog_sheds_arrivals_and_bounds_the_latency_past_capacity() {
    let dir = temp_dir("shed");
    let unbounded = run(&dir, 8_000, "1s");
    // At most 8,000/s x 20 ms = 160 workflows in flight.
    let bounded = run(&dir, 8_000, "20ms");
    let offered = 8_000.0 * 0.3;
    let started = bounded.shed as f64 + bounded.throughput_wf_s * 0.3 + bounded.unfinished as f64;
    assert!(bounded.shed > 0, "past capacity arrivals are shed");
    assert!(
        (started - offered).abs() < 0.02 * offered,
        "every arrival of the window is run or shed: {started} of {offered}"
    );
    assert!(
        bounded.p99_us < unbounded.p99_us / 2,
        "the backlog bounds the queueing: p99 {} vs {} us",
        bounded.p99_us,
        unbounded.p99_us
    );
    assert!(
        bounded.throughput_wf_s < 0.9 * 8_000.0,
        "the achieved rate still shows the saturation"
    );
    let _ = std::fs::remove_dir_all(dir);
}
