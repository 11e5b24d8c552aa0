//! Kiosk mode: the booth loop on the simulator and paused tokio time (passes
//! in a row, hung calls cancelled by their deadlines), and its policy at the
//! level of `update` (a person stepping in, the hold and its release, the
//! halt key, ESC on every kind of action).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chaosdeck::agent::{Analyzer, AnalyzerError, BuiltinAnalyzer, Diagnosis, Evidence};
use chaosdeck::app::{
    ActionStatus, App, Command, Cursor, Effect, Entry, HoldKind, Kind, Mode, Msg, update,
};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::{
    BackendError, Before, Capabilities, ClusterBackend, ClusterSnapshot, ClusterSource, FaultKind,
    FaultSpec, FaultTarget, InjectedFault, Recovery, Subscriptions,
};
use chaosdeck::show::{Change, Frontend};
use chaosdeck::story::default_script;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use chaosdeck::testing::{self, healthy, secs};

/// Records the journal and leaves after `passes` passes have ended.
struct Booth {
    entries: Arc<Mutex<Vec<Entry>>>,
    cursor: Cursor,
    leave: testing::LeaveAfter,
}

impl Booth {
    fn new(passes: u64) -> Self {
        Self {
            entries: Arc::default(),
            cursor: Cursor::default(),
            leave: testing::LeaveAfter::new(passes),
        }
    }
}

impl Frontend for Booth {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {
        self.leave.input(tx);
    }

    fn changed(&mut self, app: &App, _change: Change) {
        let (_, new) = app.journal().read(&mut self.cursor);
        self.entries.lock().unwrap().extend(new.cloned());
        self.leave.changed(app);
    }
}

async fn run_kiosk(
    backend: Arc<dyn ClusterBackend>,
    analyzer: Arc<dyn Analyzer>,
    clock: ShowClock,
    passes: u64,
) -> (App, Vec<Entry>) {
    let mut app = App::new(testing::config(default_script(), Mode::Kiosk));
    let mut show = testing::show_with(backend, analyzer, clock);
    let mut booth = Booth::new(passes);
    show.run(&mut app, &mut booth).await;
    let entries = booth.entries.lock().unwrap().clone();
    (app, entries)
}

