//! What reaches the app loop, and what it asks the world to do.

use std::borrow::Cow;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::agent::{AnalyzerError, Diagnosis, Evidence, Progress};
use crate::cluster::{
    BackendError, ClusterEvent, ClusterSnapshot, FaultSpec, InjectedFault, Recovery,
};
use crate::workload::WorkloadSample;

/// What the presenter asked for, whatever key or clicker sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Next,
    Prev,
    Reset,
    TogglePause,
    /// ESC: abandon the running action, whatever it is.
    Abort,
    /// `a`: apply the agent's allowlisted recommendation (presenter only).
    ApplyRecommendation,
    ToggleHelp,
    /// `H`: recover every fault, stop the load and hold, in every mode.
    Halt,
    /// `K`: hand autoplay to the presenter or back (kiosk).
    ToggleAutoplay,
    /// A key with no command of its own: in kiosk mode a person is there.
    Touch,
    Quit,
    /// Ctrl+C in raw mode, where it is a key and not a signal: leave as
    /// SIGINT would.
    Interrupt,
}

/// Identifies one run of one action, so that a result that arrives after the
/// presenter moved on is recognised as stale.
pub type RunId = u64;

/// Serialisable whole, for `--record` (see `crate::replay`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Msg {
    /// The show starts at this show time: the first chapter is entered.
    Start(Duration),
    Command(Command),
    /// Show time has advanced to this instant.
    Tick(Duration),
    Snapshot(Result<ClusterSnapshot, BackendError>),
    Event(ClusterEvent),
    Sample(WorkloadSample),
    /// The result of [`Effect::Inject`]. Always applied, even when stale: a
    /// fault that landed must be known so that it is recovered.
    Injected {
        run: RunId,
        result: Result<InjectedFault, BackendError>,
    },
    /// The answer to [`Effect::Recover`], for the ledger's fault or a heal.
    Recovered {
        recovery: Recovery,
        service: String,
        result: Result<(), BackendError>,
    },
    LoadSet {
        run: Option<RunId>,
        running: bool,
        result: Result<(), BackendError>,
    },
    AgentLine {
        run: RunId,
        line: Progress,
    },
    Diagnosed {
        run: RunId,
        result: Result<Diagnosis, AnalyzerError>,
    },
    /// The screen needs drawing again (a resize); the state is unchanged.
    Redraw,
    /// A signal asks the show to leave (its number, for the exit code).
    Signal {
        number: i32,
        name: Cow<'static, str>,
    },
    /// The terminal went away: its input ended or failed, or drawing failed.
    TerminalGone(String),
    /// Plain mode's presenter input ended (or failed, the reason given):
    /// nobody can drive the story any more.
    InputEnded(Option<String>),
    /// The fault left in place when the show ended was answered (after the
    /// show loop stopped): journalled, so the file says how the run ended.
    LeftFault(LeftFault),
    /// A background task failed and is being restarted.
    TaskTrouble {
        task: Cow<'static, str>,
        what: String,
    },
    /// The backend's word on its own feeds (a stream closed, a task of its
    /// stopped): said in the monitor pane and journalled.
    Notice(crate::cluster::Notice),
}

/// What became of the fault left in place when the show ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftFault {
    pub recovery: Recovery,
    pub service: String,
    /// False when it could not be recovered (refused, or no answer in
    /// time): exit code 3, and the ledger keeps it for the next start.
    pub recovered: bool,
    /// One line saying what happened and, if it failed, what to do.
    pub message: String,
}

/// Work for the world, carried out by the runtime (or by tests, by hand).
#[derive(Debug, Clone)]
pub enum Effect {
    Inject {
        run: RunId,
        spec: FaultSpec,
        service: String,
        /// How the story came to the service: `random`, named, `pd-leader`.
        aim: crate::cluster::Aim,
    },
    /// Undo a fault: the ledger's, or one found on the cluster (a heal).
    Recover {
        recovery: Recovery,
        service: String,
    },
    SetLoad {
        /// The chapter run that asked, if any (not a reset, halt or pass end).
        run: Option<RunId>,
        running: bool,
    },
    Diagnose {
        run: RunId,
        evidence: Box<Evidence>,
    },
    /// Stop the diagnosis in progress, if any.
    CancelDiagnosis,
    /// Stop show time (`true`) or let it run on (`false`). Sent only on the
    /// simulator, which advances from show time: a pause freezes it too.
    FreezeTime {
        frozen: bool,
    },
    /// Leave: the runtime waits for injections in flight, recovers the fault
    /// in place (if any), restores the terminal and exits.
    Quit {
        exit: ExitKind,
    },
}

/// Why the show ended; the process's exit code follows from it (and from
/// whether the fault in place could be recovered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// The presenter quit, or one `--plain --auto` pass finished well.
    Success,
    /// One `--plain --auto` pass failed (an action failed or timed out).
    StoryFailed,
    /// A signal (or its equivalent: Ctrl+C, the terminal gone): exit 128+N.
    Signal(i32),
}

/// SIGHUP's number: the terminal going away counts as a hang-up.
pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
