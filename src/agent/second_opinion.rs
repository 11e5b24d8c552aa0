//! A model's diagnosis beside the built-in analyzer's. The built-in one is
//! the ground truth and always runs; the model's answer is carried inside
//! it, with where the two disagree, or with why the model gave none.
//!
//! The composition sits here, on top; the second opinion's data is in
//! [`super::opinion`], named for [`Diagnosis`] in [`super::diagnosis`], and
//! re-exported here under the names everyone uses.

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::analyzer::{Analyzer, AnalyzerError};
use super::builtin;
use super::diagnosis::Diagnosis;
pub use super::diagnosis::{ModelAnswer, ModelDiagnosis, Outcome, SecondOpinion, Verdict};
use super::evidence::Evidence;
use super::model::ModelAgent;
pub use super::opinion::Disagreement;
use super::progress::Progress;
use crate::text::clean_line as plain;

/// Where the model's diagnosis departs from the built-in one.
pub fn disagreements(builtin: &Diagnosis, model: &ModelDiagnosis) -> Vec<Disagreement> {
    let mut found = Vec::new();
    let (ours, theirs) = (&builtin.root_cause, &model.diagnosis.root_cause);
    if ours.class != theirs.class {
        found.push(Disagreement::RootCause);
    }
    if ours.service != theirs.service {
        found.push(Disagreement::Service);
    }
    if builtin.action != model.diagnosis.action || model.refused_action.is_some() {
        found.push(Disagreement::Action);
    }
    found
}

/// The built-in analyzer as ground truth with a model's second opinion.
pub struct WithSecondOpinion {
    model: ModelAgent,
    name: String,
}

impl WithSecondOpinion {
    pub fn new(model: ModelAgent) -> Self {
        let name = model.label();
        Self { model, name }
    }
}

#[async_trait]
impl Analyzer for WithSecondOpinion {
    fn name(&self) -> &str {
        &self.name
    }

    async fn diagnose(
        &self,
        evidence: Evidence,
        progress: mpsc::Sender<Progress>,
    ) -> Result<Diagnosis, AnalyzerError> {
        if evidence.is_empty() {
            return Err(AnalyzerError::NoEvidence);
        }
        let report = builtin::analyze(&evidence);
        let mut diagnosis = report.diagnosis;
        let _ = progress
            .send(Progress::Step(format!(
                "built-in analyzer (ground truth): {}",
                headline(&diagnosis)
            )))
            .await;
        // Should the story's deadline come first, this is what stands.
        let _ = progress
            .send(Progress::Standing(Box::new(diagnosis.clone())))
            .await;
        let started = Instant::now();
        let outcome = match self.model.investigate(&evidence, &progress).await {
            Ok(run) => {
                let disagreements = match &run.verdict {
                    Verdict::Structured(model) => disagreements(&diagnosis, model),
                    Verdict::Text(_) => vec![],
                };
                Outcome::Answered(Box::new(ModelAnswer {
                    verdict: run.verdict,
                    first_token: run.first_token,
                    took: started.elapsed(),
                    tool_calls: run.tool_calls,
                    output_tokens: run.output_tokens,
                    disagreements,
                }))
            }
            Err(failure) => {
                tracing::warn!(agent = %self.name, %failure, "the model gave no diagnosis");
                let _ = progress
                    .send(Progress::Note(format!(
                        "{}: {failure}; the built-in diagnosis stands",
                        self.name
                    )))
                    .await;
                Outcome::Failed(failure)
            }
        };
        diagnosis.second_opinion = Some(Box::new(SecondOpinion {
            agent: self.name.clone(),
            outcome,
        }));
        Ok(diagnosis)
    }
}

/// "process killed or crashed on tikv1 (92%), start tikv1".
pub fn headline(d: &Diagnosis) -> String {
    let on = d
        .root_cause
        .service
        .as_deref()
        .map(|s| format!(" on {}", plain(s)))
        .unwrap_or_default();
    let action = d
        .action
        .as_ref()
        .map(|a| format!("{} {}", a.recovery, plain(&a.service)))
        .unwrap_or_else(|| "no action".into());
    format!(
        "{}{on} ({:.0}%), {action}",
        d.root_cause.class,
        (d.root_cause.confidence.clamp(0.0, 1.0) * 100.0).round()
    )
}
