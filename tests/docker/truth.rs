//! Issue 8's fixes on the Docker side, against the real engine: the fault's
//! time is when the call starts (its engine event never comes earlier), and
//! the log follower that opened a stopped container keeps the first reports
//! of its next start.
//!
//! Skips with `SKIP: ...` without an engine; `CHAOSDECK_REQUIRE_DOCKER=1`
//! makes that a failure.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::support::{TestProject, docker_or_skip, eventually, unique_project};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::docker::{DockerBackend, LogFollowConfig, follow_log};
use chaosdeck::cluster::{ClusterBackend, EventKind, FaultKind, FaultTarget, Recovery};
use chaosdeck::testing::{NO_PD, docker_config};

const WAIT: Duration = Duration::from_secs(10);

/// The engine applies the fault and emits its event before its reply: the
/// fault's time is taken when the call starts, so it is never after the
/// event (which the monitor then credits to the fault at +0.0 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faults_time_is_when_the_call_started() {
    let project = unique_project("faulttime");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    for service in ["tikv0", "tikv1"] {
        fixture.start_service(service).await;
    }
    let mut config = docker_config(&project, NO_PD);
    config.events.reconcile_every = Duration::from_secs(60);
    let backend = DockerBackend::new(config, ShowClock::start(1.0)).expect("backend");
    let mut streams = backend.subscribe();
    // The watch is up once the engine answers; give it a moment to attach.
    assert!(eventually(WAIT, || async { backend.snapshot().await.is_ok() }).await);
    tokio::time::sleep(Duration::from_millis(500)).await;

    for (kind, recovery) in [
        (FaultKind::Kill, Recovery::Start),
        (FaultKind::Pause, Recovery::Unpause),
        (FaultKind::Partition, Recovery::Reconnect),
    ] {
        let fault = backend
            .inject(kind.into(), FaultTarget::Tikv("tikv1"))
            .await
            .expect("inject");
        let event = loop {
            let event = tokio::time::timeout(WAIT, streams.events.recv())
                .await
                .expect("the fault's event within 10 s")
                .expect("the stream is open");
            let is_the_fault = event.service == "tikv1"
                && matches!(
                    event.kind,
                    EventKind::Died { .. } | EventKind::Paused | EventKind::NetworkDisconnected
                );
            if is_the_fault {
                break event;
            }
        };
        assert!(
            fault.at <= event.at,
            "{kind}: fault at {:?}, its event at {:?}",
            fault.at,
            event.at
        );
        backend
            .recover(recovery, "tikv1", None)
            .await
            .expect("recover");
    }
    drop(fixture);
}

/// The follower first opens the load while it is stopped (nothing to send);
/// the load starts later: its very first report, printed at once, arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_reports_after_a_start_are_kept() {
    let project = unique_project("logstart");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let control = control.with_stop_timeout(Duration::from_secs(5));
    let fixture = TestProject::create(control.docker(), &project).await;
    fixture.start_service("load").await;
    control.stop_service("load").await.expect("stop the load");

    let (tx, mut lines) = mpsc::channel(256);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(follow_log(
        control.clone(),
        "load".into(),
        tx,
        LogFollowConfig::default(),
        cancel.clone(),
    ));
    // Let the follower look at the stopped container and back off.
    tokio::time::sleep(Duration::from_secs(3)).await;
    control.start_service("load").await.expect("start the load");

    let deadline = tokio::time::Instant::now() + WAIT;
    let first_read = loop {
        match tokio::time::timeout_at(deadline, lines.recv()).await {
            Ok(Some(line)) if line.starts_with("READ ") => break line,
            Ok(Some(_)) => {}
            _ => panic!("no READ line after the start"),
        }
    };
    assert!(
        first_read.starts_with("READ   - Takes(s): 1.0,"),
        "the first report of the run, not a later one: {first_read}"
    );
    cancel.cancel();
    let _ = task.await;
    drop(fixture);
}
