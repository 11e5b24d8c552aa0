//! Whole screens at fixed sizes with fixed data, and colours cell by cell
//! where colour carries meaning.

use crate::common::*;
use chaosdeck::app::{App, Command, Msg, update};
use chaosdeck::cluster::{FaultKind, InjectedFault};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| chaosdeck::ui::view(app, frame))
        .unwrap();
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn snapshot_all(name: &str, app: &App) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&render(app, w, h)));
    }
}

/// The default story on a healthy cluster under load, at chapter `chapter`.
fn under_load() -> App {
    let mut app = default_app();
    app.start();
    update(&mut app, Msg::Tick(secs(1.0)));
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(1.0)))));
    for i in 0..30 {
        let at = 2.0 + f64::from(i);
        let ops = 5000.0 + f64::from(i % 5) * 40.0;
        update(&mut app, Msg::Sample(sample(secs(at), ops)));
    }
    update(&mut app, Msg::Tick(secs(32.0)));
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(32.0)))));
    app
}

fn after_the_kill() -> App {
    let mut app = under_load();
    app.chapter = 4;
    let fault = InjectedFault {
        kind: FaultKind::Kill,
        service: "tikv1".into(),
        at: secs(33.0),
    };
    update(
        &mut app,
        Msg::Injected {
            run: 1,
            result: Ok(fault),
        },
    );
    update(
        &mut app,
        Msg::Event(chaosdeck::cluster::ClusterEvent {
            at: secs(33.0),
            service: "tikv1".into(),
            kind: chaosdeck::cluster::EventKind::Died {
                exit_code: Some(137),
            },
        }),
    );
    for (i, ops) in [1900.0, 800.0, 2600.0, 3900.0].into_iter().enumerate() {
        update(&mut app, Msg::Sample(sample(secs(34.0 + i as f64), ops)));
    }
    update(&mut app, Msg::Tick(secs(50.0)));
    update(&mut app, Msg::Snapshot(Ok(after_kill(secs(50.0), "tikv1"))));
    app
}

#[test]
fn welcome() {
    let mut app = default_app();
    app.start();
    update(&mut app, Msg::Tick(secs(1.0)));
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(0.8)))));
    snapshot_all("welcome", &app);
}

#[test]
fn countdown() {
    let mut app = under_load();
    // Enter the fault chapter directly, as the presenter would after Load.
    app.chapter = 2;
    app.started_up_to = Some(2);
    app.run = None;
    update(&mut app, Msg::Command(Command::Next));
    update(&mut app, Msg::Tick(secs(32.6)));
    snapshot_all("countdown", &app);
}

#[test]
fn detection() {
    snapshot_all("detection", &after_the_kill());
}

#[test]
fn help_overlay() {
    let mut app = under_load();
    update(&mut app, Msg::Command(Command::ToggleHelp));
    insta::assert_snapshot!("help_120x40", text(&render(&app, 120, 40)));
}

#[test]
fn too_small() {
    let app = default_app();
    insta::assert_snapshot!("too_small_60x20", text(&render(&app, 60, 20)));
    let screen = text(&render(&app, 79, 24));
    assert!(
        screen.contains("make the window larger (now 79x24, need 80x24)"),
        "{screen}"
    );
}

/// The colour of the first cell of `word` on screen.
fn colour_of(buffer: &Buffer, word: &str) -> Color {
    let area = buffer.area;
    for y in 0..area.height {
        let row: Vec<&str> = (0..area.width).map(|x| buffer[(x, y)].symbol()).collect();
        let line = row.concat();
        if let Some(byte) = line.find(word) {
            let x = line[..byte].chars().count() as u16;
            return buffer[(x, y)].fg;
        }
    }
    panic!("{word} not on screen:\n{}", text(buffer));
}

#[test]
fn store_states_carry_colour_symbol_and_word() {
    let buffer = render(&after_the_kill(), 120, 40);
    assert_eq!(colour_of(&buffer, "✗ Disconnected"), Color::Red);
    assert_eq!(colour_of(&buffer, "● Up"), Color::Green);
}

