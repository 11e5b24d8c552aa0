//! The fault ledger in memory: the one owner of "is a fault in place?".
//! Answers from the world only move it from state to state; the story's
//! actions are judged from it.

use std::time::Duration;

use super::msg::RunId;
use crate::cluster::{BackendError, FaultSpec, InjectedFault};

#[derive(Debug, Clone, Default, PartialEq)]
pub enum FaultState {
    #[default]
    Idle,
    /// An injection was sent and not yet answered. `abandoned` once the
    /// action that sent it was called off: should it land, it is undone.
    Injecting {
        run: RunId,
        spec: FaultSpec,
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
            Self::Injecting { spec, service, .. } => {
                format!("waiting for the {spec} of {service} to answer")
            }
            Self::InPlace(f) => format!("{} on {} in place", f.spec, f.service),
            Self::Recovering { fault, .. } => {
                format!("{} {} under way", fault.spec.recovery(), fault.service)
            }
            Self::RecoveryFailed { fault, error } => {
                format!("could not recover {}: {error}", fault.service)
            }
        }
    }
}

/// The fault ledger: the one-fault rule, with no side effects of its own.
/// Every move of the fault's state is one of these methods; callers journal
/// and act on what they return.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultLedger {
    state: FaultState,
}

/// What an injection's answer did to the ledger.
#[derive(Debug, Clone, PartialEq)]
pub enum Injected {
    /// Not the injection the ledger waits for: should it have landed
    /// (`Some`), it must be undone at once. The ledger is unchanged.
    Stray(Option<InjectedFault>),
    /// It landed after its action was called off: in place now, and to be
    /// recovered at once.
    LateAbandoned(InjectedFault),
    /// It landed: in place.
    Landed(InjectedFault),
    /// It failed: nothing in place (the health gate sees it, should it have
    /// landed after all).
    Failed(BackendError),
}

/// What a recovery's answer did to the ledger.
#[derive(Debug, Clone, PartialEq)]
pub enum Recovered {
    /// Not the ledger's fault: a heal of another node.
    NotOurs,
    /// The ledger's fault is undone: nothing in place.
    Done,
    /// The ledger's fault could not be undone: it stays, with this reason.
    Failed(String),
}

impl FaultLedger {
    pub fn state(&self) -> &FaultState {
        &self.state
    }

    pub fn is_idle(&self) -> bool {
        self.state.is_idle()
    }

    pub fn fault(&self) -> Option<&InjectedFault> {
        self.state.fault()
    }

    pub fn describe(&self) -> String {
        self.state.describe()
    }

    /// The service an injection in flight goes to.
    pub fn injecting(&self) -> Option<&str> {
        match &self.state {
            FaultState::Injecting { service, .. } => Some(service),
            _ => None,
        }
    }

    /// The fault a recovery would undo now: one in place, or one whose
    /// recovery failed (a retry).
    pub fn recoverable(&self) -> Option<&InjectedFault> {
        match &self.state {
            FaultState::InPlace(fault) | FaultState::RecoveryFailed { fault, .. } => Some(fault),
            _ => None,
        }
    }

    /// An injection is sent. False (and nothing changes) while another
    /// fault is in place or under way: one fault at a time.
    pub fn begin_injection(&mut self, run: RunId, spec: FaultSpec, service: String) -> bool {
        if !self.state.is_idle() {
            return false;
        }
        self.state = FaultState::Injecting {
            run,
            spec,
            service,
            abandoned: false,
        };
        true
    }

    /// The action that sent the injection in flight was called off: should
    /// it land, it is undone.
    pub fn abandon_injection(&mut self) {
        if let FaultState::Injecting { abandoned, .. } = &mut self.state {
            *abandoned = true;
        }
    }

    /// The answer to the injection sent by `run`.
    pub fn injected(
        &mut self,
        run: RunId,
        result: Result<InjectedFault, BackendError>,
    ) -> Injected {
        let abandoned = match &self.state {
            FaultState::Injecting {
                run: sent,
                abandoned,
                ..
            } if *sent == run => *abandoned,
            _ => return Injected::Stray(result.ok()),
        };
        match result {
            Ok(fault) => {
                self.state = FaultState::InPlace(fault.clone());
                if abandoned {
                    Injected::LateAbandoned(fault)
                } else {
                    Injected::Landed(fault)
                }
            }
            Err(e) => {
                self.state = FaultState::Idle;
                Injected::Failed(e)
            }
        }
    }

    /// A recovery of the recoverable fault is sent at `now`: what to undo,
    /// or `None` when nothing is recoverable (idle, or one under way).
    pub fn begin_recovery(&mut self, now: Duration) -> Option<InjectedFault> {
        let fault = self.recoverable()?.clone();
        self.state = FaultState::Recovering {
            fault: fault.clone(),
            since: now,
        };
        Some(fault)
    }

