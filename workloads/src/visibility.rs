//! The visibility probe (causalmesh.md §16, "vis"): a writer at server 0
//! writes a fresh key while, in the same stage, one reader per other server
//! polls that key back to back. How long after the write each reader first
//! returns the written value is the time until the write is visible there;
//! the harness derives it from the run's history, so the probe runs the same
//! way in every runtime. Reader 1 sits at server N-1, the tail of head 0's
//! ring, where CausalMesh makes a write visible first.

use impls::{FunctionPlan, Op, Value, WorkflowPlan};
use serde::{Deserialize, Serialize};

use crate::Workload;
use crate::plan::value_tag;
use crate::spec::{SpecError, check_value_size};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VisibilitySpec {
    /// Workflow i writes key i mod keys, so concurrent probes never share one.
    pub keys: u64,
    /// Reads each reader makes, one round trip apart.
    pub polls: u32,
    pub value_size: usize,
}

impl Default for VisibilitySpec {
    fn default() -> Self {
        VisibilitySpec {
            keys: 100_000,
            polls: 40,
            value_size: 8,
        }
    }
}

impl VisibilitySpec {
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.keys == 0 {
            return Err(SpecError::new("keys", "must be at least 1"));
        }
        if !(1..=10_000).contains(&self.polls) {
            return Err(SpecError::new(
                "polls",
                format!("must be within 1..=10000, got {}", self.polls),
            ));
        }
        check_value_size(self.value_size)?;
        Ok(())
    }
}

/// The node the writer runs on.
pub const WRITER_NODE: usize = 0;

/// Readers' nodes in order: the tail of the writer's ring (server N-1) first,
/// then servers 1..N-1; with one server, that server.
pub fn reader_nodes(servers: usize) -> Vec<usize> {
    if servers <= 1 {
        return vec![0];
    }
    std::iter::once(servers - 1).chain(1..servers - 1).collect()
}

pub struct Visibility {
    spec: VisibilitySpec,
    servers: usize,
}

impl Visibility {
    pub fn new(spec: VisibilitySpec, servers: usize) -> Result<Visibility, SpecError> {
        spec.validate()?;
        if servers == 0 {
            return Err(SpecError::new(
                "servers",
                "a workload needs at least one cache server",
            ));
        }
        Ok(Visibility { spec, servers })
    }
}

impl Workload for Visibility {
    fn workflow(&self, index: u64) -> WorkflowPlan {
        let key = index % self.spec.keys;
        let write = Op::Write(
            key,
            Value::tagged(value_tag(index, 0, 1), self.spec.value_size),
        );
        let mut functions = vec![FunctionPlan {
            node: WRITER_NODE,
            ops: vec![write],
        }];
        functions.extend(
            reader_nodes(self.servers)
                .into_iter()
                .map(|node| FunctionPlan {
                    node,
                    ops: vec![Op::Read(key); self.spec.polls as usize],
                }),
        );
        WorkflowPlan {
            index,
            stages: vec![functions.len()],
            functions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_stage_of_a_writer_at_zero_and_a_poller_per_other_server() {
        let v = Visibility::new(VisibilitySpec::default(), 4).unwrap();
        let plan = v.workflow(7);
        assert_eq!(plan.stages, vec![4]);
        let nodes: Vec<usize> = plan.functions.iter().map(|f| f.node).collect();
        assert_eq!(nodes, vec![0, 3, 1, 2]);
        assert!(matches!(plan.functions[0].ops[..], [Op::Write(7, _)]));
        assert!(
            plan.functions[1..]
                .iter()
                .all(|f| f.ops.len() == 40 && f.ops.iter().all(|o| *o == Op::Read(7)))
        );
        assert_eq!(reader_nodes(1), vec![0]);
        assert_eq!(reader_nodes(2), vec![1]);
    }

    #[test]
    fn bad_values_name_their_field() {
        let spec = VisibilitySpec {
            polls: 0,
            ..VisibilitySpec::default()
        };
        assert_eq!(spec.validate().unwrap_err().field, "polls");
    }
}
