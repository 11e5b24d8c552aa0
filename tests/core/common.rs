//! Builders shared by the integration tests: fixed clusters, apps and samples.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chaosdeck::agent::BuiltinAnalyzer;
use chaosdeck::app::{App, AppConfig, Mode};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::*;
use chaosdeck::monitor::MonitorConfig;
use chaosdeck::show::{FaultGuard, Show};
use chaosdeck::story::{Script, default_script, parse_script};
use chaosdeck::workload::tracker::TrackerConfig;
use chaosdeck::workload::{SampleSource, WorkloadSample};

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

pub fn sample(at: Duration, ops: f64) -> WorkloadSample {
    WorkloadSample {
        at,
        ops_per_sec: ops,
        errors_per_sec: 0.0,
        p99: Some(Duration::from_millis(8)),
        source: SampleSource::Simulator,
    }
}

pub fn config(script: Script, mode: Mode) -> AppConfig {
    AppConfig {
        source: ClusterSource::Sim,
        script,
        mode,
        seed: 7,
        tracker: TrackerConfig::default(),
        monitor: MonitorConfig::default(),
        analyzer_name: "built-in analyzer".into(),
        exit_after_one_pass: false,
        confirm_window: chaosdeck::app::confirm::WINDOW,
    }
}

pub fn default_app() -> App {
    App::new(config(default_script(), Mode::Presenter))
}

pub fn app_with(script: &str) -> App {
    App::new(config(
        parse_script(script, "test").unwrap(),
        Mode::Presenter,
    ))
}

/// The simulator with the command line's defaults, seeded, on `clock`.
pub async fn sim_backend(seed: u64, clock: ShowClock) -> Arc<dyn ClusterBackend> {
    let args = <chaosdeck::cli::Cli as clap::Parser>::parse_from(["chaosdeck"]).show;
    chaosdeck::launch::backend(&args, seed, clock)
        .await
        .expect("simulator starts")
}

/// The show over `backend`: the built-in analyzer without pacing, no
/// journal file.
pub fn instant_show(backend: Arc<dyn ClusterBackend>, clock: ShowClock) -> Show {
    Show {
        backend,
        analyzer: Arc::new(BuiltinAnalyzer::instant()),
        clock,
        guard: FaultGuard::default(),
        journal: None,
    }
}
