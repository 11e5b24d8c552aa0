//! The built-in analyzer tells kill, stop, pause and partition apart from
//! realistic sequences of snapshots, runtime events and samples alone.

use std::time::Duration;

use chaosdeck::agent::{
    Analyzer, AnalyzerError, BuiltinAnalyzer, Diagnosis, Evidence, EvidenceRecorder, FaultClass,
    analyze,
};
use chaosdeck::cluster::{
    ClusterEvent, ClusterSnapshot, EventKind, NodeRole, Process, ProcessState, Recovery,
    RegionHealth, Store, StoreState,
};
use chaosdeck::monitor::Monitor;
use chaosdeck::testing::secs;
use chaosdeck::workload::{SampleSource, WorkloadSample};

const SERVICES: [&str; 3] = ["tikv1", "tikv2", "tikv3"];
const REGIONS: u64 = 63;
const FAULT_AT: u64 = 10;
const BASELINE: f64 = 1000.0;

/// How the faulty node (tikv1) looks at one second of the show.
#[derive(Clone)]
struct NodeView {
    process: ProcessState,
    network_connected: bool,
    /// None: heartbeating normally.
    last_heartbeat: Option<u64>,
    leader_count: u64,
}

impl NodeView {
    fn well() -> Self {
        Self {
            process: ProcessState::Running,
            network_connected: true,
            last_heartbeat: None,
            leader_count: REGIONS / 3,
        }
    }
}

/// One second of the show as the backend would report it.
struct Second {
    node: NodeView,
    regions: RegionHealth,
    ops: f64,
    events: Vec<EventKind>,
}

/// A three-store cluster: healthy for `FAULT_AT` seconds, then `script(t)`
/// describes each later second. `with_runtime: false` leaves out everything
/// the container runtime would say (events and process states).
struct Scenario {
    name: String,
    with_runtime: bool,
    until: u64,
}

impl Scenario {
    fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            with_runtime: true,
            until: 35,
        }
    }

    fn without_runtime(mut self) -> Self {
        self.with_runtime = false;
        self
    }

    fn run(&self, script: impl Fn(u64) -> Second) -> (Evidence, Monitor) {
        let mut recorder = EvidenceRecorder::default();
        let mut monitor = Monitor::default();
        for t in 0..=self.until {
            let second = if t < FAULT_AT {
                healthy_second()
            } else {
                script(t)
            };
            if t == FAULT_AT {
                // The monitor is told only to time its detections.
                monitor.fault_injected(secs(t as f64));
            }
            if self.with_runtime {
                for kind in &second.events {
                    let event = ClusterEvent {
                        at: secs(t as f64 + 0.1),
                        service: self.name.clone(),
                        kind: kind.clone(),
                    };
                    monitor.on_event(&event);
                    recorder.record_event(event);
                }
            }
            let snapshot = self.snapshot(t, &second);
            monitor.on_snapshot(&snapshot);
            recorder.record_snapshot(snapshot);
            let sample = WorkloadSample {
                at: secs(t as f64 + 0.5),
                ops_per_sec: second.ops,
                errors_per_sec: if second.ops < 500.0 { 40.0 } else { 0.0 },
                p99: Some(Duration::from_millis(if second.ops < 500.0 {
                    900
                } else {
                    12
                })),
                source: SampleSource::Simulator,
            };
            monitor.on_workload(&sample, Some(BASELINE));
            recorder.record_sample(sample);
        }
        let incidents = monitor.incidents().to_vec();
        let evidence = recorder.evidence(secs(self.until as f64 + 0.9), Some(BASELINE), incidents);
        (evidence, monitor)
    }

    fn snapshot(&self, t: u64, second: &Second) -> ClusterSnapshot {
        let others_leaders = (REGIONS - second.node.leader_count) / 2;
        let stores = SERVICES
            .iter()
            .enumerate()
            .map(|(i, service)| {
                let faulty = *service == self.name;
                let age = match (faulty, second.node.last_heartbeat) {
                    (true, Some(last)) => t - last,
                    _ => t % 10,
                };
                let state = if age > 20 {
                    StoreState::Disconnected
                } else {
                    StoreState::Up
                };
                Store {
                    id: [1, 4, 5][i],
                    service: service.to_string(),
                    address: format!("{service}:20160"),
                    state,
                    leader_count: if faulty {
                        second.node.leader_count
                    } else {
                        others_leaders
                    },
                    region_count: REGIONS,
                    heartbeat_age: Some(secs(age as f64)),
                    capacity_bytes: None,
                    available_bytes: None,
                }
            })
            .collect();
        let processes = if self.with_runtime {
            SERVICES
                .iter()
                .zip([1, 4, 5])
                .map(|(service, id)| {
                    let faulty = *service == self.name;
                    Process {
                        service: service.to_string(),
                        role: NodeRole::Tikv,
                        state: if faulty {
                            second.node.process.clone()
                        } else {
                            ProcessState::Running
                        },
                        network_connected: !faulty || second.node.network_connected,
                        store: Some(id),
                        cpu_limit: None,
                        packet_loss: None,
                    }
                })
                .collect()
        } else {
            vec![]
        };
        ClusterSnapshot {
            taken_at: secs(t as f64),
            pd_reachable: true,
            pd_members: vec![],
            stores,
            regions: second.regions,
            processes,
            troubles: Vec::new(),
        }
    }
}

