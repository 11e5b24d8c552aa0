//! The show loop: one task owns the app, applies every message with `update`,
//! hands effects to the runner and lets a front end (full screen or plain
//! lines) present the result.

pub mod effects;
pub mod inputs;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::agent::Analyzer;
use crate::app::{App, Effect, ExitKind, LeftFault, Msg, update};
use crate::clock::ShowClock;
use crate::cluster::{BackendError, Before, ClusterBackend, FaultSpec, InjectedFault};
use crate::replay::{Input, Recorder};
use crate::state::journal_file::JournalFile;
use crate::state::ledger::{LedgerEntry, LedgerFile};
use crate::supervision::Supervision;
use effects::EffectRunner;

/// What a message changed, so a front end can decide when to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Time passed: only timers and ages moved.
    Tick,
    /// The world answered (snapshots, events, samples, effects).
    World,
    /// The presenter pressed a key: answer at once.
    Presenter,
}

/// How many frames a front end has drawn, and when it drew the last: the
/// full screen's frames, or plain mode's updates written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Frames {
    pub drawn: u64,
    pub last: Option<Instant>,
}

/// How the show is presented. Front ends read the app (and its journal,
/// through their own cursor); they never change it.
pub trait Frontend {
    /// Starts the presenter's input, sending commands on `tx` until cancelled.
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, cancel: CancellationToken);
    /// Called after every message, saying what kind of change it was.
    fn changed(&mut self, app: &App, change: Change);
    /// When the front end wants to be called again without a message (a frame
    /// held back by the frame cap).
    fn wake_at(&self) -> Option<Instant> {
        None
    }
    /// Why the terminal is gone, once writing to it failed: the show leaves
    /// as on a hang-up.
    fn gone(&self) -> Option<String> {
        None
    }
    /// What it has drawn so far (for `READY=1` and the metrics).
    fn frames(&self) -> Frames {
        Frames::default()
    }
    /// Called once when the show ends, after the last answers have landed.
    fn finish(&mut self, app: &App) {
        self.changed(app, Change::World);
    }
}

/// The fault that may be in place, readable from outside the show's task:
/// whatever ends the show (a quit, a signal, a panic), the caller recovers
/// what it holds. The effect runner writes it around its calls to the world,
/// so it also knows a fault whose answer the app never saw. With a ledger
/// file it is also on disk, for a next start after a SIGKILL.
#[derive(Debug, Clone, Default)]
pub struct FaultGuard {
    held: Arc<Mutex<Option<Held>>>,
    ledger: Option<(LedgerFile, String)>,
}

/// The fault a guard holds, with what it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub spec: FaultSpec,
    pub service: String,
    pub before: Option<Before>,
}

