//! The monitor: one incident per condition per fault episode, resolution when
//! the condition clears, detection timing.

use std::time::Duration;

use chaosdeck::cluster::{
    ClusterEvent, ClusterSnapshot, EventKind, NodeRole, Process, ProcessState, RegionHealth, Store,
    StoreState,
};
use chaosdeck::monitor::{Monitor, MonitorConfig, MonitorUpdate, Severity, Signal};
use chaosdeck::testing::secs;
use chaosdeck::workload::{SampleSource, WorkloadSample};

const SERVICES: [&str; 3] = ["tikv1", "tikv2", "tikv3"];

/// A healthy three-store cluster at `at`; tweak the result for faults.
fn healthy(at: f64) -> ClusterSnapshot {
    ClusterSnapshot {
        taken_at: secs(at),
        pd_reachable: true,
        pd_members: vec![],
        stores: SERVICES
            .iter()
            .enumerate()
            .map(|(i, service)| Store {
                id: [1, 4, 5][i],
                service: service.to_string(),
                address: format!("{service}:20160"),
                state: StoreState::Up,
                leader_count: 21,
                region_count: 64,
                heartbeat_age: Some(secs(3.0)),
                capacity_bytes: None,
                available_bytes: None,
            })
            .collect(),
        regions: RegionHealth {
            total: 64,
            without_leader: 0,
            under_replicated: 0,
            led_from_dead_node: 0,
        },
        processes: SERVICES
            .iter()
            .zip([1, 4, 5])
            .map(|(service, id)| Process {
                service: service.to_string(),
                role: NodeRole::Tikv,
                state: ProcessState::Running,
                network_connected: true,
                store: Some(id),
                cpu_limit: None,
                packet_loss: None,
            })
            .collect(),
        troubles: Vec::new(),
    }
}

fn with_store_state(
    mut snap: ClusterSnapshot,
    service: &str,
    state: StoreState,
) -> ClusterSnapshot {
    for store in &mut snap.stores {
        if store.service == service {
            store.state = state.clone();
        }
    }
    snap
}

fn with_process(
    mut snap: ClusterSnapshot,
    service: &str,
    state: ProcessState,
    net: bool,
) -> ClusterSnapshot {
    for process in &mut snap.processes {
        if process.service == service {
            process.state = state.clone();
            process.network_connected = net;
        }
    }
    snap
}

fn event(at: f64, service: &str, kind: EventKind) -> ClusterEvent {
    ClusterEvent {
        at: secs(at),
        service: service.into(),
        kind,
    }
}

fn sample(at: f64, ops: f64, p99_ms: Option<u64>) -> WorkloadSample {
    WorkloadSample {
        at: secs(at),
        ops_per_sec: ops,
        errors_per_sec: 0.0,
        p99: p99_ms.map(Duration::from_millis),
        source: SampleSource::Simulator,
    }
}

fn opened(updates: &[MonitorUpdate]) -> Vec<(Signal, Option<String>)> {
    updates
        .iter()
        .filter_map(|u| match u {
            MonitorUpdate::Opened(i) => Some((i.signal, i.service.clone())),
            MonitorUpdate::Resolved(_) => None,
        })
        .collect()
}

fn resolved(updates: &[MonitorUpdate]) -> Vec<(Signal, Option<String>)> {
    updates
        .iter()
        .filter_map(|u| match u {
            MonitorUpdate::Resolved(i) => Some((i.signal, i.service.clone())),
            MonitorUpdate::Opened(_) => None,
        })
        .collect()
}

#[test]
fn healthy_cluster_raises_nothing() {
    let mut monitor = Monitor::default();
    for t in 0..30 {
        assert!(monitor.on_snapshot(&healthy(t as f64)).is_empty());
        assert!(
            monitor
                .on_workload(&sample(t as f64, 1000.0, Some(8)), Some(1000.0))
                .is_empty()
        );
    }
    assert!(monitor.incidents().is_empty());
}

