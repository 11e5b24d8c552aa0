//! What reaches the app loop, and what it asks the world to do.

use std::time::Duration;

use crate::agent::{Diagnosis, Evidence, Progress};
use crate::cluster::{
    BackendError, ClusterEvent, ClusterSnapshot, FaultKind, InjectedFault, Recovery,
};
use crate::workload::WorkloadSample;

/// What the presenter asked for, whatever key or clicker sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Next,
    Prev,
    Reset,
    TogglePause,
    /// ESC: abort a running countdown.
    Abort,
    /// `a`: apply the agent's allowlisted recommendation (presenter only).
    ApplyRecommendation,
    ToggleHelp,
    Quit,
}

/// Identifies one run of one action, so that a result that arrives after the
/// presenter moved on is recognised as stale.
pub type RunId = u64;

#[derive(Debug, Clone)]
pub enum Msg {
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
    Recovered {
        run: RunId,
        service: String,
        result: Result<(), BackendError>,
    },
    LoadSet {
        run: RunId,
        running: bool,
        result: Result<(), BackendError>,
    },
    AgentLine {
        run: RunId,
        line: Progress,
    },
    Diagnosed {
        run: RunId,
        result: Result<Diagnosis, String>,
    },
    /// The screen needs drawing again (a resize); the state is unchanged.
    Redraw,
    /// SIGTERM, SIGHUP or another reason to leave from outside.
    Shutdown(String),
}

/// Work for the world, carried out by the runtime (or by tests, by hand).
#[derive(Debug, Clone)]
pub enum Effect {
    Inject {
        run: RunId,
        kind: FaultKind,
        service: String,
        /// The script named the service (not `random`).
        named: bool,
    },
    Recover {
        run: RunId,
        recovery: Recovery,
        service: String,
    },
    SetLoad {
        run: RunId,
        running: bool,
    },
    Diagnose {
        run: RunId,
        evidence: Box<Evidence>,
    },
    /// Stop the diagnosis in progress, if any.
    CancelDiagnosis,
    /// Leave: the runtime waits for injections in flight, recovers the fault
    /// in place (if any), restores the terminal and exits.
    Quit {
        exit: ExitKind,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// The presenter quit, or one `--auto` pass finished well.
    Success,
    /// One `--auto` pass failed (an action failed or timed out).
    StoryFailed,
}
