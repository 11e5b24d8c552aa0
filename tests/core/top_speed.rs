//! The built-in story at the top speed the command line accepts, headless on
//! the simulator and paused tokio time: every pass ends healthy, as it does
//! at speed 1 (`chaosdeck --plain --auto --speed 1000` exits 0).

use chaosdeck::testing;

use chaosdeck::app::{App, Cursor, ExitKind, Msg};
use chaosdeck::clock::ShowClock;
use chaosdeck::show::{Change, Frontend};
use chaosdeck::story::default_script;
use clap::Parser;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The highest `--speed` the command line takes, found from its own parser.
fn top_speed() -> f64 {
    let parses = |speed: &str| {
        chaosdeck::cli::Cli::try_parse_from(["chaosdeck", "--speed", speed])
            .map(|cli| cli.show.speed)
    };
    assert!(parses("1000.001").is_err(), "the range ends above 1000");
    parses("1000").expect("1000 is accepted")
}

/// Keeps the journal's texts.
#[derive(Default)]
struct Texts {
    texts: Vec<String>,
    cursor: Cursor,
}

impl Frontend for Texts {
    fn spawn_input(&mut self, _tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {}

    fn changed(&mut self, app: &App, _change: Change) {
        let (_, new) = app.journal().read(&mut self.cursor);
        self.texts.extend(new.map(|entry| entry.text.clone()));
    }
}

/// One pass of the default story in auto mode, as `--plain --auto` runs it.
async fn one_pass(seed: u64, speed: f64) -> (ExitKind, Vec<String>) {
    let clock = ShowClock::start(speed);
    let backend = testing::sim_backend(seed, clock).await;
    let mut app = App::new(testing::one_pass_config(default_script(), seed));
    let mut texts = Texts::default();
    let exit = testing::instant_show(backend, clock)
        .run(&mut app, &mut texts)
        .await;
    (exit, texts.texts)
}

#[tokio::test(start_paused = true)]
async fn every_pass_at_the_top_speed_ends_healthy() {
    let speed = top_speed();
    for seed in [1, 7, 21, 42, 99] {
        let (exit, texts) = one_pass(seed, speed).await;
        assert_eq!(exit, ExitKind::Success, "seed {seed}: {texts:#?}");
        assert!(
            texts
                .iter()
                .any(|t| t.contains("ended with the cluster healthy")),
            "seed {seed}: {texts:#?}"
        );
        assert!(
            !texts.iter().any(|t| t.contains("stale")),
            "seed {seed}: {texts:#?}"
        );
    }
}
