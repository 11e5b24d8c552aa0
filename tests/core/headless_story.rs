//! The whole default story, headless, on the simulator and paused tokio time:
//! countdowns, dwells, timeouts and the simulator all run on tokio's clock,
//! so minutes of show pass in moments and the same seed replays the same show.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chaosdeck::app::{App, Command, Entry, ExitKind, Mode, Msg};
use chaosdeck::clock::ShowClock;
use chaosdeck::show::{Frontend, recover_left_fault};
use chaosdeck::story::{default_script, parse_script};
use chaosdeck::testing;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Records the journal; optionally quits once a fault is in place.
#[derive(Default)]
struct Recorder {
    entries: Arc<Mutex<Vec<Entry>>>,
    quit_on_fault: bool,
    tx: Option<mpsc::Sender<Msg>>,
    quit_sent: bool,
    cursor: chaosdeck::app::Cursor,
}

impl Frontend for Recorder {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {
        self.tx = Some(tx);
    }

    fn changed(&mut self, app: &App, _change: chaosdeck::show::Change) {
        let (_, new) = app.journal().read(&mut self.cursor);
        self.entries.lock().unwrap().extend(new.cloned());
        if self.quit_on_fault && app.fault().fault().is_some() && !self.quit_sent {
            self.quit_sent = true;
            let tx = self.tx.clone().unwrap();
            tokio::spawn(async move { tx.send(Msg::Command(Command::Quit)).await });
        }
    }
}

/// The simulated cluster as the binary builds it.
async fn run_story(
    seed: u64,
    script: chaosdeck::story::Script,
) -> (ExitKind, Vec<Entry>, App, Duration) {
    let clock = ShowClock::start(1.0);
    let backend = testing::sim_backend(seed, clock).await;
    let mut app = App::new(testing::one_pass_config(script, seed));
    let mut show = testing::instant_show(backend, clock);
    let mut recorder = Recorder::default();
    let exit = show.run(&mut app, &mut recorder).await;
    let entries = recorder.entries.lock().unwrap().clone();
    (exit, entries, app, clock.now())
}

fn texts(entries: &[Entry]) -> Vec<String> {
    entries.iter().map(|e| e.text.clone()).collect()
}

#[tokio::test(start_paused = true)]
async fn the_default_story_runs_to_the_end_with_the_cluster_healthy() {
    let (exit, entries, app, elapsed) = run_story(7, default_script()).await;
    let texts = texts(&entries);
    assert_eq!(exit, ExitKind::Success, "{texts:#?}");
    let chapters: Vec<&String> = texts.iter().filter(|t| t.starts_with("chapter ")).collect();
    assert_eq!(chapters.len(), 8, "{chapters:#?}");
    for needle in [
        "the cluster is healthy by every signal",
        "baseline",
        "INJECTED kill",
        "DETECTED",
        "DIAGNOSIS:",
        "RECOVERY: start",
        "recovered",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(needle)),
            "no {needle:?} in {texts:#?}"
        );
    }
    assert!(app.fault().is_idle());
    assert!(app.cluster().snapshot.as_ref().unwrap().is_healthy());
    // The workload runs only between the story's start_load and stop_load.
    let evidence = app
        .world()
        .evidence_recorder()
        .evidence(app.now(), None, Vec::new());
    let samples = evidence.samples;
    assert!(!samples.is_empty());
    let started = entries
        .iter()
        .find(|e| e.text == "workload started")
        .unwrap()
        .at;
    assert!(
        samples.iter().all(|s| s.at > started),
        "a sample before start_load"
    );
    let t = &app.timeline();
    let (detected, _) = t.detected.expect("detected");
    let diagnosed = t.diagnosed.expect("diagnosed");
    let recovered = t.recovered.expect("recovered");
    assert!(detected <= diagnosed && diagnosed <= recovered);
    // Everything after the fault carries its time since the fault.
    let injected = entries
        .iter()
        .position(|e| e.text.starts_with("INJECTED"))
        .unwrap();
    assert!(
        entries[injected + 1..]
            .iter()
            .all(|e| e.after_fault.is_some())
    );
    // Minutes of show, run on paused time.
    assert!(elapsed > Duration::from_secs(60), "{elapsed:?}");
}