fn pass_ends(entries: &[Entry]) -> Vec<(u32, bool, String)> {
    entries
        .iter()
        .filter_map(|e| match e.kind {
            Kind::PassEnd { healthy } => Some((e.pass, healthy, e.text.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn fifty_kiosk_passes_rotate_every_fault_kind_and_each_ends_healthy() {
    let clock = ShowClock::start(1.0);
    let backend = testing::sim_backend(11, clock).await;
    let (app, entries) = run_kiosk(
        Arc::clone(&backend),
        Arc::new(BuiltinAnalyzer::instant()),
        clock,
        50,
    )
    .await;
    let ends = pass_ends(&entries);
    assert_eq!(ends.len(), 50, "{ends:#?}");
    for (pass, healthy, text) in &ends {
        assert!(healthy, "pass {pass}: {text}");
    }
    let faults: Vec<chaosdeck::cluster::FaultSpec> = entries
        .iter()
        .filter_map(|e| match e.kind {
            Kind::Fault { fault, .. } => Some(fault),
            _ => None,
        })
        .collect();
    assert!(faults.len() >= 50, "{faults:?}");
    for (i, kind) in faults.iter().take(50).enumerate() {
        assert_eq!(
            kind.kind(),
            FaultKind::ALL[i % FaultKind::ALL.len()],
            "pass {}",
            i + 1
        );
    }
    // Every pass detected its fault, was diagnosed and recovered.
    let board = &app.scoreboard();
    assert_eq!(board.faults.values().sum::<u64>(), faults.len() as u64);
    assert!(board.recover.count() >= 50);
    assert!(app.hold().is_none());
    // Nothing grows with the passes.
    assert!(app.journal().len() <= chaosdeck::app::journal::KEPT);
    assert!(app.world().monitor().incidents().len() <= chaosdeck::monitor::HISTORY_LIMIT);
    assert!(app.chronicle().pane().len() <= chaosdeck::app::PANE_LINES);
    let snapshot = backend.snapshot().await.unwrap();
    assert!(snapshot.is_healthy(), "{snapshot:?}");
}

/// The simulator, with a first injection that never answers.
struct HangsOnce {
    inner: Arc<dyn ClusterBackend>,
    hung: AtomicBool,
}

#[async_trait]
impl ClusterBackend for HangsOnce {
    fn source(&self) -> ClusterSource {
        self.inner.source()
    }
    async fn snapshot(&self) -> Result<ClusterSnapshot, BackendError> {
        self.inner.snapshot().await
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn inject(
        &self,
        spec: FaultSpec,
        target: FaultTarget<'_>,
    ) -> Result<InjectedFault, BackendError> {
        if !self.hung.swap(true, Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        self.inner.inject(spec, target).await
    }
    async fn recover(
        &self,
        recovery: Recovery,
        service: &str,
        before: Option<&Before>,
    ) -> Result<(), BackendError> {
        self.inner.recover(recovery, service, before).await
    }
    async fn set_load(&self, running: bool) -> Result<(), BackendError> {
        self.inner.set_load(running).await
    }
    fn subscribe(&self) -> Subscriptions {
        self.inner.subscribe()
    }
}

#[tokio::test(start_paused = true)]
async fn a_hung_injection_is_given_up_at_its_deadline_and_the_loop_goes_on() {
    let clock = ShowClock::start(1.0);
    let backend: Arc<dyn ClusterBackend> = Arc::new(HangsOnce {
        inner: testing::sim_backend(5, clock).await,
        hung: AtomicBool::new(false),
    });
    let (_, entries) = run_kiosk(
        Arc::clone(&backend),
        Arc::new(BuiltinAnalyzer::instant()),
        clock,
        3,
    )
    .await;
    let ends = pass_ends(&entries);
    assert_eq!(ends.len(), 3, "{ends:#?}");
    assert!(!ends[0].1, "the hung pass failed: {:?}", ends[0]);
    assert!(ends[0].2.contains("no answer"), "{:?}", ends[0]);
    assert!(ends[1].1 && ends[2].1, "{ends:#?}");
    assert!(backend.snapshot().await.unwrap().is_healthy());
}

/// An analyzer that never answers.
struct Silent;

#[async_trait]
impl Analyzer for Silent {
    fn name(&self) -> &str {
        "silent"
    }
    async fn diagnose(
        &self,
        _evidence: Evidence,
        _progress: mpsc::Sender<chaosdeck::agent::Progress>,
    ) -> Result<Diagnosis, AnalyzerError> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_diagnosis_that_never_comes_is_cancelled_and_the_node_healed() {
    let clock = ShowClock::start(1.0);
    let backend = testing::sim_backend(9, clock).await;
    let (_, entries) = run_kiosk(Arc::clone(&backend), Arc::new(Silent), clock, 2).await;
    let ends = pass_ends(&entries);
    assert_eq!(ends.len(), 2, "{ends:#?}");
    for (pass, healthy, text) in &ends {
        assert!(!healthy, "pass {pass}: {text}");
        assert!(text.contains("no diagnosis within 60.0s"), "{text}");
    }
    assert!(
        entries.iter().any(|e| e.text.starts_with("RECOVERY:")),
        "the fault was recovered"
    );
    // Two failed passes in a row: the kiosk holds.
    assert!(entries.iter().any(|e| e.kind == Kind::Hold));
    let snapshot = backend.snapshot().await.unwrap();
    assert!(
        chaosdeck::cluster::health::leftovers(&snapshot).is_empty(),
        "{snapshot:?}"
    );
}

// ---- policy, at the level of update ----------------------------------------

const QUICK_STORY: &str = r#"
[kiosk]
idle = "30s"
faults = [{ kind = "pause", target = "tikv1" }]

[[chapter]]
title = "One"
dwell = "2s"

[[chapter]]
title = "Two"
dwell = "2s"
"#;

fn kiosk_app(story: &str) -> App {
    let mut app = testing::app_with_mode(story, Mode::Kiosk);
    app.start();
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.0)))));
    app
}

fn tick(app: &mut App, at: f64) -> Vec<Effect> {
    let mut fx = update(app, Msg::Tick(secs(at)));
    fx.extend(update(app, Msg::Snapshot(Ok(healthy(secs(at))))));
    fx
}

#[test]
fn a_person_takes_control_and_autoplay_resumes_after_the_idle_time() {
    let mut app = kiosk_app(QUICK_STORY);
    assert!(app.autoplay());
    update(&mut app, Msg::Command(Command::Touch));
    assert!(!app.autoplay(), "any key hands control to the presenter");
    for t in 1..=20 {
        tick(&mut app, f64::from(t));
    }
    assert_eq!(
        app.chapter(),
        0,
        "no autoplay while the presenter has control"
    );
    for t in 21..=31 {
        tick(&mut app, f64::from(t));
    }
    assert!(app.autoplay(), "autoplay resumed after 30 s without a key");
    for t in 32..=35 {
        tick(&mut app, f64::from(t));
    }
    assert_eq!(app.chapter(), 1, "and the story moves on by itself");
    // K toggles it off and back on.
    update(&mut app, Msg::Command(Command::ToggleAutoplay));
    assert!(!app.autoplay());
    update(&mut app, Msg::Command(Command::ToggleAutoplay));
    assert!(app.autoplay());
}

#[test]
fn the_kiosk_rotation_replaces_the_scripts_fault() {
    let story = r#"
[kiosk]
faults = [{ kind = "partition", target = "tikv2" }, { kind = "stop", target = "tikv0" }]

[[chapter]]
title = "Fault"
on_enter = [{ action = "inject_fault", kind = "kill", target = "tikv1" }]
"#;
    let mut app = testing::app_with_mode(story, Mode::Kiosk);
    app.start();
    let fx = update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.5)))));
    let injected = fx.iter().find_map(|e| match e {
        Effect::Inject { spec, service, .. } => Some((spec.kind(), service.clone())),
        _ => None,
    });
    assert_eq!(injected, Some((FaultKind::Partition, "tikv2".to_string())));
    assert_eq!(app.pass_fault(), Some(FaultKind::Partition));
}

