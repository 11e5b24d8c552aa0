//! The simulated cluster against PD's and raft's rules, stepped directly.

use std::time::Duration;

use chaosdeck::cluster::sim::{BOOT_TIME, STEP, SimConfig, Simulator};
use chaosdeck::cluster::{
    BackendError, ClusterEvent, ClusterSnapshot, EventKind, FaultKind, ProcessState, Recovery,
    StoreState,
};
use chaosdeck::testing::simulator;
use chaosdeck::workload::WorkloadSample;

const SEC: Duration = Duration::from_secs(1);

fn sim_with(seed: u64) -> Simulator {
    Simulator::new(SimConfig {
        seed,
        ..SimConfig::default()
    })
    .expect("valid config")
}

fn state(snap: &ClusterSnapshot, service: &str) -> StoreState {
    snap.store(service).expect("store exists").state.clone()
}

fn leaders(snap: &ClusterSnapshot, service: &str) -> u64 {
    snap.store(service).expect("store exists").leader_count
}

/// Steps until `done` holds (checking invariants at every step), up to `limit`.
fn step_until(sim: &mut Simulator, limit: Duration, mut done: impl FnMut(&Simulator) -> bool) {
    let deadline = sim.now() + limit;
    while !done(sim) {
        assert!(sim.now() < deadline, "condition not met by {deadline:?}");
        sim.step();
        assert_invariants(sim);
    }
}

fn assert_invariants(sim: &Simulator) {
    let violations = sim.invariant_violations();
    assert!(violations.is_empty(), "at {:?}: {violations:?}", sim.now());
    let snap = sim.snapshot();
    let led: u64 = snap.stores.iter().map(|s| s.leader_count).sum();
    assert_eq!(led + snap.regions.without_leader, snap.regions.total);
}

fn mean_ops(samples: &[WorkloadSample], from: Duration, to: Duration) -> f64 {
    let window: Vec<f64> = samples
        .iter()
        .filter(|s| s.at > from && s.at <= to)
        .map(|s| s.ops_per_sec)
        .collect();
    assert!(!window.is_empty(), "no samples in {from:?}..{to:?}");
    window.iter().sum::<f64>() / window.len() as f64
}

/// A fault that silences a store is named Disconnected strictly more than
/// 20 s after its last heartbeat: 10 to 20 s after the fault, never sooner.
#[test]
fn disconnected_appears_ten_to_twenty_seconds_after_the_fault() {
    let mut delays = Vec::new();
    for seed in 0..60u64 {
        let mut sim = sim_with(seed);
        // A different phase of the heartbeat cycle each time.
        sim.advance(STEP * (1 + (seed as u32 * 37) % 150));
        let victim = format!("tikv{}", seed % 3);
        let kind =
            [FaultKind::Kill, FaultKind::Pause, FaultKind::Partition][(seed / 3 % 3) as usize];
        let last = sim.last_heartbeat(&victim).expect("store exists");
        let fault = sim.inject(kind, &victim).expect("fault applies");
        step_until(&mut sim, SEC * 25, |sim| {
            state(&sim.snapshot(), &victim) == StoreState::Disconnected
        });
        let seen = sim.now();
        assert!(
            seen - last > SEC * 20,
            "{kind} seed {seed}: named before 20 s"
        );
        assert!(
            seen - STEP - last <= SEC * 20,
            "{kind} seed {seed}: named late"
        );
        let delay = seen - fault.at;
        assert!(
            delay > SEC * 10 && delay <= SEC * 20 + STEP,
            "{kind} seed {seed}: {delay:?}"
        );
        delays.push(delay);
    }
    // The phases really did cover the cycle.
    assert!(delays.iter().min().expect("delays") < &(SEC * 12));
    assert!(delays.iter().max().expect("delays") > &(SEC * 18));
}

#[test]
fn down_only_after_max_store_down_time() {
    let mut sim = Simulator::new(SimConfig {
        max_store_down_time: SEC * 60,
        ..SimConfig::default()
    })
    .expect("valid config");
    sim.inject(FaultKind::Kill, "tikv2").expect("kill");
    sim.advance(SEC * 45);
    assert_eq!(state(&sim.snapshot(), "tikv2"), StoreState::Disconnected);
    sim.advance(SEC * 30);
    assert_eq!(state(&sim.snapshot(), "tikv2"), StoreState::Down);
}

