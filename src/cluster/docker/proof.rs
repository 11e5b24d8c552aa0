//! Which fault kinds this engine can apply, each proved where it can be
//! without harm, before a show offers it: a slow store's CPU limit is
//! written back as it is on a running TiKV container and read again; the
//! packet-loss helper writes its rules in a network namespace of its own
//! (gone with it) and reads a TiKV container's filter. The engine's own
//! calls (kill, stop, pause, disconnect) are there whenever it answers.
//!
//! `doctor` prints the proofs as its fault table; a show's capabilities
//! are the kinds proved ([`capabilities_of`]).

use std::time::Duration;

use super::control::DockerControl;
use super::mapping::ProjectContainer;
use super::netfault::{self, Netns};
use crate::cluster::{Capabilities, FaultKind, NodeRole, NonTikv};

/// The longest a show waits at start for the proofs; what is not proved
/// by then is not offered.
pub const PROOF_DEADLINE: Duration = Duration::from_secs(30);

/// What the engine said to one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct KindProof {
    pub kind: FaultKind,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Available: how it is applied, and what proved it.
    Available(String),
    /// Not available on this engine: why, and what would fix it.
    Unavailable { why: String, fix: String },
    /// Not proved: nothing to prove it on yet.
    Unproved(String),
}

impl KindProof {
    pub fn available(&self) -> bool {
        matches!(self.verdict, Verdict::Available(_))
    }
}

/// The engine's own calls, by kind: how each is applied.
fn how(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Kill => "SIGKILL through the Engine API",
        FaultKind::Stop => "docker stop (SIGTERM, then its grace period)",
        FaultKind::Pause => "the cgroup freezer (docker pause)",
        FaultKind::Partition => "disconnect from the project's networks",
        FaultKind::Slow => "the CPU quota (docker update)",
        FaultKind::Loss => "iptables DROP rules (statistic match) from a helper container",
    }
}

/// Kinds the engine's own calls cannot vouch for: they need a probe.
fn needs_proof(kind: FaultKind) -> bool {
    matches!(kind, FaultKind::Slow | FaultKind::Loss)
}

/// One proof per fault kind, in the catalogue's order.
pub async fn prove_kinds(
    control: &DockerControl,
    containers: &[ProjectContainer],
) -> Vec<KindProof> {
    let tikv = containers
        .iter()
        .find(|c| c.role == NodeRole::Tikv && c.is_running());
    let mut proofs = Vec::new();
    for kind in FaultKind::ALL {
        let verdict = match kind {
            FaultKind::Slow => prove_slow(control, tikv).await,
            FaultKind::Loss => prove_loss(control, tikv).await,
            _ => {
                debug_assert!(!needs_proof(kind));
                Verdict::Available(how(kind).to_string())
            }
        };
        proofs.push(KindProof { kind, verdict });
    }
    proofs
}

async fn prove_slow(control: &DockerControl, tikv: Option<&ProjectContainer>) -> Verdict {
    let Some(tikv) = tikv else {
        return Verdict::Unproved("no running TiKV container to prove it on".into());
    };
    match control.probe_cpu_update(&tikv.service).await {
        Ok(limit) => Verdict::Available(format!(
            "{}: {}'s CPU limit ({}) written back and read again",
            how(FaultKind::Slow),
            tikv.service,
            super::cpu::describe(&limit)
        )),
        Err(e) => Verdict::Unavailable {
            why: e.to_string(),
            fix: "check that this engine allows `docker update --cpus` (rootless and some \
                  cgroup set-ups do not)"
                .into(),
        },
    }
}

async fn prove_loss(control: &DockerControl, tikv: Option<&ProjectContainer>) -> Verdict {
    let image = control.net_helper_image();
    let build = format!(
        "build the helper image: assets/netfault/build-image.sh {image} (the host's iptables \
         in a FROM scratch image), or pass --net-helper-image"
    );
    // Rules written where they harm nothing: a namespace gone with the helper.
    let rules = netfault::adding(50.0);
    let wrote = control
        .run_net_helper(
            Netns::Own,
            &["iptables-restore", "--noflush", netfault::RULES_PATH],
            Some(&rules),
        )
        .await;
    match wrote {
        Err(e) => {
            return Verdict::Unavailable {
                why: e.to_string(),
                fix: build,
            };
        }
        Ok(ran) if ran.code != 0 => {
            return Verdict::Unavailable {
                why: netfault::trouble(&ran),
                fix: "the kernel needs nf_tables (or ip_tables) and the statistic match \
                      (xt_statistic); the engine must grant NET_ADMIN"
                    .into(),
            };
        }
        Ok(_) => {}
    }
    let Some(tikv) = tikv else {
        return Verdict::Available(format!(
            "{}: `{image}` wrote DROP rules in a namespace of its own",
            how(FaultKind::Loss)
        ));
    };
    match control.net_rules(tikv).await {
        Ok(listing) => Verdict::Available(format!(
            "{}: `{image}` wrote DROP rules in a namespace of its own and read {}'s filter{}",
            how(FaultKind::Loss),
            tikv.service,
            if netfault::removing(&listing).is_some() {
                " (rules of chaosdeck's are in place there)"
            } else {
                ""
            }
        )),
        Err(e) => Verdict::Unavailable {
            why: e.to_string(),
            fix: "the helper must be able to share a container's network \
                  (network_mode: container:<id>)"
                .into(),
        },
    }
}

/// Every kind proved, on TiKV nodes and on nodes the script names.
pub fn capabilities_of(proofs: &[KindProof]) -> Capabilities {
    Capabilities {
        kinds: proofs
            .iter()
            .filter(|p| p.available())
            .map(|p| p.kind)
            .collect(),
        non_tikv: NonTikv::WhenNamed,
    }
}

/// The kinds that need proving, for a show that could not reach the
/// engine to prove them: the engine's own calls only.
pub fn unproved_capabilities() -> Capabilities {
    Capabilities {
        kinds: FaultKind::ALL
            .into_iter()
            .filter(|&kind| !needs_proof(kind))
            .collect(),
        non_tikv: NonTikv::WhenNamed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_is_proved_is_offered() {
        let proofs = vec![
            KindProof {
                kind: FaultKind::Kill,
                verdict: Verdict::Available("x".into()),
            },
            KindProof {
                kind: FaultKind::Slow,
                verdict: Verdict::Unproved("no TiKV".into()),
            },
            KindProof {
                kind: FaultKind::Loss,
                verdict: Verdict::Unavailable {
                    why: "no image".into(),
                    fix: "build it".into(),
                },
            },
        ];
        assert_eq!(capabilities_of(&proofs).kinds, [FaultKind::Kill]);
        let unproved = unproved_capabilities();
        assert!(unproved.supports(FaultKind::Partition));
        assert!(!unproved.supports(FaultKind::Slow) && !unproved.supports(FaultKind::Loss));
    }
}