#[test]
fn disconnected_store_opens_once_and_resolves_when_up_again() {
    let mut monitor = Monitor::default();
    monitor.fault_injected(secs(10.0));
    let mut all = Vec::new();
    for t in 11..40 {
        let snap = with_store_state(healthy(t as f64), "tikv2", StoreState::Disconnected);
        all.extend(monitor.on_snapshot(&snap));
    }
    assert_eq!(opened(&all), [(Signal::StoreState, Some("tikv2".into()))]);
    let incident = &monitor.incidents()[0];
    assert_eq!(incident.opened_at, secs(11.0));
    assert_eq!(incident.since_fault, Some(secs(1.0)));
    assert_eq!(
        incident.severity,
        Severity::Critical,
        "bad on the Cluster panel too"
    );
    assert!(incident.summary.contains("tikv2") && incident.summary.contains("Disconnected"));

    let updates = monitor.on_snapshot(&healthy(41.0));
    assert_eq!(
        resolved(&updates),
        [(Signal::StoreState, Some("tikv2".into()))]
    );
    assert_eq!(monitor.incidents()[0].resolved_at, Some(secs(41.0)));
    assert_eq!(monitor.open_incidents().count(), 0);
}

#[test]
fn down_offline_and_unknown_states_are_incidents_too() {
    let mut monitor = Monitor::default();
    let mut snap = with_store_state(healthy(1.0), "tikv1", StoreState::Down);
    snap = with_store_state(snap, "tikv2", StoreState::Offline);
    snap = with_store_state(snap, "tikv3", StoreState::Unknown("Serving?".into()));
    let updates = monitor.on_snapshot(&snap);
    assert_eq!(opened(&updates).len(), 3);
    let down = monitor
        .incidents()
        .iter()
        .find(|i| i.service.as_deref() == Some("tikv1"));
    assert_eq!(down.map(|i| i.severity), Some(Severity::Critical));
}

#[test]
fn kill_event_is_immediate_and_resolves_on_start() {
    let mut monitor = Monitor::default();
    monitor.on_snapshot(&healthy(9.0));
    monitor.fault_injected(secs(10.0));
    let updates = monitor.on_event(&event(
        10.2,
        "tikv1",
        EventKind::Died {
            exit_code: Some(137),
        },
    ));
    assert_eq!(
        opened(&updates),
        [(Signal::ProcessEvent, Some("tikv1".into()))]
    );
    let detection = monitor.first_detection().expect("detected");
    assert_eq!(detection.signal, Signal::ProcessEvent);
    assert_eq!(detection.at, secs(10.2));
    assert_eq!(detection.after_fault, Some(Duration::from_millis(200)));
    assert_eq!(detection.summary, "tikv1: process died (exit code 137)");

    // The runtime keeps reporting it exited: no second line.
    for t in 11..20 {
        let snap = with_process(
            healthy(t as f64),
            "tikv1",
            ProcessState::Exited {
                exit_code: Some(137),
            },
            true,
        );
        assert!(opened(&monitor.on_snapshot(&snap)).is_empty());
    }
    let updates = monitor.on_event(&event(30.0, "tikv1", EventKind::Started));
    assert_eq!(
        resolved(&updates),
        [(Signal::ProcessEvent, Some("tikv1".into()))]
    );
}

#[test]
fn pause_and_partition_resolve_from_the_process_state_in_a_later_snapshot() {
    let mut monitor = Monitor::default();
    monitor.on_event(&event(5.0, "tikv2", EventKind::Paused));
    monitor.on_event(&event(5.0, "tikv3", EventKind::NetworkDisconnected));
    assert_eq!(monitor.open_incidents().count(), 2);

    // A snapshot from before the events must not clear them.
    assert!(resolved(&monitor.on_snapshot(&healthy(4.0))).is_empty());
    assert_eq!(monitor.open_incidents().count(), 2);

    let updates = monitor.on_snapshot(&healthy(20.0));
    let mut cleared = resolved(&updates);
    cleared.sort();
    assert_eq!(
        cleared,
        [
            (Signal::ProcessEvent, Some("tikv2".into())),
            (Signal::ProcessEvent, Some("tikv3".into()))
        ]
    );
}

