//! The simulator's event loop: CausalMesh on the roaming micro-benchmark
//! (100,000 keys, Zipf 1.0, three functions of 2 reads, 2 reads, 1 write)
//! at 8, 64 and 256 cache servers, open loop, histories off.
//!
//! `cargo bench -p harness --bench sim` prints simulated operations per
//! wall-clock second and per CPU second for one run per cluster size, then
//! runs criterion on the 8-server loop.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use harness::config::RunConfig;
use harness::recorder::RunFigures;
use harness::resources::process_cpu_us;
use harness::runtime::sim;
use impls::causalmesh::CausalMesh;

fn config(servers: usize, rate: u32, duration: &str) -> RunConfig {
    let o: Vec<(String, String)> = [
        ("runtime.kind", "\"sim\"".to_string()),
        ("servers", servers.to_string()),
        ("load.rate", rate.to_string()),
        ("load.warmup", "0s".into()),
        ("load.duration", format!("{duration:?}")),
        ("load.drain", "1s".into()),
        ("history.enabled", "false".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    RunConfig::load(None, &o).expect("bench config is valid")
}

/// Runs the config once; returns the operations simulated.
fn simulate(config: &RunConfig) -> u64 {
    let workload: Arc<dyn workloads::Workload> = Arc::from(
        workloads::build(&config.workload, config.servers, config.seed).expect("valid workload"),
    );
    let outcome = sim::run::<CausalMesh>(config, workload, &|_| {}).expect("the run succeeds");
    let summary = outcome
        .recorder
        .summary("causalmesh", config.load.rate, RunFigures::default());
    summary.ops
}

fn event_loop(c: &mut Criterion) {
    // Shorter runs for larger clusters: each operation costs more (clocks
    // as wide as the cluster, a ring as long), and every server holds each
    // write it has not integrated.
    for (servers, duration) in [(8, "2s"), (64, "500ms"), (256, "100ms")] {
        let cfg = config(servers, 20_000, duration);
        let start = Instant::now();
        let cpu_start = process_cpu_us();
        let ops = simulate(&cfg);
        let took = start.elapsed();
        let cpu = match (cpu_start, process_cpu_us()) {
            (Some(a), Some(b)) => format!(", {:.0} per CPU second", ops as f64 / (b - a) * 1e6),
            _ => String::new(),
        };
        eprintln!(
            "sim: {servers} servers, {ops} operations in {took:.2?}: {:.0} simulated ops/s{cpu}",
            ops as f64 / took.as_secs_f64()
        );
    }
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    let cfg = config(8, 20_000, "200ms");
    let ops = simulate(&cfg);
    group.throughput(Throughput::Elements(ops));
    group.bench_with_input(BenchmarkId::from_parameter(8), &cfg, |b, cfg| {
        b.iter(|| simulate(black_box(cfg)))
    });
    group.finish();
}

criterion_group!(benches, event_loop);
criterion_main!(benches);
