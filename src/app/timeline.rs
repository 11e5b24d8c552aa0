//! The fault episode's milestones, shown in the timeline strip and at the end.
//! Every interval is measured, and named by what it measures: the ones after
//! the fault come from the journal entries as they are written
//! ([`Timeline::observe`]), so the timeline can never disagree with the
//! journal (nor with the scoreboard, folded from the same entries).

use std::time::Duration;

use super::journal::{Entry, Kind};
use crate::cluster::InjectedFault;
use crate::monitor::Signal;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub injected: Option<InjectedFault>,
    /// Time after the fault and the signal that first detected it.
    pub detected: Option<(Duration, Signal)>,
    /// Each signal's first detection in this episode, time after the fault,
    /// in the order they came.
    pub signals: Vec<(Signal, Duration)>,
    /// Time after the fault the diagnosis arrived: mostly the presenter's
    /// pace (the chapter is entered when they press a key).
    pub diagnosed: Option<Duration>,
    /// From the question to the answer: the analyzer's work and its pacing
    /// (its own compute time is its last progress line).
    pub diagnosis_took: Option<Duration>,
    /// Show time the recovery was asked for.
    pub recovery_started: Option<Duration>,
    /// Time after the fault the cluster was healthy again (presenter time
    /// included: the recovery starts when the presenter gets there).
    pub recovered: Option<Duration>,
    /// From the recovery's start to every store Up and the cluster healthy.
    pub stores_up: Option<Duration>,
    /// From the recovery's start to the workload back at its baseline.
    pub load_back: Option<Duration>,
}

impl Timeline {
    /// Time since the fault at show time `now`, while the episode is open.
    pub fn since_fault(&self, now: Duration) -> Option<Duration> {
        match (&self.injected, self.recovered) {
            (Some(fault), None) => Some(now.saturating_sub(fault.at)),
            _ => None,
        }
    }

    /// Show time relative to the fault, when there is one.
    pub fn after_fault(&self, at: Duration) -> Option<Duration> {
        self.injected
            .as_ref()
            .filter(|f| at >= f.at)
            .map(|f| at - f.at)
    }

    /// When `signal` first detected this episode's fault, after the fault.
    pub fn signal(&self, signal: Signal) -> Option<Duration> {
        self.signals
            .iter()
            .find(|(s, _)| *s == signal)
            .map(|(_, after)| *after)
    }

    /// Folds one journal entry in: the figures are the journal's own.
    pub fn observe(&mut self, entry: &Entry) {
        if self.injected.is_none() {
            return;
        }
        match &entry.kind {
            Kind::Detection {
                signal,
                after_fault: Some(after),
            } if self.signal(*signal).is_none() => self.signals.push((*signal, *after)),
            Kind::Diagnosis { took } => self.diagnosis_took = Some(*took),
            Kind::Recovered { took } => self.stores_up = Some(*took),
            Kind::LoadBack { took } => self.load_back = Some(*took),
            _ => {}
        }
    }

    /// One line per milestone, for plain mode and the last chapter.
    pub fn lines(&self) -> Vec<String> {
        let Some(fault) = &self.injected else {
            return vec!["no fault was injected".into()];
        };
        let mut lines = vec![format!(
            "fault injected: {} {}",
            fault.kind(),
            fault.service
        )];
        lines.push(if self.signals.is_empty() {
            "detected: not yet".into()
        } else {
            let each: Vec<String> = self
                .signals
                .iter()
                .map(|(signal, after)| format!("{} +{}", signal.name(), secs(*after)))
                .collect();
            format!("detected (after the fault): {}", each.join(", "))
        });
        lines.push(match (self.diagnosis_took, self.diagnosed) {
            (Some(took), Some(after)) => format!(
                "diagnosed: answer {} after the question, pacing included; at +{} after the fault (presenter's pace)",
                secs(took),
                secs(after)
            ),
            _ => "diagnosed: not yet".into(),
        });
        lines.push(match (self.recovered, self.recovery_started) {
            (Some(after), Some(started)) => format!(
                "recovered: +{} after the fault (the recovery began at +{}, at the presenter's pace)",
                secs(after),
                secs(self.after_fault(started).unwrap_or_default())
            ),
            (Some(after), None) => format!("recovered: +{} after the fault", secs(after)),
            (None, _) => "recovered: not yet".into(),
        });
        if let Some(up) = self.stores_up {
            let load = match self.load_back {
                Some(back) => format!(", load at baseline {}", secs(back)),
                None => ", load not yet at baseline".into(),
            };
            lines.push(format!(
                "recovery took: every store Up {}{load} after it began",
                secs(up)
            ));
        }
        lines
    }
}

/// `12.3s`
pub use crate::text::secs;