#[test]
fn process_state_alone_opens_an_incident_when_no_event_arrived() {
    let mut monitor = Monitor::default();
    let snap = with_process(healthy(3.0), "tikv1", ProcessState::Running, false);
    let updates = monitor.on_snapshot(&snap);
    assert_eq!(
        opened(&updates),
        [(Signal::ProcessEvent, Some("tikv1".into()))]
    );
    assert_eq!(
        monitor.incidents()[0].summary,
        "tikv1: cut off from the network"
    );
    let updates = monitor.on_event(&event(4.0, "tikv1", EventKind::NetworkReconnected));
    assert_eq!(resolved(&updates).len(), 1);
}

#[test]
fn regions_without_leader_and_under_replicated() {
    let mut monitor = Monitor::default();
    monitor.fault_injected(secs(0.0));
    let mut snap = healthy(2.0);
    snap.regions.without_leader = 21;
    snap.regions.under_replicated = 64;
    let updates = monitor.on_snapshot(&snap);
    let mut signals: Vec<_> = opened(&updates).into_iter().map(|(s, _)| s).collect();
    signals.sort();
    assert_eq!(
        signals,
        [Signal::RegionsWithoutLeader, Signal::UnderReplicated]
    );
    assert_eq!(
        monitor.first_detection().map(|d| d.signal),
        Some(Signal::RegionsWithoutLeader)
    );

    // Leaders are elected again; replicas still missing.
    let mut snap = healthy(12.0);
    snap.regions.under_replicated = 64;
    let updates = monitor.on_snapshot(&snap);
    assert_eq!(resolved(&updates), [(Signal::RegionsWithoutLeader, None)]);
    assert_eq!(monitor.open_incidents().count(), 1);
}

#[test]
fn recurrence_within_an_episode_is_silent_but_opens_anew_after_it() {
    let mut monitor = Monitor::default();
    monitor.fault_injected(secs(0.0));
    let mut leaderless = healthy(1.0);
    leaderless.regions.without_leader = 3;
    assert_eq!(opened(&monitor.on_snapshot(&leaderless)).len(), 1);
    assert_eq!(resolved(&monitor.on_snapshot(&healthy(2.0))).len(), 1);
    leaderless.taken_at = secs(3.0);
    assert!(
        monitor.on_snapshot(&leaderless).is_empty(),
        "flapping stays quiet"
    );
    assert!(monitor.on_snapshot(&healthy(4.0)).is_empty());

    monitor.fault_cleared();
    leaderless.taken_at = secs(5.0);
    let updates = monitor.on_snapshot(&leaderless);
    assert_eq!(opened(&updates).len(), 1);
    assert_eq!(updates[0].incident().since_fault, None, "no fault in place");
    assert_eq!(monitor.incidents().len(), 2);
}

#[test]
fn pd_unreachable_opens_and_freezes_stale_pd_figures() {
    let mut monitor = Monitor::default();
    let down = with_store_state(healthy(1.0), "tikv1", StoreState::Disconnected);
    monitor.on_snapshot(&down);
    let mut stale = down.clone();
    stale.taken_at = secs(2.0);
    stale.pd_reachable = false;
    let updates = monitor.on_snapshot(&stale);
    assert_eq!(opened(&updates), [(Signal::PdUnreachable, None)]);
    assert!(resolved(&updates).is_empty());
    assert!(monitor.on_snapshot(&stale).is_empty());

    let updates = monitor.on_snapshot(&healthy(3.0));
    let mut cleared = resolved(&updates);
    cleared.sort();
    assert_eq!(
        cleared,
        [
            (Signal::StoreState, Some("tikv1".into())),
            (Signal::PdUnreachable, None)
        ]
    );
}

