//! The fixes of issue 8 as the app sees them: a fault's engine event that
//! beats the injection's answer, the load the story stops itself, and the
//! health gate reading PD and the runtime together.

use std::time::Duration;

use chaosdeck::app::{Effect, Msg, update};
use chaosdeck::cluster::{
    ClusterEvent, EventKind, FaultKind, InjectedFault, NodeRole, Process, ProcessState,
};
use chaosdeck::monitor::Signal;
use chaosdeck::testing::*;

fn inject_run(effects: &[Effect]) -> Option<u64> {
    effects.iter().find_map(|e| match e {
        Effect::Inject { run, .. } => Some(*run),
        _ => None,
    })
}

/// The engine applies the kill and emits `die` before its own reply: the
/// fault's time is when the call started (3.0 s), the event (3.04 s) is its
/// first detection, by process event.
#[test]
fn the_engines_event_before_the_answer_is_the_faults_detection() {
    let mut app = app_with(&stories::kill_chapter("tikv1"));
    app.start();
    let effects = update(&mut app, Msg::Snapshot(Ok(healthy(secs(3.0)))));
    let run = inject_run(&effects).expect("the cluster is healthy: inject");
    update(
        &mut app,
        Msg::Event(ClusterEvent {
            at: secs(3.04),
            service: "tikv1".into(),
            kind: EventKind::Died {
                exit_code: Some(137),
            },
        }),
    );
    update(
        &mut app,
        Msg::Injected {
            run,
            result: Ok(InjectedFault {
                spec: FaultKind::Kill.into(),
                service: "tikv1".into(),
                at: secs(3.0),
                struck: Default::default(),
            }),
        },
    );
    assert_eq!(
        app.timeline().detected,
        Some((Duration::from_millis(40), Signal::ProcessEvent))
    );
    // The journal's readers count it in the fault's episode too.
    let brief = app.scoreboard().brief_lines(None).join("\n");
    assert!(brief.contains("process 0.0s/0.0s"), "{brief}");
    // Held until the answer: the journal tells the fault first, then what
    // detected it, never a detection of the node before its fault.
    // The fault is stamped when it landed, and what detected it when it
    // did: the journal reads in time order (issue 21, item 9).
    let stamps: Vec<_> = app
        .journal()
        .entries()
        .filter_map(|e| Some((e.text.as_str(), e.after_fault?)))
        .collect();
    assert!(stamps[0].0.starts_with("INJECTED"), "{stamps:?}");
    assert_eq!(stamps[0].1, Duration::ZERO, "{stamps:?}");
    assert!(stamps.windows(2).all(|w| w[0].1 <= w[1].1), "{stamps:?}");
    let texts: Vec<&str> = app.journal().entries().map(|e| e.text.as_str()).collect();
    let injected = texts.iter().position(|t| t.starts_with("INJECTED"));
    let detected = texts.iter().position(|t| t.starts_with("DETECTED tikv1"));
    assert!(
        matches!((injected, detected), (Some(i), Some(d)) if i < d),
        "{texts:#?}"
    );
}

fn with_load(at: Duration, state: ProcessState) -> chaosdeck::cluster::ClusterSnapshot {
    let mut snap = healthy(at);
    snap.processes.push(Process {
        service: "load".into(),
        role: NodeRole::Load,
        state,
        network_connected: true,
        store: None,
        cpu_limit: None,
        packet_loss: None,
    });
    snap
}

/// `stop_load` stops the load container; its exit (code 0) arrives before
/// the answer and is not a crash.
#[test]
fn stop_load_raises_no_crash_of_the_load() {
    let mut app = app_with(stories::LOAD_ON_OFF);
    app.start();
    update(
        &mut app,
        Msg::Snapshot(Ok(with_load(secs(0.5), ProcessState::Running))),
    );
    let run = app.run().map(|r| r.run);
    update(
        &mut app,
        Msg::LoadSet {
            run,
            running: true,
            result: Ok(()),
        },
    );
    let effects = update(&mut app, Msg::Command(chaosdeck::app::Command::Next));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SetLoad { running: false, .. })),
        "{effects:?}"
    );
    update(
        &mut app,
        Msg::Event(ClusterEvent {
            at: secs(5.0),
            service: "load".into(),
            kind: EventKind::Died { exit_code: Some(0) },
        }),
    );
    let lines: Vec<&str> = app.journal().entries().map(|e| e.text.as_str()).collect();
    assert!(
        !lines.iter().any(|l| l.contains("load: process died")),
        "{lines:#?}"
    );
    assert_eq!(app.world().monitor().open_incidents().count(), 0);
}

/// A TiKV stopped by hand a moment ago: PD still says Up and the last
/// snapshot shows it running, but the runtime's event says otherwise. No
/// second node is faulted until that clears.
#[test]
fn a_node_reported_down_by_its_event_holds_the_fault() {
    let mut app = app_with(&stories::kill_chapter("random"));
    app.start();
    update(
        &mut app,
        Msg::Event(ClusterEvent {
            at: secs(1.0),
            service: "tikv0".into(),
            kind: EventKind::Died { exit_code: Some(0) },
        }),
    );
    let effects = update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.9)))));
    assert_eq!(inject_run(&effects), None, "{effects:?}");
    let status = format!("{:?}", app.status());
    assert!(
        status.contains("not injecting yet: tikv0: the runtime reported: process died"),
        "{status}"
    );
    // Started again: not before a picture newer than that news.
    let effects = update(
        &mut app,
        Msg::Event(ClusterEvent {
            at: secs(2.0),
            service: "tikv0".into(),
            kind: EventKind::Started,
        }),
    );
    assert_eq!(inject_run(&effects), None, "{effects:?}");
    let effects = update(&mut app, Msg::Snapshot(Ok(healthy(secs(2.5)))));
    assert!(inject_run(&effects).is_some(), "{effects:?}");
}
