mod support;

use std::fs;
use std::path::Path;

use support::Design;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

fn designs() -> [Design; 3] {
    [
        Design {
            name: "causalmesh",
            p50_us: 800.0,
            tail: 1.2,
            throughput_wf_s: 12_000.0,
            hgrm: true,
        },
        Design {
            name: "eventual",
            p50_us: 650.0,
            tail: 1.1,
            throughput_wf_s: 13_500.0,
            hgrm: true,
        },
        // No histogram: it must be left out of the percentile plot only.
        Design {
            name: "nocache",
            p50_us: 2_400.0,
            tail: 1.0,
            throughput_wf_s: 3_900.0,
            hgrm: false,
        },
    ]
}

#[test]
fn plot_run_writes_every_plot() {
    let dir = tempfile::tempdir().expect("temp dir");
    support::write_run(dir.path(), &designs()).expect("write inputs");

    let written = plots::plot_run(dir.path()).expect("plot_run succeeds");

    let names: Vec<String> = written
        .iter()
        .map(|p| {
            p.file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for stem in ["latency", "latency_whiskers", "throughput", "latency_cdf"] {
        for ext in ["png", "svg"] {
            let name = format!("{stem}.{ext}");
            assert!(names.contains(&name), "{name} not in {names:?}");
        }
    }
    for path in &written {
        assert_eq!(
            path.parent(),
            Some(dir.path()),
            "{} outside the run folder",
            path.display()
        );
        let bytes = fs::read(path).expect("output readable");
        match path.extension().and_then(|e| e.to_str()) {
            Some("png") => {
                assert!(
                    bytes.starts_with(&PNG_SIGNATURE),
                    "{} is not a PNG",
                    path.display()
                );
                assert!(
                    bytes.len() > 10_000,
                    "{} is only {} bytes",
                    path.display(),
                    bytes.len()
                );
            }
            Some("svg") => check_svg(path, &String::from_utf8(bytes).expect("SVG is UTF-8")),
            _ => panic!("unexpected output {}", path.display()),
        }
    }
    // Only the finished files remain: no temporary files left behind.
    let entries = fs::read_dir(dir.path()).expect("list").count();
    assert_eq!(
        entries,
        1 + 2 + written.len(),
        "summary.csv, 2 .hgrm and the outputs"
    );
}

/// The contents of the SVG's `<text>` elements, trimmed.
fn svg_texts(svg: &str) -> Vec<&str> {
    svg.split("<text")
        .skip(1)
        .filter_map(|element| {
            let (_, rest) = element.split_once('>')?;
            let (content, _) = rest.split_once("</text>")?;
            Some(content.trim())
        })
        .collect()
}

fn check_svg(path: &Path, svg: &str) {
    assert!(svg.contains("<svg"), "{} is not an SVG", path.display());
    let texts = svg_texts(svg);
    let stem = path.file_stem().and_then(|s| s.to_str()).expect("stem");
    let expected: &[&str] = if stem == "latency_cdf" {
        &["causalmesh", "eventual"]
    } else {
        &["causalmesh", "eventual", "nocache"]
    };
    for name in expected {
        assert!(
            texts.contains(name),
            "{} lacks the label {name}",
            path.display()
        );
    }
    if stem == "latency_cdf" {
        assert!(
            !texts.contains(&"nocache"),
            "nocache has no histogram to plot"
        );
        assert!(texts.contains(&"99.9%"), "percentile axis labels missing");
    }
    let desc = match stem {
        "throughput" => "throughput (workflows/s)",
        _ => "workflow latency (ms)",
    };
    assert!(
        texts.contains(&desc),
        "{} lacks the axis label {desc:?}",
        path.display()
    );
}

#[test]
fn missing_summary_is_reported_with_its_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = plots::plot_run(dir.path()).expect_err("no summary.csv");
    let message = err.to_string();
    assert!(message.contains("summary.csv"), "{message}");
    assert!(matches!(err, plots::PlotError::Read { .. }), "{err:?}");
}

#[test]
fn bad_histogram_fails_before_any_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    support::write_run(dir.path(), &designs()).expect("write inputs");
    fs::write(
        dir.path().join("eventual.hgrm"),
        "100 0.5 1 2\n200 7 2 inf\n",
    )
    .expect("corrupt");

    let err = plots::plot_run(dir.path()).expect_err("corrupt histogram");

    assert!(err.to_string().contains("eventual.hgrm:2:"), "{err}");
    let pngs = fs::read_dir(dir.path())
        .expect("list")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))
        })
        .count();
    assert_eq!(pngs, 0, "nothing is written when an input is bad");
}
