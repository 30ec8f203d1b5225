//! Reproducing the paper's evaluation: the experiments of
//! `workloads/paper/experiments.toml` run as sweeps ([`reproduce`]), and a
//! report that sets every number of `workloads/paper/reference.toml` next to
//! ours, with the ratios between designs in both and a verdict per figure
//! ([`report`]).

pub mod experiments;
pub mod measured;
pub mod reference;
pub mod report;
pub mod reproduce;
pub mod verdict;
pub mod visibility;

/// The design every ratio is taken against.
pub const CAUSALMESH: &str = "causalmesh";

/// The published version of a design the paper ran in the CausalMesh
/// artifact's form (`hydrocache-con-cm` -> `hydrocache-con`).
pub fn published_version(design: &str) -> Option<&str> {
    design.strip_suffix("-cm")
}

/// Metrics where more is better: CausalMesh's advantage is its value over
/// the other design's; for the rest (latency, CPU, memory) the reverse.
pub fn higher_is_better(metric: &str) -> bool {
    matches!(metric, "knee" | "throughput" | "throughput_per_server")
}
