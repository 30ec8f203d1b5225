//! Invariant checking of a run of an invariant workload (bank, auction,
//! registry): the state every committed workflow read, and the final state
//! (every committed effect applied in completion order); see
//! `workloads::invariants::audit`.

use std::io;
use std::path::Path;

use impls::Micros;
use workloads::Invariants;
use workloads::invariants::audit::{Effect, Violation, final_violations};

use crate::results::write_atomically;

/// What a client task saw of committed workflows.
#[derive(Default)]
pub struct InvariantLog {
    /// Broken invariants in states workflows read.
    pub reads: Vec<Violation>,
    /// Effects, with the time their workflow completed.
    pub effects: Vec<(Micros, Effect)>,
}

impl InvariantLog {
    pub fn merge(&mut self, other: InvariantLog) {
        self.reads.extend(other.reads);
        self.effects.extend(other.effects);
    }

    /// Every violation of the run: the reads', then the final state's.
    pub fn violations(mut self, workload: &Invariants) -> Vec<Violation> {
        // Completion order; ties (one microsecond) by workflow index.
        self.effects.sort_by_key(|(t, e)| (*t, e.workflow));
        let effects: Vec<Effect> = self.effects.into_iter().map(|(_, e)| e).collect();
        self.reads.sort_by_key(|v| v.workflows.clone());
        let mut all = self.reads;
        all.extend(final_violations(
            workload.app(),
            workload.initial_balance(),
            &effects,
        ));
        all
    }
}

/// `<design>.invariants.txt`: one line per violation with the workflows
/// (operations) involved.
pub fn write_report(path: &Path, violations: &[Violation]) -> io::Result<()> {
    write_atomically(path, |w| {
        writeln!(w, "{} invariant violations", violations.len())?;
        for v in violations {
            let wfs: Vec<String> = v.workflows.iter().map(u64::to_string).collect();
            writeln!(w, "{} [workflows {}]", v.what, wfs.join(", "))?;
        }
        Ok(())
    })
}
