//! The cluster backend: the one seam between the show and the world.

pub mod combine;
pub mod docker;
pub mod feeds;
pub mod health;
pub mod metrics;
pub mod model;
pub mod pd;
pub mod pd_rules;
pub mod pd_view;
pub mod sim;
pub mod tasks;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use model::*;

use crate::workload::WorkloadSample;

/// Why a backend refused or failed an operation. The message is shown to the
/// presenter as is, so it says what happened and, where useful, what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum BackendError {
    #[error("no such node: {0}")]
    UnknownTarget(String),
    #[error("{service} is not a TiKV node; name it explicitly in the script to fault it")]
    NotTikv { service: String },
    /// The backend cannot apply this kind of fault (see [`Capabilities`]).
    #[error("the {cluster} cluster cannot {kind} a node")]
    Unsupported { kind: FaultKind, cluster: String },
    #[error("a fault is already in place ({kind} on {service}); recover it first")]
    FaultInPlace { kind: FaultKind, service: String },
    #[error("{service} needs no {recovery}: {why}")]
    NothingToRecover {
        service: String,
        recovery: Recovery,
        why: String,
    },
    #[error("PD unreachable: {0}")]
    PdUnreachable(String),
    /// The container runtime (`Docker`) did not answer: its name says which.
    #[error("{runtime} unreachable: {why}")]
    RuntimeUnreachable { runtime: String, why: String },
    #[error("no answer within {0}s")]
    NoAnswer(u64),
    #[error("{0}")]
    Refused(String),
}

impl BackendError {
    /// `runtime` (e.g. `Docker`) did not answer, for `why`.
    pub fn runtime_unreachable(runtime: &str, why: impl Into<String>) -> Self {
        Self::RuntimeUnreachable {
            runtime: runtime.to_string(),
            why: why.into(),
        }
    }
}

/// Everything the show needs from a cluster. The built-in simulator and the
/// real Docker-plus-PD backend both implement it; nothing else knows which runs.
///
/// Streams are handed out once: `subscribe` is called by the app at start-up and
/// the backend pushes events and workload samples as they happen.
#[async_trait]
pub trait ClusterBackend: Send + Sync + 'static {
    /// `SIM` or `DOCKER <project>`, for the header.
    fn source(&self) -> ClusterSource;

    /// A fresh snapshot. When PD does not answer the backend returns the last
    /// known picture with `pd_reachable = false` rather than an error.
    async fn snapshot(&self) -> Result<ClusterSnapshot, BackendError>;

    /// The faults this backend can apply and the nodes they may go to; the
    /// launcher checks the story against it before the show starts.
    fn capabilities(&self) -> Capabilities;

    /// Proves, where this backend must before offering them, that it can
    /// apply `kinds` (a probe on the engine), and returns its capabilities
    /// from then on. The launcher calls it once, with the kinds the story
    /// asks for, before the terminal is taken.
    async fn prove(&self, kinds: &[FaultKind]) -> Capabilities {
        let _ = kinds;
        self.capabilities()
    }

    /// What `spec` will change on the target, read before it is applied:
    /// the show writes it to the fault ledger first, so that whatever
    /// happens next the undo can put it back. Most faults change nothing
    /// that needs remembering.
    async fn before(
        &self,
        spec: FaultSpec,
        target: FaultTarget<'_>,
    ) -> Result<Option<Before>, BackendError> {
        let _ = (spec, target);
        Ok(None)
    }

    /// Applies `spec` to the target's service. Only one fault may be in
    /// place at a time; a kind or a node the capabilities leave out is refused.
    async fn inject(
        &self,
        spec: FaultSpec,
        target: FaultTarget<'_>,
    ) -> Result<InjectedFault, BackendError>;

    /// Applies `recovery` to `service`, putting back `before` where the
    /// fault changed something; an error if the node needs none.
    async fn recover(
        &self,
        recovery: Recovery,
        service: &str,
        before: Option<&Before>,
    ) -> Result<(), BackendError>;

    /// Starts or stops the workload.
    async fn set_load(&self, running: bool) -> Result<(), BackendError>;

    /// Hands out the streams of cluster events and workload samples.
    fn subscribe(&self) -> Subscriptions;

    /// The last `lines` lines of a node's output, oldest first, as the
    /// runtime keeps them. Read-only; backends without logs say so.
    async fn recent_logs(&self, service: &str, lines: usize) -> Result<Vec<String>, BackendError> {
        let _ = (service, lines);
        Err(BackendError::Refused(
            "not available: this cluster keeps no node logs".into(),
        ))
    }
}

