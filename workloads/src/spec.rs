//! Workload specifications as they appear in run configs (`[workload]`).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::placement::Placement;
use crate::plan::OP_BITS;

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
        }
    }

    pub fn value_size(&self) -> usize {
        match self {
            WorkloadSpec::Micro(m) => m.value_size,
        }
    }

    pub fn validate(&self) -> Result<(), SpecError> {
        match self {
            WorkloadSpec::Micro(m) => m.validate(),
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
                FunctionSpec {
                    reads: 2,
                    writes: 0,
                },
                FunctionSpec {
                    reads: 2,
                    writes: 0,
                },
                FunctionSpec {
                    reads: 0,
                    writes: 1,
                },
            ],
            placement: Placement::Uniform,
            order: OpOrder::ReadsFirst,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    #[serde(default)]
    pub reads: u32,
    #[serde(default)]
    pub writes: u32,
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
        if self.value_size < impls::version::TAG_BYTES {
            return Err(SpecError::new(
                "value_size",
                format!(
                    "must be at least {} bytes (each value carries its write's tag), got {}",
                    impls::version::TAG_BYTES,
                    self.value_size
                ),
            ));
        }
        if self.functions.is_empty() {
            return Err(SpecError::new(
                "functions",
                "a workflow needs at least one function",
            ));
        }
        let ops: u64 = self
            .functions
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
        if let Placement::Roam { probability } = self.placement
            && !(0.0..=1.0).contains(&probability)
        {
            return Err(SpecError::new(
                "placement.probability",
                format!("must be within 0..=1, got {probability}"),
            ));
        }
        Ok(())
    }
}
