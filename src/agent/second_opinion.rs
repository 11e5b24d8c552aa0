//! A model's diagnosis beside the built-in analyzer's. The built-in one is
//! the ground truth and always runs; the model's answer is carried inside
//! it, with where the two disagree, or with why the model gave none.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::allowlist::RefusedAction;
use super::builtin;
use super::diagnosis::{Diagnosis, RecommendedAction};
use super::model::{ModelAgent, ModelFailure};
use super::progress::Progress;
use super::{Analyzer, AnalyzerError, Evidence};
use crate::text::{clean_line as plain, span};

/// What the model said, or why it said nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondOpinion {
    /// "anthropic claude-sonnet-4-5".
    pub agent: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Answered(Box<ModelAnswer>),
    /// The built-in diagnosis stands alone.
    Failed(ModelFailure),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelAnswer {
    pub verdict: Verdict,
    /// From the first request to the first piece of its answer.
    pub first_token: Option<Duration>,
    pub took: Duration,
    pub tool_calls: usize,
    pub output_tokens: u64,
    /// Against the built-in diagnosis; empty when they agree (or when the
    /// answer was text and could not be compared).
    pub disagreements: Vec<Disagreement>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The answer followed the structure.
    Structured(Box<ModelDiagnosis>),
    /// It did not: shown as text, compared with nothing.
    Text(String),
}

/// The model's answer in the built-in analyzer's structure.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDiagnosis {
    /// Its `action` is set only when the allowlist let it through.
    pub diagnosis: Diagnosis,
    /// It said there is no incident.
    pub no_incident: bool,
    /// It gave a confidence (0 is assumed when it did not).
    pub confidence_given: bool,
    /// What it recommended outside the allowlist: shown, never executed.
    pub refused_action: Option<RefusedAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disagreement {
    RootCause,
    Service,
    Action,
}

impl Disagreement {
    pub fn word(self) -> &'static str {
        match self {
            Self::RootCause => "root cause",
            Self::Service => "node",
            Self::Action => "action",
        }
    }
}

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

impl SecondOpinion {
    /// `agent` had not answered when the story's `within` to diagnose ran out.
    pub fn overdue(agent: &str, within: Duration) -> Self {
        Self {
            agent: agent.to_string(),
            outcome: Outcome::Failed(ModelFailure::Overdue(within)),
        }
    }

    /// The model's structured diagnosis, when it gave one.
    pub fn structured(&self) -> Option<&ModelDiagnosis> {
        match &self.outcome {
            Outcome::Answered(answer) => match &answer.verdict {
                Verdict::Structured(d) => Some(d),
                Verdict::Text(_) => None,
            },
            Outcome::Failed(_) => None,
        }
    }

    /// Plain lines for the log, after the built-in ones.
    pub fn lines(&self) -> Vec<String> {
        let agent = plain(&self.agent);
        let mut lines = Vec::new();
        match &self.outcome {
            Outcome::Failed(failure) => lines.push(format!(
                "Second opinion ({agent}): none, {failure}; the built-in diagnosis stands"
            )),
            Outcome::Answered(answer) => {
                let first = answer
                    .first_token
                    .map(|d| format!(", first token after {}", span(d)))
                    .unwrap_or_default();
                lines.push(format!(
                    "Second opinion ({agent}, {} tool calls{first}, {} in all):",
                    answer.tool_calls,
                    span(answer.took)
                ));
                match &answer.verdict {
                    Verdict::Text(text) => {
                        lines.push(
                            "  not in the diagnosis structure; as the model wrote it:".into(),
                        );
                        lines.extend(text.lines().map(|l| format!("  | {}", plain(l))));
                    }
                    Verdict::Structured(model) => {
                        lines.extend(
                            model
                                .diagnosis
                                .lines()
                                .into_iter()
                                .map(|l| format!("  {l}")),
                        );
                        if let Some(refused) = &model.refused_action {
                            lines.push(format!(
                                "  REFUSED, never executed: {} — {}",
                                plain(&refused.asked),
                                refused.why
                            ));
                        }
                        if answer.disagreements.is_empty() {
                            lines.push("  agrees with the built-in analyzer".into());
                        } else {
                            let words: Vec<&str> =
                                answer.disagreements.iter().map(|d| d.word()).collect();
                            lines.push(format!(
                                "  DISAGREES with the built-in analyzer on: {}",
                                words.join(", ")
                            ));
                        }
                    }
                }
            }
        }
        lines
    }
}

impl Diagnosis {
    /// Who wrote the diagnosis shown: the model when it answered (its
    /// answer is shown beside the built-in one), else the analyzer that
    /// wrote this one, the built-in analyzer when the model gave nothing.
    pub fn author(&self) -> &str {
        match &self.second_opinion {
            Some(opinion) if matches!(opinion.outcome, Outcome::Answered(_)) => &opinion.agent,
            _ => &self.analyzer,
        }
    }

    /// The recommendation the presenter may apply with `a`, and whose it is:
    /// the model's when it gave an allowed one, else the built-in's.
    pub fn applicable_action(&self) -> Option<(&RecommendedAction, &str)> {
        if let Some(opinion) = &self.second_opinion {
            if let Some(action) = opinion
                .structured()
                .and_then(|m| m.diagnosis.action.as_ref())
            {
                return Some((action, &opinion.agent));
            }
        }
        self.action.as_ref().map(|a| (a, self.analyzer.as_str()))
    }
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
