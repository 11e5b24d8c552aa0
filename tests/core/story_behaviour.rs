//! Chapters that wait for what they narrate, a pause that pauses, aborts that
//! are aborts and figures that are the journal's: on the pure `update` and on
//! the whole show with the simulator on paused tokio time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chaosdeck::agent::AnalyzerError;
use chaosdeck::app::episode::PdVerdict;
use chaosdeck::app::{
    ActionStatus, AgentState, App, Command, Cursor, Effect, Entry, ExitKind, Kind, Mode, Msg,
    update,
};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::{
    ClusterEvent, ClusterSource, EventKind, FaultKind, InjectedFault, StoreState,
};
use chaosdeck::monitor::Signal;
use chaosdeck::show::{Change, Frontend};
use chaosdeck::story::{default_script, parse_script};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use chaosdeck::testing::*;

fn press(app: &mut App, command: Command) -> Vec<Effect> {
    update(app, Msg::Command(command))
}

fn tick(app: &mut App, at: f64) -> Vec<Effect> {
    update(app, Msg::Tick(secs(at)))
}

fn story(until: &str) -> String {
    format!(
        r#"
[[chapter]]
title = "Intro"

[[chapter]]
title = "Fault"
on_enter = [{{ action = "inject_fault", kind = "kill", target = "tikv1" }}]
blocks_advance = true

[[chapter]]
title = "Detect"
on_enter = [{{ action = "await_detection", until = "{until}", timeout = "60s" }}]
blocks_advance = true

[[chapter]]
title = "Diagnose"
on_enter = [{{ action = "diagnose", evidence_timeout = "30s" }}]
blocks_advance = true
"#
    )
}

fn kill_event(at: f64) -> Msg {
    Msg::Event(ClusterEvent {
        at: secs(at),
        service: "tikv1".into(),
        kind: EventKind::Died {
            exit_code: Some(137),
        },
    })
}

/// The app of `script` with tikv1 killed at 1.0 s, on the Fault chapter.
fn killed(script: &str, mode: Mode) -> App {
    let mut app = App::new(config(parse_script(script, "test").unwrap(), mode));
    app.start();
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.5)))));
    let fx = if mode == Mode::Presenter {
        press(&mut app, Command::Next)
    } else {
        tick(&mut app, 0.6)
    };
    let fx = if fx.is_empty() {
        tick(&mut app, 0.7)
    } else {
        fx
    };
    let run = fx
        .iter()
        .find_map(|e| match e {
            Effect::Inject { run, .. } => Some(*run),
            _ => None,
        })
        .expect("the fault is injected");
    update(
        &mut app,
        Msg::Injected {
            run,
            result: Ok(InjectedFault {
                spec: FaultKind::Kill.into(),
                service: "tikv1".into(),
                at: secs(1.0),
                struck: Default::default(),
            }),
        },
    );
    app
}

/// tikv1 still Up in PD's eyes, its last heartbeat `age` old, at `at`.
fn pd_not_yet(at: f64, age: f64) -> Msg {
    let mut s = after_kill(secs(at), "tikv1");
    for store in &mut s.stores {
        if store.service == "tikv1" {
            store.state = StoreState::Up;
            store.heartbeat_age = Some(secs(age));
        }
    }
    Msg::Snapshot(Ok(s))
}

