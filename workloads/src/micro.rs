//! The roaming micro-benchmark generator.

use impls::{NodeId, Op, Value};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::keys::KeyChooser;
use crate::plan::{FunctionPlan, WorkflowPlan, retagged, value_tag};

/// Keeps retry placements independent of first-attempt plans.
const RETRY_STREAM: u64 = 0x5245_5452_5921;
use crate::spec::{MicroSpec, OpOrder, SpecError};
use crate::{Workload, stream_seed};

pub struct Micro {
    spec: MicroSpec,
    servers: usize,
    seed: u64,
    keys: KeyChooser,
}

impl Micro {
    pub fn new(mut spec: MicroSpec, servers: usize, seed: u64) -> Result<Micro, SpecError> {
        spec.validate()?;
        spec.functions = spec.chain();
        spec.functions_count = 0;
        if servers == 0 {
            return Err(SpecError::new(
                "servers",
                "a workload needs at least one cache server",
            ));
        }
        let keys = KeyChooser::new(spec.keys, spec.zipf);
        Ok(Micro {
            spec,
            servers,
            seed,
            keys,
        })
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Read,
    Write,
    ReadTxn,
    WriteTxn,
}

impl Micro {
    /// `n` keys of the distribution, distinct while the key space allows.
    fn distinct_keys(&self, n: u32, rng: &mut Xoshiro256PlusPlus) -> Vec<u64> {
        let mut keys: Vec<u64> = Vec::with_capacity(n as usize);
        while keys.len() < n as usize {
            let k = self.keys.choose(rng);
            if !keys.contains(&k) || keys.len() as u64 >= self.spec.keys {
                keys.push(k);
            }
        }
        keys
    }
}

impl Workload for Micro {
    fn retry(&self, plan: &WorkflowPlan, attempt: u32) -> WorkflowPlan {
        let mut retry = retagged(plan, attempt);
        // One stream per (workflow, attempt), apart from the plan's own.
        let stream = stream_seed(
            self.seed ^ RETRY_STREAM,
            (plan.index << 8) | u64::from(attempt & 0xff),
        );
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream);
        let mut node = None;
        for f in &mut retry.functions {
            f.node = self.spec.placement.place(node, self.servers, &mut rng);
            node = Some(f.node);
        }
        retry
    }