#[test]
fn lost_leaders_are_reelected_within_the_election_window_on_live_replicas() {
    for seed in 0..10u64 {
        let mut sim = sim_with(seed);
        sim.advance(SEC * 7);
        let victim = "tikv1";
        let victim_id = sim.snapshot().store(victim).expect("store").id;
        let orphaned: Vec<u64> = sim
            .regions()
            .iter()
            .filter(|r| r.leader_store == Some(victim_id))
            .map(|r| r.id)
            .collect();
        assert!(!orphaned.is_empty());
        let killed_at = sim.inject(FaultKind::Kill, victim).expect("kill").at;
        let mut elected = Vec::new();
        while elected.len() < orphaned.len() {
            sim.step();
            assert_invariants(&sim);
            let waited = sim.now() - killed_at;
            for region in sim.regions() {
                if !orphaned.contains(&region.id) || elected.contains(&region.id) {
                    continue;
                }
                if let Some(leader) = region.leader_store {
                    assert!(waited >= SEC * 10, "seed {seed}: elected after {waited:?}");
                    assert!(
                        waited <= SEC * 20 + STEP,
                        "seed {seed}: elected after {waited:?}"
                    );
                    assert_ne!(leader, victim_id);
                    assert!(region.peer_stores.contains(&leader));
                    elected.push(region.id);
                }
            }
            assert!(waited <= SEC * 21, "seed {seed}: elections did not finish");
        }
        assert_eq!(sim.snapshot().regions.without_leader, 0);
        assert_eq!(sim.pending_elections(), 0);
    }
}

#[test]
fn kill_then_start_follows_the_whole_story() {
    let mut sim = sim_with(3);
    sim.advance(SEC * 30);
    sim.drain_events();
    let before = sim.snapshot();
    let victim_leaders = leaders(&before, "tikv0");
    let fault = sim.inject(FaultKind::Kill, "tikv0").expect("kill");
    assert_eq!(
        sim.drain_events(),
        vec![ClusterEvent {
            at: fault.at,
            service: "tikv0".into(),
            kind: EventKind::Died {
                exit_code: Some(137)
            },
        }]
    );
    let snap = sim.snapshot();
    assert_eq!(
        snap.process("tikv0").map(|p| p.state.clone()),
        Some(ProcessState::Exited {
            exit_code: Some(137)
        })
    );
    assert_eq!(
        snap.regions.led_from_dead_node, victim_leaders,
        "PD still names the dead leader: a window led from a dead node"
    );
    assert_eq!(
        (snap.regions.without_leader, snap.regions.under_replicated),
        (0, 0),
        "as PD reports it: no leader lost, no peer down yet"
    );
    assert_eq!(leaders(&snap, "tikv0"), victim_leaders);
    assert_eq!(
        state(&snap, "tikv0"),
        StoreState::Up,
        "PD has not noticed yet"
    );

    step_until(&mut sim, SEC * 21, |sim| {
        sim.snapshot().regions.led_from_dead_node == 0
    });
    assert_eq!(leaders(&sim.snapshot(), "tikv0"), 0, "new leaders reported");
    sim.advance(SEC * 60);
    let out = sim.snapshot();
    assert_eq!(state(&out, "tikv0"), StoreState::Disconnected);
    assert_eq!(
        leaders(&out, "tikv1") + leaders(&out, "tikv2"),
        out.regions.total
    );

    let started_at = sim.now();
    sim.recover(Recovery::Start, "tikv0").expect("start");
    assert_eq!(
        sim.drain_events().last().map(|e| e.kind.clone()),
        Some(EventKind::Started)
    );
    step_until(&mut sim, BOOT_TIME + STEP, |sim| {
        sim.is_serving("tikv0") == Some(true)
    });
    let back = sim.snapshot();
    assert_eq!(
        state(&back, "tikv0"),
        StoreState::Up,
        "heartbeats right after start"
    );
    assert!(back.heartbeat_age_of("tikv0") <= STEP);
    assert_eq!(
        back.regions.under_replicated, 0,
        "PD heard of no down peer: it was away for less than 10 min"
    );
    assert_eq!(
        leaders(&back, "tikv0"),
        0,
        "a restarted store leads nothing at first"
    );

    // Leaders come back gradually: a bounded number per PD scheduling round.
    let mut previous = 0;
    let mut rounds = 0;
    step_until(&mut sim, SEC * 120, |sim| {
        let now = leaders(&sim.snapshot(), "tikv0");
        assert!(
            now >= previous && now - previous <= 4,
            "{previous} -> {now} in one step"
        );
        if now > previous {
            rounds += 1;
        }
        previous = now;
        now + 1 >= 64 / 3
    });
    assert!(rounds >= 4, "moved back in {rounds} rounds");
    assert!(sim.now() - started_at > SEC * 10, "not all at once");
    sim.advance(SEC * 30);
    assert!(sim.snapshot().is_healthy());
}