#[test]
fn detection_waits_for_pds_verdict_and_shows_each_signal_as_it_arrives() {
    let mut app = killed(&story("pd_verdict"), Mode::Presenter);
    press(&mut app, Command::Next);
    assert_eq!(app.chapter(), 2);
    update(&mut app, kill_event(1.0));
    update(&mut app, pd_not_yet(2.0, 6.0));
    let (after, signal) = app
        .timeline()
        .detected
        .expect("the process event detects it");
    assert_eq!((after, signal), (Duration::ZERO, Signal::ProcessEvent));
    let run = app.run().unwrap();
    assert!(!run.finished(), "the first signal is not PD's verdict");
    assert!(
        matches!(&app.status(), Some(ActionStatus::Running(t)) if t.contains("PD's verdict")),
        "{:?}",
        app.status()
    );
    // The heartbeat age counts up between snapshots, towards PD's threshold.
    tick(&mut app, 5.0);
    let progress = app.detection_progress().unwrap();
    assert_eq!(
        progress.pd,
        PdVerdict::Waiting {
            heartbeat_age: Some(secs(9.0)),
            threshold: secs(20.0)
        }
    );
    assert_eq!(progress.reelection.leaderless, 21);
    assert!(
        space_is_refused(&mut app),
        "one SPACE does not skip PD's verdict"
    );
    update(&mut app, Msg::Snapshot(Ok(after_kill(secs(18.0), "tikv1"))));
    assert!(app.run().unwrap().finished());
    assert!(
        matches!(&app.status(), Some(ActionStatus::Done(t)) if t.contains("PD's verdict 17.0s")),
        "{:?}",
        app.status()
    );
    let progress = app.detection_progress().unwrap();
    assert!(matches!(
        progress.pd,
        PdVerdict::Given { state: StoreState::Disconnected, after_fault } if after_fault == secs(17.0)
    ));
    let names: Vec<Signal> = progress.signals.iter().map(|(s, _)| *s).collect();
    assert_eq!(names.first(), Some(&Signal::ProcessEvent));
    assert!(names.contains(&Signal::StoreState));
}

fn space_is_refused(app: &mut App) -> bool {
    press(app, Command::Next);
    app.chapter() == 2
}

#[test]
fn detection_can_finish_on_the_first_signal() {
    let mut app = killed(&story("first_signal"), Mode::Presenter);
    press(&mut app, Command::Next);
    update(&mut app, kill_event(1.0));
    assert!(app.run().unwrap().finished());
    assert!(
        matches!(&app.status(), Some(ActionStatus::Done(t)) if t.contains("process event")),
        "{:?}",
        app.status()
    );
}

#[test]
fn the_diagnosis_waits_for_the_evidence_it_names_and_says_what_is_missing() {
    let mut app = killed(&story("first_signal"), Mode::Presenter);
    press(&mut app, Command::Next);
    update(&mut app, kill_event(1.0));
    let fx = press(&mut app, Command::Next);
    assert_eq!(app.chapter(), 3);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Diagnose { .. })),
        "not before PD's verdict"
    );
    assert!(
        matches!(&app.status(), Some(ActionStatus::Running(t)) if t.contains("waiting for evidence: PD's verdict on tikv1")),
        "{:?}",
        app.status()
    );
    let fx = update(&mut app, Msg::Snapshot(Ok(after_kill(secs(16.0), "tikv1"))));
    assert!(fx.iter().any(|e| matches!(e, Effect::Diagnose { .. })));
    assert!(app.missing_evidence().is_empty());

    // Without PD's verdict it asks after its wait, naming what is missing.
    let mut app = killed(&story("first_signal"), Mode::Presenter);
    press(&mut app, Command::Next);
    update(&mut app, kill_event(1.0));
    press(&mut app, Command::Next);
    let fx = tick(&mut app, 40.0);
    assert!(fx.iter().any(|e| matches!(e, Effect::Diagnose { .. })));
    assert!(app.journal().entries().any(|e| {
        e.text
            .starts_with("asking the agent without: PD's verdict on tikv1")
    }),);
}

#[test]
fn a_failed_diagnosis_says_why_in_the_analyzers_own_words() {
    let mut app = killed(&story("first_signal"), Mode::Presenter);
    press(&mut app, Command::Next);
    update(&mut app, kill_event(1.0));
    press(&mut app, Command::Next);
    let fx = update(&mut app, Msg::Snapshot(Ok(after_kill(secs(16.0), "tikv1"))));
    let run = fx
        .iter()
        .find_map(|e| match e {
            Effect::Diagnose { run, .. } => Some(*run),
            _ => None,
        })
        .expect("asked for a diagnosis");
    update(
        &mut app,
        Msg::Diagnosed {
            run,
            result: Err(AnalyzerError::NoEvidence),
        },
    );
    let why = AnalyzerError::NoEvidence.to_string();
    assert!(
        matches!(&app.agent().state(), AgentState::Failed(text) if *text == why),
        "{:?}",
        app.agent().state()
    );
    assert!(
        matches!(&app.status(), Some(ActionStatus::Failed(t)) if *t == format!("diagnosis failed: {why}")),
        "{:?}",
        app.status()
    );
}