/// The report draws each pass from the journal: its workload chart is
/// written once, just before the pass's end, with every sample and the
/// episode's moments in order (F, P, E, R for a kill), the fault's window
/// from F to R.
#[tokio::test(start_paused = true)]
async fn the_pass_s_workload_chart_is_journalled_before_its_end() {
    use chaosdeck::app::Kind;
    use chaosdeck::app::pass_chart::{JOURNAL_BUCKETS, MomentKind};
    let (_, entries, _, _) = run_story(7, default_script()).await;
    let charts: Vec<(usize, &chaosdeck::app::pass_chart::PassChart)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.kind {
            Kind::Workload(chart) => Some((i, chart)),
            _ => None,
        })
        .collect();
    let [(at, chart)] = charts[..] else {
        panic!("one chart a pass: {}", charts.len());
    };
    assert!(matches!(entries[at + 1].kind, Kind::PassEnd { .. }));
    assert!(!chart.points.is_empty() && chart.points.len() <= JOURNAL_BUCKETS);
    assert!(chart.points.windows(2).all(|w| w[0].to <= w[1].from));
    let kinds: Vec<MomentKind> = chart.moments.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MomentKind::Fault,
            MomentKind::PdVerdict,
            MomentKind::LeadersReelected,
            MomentKind::Recovered
        ]
    );
    let fault = entries
        .iter()
        .find(|e| matches!(e.kind, Kind::Fault { .. }))
        .unwrap();
    assert_eq!(chart.moments[0].at, fault.at);
    assert_eq!(chart.window_from, Some(fault.at));
    assert_eq!(chart.window_to, Some(chart.moments[3].at));
    let baseline = chart.baseline.expect("a baseline");
    assert!(
        chart.points.iter().any(|p| p.min < baseline / 2.0),
        "the outage is drawn"
    );
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_replays_the_same_show() {
    let first = run_story(21, default_script()).await;
    let second = run_story(21, default_script()).await;
    assert_eq!(texts(&first.1), texts(&second.1));
    assert_eq!(first.2.timeline(), second.2.timeline());
}

#[tokio::test(start_paused = true)]
async fn the_countdown_and_the_dwell_run_on_show_time() {
    let script = parse_script(
        r#"
[[chapter]]
title = "Wait"
dwell = "5s"

[[chapter]]
title = "Count"
on_enter = [{ action = "wait_healthy" }, { action = "countdown", seconds = 3 }, { action = "inject_fault", kind = "stop", target = "tikv2" }]
dwell = "1s"

[[chapter]]
title = "Back"
on_enter = [{ action = "recover" }, { action = "await_recovery", timeout = "2m" }]
dwell = "1s"
"#,
        "test",
    )
    .unwrap();
    let (exit, entries, _, _) = run_story(3, script).await;
    let at = |needle: &str| {
        entries
            .iter()
            .find(|e| e.text.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in {:#?}", texts(&entries)))
            .at
    };
    assert_eq!(exit, ExitKind::Success, "{:#?}", texts(&entries));
    let second = at("chapter 2/3");
    assert!(
        second >= Duration::from_secs(5) && second < Duration::from_millis(5200),
        "{second:?}"
    );
    let countdown = at("countdown finished") - at("the cluster is healthy by every signal");
    assert!(
        countdown >= Duration::from_secs(3) && countdown < Duration::from_millis(3200),
        "{countdown:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn quitting_with_a_fault_in_place_leaves_it_for_recovery_and_recovery_works() {
    let script = parse_script(
        "[[chapter]]\ntitle = \"Now\"\non_enter = [{ action = \"wait_healthy\" }, { action = \"inject_fault\", kind = \"partition\", target = \"tikv0\" }]\n",
        "test",
    )
    .unwrap();
    let clock = ShowClock::start(1.0);
    let backend = testing::sim_backend(5, clock).await;
    let mut app = App::new(testing::config(script, Mode::Presenter));
    let mut show = testing::instant_show(Arc::clone(&backend), clock);
    let guard = show.guard.clone();
    let mut recorder = Recorder {
        quit_on_fault: true,
        ..Recorder::default()
    };
    let exit = show.run(&mut app, &mut recorder).await;
    assert_eq!(exit, ExitKind::Success);
    let left = recover_left_fault(backend.as_ref(), &guard)
        .await
        .expect("a fault to recover");
    assert!(left.recovered);
    assert!(
        left.message
            .contains("recovered tikv0 (reconnect after partition)"),
        "{}",
        left.message
    );
    let snapshot = backend.snapshot().await.unwrap();
    let process = snapshot.process("tikv0").unwrap();
    assert!(process.network_connected, "{process:?}");
    assert!(
        recover_left_fault(backend.as_ref(), &guard).await.is_none(),
        "nothing left"
    );
}
