//! Evidence: a bounded recent history of what the show observed, handed to an
//! analyzer as one owned bundle.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cluster::{ClusterEvent, ClusterSnapshot};
use crate::incident::Incident;
use crate::workload::WorkloadSample;

/// Everything an analyzer may look at. It carries no word about which fault
/// was injected: a diagnosis must come from the observations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Show time at which the evidence was gathered.
    pub now: Duration,
    /// Oldest first, reaching back before the fault.
    pub snapshots: Vec<ClusterSnapshot>,
    pub events: Vec<ClusterEvent>,
    pub samples: Vec<WorkloadSample>,
    /// Healthy throughput (ops/s), when the workload tracker has one.
    pub baseline: Option<f64>,
    pub incidents: Vec<Incident>,
}

impl Evidence {
    pub fn is_empty(&self) -> bool {
        self.snapshots.is_empty()
            && self.events.is_empty()
            && self.samples.is_empty()
            && self.incidents.is_empty()
    }
}

/// How much history the recorder keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvidenceLimits {
    pub snapshots: usize,
    pub events: usize,
    pub samples: usize,
}

impl Default for EvidenceLimits {
    fn default() -> Self {
        Self {
            snapshots: 120,
            events: 200,
            samples: 300,
        }
    }
}

/// Fed by the app with everything it receives; cheap to keep running.
#[derive(Debug, Clone, Default)]
pub struct EvidenceRecorder {
    limits: EvidenceLimits,
    snapshots: VecDeque<ClusterSnapshot>,
    events: VecDeque<ClusterEvent>,
    samples: VecDeque<WorkloadSample>,
}

impl EvidenceRecorder {
    pub fn new(limits: EvidenceLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    pub fn record_snapshot(&mut self, snapshot: ClusterSnapshot) {
        push_bounded(&mut self.snapshots, snapshot, self.limits.snapshots);
    }

    pub fn record_event(&mut self, event: ClusterEvent) {
        push_bounded(&mut self.events, event, self.limits.events);
    }

    pub fn record_sample(&mut self, sample: WorkloadSample) {
        push_bounded(&mut self.samples, sample, self.limits.samples);
    }

    /// A copy of the history, each series sorted by time (feeds may interleave).
    pub fn evidence(
        &self,
        now: Duration,
        baseline: Option<f64>,
        incidents: Vec<Incident>,
    ) -> Evidence {
        let mut snapshots: Vec<_> = self.snapshots.iter().cloned().collect();
        snapshots.sort_by_key(|s| s.taken_at);
        let mut events: Vec<_> = self.events.iter().cloned().collect();
        events.sort_by_key(|e| e.at);
        let mut samples: Vec<_> = self.samples.iter().copied().collect();
        samples.sort_by_key(|s| s.at);
        Evidence {
            now,
            snapshots,
            events,
            samples,
            baseline,
            incidents,
        }
    }

    pub fn clear(&mut self) {
        self.snapshots.clear();
        self.events.clear();
        self.samples.clear();
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, limit: usize) {
    queue.push_back(item);
    while queue.len() > limit.max(1) {
        queue.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::SampleSource;

    fn sample(at: u64) -> WorkloadSample {
        WorkloadSample {
            at: Duration::from_secs(at),
            ops_per_sec: 1.0,
            errors_per_sec: 0.0,
            p99: None,
            source: SampleSource::Simulator,
        }
    }

    #[test]
    fn keeps_only_the_most_recent_items_in_time_order() {
        let mut recorder = EvidenceRecorder::new(EvidenceLimits {
            snapshots: 2,
            events: 2,
            samples: 3,
        });
        for at in [5, 1, 2, 3, 4] {
            recorder.record_sample(sample(at));
        }
        let evidence = recorder.evidence(Duration::from_secs(9), None, vec![]);
        let times: Vec<_> = evidence.samples.iter().map(|s| s.at.as_secs()).collect();
        assert_eq!(times, [2, 3, 4]);
        assert!(!evidence.is_empty());
        recorder.clear();
        assert!(recorder.evidence(Duration::ZERO, None, vec![]).is_empty());
    }
}
