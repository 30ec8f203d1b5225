//! What the checker found: violations with their kind, the session guarantee
//! they break (when one applies) and the operations involved.

use std::fmt;

/// The kinds of violation, in the order reports list them. The read patterns
/// are those of Bouajjani et al. (POPL'17, §3) plus the transactional ones;
/// each anomalous read is reported once, under the most specific kind
/// (see the module documentation of [`crate::checker`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Anomaly {
    /// A record that does not fit the schema's rules (a field of another
    /// kind, a write of 0, a value written twice, a repeated `seq`); it is
    /// left out of the check.
    Malformed,
    ThinAirRead,
    /// A read returns a value only an aborted transaction wrote.
    AbortedRead,
    CyclicCO,
    WriteCOInitRead,
    WriteCORead,
    FracturedRead,
    SnapshotViolation,
    CyclicCF,
}

impl Anomaly {
    pub const ALL: [Anomaly; 9] = [
        Anomaly::Malformed,
        Anomaly::ThinAirRead,
        Anomaly::AbortedRead,
        Anomaly::CyclicCO,
        Anomaly::WriteCOInitRead,
        Anomaly::WriteCORead,
        Anomaly::FracturedRead,
        Anomaly::SnapshotViolation,
        Anomaly::CyclicCF,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Anomaly::Malformed => "Malformed",
            Anomaly::ThinAirRead => "ThinAirRead",
            Anomaly::AbortedRead => "AbortedRead",
            Anomaly::CyclicCO => "CyclicCO",
            Anomaly::WriteCOInitRead => "WriteCOInitRead",
            Anomaly::WriteCORead => "WriteCORead",
            Anomaly::FracturedRead => "FracturedRead",
            Anomaly::SnapshotViolation => "SnapshotViolation",
            Anomaly::CyclicCF => "CyclicCF",
        }
    }
}

/// Session guarantees (Terry et al., PDIS'94), as the checker attributes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Guarantee {
    ReadYourWrites,
    MonotonicReads,
    MonotonicWrites,
    WritesFollowReads,
}

impl Guarantee {
    pub const ALL: [Guarantee; 4] = [
        Guarantee::ReadYourWrites,
        Guarantee::MonotonicReads,
        Guarantee::MonotonicWrites,
        Guarantee::WritesFollowReads,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Guarantee::ReadYourWrites => "read-your-writes",
            Guarantee::MonotonicReads => "monotonic reads",
            Guarantee::MonotonicWrites => "monotonic writes",
            Guarantee::WritesFollowReads => "writes-follow-reads",
        }
    }
}

/// One operation taking part in a violation; `key` and `value` name the read
/// or write of it that matters (a transaction has several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpRef {
    /// What the operation does in the violation, e.g. "read", "overwritten by".
    pub role: &'static str,
    pub session: u64,
    pub seq: u64,
    /// The cache node it ran at.
    pub node: u64,
    pub key: Option<u64>,
    pub value: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub kind: Anomaly,
    pub guarantee: Option<Guarantee>,
    /// The anomalous read first, then the writes that make it anomalous; for
    /// cycles, the operations of one cycle in order.
    pub ops: Vec<OpRef>,
    /// Why a record is malformed.
    pub note: Option<String>,
}

/// The outcome of [`crate::checker::check`].
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Records in the history.
    pub operations: usize,
    pub sessions: usize,
    /// Committed operations whose causal past holds a CO cycle: only the
    /// cycle itself and thin-air reads are reported for them.
    pub unchecked: usize,
    /// Sorted by kind, then by the first operation's session and seq.
    pub violations: Vec<Violation>,
}

/// How many violations [`Report`]'s `Display` prints.
pub const SHOWN: usize = 10;

impl Report {
    pub fn total(&self) -> usize {
        self.violations.len()
    }

    pub fn count(&self, kind: Anomaly) -> usize {
        self.violations.iter().filter(|v| v.kind == kind).count()
    }

    pub fn guarantee_count(&self, guarantee: Guarantee) -> usize {
        self.violations
            .iter()
            .filter(|v| v.guarantee == Some(guarantee))
            .count()
    }

    /// Every kind with its count, zeros included, in [`Anomaly::ALL`] order.
    pub fn kinds(&self) -> Vec<(&'static str, usize)> {
        Anomaly::ALL
            .iter()
            .map(|&k| (k.name(), self.count(k)))
            .collect()
    }

    /// Every guarantee with the number of violations attributed to it.
    pub fn guarantees(&self) -> Vec<(&'static str, usize)> {
        Guarantee::ALL
            .iter()
            .map(|&g| (g.name(), self.guarantee_count(g)))
            .collect()
    }

    /// The summary followed by the first `n` violations.
    pub fn show(&self, n: usize) -> Shown<'_> {
        Shown { report: self, n }
    }
}

pub struct Shown<'a> {
    report: &'a Report,
    n: usize,
}

fn nonzero(counts: Vec<(&'static str, usize)>) -> String {
    let parts: Vec<String> = counts
        .into_iter()
        .filter(|&(_, c)| c > 0)
        .map(|(name, c)| format!("{name} {c}"))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.report;
        writeln!(
            f,
            "{} operations in {} sessions: {} violations",
            r.operations,
            r.sessions,
            r.total()
        )?;
        if r.unchecked > 0 {
            writeln!(
                f,
                "  {} operations lie after a CO cycle and were not checked further",
                r.unchecked
            )?;
        }
        writeln!(f, "  kinds: {}", nonzero(r.kinds()))?;
        writeln!(f, "  session guarantees: {}", nonzero(r.guarantees()))?;
        for (i, v) in r.violations.iter().take(self.n).enumerate() {
            write!(f, "{:>4}. {}", i + 1, v.kind.name())?;
            if let Some(g) = v.guarantee {
                write!(f, " ({})", g.name())?;
            }
            if let Some(note) = &v.note {
                write!(f, ": {note}")?;
            }
            writeln!(f)?;
            for op in &v.ops {
                write!(
                    f,
                    "        {:<16} session {} seq {} node {}",
                    op.role, op.session, op.seq, op.node
                )?;
                match (op.key, op.value) {
                    (Some(k), Some(v)) => writeln!(f, "  key {k} = {v}")?,
                    (Some(k), None) => writeln!(f, "  key {k}")?,
                    _ => writeln!(f)?,
                }
            }
        }
        if r.total() > self.n {
            writeln!(f, "  … and {} more", r.total() - self.n)?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.show(SHOWN).fmt(f)
    }
}
