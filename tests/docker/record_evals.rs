//! The Docker cases of the evaluation set (`evals/docker-*`), recorded from
//! real runs: the stand-in project (fake nodes built by the tests, no PD,
//! so PD is unreachable throughout) driven by DockerBackend against the
//! real engine, each fault on tikv1, the evidence gathered as the show
//! gathers it. The expected answer comes from what was injected.
//!
//! `cargo test --test docker -- --ignored record_docker_cases` rewrites
//! them. Also here: a node's recent log lines read back from the engine.

use std::path::Path;
use std::time::Duration;

use chaosdeck::agent::FaultClass;
use chaosdeck::agent::eval::{CaseFile, Expectation};
use chaosdeck::agent::{Evidence, EvidenceRecorder};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::docker::DockerBackend;
use chaosdeck::cluster::{ClusterBackend, FaultKind, FaultTarget, Subscriptions};
use chaosdeck::monitor::Monitor;
use chaosdeck::testing::{NO_PD, docker_config};

use crate::support::{TestProject, docker_or_skip, unique_project};

/// Feeds the recorder and the monitor for `span`, a snapshot a second.
async fn watch(
    backend: &DockerBackend,
    streams: &mut Subscriptions,
    recorder: &mut EvidenceRecorder,
    monitor: &mut Monitor,
    baseline: Option<f64>,
    span: Duration,
) {
    let end = tokio::time::Instant::now() + span;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(end) => return,
            _ = tick.tick() => {
                if let Ok(snapshot) = backend.snapshot().await {
                    monitor.on_snapshot(&snapshot);
                    recorder.record_snapshot(snapshot);
                }
            }
            Some(event) = streams.events.recv() => {
                monitor.on_event(&event);
                recorder.record_event(event);
            }
            Some(sample) = streams.samples.recv() => {
                monitor.on_workload(&sample, baseline);
                recorder.record_sample(sample);
            }
        }
    }
}

fn mean_ops(evidence: &Evidence) -> Option<f64> {
    let ops: Vec<f64> = evidence.samples.iter().map(|s| s.ops_per_sec).collect();
    (!ops.is_empty()).then(|| ops.iter().sum::<f64>() / ops.len() as f64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "rewrites evals/docker-*: run by hand"]
async fn record_docker_cases() {
    let project = unique_project("evals");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    for service in ["pd0", "tikv0", "tikv1", "tikv2", "load"] {
        fixture.start_service(service).await;
    }
    let clock = ShowClock::start(1.0);
    let mut config = docker_config(&project, NO_PD);
    config.net_helper_image = crate::support::net_helper_image().to_string();
    let backend = DockerBackend::new(config, clock).expect("backend");
    let mut streams = backend.subscribe();
    // A slow store and packet loss are offered once proved on this engine,
    // as at launch.
    let offered = backend.prove(&[FaultKind::Slow, FaultKind::Loss]).await;
    assert!(offered.supports(FaultKind::Slow), "{:?}", offered.why_not);
    assert!(offered.supports(FaultKind::Loss), "{:?}", offered.why_not);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("evals");
    for (kind, cause, words) in [
        (
            FaultKind::Kill,
            Some(FaultClass::ProcessCrash),
            "a kill (SIGKILL)",
        ),
        (
            FaultKind::Stop,
            Some(FaultClass::GracefulStop),
            "a graceful stop (docker stop)",
        ),
        (
            FaultKind::Pause,
            Some(FaultClass::Frozen),
            "a pause (docker pause)",
        ),
        (
            FaultKind::Partition,
            Some(FaultClass::NetworkPartition),
            "a network partition (disconnected from the project's network)",
        ),
        (
            FaultKind::Slow,
            Some(FaultClass::SlowStore),
            "a slow store (CPU quota lowered to 0.2 CPUs with docker update)",
        ),
        (
            FaultKind::Loss,
            Some(FaultClass::PacketLoss),
            "packet loss (30% of its packets dropped by iptables rules in its network namespace; the stand-in load here does not go through it, so only the node's packet filter shows it)",
        ),
    ] {
        let mut recorder = EvidenceRecorder::default();
        let mut monitor = Monitor::default();
        watch(
            &backend,
            &mut streams,
            &mut recorder,
            &mut monitor,
            None,
            Duration::from_secs(5),
        )
        .await;
        let baseline = mean_ops(&recorder.evidence(clock.now(), None, vec![]));
        let target = FaultTarget::Tikv("tikv1");
        let before = backend.before(kind.into(), target).await.expect("before");
        let fault = backend.inject(kind.into(), target).await.expect("inject");
        monitor.fault_injected(fault.at);
        watch(
            &backend,
            &mut streams,
            &mut recorder,
            &mut monitor,
            baseline,
            Duration::from_secs(6),
        )
        .await;
        let evidence = recorder.evidence(clock.now(), baseline, monitor.incidents().to_vec());
        backend
            .recover(kind.recovery(), "tikv1", before.as_ref())
            .await
            .expect("recover");
        // Let the recovery's own events pass before the next case.
        let mut scratch = EvidenceRecorder::default();
        watch(
            &backend,
            &mut streams,
            &mut scratch,
            &mut Monitor::default(),
            None,
            Duration::from_secs(3),
        )
        .await;
        let file = CaseFile {
            description: format!(
                "{words} of tikv1 in the stand-in Docker project, diagnosed 6 s later; the project has no PD, so PD is unreachable throughout"
            ),
            recorded: "a real run against the Docker engine (stand-in nodes built by the tests), through DockerBackend, by tests/docker/record_evals.rs".into(),
            expect: Expectation {
                root_cause: cause,
                service: Some("tikv1".into()),
                action: format!("{} tikv1", kind.recovery()),
                declines: false,
            },
        };
        let case = dir.join(format!("docker-{kind}"));
        std::fs::create_dir_all(&case).unwrap();
        std::fs::write(case.join("case.toml"), toml::to_string(&file).unwrap()).unwrap();
        let mut json = serde_json::to_string_pretty(&evidence).unwrap();
        json.push('\n');
        std::fs::write(case.join("evidence.json"), json).unwrap();
    }
    drop(backend);
    drop(fixture);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_recent_log_lines_come_from_the_engine() {
    let project = unique_project("logs");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    fixture.start_service("tikv0").await;
    let backend =
        DockerBackend::new(docker_config(&project, NO_PD), ShowClock::start(1.0)).expect("backend");
    // The stand-in prints a round of lines every second.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let lines = backend.recent_logs("tikv0", 3).await.expect("logs");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("fake client log") || l.contains("Takes(s)")),
        "{lines:?}"
    );
    assert!(
        backend.recent_logs("tikv9", 3).await.is_err(),
        "no such service"
    );
    drop(backend);
    drop(fixture);
}
