//! The invariant workloads as roaming workflows. Each workflow is one
//! operation in two functions: the first reads the object in one read-only
//! transaction, the second (placed by `placement`, so it roams) writes what
//! the operation decided from that read. The write is planned with its
//! unique tag; [`Workload::decide`] fills in its payload from the read, or
//! turns it into a read of the same key when the precondition fails.

use impls::{FunctionPlan, Op, OpResult, WorkflowPlan};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::analysis::{Mode, token_modes};
use super::audit::{Effect, Violation};
use super::encoding::{App, Pick, encode, payload};
use super::spec::{Choice, InvariantSpec};
use super::{auction, minimal_conflicts_of};
use crate::plan::value_tag;
use crate::spec::SpecError;
use crate::{TokenRequest, Workload, stream_seed};

/// Keeps the draw of who takes a token apart from the plan's own stream.
const TOKEN_STREAM: u64 = 0x544f_4b45_4e53;

pub struct Invariants {
    app: App,
    spec: InvariantSpec,
    servers: usize,
    seed: u64,
    /// Per kind: the token mode, or `None` for causal.
    modes: Vec<Option<Mode>>,
}

impl Invariants {
    pub fn new(
        app: App,
        spec: InvariantSpec,
        servers: usize,
        seed: u64,
    ) -> Result<Invariants, SpecError> {
        spec.validate(app.kinds())?;
        if servers == 0 || servers as u64 > spec.lanes {
            return Err(SpecError::new(
                "lanes",
                format!(
                    "each of the {servers} servers needs its own counter per object: lanes must be at least servers, got {}",
                    spec.lanes
                ),
            ));
        }
        let analysed = token_modes(app.kinds().len(), &minimal_conflicts_of(app));
        let modes = app
            .kinds()
            .iter()
            .zip(analysed)
            .map(|(kind, mode)| match spec.tokens.get(*kind) {
                Some(Choice::Causal) => None,
                // A kind the analysis leaves free but the config orders
                // against everything: exclusive.
                Some(Choice::Token) => Some(mode.unwrap_or(Mode::Exclusive)),
                None => mode,
            })
            .collect();
        Ok(Invariants {
            app,
            spec,
            servers,
            seed,
            modes,
        })
    }

    /// The size of the key space: every object's keys.
    pub fn keys(app: App, spec: &InvariantSpec) -> u64 {
        spec.objects * app.span(spec)
    }

    /// The operation workflow `index` performs; the same every time.
    pub fn pick(&self, index: u64) -> Pick {
        self.draw(index).0
    }

    fn draw(&self, index: u64) -> (Pick, Xoshiro256PlusPlus) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed, index));
        let kinds = self.app.kinds();
        let total: f64 = kinds.iter().map(|k| self.spec.weight(k)).sum();
        let mut x = rng.random_range(0.0..total);
        let mut kind = kinds.len() - 1;
        for (i, k) in kinds.iter().enumerate() {
            let w = self.spec.weight(k);
            if x < w {
                kind = i;
                break;
            }
            x -= w;
        }
        let object = rng.random_range(0..self.spec.objects);
        let arg = match (self.app, kind) {
            (App::Bank, _) | (App::Auction, auction::BID) => {
                rng.random_range(1..=self.spec.max_amount)
            }
            (App::Registry, super::registry::ENROLL) => {
                rng.random_range(0..self.spec.students) as i64
            }
            _ => 0,
        };
        (Pick { kind, object, arg }, rng)
    }

    fn base(&self, object: u64) -> u64 {
        object * self.app.span(&self.spec)
    }

    /// The object's payloads as the workflow's first function read them.
    fn view(results: &[OpResult]) -> Option<Vec<i64>> {
        match results.first() {
            Some(OpResult::Txn(values)) => Some(values.iter().map(payload).collect()),
            _ => None,
        }
    }

    /// What a committed workflow read and did: the violations in the state
    /// it read, and its effect if it changed anything.
    pub fn observe(
        &self,
        plan: &WorkflowPlan,
        results: &[OpResult],
    ) -> (Vec<Violation>, Option<Effect>) {
        let Some(view) = Self::view(results) else {
            return (Vec::new(), None);
        };
        let pick = self.pick(plan.index);
        let broken = self.app.broken(&self.spec, &view).map(|what| Violation {
            what: format!("workflow {} {what}", plan.index),
            workflows: vec![plan.index],
        });
        let written = plan
            .functions
            .get(1)
            .and_then(|f| f.ops.first())
            .and_then(|op| op.writes().first().map(|(k, _)| *k));
        let effect = written.and_then(|key| {
            let target = key - self.base(pick.object);
            let decided = self.app.decide(&self.spec, pick, target, &view)?;
            let arg = match (self.app, pick.kind) {
                // A close's effect is the winner it captured.
                (App::Auction, auction::CLOSE) => decided - 1,
                _ => pick.arg,
            };
            Some(Effect {
                workflow: plan.index,
                pick: Pick { arg, ..pick },
            })
        });
        (broken.into_iter().collect(), effect)
    }

    pub fn app(&self) -> App {
        self.app
    }

    pub fn initial_balance(&self) -> i64 {
        self.spec.initial_balance
    }
}

impl Workload for Invariants {
    fn workflow(&self, index: u64) -> WorkflowPlan {
        let (pick, mut rng) = self.draw(index);
        let base = self.base(pick.object);
        let first = self.spec.placement.place(None, self.servers, &mut rng);
        let second = self
            .spec
            .placement
            .place(Some(first), self.servers, &mut rng);
        let target = self.app.target(&self.spec, pick, second as u64);
        let keys = (base..base + self.app.span(&self.spec)).collect();
        WorkflowPlan {
            index,
            functions: vec![
                FunctionPlan {
                    node: first,
                    ops: vec![Op::ReadTxn(keys)],
                },
                FunctionPlan {
                    node: second,
                    ops: vec![Op::Write(base + target, encode(value_tag(index, 0, 1), 0))],
                },
            ],
            stages: Vec::new(),
        }
    }

    fn decide(&self, plan: &WorkflowPlan, results: &[OpResult], planned: &Op) -> Option<Op> {
        let Op::Write(key, value) = planned else {
            return None;
        };
        let pick = self.pick(plan.index);
        let decided = Self::view(results).and_then(|view| {
            self.app
                .decide(&self.spec, pick, key - self.base(pick.object), &view)
        });
        Some(match decided {
            Some(p) => Op::Write(*key, encode(value.tag(), p)),
            None => Op::Read(*key),
        })
    }

    /// A counter's writer holds the counter's token (the encoding's single
    /// writer per counter, whatever the consistency choice); an operation
    /// run with `token` also holds its object's token, in its mode.
    fn tokens(&self, plan: &WorkflowPlan) -> Vec<TokenRequest> {
        let pick = self.pick(plan.index);
        let mut tokens = Vec::new();
        let written = plan.functions.get(1).and_then(|f| f.ops.first());
        if let Some((key, _)) = written.and_then(|op| op.writes().first().copied())
            && self.app.is_counter(pick.kind)
        {
            tokens.push(TokenRequest {
                token: key,
                exclusive: true,
            });
        }
        let mut rng =
            Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed ^ TOKEN_STREAM, plan.index));
        if let Some(mode) = self.modes.get(pick.kind).copied().flatten()
            && rng.random_bool(self.spec.token_fraction)
        {
            tokens.push(TokenRequest {
                token: Self::keys(self.app, &self.spec) + pick.object,
                exclusive: mode == Mode::Exclusive,
            });
        }
        tokens
    }

    fn invariants(&self) -> Option<&Invariants> {
        Some(self)
    }
}
