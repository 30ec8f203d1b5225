//! Reading `<design>.history.jsonl` for the checker, and what each record
//! means once its fields are checked against its kind.
//!
//! The record type is the recorder's [`crate::history::Record`] (one type for
//! writing and reading the schema); its `deny_unknown_fields` rejects any field
//! outside the schema, and [`op`] rejects fields that do not belong to the
//! record's kind.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use crate::history::{Kind as OpKind, Record};

/// Why a history file could not be read.
#[derive(Debug, Error)]
pub enum HistoryError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}:{line}: {source}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error("{}:{line}: {source}", path.display())]
    Shape {
        path: PathBuf,
        line: usize,
        source: ShapeError,
    },
}

/// A record whose fields do not fit its kind.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ShapeError {
    #[error("a {kind} needs the field `{field}`")]
    Missing {
        kind: &'static str,
        field: &'static str,
    },
    #[error("a {kind} has no field `{field}`")]
    Unexpected {
        kind: &'static str,
        field: &'static str,
    },
    /// 0 is the initial value; a write of it would make reads of it ambiguous.
    #[error("writes the initial value 0 to key {key}")]
    WritesInitial { key: u64 },
    /// A transaction installs one value per key.
    #[error("a transaction writes key {key} twice")]
    WritesKeyTwice { key: u64 },
}

/// What a well-formed record does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op<'a> {
    Read {
        key: u64,
        value: u64,
    },
    Write {
        key: u64,
        value: u64,
    },
    Txn {
        reads: &'a [(u64, u64)],
        writes: &'a [(u64, u64)],
        committed: bool,
    },
}

/// Checks `record`'s fields against its kind.
pub fn op(record: &Record) -> Result<Op<'_>, ShapeError> {
    let (kind, single) = match record.kind {
        OpKind::Read => ("read", true),
        OpKind::Write => ("write", true),
        OpKind::Txn => ("txn", false),
    };
    let missing = |field| ShapeError::Missing { kind, field };
    let unexpected = |field| ShapeError::Unexpected { kind, field };
    if single {
        if record.reads.is_some() {
            return Err(unexpected("reads"));
        }
        if record.writes.is_some() {
            return Err(unexpected("writes"));
        }
        if record.committed.is_some() {
            return Err(unexpected("committed"));
        }
        let key = record.key.ok_or_else(|| missing("key"))?;
        let value = record.value.ok_or_else(|| missing("value"))?;
        return Ok(match record.kind {
            OpKind::Write if value == 0 => return Err(ShapeError::WritesInitial { key }),
            OpKind::Write => Op::Write { key, value },
            _ => Op::Read { key, value },
        });
    }
    if record.key.is_some() {
        return Err(unexpected("key"));
    }
    if record.value.is_some() {
        return Err(unexpected("value"));
    }
    let reads = record.reads.as_deref().ok_or_else(|| missing("reads"))?;
    let writes = record.writes.as_deref().ok_or_else(|| missing("writes"))?;
    let committed = record.committed.ok_or_else(|| missing("committed"))?;
    for (i, &(key, value)) in writes.iter().enumerate() {
        if value == 0 {
            return Err(ShapeError::WritesInitial { key });
        }
        if writes[..i].iter().any(|&(k, _)| k == key) {
            return Err(ShapeError::WritesKeyTwice { key });
        }
    }
    Ok(Op::Txn {
        reads,
        writes,
        committed,
    })
}

/// Reads a history file, one record per non-blank line; the first line that
/// is not a well-formed record stops the read with the file and line.
pub fn read_jsonl(path: impl AsRef<Path>) -> Result<Vec<Record>, HistoryError> {
    let path = path.as_ref();
    let io_error = |source| HistoryError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let mut records = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_error)?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(&line).map_err(|source| HistoryError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        op(&record).map_err(|source| HistoryError::Shape {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn file_with(text: &str) -> (PathBuf, impl Drop) {
        struct Remove(PathBuf);
        impl Drop for Remove {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
        let path = std::env::temp_dir().join(format!(
            "cmbench-history-{}-{}.jsonl",
            std::process::id(),
            text.len()
        ));
        let mut f = File::create(&path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        (path.clone(), Remove(path))
    }

    #[test]
    fn reads_records_and_names_the_bad_line() {
        let good = concat!(
            r#"{"session":1,"seq":0,"node":0,"kind":"write","key":3,"value":7,"start_us":0,"end_us":1}"#,
            "\n\n",
            r#"{"session":1,"seq":1,"node":2,"kind":"txn","reads":[[3,7]],"writes":[],"committed":true,"start_us":1,"end_us":2}"#,
            "\n"
        );
        let (path, _guard) = file_with(good);
        let records = read_jsonl(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(
            op(&records[1]).unwrap(),
            Op::Txn {
                reads: &[(3, 7)],
                writes: &[],
                committed: true
            }
        );

        let unknown = format!(
            "{}\n{}\n",
            good.lines().next().unwrap(),
            r#"{"session":1,"seq":1,"node":0,"kind":"read","key":3,"value":7,"colour":1,"start_us":0,"end_us":1}"#
        );
        let (path, _guard) = file_with(&unknown);
        let err = read_jsonl(&path).unwrap_err().to_string();
        assert!(err.contains(":2: unknown field `colour`"), "{err}");

        let (path, _guard) = file_with(
            r#"{"session":1,"seq":0,"node":0,"kind":"read","key":3,"start_us":0,"end_us":1}"#,
        );
        let err = read_jsonl(&path).unwrap_err().to_string();
        assert!(err.ends_with(":1: a read needs the field `value`"), "{err}");

        let err = read_jsonl("/nonexistent/cmbench.history.jsonl").unwrap_err();
        assert!(matches!(err, HistoryError::Io { .. }));
    }

    #[test]
    fn shapes_reject_fields_of_other_kinds_and_initial_writes() {
        let mut r: Record = serde_json::from_str(
            r#"{"session":1,"seq":0,"node":0,"kind":"write","key":3,"value":0,"start_us":0,"end_us":1}"#,
        )
        .unwrap();
        assert_eq!(op(&r), Err(ShapeError::WritesInitial { key: 3 }));
        r.value = Some(4);
        r.committed = Some(true);
        assert_eq!(
            op(&r),
            Err(ShapeError::Unexpected {
                kind: "write",
                field: "committed"
            })
        );
        r.kind = OpKind::Txn;
        r.key = None;
        r.value = None;
        r.reads = Some(vec![]);
        r.writes = Some(vec![(1, 5), (1, 6)]);
        assert_eq!(op(&r), Err(ShapeError::WritesKeyTwice { key: 1 }));
    }
}
