//! One simulation step of a 7-store, 1000-region cluster under load.
//!
//! Run: `cargo bench --bench sim_step -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::Duration;

use chaosdeck::cluster::FaultKind;
use chaosdeck::cluster::sim::Simulator;
use criterion::{Criterion, criterion_group, criterion_main};

fn cluster() -> Simulator {
    let mut sim = chaosdeck::testing::simulator(1, 7, 1000);
    sim.advance(Duration::from_secs(30));
    sim
}

fn step(c: &mut Criterion) {
    let mut healthy = cluster();
    c.bench_function("sim step: 7 stores, 1000 regions, healthy", |b| {
        b.iter(|| {
            healthy.step();
            black_box(healthy.now())
        })
    });

    let mut degraded = cluster();
    degraded
        .inject(FaultKind::Kill, "tikv3")
        .expect("kill applies");
    c.bench_function("sim step: 7 stores, 1000 regions, one store killed", |b| {
        b.iter(|| {
            degraded.step();
            black_box(degraded.now())
        })
    });
    // Keep the drained queues from growing without bound across iterations.
    black_box((healthy.drain_samples(), degraded.drain_samples()));
}

criterion_group!(benches, step);
criterion_main!(benches);