#[test]
fn sparkline_bars_are_coloured_by_level() {
    let app = after_the_kill();
    let buffer = render(&app, 120, 40);
    // The workload chart is the row block between the top panels and the
    // monitor; collect the colours of the bar cells in its bottom row.
    let area = buffer.area;
    let bottom = (0..area.height)
        .rev()
        .find(|&y| {
            (0..area.width)
                .any(|x| buffer[(x, y)].symbol() == "█" && buffer[(x, y)].fg == Color::Red)
        })
        .expect("a red bar");
    let colours: Vec<Color> = (0..area.width)
        .map(|x| &buffer[(x, bottom)])
        .filter(|c| c.symbol() != " " && c.symbol() != "│")
        .map(|c| c.fg)
        .collect();
    assert!(
        colours.contains(&Color::Green),
        "baseline bars are green: {colours:?}"
    );
    assert!(
        colours.contains(&Color::Yellow),
        "the 2600 bar (52%) is yellow: {colours:?}"
    );
    assert!(colours.contains(&Color::Red), "the dip is red: {colours:?}");
    // The newest bar is on the right: 3900 ops/s is 78% of baseline -> yellow.
    assert_eq!(*colours.last().unwrap(), Color::Yellow);
}

fn diagnosed() -> App {
    let mut app = after_the_kill();
    app.chapter = 5;
    let evidence = app.evidence.evidence(
        app.now,
        app.tracker.baseline(),
        app.monitor.incidents().to_vec(),
    );
    let diagnosis = chaosdeck::agent::analyze(&evidence).diagnosis;
    app.agent.state = chaosdeck::app::AgentState::Done {
        diagnosis: Box::new(diagnosis),
        took: secs(2.4),
    };
    app.timeline.diagnosed = Some(secs(19.4));
    app
}

#[test]
fn diagnosis() {
    let app = diagnosed();
    snapshot_all("diagnosis", &app);
    let screen = text(&render(&app, 120, 40));
    assert!(
        screen.contains("Root cause: process killed or crashed on tikv1"),
        "{screen}"
    );
    assert!(screen.contains("Action: start tikv1"), "{screen}");
}

#[test]
fn complete() {
    let mut app = diagnosed();
    app.chapter = 7;
    update(
        &mut app,
        Msg::Recovered {
            run: 0,
            service: "tikv1".into(),
            result: Ok(()),
        },
    );
    update(
        &mut app,
        Msg::Event(chaosdeck::cluster::ClusterEvent {
            at: secs(70.0),
            service: "tikv1".into(),
            kind: chaosdeck::cluster::EventKind::Started,
        }),
    );
    for i in 0..10 {
        update(
            &mut app,
            Msg::Sample(sample(secs(71.0 + f64::from(i)), 5020.0)),
        );
    }
    update(&mut app, Msg::Tick(secs(81.0)));
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(81.0)))));
    snapshot_all("complete", &app);
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("✓ recovered +48.0s"), "{screen}");
}

#[test]
fn every_default_chapter_reads_whole_at_80x24() {
    let mut app = under_load();
    for chapter in 0..app.chapter_count() {
        app.chapter = chapter;
        let screen = text(&render(&app, 80, 24));
        assert!(
            !screen.contains("▼ more"),
            "chapter {} is clipped:\n{screen}",
            chapter + 1
        );
    }
}

#[test]
fn the_agent_streams_stamped_lines_with_a_spinner_and_elapsed_time() {
    let mut app = after_the_kill();
    app.chapter = 5;
    app.agent.state = chaosdeck::app::AgentState::Working {
        run: 9,
        started: secs(50.0),
    };
    update(
        &mut app,
        Msg::AgentLine {
            run: 9,
            line: "gathering evidence from 12 snapshots".into(),
        },
    );
    update(&mut app, Msg::Tick(secs(51.5)));
    update(
        &mut app,
        Msg::AgentLine {
            run: 9,
            line: "tikv1: process exited \u{1b}[31m137".into(),
        },
    );
    update(
        &mut app,
        Msg::AgentLine {
            run: 8,
            line: "a stale run's line".into(),
        },
    );
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("analysing… 1.5s"), "{screen}");
    assert!(
        screen.contains("T+17.0s INFO gathering evidence from 12 snapshots"),
        "{screen}"
    );
    assert!(
        screen.contains("T+18.5s INFO tikv1: process exited \u{fffd}[31m137"),
        "sanitised:\n{screen}"
    );
    assert!(!screen.contains("stale run"), "{screen}");
}

#[test]
fn a_stalled_second_still_shows_as_a_red_bar_at_80x24() {
    let mut app = after_the_kill();
    for i in 0..3 {
        update(
            &mut app,
            Msg::Sample(sample(secs(60.0 + f64::from(i)), 0.0)),
        );
    }
    let buffer = render(&app, 80, 24);
    let area = buffer.area;
    let red_bars = (0..area.height)
        .flat_map(|y| (0..area.width).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let cell = &buffer[(x, y)];
            cell.fg == Color::Red && "▁▂▃▄▅▆▇█".contains(cell.symbol())
        })
        .count();
    assert!(red_bars >= 3, "{red_bars} red bars:\n{}", text(&buffer));
}
