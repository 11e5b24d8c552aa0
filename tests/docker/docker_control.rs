//! DockerControl against the real engine: discovery by Compose labels, the
//! store-to-service mapping, every fault and recovery with the events they
//! cause, the refusals, and log following.
//!
//! Needs a Docker engine (nothing is pulled: the image is built locally from
//! a static test program). Without one the tests print `SKIP: ...` and pass;
//! `CHAOSDECK_REQUIRE_DOCKER=1` makes them fail instead.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::support::{self, TestProject, docker_or_skip, eventually, unique_project};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::docker::{
    EventWatchConfig, LogFollowConfig, WatchStatus, event_watch, follow_log, service_of_address,
};
use chaosdeck::cluster::{
    BackendError, ClusterEvent, EventKind, FaultKind, NodeRole, ProcessState, Recovery,
};

/// The next event about `service` (others are skipped), within `limit`.
async fn next_event_of(
    events: &mut mpsc::Receiver<ClusterEvent>,
    service: &str,
    limit: Duration,
) -> Option<EventKind> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .ok()??;
        if event.service == service {
            return Some(event.kind);
        }
    }
}

const EVENT_WAIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_recoveries_on_a_compose_labelled_project() {
    let project = unique_project("faults");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let control = control.with_stop_timeout(Duration::from_secs(5));
    let fixture = TestProject::create(control.docker(), &project).await;
    for service in ["pd0", "tikv0", "tikv1", "load"] {
        fixture.start_service(service).await;
    }
    // A container of another project, whose name even starts like ours.
    fixture
        .start_labelled(&format!("{project}-other"), "tikv9")
        .await;

    // Discovery by label only, roles by service name.
    let containers = control.containers().await.expect("listing");
    let found: Vec<(&str, NodeRole)> = containers
        .iter()
        .map(|c| (c.service.as_str(), c.role))
        .collect();
    assert_eq!(
        found,
        vec![
            ("load", NodeRole::Load),
            ("pd0", NodeRole::Pd),
            ("tikv0", NodeRole::Tikv),
            ("tikv1", NodeRole::Tikv),
        ]
    );
    assert_eq!(
        control.project_networks().await.expect("networks"),
        vec![fixture.network.clone()]
    );
    let processes = control.processes().await.expect("processes");
    assert!(
        processes
            .iter()
            .all(|p| p.state == ProcessState::Running && p.network_connected),
        "{processes:?}"
    );
    assert_eq!(
        control.load_service().await.expect("listing").as_deref(),
        Some("load")
    );

    // Stores map to services through the host part of their address.
    for address in ["tikv0:20160", "tikv1:20160"] {
        let service = service_of_address(address);
        let container = control.container_of(service).await.expect("a store's node");
        assert_eq!(container.service, service);
        assert_eq!(container.role, NodeRole::Tikv);
    }
    assert!(matches!(
        control.container_of("tikv9").await,
        Err(BackendError::UnknownTarget(_))
    ));

    // Events, with reconciliation slowed down so only the stream reports.
    let (tx, mut events) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let config = EventWatchConfig {
        reconcile_every: Duration::from_secs(60),
        ..Default::default()
    };
    let mut watch = event_watch(
        control.clone(),
        ShowClock::start(1.0),
        tx,
        config,
        cancel.clone(),
    );
    let watch_task = tokio::spawn(watch.run);
    // `wait_for` hands back a guard on the status: drop it at once, or the
    // watch could not publish its next status.
    let live = tokio::time::timeout(
        EVENT_WAIT,
        watch.status.wait_for(|s| *s == WatchStatus::Live),
    )
    .await
    .map(|seen| seen.is_ok());
    assert_eq!(live, Ok(true), "the event watch goes live");

    // PD and load are refused unless named explicitly.
    assert_eq!(
        control.inject(FaultKind::Kill.into(), "pd0", false).await,
        Err(BackendError::NotTikv {
            service: "pd0".into()
        })
    );
    assert_eq!(
        control.inject(FaultKind::Pause.into(), "load", false).await,
        Err(BackendError::NotTikv {
            service: "load".into()
        })
    );

    // Kill: SIGKILL, the death reported with 137 within a second.
    control
        .inject(FaultKind::Kill.into(), "tikv0", false)
        .await
        .expect("kill tikv0");
    assert_eq!(
        next_event_of(&mut events, "tikv0", Duration::from_secs(1)).await,
        Some(EventKind::Died {
            exit_code: Some(137)
        }),
        "the die event arrives within 1 s"
    );
    let killed = control.container_of("tikv0").await.expect("tikv0");
    assert_eq!(
        killed.state,
        ProcessState::Exited {
            exit_code: Some(137)
        }
    );
    assert!(matches!(
        control.inject(FaultKind::Kill.into(), "tikv0", false).await,
        Err(BackendError::Refused(_))
    ));
    control
        .recover(Recovery::Start, "tikv0", None)
        .await
        .expect("start tikv0");
    assert_eq!(
        next_event_of(&mut events, "tikv0", EVENT_WAIT).await,
        Some(EventKind::Started)
    );
    assert!(matches!(
        control.recover(Recovery::Start, "tikv0", None).await,
        Err(BackendError::NothingToRecover { .. })
    ));

    // Stop: SIGTERM, handled by the node, a clean exit.
    control
        .inject(FaultKind::Stop.into(), "tikv1", false)
        .await
        .expect("stop tikv1");
    assert_eq!(
        next_event_of(&mut events, "tikv1", EVENT_WAIT).await,
        Some(EventKind::Died { exit_code: Some(0) })
    );
    control
        .recover(Recovery::Start, "tikv1", None)
        .await
        .expect("start tikv1");
    assert_eq!(
        next_event_of(&mut events, "tikv1", EVENT_WAIT).await,
        Some(EventKind::Started)
    );

    // Pause and unpause; no second fault on a paused node.
    control
        .inject(FaultKind::Pause.into(), "tikv0", false)
        .await
        .expect("pause tikv0");
    assert_eq!(
        next_event_of(&mut events, "tikv0", EVENT_WAIT).await,
        Some(EventKind::Paused)
    );
    assert_eq!(
        control.inject(FaultKind::Kill.into(), "tikv0", false).await,
        Err(BackendError::FaultInPlace {
            kind: FaultKind::Pause,
            service: "tikv0".into()
        })
    );
    control
        .recover(Recovery::Unpause, "tikv0", None)
        .await
        .expect("unpause tikv0");
    assert_eq!(
        next_event_of(&mut events, "tikv0", EVENT_WAIT).await,
        Some(EventKind::Unpaused)
    );
    assert!(matches!(
        control.recover(Recovery::Unpause, "tikv0", None).await,
        Err(BackendError::NothingToRecover { .. })
    ));

    // Partition: cut from the project network, then back with its alias.
    control
        .inject(FaultKind::Partition.into(), "tikv1", false)
        .await
        .expect("partition tikv1");
    assert_eq!(
        next_event_of(&mut events, "tikv1", EVENT_WAIT).await,
        Some(EventKind::NetworkDisconnected)
    );
    let processes = control.processes().await.expect("processes");
    let tikv1 = processes
        .iter()
        .find(|p| p.service == "tikv1")
        .expect("tikv1 listed");
    assert_eq!(tikv1.state, ProcessState::Running);
    assert!(!tikv1.network_connected);
    assert_eq!(
        control
            .inject(FaultKind::Partition.into(), "tikv1", false)
            .await,
        Err(BackendError::FaultInPlace {
            kind: FaultKind::Partition,
            service: "tikv1".into()
        })
    );
    control
        .recover(Recovery::Reconnect, "tikv1", None)
        .await
        .expect("reconnect tikv1");
    assert_eq!(
        next_event_of(&mut events, "tikv1", EVENT_WAIT).await,
        Some(EventKind::NetworkReconnected)
    );
    let inspect = control
        .docker()
        .inspect_container(&format!("{project}-tikv1-1"), None)
        .await
        .expect("inspect tikv1");
    let aliases = inspect
        .network_settings
        .and_then(|n| n.networks)
        .and_then(|mut n| n.remove(&fixture.network))
        .and_then(|endpoint| endpoint.aliases)
        .unwrap_or_default();
    assert!(
        aliases.contains(&"tikv1".to_string()),
        "reconnected under its service name: {aliases:?}"
    );
    assert!(matches!(
        control.recover(Recovery::Reconnect, "tikv1", None).await,
        Err(BackendError::NothingToRecover { .. })
    ));

    // Slow: the CPU quota lowered through the Engine API, no event, the
    // limit read back from the engine, and put back as it was.
    let before = control.cpu_limit("tikv1").await.expect("tikv1's limit");
    let slow = chaosdeck::cluster::FaultSpec::with(FaultKind::Slow, "cpus", 0.2).unwrap();
    control
        .inject(slow, "tikv1", false)
        .await
        .expect("slow tikv1");
    let limit_of = |processes: Vec<chaosdeck::cluster::Process>| {
        processes
            .into_iter()
            .find(|p| p.service == "tikv1")
            .and_then(|p| p.cpu_limit)
            .map(|l| l.to_string())
    };
    let processes = control.processes().await.expect("processes");
    assert_eq!(limit_of(processes).as_deref(), Some("0.2 CPUs"));
    assert_eq!(
        next_event_of(&mut events, "tikv1", Duration::from_secs(1)).await,
        None,
        "a CPU limit is no runtime event"
    );
    assert!(matches!(
        control.recover(Recovery::Restore, "tikv1", None).await,
        Err(BackendError::Refused(why)) if why.contains("not known")
    ));
    control
        .recover(Recovery::Restore, "tikv1", Some(&before))
        .await
        .expect("restore tikv1's CPU limit");
    let processes = control.processes().await.expect("processes");
    assert_eq!(limit_of(processes), None, "no limit again, as before");
    assert!(matches!(
        control
            .recover(Recovery::Restore, "tikv1", Some(&before))
            .await,
        Err(BackendError::NothingToRecover { .. })
    ));

    // Packet loss: DROP rules in a chain of ours in tikv1's network
    // namespace, written by the helper; no event; the rules read back;
    // cleared by flushing and deleting the chain, and a second clear finds
    // nothing to do.
    let lossy = control
        .clone()
        .with_net_helper_image(support::net_helper_image());
    let loss = chaosdeck::cluster::FaultSpec::with(FaultKind::Loss, "percent", 30.0).unwrap();
    lossy
        .inject(loss, "tikv1", false)
        .await
        .expect("loss on tikv1");
    let tikv1 = lossy.container_of("tikv1").await.expect("tikv1");
    let listed = lossy.net_rules(&tikv1).await.expect("tikv1's rules");
    let percent = chaosdeck::cluster::docker::netfault::loss_in(&listed);
    assert!(percent.is_some_and(|p| (p - 30.0).abs() < 0.01), "{listed}");
    assert!(matches!(
        lossy.inject(loss, "tikv1", false).await,
        Err(BackendError::FaultInPlace {
            kind: FaultKind::Loss,
            ..
        })
    ));
    assert_eq!(
        next_event_of(&mut events, "tikv1", Duration::from_secs(1)).await,
        None,
        "packet loss is no runtime event"
    );
    // The snapshots show what the filter said, on that node only.
    let loss_of = |processes: Vec<chaosdeck::cluster::Process>| -> Vec<(String, Option<f64>)> {
        processes
            .into_iter()
            .filter(|p| p.role == chaosdeck::cluster::NodeRole::Tikv)
            .map(|p| (p.service, p.packet_loss.map(|l| l.percent())))
            .collect()
    };
    let seen = loss_of(lossy.processes().await.expect("processes"));
    assert!(seen.contains(&("tikv1".into(), Some(30.0))), "{seen:?}");
    assert!(
        seen.iter().filter(|(_, l)| l.is_some()).count() == 1,
        "{seen:?}"
    );
    lossy
        .recover(Recovery::Clear, "tikv1", None)
        .await
        .expect("clear tikv1's rules");
    let listed = lossy.net_rules(&tikv1).await.expect("tikv1's rules");
    assert!(!listed.contains("CHAOSDECK"), "{listed}");
    let seen = loss_of(lossy.processes().await.expect("processes"));
    assert!(seen.iter().all(|(_, l)| l.is_none()), "{seen:?}");
    assert!(matches!(
        lossy.recover(Recovery::Clear, "tikv1", None).await,
        Err(BackendError::NothingToRecover { .. })
    ));
    // A restart gives the container a new network namespace: the rules
    // went with the old one, and the snapshots stop showing them.
    lossy
        .inject(loss, "tikv1", false)
        .await
        .expect("loss again");
    control
        .docker()
        .restart_container(&tikv1.id, None)
        .await
        .expect("restart tikv1");
    let listed = lossy.net_rules(&tikv1).await.expect("tikv1's rules");
    assert!(!listed.contains("CHAOSDECK"), "{listed}");
    let seen = loss_of(lossy.processes().await.expect("processes"));
    assert!(seen.iter().all(|(_, l)| l.is_none()), "{seen:?}");
    assert!(matches!(
        lossy.recover(Recovery::Clear, "tikv1", None).await,
        Err(BackendError::NothingToRecover { .. })
    ));
    let missing = control
        .clone()
        .with_net_helper_image("chaosdeck-netfault:no-such-tag")
        .inject(loss, "tikv1", false)
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("build-image.sh"), "{missing}");

    // Named explicitly, a PD may be faulted.
    control
        .inject(FaultKind::Pause.into(), "pd0", true)
        .await
        .expect("pause pd0 when allowed");
    assert_eq!(
        next_event_of(&mut events, "pd0", EVENT_WAIT).await,
        Some(EventKind::Paused)
    );
    control
        .recover(Recovery::Unpause, "pd0", None)
        .await
        .expect("unpause pd0");

    cancel.cancel();
    let _ = watch_task.await;
    drop(fixture);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_output_is_followed_across_a_restart() {
    let project = unique_project("logs");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let control = control.with_stop_timeout(Duration::from_secs(5));
    let fixture = TestProject::create(control.docker(), &project).await;
    fixture.start_service("load").await;

    let (tx, mut lines) = mpsc::channel(256);
    let cancel = CancellationToken::new();
    let config = LogFollowConfig {
        initial_tail: None,
        ..Default::default()
    };
    let task = tokio::spawn(follow_log(
        control.clone(),
        "load".into(),
        tx,
        config,
        cancel.clone(),
    ));

    // The fixture's first line (Takes 10.0, Count 7948) as it reads after
    // one second of the test node's run.
    let expected_read = "READ   - Takes(s): 1.0, Count: 795, OPS: 796.2, Avg(us): 395";

    let mut seen = Vec::new();
    let mut receive_until = async |seen: &mut Vec<String>, done: &dyn Fn(&[String]) -> bool| {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(seen) {
            match tokio::time::timeout_at(deadline, lines.recv()).await {
                Ok(Some(line)) => seen.push(line),
                _ => return false,
            }
        }
        true
    };
    let reads = |seen: &[String]| seen.iter().filter(|l| l.starts_with("READ ")).count();
    assert!(
        receive_until(&mut seen, &|s| reads(s) >= 2
            && s.iter().any(|l| l.contains("client.go")))
        .await,
        "stdout and stderr lines arrive: {seen:?}"
    );
    assert!(
        seen.iter().any(|l| l.starts_with(expected_read)),
        "{seen:?}"
    );
    assert!(seen.iter().all(|l| !l.contains('\n') && !l.ends_with('\r')));

    control.stop_service("load").await.expect("stop the load");
    assert!(
        receive_until(&mut seen, &|s| s
            .iter()
            .any(|l| l.contains("SIGTERM received")))
        .await,
        "the last words before the stop arrive"
    );
    let before_restart = reads(&seen);
    control.start_service("load").await.expect("start the load");
    assert!(
        receive_until(&mut seen, &|s| reads(s) >= before_restart + 2).await,
        "lines resume after the restart"
    );
    let stops = seen
        .iter()
        .filter(|l| l.contains("SIGTERM received"))
        .count();
    assert_eq!(stops, 1, "nothing is repeated when the stream re-opens");

    // Stopping a stopped service or starting a running one is a no-op.
    control
        .start_service("load")
        .await
        .expect("already running");
    let running = eventually(Duration::from_secs(2), || async {
        control
            .container_of("load")
            .await
            .is_ok_and(|c| c.is_running())
    })
    .await;
    assert!(running);

    cancel.cancel();
    let _ = task.await;
    drop(fixture);
}