/// Ends a pass of QUICK_STORY with `snapshot` on screen; returns the time
/// and the effects asked for.
fn end_pass_with(
    app: &mut App,
    from: f64,
    snapshot: impl Fn(Duration) -> ClusterSnapshot,
) -> (f64, Vec<Effect>) {
    let pass = app.pass();
    let mut t = from;
    let mut fx = Vec::new();
    while app.scoreboard().passes < u64::from(pass) {
        t += 0.5;
        fx.extend(update(app, Msg::Tick(secs(t))));
        fx.extend(update(app, Msg::Snapshot(Ok(snapshot(secs(t))))));
        assert!(t < from + 60.0, "the pass did not end");
    }
    (t, fx)
}

#[test]
fn two_unhealthy_passes_hold_the_kiosk_until_the_cluster_is_healthy() {
    let mut app = kiosk_app(QUICK_STORY);
    let broken = |at| testing::after_kill(at, "tikv2");
    let (mut t, mut fx) = end_pass_with(&mut app, 0.0, broken);
    assert!(app.hold().is_none(), "one unhealthy pass does not hold");
    // Between passes the node is healed (here it stays down) until the
    // interlude's deadline, then the next pass starts.
    while app.pass() == 1 {
        t += 1.0;
        fx.extend(update(&mut app, Msg::Tick(secs(t))));
        fx.extend(update(&mut app, Msg::Snapshot(Ok(broken(secs(t))))));
        assert!(t < 200.0, "the interlude never ended");
    }
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Recover { recovery: Recovery::Start, service } if service == "tikv2")),
        "the exited node is healed: {fx:?}"
    );
    end_pass_with(&mut app, t, broken);
    let hold = app
        .hold()
        .cloned()
        .expect("held after two unhealthy passes");
    assert_eq!(hold.kind, HoldKind::Unhealthy);
    assert!(hold.why.contains("2 passes in a row"), "{}", hold.why);
    assert!(hold.why.contains("tikv2"), "{}", hold.why);
    // What was tried shows on the banner.
    update(
        &mut app,
        Msg::Recovered {
            recovery: Recovery::Start,
            service: "tikv2".into(),
            result: Err(BackendError::Refused("no such container".into())),
        },
    );
    let tried = app.hold().unwrap().tried.join("; ");
    assert!(tried.contains("could not heal tikv2"), "{tried}");
    let pass = app.pass();
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(t + 200.0)))));
    assert!(app.hold().is_none(), "released once healthy");
    assert_eq!(app.pass(), pass + 1, "and the next pass begins");
}

