//! A model's diagnosis beside the built-in analyzer's. The built-in one is
//! the ground truth and always runs; the model's answer is carried inside
//! it, with where the two disagree, or with why the model gave none.
//!
//! The composition sits here, on top; the second opinion's data is in
//! [`super::opinion`], named for [`Diagnosis`] in `agent::diagnosis`, and
//! re-exported here under the names everyone uses.

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::analyzer::{Analyzer, AnalyzerError};
use super::diagnosis::{Diagnosis, score};
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

/// Any analyzer as the ground truth, with a model's second opinion beside
/// it: the ground truth always runs first and always stands; the model's
/// answer, or why it gave none, rides inside its diagnosis.
pub struct WithSecondOpinion<A> {
    ground: A,
    model: ModelAgent,
    name: String,
}

impl<A: Analyzer> WithSecondOpinion<A> {
    /// Named after the model (the pane's title until the diagnosis is in).
    /// The ground truth's own lines are not shown, only its verdict: give
    /// it no pace (`BuiltinAnalyzer::instant()`), or the model waits on it.
    pub fn new(ground: A, model: ModelAgent) -> Self {
        let name = model.label();
        Self {
            ground,
            model,
            name,
        }
    }

    /// The ground truth's diagnosis, its progress drained unseen: the pane
    /// belongs to the model, and one line says what the ground truth found.
    async fn ground_truth(&self, evidence: Evidence) -> Result<Diagnosis, AnalyzerError> {
        let (tx, mut rx) = mpsc::channel(64);
        let drain = async move { while rx.recv().await.is_some() {} };
        let (diagnosis, ()) = tokio::join!(self.ground.diagnose(evidence, tx), drain);
        diagnosis
    }
}

#[async_trait]
impl<A: Analyzer> Analyzer for WithSecondOpinion<A> {
    fn name(&self) -> &str {
        &self.name
    }

    async fn diagnose(
        &self,
        evidence: Evidence,
        progress: mpsc::Sender<Progress>,
    ) -> Result<Diagnosis, AnalyzerError> {
        let mut diagnosis = self.ground_truth(evidence.clone()).await?;
        let _ = progress
            .send(Progress::Step(format!(
                "{} (ground truth): {}",
                plain(self.ground.name()),
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

/// "process killed or crashed on tikv1 (score 0.90), start tikv1".
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
        "{}{on} (score {}), {action}",
        d.root_cause.class,
        score(d.root_cause.confidence)
    )
}
