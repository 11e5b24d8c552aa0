//! The agent: gathers evidence and diagnoses what happened.
//!
//! The [`Analyzer`] trait is the seam: the built-in analyzer (offline,
//! deterministic) implements it today, LLM backends can later. An analyzer
//! sees only [`Evidence`] (observations), never what was injected.

mod builtin;
mod diagnosis;
mod evidence;
mod facts;
mod reasoning;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use builtin::{BuiltinAnalyzer, Report, analyze};
pub use diagnosis::{Alternative, Diagnosis, FaultClass, RecommendedAction, RootCause};
pub use evidence::{Evidence, EvidenceLimits, EvidenceRecorder};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalyzerError {
    #[error("nothing to analyse yet: no snapshots, events or samples recorded")]
    NoEvidence,
    /// A remote analyzer failed (unreachable, timed out, answered nonsense).
    #[error("analyzer unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Analyzer: Send + Sync {
    /// Shown as the author of the diagnosis.
    fn name(&self) -> &str;

    /// Streams human-readable lines to `progress` while it works, then
    /// returns the structured diagnosis. Cancel by dropping the future.
    async fn diagnose(
        &self,
        evidence: Evidence,
        progress: mpsc::Sender<String>,
    ) -> Result<Diagnosis, AnalyzerError>;
}
