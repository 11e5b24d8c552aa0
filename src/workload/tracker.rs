//! The workload tracker: a bounded history of samples, a baseline learnt at
//! the start of the load, and the status the UI and the monitor show.

use std::collections::VecDeque;

use super::WorkloadSample;

/// Samples in a row at or above `warn_below * baseline` that end a
/// degradation.
pub const RECOVERY_SAMPLES: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    /// Below this fraction of the baseline a bar is a warning (yellow).
    pub warn_below: f64,
    /// Below this fraction of the baseline the workload is degraded (red).
    pub degraded_below: f64,
    /// Use this baseline (ops/s) instead of learning one.
    pub fixed_baseline: Option<f64>,
    /// Samples after the load starts whose median becomes the baseline.
    pub warmup_samples: usize,
    /// Samples kept for the sparkline.
    pub history_len: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            warn_below: 0.8,
            degraded_below: 0.5,
            fixed_baseline: None,
            warmup_samples: 5,
            history_len: 240,
        }
    }
}

impl TrackerConfig {
    /// Thresholds must be fractions in (0, 1] with `degraded_below <=
    /// warn_below`; a fixed baseline must be a positive rate; the two counts
    /// must be at least one.
    pub fn validate(&self) -> Result<(), TrackerConfigError> {
        let fraction = |v: f64| v.is_finite() && v > 0.0 && v <= 1.0;
        if !fraction(self.warn_below) || !fraction(self.degraded_below) {
            return Err(TrackerConfigError::ThresholdOutOfRange);
        }
        if self.degraded_below > self.warn_below {
            return Err(TrackerConfigError::ThresholdsInverted);
        }
        if let Some(b) = self.fixed_baseline {
            if !(b.is_finite() && b > 0.0) {
                return Err(TrackerConfigError::BadFixedBaseline(b));
            }
        }
        if self.warmup_samples == 0 || self.history_len == 0 {
            return Err(TrackerConfigError::ZeroCount);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackerConfigError {
    #[error("warn_below and degraded_below must be fractions in (0, 1]")]
    ThresholdOutOfRange,
    #[error("degraded_below must not be above warn_below")]
    ThresholdsInverted,
    #[error("fixed baseline must be a positive number of ops/s, got {0}")]
    BadFixedBaseline(f64),
    #[error("warmup_samples and history_len must be at least 1")]
    ZeroCount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadStatus {
    /// No samples, or the load stopped.
    Idle,
    /// Learning the baseline from the workload's own reports.
    Baseline,
    Normal,
    Degraded,
    /// Was degraded; not yet back to normal for long enough.
    Recovering,
}

impl WorkloadStatus {
    pub fn label(&self) -> &'static str {
        match self {
            WorkloadStatus::Idle => "IDLE",
            WorkloadStatus::Baseline => "LEARNING",
            WorkloadStatus::Normal => "NORMAL",
            WorkloadStatus::Degraded => "DEGRADED",
            WorkloadStatus::Recovering => "RECOVERING",
        }
    }
}

/// Colour class of one sparkline bar (green, yellow, red).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BarLevel {
    Normal,
    Warning,
    Degraded,
}

/// Turns samples into a baseline, a status and a coloured history.
///
/// The baseline is the median of the first `warmup_samples` samples after the
/// load starts (the first sample with operations), so one slow start-up
/// interval does not skew it. It is learnt only from the workload's own
/// reports ([`SampleSource::teaches_baseline`]): metrics-fallback and
/// data-load samples are shown and judged, never learnt from. Once learnt it
/// stays until [`reset`] (each start of the load, each pass), so a
/// degradation never drags it down. [`set_idle`] ends the load episode but
/// keeps the baseline and the history.
///
/// [`SampleSource::teaches_baseline`]: super::SampleSource::teaches_baseline
///
/// [`reset`]: WorkloadTracker::reset
/// [`set_idle`]: WorkloadTracker::set_idle
#[derive(Debug, Clone)]
pub struct WorkloadTracker {
    config: TrackerConfig,
    history: VecDeque<WorkloadSample>,
    warmup: Vec<f64>,
    learnt_baseline: Option<f64>,
    /// Samples are flowing and the load has started.
    running: bool,
    /// Samples pushed since the load (re)started, for the recovery window.
    since_start: usize,
    /// A degradation was seen and has not ended yet.
    in_degradation: bool,
}

impl WorkloadTracker {
    /// A tracker with `config`; an invalid config (see
    /// [`TrackerConfig::validate`]) falls back to the defaults for the
    /// offending fields, so the show goes on.
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config: sanitized(config),
            history: VecDeque::new(),
            warmup: Vec::new(),
            learnt_baseline: None,
            running: false,
            since_start: 0,
            in_degradation: false,
        }
    }

    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    pub fn push(&mut self, sample: WorkloadSample) {
        let mut sample = sample;
        if !sample.ops_per_sec.is_finite() || sample.ops_per_sec < 0.0 {
            sample.ops_per_sec = 0.0;
        }
        if !self.running && sample.ops_per_sec > 0.0 {
            self.running = true;
            self.since_start = 0;
            self.in_degradation = false;
        }
        if self.history.len() == self.config.history_len {
            self.history.pop_front();
        }
        self.history.push_back(sample);
        if !self.running {
            return;
        }
        self.since_start += 1;

        if self.config.fixed_baseline.is_none()
            && self.learnt_baseline.is_none()
            && sample.source.teaches_baseline()
        {
            self.warmup.push(sample.ops_per_sec);
            if self.warmup.len() >= self.config.warmup_samples {
                self.learnt_baseline = median(&self.warmup).filter(|b| *b > 0.0);
                self.warmup.clear();
            }
        }

        if self.level_of(sample.ops_per_sec) == BarLevel::Degraded {
            self.in_degradation = true;
        } else if self.in_degradation && self.is_back_to_normal() {
            self.in_degradation = false;
        }
    }

