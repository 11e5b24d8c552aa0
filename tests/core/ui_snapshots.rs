//! Whole screens at fixed sizes, colours cell by cell where colour carries
//! meaning, and no cut figure anywhere: fixed states built by hand, and
//! every chapter of the default story run on the simulator (3 and 7
//! stores, 64 and 1000 regions) on paused time with fixed seeds.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use chaosdeck::app::{App, Command, Msg, update};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::FaultKind;
use chaosdeck::show::Frontend;
use chaosdeck::story::default_script;
use chaosdeck::testing::*;
use chaosdeck::ui::theme::{Theme, ThemeName};
use chaosdeck::ui::view::{Screen, ViewState};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

fn render_with(app: &App, width: u16, height: u16, theme: &Theme, view: &mut ViewState) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| chaosdeck::ui::draw(app, view, theme, frame))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    if width >= chaosdeck::ui::MIN_WIDTH && height >= chaosdeck::ui::MIN_HEIGHT {
        no_cut_figures(&Screen::build(app), &buffer);
    }
    buffer
}

fn render(app: &App, width: u16, height: u16) -> Buffer {
    render_with(
        app,
        width,
        height,
        &Theme::default(),
        &mut ViewState::default(),
    )
}

/// Words of a text, as the checks compare them.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c| "┌┐└┘─┊".contains(c)).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// No cell of the screen holds a cut figure: every word with a digit on
/// screen is a whole word of the view model, after the same word it
/// follows there, and never carries a cut mark.
fn no_cut_figures(screen: &Screen, buffer: &Buffer) {
    let mut single = HashSet::new();
    let mut pairs = HashSet::new();
    for text in screen.texts() {
        let words = words(&text);
        for pair in words.windows(2) {
            pairs.insert((pair[0].clone(), pair[1].clone()));
        }
        single.extend(words);
    }
    let area = buffer.area;
    for y in 0..area.height {
        let row: String = (0..area.width).map(|x| buffer[(x, y)].symbol()).collect();
        for segment in row.split('│') {
            // The layout's own marks say how much is left out.
            let first = segment.split_whitespace().next().unwrap_or("");
            if first.starts_with('…') || first == "▲" || first == "▼" {
                continue;
            }
            let words = words(segment);
            for (i, word) in words.iter().enumerate() {
                if !word.chars().any(|c| c.is_ascii_digit()) {
                    continue;
                }
                assert!(
                    !word.contains('…'),
                    "a cut figure {word:?} on row {y}:\n{}",
                    text(buffer)
                );
                assert!(
                    single.contains(word),
                    "{word:?} on row {y} is not a figure of the view model:\n{}",
                    text(buffer)
                );
                if i > 0 && single.contains(&words[i - 1]) {
                    assert!(
                        pairs.contains(&(words[i - 1].clone(), word.clone())),
                        "{:?} {word:?} on row {y} is not in the view model (a cut?):\n{}",
                        words[i - 1],
                        text(buffer)
                    );
                }
            }
        }
    }
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

/// After the kill, with PD's own region checks firing too (as they do once
/// a fault is left past `raftstore.max-peer-down-duration`): every region
/// figure non-zero, for the colour checks.
fn pd_reports_lost_regions() -> App {
    let mut app = after_the_kill();
    let mut snapshot = after_kill(secs(51.0), "tikv1");
    snapshot.regions.led_from_dead_node = 21;
    snapshot.regions.without_leader = 21;
    snapshot.regions.under_replicated = 64;
    update(&mut app, Msg::Snapshot(Ok(snapshot)));
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
    app.set_chapter(2, Some(2), None);
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
    // Mid-fault the notice names the chapter, the fault in place and that
    // the show runs on.
    let screen = text(&render(&after_the_kill(), 60, 20));
    for words in [
        "[5/8] Detection · since fault T+17.0s",
        "kill on tikv1 in place",
        "the show is still running",
    ] {
        assert!(screen.contains(words), "{words:?}:\n{screen}");
    }
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
            (0..area.width).any(|x| {
                "▁▂▃▄▅▆▇█".contains(buffer[(x, y)].symbol()) && buffer[(x, y)].fg == Color::Red
            })
        })
        .expect("a red bar");
    let colours: Vec<Color> = (0..area.width)
        .map(|x| &buffer[(x, bottom)])
        .filter(|c| "▁▂▃▄▅▆▇█".contains(c.symbol()) && !c.symbol().trim().is_empty())
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

