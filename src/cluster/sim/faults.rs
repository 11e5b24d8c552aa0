//! Which faults and recoveries the simulator accepts, as pure checks that leave
//! the cluster untouched when they refuse.

use crate::cluster::BackendError;
use crate::cluster::model::{FaultKind, InjectedFault, Recovery};

/// PD members of the simulated cluster.
pub const PD_MEMBERS: [&str; 3] = ["pd0", "pd1", "pd2"];

/// A node a fault or recovery names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Tikv(usize),
    Pd,
}

/// Resolves a service name against the cluster's TiKV services.
pub fn resolve(service: &str, tikv_services: &[String]) -> Result<Target, BackendError> {
    if let Some(index) = tikv_services.iter().position(|s| s == service) {
        return Ok(Target::Tikv(index));
    }
    if PD_MEMBERS.contains(&service) {
        return Ok(Target::Pd);
    }
    Err(BackendError::UnknownTarget(format!(
        "{service} (the simulated cluster has {} and {})",
        PD_MEMBERS.join(", "),
        tikv_services.join(", ")
    )))
}

/// Checks a fault against the target and the fault already in place.
pub fn check_inject(
    kind: FaultKind,
    service: &str,
    target: Target,
    in_place: Option<&InjectedFault>,
) -> Result<usize, BackendError> {
    let index = match target {
        Target::Tikv(index) => index,
        Target::Pd => {
            return Err(BackendError::Refused(format!(
                "the simulator does not {kind} PD members ({service}); fault a TiKV node instead"
            )));
        }
    };
    if let Some(fault) = in_place {
        return Err(BackendError::FaultInPlace {
            kind: fault.kind(),
            service: fault.service.clone(),
        });
    }
    Ok(index)
}

/// Checks a recovery against the fault in place.
pub fn check_recover(
    recovery: Recovery,
    service: &str,
    target: Target,
    in_place: Option<&InjectedFault>,
) -> Result<usize, BackendError> {
    let nothing = |why: String| BackendError::NothingToRecover {
        service: service.to_string(),
        recovery,
        why,
    };
    let index = match target {
        Target::Tikv(index) => index,
        Target::Pd => {
            return Err(nothing(
                "PD members are never faulted in the simulator".to_string(),
            ));
        }
    };
    let fault = match in_place {
        Some(fault) if fault.service == service => fault,
        Some(fault) => {
            return Err(nothing(format!(
                "it is running and connected (the fault in place is {} on {})",
                fault.kind(),
                fault.service
            )));
        }
        None => return Err(nothing("it is running and connected".to_string())),
    };
    let needed = fault.kind().recovery();
    if needed != recovery {
        return Err(nothing(format!(
            "it was {}, not {}; recover it with {needed}",
            fault.kind().past(),
            recovery.undoes()
        )));
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn services() -> Vec<String> {
        vec!["tikv0".into(), "tikv1".into(), "tikv2".into()]
    }

    fn fault(kind: FaultKind, service: &str) -> InjectedFault {
        InjectedFault {
            spec: kind.into(),
            service: service.into(),
            at: Duration::ZERO,
        }
    }

    #[test]
    fn names_resolve_to_tikv_pd_or_nothing() {
        assert_eq!(resolve("tikv2", &services()), Ok(Target::Tikv(2)));
        assert_eq!(resolve("pd1", &services()), Ok(Target::Pd));
        let err = resolve("tikv9", &services()).unwrap_err();
        assert!(matches!(err, BackendError::UnknownTarget(ref m) if m.contains("tikv9")));
    }

    #[test]
    fn one_fault_at_a_time() {
        let killed = fault(FaultKind::Kill, "tikv1");
        let err = check_inject(FaultKind::Pause, "tikv0", Target::Tikv(0), Some(&killed));
        assert_eq!(
            err,
            Err(BackendError::FaultInPlace {
                kind: FaultKind::Kill,
                service: "tikv1".into()
            })
        );
        assert!(matches!(
            check_inject(FaultKind::Kill, "pd0", Target::Pd, None),
            Err(BackendError::Refused(_))
        ));
    }

    #[test]
    fn the_wrong_recovery_says_which_one_is_right() {
        let killed = fault(FaultKind::Kill, "tikv1");
        let err =
            check_recover(Recovery::Unpause, "tikv1", Target::Tikv(1), Some(&killed)).unwrap_err();
        assert!(err.to_string().contains("recover it with start"), "{err}");
        assert_eq!(
            check_recover(Recovery::Start, "tikv1", Target::Tikv(1), Some(&killed)),
            Ok(1)
        );
        let fine = check_recover(Recovery::Start, "tikv0", Target::Tikv(0), Some(&killed));
        assert!(matches!(fine, Err(BackendError::NothingToRecover { .. })));
    }
}
