//! What an analyzer concludes, in a structured form the UI renders line by
//! line, with the second opinion it may carry (the data of [`opinion`],
//! named here for this `Diagnosis`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::opinion;
use crate::cluster::Recovery;
use crate::text::{clean_line as plain, clock, span};

pub use crate::faults::FaultClass;

/// A diagnosis's confidence as every renderer writes it: `0.90`. It is the
/// analyzer's score, a weighing of the evidence from 0 to 1 (explained as
/// `0.90 = 0.75 (exit code 137) + …`), never a percentage, which would
/// read as a probability.
pub fn score(confidence: f32) -> String {
    format!("{:.2}", confidence.clamp(0.0, 1.0))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    pub class: FaultClass,
    /// The node at fault, verbatim from the evidence.
    pub service: Option<String>,
    pub summary: String,
    /// 0 to 1.
    pub confidence: f32,
}

/// A hypothesis weighed and not chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    pub hypothesis: String,
    pub evidence_for: Vec<String>,
    pub evidence_against: Vec<String>,
}

/// A recovery from the allowlist (start, unpause, reconnect), for one named
/// node only. The app asks before applying it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendedAction {
    pub recovery: Recovery,
    pub service: String,
}

/// A model's diagnosis beside this one, or why it gave none.
pub type SecondOpinion = opinion::SecondOpinion<Diagnosis>;
pub type Outcome = opinion::Outcome<Diagnosis>;
pub type ModelAnswer = opinion::ModelAnswer<Diagnosis>;
pub type Verdict = opinion::Verdict<Diagnosis>;
pub type ModelDiagnosis = opinion::ModelDiagnosis<Diagnosis>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Who produced it (e.g. "built-in analyzer").
    pub analyzer: String,
    /// Show time and what happened, oldest first.
    pub timeline: Vec<(Duration, String)>,
    pub root_cause: RootCause,
    pub alternatives: Vec<Alternative>,
    pub impact: Vec<String>,
    pub action: Option<RecommendedAction>,
    pub risks: Vec<String>,
    /// A model's diagnosis of the same evidence, beside this one (which
    /// stands as the ground truth), or why the model gave none.
    #[serde(skip)]
    pub second_opinion: Option<Box<SecondOpinion>>,
}

impl Diagnosis {
    /// The diagnosis as plain lines for the log, every field in full (the
    /// agent pane and plain mode show the view's rows). Names from the
    /// outside world are made plain (no control characters).
    pub fn lines(&self) -> Vec<String> {
        let cause = &self.root_cause;
        let mut lines = Vec::new();
        let target = cause
            .service
            .as_deref()
            .map(|s| format!(" on {}", plain(s)))
            .unwrap_or_default();
        lines.push(format!(
            "Root cause: {}{target} (score {})",
            cause.class,
            score(cause.confidence)
        ));
        lines.push(format!("  {}", plain(&cause.summary)));
        if !self.timeline.is_empty() {
            lines.push("Timeline:".into());
            for (at, what) in &self.timeline {
                lines.push(format!("  {}  {}", clock(*at), plain(what)));
            }
        }
        if !self.alternatives.is_empty() {
            lines.push("Alternatives weighed:".into());
            for alt in &self.alternatives {
                lines.push(format!("  - {}", plain(&alt.hypothesis)));
                for item in &alt.evidence_for {
                    lines.push(format!("      for: {}", plain(item)));
                }
                for item in &alt.evidence_against {
                    lines.push(format!("      against: {}", plain(item)));
                }
            }
        }
        if !self.impact.is_empty() {
            lines.push("Impact:".into());
            lines.extend(self.impact.iter().map(|i| format!("  - {}", plain(i))));
        }
        match &self.action {
            Some(action) => lines.push(format!(
                "Recommended action: {} {}",
                action.recovery,
                plain(&action.service)
            )),
            None => lines.push("Recommended action: none (no safe recovery to suggest)".into()),
        }
        if !self.risks.is_empty() {
            lines.push("Risks:".into());
            lines.extend(self.risks.iter().map(|r| format!("  - {}", plain(r))));
        }
        if let Some(opinion) = &self.second_opinion {
            lines.extend(opinion.lines());
        }
        lines
    }

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

impl SecondOpinion {
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
