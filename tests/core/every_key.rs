//! Every key in every chapter of the default story, at its entry, while its
//! run goes on and once it is over, on the simulator in one synchronous
//! loop: no key that takes the story back (←, a reset, a halt) ever injects
//! a fault, then or while the show is left alone after it, nor does ← after
//! any key and SPACE (ESC in a countdown, SPACE, ←: issue 21, item 15).

use std::time::Duration;

use chaosdeck::app::{ActionStatus, App, Command, Kind, Mode};
use chaosdeck::story::default_script;
use chaosdeck::testing::{Rig, injects};

const ALL_KEYS: [Command; 12] = [
    Command::Next,
    Command::Prev,
    Command::Reset,
    Command::TogglePause,
    Command::Abort,
    Command::ApplyRecommendation,
    Command::ToggleHelp,
    Command::Halt,
    Command::ToggleAutoplay,
    Command::Touch,
    Command::Quit,
    Command::Interrupt,
];

/// Keys that take the story back, or stop it.
const BACKWARDS: [Command; 3] = [Command::Prev, Command::Reset, Command::Halt];

/// Long enough for any of the default story's runs to finish.
const LONG: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy)]
enum Moment {
    Entered,
    Running,
    Finished,
}

fn finished(app: &App) -> bool {
    app.run().is_none_or(|r| r.finished())
}

/// The default story for a presenter, SPACE pressed as soon as each
/// chapter lets it, up to `chapter` at `moment`.
fn reach(chapter: usize, moment: Moment) -> Rig {
    let mut rig = Rig::new(default_script(), Mode::Presenter, 3, 64);
    while rig.app.chapter() < chapter {
        let at = rig.app.chapter();
        assert!(
            rig.run_until(LONG, |app| app.chapter() != at || finished(app)),
            "chapter {at} never finished: {:?}",
            rig.app.status()
        );
        if rig.app.chapter() == at {
            rig.press(Command::Next);
        }
    }
    match moment {
        Moment::Entered => {}
        Moment::Running => {
            rig.run_for(Duration::from_secs(1));
        }
        Moment::Finished => {
            rig.run_until(LONG, finished);
        }
    }
    rig
}

#[test]
fn no_key_that_takes_the_story_back_ever_injects() {
    let chapters = default_script().chapters.len();
    for chapter in 0..chapters {
        for moment in [Moment::Entered, Moment::Running, Moment::Finished] {
            for key in ALL_KEYS {
                let mut rig = reach(chapter, moment);
                let seen = rig.effects.len();
                let mut fx = rig.press(key);
                fx.extend(rig.run_for(Duration::from_secs(30)));
                let what = format!("{key:?} in chapter {} at {moment:?}", chapter + 1);
                if BACKWARDS.contains(&key) {
                    assert!(
                        !injects(&fx),
                        "{what} injected: {:#?}",
                        &rig.effects[seen..]
                    );
                }
                if key == Command::Prev && chapter > 0 {
                    assert_eq!(rig.app.chapter(), chapter - 1, "{what}");
                }
                if rig.quit {
                    continue;
                }
                // Then on and back again (ESC, SPACE, ←), and left alone:
                // going back still injects nothing.
                rig.press(Command::Next);
                let mut fx = rig.press(Command::Prev);
                fx.extend(rig.run_for(Duration::from_secs(30)));
                assert!(!injects(&fx), "{what}, then SPACE and ←: {fx:#?}");
            }
        }
    }
}

/// Issue 21, item 15, as a presenter met it: SPACE into the Fault chapter,
/// ESC in the countdown, SPACE into Detection, then ←.
#[test]
fn back_into_an_aborted_fault_shows_the_abort_and_runs_only_on_space() {
    let mut rig = reach(3, Moment::Entered);
    assert!(rig.app.countdown().is_some(), "{:?}", rig.app.status());
    rig.press(Command::Abort);
    rig.press(Command::Next);
    assert_eq!(rig.app.chapter(), 4);
    assert!(
        matches!(rig.app.status(), Some(ActionStatus::Skipped(why)) if why.contains("no fault")),
        "Detection with no fault is a skip, not a success: {:?}",
        rig.app.status()
    );
    let mut fx = rig.press(Command::Prev);
    fx.extend(rig.run_for(Duration::from_secs(30)));
    assert_eq!(rig.app.chapter(), 3);
    assert!(!injects(&fx), "{fx:#?}");
    assert_eq!(rig.app.countdown(), None);
    assert!(
        matches!(rig.app.status(), Some(ActionStatus::Aborted(why))
            if why.contains("aborted by the presenter") && why.ends_with("SPACE runs it again")),
        "{:?}",
        rig.app.status()
    );
    // SPACE runs it: the countdown, then the kill.
    rig.press(Command::Next);
    assert_eq!(rig.app.chapter(), 3);
    assert!(rig.app.countdown().is_some());
    assert!(injects(&rig.run_for(Duration::from_secs(5))));
}

