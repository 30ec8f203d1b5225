//! Workload specifications as they appear in run configs (`[workload]`).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::invariants::encoding::VALUE_SIZE;
use crate::invariants::{App, InvariantSpec, Invariants};
pub use crate::media_spec::MediaSpec;
use crate::placement::Placement;
use crate::plan::OP_BITS;
pub use crate::visibility::VisibilitySpec;

/// A config value that cannot run, with the field it came from.
#[derive(Debug, Error, PartialEq)]
#[error("workload.{field}: {reason}")]
pub struct SpecError {
    pub field: String,
    pub reason: String,
}

impl SpecError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> SpecError {
        SpecError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WorkloadSpec {
    Micro(MicroSpec),
    Media(MediaSpec),
    Visibility(VisibilitySpec),
    Bank(InvariantSpec),
    Auction(InvariantSpec),
    Registry(InvariantSpec),
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec::Micro(MicroSpec::default())
    }
}

impl WorkloadSpec {
    /// Size of the key space designs preload.
    pub fn keys(&self) -> u64 {
        match self {
            WorkloadSpec::Micro(m) => m.keys,
            WorkloadSpec::Media(m) => m.layout().keys(),
            WorkloadSpec::Visibility(v) => v.keys,
            WorkloadSpec::Bank(s) => Invariants::keys(App::Bank, s),
            WorkloadSpec::Auction(s) => Invariants::keys(App::Auction, s),
            WorkloadSpec::Registry(s) => Invariants::keys(App::Registry, s),
        }
    }

    /// Whether workflows acquire tokens, handing their causal context on
    /// from one holder to the next (the invariant workloads).
    pub fn uses_tokens(&self) -> bool {
        matches!(
            self,
            WorkloadSpec::Bank(_) | WorkloadSpec::Auction(_) | WorkloadSpec::Registry(_)
        )
    }

    pub fn value_size(&self) -> usize {
        match self {
            WorkloadSpec::Micro(m) => m.value_size,
            WorkloadSpec::Media(m) => m.value_size,
            WorkloadSpec::Visibility(v) => v.value_size,
            WorkloadSpec::Bank(_) | WorkloadSpec::Auction(_) | WorkloadSpec::Registry(_) => {
                VALUE_SIZE
            }
        }
    }

    pub fn validate(&self) -> Result<(), SpecError> {
        match self {
            WorkloadSpec::Micro(m) => m.validate(),
            WorkloadSpec::Media(m) => m.validate(),
            WorkloadSpec::Visibility(v) => v.validate(),
            WorkloadSpec::Bank(s) => s.validate(App::Bank.kinds()),
            WorkloadSpec::Auction(s) => s.validate(App::Auction.kinds()),
            WorkloadSpec::Registry(s) => s.validate(App::Registry.kinds()),
        }
    }
}

/// The paper's micro-benchmark (reference §15), every knob exposed; the
/// defaults are the paper's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MicroSpec {
    /// Key space `0..keys`.
    pub keys: u64,
    /// Zipf exponent of key popularity; 0 is uniform.
    pub zipf: f64,
    /// Bytes per value (at least 8: each value carries its write's tag).
    pub value_size: usize,
    /// The workflow's functions, in order.
    pub functions: Vec<FunctionSpec>,
    /// When above 0, the workflow has this many functions, `functions`
    /// repeated in turn: one field to sweep workflow length over (the
    /// paper's 3 to 10 functions of 2 reads and 1 write).
    pub functions_count: u32,
    pub placement: Placement,
    pub order: OpOrder,
}

impl Default for MicroSpec {
    fn default() -> Self {
        MicroSpec {
            keys: 100_000,
            zipf: 1.0,
            value_size: 8,
            functions: vec![
                FunctionSpec::new(2, 0),
                FunctionSpec::new(2, 0),
                FunctionSpec::new(0, 1),
            ],
            functions_count: 0,
            placement: Placement::Uniform,
            order: OpOrder::ReadsFirst,
        }
    }
}

/// What one function does: single reads and writes, read-only transactions
/// over `txn_reads` keys, and read-write transactions of `txn_reads` reads and
/// `txn_writes` writes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FunctionSpec {
    pub reads: u32,
    pub writes: u32,
    pub read_txns: u32,
    pub write_txns: u32,
    pub txn_reads: u32,
    pub txn_writes: u32,
}

impl Default for FunctionSpec {
    fn default() -> Self {
        FunctionSpec {
            reads: 0,
            writes: 0,
            read_txns: 0,
            write_txns: 0,
            txn_reads: 2,
            txn_writes: 1,
        }
    }
}

impl FunctionSpec {
    pub fn new(reads: u32, writes: u32) -> FunctionSpec {
        FunctionSpec {
            reads,
            writes,
            ..FunctionSpec::default()
        }
    }

    /// Operations of the function, a transaction counting as one.
    pub fn ops(&self) -> u64 {
        [self.reads, self.writes, self.read_txns, self.write_txns]
            .iter()
            .map(|&n| u64::from(n))
            .sum()
    }

    /// Values the function writes.
    pub fn values_written(&self) -> u64 {
        u64::from(self.writes) + u64::from(self.write_txns) * u64::from(self.txn_writes)
    }
}

/// Order of a function's operations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpOrder {
    /// Reads, then writes (the prototype's `delay_writes`).
    ReadsFirst,
    /// Reads and writes in random order.
    Shuffled,
}

impl MicroSpec {
    /// The workflow's functions with `functions_count` applied.
    pub fn chain(&self) -> Vec<FunctionSpec> {
        if self.functions_count == 0 {
            return self.functions.clone();
        }
        self.functions
            .iter()
            .cycle()
            .take(self.functions_count as usize)
            .copied()
            .collect()
    }

    pub fn validate(&self) -> Result<(), SpecError> {
        if self.keys == 0 {
            return Err(SpecError::new("keys", "must be at least 1"));
        }
        if !(self.zipf.is_finite() && self.zipf >= 0.0) {
            return Err(SpecError::new(
                "zipf",
                format!("must be a finite number >= 0, got {}", self.zipf),
            ));
        }
        check_value_size(self.value_size)?;
        if self.functions.is_empty() {
            return Err(SpecError::new(
                "functions",
                "a workflow needs at least one function",
            ));
        }
        let ops: u64 = self
            .chain()
            .iter()
            .map(|f| u64::from(f.reads) + u64::from(f.writes))
            .sum();
        if ops == 0 {
            return Err(SpecError::new(
                "functions",
                "the workflow does no operation",
            ));
        }
        if ops >= 1 << OP_BITS {
            return Err(SpecError::new(
                "functions",
                format!("at most {} operations per workflow", (1u64 << OP_BITS) - 1),
            ));
        }
        self.placement.validate()?;
        Ok(())
    }
}

/// Every value carries its write's tag, so a value is at least the tag long.
pub(crate) fn check_value_size(value_size: usize) -> Result<(), SpecError> {
    if value_size < impls::version::TAG_BYTES {
        return Err(SpecError::new(
            "value_size",
            format!(
                "must be at least {} bytes (each value carries its write's tag), got {value_size}",
                impls::version::TAG_BYTES
            ),
        ));
    }
    Ok(())
}