/// Answers the load switch that `fx` asks for (the story's start_load).
fn answer_load_on(app: &mut App, fx: &[Effect]) -> Vec<Effect> {
    let Some(Effect::SetLoad { run, .. }) = fx
        .iter()
        .find(|e| matches!(e, Effect::SetLoad { running: true, .. }))
        .cloned()
    else {
        panic!("no start_load in {fx:?}")
    };
    update(
        app,
        Msg::LoadSet {
            run,
            running: true,
            result: Ok(()),
        },
    )
}

#[test]
fn halt_recovers_stops_the_load_and_holds_until_h_again() {
    let mut app = testing::app_with(
        r#"
[[chapter]]
title = "Fault"
on_enter = [{ action = "start_load" }, { action = "inject_fault", kind = "kill", target = "tikv1" }]
"#,
    );
    let fx = app.start();
    answer_load_on(&mut app, &fx);
    let fx = update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.5)))));
    let Some(Effect::Inject { run, .. }) = fx.first().cloned() else {
        panic!("{fx:?}")
    };
    update(
        &mut app,
        Msg::Injected {
            run,
            result: Ok(InjectedFault {
                spec: FaultKind::Kill.into(),
                service: "tikv1".into(),
                at: secs(1.0),
            }),
        },
    );
    let fx = update(&mut app, Msg::Command(Command::Halt));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Recover { service, .. } if service == "tikv1"))
    );
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::SetLoad { running: false, .. }))
    );
    assert_eq!(app.hold().map(|h| h.kind), Some(HoldKind::Halted));
    // Halted: a new pass starts nothing, neither the load nor a fault,
    // until H again.
    let fx = update(&mut app, Msg::Command(Command::Reset));
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::SetLoad { running: true, .. })),
        "{fx:?}"
    );
    let fx = update(&mut app, Msg::Snapshot(Ok(healthy(secs(2.0)))));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Inject { .. })));
    assert!(matches!(&app.status(), Some(ActionStatus::Running(t)) if t.contains("halted")));
    let fx = update(&mut app, Msg::Command(Command::Halt));
    assert!(app.hold().is_none());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::SetLoad { running: true, .. })),
        "released: the story starts over: {fx:?}"
    );
}