const READ_FIRST: &str = r#"
[[chapter]]
title = "Fault"
narration = "A node is about to be killed."
on_enter = [
  { action = "countdown", seconds = 3 },
  { action = "inject_fault", kind = "kill", target = "tikv1" },
]
auto_advance = true
blocks_advance = true
lead_in = "6s"
dwell = "5s"

[[chapter]]
title = "After"
"#;

#[test]
fn the_fault_narration_is_read_before_the_countdown_and_stays_for_its_dwell() {
    let mut app = App::new(config(
        parse_script(READ_FIRST, "test").unwrap(),
        Mode::Auto,
    ));
    app.start();
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.1)))));
    let run = app.run().unwrap();
    assert_eq!(run.lead_in(), Some(secs(6.0)), "the narration alone first");
    assert_eq!(app.countdown(), None);
    tick(&mut app, 5.9);
    assert_eq!(app.countdown(), None);
    tick(&mut app, 6.0);
    assert_eq!(app.countdown(), Some(secs(3.0)));
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(8.5)))));
    let fx = tick(&mut app, 9.0);
    let run_id = fx
        .iter()
        .find_map(|e| match e {
            Effect::Inject { run, .. } => Some(*run),
            _ => None,
        })
        .expect("the fault after the countdown");
    // As the show does: timers move to now before a message is applied.
    tick(&mut app, 9.2);
    update(
        &mut app,
        Msg::Injected {
            run: run_id,
            result: Ok(InjectedFault {
                spec: FaultKind::Kill.into(),
                service: "tikv1".into(),
                at: secs(9.2),
                struck: Default::default(),
            }),
        },
    );
    // Its dwell counts from the kill: the chapter stays for all of it.
    for t in [9.5, 11.0, 14.1] {
        tick(&mut app, t);
        assert_eq!(app.chapter(), 0, "left the Fault chapter at {t}");
    }
    tick(&mut app, 14.3);
    assert_eq!(app.chapter(), 1);
}

#[test]
fn a_presenter_gets_no_lead_in() {
    let app = {
        let mut app = App::new(config(
            parse_script(READ_FIRST, "test").unwrap(),
            Mode::Presenter,
        ));
        app.start();
        app
    };
    assert_eq!(app.countdown(), Some(secs(3.0)));
}

#[test]
fn pause_freezes_show_time_on_the_simulator_only() {
    let mut app = default_app();
    app.start();
    let fx = press(&mut app, Command::TogglePause);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::FreezeTime { frozen: true }))
    );
    assert!(app.pause_note().unwrap().contains("frozen"));
    let fx = press(&mut app, Command::TogglePause);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::FreezeTime { frozen: false }))
    );

    let mut cfg = config(default_script(), Mode::Presenter);
    cfg.source = ClusterSource::Docker {
        project: "demo".into(),
    };
    let mut app = App::new(cfg);
    app.start();
    let fx = press(&mut app, Command::TogglePause);
    assert!(!fx.iter().any(|e| matches!(e, Effect::FreezeTime { .. })));
    assert!(app.pause_note().unwrap().contains("keeps running"));
}

