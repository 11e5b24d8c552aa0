//! The show's loop over the simulator, as the binary builds it, and a
//! front end's way out of it.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::agent::{Analyzer, BuiltinAnalyzer};
use crate::app::{App, Command, Msg};
use crate::clock::ShowClock;
use crate::cluster::ClusterBackend;
use crate::show::{FaultGuard, Show};

/// The simulator with the command line's defaults, seeded, on `clock`.
pub async fn sim_backend(seed: u64, clock: ShowClock) -> Arc<dyn ClusterBackend> {
    let args = <crate::cli::Cli as clap::Parser>::parse_from(["chaosdeck"]).show;
    crate::launch::backend(&args, seed, clock)
        .await
        .expect("simulator starts")
}

/// The show over `backend` with `analyzer`, a fresh fault guard and no
/// journal file.
pub fn show_with(
    backend: Arc<dyn ClusterBackend>,
    analyzer: Arc<dyn Analyzer>,
    clock: ShowClock,
) -> Show {
    Show {
        backend,
        analyzer,
        clock,
        guard: FaultGuard::default(),
        journal: None,
        supervision: crate::supervision::Supervision::none(),
        recorder: None,
    }
}

/// The show over `backend`: the built-in analyzer without pacing, no
/// journal file.
pub fn instant_show(backend: Arc<dyn ClusterBackend>, clock: ShowClock) -> Show {
    show_with(backend, Arc::new(BuiltinAnalyzer::instant()), clock)
}

/// The part of a test's front end that leaves the show once `passes` passes
/// have ended: `q` twice, as a kiosk asks a visitor (a presenter's first
/// press already leaves). Hand it the input in
/// [`Frontend::spawn_input`](crate::show::Frontend::spawn_input) and each
/// change in [`Frontend::changed`](crate::show::Frontend::changed).
pub struct LeaveAfter {
    passes: u64,
    tx: Option<mpsc::Sender<Msg>>,
    sent: bool,
}

impl LeaveAfter {
    pub fn new(passes: u64) -> Self {
        Self {
            passes,
            tx: None,
            sent: false,
        }
    }

    /// Keeps the show's input, to press `q` on.
    pub fn input(&mut self, tx: mpsc::Sender<Msg>) {
        self.tx = Some(tx);
    }

    /// Presses `q` twice, once, when `app` has ended enough passes.
    pub fn changed(&mut self, app: &App) {
        if self.sent || app.scoreboard().passes < self.passes {
            return;
        }
        let Some(tx) = self.tx.clone() else {
            return;
        };
        self.sent = true;
        tokio::spawn(async move {
            for _ in 0..2 {
                tx.send(Msg::Command(Command::Quit)).await?;
            }
            Ok::<(), mpsc::error::SendError<Msg>>(())
        });
    }
}
