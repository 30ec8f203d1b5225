//! Atomic file creation: readers of a run folder see either the previous file
//! or the complete new one, never a half-written image.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::PlotError;

/// Lets `write` produce `path` into a temporary file in the same folder (so
/// the final rename stays on one file system), flushes it to disk, then
/// renames it over `path`. On failure the temporary file is removed.
pub(crate) fn write(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), PlotError> {
    let tmp = temp_path(path);
    let result = write(&tmp)
        .map_err(|reason| PlotError::Render {
            path: path.to_owned(),
            reason,
        })
        .and_then(|()| {
            File::open(&tmp)
                .and_then(|file| file.sync_all())
                .and_then(|()| fs::rename(&tmp, path))
                .map_err(|source| PlotError::Write {
                    path: path.to_owned(),
                    source,
                })
        });
    if result.is_err() {
        // Best effort: the error being returned matters more than this one.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `dir/.name.tmp-<pid>-<n>.ext`: hidden, unique per process and call, and
/// keeping the extension because plotters picks the image format from it.
fn temp_path(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let ext = path.extension().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{stem}.tmp-{}-{n}.{ext}", process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("x.png");
        let err = write(&target, |tmp| {
            fs::write(tmp, b"partial").map_err(|e| e.to_string())?;
            Err("boom".into())
        })
        .expect_err("writer failed");
        assert!(err.to_string().contains("x.png"), "{err}");
        let left: Vec<_> = fs::read_dir(dir.path()).expect("list").collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    #[test]
    fn successful_write_replaces_target() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("x.svg");
        fs::write(&target, "old").expect("seed");
        write(&target, |tmp| {
            fs::write(tmp, "new").map_err(|e| e.to_string())
        })
        .expect("write succeeds");
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
    }
}