fn healthy_second() -> Second {
    Second {
        node: NodeView::well(),
        regions: RegionHealth {
            total: REGIONS,
            without_leader: 0,
            under_replicated: 0,
            led_from_dead_node: 0,
        },
        ops: BASELINE,
        events: vec![],
    }
}

/// Regions led by the lost node wait for an election (about 10 s) after
/// `from`; replicas stay missing while it is away.
fn lost_node_regions(t: u64, from: u64) -> RegionHealth {
    RegionHealth {
        total: REGIONS,
        without_leader: if (from..from + 10).contains(&t) {
            REGIONS / 3
        } else {
            0
        },
        under_replicated: if t >= from + 20 { REGIONS } else { 0 },
        led_from_dead_node: 0,
    }
}

fn throughput(regions: RegionHealth) -> f64 {
    if regions.without_leader > 0 {
        250.0
    } else {
        950.0
    }
}

fn kill(t: u64) -> Second {
    let regions = lost_node_regions(t, FAULT_AT);
    Second {
        node: NodeView {
            process: ProcessState::Exited {
                exit_code: Some(137),
            },
            network_connected: true,
            last_heartbeat: Some(FAULT_AT - 2),
            leader_count: REGIONS / 3, // PD keeps the last reported count
        },
        regions,
        ops: throughput(regions),
        events: if t == FAULT_AT {
            vec![EventKind::Died {
                exit_code: Some(137),
            }]
        } else {
            vec![]
        },
    }
}

/// SIGTERM: leaders are handed over for three seconds, then it exits.
fn stop_with_exit(exit_code: i64, hands_over: bool) -> impl Fn(u64) -> Second {
    move |t| {
        let exit_at = FAULT_AT + 3;
        if t < exit_at {
            let mut node = NodeView::well();
            if hands_over {
                node.leader_count = (REGIONS / 3).saturating_sub((t - FAULT_AT + 1) * 11);
            }
            return Second {
                node,
                ops: 990.0,
                ..healthy_second()
            };
        }
        let mut regions = lost_node_regions(t, exit_at);
        if hands_over {
            regions.without_leader = 0;
        }
        Second {
            node: NodeView {
                process: ProcessState::Exited {
                    exit_code: Some(exit_code),
                },
                network_connected: true,
                last_heartbeat: Some(exit_at - 1),
                leader_count: if hands_over { 0 } else { REGIONS / 3 },
            },
            regions,
            ops: throughput(regions),
            events: if t == exit_at {
                vec![EventKind::Died {
                    exit_code: Some(exit_code),
                }]
            } else {
                vec![]
            },
        }
    }
}

