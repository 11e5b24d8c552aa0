//! The fault table: each kind as the engine proved it (see
//! [`crate::cluster::docker::proof`]), a row per kind.

use super::Check;
use crate::cluster::docker::proof::{KindProof, Verdict, prove_kinds};
use crate::cluster::docker::{DockerControl, ProjectContainer};

/// One row per fault kind, in the catalogue's order, and one for netem.
pub async fn fault_checks(control: &DockerControl, containers: &[ProjectContainer]) -> Vec<Check> {
    let mut checks: Vec<Check> = prove_kinds(control, containers)
        .await
        .iter()
        .map(row)
        .collect();
    checks.push(Check::skipped(
        "fault delay (netem)",
        "not offered: chaosdeck never depends on netem (many kernels, this one's among them, \
         lack sch_netem); packet loss uses iptables",
    ));
    checks
}

fn row(proof: &KindProof) -> Check {
    let name = format!("fault {}", proof.kind);
    match &proof.verdict {
        Verdict::Available(how) => Check::ok(name, format!("available: {how}")),
        Verdict::Unavailable { why, fix } => Check::warn(
            name,
            format!("not available: {why}"),
            format!(
                "a story or kiosk rotation naming `{}` is refused on this engine; {fix}",
                proof.kind
            ),
        ),
        Verdict::Unproved(why) => Check::skipped(name, why.clone()),
    }
}
