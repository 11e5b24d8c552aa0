//! `update` without a terminal: keys, chapters, actions and their effects.

use std::time::Duration;

use chaosdeck::app::{ActionStatus, App, Command, Effect, ExitKind, Msg, update};
use chaosdeck::cluster::{BackendError, FaultKind, InjectedFault, Recovery};
use chaosdeck::cluster::{ProcessState, StoreState};
use chaosdeck::testing::*;

fn press(app: &mut App, command: Command) -> Vec<Effect> {
    update(app, Msg::Command(command))
}

fn tick(app: &mut App, at: f64) -> Vec<Effect> {
    update(app, Msg::Tick(secs(at)))
}

fn fault_app() -> App {
    let mut app = app_with(stories::FAULT_DETECT_RECOVER);
    assert!(app.start().is_empty());
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.5)))));
    app
}

fn injected(service: &str, at: f64) -> InjectedFault {
    InjectedFault {
        spec: FaultKind::Kill.into(),
        service: service.into(),
        at: secs(at),
    }
}

fn inject_effect(effects: &[Effect]) -> Option<(u64, FaultKind, String)> {
    effects.iter().find_map(|e| match e {
        Effect::Inject {
            run, spec, service, ..
        } => Some((*run, spec.kind(), service.clone())),
        _ => None,
    })
}

/// Enters the fault chapter, runs the countdown out and returns the inject effect.
fn run_countdown(app: &mut App) -> (u64, FaultKind, String) {
    assert!(
        press(app, Command::Next).is_empty(),
        "the countdown comes first"
    );
    assert_eq!(app.countdown(), Some(secs(3.0)));
    tick(app, 1.0);
    assert_eq!(app.countdown(), Some(secs(2.0)));
    let effects = tick(app, 2.9);
    assert!(
        inject_effect(&effects).is_none(),
        "not before the countdown ends"
    );
    let effects = tick(app, 3.0);
    inject_effect(&effects).expect("inject after the countdown")
}

/// The fault chapter run through: tikv1 killed at 3.2 s.
fn faulted_app() -> App {
    let mut app = fault_app();
    let (run, ..) = run_countdown(&mut app);
    let fault = injected("tikv1", 3.2);
    update(
        &mut app,
        Msg::Injected {
            run,
            result: Ok(fault),
        },
    );
    app
}

#[test]
fn the_countdown_then_the_fault() {
    let mut app = fault_app();
    let (run, kind, service) = run_countdown(&mut app);
    assert_eq!((kind, service.as_str()), (FaultKind::Kill, "tikv1"));
    update(
        &mut app,
        Msg::Injected {
            run,
            result: Ok(injected("tikv1", 3.2)),
        },
    );
    assert_eq!(
        app.fault().fault().map(|f| f.service.as_str()),
        Some("tikv1")
    );
    assert!(matches!(&app.status(), Some(ActionStatus::Done(t)) if t.contains("kill on tikv1")));
    assert_eq!(app.timeline().since_fault(secs(5.2)), Some(secs(2.0)));
}

#[test]
fn esc_aborts_the_countdown_and_nothing_is_injected() {
    let mut app = fault_app();
    press(&mut app, Command::Next);
    tick(&mut app, 1.0);
    assert!(press(&mut app, Command::Abort).is_empty());
    assert_eq!(app.countdown(), None);
    assert!(
        matches!(&app.status(), Some(ActionStatus::Aborted(t)) if t.contains("aborted")),
        "{:?}",
        app.status()
    );
    for t in 2..20 {
        assert!(inject_effect(&tick(&mut app, f64::from(t))).is_none());
    }
    assert!(app.fault().is_idle());
}

#[test]
fn blocks_advance_holds_the_chapter_while_its_actions_run() {
    let mut app = fault_app();
    press(&mut app, Command::Next);
    assert!(press(&mut app, Command::Next).is_empty());
    assert_eq!(app.chapter(), 1, "SPACE does not skip a running countdown");
    assert!(app.hint().unwrap_or("").contains("countdown"));
}

#[test]
fn pause_freezes_the_countdown() {
    let mut app = fault_app();
    press(&mut app, Command::Next);
    tick(&mut app, 1.0);
    press(&mut app, Command::TogglePause);
    tick(&mut app, 10.0);
    assert_eq!(app.countdown(), Some(secs(2.0)));
    press(&mut app, Command::TogglePause);
    tick(&mut app, 11.0);
    assert_eq!(app.countdown(), Some(secs(1.0)));
}

#[test]
fn going_back_never_re_runs_a_fault() {
    let mut app = faulted_app();
    // Detection chapter was entered by... the presenter: the fault chapter blocks
    // until done, then SPACE moves on.
    press(&mut app, Command::Next);
    assert_eq!(app.chapter(), 2);
    let effects = press(&mut app, Command::Prev);
    assert_eq!(app.chapter(), 1);
    assert!(inject_effect(&effects).is_none());
    assert_eq!(app.countdown(), None, "no countdown either");
    for t in 4..10 {
        assert!(inject_effect(&tick(&mut app, f64::from(t))).is_none());
    }
    let effects = press(&mut app, Command::Next);
    assert!(inject_effect(&effects).is_none());
}