trait SnapshotExt {
    fn heartbeat_age_of(&self, service: &str) -> Duration;
}

impl SnapshotExt for ClusterSnapshot {
    fn heartbeat_age_of(&self, service: &str) -> Duration {
        self.store(service)
            .and_then(|s| s.heartbeat_age)
            .expect("sim reports heartbeat age")
    }
}

#[test]
fn graceful_stop_hands_leaders_over_first() {
    let mut sim = simulator(5, 5, 1000);
    sim.advance(SEC * 10);
    sim.drain_events();
    sim.inject(FaultKind::Stop, "tikv3").expect("stop");
    assert!(matches!(
        sim.recover(Recovery::Start, "tikv3"),
        Err(BackendError::Refused(_))
    ));
    // Leaders leave while it still serves; it exits once none are left.
    let stop_at = sim.now();
    loop {
        assert_eq!(
            sim.snapshot().regions.without_leader,
            0,
            "no leaderless window"
        );
        let events = sim.drain_events();
        if !events.is_empty() {
            assert_eq!(events[0].kind, EventKind::Died { exit_code: Some(0) });
            break;
        }
        assert!(sim.now() - stop_at < SEC * 5, "never exited");
        sim.step();
        assert_invariants(&sim);
    }
    assert!(sim.now() > stop_at, "the handover takes some time");
    let snap = sim.snapshot();
    assert_eq!(
        snap.process("tikv3").map(|p| p.state.clone()),
        Some(ProcessState::Exited { exit_code: Some(0) })
    );
    assert_eq!(leaders(&snap, "tikv3"), 0);
    for _ in 0..300 {
        sim.step();
        assert_invariants(&sim);
        assert_eq!(sim.snapshot().regions.without_leader, 0);
    }
    assert_eq!(state(&sim.snapshot(), "tikv3"), StoreState::Disconnected);
    sim.recover(Recovery::Start, "tikv3").expect("start");
    sim.advance(SEC * 180);
    assert!(sim.snapshot().is_healthy());
}

#[test]
fn stop_emits_a_clean_exit() {
    let mut sim = sim_with(9);
    sim.inject(FaultKind::Stop, "tikv2").expect("stop");
    sim.advance(SEC * 2);
    let events = sim.drain_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Died { exit_code: Some(0) });
}

#[test]
fn pause_is_a_grey_failure_that_thaws() {
    let mut sim = sim_with(11);
    sim.advance(SEC * 4);
    sim.inject(FaultKind::Pause, "tikv2").expect("pause");
    let snap = sim.snapshot();
    let process = snap.process("tikv2").expect("process");
    assert_eq!(process.state, ProcessState::Paused);
    assert!(process.network_connected);
    sim.advance(SEC * 40);
    let frozen = sim.snapshot();
    assert_eq!(state(&frozen, "tikv2"), StoreState::Disconnected);
    assert_eq!(frozen.regions.without_leader, 0, "re-elected elsewhere");
    assert_eq!(leaders(&frozen, "tikv2"), 0);
    sim.recover(Recovery::Unpause, "tikv2").expect("unpause");
    let thawed = sim.snapshot();
    assert_eq!(
        state(&thawed, "tikv2"),
        StoreState::Up,
        "the overdue heartbeat goes out at once"
    );
    assert_eq!(
        sim.drain_events()
            .iter()
            .map(|e| e.kind.clone())
            .collect::<Vec<_>>(),
        vec![EventKind::Paused, EventKind::Unpaused]
    );
    sim.advance(SEC * 120);
    assert!(sim.snapshot().is_healthy());
    assert!(leaders(&sim.snapshot(), "tikv2") >= 19);
}

