//! The seam every analyzer fits: evidence in, progress out on the way, a
//! diagnosis (or why none) at the end.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::diagnosis::Diagnosis;
use super::evidence::Evidence;
use super::progress::Progress;

/// Why an analyzer gave no diagnosis. A model's failures are not among
/// them: its typed [`super::opinion::ModelFailure`] rides beside the
/// built-in diagnosis, which always comes back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
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
