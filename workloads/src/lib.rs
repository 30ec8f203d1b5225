//! Seeded roaming workloads: what each workflow does and where each of its
//! functions runs. Every workflow is a pure function of the run seed and its
//! index, so runtimes can generate them in any order and on any thread.

pub mod invariants;
pub mod keys;
pub mod media;
pub mod media_spec;
pub mod micro;
pub mod placement;
pub mod plan;
pub mod spec;
pub mod visibility;

use impls::{Op, OpResult};

pub use invariants::Invariants;
pub use media::Media;
pub use micro::Micro;
pub use plan::{FunctionPlan, WorkflowPlan};
pub use spec::{SpecError, WorkloadSpec};

/// A generator of workflows.
pub trait Workload: Send + Sync {
    /// The `index`-th workflow of the run; the same every time.
    fn workflow(&self, index: u64) -> WorkflowPlan;

    /// The plan of the `attempt`-th retry of an aborted workflow: the same
    /// operations with new values, placed anew as the scheduler would.
    fn retry(&self, plan: &WorkflowPlan, attempt: u32) -> WorkflowPlan {
        plan::retagged(plan, attempt)
    }

    /// For a workload that computes on what it read: the operation to run
    /// in place of the planned `op`, given the results of the attempt's
    /// earlier operations in order. `None` runs the plan as it is. A
    /// replacement write keeps the planned value's tag, so tags stay unique.
    fn decide(&self, _plan: &WorkflowPlan, _results: &[OpResult], _op: &Op) -> Option<Op> {
        None
    }

    /// The tokens the workflow holds from before its first function until
    /// it has finished, in ascending token order (every workflow acquires in
    /// that one order, so none waits in a cycle).
    fn tokens(&self, _plan: &WorkflowPlan) -> Vec<TokenRequest> {
        Vec::new()
    }

    /// The invariant workloads, whose runs are checked against their
    /// invariant.
    fn invariants(&self) -> Option<&Invariants> {
        None
    }
}

/// A token a workflow acquires (consistency-choices.md §5): one per object;
/// exclusive holders are ordered against every holder, shared ones only
/// against exclusive ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    pub token: u64,
    pub exclusive: bool,
}

/// Builds the generator a spec describes, for a cluster of `servers` nodes.
pub fn build(
    spec: &WorkloadSpec,
    servers: usize,
    seed: u64,
) -> Result<Box<dyn Workload>, SpecError> {
    match spec {
        WorkloadSpec::Micro(m) => Ok(Box::new(Micro::new(m.clone(), servers, seed)?)),
        WorkloadSpec::Media(m) => Ok(Box::new(Media::new(m.clone(), servers, seed)?)),
        WorkloadSpec::Visibility(v) => {
            Ok(Box::new(visibility::Visibility::new(v.clone(), servers)?))
        }
        WorkloadSpec::Bank(s) => invariant(invariants::App::Bank, s, servers, seed),
        WorkloadSpec::Auction(s) => invariant(invariants::App::Auction, s, servers, seed),
        WorkloadSpec::Registry(s) => invariant(invariants::App::Registry, s, servers, seed),
    }
}

fn invariant(
    app: invariants::App,
    spec: &invariants::InvariantSpec,
    servers: usize,
    seed: u64,
) -> Result<Box<dyn Workload>, SpecError> {
    Ok(Box::new(Invariants::new(app, spec.clone(), servers, seed)?))
}

/// The workloads `cmbench list` shows: name and one line about each.
pub const WORKLOADS: &[(&str, &str)] = &[
    (
        "micro",
        "the paper's roaming micro-benchmark: functions of reads and writes over Zipf keys",
    ),
    (
        "media",
        "the paper's media service: compose-review (parallel uploads, list updates) and read-reviews workflows, 50/50",
    ),
    (
        "visibility",
        "a write at server 0 while readers at every other server poll its key: time until visible",
    ),
    (
        "bank",
        "deposit and withdraw on per-node counters; invariant: balance never negative",
    ),
    (
        "auction",
        "place bid and close; invariant: no bid after the close, the winner is the highest bid",
    ),
    (
        "registry",
        "enroll, add and remove a course; invariant: no enrolment in a removed course",
    ),
];

/// One independent, reproducible random stream per (seed, stream) pair
/// (SplitMix64 finalizer to spread nearby indices apart).
pub fn stream_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
