use std::fs;
use std::path::{Path, PathBuf};

use plots::{PlotError, read_hgrm, read_summary};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("write sample");
    path
}

const HEADER: &str = "design,workflows,ops,duration_s,throughput_wf_s,throughput_ops_s,mean_us,\
p50_us,p90_us,p95_us,p99_us,p999_us,max_us,op_mean_us,op_p99_us,hit_ratio,db_reads,db_writes,\
metadata_bytes_per_key";

#[test]
fn summary_rows_by_header_name_ignoring_extra_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "{HEADER},added_later\n\
         causalmesh,1000,4000,10.0,100.0,400.0,900.0,800.0,1500.0,2000.0,4000.0,6000.0,9000.0,200.0,1000.0,0.9,300,50,24.5,x\n\
         nocache, 500,2000,10.0, 50.0,200.0,2500.0,2400.0,3000.0,3200.0,5000.0,7000.0,9900.0,600.0,1800.0,,2000,50,,y\n"
    );
    let rows = read_summary(&write(dir.path(), "summary.csv", &text)).expect("valid summary");

    assert_eq!(rows.len(), 2);
    let (mesh, none) = (&rows[0], &rows[1]);
    assert_eq!(mesh.design, "causalmesh");
    assert_eq!(mesh.workflows, 1000);
    assert_eq!(mesh.throughput_wf_s, 100.0);
    assert_eq!(
        (mesh.p50_us, mesh.p99_us, mesh.p999_us),
        (800.0, 4000.0, 6000.0)
    );
    assert_eq!(mesh.hit_ratio, Some(0.9));
    assert_eq!(mesh.metadata_bytes_per_key, Some(24.5));
    assert_eq!(none.design, "nocache");
    assert_eq!(none.workflows, 500, "surrounding spaces are trimmed");
    assert_eq!(none.hit_ratio, None, "an empty cell is no value");
    assert_eq!(none.metadata_bytes_per_key, None);
}

#[test]
fn summary_column_order_does_not_matter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut columns: Vec<&str> = HEADER.split(',').collect();
    columns.reverse();
    let values: Vec<String> = columns
        .iter()
        .map(|c| {
            if *c == "design" {
                "eventual".into()
            } else {
                "7".into()
            }
        })
        .collect();
    let text = format!("{}\n{}\n", columns.join(","), values.join(","));
    let rows = read_summary(&write(dir.path(), "summary.csv", &text)).expect("valid summary");
    assert_eq!(rows[0].design, "eventual");
    assert_eq!(rows[0].p999_us, 7.0);
}

fn summary_error(body: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "summary.csv", &format!("{HEADER}\n{body}"));
    let err = read_summary(&path).expect_err("malformed summary");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    message
}

const GOOD_ROW: &str = "causalmesh,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1\n";

#[test]
fn summary_bad_number_names_file_and_line() {
    let message = summary_error(&format!(
        "{GOOD_ROW}eventual,1,1,1,fast,1,1,1,1,1,1,1,1,1,1,1,1,1,1\n"
    ));
    assert!(
        message.ends_with("summary.csv:3: field 5 (throughput_wf_s): invalid float literal"),
        "{message}"
    );
}

#[test]
fn summary_short_row_names_line() {
    let message = summary_error(&format!("{GOOD_ROW}eventual,1,2\n"));
    assert!(
        message.contains("summary.csv:3: 3 fields where the header has 19"),
        "{message}"
    );
}

#[test]
fn summary_missing_column_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let header = HEADER.replace(",p999_us", "");
    let row = "causalmesh,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1\n";
    let path = write(dir.path(), "summary.csv", &format!("{header}\n{row}"));
    let message = read_summary(&path).expect_err("no p999_us").to_string();
    assert!(message.contains("p999_us"), "{message}");
}

#[test]
fn summary_rejects_nan_negative_and_duplicates() {
    let nan = summary_error("causalmesh,1,1,1,1,1,1,1,1,1,NaN,1,1,1,1,1,1,1,1\n");
    assert!(nan.contains(":2: p99_us = NaN"), "{nan}");
    let negative = summary_error("causalmesh,1,1,1,-5,1,1,1,1,1,1,1,1,1,1,1,1,1,1\n");
    assert!(negative.contains(":2: throughput_wf_s = -5"), "{negative}");
    let twice = summary_error(&format!("{GOOD_ROW}{GOOD_ROW}"));
    assert!(
        twice.contains(":3: design causalmesh already listed on line 2"),
        "{twice}"
    );
}

#[test]
fn summary_without_rows_is_invalid() {
    let message = summary_error("");
    assert!(
        message.ends_with("no design rows after the header"),
        "{message}"
    );
}

#[test]
fn missing_summary_names_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("summary.csv");
    let err = read_summary(&path).expect_err("missing");
    assert!(matches!(err, PlotError::Read { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read {}", path.display())),
        "{err}"
    );
}

const HGRM: &str = "       Value     Percentile TotalCount 1/(1-Percentile)

     100.000 0.000000000000          1           1.00
     250.000 0.500000000000        500           2.00
     900.000 0.990000000000        990         100.00
    1150.000 0.999000000000        999        1000.00
    1200.000 1.000000000000       1000
#[Mean    =      300.000, StdDeviation   =      100.000]
#[Max     =     1200.000, Total count    =         1000]
#[Buckets =           20, SubBuckets     =         2048]
";

#[test]
fn hgrm_rows_are_the_numeric_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let points = read_hgrm(&write(dir.path(), "d.hgrm", HGRM))
        .expect("valid histogram")
        .expect("file exists");
    let pairs: Vec<(f64, f64)> = points.iter().map(|p| (p.value_us, p.percentile)).collect();
    assert_eq!(
        pairs,
        [
            (100.0, 0.0),
            (250.0, 0.5),
            (900.0, 0.99),
            (1150.0, 0.999),
            (1200.0, 1.0)
        ]
    );
}

#[test]
fn hgrm_last_column_may_be_inf() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "d.hgrm", "10 0.5 1 2.00\n20 1.0 2 inf\n");
    let points = read_hgrm(&path).expect("valid").expect("exists");
    assert_eq!(points.len(), 2);
}

#[test]
fn hgrm_missing_is_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert_eq!(
        read_hgrm(&dir.path().join("absent.hgrm")).expect("not an error"),
        None
    );
}

fn hgrm_error(text: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "causalmesh.hgrm", text);
    let message = read_hgrm(&path)
        .expect_err("malformed histogram")
        .to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    message
}

#[test]
fn hgrm_malformed_rows_name_file_and_line() {
    let out_of_range = hgrm_error("10 0.5 1 2\n20 1.5 2 inf\n");
    assert!(
        out_of_range.ends_with("causalmesh.hgrm:2: percentile 1.5 is outside 0..1"),
        "{out_of_range}"
    );
    let backwards = hgrm_error("# comment\n20 0.5 1 2\n10 0.9 2 10\n");
    assert!(
        backwards.contains("causalmesh.hgrm:3: row goes backwards"),
        "{backwards}"
    );
    let negative = hgrm_error("-4 0.5 1 2\n");
    assert!(
        negative.contains("causalmesh.hgrm:1: value -4"),
        "{negative}"
    );
}

#[test]
fn hgrm_without_rows_is_invalid() {
    let message = hgrm_error("this is not a histogram\n#[Mean = 1]\n");
    assert!(message.contains("no percentile rows"), "{message}");
}