    /// Forget everything, the baseline included.
    pub fn reset(&mut self) {
        *self = Self::new(self.config.clone());
    }

    /// The load stopped: status is Idle until samples with operations come
    /// again. A baseline still being learnt starts over then.
    pub fn set_idle(&mut self) {
        self.running = false;
        self.since_start = 0;
        self.in_degradation = false;
        self.warmup.clear();
    }

    /// Samples learnt from so far and samples needed, while the baseline is
    /// being learnt; `None` once it is known (or fixed).
    pub fn learning_progress(&self) -> Option<(usize, usize)> {
        self.baseline()
            .is_none()
            .then_some((self.warmup.len(), self.config.warmup_samples))
    }

    /// The reference rate in ops/s, once known.
    pub fn baseline(&self) -> Option<f64> {
        self.config.fixed_baseline.or(self.learnt_baseline)
    }

    pub fn status(&self) -> WorkloadStatus {
        let Some(latest) = self.latest().filter(|_| self.running) else {
            return WorkloadStatus::Idle;
        };
        if self.baseline().is_none() {
            return WorkloadStatus::Baseline;
        }
        match self.level_of(latest.ops_per_sec) {
            BarLevel::Degraded => WorkloadStatus::Degraded,
            _ if self.in_degradation => WorkloadStatus::Recovering,
            _ => WorkloadStatus::Normal,
        }
    }

    pub fn latest(&self) -> Option<&WorkloadSample> {
        self.history.back()
    }

    /// Rates and their levels, oldest first, at most `history_len`.
    pub fn history(&self) -> impl Iterator<Item = (f64, BarLevel)> + '_ {
        self.history
            .iter()
            .map(|s| (s.ops_per_sec, self.level_of(s.ops_per_sec)))
    }

    /// All kept samples, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = &WorkloadSample> + '_ {
        self.history.iter()
    }

    pub fn level_of(&self, ops: f64) -> BarLevel {
        let Some(baseline) = self.baseline() else {
            return BarLevel::Normal;
        };
        if ops >= self.config.warn_below * baseline {
            BarLevel::Normal
        } else if ops >= self.config.degraded_below * baseline {
            BarLevel::Warning
        } else {
            BarLevel::Degraded
        }
    }

    /// Latest rate over the baseline.
    pub fn ratio(&self) -> Option<f64> {
        let baseline = self.baseline()?;
        Some(self.latest()?.ops_per_sec / baseline)
    }

    /// The last [`RECOVERY_SAMPLES`] samples of the running load are all at or
    /// above `warn_below * baseline`.
    pub fn is_back_to_normal(&self) -> bool {
        let Some(baseline) = self.baseline() else {
            return false;
        };
        self.running
            && self.since_start >= RECOVERY_SAMPLES
            && self.history.len() >= RECOVERY_SAMPLES
            && self
                .history
                .iter()
                .rev()
                .take(RECOVERY_SAMPLES)
                .all(|s| s.ops_per_sec >= self.config.warn_below * baseline)
    }
}

impl Default for WorkloadTracker {
    fn default() -> Self {
        Self::new(TrackerConfig::default())
    }
}

fn sanitized(config: TrackerConfig) -> TrackerConfig {
    if config.validate().is_ok() {
        return config;
    }
    let defaults = TrackerConfig::default();
    let fraction = |v: f64| v.is_finite() && v > 0.0 && v <= 1.0;
    let (mut warn, mut degraded) = (config.warn_below, config.degraded_below);
    if !fraction(warn) || !fraction(degraded) || degraded > warn {
        warn = defaults.warn_below;
        degraded = defaults.degraded_below;
    }
    TrackerConfig {
        warn_below: warn,
        degraded_below: degraded,
        fixed_baseline: config.fixed_baseline.filter(|b| b.is_finite() && *b > 0.0),
        warmup_samples: config.warmup_samples.max(1),
        history_len: config.history_len.max(1),
    }
}

/// Median of finite values; the mean of the middle two for an even count.
fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}