#[test]
fn esc_abandons_every_kind_of_action_and_late_answers_do_not_reopen_it() {
    let actions = [
        r#"{ action = "wait_healthy" }"#,
        r#"{ action = "start_load" }"#,
        r#"{ action = "await_baseline" }"#,
        r#"{ action = "countdown", seconds = 5 }"#,
        r#"{ action = "inject_fault", kind = "pause", target = "tikv1" }"#,
        r#"{ action = "await_detection" }"#,
        r#"{ action = "diagnose" }"#,
        r#"{ action = "recover" }"#,
        r#"{ action = "await_recovery" }"#,
    ];
    for action in actions {
        // A script whose first action never completes at once.
        let story = format!(
            "[[chapter]]\ntitle = \"A\"\non_enter = [{{ action = \"start_load\" }}, {action}]\n"
        );
        let mut app = testing::app_with(&story);
        // Detection and recovery wait only while a fault is in place.
        if action.contains("\"recover\"") || action.contains("await_detection") {
            let fault = InjectedFault {
                spec: FaultKind::Pause.into(),
                service: "tikv1".into(),
                at: secs(0.1),
            };
            app.timeline_mut().injected = Some(fault.clone());
            app.set_fault(chaosdeck::app::FaultState::InPlace(fault));
        }
        let fx = app.start();
        let mut fx = answer_load_on(&mut app, &fx);
        // A broken cluster keeps the waits waiting; the inject needs a
        // healthy one to be sent, and detection one that shows nothing.
        let snapshot = if action.contains("inject_fault") || action.contains("await_detection") {
            healthy(secs(0.5))
        } else {
            testing::after_kill(secs(0.5), "tikv0")
        };
        fx.extend(update(&mut app, Msg::Snapshot(Ok(snapshot))));
        assert!(
            !app.run().unwrap().finished(),
            "{action}: finished at once: {:?}",
            app.status()
        );
        fx.extend(update(&mut app, Msg::Command(Command::Abort)));
        assert!(
            matches!(&app.status(), Some(ActionStatus::Aborted(_))),
            "{action}: {:?}",
            app.status()
        );
        // Late answers to whatever was in flight are recorded only.
        for effect in fx {
            let late = match effect {
                Effect::Inject {
                    run, spec, service, ..
                } => Msg::Injected {
                    run,
                    result: Ok(InjectedFault {
                        spec,
                        service,
                        at: secs(1.0),
                    }),
                },
                Effect::Diagnose { run, .. } => Msg::Diagnosed {
                    run,
                    result: Err(AnalyzerError::NoEvidence),
                },
                _ => continue,
            };
            let fx = update(&mut app, late);
            assert!(
                matches!(
                    &app.status(),
                    Some(ActionStatus::Aborted(_)) | Some(ActionStatus::Running(_))
                ),
                "{action}: {:?}",
                app.status()
            );
            assert!(app.run().unwrap().finished(), "{action}: re-opened");
            if action.contains("inject_fault") {
                assert!(
                    fx.iter().any(|e| matches!(e, Effect::Recover { .. })),
                    "a late fault after ESC is undone: {fx:?}"
                );
            }
        }
    }
}

#[test]
fn a_halted_kiosk_stays_where_it_is_until_h_again() {
    let mut app = kiosk_app(QUICK_STORY);
    press_twice(&mut app, Command::Halt);
    assert!(!app.autoplay(), "a halt stops autoplay");
    for t in 1..=60 {
        tick(&mut app, f64::from(t));
    }
    assert_eq!(
        (app.pass(), app.chapter()),
        (1, 0),
        "nothing moved while halted"
    );
    update(&mut app, Msg::Command(Command::Halt));
    assert!(app.autoplay());
    assert_eq!(app.pass(), 2, "released: the story starts over");
}

/// A key the kiosk asks to be pressed twice, pressed twice: the first
/// press only asks, so its effects are the second's.
fn press_twice(app: &mut App, command: Command) -> Vec<Effect> {
    let first = update(app, Msg::Command(command));
    assert!(
        !first
            .iter()
            .any(|e| matches!(e, Effect::Quit { .. } | Effect::Recover { .. })),
        "the first press only asks: {first:?}"
    );
    update(app, Msg::Command(command))
}