#[test]
fn partition_keeps_the_process_but_cuts_it_off() {
    let mut sim = sim_with(12);
    sim.advance(SEC * 4);
    sim.inject(FaultKind::Partition, "tikv0")
        .expect("partition");
    let snap = sim.snapshot();
    let process = snap.process("tikv0").expect("process");
    assert_eq!(process.state, ProcessState::Running);
    assert!(!process.network_connected);
    assert!(snap.regions.led_from_dead_node > 0);
    assert_eq!(
        snap.regions.without_leader, 0,
        "PD keeps the cut-off leader"
    );
    sim.advance(SEC * 30);
    assert_eq!(sim.snapshot().regions.led_from_dead_node, 0, "re-elected");
    assert_eq!(state(&sim.snapshot(), "tikv0"), StoreState::Disconnected);
    sim.recover(Recovery::Reconnect, "tikv0")
        .expect("reconnect");
    // Up at its next heartbeat, which is at most one interval away.
    step_until(&mut sim, SEC * 10 + STEP, |sim| {
        state(&sim.snapshot(), "tikv0") == StoreState::Up
    });
    assert_eq!(
        sim.drain_events()
            .iter()
            .map(|e| e.kind.clone())
            .collect::<Vec<_>>(),
        vec![
            EventKind::NetworkDisconnected,
            EventKind::NetworkReconnected
        ]
    );
}

#[test]
fn refused_operations_change_nothing() {
    let mut sim = sim_with(13);
    sim.advance(SEC * 3);
    let fine = sim.snapshot();
    let nothing = sim.recover(Recovery::Start, "tikv1");
    assert!(matches!(
        nothing,
        Err(BackendError::NothingToRecover { .. })
    ));
    assert!(matches!(
        sim.inject(FaultKind::Kill, "tikv9"),
        Err(BackendError::UnknownTarget(_))
    ));
    assert!(matches!(
        sim.recover(Recovery::Start, "nope"),
        Err(BackendError::UnknownTarget(_))
    ));
    assert!(matches!(
        sim.recover(Recovery::Unpause, "pd0"),
        Err(BackendError::NothingToRecover { .. })
    ));
    assert_eq!(sim.snapshot(), fine);
    assert!(sim.drain_events().is_empty());

    sim.inject(FaultKind::Kill, "tikv1").expect("kill");
    sim.drain_events();
    let killed = sim.snapshot();
    for kind in FaultKind::ALL {
        for target in ["tikv0", "tikv1"] {
            assert_eq!(
                sim.inject(kind, target),
                Err(BackendError::FaultInPlace {
                    kind: FaultKind::Kill,
                    service: "tikv1".into()
                })
            );
        }
    }
    for wrong in [Recovery::Unpause, Recovery::Reconnect] {
        let err = sim.recover(wrong, "tikv1").expect_err("wrong recovery");
        assert!(err.to_string().contains("start"), "{err}");
    }
    assert!(matches!(
        sim.recover(Recovery::Start, "tikv2"),
        Err(BackendError::NothingToRecover { .. })
    ));
    assert_eq!(sim.snapshot(), killed);
    assert!(sim.drain_events().is_empty());
    assert!(sim.fault().is_some());
}

#[test]
fn throughput_dips_after_a_kill_and_recovers_lower() {
    let mut sim = sim_with(21);
    sim.advance(SEC * 30);
    let kill_at = sim.inject(FaultKind::Kill, "tikv1").expect("kill").at;
    sim.advance(SEC * 120);
    let samples = sim.drain_samples();
    assert!(
        samples.iter().all(|s| s.at.subsec_nanos() == 0),
        "one sample a second"
    );
    let baseline = mean_ops(&samples, SEC * 5, kill_at);
    assert!((4500.0..=5500.0).contains(&baseline), "baseline {baseline}");
    let dip = mean_ops(&samples, kill_at, kill_at + SEC * 9);
    assert!(dip < 0.2 * baseline, "dip {dip} vs {baseline}");
    let stalled = samples
        .iter()
        .find(|s| s.at == kill_at + SEC * 5)
        .expect("sample 5 s after the kill");
    assert!(stalled.errors_per_sec > 0.0);
    assert!(stalled.p99 > Some(SEC), "p99 {:?}", stalled.p99);
    let calm = samples
        .iter()
        .find(|s| s.at == kill_at - SEC)
        .expect("sample before");
    assert!(calm.p99 < Some(Duration::from_millis(100)) && calm.errors_per_sec == 0.0);
    // Two stores carry the load, each busier: slower, not much fewer.
    let degraded = mean_ops(&samples, kill_at + SEC * 40, kill_at + SEC * 120);
    assert!(
        degraded > 0.9 * baseline,
        "two stores carry {degraded} of {baseline}"
    );
    let p99 = |from: Duration, to: Duration| {
        let w: Vec<f64> = samples
            .iter()
            .filter(|s| s.at > from && s.at <= to)
            .filter_map(|s| s.p99)
            .map(|p| p.as_secs_f64())
            .collect();
        w.iter().sum::<f64>() / w.len() as f64
    };
    let (before, two) = (
        p99(SEC * 5, kill_at),
        p99(kill_at + SEC * 40, kill_at + SEC * 120),
    );
    assert!(two > 1.2 * before, "p99 {two} on two stores vs {before}");
}