#[test]
fn throughput_dip_needs_two_samples_and_resolves_with_hysteresis() {
    let mut monitor = Monitor::new(MonitorConfig::default());
    monitor.fault_injected(secs(10.0));
    let base = Some(1000.0);
    assert!(
        monitor
            .on_workload(&sample(11.0, 300.0, None), base)
            .is_empty(),
        "one dip is noise"
    );
    assert!(
        monitor
            .on_workload(&sample(12.0, 900.0, None), base)
            .is_empty()
    );
    assert!(
        monitor
            .on_workload(&sample(13.0, 300.0, None), base)
            .is_empty()
    );
    let updates = monitor.on_workload(&sample(14.0, 250.0, None), base);
    assert_eq!(opened(&updates), [(Signal::Throughput, None)]);
    assert_eq!(updates[0].incident().since_fault, Some(secs(4.0)));
    assert_eq!(
        updates[0].incident().summary,
        "throughput 250 ops/s, 25% of baseline 1,000 ops/s"
    );

    // 55% is above the dip threshold but not yet recovered.
    for t in 15..20 {
        assert!(
            monitor
                .on_workload(&sample(t as f64, 550.0, None), base)
                .is_empty()
        );
    }
    assert!(
        monitor
            .on_workload(&sample(20.0, 950.0, None), base)
            .is_empty()
    );
    let updates = monitor.on_workload(&sample(21.0, 980.0, None), base);
    assert_eq!(resolved(&updates), [(Signal::Throughput, None)]);
}

#[test]
fn throughput_is_not_judged_without_a_baseline() {
    let mut monitor = Monitor::default();
    for t in 0..5 {
        assert!(
            monitor
                .on_workload(&sample(t as f64, 0.0, None), None)
                .is_empty()
        );
        assert!(
            monitor
                .on_workload(&sample(t as f64, f64::NAN, None), Some(100.0))
                .is_empty()
        );
    }
}

#[test]
fn high_p99_opens_after_two_samples_and_resolves_below_eighty_percent() {
    let mut monitor = Monitor::default();
    assert!(
        monitor
            .on_workload(&sample(1.0, 1000.0, Some(150)), None)
            .is_empty()
    );
    let updates = monitor.on_workload(&sample(2.0, 1000.0, Some(400)), None);
    assert_eq!(opened(&updates), [(Signal::Latency, None)]);
    assert_eq!(
        updates[0].incident().summary,
        "p99 latency 400ms (limit 100ms)"
    );
    assert!(
        monitor
            .on_workload(&sample(3.0, 1000.0, Some(90)), None)
            .is_empty()
    );
    assert!(
        monitor
            .on_workload(&sample(4.0, 1000.0, Some(90)), None)
            .is_empty()
    );
    assert!(
        monitor
            .on_workload(&sample(5.0, 1000.0, Some(20)), None)
            .is_empty()
    );
    let updates = monitor.on_workload(&sample(6.0, 1000.0, Some(20)), None);
    assert_eq!(resolved(&updates), [(Signal::Latency, None)]);
}

#[test]
fn first_detection_is_the_first_incident_after_the_fault() {
    let mut monitor = Monitor::default();
    // Something already open before the fault is not its detection.
    let mut pre = healthy(1.0);
    pre.regions.under_replicated = 2;
    monitor.on_snapshot(&pre);
    assert_eq!(monitor.first_detection(), None, "no fault yet");

    monitor.fault_injected(secs(10.0));
    let mut snap = with_store_state(healthy(25.0), "tikv3", StoreState::Disconnected);
    snap.regions.under_replicated = 2;
    monitor.on_snapshot(&snap);
    monitor.on_workload(&sample(26.0, 0.0, None), Some(1000.0));
    monitor.on_workload(&sample(27.0, 0.0, None), Some(1000.0));
    let detection = monitor.first_detection().expect("detected");
    assert_eq!(detection.signal, Signal::StoreState);
    assert_eq!(detection.after_fault, Some(secs(15.0)));

    monitor.fault_injected(secs(100.0));
    assert_eq!(
        monitor.first_detection(),
        None,
        "a new fault starts a new episode"
    );
}

