//! Clusters as the backends report them: fixed snapshots, a workload sample,
//! the simulator, and the fault and engine event of a kill.

use std::time::Duration;

use crate::cluster::sim::{SimConfig, Simulator};
use crate::cluster::{
    ClusterEvent, ClusterSnapshot, EventKind, FaultKind, InjectedFault, NodeRole, PdMember,
    Process, ProcessState, RegionHealth, Store, StoreState,
};
use crate::workload::{SampleSource, WorkloadSample};

/// The three TiKV services of the fixed snapshots, and their store ids.
pub const SERVICES: [&str; 3] = ["tikv0", "tikv1", "tikv2"];
pub const IDS: [u64; 3] = [1, 4, 5];

pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// A healthy three-store cluster at show time `at`, 64 regions.
pub fn healthy(at: Duration) -> ClusterSnapshot {
    ClusterSnapshot {
        taken_at: at,
        pd_reachable: true,
        pd_members: (0..3)
            .map(|i| PdMember {
                name: format!("pd{i}"),
                client_url: format!("http://pd{i}:2379"),
                is_leader: i == 0,
                healthy: Some(true),
                serves_tso: None,
            })
            .collect(),
        stores: SERVICES
            .iter()
            .zip(IDS)
            .zip([22, 21, 21])
            .map(|((service, id), leaders)| Store {
                id,
                service: service.to_string(),
                address: format!("{service}:20160"),
                state: StoreState::Up,
                leader_count: leaders,
                region_count: 64,
                heartbeat_age: Some(secs(3.0)),
                capacity_bytes: Some(500 << 30),
                available_bytes: Some(400 << 30),
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
            .zip(IDS)
            .map(|(s, id)| Process {
                service: s.to_string(),
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

/// `service` killed: its store Disconnected, its leaders gone, 21 regions leaderless.
pub fn after_kill(at: Duration, service: &str) -> ClusterSnapshot {
    let mut s = healthy(at);
    for store in &mut s.stores {
        if store.service == service {
            store.state = StoreState::Disconnected;
            store.heartbeat_age = Some(secs(24.0));
        }
    }
    // As real PD reports it within a demo: the dead store keeps its 21
    // leaders until new ones heartbeat, no region is without a leader or
    // reported under-replicated; both backends derive the regions led from
    // the dead node from those leaders and the runtime.
    s.regions.led_from_dead_node = 21;
    for p in &mut s.processes {
        if p.service == service {
            p.state = ProcessState::Exited {
                exit_code: Some(137),
            };
        }
    }
    s
}

/// The simulator's workload at `at`: `ops` a second, no errors, p99 8 ms.
pub fn sample(at: Duration, ops: f64) -> WorkloadSample {
    WorkloadSample {
        at,
        ops_per_sec: ops,
        errors_per_sec: 0.0,
        p99: Some(Duration::from_millis(8)),
        source: SampleSource::Simulator,
    }
}

/// The simulator of `stores` stores and `regions` regions, seeded, the
/// other settings the defaults.
pub fn simulator(seed: u64, stores: u8, regions: u32) -> Simulator {
    Simulator::new(SimConfig {
        seed,
        stores,
        regions,
        ..SimConfig::default()
    })
    .expect("valid config")
}

/// The backend's answer to killing `service` at `at`.
pub fn kill(at: Duration, service: &str) -> InjectedFault {
    InjectedFault {
        spec: FaultKind::Kill.into(),
        service: service.into(),
        at,
        struck: Default::default(),
    }
}

/// The runtime's event of `service` killed at `at` (exit code 137).
pub fn died(at: Duration, service: &str) -> ClusterEvent {
    ClusterEvent {
        at,
        service: service.into(),
        kind: EventKind::Died {
            exit_code: Some(137),
        },
    }
}