#[test]
fn set_load_stops_and_restarts_samples() {
    let mut sim = sim_with(22);
    sim.advance(SEC * 3);
    assert_eq!(sim.drain_samples().len(), 3);
    sim.set_load(false);
    assert!(!sim.load_running());
    sim.advance(SEC * 10);
    assert!(sim.drain_samples().is_empty());
    sim.set_load(true);
    sim.advance(SEC * 2);
    assert_eq!(sim.drain_samples().len(), 2);
}

/// Drives one scripted run and records everything it shows.
fn trace(seed: u64) -> (Vec<ClusterEvent>, Vec<WorkloadSample>, Vec<ClusterSnapshot>) {
    let mut sim = simulator(seed, 4, 200);
    let mut snapshots = Vec::new();
    let script: [(u64, Option<FaultKind>, Option<Recovery>, &str); 8] = [
        (7, Some(FaultKind::Kill), None, "tikv2"),
        (40, None, Some(Recovery::Start), "tikv2"),
        (30, Some(FaultKind::Pause), None, "tikv0"),
        (25, None, Some(Recovery::Unpause), "tikv0"),
        (13, Some(FaultKind::Partition), None, "tikv3"),
        (31, None, Some(Recovery::Reconnect), "tikv3"),
        (9, Some(FaultKind::Stop), None, "tikv1"),
        (30, None, Some(Recovery::Start), "tikv1"),
    ];
    for (wait, fault, recovery, service) in script {
        for _ in 0..wait {
            sim.advance(SEC);
            snapshots.push(sim.snapshot());
        }
        if let Some(kind) = fault {
            sim.inject(kind, service).expect("fault applies");
        }
        if let Some(recovery) = recovery {
            sim.recover(recovery, service).expect("recovery applies");
        }
    }
    sim.advance(SEC * 60);
    snapshots.push(sim.snapshot());
    (sim.drain_events(), sim.drain_samples(), snapshots)
}

#[test]
fn the_same_seed_replays_the_same_trace() {
    let first = trace(77);
    assert_eq!(first.0.len(), 8);
    assert_eq!(first, trace(77));
    let other = trace(78);
    assert_ne!(first.1, other.1, "another seed, another run");
}

#[test]
fn how_time_is_chunked_does_not_change_the_run() {
    let mut coarse = sim_with(31);
    let mut fine = sim_with(31);
    coarse.advance(SEC * 20);
    for _ in 0..400 {
        fine.advance(Duration::from_millis(50));
    }
    assert_eq!(coarse.snapshot(), fine.snapshot());
    assert_eq!(coarse.drain_samples(), fine.drain_samples());
}

#[test]
fn seven_stores_and_a_thousand_regions_keep_the_rules() {
    let mut sim = simulator(8, 7, 1000);
    let snap = sim.snapshot();
    let ids: Vec<u64> = snap.stores.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![1, 4, 5, 6, 7, 8, 9]);
    assert_eq!(
        snap.stores.iter().map(|s| s.region_count).sum::<u64>(),
        3000
    );
    assert!(
        snap.stores
            .iter()
            .all(|s| s.available_bytes < s.capacity_bytes)
    );
    sim.inject(FaultKind::Kill, "tikv6").expect("kill");
    step_until(&mut sim, SEC * 21, |sim| {
        sim.snapshot().regions.led_from_dead_node == 0
    });
    let after = sim.snapshot();
    let share = mean_ops(
        &{
            sim.advance(SEC * 30);
            sim.drain_samples()
        },
        after.taken_at + SEC * 5,
        sim.now(),
    );
    assert!(share > 4500.0, "seven stores absorb one loss: {share}");
}

