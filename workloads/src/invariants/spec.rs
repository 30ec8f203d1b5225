//! The `[workload]` section of the invariant workloads
//! (`kind = "bank" | "auction" | "registry"`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::placement::Placement;
use crate::spec::SpecError;

/// How an operation kind runs: under causal consistency alone, or holding
/// its object's token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    Causal,
    Token,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvariantSpec {
    /// Accounts, auctions or courses.
    pub objects: u64,
    /// Counters per object (bank deposits and withdrawals, auction bids):
    /// one per cache node, so `servers` may not exceed it.
    pub lanes: u64,
    /// Relative frequency of each operation kind; kinds left out get 1.
    pub mix: BTreeMap<String, f64>,
    /// Bank amounts and auction bids are drawn from `1..=max_amount`.
    pub max_amount: i64,
    /// Bank: every account's balance before the run.
    pub initial_balance: i64,
    /// Registry: students per course.
    pub students: u64,
    pub placement: Placement,
    /// Per operation kind, `causal` or `token`; kinds left out follow the
    /// analysis (`token` exactly for the kinds in a required conflict).
    pub tokens: BTreeMap<String, Choice>,
    /// Of the operations whose choice is `token`, the fraction (drawn per
    /// workflow from the seed) that actually take it; the rest run causal.
    pub token_fraction: f64,
}

impl Default for InvariantSpec {
    fn default() -> Self {
        InvariantSpec {
            objects: 1,
            lanes: 8,
            mix: BTreeMap::new(),
            max_amount: 10,
            initial_balance: 20,
            students: 4,
            placement: Placement::Roam { probability: 1.0 },
            tokens: BTreeMap::new(),
            token_fraction: 1.0,
        }
    }
}

impl InvariantSpec {
    pub fn validate(&self, kinds: &[&str]) -> Result<(), SpecError> {
        if self.objects == 0 {
            return Err(SpecError::new("objects", "must be at least 1"));
        }
        if !(1..=1024).contains(&self.lanes) {
            return Err(SpecError::new(
                "lanes",
                format!("must be within 1..=1024, got {}", self.lanes),
            ));
        }
        if !(1..=1 << 20).contains(&self.students) {
            return Err(SpecError::new(
                "students",
                format!("must be within 1..=1048576, got {}", self.students),
            ));
        }
        if self.max_amount < 1 {
            return Err(SpecError::new(
                "max_amount",
                format!("must be at least 1, got {}", self.max_amount),
            ));
        }
        if self.initial_balance < 0 {
            return Err(SpecError::new(
                "initial_balance",
                format!("must be at least 0, got {}", self.initial_balance),
            ));
        }
        if !(0.0..=1.0).contains(&self.token_fraction) {
            return Err(SpecError::new(
                "token_fraction",
                format!("must be within 0..=1, got {}", self.token_fraction),
            ));
        }
        let known = |field: &str, name: &str| {
            if kinds.contains(&name) {
                Ok(())
            } else {
                Err(SpecError::new(
                    format!("{field}.{name}"),
                    format!("no such operation (one of {})", kinds.join(", ")),
                ))
            }
        };
        for (name, w) in &self.mix {
            known("mix", name)?;
            if !(w.is_finite() && *w >= 0.0) {
                return Err(SpecError::new(
                    format!("mix.{name}"),
                    format!("must be a finite weight >= 0, got {w}"),
                ));
            }
        }
        if kinds.iter().all(|k| self.weight(k) == 0.0) {
            return Err(SpecError::new("mix", "every operation has weight 0"));
        }
        for name in self.tokens.keys() {
            known("tokens", name)?;
        }
        self.placement.validate()?;
        Ok(())
    }

    pub fn weight(&self, kind: &str) -> f64 {
        self.mix.get(kind).copied().unwrap_or(1.0)
    }
}