#[test]
fn esc_shows_aborted_says_how_to_run_it_again_and_it_runs_again() {
    let mut app = app_with(stories::FAULT_DETECT_RECOVER);
    app.start();
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.5)))));
    press(&mut app, Command::Next);
    tick(&mut app, 1.0);
    press(&mut app, Command::Abort);
    let Some(ActionStatus::Aborted(text)) = &app.status() else {
        panic!("{:?}", app.status());
    };
    assert!(text.contains("countdown"), "{text}");
    assert!(text.contains("runs it again"), "{text}");
    // ESC, then SPACE: on to the next chapter, nothing injected...
    press(&mut app, Command::Next);
    assert_eq!(app.chapter(), 2);
    assert!(app.fault().is_idle());
    // ...and back: the fault that never ran is not "already run", and
    // going back runs nothing; SPACE runs it again.
    press(&mut app, Command::Prev);
    assert_eq!(app.chapter(), 1);
    assert!(
        matches!(&app.status(), Some(ActionStatus::Aborted(t)) if t.ends_with("SPACE runs it again")),
        "{:?}",
        app.status()
    );
    assert_eq!(app.countdown(), None, "going back runs nothing");
    press(&mut app, Command::Next);
    assert_eq!(app.chapter(), 1);
    assert_eq!(app.countdown(), Some(secs(3.0)), "SPACE runs it again");
    let aborted = app
        .journal()
        .entries()
        .filter(|e| e.kind == Kind::ActionAborted)
        .count();
    assert_eq!(aborted, 1);
}

#[test]
fn after_a_reset_mid_fault_the_status_says_only_what_happened_in_this_pass() {
    let mut app = killed(&story("first_signal"), Mode::Presenter);
    let fx = press(&mut app, Command::Reset);
    assert_eq!(app.chapter(), 0);
    assert_eq!(app.status(), None);
    let (recovery, service) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Recover { recovery, service } => Some((*recovery, service.clone())),
            _ => None,
        })
        .expect("the reset recovers the fault");
    update(
        &mut app,
        Msg::Recovered {
            recovery,
            service,
            result: Ok(()),
        },
    );
    assert_eq!(app.status(), None, "Welcome says nothing of the last pass");
}

// ---- the whole show ---------------------------------------------------------

/// Records the journal; presses keys when told, once each.
#[derive(Default)]
struct Recorder {
    entries: Arc<Mutex<Vec<Entry>>>,
    cursor: Cursor,
    tx: Option<mpsc::Sender<Msg>>,
}

impl Frontend for Recorder {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {
        self.tx = Some(tx);
    }

    fn changed(&mut self, app: &App, _change: Change) {
        let (_, new) = app.journal().read(&mut self.cursor);
        self.entries.lock().unwrap().extend(new.cloned());
    }
}

async fn one_pass(seed: u64) -> (ExitKind, Vec<Entry>, App) {
    let clock = ShowClock::start(1.0);
    let backend = sim_backend(seed, clock).await;
    let mut cfg = config(default_script(), Mode::Auto);
    cfg.exit_after_one_pass = true;
    cfg.seed = seed;
    let mut app = App::new(cfg);
    let mut show = instant_show(backend, clock);
    let mut recorder = Recorder::default();
    let exit = show.run(&mut app, &mut recorder).await;
    let entries = recorder.entries.lock().unwrap().clone();
    (exit, entries, app)
}