/// Within a five-minute demo PD's own region checks stay quiet whatever the
/// fault, as on a real cluster; the regions led from a dead node move.
#[test]
fn pds_region_checks_stay_quiet_through_a_five_minute_demo() {
    for kind in FaultKind::ALL {
        let mut sim = sim_with(21);
        sim.advance(SEC * 10);
        sim.inject(kind, "tikv1").expect("inject");
        let mut led_from_dead = 0;
        for _ in 0..300 {
            sim.advance(SEC);
            let snap = sim.snapshot();
            assert_eq!(snap.regions.without_leader, 0, "{kind} at {:?}", sim.now());
            assert_eq!(
                snap.regions.under_replicated,
                0,
                "{kind} at {:?}",
                sim.now()
            );
            led_from_dead = led_from_dead.max(snap.regions.led_from_dead_node);
        }
        // A graceful stop hands its leaders over first: nothing is left
        // there; a slow or lossy store keeps heartbeating and leading.
        if !matches!(kind, FaultKind::Stop | FaultKind::Slow | FaultKind::Loss) {
            assert!(led_from_dead > 0, "{kind}: the fault shows");
        }
        assert_eq!(sim.snapshot().regions.led_from_dead_node, 0, "{kind}");
    }
}

/// A peer silent for longer than `max-peer-down-duration` (10 min) is
/// reported down at its leader's next region heartbeat (at most 60 s later).
#[test]
fn down_peers_reach_pd_after_ten_minutes() {
    let mut sim = sim_with(22);
    sim.advance(SEC * 10);
    let killed_at = sim.inject(FaultKind::Kill, "tikv2").expect("kill").at;
    sim.advance_to(killed_at + SEC * 600);
    assert_eq!(
        sim.snapshot().regions.under_replicated,
        0,
        "not before 10 min"
    );
    sim.advance_to(killed_at + SEC * 661 + STEP);
    let snap = sim.snapshot();
    assert_eq!(
        snap.regions.under_replicated, snap.regions.total,
        "three stores: every region has a replica on the dead one"
    );
    sim.recover(Recovery::Start, "tikv2").expect("start");
    sim.advance(SEC * 70);
    assert_eq!(
        sim.snapshot().regions.under_replicated,
        0,
        "reported up again"
    );
}

/// A store starved of CPU keeps heartbeating: PD keeps it Up, its leaders
/// stay, the runtime shows its limit, and only the workload shows it, as
/// throughput down and p99 up; restoring its CPU brings both back.
#[test]
fn a_slow_store_shows_only_in_the_workload() {
    let mut sim = sim_with(21);
    sim.advance(SEC * 30);
    let before = sim.snapshot();
    let spec = chaosdeck::cluster::FaultSpec::with(FaultKind::Slow, "cpus", 0.2).unwrap();
    let slow_at = sim.inject(spec, "tikv1").expect("slow").at;
    assert!(sim.drain_events().is_empty(), "the runtime sees no event");
    step_until(&mut sim, SEC * 60, |sim| sim.now() >= slow_at + SEC * 60);
    let during = sim.snapshot();
    assert_eq!(state(&during, "tikv1"), StoreState::Up, "PD keeps it Up");
    assert_eq!(
        leaders(&during, "tikv1"),
        leaders(&before, "tikv1"),
        "no leader moves"
    );
    let limit = during.process("tikv1").and_then(|p| p.cpu_limit);
    assert_eq!(limit.map(|l| l.to_string()).as_deref(), Some("0.2 CPUs"));
    sim.recover(Recovery::Restore, "tikv1").expect("restore");
    sim.advance(SEC * 30);
    let samples = sim.drain_samples();
    let baseline = mean_ops(&samples, SEC * 5, slow_at);
    let slowed = mean_ops(&samples, slow_at + SEC * 5, slow_at + SEC * 60);
    let back = mean_ops(&samples, slow_at + SEC * 65, slow_at + SEC * 90);
    assert!(slowed < 0.5 * baseline, "slowed {slowed} vs {baseline}");
    assert!(back > 0.95 * baseline, "back {back} vs {baseline}");
    let p99_at = |at: Duration| samples.iter().find(|s| s.at == at).and_then(|s| s.p99);
    let (calm, slow) = (
        p99_at(slow_at - SEC).unwrap(),
        p99_at(slow_at + SEC * 30).unwrap(),
    );
    assert!(slow > calm * 10, "p99 {slow:?} vs {calm:?}");
    assert!(
        samples.iter().all(|s| s.errors_per_sec == 0.0),
        "slow, never failing"
    );
    assert_eq!(
        sim.snapshot().process("tikv1").and_then(|p| p.cpu_limit),
        None
    );
}

