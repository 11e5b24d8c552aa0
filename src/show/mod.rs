//! The show loop: one task owns the app, applies every message with `update`,
//! hands effects to the runner and lets a front end (full screen or plain
//! lines) present the result.

pub mod effects;
pub mod inputs;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::agent::Analyzer;
use crate::app::{App, Effect, ExitKind, Msg, update};
use crate::clock::ShowClock;
use crate::cluster::{ClusterBackend, InjectedFault};
use effects::EffectRunner;

/// How the show is presented.
pub trait Frontend {
    /// Starts the presenter's input, sending commands on `tx` until cancelled.
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, cancel: CancellationToken);
    /// Called after every message; `significant` is false for a bare tick.
    fn changed(&mut self, app: &mut App, significant: bool);
    /// When the front end wants to be called again without a message (a frame
    /// held back by the frame cap).
    fn wake_at(&self) -> Option<tokio::time::Instant> {
        None
    }
    /// Called once when the show ends, after the last answers have landed.
    fn finish(&mut self, app: &mut App) {
        self.changed(app, true);
    }
}

/// The fault in place, readable from outside the show's task: whatever ends
/// the show (a quit, a signal, a panic), main recovers what it holds.
#[derive(Debug, Clone, Default)]
pub struct FaultGuard(Arc<Mutex<Option<InjectedFault>>>);

impl FaultGuard {
    pub fn set(&self, fault: Option<InjectedFault>) {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *held = fault;
    }

    pub fn take(&self) -> Option<InjectedFault> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

/// Longest wait for injections and recoveries in flight when leaving.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Show {
    pub backend: Arc<dyn ClusterBackend>,
    pub analyzer: Arc<dyn Analyzer>,
    pub clock: ShowClock,
    pub guard: FaultGuard,
}

impl Show {
    /// Runs until the app asks to leave. The fault still in place, if any, is
    /// left in the guard for the caller to recover.
    pub async fn run(&self, app: &mut App, frontend: &mut impl Frontend) -> ExitKind {
        let (tx, mut rx) = mpsc::channel::<Msg>(1024);
        let cancel = CancellationToken::new();
        inputs::spawn_ticks(tx.clone(), self.clock, cancel.clone());
        inputs::spawn_snapshots(
            Arc::clone(&self.backend),
            tx.clone(),
            self.clock,
            cancel.clone(),
        );
        inputs::spawn_streams(self.backend.subscribe(), tx.clone(), cancel.clone());
        inputs::spawn_signals(tx.clone(), cancel.clone());
        frontend.spawn_input(tx.clone(), cancel.clone());
        let mut runner =
            EffectRunner::new(Arc::clone(&self.backend), Arc::clone(&self.analyzer), tx);

        app.now = self.clock.now();
        app.timers_at = app.now;
        let mut exit = self.apply(app.start(), &mut runner);
        frontend.changed(app, true);
        while exit.is_none() {
            let wake = frontend.wake_at();
            let msg = tokio::select! {
                msg = rx.recv() => msg,
                () = sleep_until(wake) => {
                    frontend.changed(app, false);
                    continue;
                }
            };
            let Some(msg) = msg else { break };
            let significant = !matches!(msg, Msg::Tick(_));
            exit = self.apply(update(app, msg), &mut runner);
            self.guard.set(app.fault.clone());
            frontend.changed(app, significant);
        }
        cancel.cancel();

        // Let injections and recoveries in flight land, applying their answers,
        // so that a fault injected at the last moment is known and recovered.
        let settle = runner.settle();
        tokio::pin!(settle);
        let deadline = tokio::time::sleep(SETTLE_TIMEOUT);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut settle => break,
                () = &mut deadline => break,
                Some(msg) = rx.recv() => { update(app, msg); }
            }
        }
        while let Ok(msg) = rx.try_recv() {
            update(app, msg);
        }
        self.guard.set(app.fault.clone());
        frontend.finish(app);
        exit.unwrap_or(ExitKind::Success)
    }

    fn apply(&self, effects: Vec<Effect>, runner: &mut EffectRunner) -> Option<ExitKind> {
        let mut exit = None;
        for effect in effects {
            match effect {
                Effect::Quit { exit: kind } => exit = Some(kind),
                effect => runner.start(effect),
            }
        }
        exit
    }
}

async fn sleep_until(wake: Option<tokio::time::Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Recovers the fault the guard holds, if any, and says what happened.
pub async fn recover_left_fault(
    backend: &dyn ClusterBackend,
    guard: &FaultGuard,
) -> Option<String> {
    let fault = guard.take()?;
    let recovery = fault.kind.recovery();
    let outcome =
        tokio::time::timeout(SETTLE_TIMEOUT, backend.recover(recovery, &fault.service)).await;
    Some(match outcome {
        Ok(Ok(())) => format!(
            "chaosdeck: recovered {} ({} after {}) before leaving",
            fault.service, recovery, fault.kind
        ),
        Ok(Err(e)) => format!(
            "chaosdeck: could NOT recover {} ({recovery}): {e}. Recover it by hand.",
            fault.service
        ),
        Err(_) => format!(
            "chaosdeck: recovering {} ({recovery}) timed out. Check it by hand.",
            fault.service
        ),
    })
}