impl FaultGuard {
    /// A guard that also keeps the fault in `ledger`, naming `cluster`.
    pub fn with_ledger(ledger: LedgerFile, cluster: String) -> Self {
        Self {
            held: Arc::default(),
            ledger: Some((ledger, cluster)),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Option<Held>> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An injection is about to be sent: from now on the fault may be in
    /// place. Returns only once the ledger is on disk, with what the fault
    /// will change; an error means the injection must not go ahead.
    pub fn set_possible(
        &self,
        spec: FaultSpec,
        service: &str,
        before: Option<Before>,
    ) -> Result<(), String> {
        if let Some((ledger, cluster)) = &self.ledger {
            let entry = LedgerEntry {
                fault: spec,
                service: service.to_string(),
                cluster: cluster.clone(),
                at: crate::state::rfc3339(crate::state::wall_now()),
                pid: std::process::id(),
                before: before.clone(),
            };
            ledger.record(&entry).map_err(|e| {
                format!(
                    "cannot write the fault ledger {}: {e}",
                    ledger.path().display()
                )
            })?;
        }
        *self.held() = Some(Held {
            spec,
            service: service.to_string(),
            before,
        });
        Ok(())
    }

    pub fn confirm(&self, fault: &InjectedFault) {
        let mut held = self.held();
        let before = held
            .take()
            .filter(|h| h.service == fault.service)
            .and_then(|h| h.before);
        *held = Some(Held {
            spec: fault.spec,
            service: fault.service.clone(),
            before,
        });
    }

    /// What the fault on `service` changed, to put back on recovery.
    pub fn before_of(&self, service: &str) -> Option<Before> {
        self.held()
            .as_ref()
            .filter(|h| h.service == service)
            .and_then(|h| h.before.clone())
    }

    /// `service` is known to be fine again.
    pub fn clear(&self, service: &str) {
        let mut held = self.held();
        if held.as_ref().is_some_and(|h| h.service == service) {
            *held = None;
            if let Some((ledger, cluster)) = &self.ledger
                && let Err(e) = ledger.clear(cluster)
            {
                tracing::error!("cannot clear the fault ledger: {e}");
            }
        }
    }

    /// The fault that may be in place.
    pub fn peek(&self) -> Option<Held> {
        self.held().clone()
    }
}

/// The longest the loop sleeps without a tick (real time): ages on screen
/// move on, and the clock reads often enough to tell a stop of the process
/// ([`crate::clock::STOPPED_AFTER`]).
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// The shortest sleep between two wakes without a message.
const MIN_WAKE: Duration = Duration::from_millis(5);

/// Longest wait for injections and recoveries in flight when leaving.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Show {
    pub backend: Arc<dyn ClusterBackend>,
    pub analyzer: Arc<dyn Analyzer>,
    pub clock: ShowClock,
    pub guard: FaultGuard,
    /// The journal on disk, when there is one.
    pub journal: Option<JournalFile>,
    /// What the world outside hears of the loop: systemd, `/metrics`.
    pub supervision: Supervision,
    /// `--record`: every input the app receives, when recording.
    pub recorder: Option<Recorder>,
}

impl Show {
    /// Runs until the app asks to leave. The fault still in place, if any, is
    /// left in the guard for the caller to recover.
    pub async fn run(&mut self, app: &mut App, frontend: &mut impl Frontend) -> ExitKind {
        let (tx, mut rx) = mpsc::channel::<Msg>(1024);
        let cancel = CancellationToken::new();
        self.clock.watch_for_stops();
        inputs::spawn_snapshots(
            Arc::clone(&self.backend),
            tx.clone(),
            self.clock,
            cancel.clone(),
        );
        inputs::spawn_streams(self.backend.subscribe(), tx.clone(), cancel.clone());
        inputs::spawn_signals(tx.clone(), cancel.clone());
        inputs::spawn_troubles(tx.clone(), cancel.clone());
        frontend.spawn_input(tx.clone(), cancel.clone());
        let mut runner = EffectRunner::new(
            Arc::clone(&self.backend),
            Arc::clone(&self.analyzer),
            tx,
            self.guard.clone(),
        );

        let stale_after = inputs::stale_after(self.clock);
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.record(self.clock.now(), Input::StaleAfter(stale_after));
        }
        app.set_stale_after(stale_after);
        let start = self.feed(app, Msg::Start(self.clock.now()));
        let mut exit = self.apply(start, &mut runner);
        self.present(app, frontend, Change::World);
        self.supervision.turned(app, frontend.frames());
        let mut last_tick = Instant::now();
        while exit.is_none() {
            // Asleep until a message, the soonest timer, a frame held back,
            // or the heartbeat: no fixed tick.
            let wake = self.next_wake(app, frontend, last_tick);
            let msg = tokio::select! {
                msg = rx.recv() => msg,
                () = tokio::time::sleep_until(wake) => {
                    last_tick = Instant::now();
                    Some(Msg::Tick(self.clock.now()))
                }
            };
            let Some(msg) = msg else { break };
            let change = match msg {
                Msg::Tick(_) => Change::Tick,
                Msg::Command(_) | Msg::Redraw => Change::Presenter,
                _ => Change::World,
            };
            if change != Change::Tick {
                // Timers first move to now, so that one this message starts
                // counts from now, not from the last tick.
                let fx = self.feed(app, Msg::Tick(self.clock.now()));
                exit = self.apply(fx, &mut runner);
                if exit.is_some() {
                    break;
                }
            }
            let fx = self.feed(app, msg);
            exit = self.apply(fx, &mut runner);
            self.present(app, frontend, change);
            if exit.is_none()
                && let Some(why) = frontend.gone()
            {
                let fx = self.feed(app, Msg::TerminalGone(why));
                exit = self.apply(fx, &mut runner);
            }
            // Only here: a loop that stops turning stops the watchdog's pings.
            self.supervision.turned(app, frontend.frames());
        }
        self.supervision.leaving();
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
                Some(msg) = rx.recv() => {
                    self.feed(app, msg);
                    self.present(app, frontend, Change::World);
                }
            }
        }
        while let Ok(msg) = rx.try_recv() {
            self.feed(app, msg);
        }
        if let Some(journal) = self.journal.as_mut() {
            journal.write_new(app.journal());
        }
        frontend.finish(app);
        self.supervision.finished(app, frontend.frames());
        exit.unwrap_or(ExitKind::Success)
    }

    /// Applies `msg` with `update`, recording it first: the one way a
    /// message reaches the app, so a recording holds every one.
    pub fn feed(&mut self, app: &mut App, msg: Msg) -> Vec<Effect> {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.record_msg(self.clock.now(), &msg);
        }
        update(app, msg)
    }

    fn present(&mut self, app: &App, frontend: &mut impl Frontend, change: Change) {
        if change != Change::Tick
            && let Some(journal) = self.journal.as_mut()
        {
            journal.write_new(app.journal());
        }
        frontend.changed(app, change);
    }

    /// When the loop must wake without a message.
    fn next_wake(&self, app: &App, frontend: &impl Frontend, last_tick: Instant) -> Instant {
        let now = Instant::now();
        let timer = app.next_timer().map(|left| {
            let due = (app.timers_at() + left).saturating_sub(self.clock.now());
            now + self.clock.to_real(due)
        });
        [
            Some(last_tick + HEARTBEAT),
            timer,
            frontend.wake_at(),
            self.supervision.wake_at(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + HEARTBEAT)
        // A timer already due is met by the next tick; never a busy loop.
        .max(now + MIN_WAKE)
    }

    fn apply(&self, effects: Vec<Effect>, runner: &mut EffectRunner) -> Option<ExitKind> {
        let mut exit = None;
        for effect in effects {
            match effect {
                Effect::Quit { exit: kind } => exit = Some(kind),
                Effect::FreezeTime { frozen } => self.clock.freeze(frozen),
                effect => runner.start(effect),
            }
        }
        exit
    }
}

