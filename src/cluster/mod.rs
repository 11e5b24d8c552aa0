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

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use model::*;

use crate::workload::WorkloadSample;

/// Why a backend refused or failed an operation. The message is shown to the
/// presenter as is, so it says what happened and, where useful, what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    #[error("no such node: {0}")]
    UnknownTarget(String),
    #[error("{service} is not a TiKV node; name it explicitly in the script to fault it")]
    NotTikv { service: String },
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

    /// Applies `kind` to `service`. Only one fault may be in place at a time.
    async fn inject(&self, kind: FaultKind, service: &str) -> Result<InjectedFault, BackendError>;

    /// Like `inject`, for a node the script named explicitly: backends that
    /// keep faults to TiKV nodes by default (Docker) also allow PD or load
    /// services here.
    async fn inject_named(
        &self,
        kind: FaultKind,
        service: &str,
    ) -> Result<InjectedFault, BackendError> {
        self.inject(kind, service).await
    }

    /// Applies `recovery` to `service`; an error if the node needs none.
    async fn recover(&self, recovery: Recovery, service: &str) -> Result<(), BackendError>;

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

/// The receiving ends of a backend's streams.
pub struct Subscriptions {
    pub events: mpsc::Receiver<ClusterEvent>,
    pub samples: mpsc::Receiver<WorkloadSample>,
}