/// The node keeps its process but goes silent: paused or partitioned.
fn silent(
    process: ProcessState,
    network_connected: bool,
    event: EventKind,
) -> impl Fn(u64) -> Second {
    move |t| {
        // Peers notice the missing leader after the election timeout.
        let regions = lost_node_regions(t, FAULT_AT + 9);
        Second {
            node: NodeView {
                process: process.clone(),
                network_connected,
                last_heartbeat: Some(FAULT_AT - 1),
                leader_count: REGIONS / 3,
            },
            regions,
            ops: if t < FAULT_AT + 9 {
                600.0
            } else {
                throughput(regions)
            },
            events: if t == FAULT_AT {
                vec![event.clone()]
            } else {
                vec![]
            },
        }
    }
}

fn pause(t: u64) -> Second {
    silent(ProcessState::Paused, true, EventKind::Paused)(t)
}

fn partition(t: u64) -> Second {
    silent(ProcessState::Running, false, EventKind::NetworkDisconnected)(t)
}

fn check(diagnosis: &Diagnosis, class: FaultClass, recovery: Recovery) {
    let cause = &diagnosis.root_cause;
    assert_eq!(cause.class, class, "{:#?}", diagnosis.lines());
    assert_eq!(cause.service.as_deref(), Some("tikv1"));
    assert!(cause.confidence >= 0.75, "confidence {}", cause.confidence);
    let action = diagnosis.action.as_ref().expect("an action");
    assert_eq!(action.recovery, recovery);
    assert_eq!(action.service, "tikv1");
    assert_eq!(diagnosis.analyzer, "built-in analyzer");
}

fn has_line(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

#[test]
fn kill_is_a_crash_with_a_leaderless_window() {
    let (evidence, _) = Scenario::new("tikv1").run(kill);
    let diagnosis = analyze(&evidence).diagnosis;
    check(&diagnosis, FaultClass::ProcessCrash, Recovery::Start);
    assert!(diagnosis.root_cause.summary.contains("exit code 137"));
    let stop = diagnosis
        .alternatives
        .iter()
        .find(|a| a.hypothesis == "graceful stop")
        .expect("graceful stop weighed");
    assert!(stop.evidence_against.iter().any(|e| e.contains("137")));
    assert!(
        stop.evidence_against
            .iter()
            .any(|e| e.contains("nothing was handed over"))
    );
    let lines = diagnosis.lines();
    assert!(has_line(&lines, "had no leader"), "{lines:#?}");
    assert!(has_line(&lines, "Recommended action: start tikv1"));
}

#[test]
fn timeline_carries_the_detection_signal_and_time() {
    let (evidence, monitor) = Scenario::new("tikv1").run(kill);
    let detection = monitor.first_detection().expect("detected");
    let diagnosis = analyze(&evidence).diagnosis;
    let entry = diagnosis
        .timeline
        .iter()
        .find(|(_, what)| what.starts_with("detected by process event"))
        .expect("detection in the timeline");
    assert_eq!(entry.0, detection.at);
    assert!(entry.1.contains("0.1s after the fault"), "{}", entry.1);
    let times: Vec<_> = diagnosis.timeline.iter().map(|(at, _)| *at).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "timeline is in order"
    );
    assert!(diagnosis.timeline[0].1.starts_with("cluster healthy"));
}