#[test]
fn history_is_bounded_and_reset_forgets() {
    let mut monitor = Monitor::default();
    for t in 0..300u64 {
        let mut bad = healthy(t as f64 * 2.0);
        bad.regions.without_leader = 1;
        monitor.on_snapshot(&bad);
        monitor.on_snapshot(&healthy(t as f64 * 2.0 + 1.0));
    }
    assert_eq!(monitor.incidents().len(), chaosdeck::monitor::HISTORY_LIMIT);
    assert_eq!(monitor.incidents().last().map(|i| i.id), Some(300));
    monitor.reset();
    assert!(monitor.incidents().is_empty());
    let mut bad = healthy(1000.0);
    bad.regions.without_leader = 1;
    let updates = monitor.on_snapshot(&bad);
    assert_eq!(updates[0].incident().id, 301, "ids never repeat");
}

#[test]
fn outside_names_are_shown_as_plain_text() {
    let mut monitor = Monitor::default();
    let updates = monitor.on_event(&event(1.0, "tikv\u{1b}[2J{}", EventKind::Paused));
    let incident = updates[0].incident();
    assert_eq!(incident.summary, "tikv␛[2J{}: process paused");
    assert_eq!(
        incident.service.as_deref(),
        Some("tikv\u{1b}[2J{}"),
        "kept verbatim for matching"
    );
}

#[test]
fn load_generator_state_is_not_a_node_failure() {
    let mut monitor = Monitor::default();
    let mut snap = healthy(1.0);
    snap.processes.push(Process {
        service: "ycsb".into(),
        role: NodeRole::Load,
        state: ProcessState::Exited { exit_code: Some(0) },
        network_connected: true,
        store: None,
        cpu_limit: None,
        packet_loss: None,
    });
    assert!(monitor.on_snapshot(&snap).is_empty());
}

/// The engine's event beats its own reply: the kill is seen at 10.05 s, the
/// answer (fault time = when the call started, 10.0 s) comes after. The
/// event's incident is the fault's first detection, +0.05 s by process event.
#[test]
fn an_event_before_the_injection_answer_is_credited_to_the_fault() {
    let mut monitor = Monitor::default();
    monitor.on_snapshot(&healthy(9.0));
    let died = EventKind::Died {
        exit_code: Some(137),
    };
    monitor.on_event(&event(10.05, "tikv1", died));
    assert_eq!(monitor.first_detection(), None, "no fault known yet");
    monitor.fault_injected(secs(10.0));
    let detection = monitor.first_detection().expect("credited to the fault");
    assert_eq!(detection.signal, Signal::ProcessEvent);
    assert_eq!(detection.after_fault, Some(Duration::from_millis(50)));
    assert_eq!(
        monitor.incidents()[0].since_fault,
        Some(Duration::from_millis(50))
    );
    // PD's word comes later and is not the first detection.
    let later = with_store_state(healthy(25.0), "tikv1", StoreState::Disconnected);
    monitor.on_snapshot(&with_process(
        later,
        "tikv1",
        ProcessState::Exited {
            exit_code: Some(137),
        },
        true,
    ));
    assert_eq!(
        monitor.first_detection().map(|d| d.signal),
        Some(Signal::ProcessEvent)
    );
}

/// An incident from before the call started belongs to no fault.
#[test]
fn an_incident_older_than_the_fault_is_not_its_detection() {
    let mut monitor = Monitor::default();
    monitor.on_event(&event(4.0, "tikv2", EventKind::Paused));
    monitor.fault_injected(secs(10.0));
    assert_eq!(monitor.first_detection(), None);
    assert_eq!(monitor.incidents()[0].since_fault, None);
}

