//! The POPL'16 proof rule checked by exhaustive enumeration over a bounded
//! domain, in its practical form (consistency-choices.md §2.2, §4.4 check A):
//!
//! - effector safety: from every state satisfying the invariant and the
//!   operation's precondition, its effect keeps the invariant;
//! - precondition stability: an operation's precondition, true in an
//!   invariant state, stays true after the effect of any operation it does
//!   not conflict with (generated in some invariant state where that
//!   operation's precondition held), whenever that effect keeps the
//!   invariant (the rely is made of invariant-preserving steps);
//! - commutativity: effects of operations that do not conflict commute, so
//!   replicas that apply concurrent effects in different orders agree.
//!
//! A stability or commutativity failure names a pair of operation kinds; it
//! goes away exactly when that pair conflicts, so the minimal conflict
//! relation is the set of failing pairs, and it is unique. A safety failure
//! cannot be fixed by tokens at all.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Instance, Model, Step};

/// Two operation kinds that must be causally ordered, on the same object or
/// on different ones (the latter would need one token for all objects).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub same_object: bool,
}

impl Pair {
    pub fn new(x: usize, y: usize, same_object: bool) -> Pair {
        Pair {
            a: x.min(y),
            b: x.max(y),
            same_object,
        }
    }

    fn of(x: &Instance, y: &Instance) -> Pair {
        Pair::new(x.kind, y.kind, x.object == y.object)
    }