/// The node a fault goes to, and how the show came to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTarget<'a> {
    /// A node the show chose itself (the story's `random`): a TiKV node,
    /// whatever the backend allows when a node is named.
    Tikv(&'a str),
    /// A node the script named: PD or load services too, where the
    /// backend's [`NonTikv`] says so.
    Named(&'a str),
    /// PD's leader (the script's `pd-leader`): the member the show last
    /// read as leading, which the backend checks against PD's members as
    /// it injects, so a leadership that moved meanwhile is not faulted blind.
    PdLeader(&'a str),
}

impl<'a> FaultTarget<'a> {
    pub fn service(self) -> &'a str {
        match self {
            Self::Tikv(service) | Self::Named(service) | Self::PdLeader(service) => service,
        }
    }

    /// The target of an injection the show asked for, by how it chose it.
    pub fn new(aim: Aim, service: &'a str) -> Self {
        match aim {
            Aim::Chosen => Self::Tikv(service),
            Aim::Named => Self::Named(service),
            Aim::PdLeader => Self::PdLeader(service),
        }
    }
}

/// How the show came to a fault's node: the [`FaultTarget`] without the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// It chose a TiKV node itself.
    Chosen,
    /// The script named it.
    Named,
    /// The script asked for PD's leader.
    PdLeader,
}

/// Refuses to fault `expected` as PD's leader unless PD's members, read
/// now, name it (`leader`).
pub fn check_pd_leader(expected: &str, leader: Option<&str>) -> Result<(), BackendError> {
    match leader {
        Some(leader) if leader == expected => Ok(()),
        Some(leader) => Err(BackendError::Refused(format!(
            "PD's leader moved from {expected} to {leader} since it was read; nothing injected"
        ))),
        None => Err(BackendError::Refused(format!(
            "PD has no leader now ({expected} led when it was read); nothing injected"
        ))),
    }
}

/// What a backend can do to its nodes: the fault kinds it applies and the
/// nodes besides TiKV ones it lets a fault go to. Data, so that the story
/// can be checked against it before the show starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The kinds it can apply, in [`FaultKind`]'s order.
    pub kinds: Vec<FaultKind>,
    pub non_tikv: NonTikv,
    /// Why a kind is left out, where the backend knows (a proof that
    /// failed on this engine).
    pub why_not: Vec<(FaultKind, String)>,
}

/// Whether a fault may go to a node that is not a TiKV node (PD, the load).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NonTikv {
    /// Never: faults go to TiKV nodes only. `known` names the backend's
    /// other nodes as far as it knows them before the cluster is read (the
    /// simulator's PD members), so a script naming one is refused early.
    Refused { known: Vec<String> },
    /// When the script names the node; a node the show chooses itself is
    /// always a TiKV node.
    WhenNamed,
}

impl Capabilities {
    /// Every kind of fault, on TiKV nodes and on nodes the script names.
    pub fn everything() -> Self {
        Self {
            kinds: FaultKind::ALL.to_vec(),
            non_tikv: NonTikv::WhenNamed,
            why_not: Vec::new(),
        }
    }

    /// Why `kind` is left out, if the backend said.
    pub fn why_not(&self, kind: FaultKind) -> Option<&str> {
        self.why_not
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, why)| why.as_str())
    }

    pub fn supports(&self, kind: FaultKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Whether the target may be a node that is not a TiKV node.
    pub fn allows_non_tikv(&self, target: FaultTarget<'_>) -> bool {
        matches!(
            (&self.non_tikv, target),
            (
                NonTikv::WhenNamed,
                FaultTarget::Named(_) | FaultTarget::PdLeader(_)
            )
        )
    }

    /// True when `service` is known, before the cluster is read, to be a
    /// node a fault may not go to.
    pub fn refuses_by_name(&self, service: &str) -> bool {
        match &self.non_tikv {
            NonTikv::Refused { known } => known.iter().any(|k| k == service),
            NonTikv::WhenNamed => false,
        }
    }

    /// Refuses a kind this backend cannot apply, naming `cluster`.
    pub fn check_kind(&self, kind: FaultKind, cluster: &ClusterSource) -> Result<(), BackendError> {
        if self.supports(kind) {
            Ok(())
        } else {
            Err(BackendError::Unsupported {
                kind,
                cluster: cluster.to_string(),
            })
        }
    }

    /// `kill, stop and pause`: what it can do, for messages.
    pub fn kinds_text(&self) -> String {
        let names: Vec<&str> = self.kinds.iter().map(|kind| kind.name()).collect();
        if names.is_empty() {
            "nothing".to_string()
        } else {
            crate::text::and_list(&names)
        }
    }
}

