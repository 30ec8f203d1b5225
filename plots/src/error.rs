use std::io;
use std::path::PathBuf;

/// Everything that can go wrong turning a run folder into plots. Each variant
/// names the file concerned so the message alone says where to look.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },

    /// A specific line of an input file is wrong (1-based line number).
    #[error("{}:{line}: {reason}", path.display())]
    Malformed {
        path: PathBuf,
        line: u64,
        reason: String,
    },

    /// The file as a whole is unusable (e.g. holds no data rows).
    #[error("{}: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },

    #[error("cannot render {}: {reason}", path.display())]
    Render { path: PathBuf, reason: String },

    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },

    #[error("the embedded font assets/DejaVuSans.ttf could not be loaded")]
    Font,
}
