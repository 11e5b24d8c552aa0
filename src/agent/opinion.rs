//! A second opinion's data: what a model said beside the ground truth, or
//! why it said nothing. Plain data at the bottom of the agent.
//!
//! The model answers in the ground truth's own structure and a diagnosis
//! carries its second opinion, so these types are generic over the
//! diagnosis `D` they carry; `agent::diagnosis` names them for its own
//! `Diagnosis` (`SecondOpinion`, `Outcome`, …), which is what everyone
//! uses. That keeps this module below it: no cycle.

use std::time::Duration;

use crate::text::span;

/// What the model said, or why it said nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondOpinion<D> {
    /// "anthropic claude-sonnet-4-5".
    pub agent: String,
    pub outcome: Outcome<D>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<D> {
    Answered(Box<ModelAnswer<D>>),
    /// The built-in diagnosis stands alone.
    Failed(ModelFailure),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelAnswer<D> {
    pub verdict: Verdict<D>,
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
pub enum Verdict<D> {
    /// The answer followed the structure.
    Structured(Box<ModelDiagnosis<D>>),
    /// It did not: shown as text, compared with nothing.
    Text(String),
}

/// The model's answer in the built-in analyzer's structure.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDiagnosis<D> {
    /// Its `action` is set only when the allowlist let it through.
    pub diagnosis: D,
    /// It said there is no incident.
    pub no_incident: bool,
    /// It gave a confidence (0 is assumed when it did not).
    pub confidence_given: bool,
    /// What it recommended outside the allowlist: shown, never executed.
    pub refused_action: Option<RefusedAction>,
}

/// A recommendation outside the allowlist, kept only to be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedAction {
    /// What was asked for, cleaned for the screen.
    pub asked: String,
    pub why: String,
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

/// Why the model gave no diagnosis. The built-in one then stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelFailure {
    #[error("no first token within {}", span(*.0))]
    FirstToken(Duration),
    #[error("no answer within {}", span(*.0))]
    Deadline(Duration),
    #[error("HTTP {status} from the server: {message}")]
    Http { status: u16, message: String },
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    #[error("the server reported an error mid-stream ({0})")]
    ServerError(String),
    #[error("malformed answer stream: {0}")]
    Malformed(String),
    #[error("the answer stream was cut: {0}")]
    Cut(String),
    #[error("budget spent: {0}")]
    Budget(BudgetSpent),
    #[error("it kept calling tools past the limit of {0} steps")]
    StepLimit(usize),
    /// The story's time to diagnose (show time) ran out first: the story
    /// went on with the built-in diagnosis and dropped the model's.
    #[error("no answer within the story's {} to diagnose", span(*.0))]
    Overdue(Duration),
}

/// Why the model may not be sent another request (see `model::budget`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetSpent {
    #[error("{0} requests in this diagnosis, the most allowed")]
    Pass(u32),
    #[error("{0} requests in the last hour, the most allowed; next one allowed in {1}s")]
    Hour(u32, u64),
}

impl<D> SecondOpinion<D> {
    /// `agent` had not answered when the story's `within` to diagnose ran out.
    pub fn overdue(agent: &str, within: Duration) -> Self {
        Self {
            agent: agent.to_string(),
            outcome: Outcome::Failed(ModelFailure::Overdue(within)),
        }
    }

    /// The model's structured diagnosis, when it gave one.
    pub fn structured(&self) -> Option<&ModelDiagnosis<D>> {
        match &self.outcome {
            Outcome::Answered(answer) => match &answer.verdict {
                Verdict::Structured(d) => Some(d),
                Verdict::Text(_) => None,
            },
            Outcome::Failed(_) => None,
        }
    }
}