#[test]
fn back_during_a_countdown_is_journalled_as_an_abort_and_injects_nothing() {
    let mut rig = reach(3, Moment::Running);
    assert!(rig.app.countdown().is_some());
    let mut fx = rig.press(Command::Prev);
    fx.extend(rig.run_for(Duration::from_secs(30)));
    assert!(!injects(&fx));
    let aborted = rig
        .app
        .journal()
        .entries()
        .filter(|e| e.kind == Kind::ActionAborted)
        .map(|e| e.text.clone())
        .collect::<Vec<_>>();
    assert_eq!(
        aborted,
        vec!["countdown of 3s: called off: the presenter went back".to_string()]
    );
}

/// Item 17: going back over the fault tells what happened there.
#[test]
fn back_into_the_fault_chapter_tells_the_fault_it_injected() {
    let mut rig = reach(4, Moment::Entered);
    let injected = rig
        .app
        .journal()
        .entries()
        .find(|e| e.text.starts_with("INJECTED"))
        .map(|e| e.text.clone())
        .expect("a fault injected");
    rig.press(Command::Prev);
    assert_eq!(rig.app.chapter(), 3);
    assert_eq!(rig.app.status(), Some(&ActionStatus::Done(injected)));
}

/// The default story for a presenter, SPACE pressed as soon as it may, up
/// to the Detection chapter with PD's verdict in.
fn at_pds_verdict() -> Rig {
    let mut rig = reach(4, Moment::Entered);
    assert!(rig.run_until(LONG, |app| {
        app.timeline()
            .signal(chaosdeck::monitor::Signal::StoreState)
            .is_some()
    }));
    rig
}

/// Item 1: H stops the load and heals; what the screen last measured of
/// the load is history, and the workload's incidents are closed.
#[test]
fn a_halt_shows_the_stopped_load_as_stopped() {
    let mut rig = at_pds_verdict();
    rig.press(Command::Halt);
    rig.run_for(Duration::from_secs(60));
    let screen = chaosdeck::ui::view::Screen::build(&rig.app);
    let stats = screen.workload.stats.text();
    assert!(stats.contains("load stopped: last sample at T+"), "{stats}");
    assert!(
        !stats.contains("ops/s") && !stats.contains("p99"),
        "{stats}"
    );
    assert_eq!(screen.figures.ops_per_sec, None);
    let monitor = rig.app.world().monitor();
    assert!(
        monitor.open_incidents().all(|i| !matches!(
            i.signal,
            chaosdeck::monitor::Signal::Throughput | chaosdeck::monitor::Signal::Latency
        )),
        "{:#?}",
        monitor.open_incidents().collect::<Vec<_>>()
    );
    assert!(
        rig.app
            .journal()
            .entries()
            .any(|e| e.text.starts_with("resolved (load stopped): throughput")),
        "the throughput incident is closed as the load stopped"
    );
}

/// Item 7: the status line's heartbeat age and the table's are one instant.
#[test]
fn the_heartbeat_age_reads_the_same_in_the_status_and_the_table() {
    let mut rig = reach(4, Moment::Running);
    rig.run_for(Duration::from_millis(7_300));
    let Some(ActionStatus::Running(status)) = rig.app.status().cloned() else {
        panic!("{:?}", rig.app.status());
    };
    let fault = rig.app.timeline().injected.clone().expect("a fault");
    let age = rig
        .app
        .cluster()
        .heartbeat_age(&fault.service, rig.app.now())
        .expect("an age");
    assert!(
        status.contains(&format!(
            "last heartbeat {} old",
            chaosdeck::text::age_tenths(age)
        )),
        "{status}"
    );
    let table = chaosdeck::ui::view::Screen::build(&rig.app)
        .cluster
        .table
        .iter()
        .map(|r| r.text())
        .find(|t| t.starts_with(&fault.service))
        .expect("the store's row");
    assert!(
        table.ends_with(&format!(" {}", chaosdeck::text::age(age))),
        "{table}"
    );
}

/// Item 9: the journal reads in time order around the fault, which is
/// stamped T+0.0s.
#[test]
fn the_journal_around_the_fault_reads_in_time_order() {
    let rig = reach(4, Moment::Running);
    let entries: Vec<_> = rig.app.journal().entries().collect();
    let fault = entries
        .iter()
        .position(|e| matches!(e.kind, Kind::Fault { .. }))
        .expect("the fault's entry");
    assert_eq!(entries[fault].after_fault, Some(Duration::ZERO));
    for pair in entries[fault..].windows(2) {
        assert!(
            pair[0].after_fault <= pair[1].after_fault,
            "{:?} then {:?}",
            pair[0].text,
            pair[1].text
        );
    }
}

/// Item 2: asked as soon as PD's verdict is in, before the re-election is
/// over, the agent tells the peak as what was lost and the last snapshot as
/// what still is, as the Cluster panel shows it.
#[test]
fn an_early_diagnosis_tells_the_peak_as_the_past() {
    let mut rig = at_pds_verdict();
    rig.press(Command::Next);
    assert_eq!(rig.app.chapter(), 5);
    assert!(rig.run_until(LONG, |app| matches!(
        app.agent().state(),
        chaosdeck::app::AgentState::Done { .. }
    )));
    let chaosdeck::app::AgentState::Done { diagnosis, .. } = rig.app.agent().state() else {
        unreachable!()
    };
    let summary = &diagnosis.root_cause.summary;
    assert!(!summary.contains("still have no leader"), "{summary}");
    assert!(summary.contains("lost their leader"), "{summary}");
    assert!(summary.contains(" still led from "), "{summary}");
}
