use super::*;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmbench-sweep-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A live run short enough for a unit test: one server, one design.
fn tiny(out: &Path, varies: &[&str], extra: &[(&str, &str)]) -> Sweep {
    let mut overrides: Vec<(String, String)> = [
        ("designs", "[\"nocache\"]"),
        ("servers", "1"),
        ("load.warmup", "0s"),
        ("load.duration", "200ms"),
        ("load.drain", "200ms"),
        ("workload.keys", "100"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    overrides.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Sweep {
        config_file: None,
        overrides,
        varies: varies.iter().map(|v| Vary::parse(v).unwrap()).collect(),
        out: out.to_path_buf(),
        quiet: true,
    }
}

#[test]
fn a_bad_value_names_its_point_before_anything_runs() {
    let out = temp_dir("bad");
    let err = tiny(&out, &["rate=100,-5"], &[]).plan().err().unwrap();
    let text = format!("{err:#}");
    assert!(
        text.contains("point load.rate=-5") && text.contains("load.rate: must be a positive"),
        "{text}"
    );
    let err = tiny(&out, &["workload.keyz=1,2"], &[])
        .plan()
        .err()
        .unwrap();
    assert!(
        format!("{err:#}").contains("unknown field `keyz`"),
        "{err:#}"
    );
    let err = tiny(&out, &["rate=1,2", "rate=3"], &[])
        .plan()
        .err()
        .unwrap();
    assert!(err.to_string().contains("varied twice"));
    assert!(!out.exists(), "planning writes nothing");
}

#[test]
fn two_dimensions_make_a_grid_in_order() {
    let out = temp_dir("grid");
    let (_, points) = tiny(&out, &["servers=1,2", "rate=10..30:10"], &[])
        .plan()
        .unwrap();
    let labels: Vec<String> = points.iter().map(Point::label).collect();
    assert_eq!(labels[0], "servers=1,load.rate=10");
    assert_eq!(labels[5], "servers=2,load.rate=30");
    assert_eq!(points[4].config.servers, 2);
    assert_eq!(points[4].config.load.rate, 20.0);
    assert_eq!(
        points[4].dir,
        out.join("points").join("servers=2,load.rate=20")
    );
}

#[test]
fn a_sweep_writes_its_table_and_resumes_without_rerunning() {
    let out = temp_dir("run");
    let sweep = tiny(&out, &["rate=40,80"], &[]);
    let first = sweep.run().unwrap();
    assert_eq!((first.ran, first.resumed), (2, 0));
    let table = Table::read(&out.join(SWEEP_FILE)).unwrap();
    assert_eq!(&table.headers[..3], ["design", "load.rate", "workflows"]);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.cell(&table.rows[1], "load.rate"), Some("80"));
    assert_eq!(
        table.number(&table.rows[1], "offered_wf_s").unwrap(),
        Some(80.0)
    );
    let knees = Table::read(&out.join(KNEES_FILE)).unwrap();
    assert_eq!(knees.headers, ["design", "knee_rate", "low_load_p99_us"]);
    assert_eq!(knees.rows.len(), 1);
    assert!(out.join("config.toml").is_file());

    let again = sweep.run().unwrap();
    assert_eq!((again.ran, again.resumed), (0, 2));
    assert_eq!(Table::read(&out.join(SWEEP_FILE)).unwrap(), table);

    // A changed point config runs that point again.
    let changed = tiny(&out, &["rate=40,80"], &[("seed", "9")]).run().unwrap();
    assert_eq!((changed.ran, changed.resumed), (2, 0));
    // A half-written point (no summary) is redone, the rest kept.
    std::fs::remove_file(out.join("points/load.rate=80/summary.csv")).unwrap();
    let partial = tiny(&out, &["rate=40,80"], &[("seed", "9")]).run().unwrap();
    assert_eq!((partial.ran, partial.resumed), (1, 1));
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn knees_are_per_design_and_other_field() {
    let varies = [
        Vary::parse("servers=2,4").unwrap(),
        Vary::parse("rate=100,200").unwrap(),
    ];
    let row = |d: &str, s: &str, r: &str, thr: &str, p99: &str| -> Vec<String> {
        [d, s, r, thr, p99].iter().map(|x| x.to_string()).collect()
    };
    let sweep = Table {
        headers: [
            "design",
            "servers",
            "load.rate",
            "throughput_wf_s",
            "p99_us",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect(),
        rows: vec![
            row("a", "2", "100", "100", "1000"),
            row("a", "2", "200", "150", "1000"),
            row("a", "4", "100", "100", "1000"),
            row("a", "4", "200", "199", "2000"),
        ],
    };
    let k = knees(&sweep, &varies).unwrap();
    assert_eq!(
        k.headers,
        ["design", "servers", "knee_rate", "low_load_p99_us"]
    );
    assert_eq!(k.rows[0], ["a", "2", "100", "1000"]);
    assert_eq!(k.rows[1], ["a", "4", "200", "1000"]);
}