    fn workflow(&self, index: u64) -> WorkflowPlan {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed, index));
        let mut node: Option<NodeId> = None;
        let mut seq = 0;
        let functions = self
            .spec
            .functions
            .iter()
            .map(|f| {
                let here = self.spec.placement.place(node, self.servers, &mut rng);
                node = Some(here);
                let mut kinds: Vec<Kind> = [
                    (Kind::Read, f.reads),
                    (Kind::Write, f.writes),
                    (Kind::ReadTxn, f.read_txns),
                    (Kind::WriteTxn, f.write_txns),
                ]
                .into_iter()
                .flat_map(|(kind, n)| std::iter::repeat_n(kind, n as usize))
                .collect();
                if self.spec.order == OpOrder::Shuffled {
                    kinds.shuffle(&mut rng);
                }
                let mut value = |rng: &mut Xoshiro256PlusPlus| {
                    seq += 1;
                    (
                        self.keys.choose(rng),
                        Value::tagged(value_tag(index, 0, seq), self.spec.value_size),
                    )
                };
                let ops = kinds
                    .into_iter()
                    .map(|kind| match kind {
                        Kind::Read => Op::Read(self.keys.choose(&mut rng)),
                        Kind::Write => {
                            let (k, v) = value(&mut rng);
                            Op::Write(k, v)
                        }
                        Kind::ReadTxn => Op::ReadTxn(self.distinct_keys(f.txn_reads, &mut rng)),
                        Kind::WriteTxn => Op::ReadWriteTxn {
                            reads: self.distinct_keys(f.txn_reads, &mut rng),
                            writes: {
                                let mut w: Vec<(u64, Value)> = Vec::new();
                                while w.len() < f.txn_writes as usize {
                                    let (k, v) = value(&mut rng);
                                    if !w.iter().any(|(x, _)| *x == k)
                                        || w.len() as u64 >= self.spec.keys
                                    {
                                        w.push((k, v));
                                    }
                                }
                                w
                            },
                        },
                    })
                    .collect();
                FunctionPlan { node: here, ops }
            })
            .collect();
        WorkflowPlan::chain(index, functions)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::placement::Placement;
    use crate::spec::FunctionSpec;

    #[test]
    fn functions_count_repeats_the_functions_in_turn() {
        let spec = MicroSpec {
            functions: vec![FunctionSpec::new(2, 1)],
            functions_count: 7,
            ..MicroSpec::default()
        };
        let w = Micro::new(spec, 3, 1).unwrap().workflow(4);
        assert_eq!(w.functions.len(), 7);
        assert!(w.functions.iter().all(|f| f.ops.len() == 3));
    }

    #[test]
    fn default_is_the_papers_micro_benchmark() {
        let m = Micro::new(MicroSpec::default(), 3, 7).unwrap();
        let w = m.workflow(0);
        let shape: Vec<(usize, usize)> = w
            .functions
            .iter()
            .map(|f| {
                let writes = f.ops.iter().filter(|o| matches!(o, Op::Write(..))).count();
                (f.ops.len() - writes, writes)
            })
            .collect();
        assert_eq!(shape, vec![(2, 0), (2, 0), (0, 1)]);
        assert!(w.functions.iter().all(|f| f.node < 3));
    }

    #[test]
    fn same_seed_and_index_give_the_same_workflow() {
        let a = Micro::new(MicroSpec::default(), 3, 7).unwrap();
        let b = Micro::new(MicroSpec::default(), 3, 7).unwrap();
        let c = Micro::new(MicroSpec::default(), 3, 8).unwrap();
        assert_eq!(a.workflow(41), b.workflow(41));
        assert_ne!(
            (0..20).map(|i| a.workflow(i)).collect::<Vec<_>>(),
            (0..20).map(|i| c.workflow(i)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn written_values_are_unique_and_sized() {
        let spec = MicroSpec {
            value_size: 32,
            functions: vec![
                FunctionSpec {
                    read_txns: 1,
                    write_txns: 1,
                    txn_writes: 2,
                    ..FunctionSpec::new(1, 3)
                };
                2
            ],
            order: OpOrder::Shuffled,
            ..MicroSpec::default()
        };
        let m = Micro::new(spec, 4, 1).unwrap();
        let mut tags = HashSet::new();
        for i in 0..500 {
            for f in m.workflow(i).functions {
                for op in f.ops {
                    if let Op::ReadWriteTxn { reads, writes } = &op {
                        assert_eq!((reads.len(), writes.len()), (2, 2));
                    }
                    for (_, v) in op.writes() {
                        assert_eq!(v.len(), 32);
                        assert!(
                            v.tag() != 0 && tags.insert(v.tag()),
                            "tag {} repeats",
                            v.tag()
                        );
                    }
                }
            }
        }
        assert_eq!(tags.len(), 500 * 2 * (3 + 2));
    }

    #[test]
    fn a_retry_keeps_the_keys_and_places_the_functions_anew() {
        let m = Micro::new(MicroSpec::default(), 8, 3).unwrap();
        let plan = m.workflow(9);
        let keys = |p: &WorkflowPlan| {
            p.functions
                .iter()
                .flat_map(|f| f.read_set().collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        let retries: Vec<WorkflowPlan> = (1..6).map(|a| m.retry(&plan, a)).collect();
        assert!(retries.iter().all(|r| keys(r) == keys(&plan)));
        assert!(retries.iter().any(|r| {
            r.functions
                .iter()
                .map(|f| f.node)
                .ne(plan.functions.iter().map(|f| f.node))
        }));
        assert_eq!(m.retry(&plan, 2), m.retry(&plan, 2));
    }

    #[test]
    fn roam_zero_keeps_the_workflow_on_one_node() {
        let spec = MicroSpec {
            placement: Placement::Roam { probability: 0.0 },
            ..MicroSpec::default()
        };
        let m = Micro::new(spec, 5, 2).unwrap();
        for i in 0..100 {
            let w = m.workflow(i);
            assert!(w.functions.iter().all(|f| f.node == w.functions[0].node));
        }
    }

    #[test]
    fn bad_specs_name_their_field() {
        let cases = [
            (
                MicroSpec {
                    keys: 0,
                    ..MicroSpec::default()
                },
                "keys",
            ),
            (
                MicroSpec {
                    zipf: -1.0,
                    ..MicroSpec::default()
                },
                "zipf",
            ),
            (
                MicroSpec {
                    value_size: 4,
                    ..MicroSpec::default()
                },
                "value_size",
            ),
            (
                MicroSpec {
                    functions: vec![],
                    ..MicroSpec::default()
                },
                "functions",
            ),
            (
                MicroSpec {
                    placement: Placement::Roam { probability: 1.5 },
                    ..MicroSpec::default()
                },
                "placement.probability",
            ),
        ];
        for (spec, field) in cases {
            let err = Micro::new(spec, 3, 0).err().expect("invalid spec accepted");
            assert_eq!(err.field, field);
            assert!(err.to_string().starts_with(&format!("workload.{field}: ")));
        }
    }
}
