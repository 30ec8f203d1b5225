//! Hot paths of the designs: clock operations, a CausalMesh read hit with a
//! workflow's dependencies, and a write at its head.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use impls::causalmesh::{CausalMesh, Msg};
use impls::{Cluster, Deps, Design, DesignOptions, Outbox, Peer, ServerNode, Value, VectorClock};

fn clocks(c: &mut Criterion) {
    let a = VectorClock::from_counters(&[3, 9, 1, 4, 0, 7, 2, 8]);
    let b = VectorClock::from_counters(&[5, 2, 6, 4, 1, 0, 9, 3]);
    c.bench_function("clock/merge_8", |bench| {
        bench.iter(|| black_box(a.clone()).joined(black_box(&b)))
    });
    c.bench_function("clock/leq_8", |bench| {
        bench.iter(|| black_box(&a).leq(black_box(&b)))
    });
    c.bench_function("clock/lww_cmp_8", |bench| {
        bench.iter(|| black_box(&a).lww_cmp(black_box(&b)))
    });
}

fn cluster() -> Cluster {
    Cluster {
        servers: 3,
        keys: 100_000,
        value_size: 8,
        options: DesignOptions::default(),
        hands_on_contexts: false,
    }
}

fn causalmesh(c: &mut Criterion) {
    let cluster = cluster();
    let mut server = CausalMesh::server(0, &cluster);
    // A workflow that has read four keys: the deps a micro-benchmark read carries.
    let mut deps = Deps::new();
    for k in [1, 17, 250, 9_000] {
        deps.add(k, &VectorClock::zero(3));
    }
    let mut out = Outbox::default();
    c.bench_function("causalmesh/read_hit_4_deps", |bench| {
        bench.iter(|| {
            server.on_message(
                0,
                Peer::Client(1),
                Msg::Read {
                    keys: vec![black_box(17)],
                    deps: deps.clone(),
                },
                &mut out,
            );
            out.sends.clear();
        })
    });
    // A write at its head, its two laps around a ring of three, and the
    // tail's integration.
    let mut ring: Vec<_> = (0..3).map(|i| CausalMesh::server(i, &cluster)).collect();
    let mut tag = 0;
    c.bench_function("causalmesh/write_and_propagate_3", |bench| {
        bench.iter(|| {
            tag += 1;
            let msg = Msg::Write {
                writes: vec![(black_box(tag % 1_000), Value::tagged(tag, 8))],
                deps: deps.clone(),
                local: Vec::new(),
            };
            let mut out = Outbox::default();
            ring[0].on_message(0, Peer::Client(1), msg, &mut out);
            let mut hops = 0;
            while let Some((Peer::Node(to), msg)) =
                out.sends.pop().filter(|(p, _)| matches!(p, Peer::Node(_)))
            {
                ring[to].on_message(0, Peer::Node((to + 2) % 3), msg, &mut out);
                hops += 1;
            }
            black_box(hops)
        })
    });
}

criterion_group!(benches, clocks, causalmesh);
criterion_main!(benches);
