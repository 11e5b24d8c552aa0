//! The fault ledger in memory: the one owner of "is a fault in place?".
//! Answers from the world only move it from state to state; the story's
//! actions are judged from it.

use std::time::Duration;

use super::msg::RunId;
use crate::cluster::{FaultKind, InjectedFault};

#[derive(Debug, Clone, Default, PartialEq)]
pub enum FaultState {
    #[default]
    Idle,
    /// An injection was sent and not yet answered. `abandoned` once the
    /// action that sent it was called off: should it land, it is undone.
    Injecting {
        run: RunId,
        kind: FaultKind,
        service: String,
        abandoned: bool,
    },
    InPlace(InjectedFault),
    /// A recovery was sent at `since` (show time) and not yet answered.
    Recovering {
        fault: InjectedFault,
        since: Duration,
    },
    RecoveryFailed {
        fault: InjectedFault,
        error: String,
    },
}

impl FaultState {
    pub fn is_idle(&self) -> bool {
        matches!(self, Self::Idle)
    }

    /// The fault that is or may still be in place, once it has landed.
    pub fn fault(&self) -> Option<&InjectedFault> {
        match self {
            Self::Idle | Self::Injecting { .. } => None,
            Self::InPlace(fault)
            | Self::Recovering { fault, .. }
            | Self::RecoveryFailed { fault, .. } => Some(fault),
        }
    }

    /// A word for the status line and the journal.
    pub fn describe(&self) -> String {
        match self {
            Self::Idle => "no fault in place".into(),
            Self::Injecting { kind, service, .. } => {
                format!("waiting for the {kind} of {service} to answer")
            }
            Self::InPlace(f) => format!("{} on {} in place", f.kind, f.service),
            Self::Recovering { fault, .. } => {
                format!("{} {} under way", fault.kind.recovery(), fault.service)
            }
            Self::RecoveryFailed { fault, error } => {
                format!("could not recover {}: {error}", fault.service)
            }
        }
    }
}