/// The render bench draws this scene: it must be as busy as the bench
/// says, or its figures mean nothing.
#[test]
fn the_diagnosis_scene_is_busy_enough_for_the_render_bench() {
    let app = diagnosed();
    let snapshot = app.cluster().snapshot.as_ref().expect("a snapshot");
    let down = snapshot
        .stores
        .iter()
        .filter(|s| s.state == chaosdeck::cluster::StoreState::Disconnected)
        .count();
    assert_eq!((snapshot.stores.len(), down), (3, 1), "3 stores, 1 down");
    let incidents = app.world().monitor().incidents().len();
    assert!(incidents >= 2, "several incidents, got {incidents}");
    assert!(app.chronicle().pane().len() >= 2, "monitor lines");
    assert!(matches!(
        app.agent().state(),
        chaosdeck::app::AgentState::Done { .. }
    ));
}

#[test]
fn complete() {
    let mut app = diagnosed();
    app.show_chapter(7);
    let fault = app.fault().fault().cloned().expect("the kill in place");
    app.set_fault(chaosdeck::app::FaultState::Recovering {
        fault,
        since: app.now(),
    });
    update(
        &mut app,
        Msg::Recovered {
            recovery: chaosdeck::cluster::Recovery::Start,
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
    assert!(screen.contains("✓ recovered T+48.0s"), "{screen}");
}

/// The words of the narration panel (the box on the left titled by the
/// chapter) of a screen, in reading order, without the layout's marks.
fn narration_words(screen: &str, title: &str) -> Vec<String> {
    let top = format!("┌ {title} ");
    screen
        .lines()
        .skip_while(|l| !l.starts_with(&top))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .filter_map(|l| l.split('│').nth(1))
        .filter(|l| !(l.starts_with('…') && l.contains(" more")))
        // The countdown stands beside the text, three spaces or more away.
        .filter_map(|l| l.trim_start().split("   ").next())
        .flat_map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|w| !w.chars().all(|c| c == '█'))
        .collect()
}

/// Every row of the narration the chapter must keep (its text, and its
/// own rows such as Detection's signals; not the scoreboard, which may go
/// with a mark) reads whole, word for word, in the narration panel.
fn reads_whole(screen: &str, title: &str, texts: &[String], what: &str) {
    let panel = narration_words(screen, title);
    for text in texts {
        let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        if words.is_empty() {
            continue;
        }
        assert!(
            panel.windows(words.len()).any(|w| w == words.as_slice()),
            "{what}: not whole on screen: {text:?}\n{screen}"
        );
    }
}

/// The narration rows a chapter must keep on screen.
fn kept_rows(app: &App) -> Vec<String> {
    Screen::build(app)
        .narration
        .body
        .iter()
        .filter(|r| r.rank <= 2)
        .map(|r| r.text())
        .collect()
}

#[test]
fn every_default_chapter_reads_whole_at_80x24_for_every_fault_kind() {
    for kind in FaultKind::ALL {
        let mut app = under_load();
        for action in app
            .script_mut()
            .chapters
            .iter_mut()
            .flat_map(|c| &mut c.on_enter)
        {
            if let chaosdeck::story::Action::InjectFault(inject) = action {
                inject.fault = kind.into();
            }
        }
        assert_eq!(app.pass_fault(), Some(kind));
        for chapter in 0..app.chapter_count() {
            app.show_chapter(chapter);
            let screen = text(&render(&app, 80, 24));
            let paragraphs: Vec<String> = app
                .narration(app.current_chapter())
                .split('\n')
                .map(str::to_string)
                .collect();
            let what = format!("chapter {} ({kind})", chapter + 1);
            let title = &app.current_chapter().title;
            reads_whole(&screen, title, &paragraphs, &what);
            reads_whole(&screen, title, &kept_rows(&app), &what);
        }
    }
}

#[test]
fn the_agent_streams_stamped_lines_with_a_spinner_and_elapsed_time() {
    let mut app = after_the_kill();
    app.show_chapter(5);
    app.set_agent_state(chaosdeck::app::AgentState::Working {
        run: 9,
        started: secs(50.0),
    });
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
    // Stamped with the time since the fault, like every pane.
    assert!(
        screen.contains("T+17.0s INFO gathering evidence from 12 snapshots"),
        "{screen}"
    );
    assert!(
        screen.contains("T+18.5s INFO tikv1: process exited ␛[31m137"),
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

// ---- the default story on the simulator ------------------------------------

/// The last screen of each (chapter, width, height).
type Screens = BTreeMap<(usize, u16, u16), String>;

/// Renders every change of the show at the three sizes (checking each for
/// cut figures) and keeps the last screen of each chapter.
#[derive(Default)]
struct Filmstrip {
    /// (chapter, width, height) -> the screen's text.
    last: Arc<Mutex<Screens>>,
    /// The chart at the end, at 120x40, with colours.
    end: Arc<Mutex<Option<Buffer>>>,
    frames: usize,
}

impl Filmstrip {
    fn film(&mut self, app: &App) {
        self.frames += 1;
        let mut last = self.last.lock().unwrap();
        for (w, h) in SIZES {
            let buffer = render(app, w, h);
            // Every frame: the chapter's narration and its own rows whole.
            reads_whole(
                &text(&buffer),
                &app.current_chapter().title,
                &kept_rows(app),
                &format!("chapter {} at {w}x{h}", app.chapter() + 1),
            );
            last.insert((app.chapter(), w, h), text(&buffer));
            if (w, h) == (120, 40) {
                *self.end.lock().unwrap() = Some(buffer);
            }
        }
    }
}

impl Frontend for Filmstrip {
    fn spawn_input(&mut self, _tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {}

    fn changed(&mut self, app: &App, change: chaosdeck::show::Change) {
        // Every world change, and a tick now and then (the clocks move).
        if change != chaosdeck::show::Change::Tick || self.frames % 10 == 0 {
            self.film(app);
        } else {
            self.frames += 1;
        }
    }

    fn finish(&mut self, app: &App) {
        self.film(app);
    }
}

/// One pass of the default story in auto mode on the simulator with
/// `stores` and `regions`, on paused time: the last screen of each chapter.
async fn film_the_story(stores: u8, regions: u32) -> (Screens, Buffer, App) {
    let clock = ShowClock::start(1.0);
    let stores_arg = stores.to_string();
    let regions_arg = regions.to_string();
    let args = <chaosdeck::cli::Cli as clap::Parser>::parse_from([
        "chaosdeck",
        "--stores",
        &stores_arg,
        "--regions",
        &regions_arg,
    ])
    .show;
    let backend = chaosdeck::launch::backend(&args, 11, clock)
        .await
        .expect("simulator starts");
    let mut app = App::new(one_pass_config(default_script(), 11));
    let mut show = instant_show(backend, clock);
    let mut film = Filmstrip::default();
    show.run(&mut app, &mut film).await;
    let last = film.last.lock().unwrap().clone();
    let end = film.end.lock().unwrap().clone().expect("a last frame");
    (last, end, app)
}

/// The screen with the ages that tick between snapshots (a store's last
/// heartbeat, how old PD's data is) written as `Ns`: the last frame of a
/// chapter may fall a snapshot earlier or later, by how the show's tasks
/// interleave; every other figure is the story's own.
fn steady(screen: &str) -> String {
    static AGE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?m)(^│?.*│tikv\S* .*? )\d+s( +│)").expect("a valid pattern")
    });
    static DATA: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"data \d+\.\ds old").expect("a valid pattern")
    });
    let screen = AGE.replace_all(screen, "${1}Ns${2}");
    DATA.replace_all(&screen, "data N.Ns old").into_owned()
}

