mod sweep_support;

use std::fs;

use sweep_support::Loaded;

fn designs() -> [Loaded; 3] {
    [
        Loaded {
            name: "causalmesh",
            per_server: 900.0,
            p50_us: 3_000.0,
        },
        Loaded {
            name: "hydrocache-con",
            per_server: 500.0,
            p50_us: 4_500.0,
        },
        Loaded {
            name: "nocache",
            per_server: 300.0,
            p50_us: 7_000.0,
        },
    ]
}

fn names(written: &[std::path::PathBuf]) -> Vec<String> {
    written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_rate_sweep_gets_latency_and_resource_plots() {
    let dir = tempfile::tempdir().unwrap();
    let rates: Vec<f64> = (1..=12).map(|i| f64::from(i) * 500.0).collect();
    sweep_support::write_sweep(dir.path(), "load.rate", &rates, 0.0, &designs()).unwrap();
    let written = plots::plot_dir(dir.path()).unwrap();
    assert_eq!(
        names(&written),
        [
            "latency_vs_rate.png",
            "latency_vs_rate.svg",
            "resources.png",
            "resources.svg"
        ]
    );
    let svg = fs::read_to_string(dir.path().join("latency_vs_rate.svg")).unwrap();
    for text in [
        "offered load (workflows/s)",
        "p99 workflow latency (ms)",
        "causalmesh",
        "hydrocache-con",
        "nocache",
    ] {
        assert!(svg.contains(text), "latency_vs_rate.svg lacks {text}");
    }
    let svg = fs::read_to_string(dir.path().join("resources.svg")).unwrap();
    assert!(svg.contains("CPU (% of one core)") && svg.contains("resident memory (MB)"));
}

#[test]
fn a_server_sweep_gets_throughput_per_server() {
    let dir = tempfile::tempdir().unwrap();
    sweep_support::write_sweep(
        dir.path(),
        "servers",
        &[2.0, 4.0, 8.0, 16.0, 64.0],
        100_000.0,
        &designs(),
    )
    .unwrap();
    let written = plots::plot_sweep_all(dir.path()).unwrap();
    assert_eq!(
        names(&written),
        [
            "sweep_servers.png",
            "sweep_servers.svg",
            "servers.png",
            "servers.svg"
        ]
    );
    let svg = fs::read_to_string(dir.path().join("servers.svg")).unwrap();
    assert!(svg.contains("throughput per server (workflows/s)"));
    assert!(
        svg.contains(">64<") || svg.contains("64"),
        "server counts label the x axis"
    );
}

#[test]
fn a_named_plot_draws_chosen_metrics_and_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    sweep_support::write_sweep(
        dir.path(),
        "workload.zipf",
        &[0.0, 0.5, 1.0],
        1000.0,
        &designs(),
    )
    .unwrap();
    let mut plot = plots::SweepPlot::new(plots::SweepKind::Param, "workload.zipf");
    plot.metrics = vec!["throughput_wf_s".into()];
    plot.title = Some("skew".into());
    plot.file = Some("fig-skew".into());
    let written = plots::plot_sweep(dir.path(), &plot).unwrap();
    assert_eq!(names(&written), ["fig-skew.png", "fig-skew.svg"]);
    let svg = fs::read_to_string(dir.path().join("fig-skew.svg")).unwrap();
    assert!(svg.contains("Zipf skew") && svg.contains("throughput (workflows/s)"));

    plot.x_field = "servers".into();
    let err = plots::plot_sweep(dir.path(), &plot)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("servers is not a varied field here (varied: workload.zipf)"),
        "{err}"
    );
    plot.x_field = "workload.zipf".into();
    plot.metrics = vec!["p42_us".into()];
    let err = plots::plot_sweep(dir.path(), &plot)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no column p42_us"), "{err}");
}

#[test]
fn sim_sweeps_draw_the_figures_they_have() {
    // A sim rate sweep: CPU but no memory figure; one design had anomalies.
    let dir = tempfile::tempdir().unwrap();
    let mut csv =
        String::from("design,load.rate,workflows,p50_us,p99_us,cpu_pct,rss_mb,anomaly_rate\n");
    for rate in [1000, 2000, 3000] {
        csv.push_str(&format!(
            "causalmesh,{rate},10,3000,5000,{},,0\n",
            rate / 50
        ));
        csv.push_str(&format!(
            "eventual,{rate},10,2000,4000,{},,0.01\n",
            rate / 60
        ));
    }
    fs::write(dir.path().join("sweep.csv"), csv).unwrap();
    let written = plots::plot_dir(dir.path()).unwrap();
    assert_eq!(
        names(&written),
        [
            "latency_vs_rate.png",
            "latency_vs_rate.svg",
            "resources.png",
            "resources.svg",
            "anomaly_rate_load_rate.png",
            "anomaly_rate_load_rate.svg"
        ]
    );
    let svg = fs::read_to_string(dir.path().join("resources.svg")).unwrap();
    assert!(svg.contains("CPU (% of one core)") && !svg.contains("resident memory"));
}
