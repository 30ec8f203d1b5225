//! A workload's sequential specification in the style of Gotsman et al.
//! (POPL'16, consistency-choices.md §1.1, §4.4): a bounded state domain, an
//! integrity invariant, and operation instances with a precondition checked
//! at the origin and an effect applied everywhere. Values an operation
//! captures at its origin (a closing auction's winner) are arguments of the
//! instance, so every effect is a plain function of the state.

use std::fmt::Debug;

/// One operation with its arguments, on one object (account, auction,
/// course): tokens are per object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// Index into [`Model::kinds`].
    pub kind: usize,
    pub object: usize,
    pub args: Vec<i64>,
}

/// What an effect did to a bounded state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<S> {
    To(S),
    /// The result lies outside the bounded domain (a balance above the
    /// bound): the case is skipped and counted, never judged.
    Clipped,
}

pub trait Model {
    type State: Clone + Eq + Ord + Debug;

    /// Operation kinds, by name (`withdraw`, `bid`...).
    fn kinds(&self) -> &'static [&'static str];

    /// Every state of the bounded domain, those breaking the invariant
    /// included.
    fn states(&self) -> Vec<Self::State>;

    fn invariant(&self, s: &Self::State) -> bool;

    /// Every operation instance over the bounded arguments.
    fn instances(&self) -> Vec<Instance>;

    /// The generator's check at the origin; a failed check is the identity
    /// effect, which needs no token.
    fn precondition(&self, op: &Instance, s: &Self::State) -> bool;

    fn effect(&self, op: &Instance, s: &Self::State) -> Step<Self::State>;

    /// How an instance reads in reports (`withdraw(account 0, 3)`).
    fn describe(&self, op: &Instance) -> String;
}