#[test]
fn stop_hands_leaders_over_before_exiting() {
    for exit_code in [143, 0] {
        let (evidence, _) = Scenario::new("tikv1").run(stop_with_exit(exit_code, true));
        let diagnosis = analyze(&evidence).diagnosis;
        check(&diagnosis, FaultClass::GracefulStop, Recovery::Start);
        assert!(
            diagnosis
                .root_cause
                .summary
                .contains("handing over its leaders")
        );
        assert!(
            diagnosis
                .timeline
                .iter()
                .any(|(at, what)| what.contains("leader count fell to 0") && *at < secs(13.0))
        );
        assert!(diagnosis.timeline[0].1.starts_with("cluster healthy"));
        assert!(!has_line(&diagnosis.impact, "p99"), "p99 stayed normal");
    }
}

#[test]
fn stop_without_hand_over_is_still_a_stop_but_less_certain() {
    let (clean, _) = Scenario::new("tikv1").run(stop_with_exit(143, true));
    let (old, _) = Scenario::new("tikv1").run(stop_with_exit(143, false));
    let clean = analyze(&clean).diagnosis;
    let old = analyze(&old).diagnosis;
    assert_eq!(old.root_cause.class, FaultClass::GracefulStop);
    assert!(old.root_cause.confidence < clean.root_cause.confidence);
    assert!(has_line(&old.risks, "not handed over"));
}

#[test]
fn pause_is_frozen_not_dead() {
    let (evidence, _) = Scenario::new("tikv1").run(pause);
    let diagnosis = analyze(&evidence).diagnosis;
    check(&diagnosis, FaultClass::Frozen, Recovery::Unpause);
    let partition = diagnosis
        .alternatives
        .iter()
        .find(|a| a.hypothesis == "network partition");
    assert!(partition.is_some_and(|a| a.evidence_against.iter().any(|e| e.contains("paused"))));
}

#[test]
fn partition_keeps_the_process_running() {
    let (evidence, _) = Scenario::new("tikv1").run(partition);
    let diagnosis = analyze(&evidence).diagnosis;
    check(
        &diagnosis,
        FaultClass::NetworkPartition,
        Recovery::Reconnect,
    );
    assert!(diagnosis.root_cause.summary.contains("its process runs"));
}

#[test]
fn kill_seen_only_in_process_states_is_still_a_kill() {
    let (mut evidence, _) = Scenario::new("tikv1").run(kill);
    evidence.events.clear();
    evidence.incidents.clear();
    let diagnosis = analyze(&evidence).diagnosis;
    check(&diagnosis, FaultClass::ProcessCrash, Recovery::Start);
    assert!(
        diagnosis
            .timeline
            .iter()
            .any(|(_, what)| what == "tikv1: runtime shows it died (exit code 137)")
    );
}

#[test]
fn pd_silence_alone_is_thin_evidence() {
    let (evidence, _) = Scenario::new("tikv1").without_runtime().run(kill);
    let thin = analyze(&evidence).diagnosis;
    assert_eq!(thin.root_cause.class, FaultClass::Unknown);
    assert_eq!(thin.root_cause.service.as_deref(), Some("tikv1"));
    assert!(thin.root_cause.confidence < 0.5);
    assert!(thin.root_cause.summary.contains("thin"));
    assert_eq!(thin.action, None, "no blind recovery");
    // Every hypothesis stays open: one per kind's class, and PD's leader lost.
    assert_eq!(
        thin.alternatives.len(),
        chaosdeck::cluster::FaultKind::ALL.len() + 1,
        "every hypothesis stays open"
    );
    let claims: Vec<_> = thin
        .alternatives
        .iter()
        .flat_map(|a| a.evidence_for.iter().chain(&a.evidence_against))
        .collect();
    assert!(
        claims.iter().all(|c| !c.contains("no exit was seen")),
        "without runtime information nothing can be said about exits: {claims:#?}"
    );

    for script in [kill as fn(u64) -> Second, pause, partition] {
        let (full, _) = Scenario::new("tikv1").run(script);
        assert!(analyze(&full).diagnosis.root_cause.confidence > thin.root_cause.confidence);
    }
}

