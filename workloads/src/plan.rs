//! Workflow plans and the tags that make every written value unique.

pub use impls::{FunctionPlan, WorkflowPlan};
use impls::{Op, Value};

/// Value tags name the write that made a value: the workflow index (plus one,
/// so 0 stays the initial value) in the high bits, the attempt (a retried
/// workflow writes new values) in the next [`ATTEMPT_BITS`], and the write's
/// position in the workflow in the low [`OP_BITS`].
pub const OP_BITS: u32 = 16;
pub const ATTEMPT_BITS: u32 = 8;

pub fn value_tag(workflow: u64, attempt: u32, op: usize) -> u64 {
    ((workflow + 1) << (OP_BITS + ATTEMPT_BITS)) | (u64::from(attempt) << OP_BITS) | op as u64
}

/// The plan of a retry: the same operations, with values tagged for
/// `attempt` (attempts past the tag's range wrap, which only matters to
/// histories of workflows retried hundreds of times).
pub fn retagged(plan: &WorkflowPlan, attempt: u32) -> WorkflowPlan {
    let attempt = attempt % (1 << ATTEMPT_BITS);
    let retag = |v: &Value| {
        let op = (v.tag() & ((1 << OP_BITS) - 1)) as usize;
        Value::tagged(value_tag(plan.index, attempt, op), v.len())
    };
    let mut plan = plan.clone();
    for op in plan.functions.iter_mut().flat_map(|f| f.ops.iter_mut()) {
        match op {
            Op::Write(_, v) => *v = retag(v),
            Op::ReadWriteTxn { writes, .. } => writes.iter_mut().for_each(|(_, v)| *v = retag(v)),
            Op::Read(_) | Op::ReadTxn(_) => {}
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_write_new_values_of_the_same_shape() {
        let plan = WorkflowPlan::chain(
            5,
            vec![FunctionPlan {
                node: 0,
                ops: vec![
                    Op::Write(1, Value::tagged(value_tag(5, 0, 1), 16)),
                    Op::ReadWriteTxn {
                        reads: vec![2],
                        writes: vec![(3, Value::tagged(value_tag(5, 0, 2), 16))],
                    },
                ],
            }],
        );
        let retry = retagged(&plan, 1);
        let tags = |p: &WorkflowPlan| -> Vec<u64> {
            p.functions[0]
                .ops
                .iter()
                .flat_map(|o| {
                    o.writes()
                        .into_iter()
                        .map(|(_, v)| v.tag())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        assert_eq!(tags(&retry), vec![value_tag(5, 1, 1), value_tag(5, 1, 2)]);
        assert!(tags(&plan).iter().all(|t| !tags(&retry).contains(t)));
        assert_eq!(retagged(&retry, 0), plan);
    }
}
