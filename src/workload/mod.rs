//! Workload: samples from the load generator, their parsers and the tracker
//! that turns them into a baseline and a status.

pub mod detect;
pub mod follow;
pub mod goycsb;
pub mod javaycsb;
pub mod plausible;
pub mod tracker;
pub mod watch;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use detect::LoadParser;
pub use tracker::{BarLevel, TrackerConfig, WorkloadStatus, WorkloadTracker};

/// Where a sample's numbers come from, shown beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SampleSource {
    Simulator,
    GoYcsb,
    JavaYcsb,
    /// TiKV's status-port metrics, used when there is no load output.
    StatusPortMetrics,
    /// go-ycsb's data-load phase (`load`: INSERT-only reports), which runs
    /// before the workload proper and at another rate.
    GoYcsbDataLoad,
}

impl SampleSource {
    /// Whether the workload's own rate can be learnt from such samples: not
    /// from the metrics fallback (every store's requests, not the
    /// client's) nor from a data-load phase.
    pub fn teaches_baseline(self) -> bool {
        match self {
            Self::Simulator | Self::GoYcsb | Self::JavaYcsb => true,
            Self::StatusPortMetrics | Self::GoYcsbDataLoad => false,
        }
    }
}

/// One interval of workload, usually one second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorkloadSample {
    /// Show time at the end of the interval.
    pub at: Duration,
    /// Successful operations per second over the interval.
    pub ops_per_sec: f64,
    /// Failed operations per second over the interval.
    pub errors_per_sec: f64,
    /// 99th percentile latency, when the source reports it.
    pub p99: Option<Duration>,
    pub source: SampleSource,
}
