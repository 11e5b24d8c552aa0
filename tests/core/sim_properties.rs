//! Random sequences of faults, recoveries and time steps keep every invariant.

use std::time::Duration;

use chaosdeck::cluster::sim::Simulator;
use chaosdeck::cluster::{FaultKind, ProcessState, Recovery};
use chaosdeck::testing::simulator;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Inject(FaultKind, usize),
    Recover(Recovery, usize),
    Advance(Duration),
    SetLoad(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let kind = prop::sample::select(FaultKind::ALL.to_vec());
    let recovery = prop::sample::select(vec![
        Recovery::Start,
        Recovery::Unpause,
        Recovery::Reconnect,
    ]);
    // Targets 0..8 name the stores, 8 and 9 PD members, 10 nothing at all.
    prop_oneof![
        2 => (kind, 0..11usize).prop_map(|(k, t)| Op::Inject(k, t)),
        2 => (recovery, 0..11usize).prop_map(|(r, t)| Op::Recover(r, t)),
        4 => (0..25_000u64).prop_map(|ms| Op::Advance(Duration::from_millis(ms))),
        1 => any::<bool>().prop_map(Op::SetLoad),
    ]
}

fn service(target: usize) -> String {
    match target {
        0..8 => format!("tikv{target}"),
        8 => "pd0".into(),
        9 => "pd2".into(),
        _ => "tiflash0".into(),
    }
}

fn check(sim: &Simulator) -> Result<(), TestCaseError> {
    let violations = sim.invariant_violations();
    prop_assert!(
        violations.is_empty(),
        "at {:?}: {:?}",
        sim.now(),
        violations
    );
    let snap = sim.snapshot();
    let led: u64 = snap.stores.iter().map(|s| s.leader_count).sum();
    prop_assert_eq!(led + snap.regions.without_leader, snap.regions.total);
    prop_assert!(snap.regions.without_leader <= snap.regions.total);
    prop_assert!(snap.regions.under_replicated <= snap.regions.total);
    let mut led_from_dead = 0;
    for store in &snap.stores {
        prop_assert!(store.leader_count <= store.region_count);
        let process = snap
            .process(&store.service)
            .expect("every store has a process");
        if process.state != ProcessState::Running || !process.network_connected {
            // PD still names it until new leaders report; raft has moved on.
            led_from_dead += store.leader_count;
            prop_assert!(
                sim.regions()
                    .iter()
                    .all(|r| r.leader_store != Some(store.id)),
                "{} leads in raft while not serving",
                store.service
            );
        }
    }
    prop_assert_eq!(snap.regions.led_from_dead_node, led_from_dead);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn invariants_hold_under_any_sequence(
        seed in any::<u64>(),
        stores in 3u8..=7,
        regions in 1u32..150,
        ops in prop::collection::vec(op(), 1..25),
    ) {
        let mut sim = simulator(seed, stores, regions);
        check(&sim)?;
        for op in ops {
            let before = sim.snapshot();
            let outcome = match &op {
                Op::Inject(kind, target) => sim.inject(*kind, &service(*target)).map(|_| ()),
                Op::Recover(recovery, target) => sim.recover(*recovery, &service(*target)),
                Op::Advance(dt) => {
                    let end = sim.now() + *dt;
                    while sim.now() + chaosdeck::cluster::sim::STEP <= end {
                        sim.step();
                        check(&sim)?;
                    }
                    Ok(())
                }
                Op::SetLoad(running) => {
                    sim.set_load(*running);
                    Ok(())
                }
            };
            if outcome.is_err() {
                // A refused operation leaves the cluster exactly as it was.
                prop_assert_eq!(&sim.snapshot(), &before, "{:?} changed the cluster", op);
            }
            check(&sim)?;
        }
        // However it got here, once the fault is undone the cluster heals.
        if let Some(fault) = sim.fault().cloned() {
            sim.advance(Duration::from_secs(25));
            sim.recover(fault.kind().recovery(), &fault.service).expect("the fault in place can be undone");
        }
        sim.advance(Duration::from_secs(600));
        check(&sim)?;
        let snap = sim.snapshot();
        prop_assert!(snap.is_healthy(), "not healed: {:?}", snap);
        let counts: Vec<u64> = snap.stores.iter().map(|s| s.leader_count).collect();
        let spread = counts.iter().max().unwrap_or(&0) - counts.iter().min().unwrap_or(&0);
        prop_assert!(spread <= 2 || u64::from(regions) < u64::from(stores) * 2, "leaders not rebalanced: {:?}", counts);
    }
}
