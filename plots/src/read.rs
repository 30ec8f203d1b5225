//! Parsing of a run folder's inputs: `summary.csv` and `<design>.hgrm`.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::PlotError;

/// One row of `summary.csv`: the aggregate results of one design.
///
/// Columns are matched by header name, so their order does not matter and
/// columns not listed here are ignored. Latencies are in microseconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SummaryRow {
    pub design: String,
    pub workflows: u64,
    pub ops: u64,
    pub duration_s: f64,
    pub throughput_wf_s: f64,
    pub throughput_ops_s: f64,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p95_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    pub op_mean_us: f64,
    pub op_p99_us: f64,
    /// Empty for designs without a cache (e.g. nocache).
    pub hit_ratio: Option<f64>,
    pub db_reads: u64,
    pub db_writes: u64,
    /// Empty for designs that keep no per-key metadata.
    pub metadata_bytes_per_key: Option<f64>,
}

impl SummaryRow {
    /// Rejects values that would silently distort a plot (NaN, inf, < 0).
    fn check(&self) -> Result<(), String> {
        if self.design.is_empty() {
            return Err("empty design name".into());
        }
        let required = [
            ("duration_s", self.duration_s),
            ("throughput_wf_s", self.throughput_wf_s),
            ("throughput_ops_s", self.throughput_ops_s),
            ("mean_us", self.mean_us),
            ("p50_us", self.p50_us),
            ("p90_us", self.p90_us),
            ("p95_us", self.p95_us),
            ("p99_us", self.p99_us),
            ("p999_us", self.p999_us),
            ("max_us", self.max_us),
            ("op_mean_us", self.op_mean_us),
            ("op_p99_us", self.op_p99_us),
        ];
        let optional = [
            ("hit_ratio", self.hit_ratio),
            ("metadata_bytes_per_key", self.metadata_bytes_per_key),
        ];
        let present = optional
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?)));
        for (name, value) in required.into_iter().chain(present) {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!(
                    "{name} = {value} is not a finite non-negative number"
                ));
            }
        }
        Ok(())
    }
}

/// Reads `summary.csv`, keeping the row order (it sets the order of the plots).
pub fn read_summary(path: &Path) -> Result<Vec<SummaryRow>, PlotError> {
    let mut reader = open_csv(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, &e))?.clone();

    let mut rows: Vec<SummaryRow> = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, &e))?;
        let line = record.position().map_or(0, csv::Position::line);
        let malformed = |reason: String| PlotError::Malformed {
            path: path.to_owned(),
            line,
            reason,
        };
        let row: SummaryRow = record
            .deserialize(Some(&headers))
            .map_err(|e| malformed(deserialize_reason(&e, &headers)))?;
        row.check().map_err(malformed)?;
        if let Some(earlier) = first_line.insert(row.design.clone(), line) {
            return Err(malformed(format!(
                "design {} already listed on line {earlier}",
                row.design
            )));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(PlotError::Invalid {
            path: path.to_owned(),
            reason: "no design rows after the header".into(),
        });
    }
    Ok(rows)
}

/// A CSV file of the results, read whole, fields trimmed.
pub(crate) fn open_csv(path: &Path) -> Result<csv::Reader<io::Cursor<Vec<u8>>>, PlotError> {
    let bytes = fs::read(path).map_err(|source| PlotError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(io::Cursor::new(bytes)))
}

pub(crate) fn csv_error(path: &Path, e: &csv::Error) -> PlotError {
    PlotError::Malformed {
        path: path.to_owned(),
        line: e.position().map_or(0, csv::Position::line),
        reason: match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} fields where the header has {expected_len}"),
            _ => e.to_string(),
        },
    }
}

/// Names the offending column; the csv crate's own message would start with
/// a position that, for a record deserialised on its own, is missing.
fn deserialize_reason(e: &csv::Error, headers: &csv::StringRecord) -> String {
    let csv::ErrorKind::Deserialize { err, .. } = e.kind() else {
        return e.to_string();
    };
    let field = err.field().map(|i| i as usize);
    match field.and_then(|i| Some((i, headers.get(i)?))) {
        Some((i, name)) => format!("field {} ({name}): {}", i + 1, err.kind()),
        None => err.kind().to_string(),
    }
}

/// One row of an HdrHistogram percentile distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PercentilePoint {
    pub value_us: f64,
    /// In 0..=1.
    pub percentile: f64,
}

/// Path of a design's latency histogram inside a run folder.
pub fn hgrm_path(dir: &Path, design: &str) -> PathBuf {
    dir.join(format!("{design}.hgrm"))
}

/// Reads an HdrHistogram percentile distribution (`outputPercentileDistribution`
/// text). Data rows are the lines whose first two fields are numbers; the
/// header, blank lines and `#` footer are skipped. Returns `Ok(None)` if the
/// file does not exist, so a design without a histogram can be left out.
pub fn read_hgrm(path: &Path) -> Result<Option<Vec<PercentilePoint>>, PlotError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PlotError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    parse_hgrm(path, &text).map(Some)
}

fn parse_hgrm(path: &Path, text: &str) -> Result<Vec<PercentilePoint>, PlotError> {
    let mut points: Vec<PercentilePoint> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let mut fields = line.split_whitespace().map(str::parse::<f64>);
        let (Some(Ok(value_us)), Some(Ok(percentile))) = (fields.next(), fields.next()) else {
            continue;
        };
        let malformed = |reason: String| PlotError::Malformed {
            path: path.to_owned(),
            line: index as u64 + 1,
            reason,
        };
        if !(value_us.is_finite() && value_us >= 0.0) {
            return Err(malformed(format!("value {value_us} is not a latency")));
        }
        if !(0.0..=1.0).contains(&percentile) {
            return Err(malformed(format!(
                "percentile {percentile} is outside 0..1"
            )));
        }
        // The distribution is cumulative; a step back means a corrupt file.
        if let Some(prev) = points.last()
            && (value_us < prev.value_us || percentile < prev.percentile)
        {
            return Err(malformed(
                "row goes backwards (not a percentile distribution)".into(),
            ));
        }
        points.push(PercentilePoint {
            value_us,
            percentile,
        });
    }
    if points.is_empty() {
        return Err(PlotError::Invalid {
            path: path.to_owned(),
            reason: "no percentile rows (expected lines of `value percentile count ...`)".into(),
        });
    }
    Ok(points)
}