async fn story_snapshots(stores: u8, regions: u32) {
    let (last, end, app) = film_the_story(stores, regions).await;
    assert_eq!(
        last.keys().map(|k| k.0).collect::<HashSet<_>>().len(),
        app.chapter_count(),
        "every chapter was on screen"
    );
    for ((chapter, w, h), screen) in &last {
        insta::assert_snapshot!(
            format!("story_{stores}x{regions}_chapter{}_{w}x{h}", chapter + 1),
            steady(screen)
        );
    }
    // At the end the whole episode is on the chart: its four markers, in
    // their colours, in order, with the dip in red between the fault and
    // the recovery.
    let screen = text(&end);
    let marker_row = (0..end.area.height)
        .find(|&y| {
            let row: String = (0..end.area.width).map(|x| end[(x, y)].symbol()).collect();
            row.contains('F') && row.contains('R') && !row.contains("fault")
        })
        .unwrap_or_else(|| panic!("no marker row:\n{screen}"));
    let cell_of = |letter: &str| {
        (0..end.area.width)
            .find(|&x| end[(x, marker_row)].symbol() == letter)
            .unwrap_or_else(|| panic!("no {letter} marker:\n{screen}"))
    };
    let (f, p, e, r) = (cell_of("F"), cell_of("P"), cell_of("E"), cell_of("R"));
    assert!(
        f <= p && p <= e && e <= r,
        "F {f} P {p} E {e} R {r}:\n{screen}"
    );
    assert_eq!(end[(f, marker_row)].fg, Color::Red);
    assert_eq!(end[(p, marker_row)].fg, Color::Red);
    assert_eq!(end[(e, marker_row)].fg, Color::Green);
    assert_eq!(end[(r, marker_row)].fg, Color::Green);
    let red_bar_in_window = (f..=r).any(|x| {
        (marker_row + 1..end.area.height).any(|y| {
            let cell = &end[(x, y)];
            cell.fg == Color::Red
                && "▁▂▃▄▅▆▇█".contains(cell.symbol())
                && cell.bg == Color::DarkGray
        })
    });
    assert!(
        red_bar_in_window,
        "a red, shaded bar in the fault window:\n{screen}"
    );
    let before_fault = (0..f).any(|x| {
        (marker_row + 1..end.area.height)
            .any(|y| end[(x, y)].fg == Color::Green && end[(x, y)].symbol() == "█")
    });
    assert!(
        before_fault,
        "the baseline before the fault is still on the chart:\n{screen}"
    );
    for word in [
        "F fault",
        "P PD verdict",
        "E leaders re-elected",
        "R recovered",
    ] {
        assert!(screen.contains(word), "{word:?} in the legend:\n{screen}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_default_story_with_3_stores_and_64_regions() {
    story_snapshots(3, 64).await;
}

#[tokio::test(start_paused = true)]
async fn the_default_story_with_7_stores_and_1000_regions() {
    story_snapshots(7, 1000).await;
}

#[tokio::test(start_paused = true)]
async fn seven_stores_at_80x24_keep_the_processes_row_and_every_store() {
    let (last, _, _) = film_the_story(7, 1000).await;
    // Detection: a store is down, its process exited.
    let screen = &last[&(4, 80, 24)];
    assert!(screen.contains("processes ✗ tikv"), "{screen}");
    for store in 0..7 {
        assert!(
            screen.contains(&format!("tikv{store} ")),
            "tikv{store}:\n{screen}"
        );
    }
    assert!(screen.contains("(leader)"), "PD's leader:\n{screen}");
}

// ---- colours, themes, the layout's promises --------------------------------

#[test]
fn one_colour_per_meaning_across_panels() {
    let buffer = render(&pd_reports_lost_regions(), 120, 40);
    // Disconnected: red in the cluster panel and in the monitor.
    assert_eq!(colour_of(&buffer, "✗ Disconnected"), Color::Red);
    assert_eq!(
        colour_of(&buffer, "store 4 (tikv1) is Disconnected"),
        Color::Red
    );
    // The severity word and its line in one colour (never a red WARN).
    assert_eq!(colour_of(&buffer, "CRIT store 4 (tikv1)"), Color::Red);
    // Under-replicated: yellow in both.
    assert_eq!(colour_of(&buffer, "under-repl. 64"), Color::Yellow);
    assert_eq!(
        colour_of(&buffer, "64 regions under-replicated"),
        Color::Yellow
    );
    // Leaderless: red in both.
    assert_eq!(colour_of(&buffer, "led from dead 21"), Color::Red);
    assert_eq!(colour_of(&buffer, "no leader 21"), Color::Red);
    assert_eq!(
        colour_of(&buffer, "21 regions without a leader"),
        Color::Red
    );
    // No text in dark grey anywhere.
    let area = buffer.area;
    for y in 0..area.height {
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            if cell.symbol().trim().is_empty() {
                continue;
            }
            assert_ne!(cell.fg, Color::DarkGray, "({x}, {y}) {:?}", cell.symbol());
        }
    }
}

#[test]
fn a_milestone_reached_is_drawn_in_the_success_colour() {
    let buffer = render(&diagnosed(), 120, 40);
    assert_eq!(colour_of(&buffer, "✓ detected"), Color::Green);
    assert_eq!(colour_of(&buffer, "✓ diagnosed"), Color::Green);
    assert_eq!(
        colour_of(&buffer, "○ recovered"),
        colour_of(&buffer, "SPACE")
    );
}

#[test]
fn no_color_draws_no_colour_and_keeps_every_word_and_symbol() {
    let app = after_the_kill();
    let theme = Theme::new(ThemeName::Dark, Some(std::ffi::OsStr::new("1")));
    let plain = render_with(&app, 120, 40, &theme, &mut ViewState::default());
    let area = plain.area;
    for y in 0..area.height {
        for x in 0..area.width {
            let cell = &plain[(x, y)];
            assert_eq!(cell.fg, Color::Reset, "({x}, {y})");
            assert_eq!(cell.bg, Color::Reset, "({x}, {y})");
        }
    }
    assert_eq!(text(&plain), text(&render(&app, 120, 40)));
}

#[test]
fn every_theme_draws_the_same_words() {
    let app = diagnosed();
    let dark = text(&render(&app, 120, 40));
    for name in [ThemeName::Light, ThemeName::HighContrast] {
        let theme = Theme::new(name, None);
        let buffer = render_with(&app, 120, 40, &theme, &mut ViewState::default());
        assert_eq!(text(&buffer), dark, "{name:?}");
        assert_ne!(colour_of(&buffer, "✗ Disconnected"), Color::DarkGray);
    }
    let light = render_with(
        &app,
        120,
        40,
        &Theme::new(ThemeName::Light, None),
        &mut ViewState::default(),
    );
    assert_eq!(colour_of(&light, "✗ Disconnected"), Color::Red);
    // Yellow does not read on white: warnings are magenta there.
    let lost = render_with(
        &pd_reports_lost_regions(),
        120,
        40,
        &Theme::new(ThemeName::Light, None),
        &mut ViewState::default(),
    );
    assert_eq!(colour_of(&lost, "under-repl. 64"), Color::Magenta);
}

#[test]
fn the_agent_pane_scrolls_and_says_how_much_is_left() {
    let app = diagnosed();
    let mut view = ViewState::default();
    let top = text(&render_with(&app, 80, 24, &Theme::default(), &mut view));
    assert!(top.contains("✓ Root cause:"), "{top}");
    assert!(top.contains("more below · ↑↓"), "{top}");
    view.scroll(chaosdeck::app::keys::Pane::Agent, 3);
    let scrolled = text(&render_with(&app, 80, 24, &Theme::default(), &mut view));
    assert!(scrolled.contains("▲ 3 more above · ↑↓"), "{scrolled}");
    assert!(!scrolled.contains("✓ Root cause:"), "{scrolled}");
    // Far past the end: the last line is on screen and nothing below.
    view.scroll(chaosdeck::app::keys::Pane::Agent, 500);
    let end = text(&render_with(&app, 80, 24, &Theme::default(), &mut view));
    assert!(!end.contains("more below · ↑↓"), "{end}");
    // And back up from where it stopped, not from 503.
    view.scroll(chaosdeck::app::keys::Pane::Agent, -1);
    let up = text(&render_with(&app, 80, 24, &Theme::default(), &mut view));
    assert!(up.contains("more below · ↑↓"), "{up}");
}

#[test]
fn open_incidents_are_pinned_above_resolved_ones_on_whole_lines() {
    let mut app = after_the_kill();
    // The re-election: leaderless regions resolve, the rest stays open.
    let mut snapshot = after_kill(secs(55.0), "tikv1");
    snapshot.regions.without_leader = 0;
    update(&mut app, Msg::Tick(secs(55.0)));
    update(&mut app, Msg::Snapshot(Ok(snapshot)));
    for i in 0..6 {
        update(
            &mut app,
            Msg::Sample(sample(secs(56.0 + f64::from(i)), 5000.0)),
        );
    }
    let screen = text(&render(&app, 120, 40));
    // The monitor's rows: under its title, left of the agent pane.
    let monitor: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("Monitor ·"))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .filter_map(|l| l.split('│').nth(1))
        .collect();
    let first_resolved = monitor
        .iter()
        .position(|l| l.contains("resolved"))
        .unwrap_or(usize::MAX);
    let last_open = monitor
        .iter()
        .rposition(|l| l.contains("CRIT") || l.contains("WARN"))
        .expect("open incidents");
    assert!(last_open < first_resolved, "open first:\n{screen}");
    // Each entry is whole: a line starts with its stamp, or continues the
    // entry above it, indented under its text (never a bare `100ms)`).
    let body: Vec<&&str> = monitor.iter().filter(|l| !l.trim().is_empty()).collect();
    let starts_entry = |l: &str| {
        let first = l.split_whitespace().next().unwrap_or("");
        first.starts_with("T+") || first.contains(':') || first == "──"
    };
    assert!(starts_entry(body[0]), "{screen}");
    for line in body {
        assert!(
            starts_entry(line) || line.starts_with("             ") || line.starts_with('▼'),
            "a fragment: {line:?}\n{screen}"
        );
    }
}