    /// The answer to a recovery of `service`. A node that needed no
    /// recovery counts as recovered.
    pub fn recovered(&mut self, service: &str, result: &Result<(), BackendError>) -> Recovered {
        let ours =
            matches!(&self.state, FaultState::Recovering { fault, .. } if fault.service == service);
        if !ours {
            return Recovered::NotOurs;
        }
        let FaultState::Recovering { fault, .. } = std::mem::take(&mut self.state) else {
            return Recovered::NotOurs;
        };
        match result {
            Ok(()) | Err(BackendError::NothingToRecover { .. }) => Recovered::Done,
            Err(e) => {
                let why = format!("recovery of {service} failed: {e} (press r to retry)");
                self.state = FaultState::RecoveryFailed {
                    fault,
                    error: why.clone(),
                };
                Recovered::Failed(why)
            }
        }
    }

    /// Tests set up a scene by hand.
    #[cfg(any(test, feature = "testing"))]
    pub fn set(&mut self, state: FaultState) {
        self.state = state;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::FaultKind;

    fn fault(service: &str) -> InjectedFault {
        InjectedFault {
            spec: FaultKind::Kill.into(),
            service: service.into(),
            at: Duration::from_secs(3),
        }
    }

    #[test]
    fn one_fault_at_a_time() {
        let mut ledger = FaultLedger::default();
        assert!(ledger.begin_injection(1, FaultKind::Kill.into(), "tikv1".into()));
        assert!(!ledger.begin_injection(2, FaultKind::Stop.into(), "tikv2".into()));
        assert_eq!(ledger.injecting(), Some("tikv1"));
        assert_eq!(
            ledger.injected(1, Ok(fault("tikv1"))),
            Injected::Landed(fault("tikv1"))
        );
        assert!(!ledger.begin_injection(3, FaultKind::Kill.into(), "tikv2".into()));
        assert_eq!(ledger.fault(), Some(&fault("tikv1")));
    }

    #[test]
    fn an_answer_for_another_run_is_stray_and_changes_nothing() {
        let mut ledger = FaultLedger::default();
        assert_eq!(
            ledger.injected(7, Ok(fault("tikv2"))),
            Injected::Stray(Some(fault("tikv2")))
        );
        assert!(ledger.is_idle());
        ledger.begin_injection(1, FaultKind::Kill.into(), "tikv1".into());
        assert_eq!(
            ledger.injected(2, Err(BackendError::NoAnswer(5))),
            Injected::Stray(None)
        );
        assert_eq!(ledger.injecting(), Some("tikv1"));
    }

    #[test]
    fn a_called_off_injection_that_lands_is_in_place_and_to_be_undone() {
        let mut ledger = FaultLedger::default();
        ledger.begin_injection(1, FaultKind::Kill.into(), "tikv1".into());
        ledger.abandon_injection();
        assert_eq!(
            ledger.injected(1, Ok(fault("tikv1"))),
            Injected::LateAbandoned(fault("tikv1"))
        );
        assert_eq!(ledger.recoverable(), Some(&fault("tikv1")));
    }

    #[test]
    fn a_failed_injection_leaves_nothing_in_place() {
        let mut ledger = FaultLedger::default();
        ledger.begin_injection(1, FaultKind::Kill.into(), "tikv1".into());
        let answer = ledger.injected(1, Err(BackendError::Refused("no".into())));
        assert!(matches!(answer, Injected::Failed(_)));
        assert!(ledger.is_idle());
    }

    #[test]
    fn recovery_moves_in_place_to_recovering_to_idle() {
        let mut ledger = FaultLedger::default();
        assert_eq!(ledger.begin_recovery(Duration::ZERO), None);
        ledger.set(FaultState::InPlace(fault("tikv1")));
        assert_eq!(
            ledger.begin_recovery(Duration::from_secs(9)),
            Some(fault("tikv1"))
        );
        // Under way: not asked twice.
        assert_eq!(ledger.begin_recovery(Duration::from_secs(10)), None);
        assert_eq!(ledger.recovered("tikv2", &Ok(())), Recovered::NotOurs);
        assert_eq!(ledger.recovered("tikv1", &Ok(())), Recovered::Done);
        assert!(ledger.is_idle());
    }

    #[test]
    fn a_failed_recovery_keeps_the_fault_for_a_retry() {
        let mut ledger = FaultLedger::default();
        ledger.set(FaultState::InPlace(fault("tikv1")));
        ledger.begin_recovery(Duration::ZERO);
        let answer = ledger.recovered("tikv1", &Err(BackendError::NoAnswer(15)));
        assert!(matches!(&answer, Recovered::Failed(why) if why.contains("press r to retry")));
        assert_eq!(ledger.recoverable(), Some(&fault("tikv1")));
        assert!(ledger.begin_recovery(Duration::from_secs(1)).is_some());
    }

    #[test]
    fn nothing_to_recover_counts_as_recovered() {
        let mut ledger = FaultLedger::default();
        ledger.set(FaultState::InPlace(fault("tikv1")));
        ledger.begin_recovery(Duration::ZERO);
        let nothing = Err(BackendError::NothingToRecover {
            service: "tikv1".into(),
            recovery: crate::cluster::Recovery::Start,
            why: "running".into(),
        });
        assert_eq!(ledger.recovered("tikv1", &nothing), Recovered::Done);
    }
}
