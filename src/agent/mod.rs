//! The agent: gathers evidence and diagnoses what happened.
//!
//! The [`Analyzer`] trait is the seam. The built-in analyzer (offline,
//! deterministic) is the ground truth; a language model can give a second
//! opinion beside it ([`second_opinion`]), never instead of it. An analyzer
//! sees only [`Evidence`] (observations), never what was injected.

pub mod allowlist;
mod builtin;
mod diagnosis;
pub mod eval;
mod evidence;
mod facts;
pub mod model;
mod progress;
mod reasoning;
pub mod second_opinion;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use builtin::{BuiltinAnalyzer, Report, analyze};
pub use diagnosis::{Alternative, Diagnosis, FaultClass, RecommendedAction, RootCause};
pub use evidence::{Evidence, EvidenceLimits, EvidenceRecorder};
pub use progress::{Progress, Transcript, TranscriptItem};
pub use second_opinion::WithSecondOpinion;

/// Why an analyzer gave no diagnosis. A model's failures are not among
/// them: its typed [`model::ModelFailure`] rides beside the built-in
/// diagnosis, which always comes back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalyzerError {
    #[error("nothing to analyse yet: no snapshots, events or samples recorded")]
    NoEvidence,
}

#[async_trait]
pub trait Analyzer: Send + Sync {
    /// Shown as the author of the diagnosis.
    fn name(&self) -> &str;

    /// Reports its steps (and a model's streamed text and tool calls) to
    /// `progress` while it works, then returns the structured diagnosis.
    /// Cancel by dropping the future.
    async fn diagnose(
        &self,
        evidence: Evidence,
        progress: mpsc::Sender<Progress>,
    ) -> Result<Diagnosis, AnalyzerError>;
}