    pub fn describe(&self, kinds: &[&str]) -> String {
        let scope = if self.same_object {
            "same object"
        } else {
            "different objects"
        };
        format!("{} ⋈ {} ({scope})", kinds[self.a], kinds[self.b])
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Obligation {
    Safety,
    Stability,
    Commutativity,
}

/// A counter-example: in `state`, `op`'s obligation fails, because of `other`.
#[derive(Clone, Debug)]
pub struct Failure<S> {
    pub obligation: Obligation,
    pub op: Instance,
    pub other: Option<Instance>,
    pub state: S,
    /// Safety: the state the effect produced. Stability: the state after
    /// `other`'s effect, where `op`'s precondition no longer holds.
    /// Commutativity: `op` then `other`, and `other` then `op`.
    pub after: Vec<S>,
}

pub struct Report<S> {
    /// The first counter-example per obligation and pair (safety: per kind).
    pub failures: BTreeMap<(Obligation, Pair), Failure<S>>,
    pub states: usize,
    pub invariant_states: usize,
    pub instances: usize,
    /// Cases skipped because an effect left the bounded domain.
    pub clipped: u64,
}

impl<S> Report<S> {
    /// The pairs whose failures tokens can fix.
    pub fn failing_pairs(&self) -> BTreeSet<Pair> {
        self.failures
            .keys()
            .filter(|(o, _)| *o != Obligation::Safety)
            .map(|(_, p)| *p)
            .collect()
    }

    pub fn safety_failures(&self) -> impl Iterator<Item = &Failure<S>> {
        self.failures
            .iter()
            .filter(|((o, _), _)| *o == Obligation::Safety)
            .map(|(_, f)| f)
    }
}

/// Checks every obligation with `conflicts` in force.
pub fn check<M: Model>(model: &M, conflicts: &BTreeSet<Pair>) -> Report<M::State> {
    let states = model.states();
    let good: Vec<&M::State> = states.iter().filter(|s| model.invariant(s)).collect();
    let instances: Vec<Instance> = model
        .instances()
        .into_iter()
        .filter(|op| good.iter().any(|s| model.precondition(op, s)))
        .collect();
    let mut report = Report {
        failures: BTreeMap::new(),
        states: states.len(),
        invariant_states: good.len(),
        instances: instances.len(),
        clipped: 0,
    };
    let mut fail = |key: (Obligation, Pair), f: Failure<M::State>| {
        report.failures.entry(key).or_insert(f);
    };
    let mut clipped = 0u64;
    for op in &instances {
        for &s in good.iter().filter(|s| model.precondition(op, s)) {
            match model.effect(op, s) {
                Step::To(t) if !model.invariant(&t) => fail(
                    (Obligation::Safety, Pair::new(op.kind, op.kind, true)),
                    Failure {
                        obligation: Obligation::Safety,
                        op: op.clone(),
                        other: None,
                        state: s.clone(),
                        after: vec![t],
                    },
                ),
                Step::To(_) => {}
                Step::Clipped => clipped += 1,
            }
        }
    }
    for op in &instances {
        for other in &instances {
            let pair = Pair::of(op, other);
            if conflicts.contains(&pair) {
                continue;
            }
            for &s in good.iter().filter(|s| model.precondition(op, s)) {
                match model.effect(other, s) {
                    Step::To(t) if model.invariant(&t) && !model.precondition(op, &t) => {
                        fail(
                            (Obligation::Stability, pair),
                            Failure {
                                obligation: Obligation::Stability,
                                op: op.clone(),
                                other: Some(other.clone()),
                                state: s.clone(),
                                after: vec![t],
                            },
                        );
                        break;
                    }
                    Step::To(_) => {}
                    Step::Clipped => clipped += 1,
                }
            }
        }
    }
    for (i, op) in instances.iter().enumerate() {
        for other in &instances[i..] {
            let pair = Pair::of(op, other);
            if conflicts.contains(&pair) {
                continue;
            }
            for &s in &good {
                let (Some(ab), Some(ba)) = (
                    then(model, op, other, s, &mut clipped),
                    then(model, other, op, s, &mut clipped),
                ) else {
                    continue;
                };
                if ab != ba {
                    fail(
                        (Obligation::Commutativity, pair),
                        Failure {
                            obligation: Obligation::Commutativity,
                            op: op.clone(),
                            other: Some(other.clone()),
                            state: s.clone(),
                            after: vec![ab, ba],
                        },
                    );
                    break;
                }
            }
        }
    }
    report.clipped = clipped;
    report
}

/// `first`'s effect, then `second`'s; `None` if either leaves the domain.
fn then<M: Model>(
    model: &M,
    first: &Instance,
    second: &Instance,
    s: &M::State,
    clipped: &mut u64,
) -> Option<M::State> {
    let step = |op: &Instance, s: &M::State| match model.effect(op, s) {
        Step::To(t) => Some(t),
        Step::Clipped => None,
    };
    let out = step(first, s).and_then(|t| step(second, &t));
    *clipped += u64::from(out.is_none());
    out
}

/// The least conflict relation under which every fixable obligation holds:
/// the pairs that fail with no conflicts at all (each failure is blocked by
/// its own pair only, so the union is necessary and sufficient).
pub fn minimal_conflicts<M: Model>(model: &M) -> BTreeSet<Pair> {
    check(model, &BTreeSet::new()).failing_pairs()
}

/// How an operation kind takes its object's token at run time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Ordered against every exclusive holder, not against other shared ones.
    Shared,
    /// Ordered against every holder.
    Exclusive,
}

/// A per-object shared/exclusive token realising `conflicts` (§1.2's
/// reader/writer tokens): a kind that conflicts with itself takes the token
/// exclusively, one that conflicts only with others takes it shared, one in
/// no conflict takes none. Of two shared kinds that must be ordered, the one
/// in more conflicts becomes exclusive; every shared–exclusive pair is
/// ordered. So the
/// realisation orders at least the required pairs (more only where the
/// relation is not of reader/writer shape).
pub fn token_modes(kinds: usize, conflicts: &BTreeSet<Pair>) -> Vec<Option<Mode>> {
    let same: Vec<&Pair> = conflicts.iter().filter(|p| p.same_object).collect();
    let mut modes: Vec<Option<Mode>> = (0..kinds)
        .map(|k| {
            if same.iter().any(|p| p.a == k && p.b == k) {
                Some(Mode::Exclusive)
            } else if same.iter().any(|p| p.a == k || p.b == k) {
                Some(Mode::Shared)
            } else {
                None
            }
        })
        .collect();
    let degree = |k: usize| same.iter().filter(|p| p.a == k || p.b == k).count();
    for p in &same {
        if modes[p.a] == Some(Mode::Shared) && modes[p.b] == Some(Mode::Shared) {
            // Promote the kind in more conflicts: it orders the most pairs.
            let k = if degree(p.a) > degree(p.b) { p.a } else { p.b };
            modes[k] = Some(Mode::Exclusive);
        }
    }
    modes
}

/// Reads a conflict relation written as `kind:kind` pairs separated by
/// commas (`withdraw:withdraw,bid:close`), on the same object.
pub fn parse_conflicts(kinds: &[&str], text: &str) -> Result<BTreeSet<Pair>, String> {
    let index = |name: &str| {
        kinds.iter().position(|k| *k == name).ok_or_else(|| {
            format!(
                "unknown operation `{name}` (this workload has {})",
                kinds.join(", ")
            )
        })
    };
    let mut out = BTreeSet::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((x, y)) = item.split_once(':') else {
            return Err(format!("`{item}` is not a pair like `withdraw:withdraw`"));
        };
        out.insert(Pair::new(index(x.trim())?, index(y.trim())?, true));
    }
    Ok(out)
}
