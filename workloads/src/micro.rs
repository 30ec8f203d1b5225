//! The roaming micro-benchmark generator.

use impls::{NodeId, Op, Value};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::keys::KeyChooser;
use crate::plan::{FunctionPlan, WorkflowPlan, value_tag};
use crate::spec::{MicroSpec, OpOrder, SpecError};
use crate::{Workload, stream_seed};

pub struct Micro {
    spec: MicroSpec,
    servers: usize,
    seed: u64,
    keys: KeyChooser,
}

impl Micro {
    pub fn new(spec: MicroSpec, servers: usize, seed: u64) -> Result<Micro, SpecError> {
        spec.validate()?;
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

impl Workload for Micro {
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
                let mut kinds: Vec<bool> = (0..f.reads)
                    .map(|_| false)
                    .chain((0..f.writes).map(|_| true))
                    .collect();
                if self.spec.order == OpOrder::Shuffled {
                    kinds.shuffle(&mut rng);
                }
                let ops = kinds
                    .into_iter()
                    .map(|is_write| {
                        let key = self.keys.choose(&mut rng);
                        seq += 1;
                        if is_write {
                            Op::Write(
                                key,
                                Value::tagged(value_tag(index, seq), self.spec.value_size),
                            )
                        } else {
                            Op::Read(key)
                        }
                    })
                    .collect();
                FunctionPlan { node: here, ops }
            })
            .collect();
        WorkflowPlan { index, functions }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::placement::Placement;
    use crate::spec::FunctionSpec;

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
                    reads: 1,
                    writes: 3
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
                    if let Op::Write(_, v) = op {
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
        assert_eq!(tags.len(), 500 * 6);
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
