//! Evidence of a kill of tikv1, as the show records it: 36 seconds of a
//! three-store cluster, healthy until 10 s, then the runtime's event, the
//! leaderless regions, PD calling the store Disconnected from 31 s.

use std::time::Duration;

use chaosdeck::agent::{Evidence, EvidenceRecorder};
use chaosdeck::cluster::*;
use chaosdeck::monitor::Monitor;
use chaosdeck::workload::{SampleSource, WorkloadSample};

pub use chaosdeck::testing::SERVICES;
use chaosdeck::testing::secs;

fn snapshot(t: u64) -> ClusterSnapshot {
    let killed = t >= 10;
    let stores = SERVICES
        .iter()
        .zip([1u64, 4, 5])
        .map(|(service, id)| {
            let faulty = killed && *service == "tikv1";
            let age = if faulty { t - 9 } else { t % 10 };
            Store {
                id,
                service: service.to_string(),
                address: format!("{service}:20160"),
                state: if age > 20 {
                    StoreState::Disconnected
                } else {
                    StoreState::Up
                },
                leader_count: if faulty {
                    0
                } else if killed {
                    32
                } else {
                    21
                },
                region_count: 64,
                heartbeat_age: Some(secs(age as f64)),
                capacity_bytes: None,
                available_bytes: None,
            }
        })
        .collect();
    let leaderless = if (10..16).contains(&t) { 21 } else { 0 };
    ClusterSnapshot {
        taken_at: secs(t as f64),
        pd_reachable: true,
        pd_members: vec![PdMember {
            name: "pd0".into(),
            client_url: "http://pd0:2379".into(),
            is_leader: true,
            healthy: Some(true),
            serves_tso: None,
        }],
        stores,
        regions: RegionHealth {
            total: 64,
            without_leader: leaderless,
            under_replicated: if killed { 64 } else { 0 },
            led_from_dead_node: 0,
        },
        processes: SERVICES
            .iter()
            .zip([1u64, 4, 5])
            .map(|(s, id)| Process {
                service: s.to_string(),
                role: NodeRole::Tikv,
                state: if killed && *s == "tikv1" {
                    ProcessState::Exited {
                        exit_code: Some(137),
                    }
                } else {
                    ProcessState::Running
                },
                network_connected: true,
                store: Some(id),
                cpu_limit: None,
                packet_loss: None,
            })
            .collect(),
        troubles: Vec::new(),
    }
}

pub fn kill() -> Evidence {
    let mut recorder = EvidenceRecorder::default();
    let mut monitor = Monitor::default();
    for t in 0..=35u64 {
        if t == 10 {
            monitor.fault_injected(secs(10.0));
            let event = ClusterEvent {
                at: secs(10.1),
                service: "tikv1".into(),
                kind: EventKind::Died {
                    exit_code: Some(137),
                },
            };
            monitor.on_event(&event);
            recorder.record_event(event);
        }
        let s = snapshot(t);
        monitor.on_snapshot(&s);
        recorder.record_snapshot(s);
        let ops = if (10..16).contains(&t) { 900.0 } else { 5000.0 };
        let sample = WorkloadSample {
            at: secs(t as f64 + 0.5),
            ops_per_sec: ops,
            errors_per_sec: 0.0,
            p99: Some(Duration::from_millis(8)),
            source: SampleSource::Simulator,
        };
        monitor.on_workload(&sample, Some(5000.0));
        recorder.record_sample(sample);
    }
    recorder.evidence(secs(36.0), Some(5000.0), monitor.incidents().to_vec())
}
