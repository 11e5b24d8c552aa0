//! One chapter's run of its actions, as explicit states: what runs now, what
//! it waits for, and until when. [`super::story`] moves it from state to
//! state; nothing else does.

use std::time::Duration;

use super::msg::RunId;
use crate::story::Action;

/// A timer that only runs while the show is not paused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timer {
    pub left: Duration,
}

impl Timer {
    pub fn new(left: Duration) -> Self {
        Self { left }
    }

    pub fn expired(&self) -> bool {
        self.left.is_zero()
    }
}

/// Where the action at hand stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The narration is on screen alone before the first action (the
    /// chapter's `lead_in`, when advancing by itself).
    LeadIn(Timer),
    /// Not started yet: the runner starts it next.
    Ready,
    /// A countdown: nothing happens until it reaches zero.
    Countdown(Timer),
    /// Judged from the state until it holds or the deadline passes.
    Waiting { deadline: Timer },
    /// An effect was sent; its answer is awaited until the deadline.
    Awaiting { deadline: Timer },
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    /// Action `index` is at `step`.
    Running {
        index: usize,
        step: Step,
    },
    Done,
    Failed(String),
    /// Called off: by ESC, a reset, a halt, or leaving the chapter.
    Aborted(String),
}

/// The current chapter's actions, run in order.
#[derive(Debug, Clone, PartialEq)]
pub struct ChapterRun {
    pub run: RunId,
    pub actions: Vec<Action>,
    pub state: RunState,
}

impl ChapterRun {
    pub fn new(run: RunId, actions: Vec<Action>) -> Self {
        Self::with_lead_in(run, actions, Duration::ZERO)
    }

    /// A run whose first action waits `lead_in` (the narration alone).
    pub fn with_lead_in(run: RunId, actions: Vec<Action>, lead_in: Duration) -> Self {
        let step = if lead_in.is_zero() {
            Step::Ready
        } else {
            Step::LeadIn(Timer::new(lead_in))
        };
        let state = if actions.is_empty() {
            RunState::Done
        } else {
            RunState::Running { index: 0, step }
        };
        Self {
            run,
            actions,
            state,
        }
    }

    pub fn finished(&self) -> bool {
        !matches!(self.state, RunState::Running { .. })
    }

    /// The running action and its step.
    pub fn current(&self) -> Option<(&Action, &Step)> {
        match &self.state {
            RunState::Running { index, step } => Some((self.actions.get(*index)?, step)),
            _ => None,
        }
    }

    /// The step of the running action, to change it.
    pub fn step_mut(&mut self) -> Option<&mut Step> {
        match &mut self.state {
            RunState::Running { step, .. } => Some(step),
            _ => None,
        }
    }

    /// Waiting for the answer to an effect this run sent.
    pub fn awaiting(&self, run: RunId) -> bool {
        self.run == run && matches!(self.current(), Some((_, Step::Awaiting { .. })))
    }

    pub fn countdown(&self) -> Option<Duration> {
        match self.current() {
            Some((_, Step::Countdown(timer))) => Some(timer.left),
            _ => None,
        }
    }

    /// The narration's time alone left before the first action starts.
    pub fn lead_in(&self) -> Option<Duration> {
        match self.current() {
            Some((_, Step::LeadIn(timer))) => Some(timer.left),
            _ => None,
        }
    }

    /// Moves on to the next action, or to done after the last.
    pub fn advance(&mut self) {
        if let RunState::Running { index, .. } = self.state {
            self.state = if index + 1 < self.actions.len() {
                RunState::Running {
                    index: index + 1,
                    step: Step::Ready,
                }
            } else {
                RunState::Done
            };
        }
    }

    /// Lets the step's timers run for `delta` of show time.
    pub fn elapse(&mut self, delta: Duration) {
        if let Some(step) = self.step_mut() {
            match step {
                Step::LeadIn(timer)
                | Step::Countdown(timer)
                | Step::Waiting { deadline: timer }
                | Step::Awaiting { deadline: timer } => {
                    timer.left = timer.left.saturating_sub(delta);
                }
                Step::Ready => {}
            }
        }
    }

    /// Time left on the running step's timer, if it has one.
    pub fn timer_left(&self) -> Option<Duration> {
        match self.current()? {
            (_, Step::LeadIn(timer))
            | (_, Step::Countdown(timer))
            | (_, Step::Waiting { deadline: timer })
            | (_, Step::Awaiting { deadline: timer }) => Some(timer.left),
            (_, Step::Ready) => None,
        }
    }

    /// The running step's deadline has passed.
    pub fn deadline_passed(&self) -> bool {
        matches!(
            self.current(),
            Some((_, Step::Waiting { deadline } | Step::Awaiting { deadline })) if deadline.expired()
        )
    }
}