/// A store dropping 30% of its packets keeps heartbeating (TCP resends
/// what is dropped): PD keeps it Up, its leaders stay, the runtime's
/// packet filter shows the share, and the workload shows it as p99 up by
/// whole resend timeouts and throughput down; clearing the rules brings
/// both back.
#[test]
fn a_lossy_store_shows_in_the_workload_and_its_packet_filter() {
    let mut sim = sim_with(21);
    sim.advance(SEC * 30);
    let before = sim.snapshot();
    let spec = chaosdeck::cluster::FaultSpec::with(FaultKind::Loss, "percent", 30.0).unwrap();
    let lossy_at = sim.inject(spec, "tikv1").expect("loss").at;
    assert!(sim.drain_events().is_empty(), "the runtime sees no event");
    step_until(&mut sim, SEC * 60, |sim| sim.now() >= lossy_at + SEC * 60);
    let during = sim.snapshot();
    assert_eq!(state(&during, "tikv1"), StoreState::Up, "PD keeps it Up");
    assert_eq!(
        leaders(&during, "tikv1"),
        leaders(&before, "tikv1"),
        "no leader moves at 30%"
    );
    let loss = during.process("tikv1").and_then(|p| p.packet_loss);
    assert_eq!(loss.map(|l| l.to_string()).as_deref(), Some("30%"));
    sim.recover(Recovery::Clear, "tikv1").expect("clear");
    sim.advance(SEC * 30);
    let samples = sim.drain_samples();
    let baseline = mean_ops(&samples, SEC * 5, lossy_at);
    let lossy = mean_ops(&samples, lossy_at + SEC * 5, lossy_at + SEC * 60);
    let back = mean_ops(&samples, lossy_at + SEC * 65, lossy_at + SEC * 90);
    assert!(lossy < 0.5 * baseline, "lossy {lossy} vs {baseline}");
    assert!(back > 0.95 * baseline, "back {back} vs {baseline}");
    let p99_at = |at: Duration| samples.iter().find(|s| s.at == at).and_then(|s| s.p99);
    let lossy_p99 = p99_at(lossy_at + SEC * 30).unwrap();
    assert!(
        lossy_p99 >= Duration::from_millis(1400),
        "p99 {lossy_p99:?}: waits for a third resend"
    );
    assert_eq!(
        sim.snapshot().process("tikv1").and_then(|p| p.packet_loss),
        None
    );
}

/// At heavy loss a lossy store's connections stall for longer than Raft's
/// election timeout: its followers elect leaders elsewhere, and PD sees
/// its heartbeats late, or not at all for a while.
#[test]
fn at_heavy_loss_leaders_move_off_the_lossy_store() {
    let mut sim = sim_with(21);
    sim.advance(SEC * 30);
    let before = leaders(&sim.snapshot(), "tikv1");
    let spec = chaosdeck::cluster::FaultSpec::with(FaultKind::Loss, "percent", 80.0).unwrap();
    let lossy_at = sim.inject(spec, "tikv1").expect("loss").at;
    let mut fewest = before;
    while sim.now() < lossy_at + SEC * 120 {
        sim.advance(SEC);
        fewest = fewest.min(leaders(&sim.snapshot(), "tikv1"));
    }
    assert!(fewest < before, "leaders moved: {fewest} of {before}");
    sim.recover(Recovery::Clear, "tikv1").expect("clear");
    sim.advance(SEC * 120);
    let snap = sim.snapshot();
    assert_eq!(state(&snap, "tikv1"), StoreState::Up);
    assert!(
        sim.invariant_violations().is_empty(),
        "{:?}",
        sim.invariant_violations()
    );
}
