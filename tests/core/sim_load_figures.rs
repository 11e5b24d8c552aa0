//! The simulated workload's figures are measured: during a stall its p99 is
//! the spread of its requests (those that waited for a re-election and
//! retried), not a fixed timeout; after the recovery it returns to its own
//! baseline within noise, neither better nor worse.

use std::time::Duration;

use chaosdeck::cluster::{FaultKind, Recovery};
use chaosdeck::testing::simulator;
use chaosdeck::workload::WorkloadSample;

fn run(seed: u64, stores: u8, regions: u32) -> (Vec<WorkloadSample>, Duration, Duration) {
    let mut sim = simulator(seed, stores, regions);
    sim.advance(Duration::from_secs(5));
    sim.set_load(true);
    sim.advance(Duration::from_secs(40));
    let fault_at = sim.now();
    sim.inject(FaultKind::Kill, "tikv1").expect("kill");
    sim.advance(Duration::from_secs(45));
    sim.recover(Recovery::Start, "tikv1").expect("start");
    let recovered_at = sim.now();
    sim.advance(Duration::from_secs(150));
    let samples = sim.drain_samples();
    (samples, fault_at, recovered_at)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.collect();
    assert!(!v.is_empty());
    v.iter().sum::<f64>() / v.len() as f64
}

fn window(samples: &[WorkloadSample], from: Duration, to: Duration) -> Vec<WorkloadSample> {
    samples
        .iter()
        .filter(|s| s.at > from && s.at <= to)
        .copied()
        .collect()
}

fn p99_secs(s: &WorkloadSample) -> f64 {
    s.p99.expect("requests finished").as_secs_f64()
}

#[test]
fn after_the_recovery_the_load_returns_to_its_own_baseline_within_noise() {
    for (seed, stores, regions) in [(1, 3, 64), (2, 3, 64), (3, 7, 1000), (4, 5, 200)] {
        let (samples, fault, recovered) = run(seed, stores, regions);
        let before = window(&samples, Duration::from_secs(10), fault);
        // Once PD's balance-leader scheduler has moved leaders back.
        let after = window(&samples, recovered + Duration::from_secs(60), Duration::MAX);
        let ops = |w: &[WorkloadSample]| mean(w.iter().map(|s| s.ops_per_sec));
        let p99 = |w: &[WorkloadSample]| mean(w.iter().map(p99_secs));
        let (ops_before, ops_after) = (ops(&before), ops(&after));
        let (p99_before, p99_after) = (p99(&before), p99(&after));
        assert!(
            (ops_after / ops_before - 1.0).abs() < 0.03,
            "seed {seed}: {ops_after:.0} ops/s after against {ops_before:.0} before"
        );
        assert!(
            (p99_after / p99_before - 1.0).abs() < 0.15,
            "seed {seed}: p99 {p99_after:.4}s after against {p99_before:.4}s before"
        );
    }
}

#[test]
fn during_the_stall_p99_is_the_spread_of_its_requests_never_above_the_timeout() {
    for (seed, stores, regions) in [(1, 3, 64), (3, 7, 1000)] {
        let (samples, fault, recovered) = run(seed, stores, regions);
        let stall = window(&samples, fault, recovered);
        assert!(
            stall.iter().all(|s| p99_secs(s) <= 2.0),
            "seed {seed}: a p99 above the client's timeout"
        );
        assert!(
            stall.iter().any(|s| p99_secs(s) == 2.0),
            "seed {seed}: requests time out while regions have no leader"
        );
        assert!(
            stall.iter().any(|s| p99_secs(s) > 0.1 && p99_secs(s) < 2.0),
            "seed {seed}: requests retried through the elections show between"
        );
        assert!(stall.iter().any(|s| s.errors_per_sec > 0.0));
    }
}