#[test]
fn footer_hints_are_never_cut_without_a_mark() {
    let mut app = under_load();
    app.set_hint("nothing to go back to: this is the first chapter of the story");
    let screen = text(&render(&app, 80, 24));
    let footer = screen.lines().last().unwrap();
    assert!(footer.contains("» nothing to go back to"), "{footer}");
    assert!(footer.contains("… ? all keys"), "{footer}");
    let wide = text(&render(&app, 200, 60));
    let footer = wide.lines().last().unwrap();
    for key in ["SPACE next", "↑↓ agent", "[ ] monitor", "q quit"] {
        assert!(footer.contains(key), "{key}: {footer}");
    }
}

#[test]
fn large_screens_show_the_key_figures_in_large_digits() {
    let app = after_the_kill();
    let big = text(&render(&app, 200, 60));
    assert!(big.contains(" ops/s 3,900 "), "{big}");
    assert!(big.contains(" seconds since the fault 17.0 "), "{big}");
    assert!(big.contains(" regions led from a dead node 21 "), "{big}");
    assert!(big.contains("█████"), "{big}");
    let small = text(&render(&app, 120, 40));
    assert!(!small.contains("seconds since the fault"), "{small}");
    // The same figure in the cluster panel.
    assert!(small.contains("led from dead 21"), "{small}");
}