#[test]
fn a_recovered_node_gets_no_action() {
    let (evidence, _) = Scenario::new("tikv1").run(|t| {
        if t < 25 {
            return kill(t);
        }
        let mut second = healthy_second();
        if t == 25 {
            second.events = vec![EventKind::Started];
        }
        second
    });
    let diagnosis = analyze(&evidence).diagnosis;
    assert_eq!(diagnosis.root_cause.class, FaultClass::ProcessCrash);
    assert!(diagnosis.root_cause.summary.contains("since recovered"));
    assert_eq!(diagnosis.action, None);
}

#[test]
fn a_healthy_cluster_has_no_culprit() {
    let (evidence, _) = Scenario::new("tikv1").run(|_| healthy_second());
    let diagnosis = analyze(&evidence).diagnosis;
    assert_eq!(diagnosis.root_cause.class, FaultClass::Unknown);
    assert_eq!(diagnosis.root_cause.service, None);
    assert_eq!(diagnosis.action, None);
    assert!(
        diagnosis
            .root_cause
            .summary
            .starts_with("no fault in the evidence")
    );
}

#[test]
fn outside_names_stay_plain_text() {
    let name = "tikv1\u{1b}]0;owned\u{7}";
    let (evidence, _) = Scenario {
        name: name.into(),
        with_runtime: true,
        until: 35,
    }
    .run(kill);
    let report = analyze(&evidence);
    let diagnosis = &report.diagnosis;
    assert_eq!(diagnosis.root_cause.service.as_deref(), Some(name));
    assert_eq!(
        diagnosis.action.as_ref().map(|a| a.service.as_str()),
        Some(name)
    );
    for line in diagnosis.lines().iter().chain(&report.steps) {
        assert!(!line.chars().any(char::is_control), "{line:?}");
    }
    assert!(has_line(&diagnosis.lines(), "start tikv1␛]0;owned␇"));
}

#[tokio::test(start_paused = true)]
async fn diagnose_streams_each_step_at_the_configured_pace() {
    let (evidence, _) = Scenario::new("tikv1").run(pause);
    let expected = analyze(&evidence);
    let analyzer = BuiltinAnalyzer::new(Duration::from_millis(300));
    assert_eq!(analyzer.name(), "built-in analyzer");
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let started = tokio::time::Instant::now();
    let diagnosis = analyzer.diagnose(evidence, tx).await.expect("diagnosis");
    assert_eq!(diagnosis, expected.diagnosis);
    let mut lines = Vec::new();
    while let Ok(progress) = rx.try_recv() {
        match progress {
            chaosdeck::agent::Progress::Step(line) => lines.push(line),
            other => panic!("the built-in analyzer reports steps only: {other:?}"),
        }
    }
    // The last line is the analysis's own time, apart from the pacing.
    let work = lines.pop().unwrap();
    assert!(work.starts_with("analysis computed in "), "{work}");
    assert!(work.contains("300 ms apart for reading"), "{work}");
    assert_eq!(lines, expected.steps);
    assert!(lines[0].starts_with("gathering evidence: 36 snapshots, 1 event"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("hypothesis: process frozen (paused) on tikv1"))
    );
    assert_eq!(
        started.elapsed(),
        Duration::from_millis(300) * (lines.len() + 1) as u32
    );
}

#[tokio::test]
async fn diagnose_refuses_empty_evidence_and_survives_a_closed_channel() {
    let analyzer = BuiltinAnalyzer::instant();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let empty = EvidenceRecorder::default().evidence(Duration::ZERO, None, vec![]);
    assert_eq!(
        analyzer.diagnose(empty, tx.clone()).await,
        Err(AnalyzerError::NoEvidence)
    );
    drop(rx);
    let (evidence, _) = Scenario::new("tikv1").run(partition);
    let diagnosis = analyzer.diagnose(evidence, tx).await.expect("diagnosis");
    assert_eq!(diagnosis.root_cause.class, FaultClass::NetworkPartition);
}
