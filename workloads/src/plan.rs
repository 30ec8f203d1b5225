use impls::{NodeId, Op};

/// One function invocation: the node the scheduler placed it on, and its
/// operations in order.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionPlan {
    pub node: NodeId,
    pub ops: Vec<Op>,
}

/// A workflow: a chain of functions run one after another.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowPlan {
    pub index: u64,
    pub functions: Vec<FunctionPlan>,
}

impl WorkflowPlan {
    pub fn ops(&self) -> usize {
        self.functions.iter().map(|f| f.ops.len()).sum()
    }
}

/// Value tags name the write that made a value: the workflow index (plus one,
/// so 0 stays the initial value) in the high bits, the operation's position in
/// the workflow in the low [`OP_BITS`].
pub const OP_BITS: u32 = 16;

pub fn value_tag(workflow: u64, op: usize) -> u64 {
    ((workflow + 1) << OP_BITS) | op as u64
}
