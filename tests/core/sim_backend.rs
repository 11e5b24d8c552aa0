//! The simulator behind the backend trait, on paused tokio time.

use std::time::Duration;

use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::sim::{SimBackend, SimConfig, SimStartError};
use chaosdeck::cluster::{
    BackendError, ClusterBackend, ClusterSource, EventKind, FaultKind, FaultTarget, ProcessState,
    Recovery, StoreState,
};
use chaosdeck::workload::SampleSource;

fn backend(speed: f64) -> SimBackend {
    SimBackend::new(SimConfig::default(), ShowClock::start(speed)).expect("sim starts")
}

#[tokio::test(start_paused = true)]
async fn a_kill_shows_as_an_event_then_disconnected() {
    let sim = backend(1.0);
    assert_eq!(sim.source(), ClusterSource::Sim);
    let mut streams = sim.subscribe();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let fault = sim
        .inject(FaultKind::Kill.into(), FaultTarget::Tikv("tikv1"))
        .await
        .expect("kill");
    assert!(fault.at >= Duration::from_millis(4900) && fault.at <= Duration::from_secs(5));
    let event = streams.events.recv().await.expect("event stream open");
    assert_eq!(event.service, "tikv1");
    assert_eq!(
        event.kind,
        EventKind::Died {
            exit_code: Some(137)
        }
    );

    tokio::time::sleep(Duration::from_secs(25)).await;
    let snap = sim.snapshot().await.expect("snapshot");
    assert!(snap.pd_reachable);
    assert!(snap.taken_at >= Duration::from_secs(29));
    let store = snap.store("tikv1").expect("store");
    assert_eq!(store.state, StoreState::Disconnected);
    assert_eq!(
        snap.process("tikv1").map(|p| p.state.clone()),
        Some(ProcessState::Exited {
            exit_code: Some(137)
        })
    );

    let sample = streams.samples.recv().await.expect("sample stream open");
    assert_eq!(sample.source, SampleSource::Simulator);
    assert_eq!(sim.dropped(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_driver_follows_show_time_at_speed() {
    let sim = backend(10.0);
    let mut streams = sim.subscribe();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // 3 s of real time is 30 s of show time: about 30 samples, pushed by the driver alone.
    let mut count = 0;
    while streams.samples.try_recv().is_ok() {
        count += 1;
    }
    assert!((29..=30).contains(&count), "{count} samples");
}

#[tokio::test(start_paused = true)]
async fn errors_pass_through_and_recovery_works() {
    let sim = backend(1.0);
    let mut streams = sim.subscribe();
    sim.inject(FaultKind::Pause.into(), FaultTarget::Tikv("tikv0"))
        .await
        .expect("pause");
    assert!(matches!(
        sim.inject(FaultKind::Kill.into(), FaultTarget::Tikv("tikv2"))
            .await,
        Err(BackendError::FaultInPlace { .. })
    ));
    assert!(matches!(
        sim.recover(Recovery::Start, "tikv0", None).await,
        Err(BackendError::NothingToRecover { .. })
    ));
    sim.recover(Recovery::Unpause, "tikv0", None)
        .await
        .expect("unpause");
    let kinds = [
        streams.events.recv().await.map(|e| e.kind),
        streams.events.recv().await.map(|e| e.kind),
    ];
    assert_eq!(kinds, [Some(EventKind::Paused), Some(EventKind::Unpaused)]);
    sim.set_load(false).await.expect("load off");
    while streams.samples.try_recv().is_ok() {}
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        streams.samples.try_recv().is_err(),
        "no samples while the load is off"
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_the_backend_stops_its_driver() {
    let sim = backend(1.0);
    let mut streams = sim.subscribe();
    drop(sim);
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The driver held the only senders; with it gone both streams end.
    assert!(streams.events.recv().await.is_none());
    assert!(streams.samples.recv().await.is_none());
}

#[test]
fn outside_a_runtime_it_says_so() {
    let clock = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        rt.block_on(async { ShowClock::start(1.0) })
    };
    assert!(matches!(
        SimBackend::new(SimConfig::default(), clock),
        Err(SimStartError::NoRuntime)
    ));
    let bad = SimConfig {
        stores: 9,
        ..SimConfig::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    rt.block_on(async {
        assert!(matches!(
            SimBackend::new(bad, ShowClock::start(1.0)),
            Err(SimStartError::Config(_))
        ));
    });
}

#[tokio::test(start_paused = true)]
async fn a_signals_only_simulator_says_so_and_refuses_a_partition() {
    let config = SimConfig {
        faults: vec![
            FaultKind::Pause,
            FaultKind::Kill,
            FaultKind::Stop,
            FaultKind::Kill,
        ],
        ..SimConfig::default()
    };
    let sim = SimBackend::new(config, ShowClock::start(1.0)).expect("sim starts");
    let capabilities = sim.capabilities();
    assert_eq!(
        capabilities.kinds,
        [FaultKind::Kill, FaultKind::Stop, FaultKind::Pause],
        "in FaultKind's order, once each"
    );
    assert!(capabilities.refuses_by_name("pd0"));
    assert!(!capabilities.allows_non_tikv(FaultTarget::Named("pd0")));
    let before = sim.snapshot().await.expect("snapshot");
    assert_eq!(
        sim.inject(FaultKind::Partition.into(), FaultTarget::Named("tikv1"))
            .await,
        Err(BackendError::Unsupported {
            kind: FaultKind::Partition,
            cluster: "SIM".into()
        })
    );
    assert_eq!(
        sim.snapshot().await.expect("snapshot").processes,
        before.processes
    );
    // A PD member named by the script is still no TiKV node.
    assert!(matches!(
        sim.inject(FaultKind::Kill.into(), FaultTarget::Named("pd0")).await,
        Err(BackendError::Refused(ref why)) if why.contains("pd0")
    ));
    sim.inject(FaultKind::Pause.into(), FaultTarget::Tikv("tikv1"))
        .await
        .expect("a pause it can apply");
}

/// The show's own forwarding: when the simulator goes, its streams close,
/// and the app says so in the monitor pane, once each, journalled.
#[tokio::test(start_paused = true)]
async fn closed_streams_reach_the_monitor_pane() {
    use chaosdeck::app::{Level, update};
    use chaosdeck::show::inputs::{EVENTS_CLOSED, SAMPLES_CLOSED, spawn_streams};
    let sim = backend(1.0);
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let cancel = tokio_util::sync::CancellationToken::new();
    spawn_streams(sim.subscribe(), tx, cancel.clone());
    drop(sim);
    let mut app = chaosdeck::testing::default_app();
    app.start();
    let mut said = 0;
    while said < 2 {
        let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("the closing is said")
            .expect("the forwarder runs");
        said += usize::from(matches!(msg, chaosdeck::app::Msg::Notice(_)));
        update(&mut app, msg);
    }
    let pane: Vec<(Level, &str)> = app
        .chronicle()
        .pane()
        .iter()
        .map(|e| (e.level, e.text.as_str()))
        .collect();
    for closed in [EVENTS_CLOSED, SAMPLES_CLOSED] {
        assert_eq!(
            pane.iter().filter(|(_, text)| *text == closed).count(),
            1,
            "{pane:?}"
        );
        assert!(app.journal().entries().any(|e| e.text == closed));
    }
    assert!(
        pane.iter().all(|(level, _)| *level == Level::Warning),
        "{pane:?}"
    );
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn every_tikv_process_carries_the_id_of_the_store_it_serves() {
    let sim = backend(1.0);
    let snapshot = sim.snapshot().await.expect("snapshot");
    assert!(!snapshot.stores.is_empty());
    for store in &snapshot.stores {
        let process = snapshot.process_of_store(store.id).expect("its process");
        assert_eq!(process.service, store.service);
    }
    for process in &snapshot.processes {
        assert_eq!(
            process.store.is_some(),
            process.role == chaosdeck::cluster::NodeRole::Tikv
        );
    }
}
