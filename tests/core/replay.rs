//! Issue 19: a simulated pass recorded as the binary records it, replayed
//! headless with the same app: the same journal, entry for entry (same
//! detections, same figures), and chapter jumps that land where the live
//! show entered each chapter.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chaosdeck::app::{App, Entry, Kind};
use chaosdeck::clock::ShowClock;
use chaosdeck::replay::{self, Header, Player, Recorder};
use chaosdeck::show::{Change, Frontend};
use chaosdeck::story::chapter::DEFAULT_CHAPTERS;
use chaosdeck::story::default_script;
use chaosdeck::testing;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A front end that shows nothing: the journal is read from the app.
struct Unseen;

impl Frontend for Unseen {
    fn spawn_input(&mut self, _tx: mpsc::Sender<chaosdeck::app::Msg>, _c: CancellationToken) {}
    fn changed(&mut self, _app: &App, _change: Change) {}
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chaosdeck-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// One `--plain --auto` pass of the default story on the simulator, seeded,
/// recorded to `path`; the live app's journal.
async fn record_pass(seed: u64, path: &Path) -> Vec<Entry> {
    let clock = ShowClock::start(1.0);
    let backend = testing::sim_backend(seed, clock).await;
    let config = testing::one_pass_config(default_script(), seed);
    let header = Header::new(&config, "built-in chapters", DEFAULT_CHAPTERS, 1.0);
    let mut app = App::new(config);
    let mut show = testing::instant_show(backend, clock);
    show.recorder = Some(Recorder::create(path, &header).unwrap());
    show.run(&mut app, &mut Unseen).await;
    let lines = show.recorder.take().unwrap().finish().unwrap();
    assert!(lines > 100, "a whole pass is more than {lines} inputs");
    app.journal().entries().cloned().collect()
}

fn player(path: &Path) -> Player {
    Player::new(Arc::new(replay::load(path).unwrap())).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_recorded_pass_replays_to_the_same_journal() {
    let path = scratch("pass.ndjson");
    let live = record_pass(11, &path).await;
    // The pass found the fault, diagnosed it and recovered: the figures
    // compared below are real ones.
    let has = |f: fn(&Kind) -> bool| live.iter().any(|e| f(&e.kind));
    assert!(has(|k| matches!(k, Kind::Fault { .. })), "{live:#?}");
    assert!(has(|k| matches!(k, Kind::Detection { .. })), "{live:#?}");
    assert!(has(|k| matches!(k, Kind::Diagnosis { .. })), "{live:#?}");
    assert!(has(|k| matches!(k, Kind::Recovered { .. })), "{live:#?}");

    let mut replayed = player(&path);
    replayed.play_to_end();
    let app = replayed.app();
    let again: Vec<Entry> = app.journal().entries().cloned().collect();
    assert_eq!(again, live);
    assert_eq!(app.scoreboard().passes, 1);
    assert!(app.replay().is_some_and(|r| r.starts_with("REPLAY")));
}

#[tokio::test(start_paused = true)]
async fn chapter_jumps_land_on_each_chapters_start_and_back() {
    let path = scratch("jumps.ndjson");
    record_pass(5, &path).await;
    let mut p = player(&path);
    let starts = p.chapters().to_vec();
    let chapters = default_script().chapters.len();
    assert_eq!(
        starts.iter().map(|s| s.chapter).collect::<Vec<_>>(),
        (0..chapters).collect::<Vec<_>>(),
        "one pass enters every chapter once, in order"
    );
    for start in &starts {
        assert!(p.next_chapter(), "to {}", start.title);
        assert_eq!(p.app().chapter(), start.chapter);
        assert_eq!(p.position(), start.input + 1);
    }
    assert!(!p.next_chapter(), "no chapter after the last");
    // Back to the third chapter: the same app as playing straight to it.
    while p.app().chapter() > 2 {
        assert!(p.prev_chapter());
    }
    let mut straight = player(&path);
    straight.seek(starts[2].input + 1);
    let journal = |p: &Player| p.app().journal().entries().cloned().collect::<Vec<_>>();
    assert_eq!(journal(&p), journal(&straight));
    assert_eq!(p.app().now(), straight.app().now());
}

#[tokio::test(start_paused = true)]
async fn a_recording_cut_mid_line_replays_up_to_the_cut() {
    let path = scratch("cut.ndjson");
    record_pass(3, &path).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let whole = replay::format::parse(text.as_bytes()).unwrap();
    // Cut in the middle of a line, as a SIGKILL while writing would.
    let cut_at = text.len() / 2;
    let cut_at = (cut_at..text.len())
        .find(|&i| text.as_bytes()[i] == b'"')
        .unwrap();
    let cut = replay::format::parse(&text.as_bytes()[..cut_at]).unwrap();
    assert!(cut.cut_off);
    assert!(!cut.lines.is_empty() && cut.lines.len() < whole.lines.len());
    // A damaged line in the middle is refused by its number.
    let mut lines: Vec<&str> = text.lines().collect();
    lines[7] = "{\"t\":1.0,\"msg\":{\"tick\":";
    let err = replay::format::parse((lines.join("\n") + "\n").as_bytes()).unwrap_err();
    assert_eq!(err.line, 8, "{err}");
    assert!(
        err.to_string().starts_with("line 8: a damaged line"),
        "{err}"
    );
}