#[tokio::test(start_paused = true)]
async fn the_timeline_and_scoreboard_figures_are_the_journals_measured_intervals() {
    let (exit, entries, app) = one_pass(11).await;
    assert_eq!(exit, ExitKind::Success);
    let at_of = |pred: &dyn Fn(&Kind) -> bool| {
        entries
            .iter()
            .find(|e| pred(&e.kind))
            .map(|e| e.at)
            .unwrap_or_else(|| panic!("no such entry"))
    };
    let t = &app.timeline();
    let fault_at = t.injected.as_ref().unwrap().at;
    // Each signal: the time from the fault to its detection's entry.
    assert!(!t.signals.is_empty());
    for (signal, after) in &t.signals {
        let detection = entries
            .iter()
            .find(|e| matches!(&e.kind, Kind::Detection { signal: s, .. } if s == signal))
            .unwrap();
        assert_eq!(*after, detection.at - fault_at, "{signal:?}");
        let h = &app.scoreboard().detect[signal];
        let q = h.quantile(0.5).unwrap();
        // The scoreboard keeps each value to the tenth the screen shows.
        assert!(
            q.abs_diff(*after) <= Duration::from_millis(50),
            "{signal:?}: scoreboard {q:?} vs journal {after:?}"
        );
    }
    assert!(t.signal(Signal::StoreState).is_some(), "PD's verdict came");
    // Recovery: from the entry that asked for it to every store Up, and to
    // the load back at its baseline.
    let asked = at_of(&|k| matches!(k, Kind::RecoveryStarted { .. }));
    assert_eq!(t.recovery_started, Some(asked));
    let up = at_of(&|k| matches!(k, Kind::Recovered { .. }));
    assert_eq!(t.stores_up, Some(up - asked));
    let back = at_of(&|k| matches!(k, Kind::LoadBack { .. }));
    assert_eq!(t.load_back, Some(back - asked));
    let q = app.scoreboard().recover.quantile(0.5).unwrap();
    assert!(q.abs_diff(up - asked) <= Duration::from_millis(50));
    let q = app.scoreboard().load_back.quantile(0.5).unwrap();
    assert!(q.abs_diff(back - asked) <= Duration::from_millis(50));
    // The diagnosis: the analyzer's own time, from its question's entry.
    let diagnosed = entries
        .iter()
        .find_map(|e| match e.kind {
            Kind::Diagnosis { took } => Some((e.at, took)),
            _ => None,
        })
        .unwrap();
    assert_eq!(t.diagnosis_took, Some(diagnosed.1));
    let asked_agent = entries
        .iter()
        .find(|e| e.text.starts_with("asking the agent"))
        .unwrap();
    assert_eq!(diagnosed.0 - asked_agent.at, diagnosed.1);
    // PD's verdict was in before the diagnosis was asked for.
    let verdict = fault_at + t.signal(Signal::StoreState).unwrap();
    assert!(verdict <= asked_agent.at);
}

#[tokio::test(start_paused = true)]
async fn pause_freezes_the_simulated_cluster_with_the_show() {
    let clock = ShowClock::start(1.0);
    let backend = sim_backend(5, clock).await;
    tokio::time::advance(Duration::from_secs(3)).await;
    backend.set_load(true).await.unwrap();
    tokio::time::advance(Duration::from_secs(5)).await;
    let before = backend.snapshot().await.unwrap();
    clock.freeze(true);
    tokio::time::advance(Duration::from_secs(60)).await;
    let during = backend.snapshot().await.unwrap();
    assert_eq!(during.taken_at, before.taken_at, "no show time passed");
    let ages = |s: &chaosdeck::cluster::ClusterSnapshot| {
        s.stores
            .iter()
            .map(|st| st.heartbeat_age)
            .collect::<Vec<_>>()
    };
    assert_eq!(ages(&during), ages(&before), "no heartbeat aged");
    clock.freeze(false);
    tokio::time::advance(Duration::from_secs(2)).await;
    let after = backend.snapshot().await.unwrap();
    assert_eq!(after.taken_at, before.taken_at + Duration::from_secs(2));
}

/// Pauses once the fault is in place, resumes a minute of real time later,
/// and records what the screen would show meanwhile.
#[derive(Default)]
struct Pauser {
    tx: Option<mpsc::Sender<Msg>>,
    paused_at: Option<(Duration, u64)>,
    seen_while_paused: Arc<Mutex<Vec<(Duration, Duration, u64)>>>,
    resumed: Arc<Mutex<bool>>,
}

impl Frontend for Pauser {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {
        self.tx = Some(tx);
    }

