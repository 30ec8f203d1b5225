//! The results folder of a run: `config.toml`, `summary.csv`, and per design
//! a `.hgrm` percentile distribution and a `.hlog` interval log. Every file is
//! written to a temporary name and renamed into place, so an interrupted run
//! never leaves a truncated file.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;

use crate::recorder::{INTERVAL_US, Summary};
use crate::runtime::outcome::ServerLoad;

/// Writes `path` through `fill`, atomically.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = io::BufWriter::new(fs::File::create(&tmp)?);
        fill(&mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

pub fn write_summary(path: &Path, rows: &[Summary]) -> io::Result<()> {
    write_atomically(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        for row in rows {
            csv.serialize(row).map_err(io::Error::other)?;
        }
        csv.flush()
    })
}

/// Per cache server of a simulated run: `server,utilisation,queue_peak,busy_us`.
pub fn write_servers(path: &Path, servers: &[ServerLoad]) -> io::Result<()> {
    write_atomically(path, |w| {
        writeln!(w, "server,utilisation,queue_peak,busy_us")?;
        for (i, s) in servers.iter().enumerate() {
            writeln!(
                w,
                "{i},{:.6},{},{:.3}",
                s.utilisation, s.queue_peak, s.busy_us
            )?;
        }
        Ok(())
    })
}

/// HdrHistogram's classic percentile distribution, values in microseconds.
pub fn write_hgrm(path: &Path, h: &Histogram<u64>) -> io::Result<()> {
    write_atomically(path, |w| {
        writeln!(
            w,
            "{:>12} {:>14} {:>10} {:>14}",
            "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
        )?;
        writeln!(w)?;
        if !h.is_empty() {
            for v in h.iter_quantiles(5) {
                let q = v.quantile_iterated_to();
                let inverse = if q < 1.0 {
                    format!("{:14.2}", 1.0 / (1.0 - q))
                } else {
                    format!("{:>14}", "inf")
                };
                writeln!(
                    w,
                    "{:12.3} {:14.12} {:10} {}",
                    v.value_iterated_to() as f64,
                    q,
                    v.count_since_last_iteration(),
                    inverse
                )?;
            }
        }
        let (mean, sd, max) = if h.is_empty() {
            (0.0, 0.0, 0)
        } else {
            (h.mean(), h.stdev(), h.max())
        };
        writeln!(w, "#[Unit    = microseconds]")?;
        writeln!(w, "#[Mean    = {mean:12.3}, StdDeviation   = {sd:12.3}]")?;
        writeln!(
            w,
            "#[Max     = {max:12.3}, Total count    = {:12}]",
            h.len()
        )?;
        writeln!(
            w,
            "#[Buckets = {:12}, SubBuckets     = {:12}]",
            h.buckets(),
            h.distinct_values()
        )
    })
}

/// The V2 deflate interval log: one histogram per second of the measurement
/// window, for HdrHistogram tools (e.g. HistogramLogAnalyzer).
pub fn write_hlog(
    path: &Path,
    intervals: &[Histogram<u64>],
    window_start: SystemTime,
) -> io::Result<()> {
    write_atomically(path, |mut w| {
        let mut serializer = V2DeflateSerializer::new();
        let mut log = IntervalLogWriterBuilder::new()
            .add_comment("cmbench workflow latency, microseconds")
            .with_start_time(window_start)
            .with_base_time(window_start)
            .with_max_value_divisor(1000.0)
            .begin_log_with(&mut w, &mut serializer)
            .map_err(io::Error::other)?;
        let step = Duration::from_micros(INTERVAL_US);
        for (i, h) in intervals.iter().enumerate() {
            log.write_histogram(h, step * i as u32, step, None)
                .map_err(|e| io::Error::other(format!("{e:?}")))?;
        }
        Ok(())
    })
}

/// `results/<name>` for a run name.
pub fn default_dir(name: &str) -> PathBuf {
    Path::new("results").join(name)
}

/// The checkout's revision, marked `-dirty` when the tree has changes
/// outside `results/`: a run that rewrites committed results (make
/// reproduce-quick) still ran the committed code.
pub fn git_revision() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(rev)
            if run(&[
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ":(top)",
                ":(top,exclude)results",
            ])
            .is_some_and(|s| !s.is_empty()) =>
        {
            format!("{rev}-dirty")
        }
        Some(rev) => rev,
        None => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("cmbench-results-{tag}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = temp_dir("atomic");
        let path = dir.join("summary.csv");
        fs::write(&path, "old\n").unwrap();
        let err = write_atomically(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("interrupted"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left behind"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn hgrm_and_hlog_are_readable() {
        let dir = temp_dir("hdr");
        let mut h = Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
        for v in 1..=1000 {
            h.record(v).unwrap();
        }
        write_hgrm(&dir.join("x.hgrm"), &h).unwrap();
        let text = fs::read_to_string(dir.join("x.hgrm")).unwrap();
        assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)"));
        assert!(text.contains("Total count    =         1000"));
        write_hlog(&dir.join("x.hlog"), &[h.clone(), h], SystemTime::now()).unwrap();
        let log = fs::read(dir.join("x.hlog")).unwrap();
        let read: Vec<_> =
            hdrhistogram::serialization::interval_log::IntervalLogIterator::new(&log)
                .filter(|e| {
                    matches!(
                        e,
                        Ok(hdrhistogram::serialization::interval_log::LogEntry::Interval(_))
                    )
                })
                .collect();
        assert_eq!(read.len(), 2);
        fs::remove_dir_all(dir).unwrap();
    }
}
