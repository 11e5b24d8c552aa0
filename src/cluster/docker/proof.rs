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
pub fn needs_proof(kind: FaultKind) -> bool {
    matches!(kind, FaultKind::Slow | FaultKind::Loss)
}

/// One proof per fault kind, in the catalogue's order.
pub async fn prove_kinds(
    control: &DockerControl,
    containers: &[ProjectContainer],
) -> Vec<KindProof> {
    prove_some(control, containers, &FaultKind::ALL).await
}

/// The proofs of `kinds` only (a show proves what its story asks for, so a
/// story of kills starts without probing anything).
pub async fn prove_some(
    control: &DockerControl,
    containers: &[ProjectContainer],
    kinds: &[FaultKind],
) -> Vec<KindProof> {
    let tikv = containers
        .iter()
        .find(|c| c.role == NodeRole::Tikv && c.is_running());
    let mut proofs = Vec::new();
    for kind in FaultKind::ALL.into_iter().filter(|k| kinds.contains(k)) {
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

/// `kinds`, each not proved, for `why`.
pub fn unproved(kinds: &[FaultKind], why: &str) -> Vec<KindProof> {
    kinds
        .iter()
        .map(|&kind| KindProof {
            kind,
            verdict: Verdict::Unproved(why.to_string()),
        })
        .collect()
}

/// The engine's own calls and every kind proved, on TiKV nodes and on
/// nodes the script names; a kind that needs a proof and has none (or
/// failed it) is left out, with why.
pub fn capabilities_of(proofs: &[KindProof]) -> Capabilities {
    let proof = |kind| proofs.iter().find(|p| p.kind == kind);
    let mut why_not = Vec::new();
    let kinds = FaultKind::ALL
        .into_iter()
        .filter(|&kind| {
            if !needs_proof(kind) {
                return true;
            }
            match proof(kind).map(|p| &p.verdict) {
                Some(Verdict::Available(_)) => true,
                Some(Verdict::Unavailable { why, .. } | Verdict::Unproved(why)) => {
                    why_not.push((kind, why.clone()));
                    false
                }
                None => {
                    why_not.push((kind, "not proved on this engine".into()));
                    false
                }
            }
        })
        .collect();
    Capabilities {
        kinds,
        non_tikv: NonTikv::WhenNamed,
        why_not,
    }
}

/// Before any proof: the engine's own calls only.
pub fn unproved_capabilities() -> Capabilities {
    capabilities_of(&[])
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
        let offered = capabilities_of(&proofs);
        use FaultKind::*;
        assert_eq!(offered.kinds, [Kill, Stop, Pause, Partition]);
        assert_eq!(offered.why_not(Slow), Some("no TiKV"));
        assert_eq!(offered.why_not(Loss), Some("no image"));
        let slow_only = capabilities_of(&[KindProof {
            kind: Slow,
            verdict: Verdict::Available("x".into()),
        }]);
        assert!(slow_only.supports(Slow) && !slow_only.supports(Loss));
        assert_eq!(slow_only.why_not(Loss), Some("not proved on this engine"));
        let unproved = unproved_capabilities();
        assert!(unproved.supports(FaultKind::Partition));
        assert!(!unproved.supports(FaultKind::Slow) && !unproved.supports(FaultKind::Loss));
    }
}
