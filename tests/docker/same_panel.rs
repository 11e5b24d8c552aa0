//! The simulator and the stand-in project side by side: the same fault at
//! the same moment in both, and the Cluster panel's figures (each store's
//! state, the region row) compared at the same moments of the story. A
//! presenter who rehearses on the simulator sees on stage what they saw.
//!
//! The simulator runs at ten times real time with TiKV's own 10 s
//! heartbeat; the stand-ins heartbeat every second, which is the same
//! cluster at the same pace.

use std::time::Duration;

use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::docker::DockerBackend;
use chaosdeck::cluster::sim::{SimBackend, SimConfig};
use chaosdeck::cluster::{
    ClusterBackend, ClusterSnapshot, FaultKind, FaultTarget, Recovery, RegionHealth,
};
use chaosdeck::testing::docker_config;

use crate::standin_project::StandinProject;
use crate::support::docker_or_skip;

/// What the Cluster panel shows: each store's state by service, and the
/// region row.
#[derive(Debug, Clone, PartialEq)]
struct Panel {
    stores: Vec<(String, String)>,
    regions: RegionHealth,
}

fn panel(snapshot: &ClusterSnapshot) -> Panel {
    let mut stores: Vec<(String, String)> = snapshot
        .stores
        .iter()
        .map(|s| (s.service.clone(), s.state.to_string()))
        .collect();
    stores.sort();
    Panel {
        stores,
        regions: snapshot.regions,
    }
}

async fn both(sim: &SimBackend, docker: &DockerBackend) -> (Panel, Panel) {
    let (a, b) = tokio::join!(sim.snapshot(), docker.snapshot());
    (
        panel(&a.expect("a simulator snapshot")),
        panel(&b.expect("a stand-in snapshot")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_and_the_stand_ins_show_the_same_cluster_panel() {
    let Some(_) = docker_or_skip("same-panel").await else {
        return;
    };
    let project = StandinProject::up("panel");
    project.wait_ready(Duration::from_secs(60)).await;
    let docker = DockerBackend::new(
        docker_config(&project.project, &project.pd_url),
        ShowClock::start(1.0),
    )
    .expect("the Docker backend");
    let sim = SimBackend::new(
        SimConfig {
            seed: 5,
            stores: 3,
            regions: 12,
            load_at_start: false,
            ..SimConfig::default()
        },
        ShowClock::start(10.0),
    )
    .expect("the simulator");
    // Let the simulator's first heartbeats land.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut moments = Vec::new();
    let (a, b) = both(&sim, &docker).await;
    moments.push(("healthy", a, b));

    let (x, y) = tokio::join!(
        sim.inject(FaultKind::Kill.into(), FaultTarget::Tikv("tikv1")),
        docker.inject(FaultKind::Kill.into(), FaultTarget::Tikv("tikv1"))
    );
    x.expect("kill in the simulator");
    y.expect("kill in the stand-ins");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (a, b) = both(&sim, &docker).await;
    moments.push(("0.5 s after the kill", a, b));

    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (a, b) = both(&sim, &docker).await;
    moments.push(("4 s after the kill", a, b));

    let (x, y) = tokio::join!(
        sim.recover(Recovery::Start, "tikv1", None),
        docker.recover(Recovery::Start, "tikv1", None)
    );
    x.expect("start in the simulator");
    y.expect("start in the stand-ins");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (a, b) = both(&sim, &docker).await;
    moments.push(("4 s after the restart", a, b));

    let differ: Vec<String> = moments
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(when, a, b)| format!("{when}:\n  simulator  {a:?}\n  stand-ins  {b:?}"))
        .collect();
    assert!(
        differ.is_empty(),
        "the Cluster panel differs:\n{}\n(all moments: {moments:#?})",
        differ.join("\n")
    );
    // And the story was there to see: the store went and came back.
    assert!(
        moments[2]
            .2
            .stores
            .contains(&("tikv1".into(), "Disconnected".into())),
        "{moments:#?}"
    );
    assert!(
        moments[3].2.stores.iter().all(|(_, s)| s == "Up"),
        "{moments:#?}"
    );
}
