//! Which fault kinds this engine can apply, each proved where it can be
//! without harm: a slow store's CPU limit is written back as it is on a
//! running TiKV container and read again.

use super::Check;
use crate::cluster::docker::{DockerControl, ProjectContainer};
use crate::cluster::{FaultKind, NodeRole};

/// One row per fault kind, in the catalogue's order.
pub async fn fault_checks(control: &DockerControl, containers: &[ProjectContainer]) -> Vec<Check> {
    let tikv = containers
        .iter()
        .find(|c| c.role == NodeRole::Tikv && c.is_running());
    let mut checks = Vec::new();
    for kind in FaultKind::ALL {
        let name = row_name(kind);
        let check = match (kind, tikv) {
            (_, None) => Check::skipped(name, "no running TiKV container to prove it on"),
            (FaultKind::Slow, Some(tikv)) => match control.probe_cpu_update(&tikv.service).await {
                Ok(limit) => Check::ok(
                    name,
                    format!(
                        "available: {}'s CPU limit ({}) written back and read again through the Engine API",
                        tikv.service,
                        crate::cluster::docker::cpu::describe(&limit)
                    ),
                ),
                Err(e) => Check::warn(
                    name,
                    format!("not available: {e}"),
                    "a story or kiosk rotation naming `slow` is refused on this engine; check that it allows `docker update --cpus`",
                ),
            },
            // The engine's own container calls: there whenever it answers.
            (_, Some(_)) => Check::ok(name, format!("available: {}", how(kind))),
        };
        checks.push(check);
    }
    checks
}

fn row_name(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Kill => "fault kill",
        FaultKind::Stop => "fault stop",
        FaultKind::Pause => "fault pause",
        FaultKind::Partition => "fault partition",
        FaultKind::Slow => "fault slow",
    }
}

fn how(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Kill => "SIGKILL through the Engine API",
        FaultKind::Stop => "docker stop (SIGTERM, then its grace period)",
        FaultKind::Pause => "the cgroup freezer (docker pause)",
        FaultKind::Partition => "disconnect from the project's networks",
        FaultKind::Slow => "the CPU quota (docker update)",
    }
}
