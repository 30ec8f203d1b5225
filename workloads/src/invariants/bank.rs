//! The bank account (consistency-choices.md §3.1): deposit and withdraw,
//! balance never negative.

use super::model::{Instance, Model, Step};

pub const DEPOSIT: usize = 0;
pub const WITHDRAW: usize = 1;
pub const KINDS: &[&str] = &["deposit", "withdraw"];

/// Two accounts, balances `-bound..=bound` (negative ones break the
/// invariant), amounts `1..=max_amount`.
pub struct BankModel {
    pub accounts: usize,
    pub bound: i64,
    pub max_amount: i64,
}

impl Default for BankModel {
    fn default() -> Self {
        BankModel {
            accounts: 2,
            bound: 6,
            max_amount: 3,
        }
    }
}

impl Model for BankModel {
    type State = Vec<i64>;

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn states(&self) -> Vec<Vec<i64>> {
        let mut states = vec![Vec::new()];
        for _ in 0..self.accounts {
            states = states
                .into_iter()
                .flat_map(|s| {
                    (-self.bound..=self.bound).map(move |b| {
                        let mut s = s.clone();
                        s.push(b);
                        s
                    })
                })
                .collect();
        }
        states
    }

    fn invariant(&self, s: &Vec<i64>) -> bool {
        s.iter().all(|&b| b >= 0)
    }

    fn instances(&self) -> Vec<Instance> {
        let mut out = Vec::new();
        for kind in [DEPOSIT, WITHDRAW] {
            for object in 0..self.accounts {
                for amount in 1..=self.max_amount {
                    out.push(Instance {
                        kind,
                        object,
                        args: vec![amount],
                    });
                }
            }
        }
        out
    }

    /// A withdrawal needs the balance it sees at its origin.
    fn precondition(&self, op: &Instance, s: &Vec<i64>) -> bool {
        op.kind == DEPOSIT || s[op.object] >= op.args[0]
    }

    fn effect(&self, op: &Instance, s: &Vec<i64>) -> Step<Vec<i64>> {
        let delta = if op.kind == DEPOSIT {
            op.args[0]
        } else {
            -op.args[0]
        };
        let mut t = s.clone();
        t[op.object] += delta;
        if t[op.object].abs() > self.bound {
            return Step::Clipped;
        }
        Step::To(t)
    }

    fn describe(&self, op: &Instance) -> String {
        format!("{}(account {}, {})", KINDS[op.kind], op.object, op.args[0])
    }
}