/// A snapshot whose reads started before the fault shows the node well; it
/// arrives after the event and must not resolve the incident.
#[test]
fn a_snapshot_from_before_the_fault_resolves_nothing() {
    let mut monitor = Monitor::default();
    monitor.on_snapshot(&healthy(9.0));
    monitor.fault_injected(secs(10.0));
    monitor.on_event(&event(10.1, "tikv3", EventKind::NetworkDisconnected));
    let disconnected = with_store_state(healthy(9.5), "tikv3", StoreState::Disconnected);
    monitor.on_snapshot(&disconnected);
    assert!(resolved(&monitor.on_snapshot(&healthy(9.9))).is_empty());
    assert_eq!(monitor.open_incidents().count(), 2);
    // One taken after the fault, showing it well again, does.
    let mut cleared = resolved(&monitor.on_snapshot(&healthy(40.0)));
    cleared.sort();
    assert_eq!(
        cleared,
        [
            (Signal::ProcessEvent, Some("tikv3".into())),
            (Signal::StoreState, Some("tikv3".into()))
        ]
    );
}

/// The story stops the load: its exit (code 0) is no incident. A load that
/// dies while the story has it running is a warning.
#[test]
fn the_load_the_story_stopped_is_no_crash() {
    let mut monitor = Monitor::default();
    let mut snap = healthy(1.0);
    snap.processes.push(Process {
        service: "load".into(),
        role: NodeRole::Load,
        state: ProcessState::Running,
        network_connected: true,
        store: None,
        cpu_limit: None,
        packet_loss: None,
    });
    monitor.load_switched(true);
    monitor.on_snapshot(&snap);
    monitor.load_switched(false);
    let died = EventKind::Died { exit_code: Some(0) };
    assert!(
        monitor
            .on_event(&event(5.0, "load", died.clone()))
            .is_empty()
    );
    monitor.load_switched(true);
    assert!(
        monitor
            .on_event(&event(6.0, "load", EventKind::Started))
            .is_empty()
    );
    let updates = monitor.on_event(&event(9.0, "load", died));
    assert_eq!(
        opened(&updates),
        [(Signal::ProcessEvent, Some("load".into()))]
    );
    assert_eq!(updates[0].incident().severity, Severity::Warning);
}

#[test]
fn regions_led_from_a_dead_node_open_and_resolve() {
    let mut monitor = Monitor::default();
    let mut snap = healthy(11.0);
    snap.regions.led_from_dead_node = 21;
    let updates = monitor.on_snapshot(&snap);
    assert_eq!(opened(&updates), [(Signal::RegionsLedFromDeadNode, None)]);
    assert_eq!(
        updates[0].incident().summary,
        "21 regions led from a dead node"
    );
    assert_eq!(updates[0].incident().severity, Severity::Critical);
    let updates = monitor.on_snapshot(&healthy(25.0));
    assert_eq!(resolved(&updates), [(Signal::RegionsLedFromDeadNode, None)]);
}

/// A new pass forgets the incidents, not the world: the load the story
/// runs is still expected to run, and its services keep their roles.
#[test]
fn a_reset_keeps_what_the_load_should_do() {
    let mut monitor = Monitor::default();
    let mut snap = healthy(1.0);
    snap.processes.push(Process {
        service: "load".into(),
        role: NodeRole::Load,
        state: ProcessState::Running,
        network_connected: true,
        store: None,
        cpu_limit: None,
        packet_loss: None,
    });
    monitor.on_snapshot(&snap);
    monitor.load_switched(false);
    monitor.reset();
    let died = EventKind::Died { exit_code: Some(0) };
    assert!(
        monitor
            .on_event(&event(2.0, "load", died.clone()))
            .is_empty()
    );
    monitor.load_switched(true);
    monitor.reset();
    assert_eq!(monitor.on_event(&event(3.0, "load", died)).len(), 1);
}