#[test]
fn the_countdown_stands_beside_the_narration() {
    let mut app = under_load();
    app.set_chapter(2, Some(2), None);
    update(&mut app, Msg::Command(Command::Next));
    update(&mut app, Msg::Tick(secs(32.6)));
    let narration = app.narration(app.current_chapter()).to_string();
    let first_words: String = narration
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    for (w, h) in SIZES {
        let screen = text(&render(&app, w, h));
        assert!(
            screen.contains(&first_words),
            "{w}x{h}: {first_words:?}\n{screen}"
        );
    }
}

/// PD's leader killed on the simulator, its pictures fed to the app: the
/// Cluster panel's PD row while the leader is silent (its lease still
/// runs: no leadership shown as live), while PD has no leader (the 503s)
/// and once another member leads, not yet serving TSO.
#[test]
fn the_cluster_panel_follows_pd_s_leader_through_a_failover() {
    let mut sim = simulator(5, 3, 64);
    sim.advance(secs(33.0));
    let mut app = under_load();
    let old = sim
        .snapshot()
        .pd_members
        .into_iter()
        .find(|m| m.is_leader)
        .unwrap()
        .name;
    let fault = sim.inject(FaultKind::Kill, &old).expect("kill PD's leader");
    put_fault(&mut app, fault);
    let mut seen = Vec::new();
    for step in 1..=120 {
        sim.advance(secs(0.1));
        let t = secs(33.0 + f64::from(step) / 10.0);
        update(&mut app, Msg::Tick(t));
        update(&mut app, Msg::Snapshot(Ok(sim.snapshot())));
        let screen = text(&render(&app, 80, 24));
        let pd_row = screen
            .lines()
            .find(|l| l.contains("PD  "))
            .unwrap()
            .to_string();
        let phase = if pd_row.contains("(last leader)") {
            "silent"
        } else if pd_row.contains("no leader") {
            "no_leader"
        } else if pd_row.contains("no TSO yet") {
            "new_leader"
        } else {
            continue;
        };
        if !seen.contains(&phase) {
            seen.push(phase);
            insta::assert_snapshot!(format!("pd_failover_{phase}_80x24"), steady(&screen));
        }
    }
    assert_eq!(seen, ["silent", "no_leader", "new_leader"]);
}

