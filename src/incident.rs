//! What the monitor reports: incidents, their signal and severity. Plain
//! data, apart from the monitor that opens them, so that what reads them
//! (the agent's evidence, the app, the view) does not depend on the monitor.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// A word to show beside the colour, so meaning never rests on colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Self::Info => "INFO",
            Self::Warning => "WARN",
            Self::Critical => "CRIT",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a detection came from. Each has its own latency: process events are
/// immediate, PD store state lags a kill by 10 to 20 s (heartbeats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Signal {
    ProcessEvent,
    StoreState,
    /// PD's leader of a region sits on a node the runtime shows gone.
    RegionsLedFromDeadNode,
    RegionsWithoutLeader,
    UnderReplicated,
    Throughput,
    Latency,
    PdUnreachable,
    /// PD's members name no leader (its followers answer 503).
    PdNoLeader,
    /// PD's members name another leader than before.
    PdLeaderChange,
}

impl Signal {
    /// A name of its own for each signal (the scoreboard's rows).
    pub fn name(&self) -> &'static str {
        match self {
            Self::ProcessEvent => "process event",
            Self::StoreState => "PD store state",
            Self::RegionsLedFromDeadNode => "regions led from a dead node",
            Self::RegionsWithoutLeader => "regions without leader",
            Self::UnderReplicated => "under-replicated regions",
            Self::Throughput => "throughput",
            Self::Latency => "p99 latency",
            Self::PdUnreachable => "PD reachability",
            Self::PdNoLeader => "PD without a leader",
            Self::PdLeaderChange => "PD leader change",
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::ProcessEvent => "process event",
            Self::StoreState => "PD store state",
            Self::RegionsLedFromDeadNode | Self::RegionsWithoutLeader | Self::UnderReplicated => {
                "region health"
            }
            Self::Throughput => "workload throughput",
            Self::Latency => "p99 latency",
            Self::PdUnreachable => "PD reachability",
            Self::PdNoLeader | Self::PdLeaderChange => "PD members",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One condition, from when it was first seen until it cleared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: u64,
    pub signal: Signal,
    /// The node concerned, verbatim from the backend (render with
    /// [`crate::text::clean_line`]).
    pub service: Option<String>,
    pub severity: Severity,
    /// One line for the screen; outside names already made plain.
    pub summary: String,
    pub opened_at: Duration,
    pub resolved_at: Option<Duration>,
    /// Time from the fault's injection to the detection, when a fault was in place.
    pub since_fault: Option<Duration>,
    /// Why it was closed when not by its condition clearing (`load
    /// stopped`: what the load measured no longer holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_because: Option<String>,
}

impl Incident {
    pub fn is_open(&self) -> bool {
        self.resolved_at.is_none()
    }

    /// `resolved: …`, or `resolved (load stopped): …` when it was closed
    /// for a reason of its own: the journal's line and the pane's key.
    pub fn resolved_line(&self) -> String {
        match &self.closed_because {
            Some(why) => format!("resolved ({why}): {}", self.summary),
            None => format!("resolved: {}", self.summary),
        }
    }
}

/// The first incident opened after a fault was injected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub signal: Signal,
    pub at: Duration,
    pub after_fault: Option<Duration>,
    pub summary: String,
}
