//! The agent pane: whether the analyzer is asked, at work, done or failed,
//! and what it reported while it worked. Every move of its state is here.

use std::time::Duration;

use super::msg::RunId;
use crate::agent::{AnalyzerError, Diagnosis, Progress, Transcript};

#[derive(Debug, Clone, PartialEq)]
pub enum AgentState {
    Idle,
    Working {
        run: RunId,
        started: Duration,
    },
    Done {
        diagnosis: Box<Diagnosis>,
        took: Duration,
    },
    Failed(String),
    /// Called off (ESC, moving on, a reset): not a failure of the analyzer.
    CalledOff(String),
}

pub struct AgentPane {
    /// Shown in the pane's title.
    analyzer: String,
    state: AgentState,
    /// What the analyzer reported while it worked, stamped with show time
    /// and the time since the fault.
    transcript: Transcript,
    /// The diagnosis's action the presenter applied (`start tikv2`), so
    /// the screen says who recovered the fault.
    applied: Option<String>,
}

impl AgentPane {
    pub fn new(analyzer: String) -> Self {
        Self {
            analyzer,
            state: AgentState::Idle,
            transcript: Transcript::default(),
            applied: None,
        }
    }

    pub fn analyzer(&self) -> &str {
        &self.analyzer
    }

    pub fn state(&self) -> &AgentState {
        &self.state
    }

    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// The diagnosis's action the presenter applied, in this episode.
    pub fn applied(&self) -> Option<&str> {
        self.applied.as_deref()
    }

    /// The presenter applied the diagnosis's action (`a`).
    pub(super) fn apply(&mut self, action: String) {
        self.applied = Some(action);
    }

    /// The run the analyzer works for, while it works.
    pub fn working(&self) -> Option<RunId> {
        match self.state {
            AgentState::Working { run, .. } => Some(run),
            _ => None,
        }
    }

    /// The diagnosis a model's deadline leaves standing: the built-in one
    /// sent before the model was asked, if any.
    pub fn standing(&self) -> Option<&Diagnosis> {
        self.working()?;
        self.transcript.standing()
    }

    /// The analyzer is asked at `now` for `run`.
    pub(super) fn ask(&mut self, run: RunId, now: Duration) {
        self.state = AgentState::Working { run, started: now };
        self.transcript.clear();
    }

    /// A progress line from the analyzer at work for `run`.
    pub(super) fn line(
        &mut self,
        run: RunId,
        now: Duration,
        after_fault: Option<Duration>,
        progress: Progress,
    ) {
        if self.working() == Some(run) {
            self.transcript.push(now, after_fault, progress);
        }
    }

    /// The analyzer's answer for `run` at `now`: the time it took, or
    /// `None` when it is not the run the pane waits for.
    pub(super) fn answered(
        &mut self,
        run: RunId,
        now: Duration,
        result: Result<Diagnosis, AnalyzerError>,
    ) -> Option<Result<Duration, String>> {
        let AgentState::Working {
            run: working,
            started,
        } = self.state
        else {
            return None;
        };
        if working != run {
            return None;
        }
        Some(match result {
            Ok(diagnosis) => {
                let took = now.saturating_sub(started);
                self.state = AgentState::Done {
                    diagnosis: Box::new(diagnosis),
                    took,
                };
                Ok(took)
            }
            Err(error) => {
                let why = error.to_string();
                self.state = AgentState::Failed(why.clone());
                Err(why)
            }
        })
    }

    /// The analyzer's work is called off (for `run` only, when given).
    /// True when it was at work.
    pub(super) fn call_off(&mut self, run: Option<RunId>, why: String) -> bool {
        match self.working() {
            Some(working) if run.is_none_or(|run| run == working) => {
                self.state = AgentState::CalledOff(why);
                true
            }
            _ => false,
        }
    }

    /// The analyzer gave no answer in time.
    pub(super) fn overdue(&mut self, why: String) {
        self.state = AgentState::Failed(why);
    }

    /// A new fault landed: the last diagnosis is of another episode (unless
    /// one is being made now).
    pub(super) fn fault_landed(&mut self) {
        if self.working().is_none() {
            self.clear();
        }
    }

    pub(super) fn clear(&mut self) {
        self.state = AgentState::Idle;
        self.transcript.clear();
        self.applied = None;
    }

    /// Tests set up a scene by hand.
    #[cfg(any(test, feature = "testing"))]
    pub fn set_state(&mut self, state: AgentState) {
        self.state = state;
    }
}
