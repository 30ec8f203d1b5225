//! Random roaming schedules: random chains of functions on random nodes,
//! random delivery orders over FIFO links, random migration ticks. Committed
//! workflows must read causally consistent snapshots under every variant.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::net::{Net, Observed};
use crate::clock::VectorClock;
use crate::design::{DesignOptions, FunctionPlan, Op, OpResult, WorkflowPlan};
use crate::hydrocache::{Con, ConCm, Flavor, Opt, OptCm, Protocol};
use crate::version::{Deps, Key, NodeId, Value};

/// A read of one committed workflow returned a version older than a
/// dependency of another version the same workflow read, or a key's clock
/// went backwards.
fn inconsistency(
    log: &BTreeMap<u64, (Key, VectorClock, Deps)>,
    seen: &[Observed],
) -> Option<String> {
    for (i, (k1, t1, vc1)) in seen.iter().enumerate() {
        let deps = log.get(t1).map(|(_, _, d)| d.clone()).unwrap_or_default();
        for (k2, t2, vc2) in seen {
            if let Some(need) = deps.get(*k2).filter(|need| !need.leq(vc2)) {
                return Some(format!(
                    "{k1}={t1} needs {k2}@{need:?}, read {k2}={t2}@{vc2:?}"
                ));
            }
        }
        for (k2, t2, vc2) in &seen[i + 1..] {
            if k1 == k2 && !vc1.leq(vc2) {
                return Some(format!("{k1} went back from {t1}@{vc1:?} to {t2}@{vc2:?}"));
            }
        }
    }
    None
}

#[derive(Clone, Debug)]
enum Step {
    Start(Vec<FunctionPlan>),
    Deliver(usize),
    Tick(NodeId),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3u64).prop_map(Op::Read),
        1 => proptest::collection::vec(0..3u64, 1..3).prop_map(Op::ReadTxn),
        2 => (0..3u64).prop_map(|k| Op::Write(k, Value::default())),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let function = (0..3usize, proptest::collection::vec(op(), 0..4))
        .prop_map(|(node, ops)| FunctionPlan { node, ops });
    prop_oneof![
        2 => proptest::collection::vec(function, 1..4).prop_map(Step::Start),
        8 => any::<usize>().prop_map(Step::Deliver),
        1 => (0..3usize).prop_map(Step::Tick),
    ]
}

/// Runs a random schedule to quiescence; every cut stays causal at every
/// step, every workflow ends, committed ones read consistent snapshots, and
/// conservative ones never abort.
fn random_schedule<F: Flavor>(
    steps: Vec<Step>,
    options: DesignOptions,
) -> Result<(), TestCaseError> {
    let mut net = Net::<F>::new(3, options);
    let mut next_id = 0;
    let mut next_tag = 100;
    let mut act = |net: &mut Net<F>, step: Step| match step {
        Step::Start(mut functions) => {
            for op in functions.iter_mut().flat_map(|f| f.ops.iter_mut()) {
                if let Op::Write(_, v) = op {
                    next_tag += 1;
                    *v = Value::tagged(next_tag, 8);
                }
            }
            next_id += 1;
            net.start(next_id, WorkflowPlan::chain(next_id, functions));
        }
        Step::Deliver(i) => {
            let busy = net.busy_links();
            if !busy.is_empty() {
                let (from, to) = busy[i % busy.len()];
                net.deliver(from, to);
            }
        }
        Step::Tick(n) => net.tick(n),
    };
    for step in steps {
        act(&mut net, step);
        prop_assert!(net.servers.iter().all(|s| s.cut().is_causal()));
    }
    for round in 0.. {
        prop_assert!(round < 100, "no quiescence");
        net.settle_except(|_, _| false);
        (0..3).for_each(|n| net.tick(n));
        if net.busy_links().is_empty() {
            break;
        }
    }
    for (id, run) in &net.runs {
        match &run.outcome {
            Some(OpResult::Done) => {
                if let Some(why) = inconsistency(&net.db.log, &run.observed) {
                    prop_assert!(false, "{}: workflow {id}: {why}", F::VARIANT.name);
                }
            }
            Some(OpResult::Aborted) => prop_assert!(
                F::VARIANT.protocol == Protocol::Optimistic,
                "conservative abort"
            ),
            other => prop_assert!(false, "workflow {id} ended as {other:?}"),
        }
    }
    prop_assert!(
        net.servers.iter().all(|s| s.snapshots() == 0),
        "snapshots leaked"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_roaming_schedules_read_consistent_snapshots(steps in proptest::collection::vec(step(), 1..200)) {
        random_schedule::<Con>(steps.clone(), DesignOptions::default())?;
        random_schedule::<Opt>(steps.clone(), DesignOptions::default())?;
        random_schedule::<ConCm>(steps.clone(), DesignOptions::default())?;
        random_schedule::<OptCm>(steps.clone(), DesignOptions::default())?;
        let defect = DesignOptions { hydrocache_opt_su_ru_defect: true, ..DesignOptions::default() };
        random_schedule::<OptCm>(steps, defect)?;
    }
}