// ---- the kiosk -------------------------------------------------------------

/// Films the first screen between kiosk passes at the three sizes.
#[derive(Default)]
struct AttractCamera {
    leave: Option<LeaveAfter>,
    shots: Arc<Mutex<Vec<(u16, u16, String)>>>,
}

impl Frontend for AttractCamera {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {
        if let Some(leave) = self.leave.as_mut() {
            leave.input(tx);
        }
    }

    fn changed(&mut self, app: &App, _change: chaosdeck::show::Change) {
        let mut shots = self.shots.lock().unwrap();
        if shots.is_empty() && app.kiosk().is_some_and(|k| k.interlude().is_some()) {
            for (w, h) in SIZES {
                shots.push((w, h, text(&render(app, w, h))));
            }
        }
        if let Some(leave) = self.leave.as_mut() {
            leave.changed(app);
        }
    }
}

/// Item 23: between passes a clean attract screen: no chapter number, none
/// of the last pass's chart, timeline or diagnosis, the keys that work
/// here, and the booth's own words in the header.
#[tokio::test(start_paused = true)]
async fn between_kiosk_passes_an_attract_screen() {
    let clock = ShowClock::start(1.0);
    let backend = sim_backend(11, clock).await;
    let mut app = App::new(config(default_script(), chaosdeck::app::Mode::Kiosk));
    let mut show = instant_show(backend, clock);
    let mut camera = AttractCamera {
        leave: Some(LeaveAfter::new(1)),
        ..AttractCamera::default()
    };
    let shots = Arc::clone(&camera.shots);
    show.run(&mut app, &mut camera).await;
    let shots = shots.lock().unwrap().clone();
    assert_eq!(shots.len(), SIZES.len(), "the interlude was on screen");
    for (w, h, screen) in shots {
        for gone in [
            "[8/8]",
            "ESC abort",
            "← back",
            "Root cause",
            "✓ recovered",
            "F T+",
        ] {
            assert!(!screen.contains(gone), "{gone:?} at {w}x{h}:\n{screen}");
        }
        for kept in ["KIOSK · pass 1 · up", "Between passes", "any key take over"] {
            assert!(screen.contains(kept), "{kept:?} at {w}x{h}:\n{screen}");
        }
        insta::assert_snapshot!(format!("kiosk_between_passes_{w}x{h}"), steady(&screen));
    }
}

/// Item 23: with a person in control the header still says KIOSK, the pass
/// and the uptime, at 80x24 too, in every chapter.
#[test]
fn the_kiosk_header_keeps_its_pass_and_uptime_with_a_person_in_control() {
    let mut app = App::new(config(default_script(), chaosdeck::app::Mode::Kiosk));
    app.start();
    update(&mut app, Msg::Tick(secs(61.0)));
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(61.0)))));
    update(&mut app, Msg::Command(Command::Touch));
    for chapter in 0..app.chapter_count() {
        app.show_chapter(chapter);
        for (w, h) in SIZES {
            let screen = text(&render(&app, w, h));
            let header = screen.lines().next().unwrap();
            assert!(
                header.contains("KIOSK (presenter) · pass 1 · up 0h01m"),
                "chapter {} at {w}x{h}: {header}",
                chapter + 1
            );
        }
    }
}
