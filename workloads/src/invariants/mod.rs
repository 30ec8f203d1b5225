//! Invariant workloads (issue 7): a bank account, an auction and a course
//! registry, each specified as a bounded sequential model for the POPL'16
//! proof rule (`cmbench analyze`), and encoded on the key-value caches as
//! roaming workflows whose effects commute.

pub mod analysis;
pub mod auction;
pub mod audit;
pub mod bank;
pub mod encoding;
pub mod model;
pub mod registry;
pub mod spec;
pub mod workload;

pub use encoding::App;
pub use spec::{Choice, InvariantSpec};
pub use workload::Invariants;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use analysis::{Failure, Mode, Obligation, Pair, check, minimal_conflicts, token_modes};
use model::Model;

/// The invariant workloads by name, with their operation kinds.
pub const NAMES: &[(&str, &[&str])] = &[
    ("bank", bank::KINDS),
    ("auction", auction::KINDS),
    ("registry", registry::KINDS),
];

/// The operation kinds of workload `name`.
pub fn kinds(name: &str) -> Option<&'static [&'static str]> {
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// The minimal conflict relation of workload `name` on its default bounds.
pub fn analysed_conflicts(name: &str) -> Option<BTreeSet<Pair>> {
    [App::Bank, App::Auction, App::Registry]
        .into_iter()
        .find(|a| a.name() == name)
        .map(minimal_conflicts_of)
}

/// The minimal conflict relation of an invariant workload.
pub fn minimal_conflicts_of(app: App) -> BTreeSet<Pair> {
    match app {
        App::Bank => minimal_conflicts(&bank::BankModel::default()),
        App::Auction => minimal_conflicts(&auction::AuctionModel::default()),
        App::Registry => minimal_conflicts(&registry::RegistryModel::default()),
    }
}

/// What `cmbench analyze` prints, and whether the given assignment (or, with
/// none given, the minimal one) makes every obligation hold.
pub struct Analysis {
    pub text: String,
    pub minimal: BTreeSet<Pair>,
    pub enough: bool,
}

/// Analyses workload `name`; `given` is a conflict relation to verify
/// (`kind:kind,...`).
pub fn analyze(name: &str, given: Option<&str>) -> Result<Analysis, String> {
    let Some(kinds) = kinds(name) else {
        let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
        return Err(format!(
            "unknown invariant workload `{name}` (one of {})",
            names.join(", ")
        ));
    };
    let given = given
        .map(|text| analysis::parse_conflicts(kinds, text))
        .transpose()?;
    Ok(match name {
        "bank" => render(&bank::BankModel::default(), name, given),
        "auction" => render(&auction::AuctionModel::default(), name, given),
        _ => render(&registry::RegistryModel::default(), name, given),
    })
}

fn render<M: Model>(model: &M, name: &str, given: Option<BTreeSet<Pair>>) -> Analysis {
    let kinds = model.kinds();
    let free = check(model, &BTreeSet::new());
    let minimal = free.failing_pairs();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{name}: {} states in the bound ({} satisfy the invariant), {} operation instances, {} cases clipped at the bound",
        free.states, free.invariant_states, free.instances, free.clipped
    );
    let unsafe_ops: Vec<&Failure<M::State>> = free.safety_failures().collect();
    if unsafe_ops.is_empty() {
        let _ = writeln!(
            text,
            "effector safety: holds for every operation (up to the bound)"
        );
    } else {
        let _ = writeln!(text, "effector safety FAILS (no token can fix this):");
        for f in unsafe_ops {
            let _ = writeln!(text, "  {}", witness(model, f));
        }
    }
    let _ = writeln!(
        text,
        "minimal conflict relation (pairs that must be causally ordered):"
    );
    if minimal.is_empty() {
        let _ = writeln!(text, "  none: causal consistency alone keeps the invariant");
    }
    for pair in &minimal {
        let _ = writeln!(text, "  {}", pair.describe(kinds));
        for ((_, p), f) in &free.failures {
            if p == pair {
                let _ = writeln!(text, "    because {}", witness(model, f));
            }
        }
    }
    let modes = token_modes(kinds.len(), &minimal);
    let _ = writeln!(text, "tokens (one per object):");
    for (kind, mode) in kinds.iter().zip(&modes) {
        let how = match mode {
            Some(Mode::Exclusive) => "takes its object's token exclusively",
            Some(Mode::Shared) => "takes its object's token shared",
            None => "takes no token",
        };
        let _ = writeln!(text, "  {kind} {how}");
    }
    let mut enough = unsafe_ops_free(&free);
    if let Some(given) = given {
        let described: Vec<String> = given.iter().map(|p| p.describe(kinds)).collect();
        let report = check(model, &given);
        let missing = report.failing_pairs();
        enough = missing.is_empty() && unsafe_ops_free(&report);
        if enough {
            let _ = writeln!(
                text,
                "given conflicts [{}]: enough, every obligation holds",
                described.join(", ")
            );
        } else {
            let _ = writeln!(
                text,
                "given conflicts [{}]: NOT enough; counter-examples:",
                described.join(", ")
            );
            for f in report
                .failures
                .values()
                .filter(|f| f.obligation != Obligation::Safety)
            {
                let _ = writeln!(text, "  {}", witness(model, f));
            }
        }
    }
    Analysis {
        text,
        minimal,
        enough,
    }
}

fn unsafe_ops_free<S>(report: &analysis::Report<S>) -> bool {
    report.safety_failures().next().is_none()
}

/// One counter-example in words.
fn witness<M: Model>(model: &M, f: &Failure<M::State>) -> String {
    let op = model.describe(&f.op);
    let other = f
        .other
        .as_ref()
        .map(|o| model.describe(o))
        .unwrap_or_default();
    match f.obligation {
        Obligation::Safety => format!(
            "safety: {op} from {:?} gives {:?}, which breaks the invariant",
            f.state,
            f.after.first()
        ),
        Obligation::Stability => format!(
            "stability: {op}'s precondition holds in {:?} but not after a concurrent {other} lands there ({:?})",
            f.state,
            f.after.first()
        ),
        Obligation::Commutativity => format!(
            "commutativity: from {:?}, {op} then {other} gives {:?}, the other order {:?}",
            f.state,
            f.after.first(),
            f.after.get(1)
        ),
    }
}

#[cfg(test)]
mod tests;
