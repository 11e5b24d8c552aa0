//! DockerBackend through the ClusterBackend trait against the real engine:
//! a project of stand-in nodes, no PD (so the picture is marked stale), the
//! one-fault-at-a-time rule, the load switched by `set_load`, and events and
//! go-ycsb samples arriving on the subscribed streams.
//!
//! Skips with `SKIP: ...` without an engine; `CHAOSDECK_REQUIRE_DOCKER=1`
//! makes that a failure.

use std::time::Duration;

use crate::support::{TestProject, docker_or_skip, unique_project};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::docker::DockerBackend;
use chaosdeck::cluster::{
    BackendError, ClusterBackend, ClusterSource, EventKind, FaultKind, FaultTarget, ProcessState,
    Recovery,
};
use chaosdeck::testing::{NO_PD, docker_config};
use chaosdeck::workload::SampleSource;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backend_drives_a_compose_project() {
    let project = unique_project("backend");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    for service in ["pd0", "tikv0", "tikv1", "tikv2", "load"] {
        fixture.start_service(service).await;
    }
    // Nothing listens at port 1: PD is "down" for the whole test.
    let mut config = docker_config(&project, NO_PD);
    config.events.reconcile_every = Duration::from_secs(60);
    let backend = DockerBackend::new(config, ShowClock::start(1.0)).expect("backend");
    assert_eq!(
        backend.source(),
        ClusterSource::Docker {
            project: project.clone()
        }
    );
    let mut streams = backend.subscribe();

    // PD silent: a snapshot all the same, marked stale, with the processes.
    let snapshot = backend.snapshot().await.expect("a snapshot without PD");
    assert!(!snapshot.pd_reachable);
    assert!(snapshot.stores.is_empty());
    assert_eq!(snapshot.processes.len(), 5);
    assert!(
        snapshot
            .processes
            .iter()
            .all(|p| p.state == ProcessState::Running)
    );

    // Samples from the load container's go-ycsb output.
    let sample = tokio::time::timeout(WAIT, streams.samples.recv())
        .await
        .expect("a sample within 10 s")
        .expect("the stream is open");
    assert_eq!(sample.source, SampleSource::GoYcsb);
    assert!(sample.ops_per_sec > 0.0, "{sample:?}");

    // One fault at a time.
    let fault = backend
        .inject(FaultKind::Kill.into(), FaultTarget::Tikv("tikv0"))
        .await
        .expect("kill tikv0");
    assert_eq!(fault.kind(), FaultKind::Kill);
    assert_eq!(fault.service, "tikv0");
    assert_eq!(
        backend
            .inject(FaultKind::Pause.into(), FaultTarget::Tikv("tikv1"))
            .await,
        Err(BackendError::FaultInPlace {
            kind: FaultKind::Kill,
            service: "tikv0".into()
        })
    );
    let died = loop {
        let event = tokio::time::timeout(WAIT, streams.events.recv())
            .await
            .expect("an event")
            .expect("the stream is open");
        if event.service == "tikv0" {
            break event.kind;
        }
    };
    assert_eq!(
        died,
        EventKind::Died {
            exit_code: Some(137)
        }
    );
    backend
        .recover(Recovery::Start, "tikv0", None)
        .await
        .expect("start tikv0");

    // PD is refused as a node the show chose; named by the script it is allowed.
    assert_eq!(
        backend
            .inject(FaultKind::Pause.into(), FaultTarget::Tikv("pd0"))
            .await,
        Err(BackendError::NotTikv {
            service: "pd0".into()
        })
    );
    backend
        .inject(FaultKind::Pause.into(), FaultTarget::Named("pd0"))
        .await
        .expect("pause pd0 when named");
    backend
        .recover(Recovery::Unpause, "pd0", None)
        .await
        .expect("unpause pd0");

    // The load is switched by stopping and starting its container.
    backend.set_load(false).await.expect("load off");
    let load_state = |snapshot: &chaosdeck::cluster::ClusterSnapshot| {
        snapshot.process("load").map(|p| p.state.clone())
    };
    let snapshot = backend.snapshot().await.expect("snapshot");
    assert!(
        matches!(load_state(&snapshot), Some(ProcessState::Exited { .. })),
        "{:?}",
        load_state(&snapshot)
    );
    backend.set_load(true).await.expect("load on");
    let snapshot = backend.snapshot().await.expect("snapshot");
    assert_eq!(load_state(&snapshot), Some(ProcessState::Running));

    drop(backend);
    drop(fixture);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doctor_sees_the_project_and_the_missing_pd() {
    use chaosdeck::doctor::{self, Status};
    use clap::Parser;

    let project = unique_project("doctor");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    for service in ["pd0", "tikv0", "tikv1", "tikv2", "load"] {
        fixture.start_service(service).await;
    }
    let cli = chaosdeck::cli::Cli::try_parse_from([
        "chaosdeck",
        "--compose-project",
        &project,
        "--pd",
        "http://127.0.0.1:1",
        "--net-helper-image",
        crate::support::net_helper_image(),
    ])
    .expect("flags parse");
    let report = doctor::run(&cli.show).await;
    let status = |name: &str| {
        report
            .checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.status)
    };
    let text = report.render();
    assert_eq!(status("Docker engine"), Some(Status::Ok), "{text}");
    assert_eq!(status("Compose project"), Some(Status::Ok), "{text}");
    assert_eq!(status("PD services"), Some(Status::Ok), "{text}");
    assert_eq!(status("TiKV services"), Some(Status::Ok), "{text}");
    assert_eq!(status("load service"), Some(Status::Ok), "{text}");
    assert_eq!(status("load output"), Some(Status::Ok), "{text}");
    assert_eq!(status("PD"), Some(Status::Fail), "{text}");
    assert_eq!(status("TiKV stores"), Some(Status::Skipped), "{text}");
    // Every fault kind has its row; the slow store's is proved on tikv0.
    for kind in chaosdeck::cluster::FaultKind::ALL {
        assert_eq!(status(&format!("fault {kind}")), Some(Status::Ok), "{text}");
    }
    assert!(
        text.contains("tikv0's CPU limit (no CPU limit) written back and read again"),
        "{text}"
    );
    let limit = control.cpu_limit("tikv0").await.expect("tikv0's limit");
    assert_eq!(
        chaosdeck::cluster::docker::cpu::cpus_of(&limit),
        None,
        "left as it was"
    );
    assert!(!report.ok());
    assert!(text.contains("Not ready"), "{text}");
    drop(fixture);
}