#[test]
fn a_fault_that_lands_after_the_presenter_moved_on_is_still_recorded() {
    let mut app = app_with(
        r#"
[[chapter]]
title = "Fault"
on_enter = [{ action = "inject_fault", kind = "pause", target = "tikv2" }]

[[chapter]]
title = "Next"
"#,
    );
    let effects = app.start();
    assert!(
        effects.is_empty(),
        "no target before the first snapshot is known"
    );
    assert!(
        matches!(&app.status(), Some(ActionStatus::Running(t)) if t.contains("no cluster data"))
    );
    let effects = update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.5)))));
    let (run, kind, service) = inject_effect(&effects).expect("inject once the cluster is known");
    assert_eq!((kind, service.as_str()), (FaultKind::Pause, "tikv2"));
    press(&mut app, Command::Next);
    assert_eq!(app.chapter(), 1);
    let fault = InjectedFault {
        spec: kind.into(),
        service,
        at: secs(1.0),
    };
    update(
        &mut app,
        Msg::Injected {
            run,
            result: Ok(fault.clone()),
        },
    );
    assert_eq!(app.fault().fault(), Some(&fault));
}

#[test]
fn a_random_target_is_an_up_store_and_the_same_seed_picks_the_same() {
    let story = r#"
[[chapter]]
title = "Fault"
on_enter = [{ action = "inject_fault", kind = "kill" }]
"#;
    let pick = || {
        let mut app = app_with(story);
        update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.5)))));
        let effects = press(&mut app, Command::Reset);
        inject_effect(&effects).expect("inject").2
    };
    let first = pick();
    assert!(SERVICES.contains(&first.as_str()));
    assert_eq!(pick(), first);
}

#[test]
fn the_health_gate_refuses_to_inject_while_any_signal_says_a_node_is_down() {
    let story = r#"
[[chapter]]
title = "Fault"
on_enter = [{ action = "inject_fault", kind = "kill", timeout = "30s" }]
"#;
    let pd_says = |s: &mut chaosdeck::cluster::ClusterSnapshot| {
        s.stores[0].state = StoreState::Disconnected;
    };
    let exited = |s: &mut chaosdeck::cluster::ClusterSnapshot| {
        s.processes[0].state = ProcessState::Exited {
            exit_code: Some(137),
        };
    };
    let paused = |s: &mut chaosdeck::cluster::ClusterSnapshot| {
        s.processes[0].state = ProcessState::Paused;
    };
    let cut_off = |s: &mut chaosdeck::cluster::ClusterSnapshot| {
        s.processes[0].network_connected = false;
    };
    type Break<'a> = &'a dyn Fn(&mut chaosdeck::cluster::ClusterSnapshot);
    let breaks: [(&str, Break); 4] = [
        ("PD says Disconnected", &pd_says),
        ("exited", &exited),
        ("paused", &paused),
        ("cut off", &cut_off),
    ];
    for (what, break_it) in breaks {
        let mut app = app_with(story);
        let mut snapshot = healthy(secs(0.5));
        break_it(&mut snapshot);
        let mut effects = app.start();
        effects.extend(update(&mut app, Msg::Snapshot(Ok(snapshot))));
        for t in 1..29 {
            effects.extend(tick(&mut app, f64::from(t)));
            let mut snapshot = healthy(secs(f64::from(t)));
            break_it(&mut snapshot);
            effects.extend(update(&mut app, Msg::Snapshot(Ok(snapshot))));
        }
        assert!(inject_effect(&effects).is_none(), "{what}: injected");
        assert!(
            matches!(&app.status(), Some(ActionStatus::Running(t)) if t.contains("not injecting yet") && t.contains("tikv0") && t.contains(what)),
            "{what}: {:?}",
            app.status()
        );
        // Once healthy by every signal, it goes ahead.
        let effects = update(&mut app, Msg::Snapshot(Ok(healthy(secs(29.0)))));
        assert!(
            inject_effect(&effects).is_some(),
            "{what}: not injected once healthy"
        );
    }
    // A node that stays down: the action gives up at its deadline, injecting nothing.
    let mut app = app_with(story);
    app.start();
    update(&mut app, Msg::Snapshot(Ok(after_kill(secs(0.5), "tikv2"))));
    for t in 1..=31 {
        assert!(inject_effect(&tick(&mut app, f64::from(t))).is_none());
        let snapshot = after_kill(secs(f64::from(t)), "tikv2");
        assert!(inject_effect(&update(&mut app, Msg::Snapshot(Ok(snapshot)))).is_none());
    }
    assert!(
        matches!(&app.status(), Some(ActionStatus::Failed(t)) if t.contains("nothing injected") && t.contains("tikv2")),
        "{:?}",
        app.status()
    );
}