    fn changed(&mut self, app: &App, _change: Change) {
        let leaderless = app
            .cluster()
            .snapshot
            .as_ref()
            .map_or(0, |s| s.regions.led_from_dead_node);
        if self.paused_at.is_none() && app.fault().fault().is_some() && leaderless > 0 {
            self.paused_at = Some((app.now(), leaderless));
            let (tx, resumed) = (self.tx.clone().unwrap(), Arc::clone(&self.resumed));
            tokio::spawn(async move {
                tx.send(Msg::Command(Command::TogglePause)).await.unwrap();
                tokio::time::sleep(Duration::from_secs(60)).await;
                *resumed.lock().unwrap() = true;
                tx.send(Msg::Command(Command::TogglePause)).await.unwrap();
            });
        }
        if app.paused() && !*self.resumed.lock().unwrap() {
            let taken = app
                .cluster()
                .snapshot
                .as_ref()
                .map_or(Duration::ZERO, |s| s.taken_at);
            self.seen_while_paused
                .lock()
                .unwrap()
                .push((app.now(), taken, leaderless));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn pause_freezes_the_simulated_cluster_during_the_show() {
    let clock = ShowClock::start(1.0);
    let backend = sim_backend(3, clock).await;
    let mut cfg = config(default_script(), Mode::Auto);
    cfg.exit_after_one_pass = true;
    let mut app = App::new(cfg);
    let mut show = instant_show(backend, clock);
    let mut pauser = Pauser::default();
    let seen = Arc::clone(&pauser.seen_while_paused);
    let exit = show.run(&mut app, &mut pauser).await;
    assert_eq!(exit, ExitKind::Success, "the story goes on after the pause");
    assert!(pauser.paused_at.is_some(), "paused mid-fault");
    let seen = seen.lock().unwrap();
    assert!(
        seen.len() > 30,
        "a minute of snapshots while paused: {}",
        seen.len()
    );
    // Whatever arrived while paused shows the cluster as it was at the pause.
    let first = seen[0];
    assert!(first.2 > 0, "paused with regions still leaderless");
    for now in seen.iter() {
        assert_eq!(
            *now, first,
            "show time, the cluster or its elections ran on"
        );
    }
}

/// Counts what woke the show; leaves after a minute.
#[derive(Default)]
struct Counter {
    ticks: Arc<Mutex<u32>>,
    others: Arc<Mutex<u32>>,
}

impl Frontend for Counter {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(60)).await;
            let _ = tx.send(Msg::Command(Command::Quit)).await;
        });
    }

    fn changed(&mut self, _app: &App, change: Change) {
        let counter = if change == Change::Tick {
            &self.ticks
        } else {
            &self.others
        };
        *counter.lock().unwrap() += 1;
    }
}

#[tokio::test(start_paused = true)]
async fn the_show_wakes_only_for_its_next_deadline_or_a_message() {
    let clock = ShowClock::start(1.0);
    let backend = sim_backend(1, clock).await;
    let mut app = App::new(config(default_script(), Mode::Presenter));
    let mut show = instant_show(backend, clock);
    let mut counter = Counter::default();
    let (ticks, others) = (Arc::clone(&counter.ticks), Arc::clone(&counter.others));
    show.run(&mut app, &mut counter).await;
    // Nothing runs on the first chapter: a heartbeat a second (ages on
    // screen, the clock's watch for stops) and the snapshots; no fixed tick.
    let (ticks, others) = (*ticks.lock().unwrap(), *others.lock().unwrap());
    assert!(ticks <= 65, "{ticks} ticks in 60 s");
    assert!(others <= 130, "{others} messages in 60 s");
}

#[test]
fn esc_during_the_recovery_says_the_recovery_goes_on_and_the_timeline_agrees() {
    let script = r#"
[[chapter]]
title = "Intro"

[[chapter]]
title = "Fault"
on_enter = [{ action = "inject_fault", kind = "kill", target = "tikv1" }]

[[chapter]]
title = "Recovery"
on_enter = [{ action = "recover" }, { action = "await_recovery" }]
blocks_advance = true
"#;
    let mut app = killed(script, Mode::Presenter);
    let fx = press(&mut app, Command::Next);
    let (recovery, service) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Recover { recovery, service } => Some((*recovery, service.clone())),
            _ => None,
        })
        .expect("the recovery is asked for");
    press(&mut app, Command::Abort);
    let Some(ActionStatus::Aborted(text)) = &app.status() else {
        panic!("{:?}", app.status());
    };
    assert!(text.contains("start tikv1 goes on"), "{text}");
    update(
        &mut app,
        Msg::Recovered {
            recovery,
            service,
            result: Ok(()),
        },
    );
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(30.0)))));
    assert!(
        app.timeline().recovered.is_some(),
        "the timeline says recovered"
    );
    assert!(
        matches!(&app.status(), Some(ActionStatus::Aborted(t))
            if t.ends_with("the recovery went on and finished: start tikv1 done")),
        "{:?}",
        app.status()
    );
}
