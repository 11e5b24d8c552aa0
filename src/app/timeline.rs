//! The fault episode's milestones, shown in the timeline strip and at the end.

use std::time::Duration;

use crate::cluster::InjectedFault;
use crate::monitor::Signal;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub injected: Option<InjectedFault>,
    /// Time after the fault and the signal that first detected it.
    pub detected: Option<(Duration, Signal)>,
    pub diagnosed: Option<Duration>,
    /// Show time the recovery was asked for.
    pub recovery_started: Option<Duration>,
    pub recovered: Option<Duration>,
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

    /// One line per milestone, for plain mode and the last chapter.
    pub fn lines(&self) -> Vec<String> {
        let Some(fault) = &self.injected else {
            return vec!["no fault was injected".into()];
        };
        let mut lines = vec![format!("fault injected: {} {}", fault.kind, fault.service)];
        lines.push(match self.detected {
            Some((after, signal)) => format!("detected: +{} by {}", secs(after), signal.describe()),
            None => "detected: not yet".into(),
        });
        lines.push(match self.diagnosed {
            Some(after) => format!("diagnosed: +{}", secs(after)),
            None => "diagnosed: not yet".into(),
        });
        lines.push(match self.recovered {
            Some(after) => format!("recovered: +{}", secs(after)),
            None => "recovered: not yet".into(),
        });
        lines
    }
}

/// `12.3s`
pub fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}