/// The receiving ends of a backend's streams.
pub struct Subscriptions {
    pub events: mpsc::Receiver<ClusterEvent>,
    pub samples: mpsc::Receiver<WorkloadSample>,
    /// What the backend says about its own feeds, as it happens.
    pub notices: mpsc::Receiver<Notice>,
}

/// Room in a backend's notice stream; beyond it notices are dropped (and
/// logged where they are made).
pub const NOTICE_CAPACITY: usize = 64;

/// One line about a backend's own feeds, for the monitor pane: a task that
/// stopped or panicked, the runtime's event stream dropped or back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    /// Something is wrong (rather than right again).
    pub trouble: bool,
    /// One line, cleaned.
    pub text: String,
}

impl Notice {
    pub fn trouble(text: impl AsRef<str>) -> Self {
        Self {
            trouble: true,
            text: crate::text::clean_line(text.as_ref()).into_owned(),
        }
    }

    pub fn fine(text: impl AsRef<str>) -> Self {
        Self {
            trouble: false,
            text: crate::text::clean_line(text.as_ref()).into_owned(),
        }
    }
}

impl From<tasks::TaskEnded> for Notice {
    fn from(ended: tasks::TaskEnded) -> Self {
        Self::trouble(format!("{ended} (not restarted)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_say_what_a_backend_can_do_and_to_which_nodes() {
        let all = Capabilities::everything();
        assert!(FaultKind::ALL.iter().all(|&kind| all.supports(kind)));
        assert_eq!(
            all.kinds_text(),
            "kill, stop, pause, partition, slow and loss"
        );
        assert!(all.allows_non_tikv(FaultTarget::Named("pd0")));
        assert!(all.allows_non_tikv(FaultTarget::PdLeader("pd0")));
        assert_eq!(check_pd_leader("pd1", Some("pd1")), Ok(()));
        let moved = check_pd_leader("pd1", Some("pd2")).unwrap_err();
        assert!(
            moved.to_string().contains("moved from pd1 to pd2"),
            "{moved}"
        );
        assert!(check_pd_leader("pd1", None).is_err());
        assert!(!all.allows_non_tikv(FaultTarget::Tikv("pd0")));
        assert!(!all.refuses_by_name("pd0"));

        let signals = Capabilities {
            kinds: vec![FaultKind::Kill, FaultKind::Pause],
            non_tikv: NonTikv::Refused {
                known: vec!["pd0".into()],
            },
            why_not: vec![(FaultKind::Slow, "no cgroup".into())],
        };
        assert_eq!(signals.why_not(FaultKind::Slow), Some("no cgroup"));
        assert_eq!(signals.why_not(FaultKind::Loss), None);
        assert_eq!(signals.kinds_text(), "kill and pause");
        assert!(!signals.allows_non_tikv(FaultTarget::Named("pd0")));
        assert!(signals.refuses_by_name("pd0") && !signals.refuses_by_name("tikv0"));
        assert_eq!(
            signals.check_kind(FaultKind::Kill, &ClusterSource::Sim),
            Ok(())
        );
        let refused = signals
            .check_kind(FaultKind::Partition, &ClusterSource::Sim)
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the SIM cluster cannot partition a node"
        );
        let one = Capabilities {
            kinds: vec![FaultKind::Stop],
            ..Capabilities::everything()
        };
        assert_eq!(one.kinds_text(), "stop");
        assert_eq!(FaultTarget::Named("load").service(), "load");
    }
}