#[test]
fn a_refused_fault_fails_the_action_with_the_reason() {
    let mut app = fault_app();
    let (run, ..) = run_countdown(&mut app);
    let refusal = BackendError::Refused("engine says no".into());
    update(
        &mut app,
        Msg::Injected {
            run,
            result: Err(refusal),
        },
    );
    assert!(app.fault().is_idle());
    assert!(matches!(&app.status(), Some(ActionStatus::Failed(t)) if t.contains("engine says no")));
    press(&mut app, Command::Next);
    assert_eq!(
        app.chapter(),
        2,
        "a failed action does not hold the presenter"
    );
}

#[test]
fn detection_completes_from_the_monitor_and_times_out_otherwise() {
    let mut app = faulted_app();
    press(&mut app, Command::Next);
    assert!(matches!(app.status(), Some(ActionStatus::Running(_))));
    update(&mut app, Msg::Snapshot(Ok(after_kill(secs(20.0), "tikv1"))));
    let (after, _) = app.timeline().detected.expect("detected");
    assert!(after > Duration::ZERO);
    assert!(matches!(&app.status(), Some(ActionStatus::Done(t)) if t.contains("detected")));

    let mut app = faulted_app();
    press(&mut app, Command::Next);
    tick(&mut app, 40.0);
    assert!(
        matches!(&app.status(), Some(ActionStatus::Failed(t)) if t.contains("nothing detected"))
    );
}

#[test]
fn recover_undoes_the_fault_with_the_matching_recovery() {
    let mut app = faulted_app();
    press(&mut app, Command::Next);
    tick(&mut app, 40.0); // detection times out: the presenter moves on
    let effects = press(&mut app, Command::Next);
    let recover = effects.iter().find_map(|e| match e {
        Effect::Recover { recovery, service } => Some((*recovery, service.clone())),
        _ => None,
    });
    let (recovery, service) = recover.expect("recover effect");
    assert_eq!((recovery, service.as_str()), (Recovery::Start, "tikv1"));
    update(
        &mut app,
        Msg::Recovered {
            recovery,
            service,
            result: Ok(()),
        },
    );
    assert!(app.fault().is_idle());
    update(&mut app, Msg::Tick(secs(50.0)));
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(50.0)))));
    assert!(app.timeline().recovered.is_some());
}

#[test]
fn reset_recovers_any_fault_and_starts_over() {
    let mut app = faulted_app();
    let effects = press(&mut app, Command::Reset);
    assert!(effects.iter().any(|e| matches!(e, Effect::Recover { recovery: Recovery::Start, service, .. } if service == "tikv1")));
    assert_eq!(app.chapter(), 0);
    assert!(app.timeline().injected.is_none());
    // The story runs again from the start: the fault chapter counts down anew.
    press(&mut app, Command::Next);
    assert_eq!(app.countdown(), Some(secs(3.0)));
}

#[test]
fn quit_asks_to_leave_and_the_fault_stays_known_for_recovery() {
    let mut app = faulted_app();
    let effects = press(&mut app, Command::Quit);
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Quit {
            exit: ExitKind::Success
        }
    )));
    assert!(app.quitting());
    assert!(
        app.fault().fault().is_some(),
        "kept for the runtime to recover"
    );
    assert!(
        press(&mut app, Command::Next).is_empty(),
        "nothing moves once quitting"
    );
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut app = fault_app();
    press(&mut app, Command::ToggleHelp);
    assert!(app.show_help());
    press(&mut app, Command::Next);
    assert!(!app.show_help());
    assert_eq!(
        app.chapter(),
        0,
        "the key that closes help does nothing else"
    );
}

#[test]
fn the_last_chapter_wraps_to_the_first_with_a_healthy_cluster() {
    let mut app = default_app();
    app.start();
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.5)))));
    let last = app.chapter_count() - 1;
    app.show_chapter(last);
    press(&mut app, Command::Next);
    assert_eq!(app.chapter(), 0);
}

#[test]
fn wait_healthy_waits_for_every_store_up() {
    let mut app = default_app();
    app.start();
    update(&mut app, Msg::Snapshot(Ok(after_kill(secs(0.5), "tikv2"))));
    press(&mut app, Command::Next);
    assert_eq!(app.chapter(), 1);
    assert!(matches!(app.status(), Some(ActionStatus::Running(_))));
    assert!(press(&mut app, Command::Next).is_empty());
    assert_eq!(app.chapter(), 1, "blocked until healthy");
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(1.0)))));
    assert!(matches!(app.status(), Some(ActionStatus::Done(_))));
    let effects = press(&mut app, Command::Next);
    assert_eq!(app.chapter(), 2);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SetLoad { running: true, .. }))
    );
}

#[test]
fn pd_errors_mark_the_data_stale() {
    let mut app = default_app();
    app.start();
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.5)))));
    update(
        &mut app,
        Msg::Snapshot(Err(BackendError::PdUnreachable(
            "all 3 endpoints failed".into(),
        ))),
    );
    assert!(app.cluster().is_stale(app.now()));
    assert!(
        app.cluster().snapshot.is_some(),
        "the last data is kept, marked stale"
    );
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(2.0)))));
    assert!(!app.cluster().is_stale(app.now()));
    update(&mut app, Msg::Tick(secs(13.0)));
    assert!(
        app.cluster().is_stale(app.now()),
        "data that stopped arriving goes stale"
    );
}