/// Recovers the fault the guard holds, if any, and says what happened.
pub async fn recover_left_fault(
    backend: &dyn ClusterBackend,
    guard: &FaultGuard,
) -> Option<LeftFault> {
    let Held {
        spec,
        service,
        before,
    } = guard.held().clone()?;
    let recovery = spec.recovery();
    let outcome = tokio::time::timeout(
        SETTLE_TIMEOUT,
        backend.recover(recovery, &service, before.as_ref()),
    )
    .await;
    let shown = crate::ui::text::plain(&service);
    let recovered = matches!(
        outcome,
        Ok(Ok(()) | Err(BackendError::NothingToRecover { .. }))
    );
    if recovered {
        guard.clear(&service);
    }
    let message = match outcome {
        Ok(Ok(())) => {
            format!("recovered {shown} ({recovery} after {spec}) before leaving")
        }
        // An injection whose answer never came may not have landed.
        Ok(Err(BackendError::NothingToRecover { .. })) => {
            format!("{shown} needed no recovery before leaving")
        }
        Ok(Err(e)) => format!(
            "could NOT recover {shown} ({recovery}) before leaving: refused: {}. Recover it by hand; the next start will try again.",
            crate::ui::text::plain(&e.to_string())
        ),
        Err(_) => format!(
            "could NOT recover {shown} ({recovery}) before leaving: no answer within {}. Check it by hand; the next start will try again.",
            crate::app::timeline::secs(SETTLE_TIMEOUT)
        ),
    };
    Some(LeftFault {
        recovery,
        service,
        recovered,
        message,
    })
}
