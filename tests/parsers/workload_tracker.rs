//! The workload tracker: warm-up, baseline, degraded, recovering, back to
//! normal, idle, bounded history.

use std::time::Duration;

use chaosdeck::workload::tracker::{RECOVERY_SAMPLES, TrackerConfigError};
use chaosdeck::workload::{
    BarLevel, SampleSource, TrackerConfig, WorkloadSample, WorkloadStatus, WorkloadTracker,
};

fn sample(i: usize, ops: f64) -> WorkloadSample {
    WorkloadSample {
        at: Duration::from_secs(i as u64),
        ops_per_sec: ops,
        errors_per_sec: 0.0,
        p99: Some(Duration::from_millis(5)),
        source: SampleSource::Simulator,
    }
}

fn tracker_with(rates: &[f64]) -> WorkloadTracker {
    let mut tracker = WorkloadTracker::new(TrackerConfig::default());
    for (i, ops) in rates.iter().enumerate() {
        tracker.push(sample(i, *ops));
    }
    tracker
}

#[test]
fn empty_tracker_is_idle_with_no_baseline() {
    let tracker = WorkloadTracker::default();
    assert_eq!(tracker.status(), WorkloadStatus::Idle);
    assert_eq!(tracker.status().label(), "IDLE");
    assert_eq!(tracker.baseline(), None);
    assert_eq!(tracker.latest(), None);
    assert_eq!(tracker.ratio(), None);
    assert!(!tracker.is_back_to_normal());
    assert_eq!(tracker.history().count(), 0);
}

#[test]
fn warm_up_learns_the_median_of_the_first_samples() {
    let mut tracker = tracker_with(&[0.0, 0.0, 200.0, 1000.0, 1100.0, 900.0]);
    // Zeros before the load starts do not count; 4 of 5 samples so far.
    assert_eq!(tracker.status(), WorkloadStatus::Baseline);
    assert_eq!(tracker.status().label(), "LEARNING");
    assert_eq!(tracker.learning_progress(), Some((4, 5)));
    assert_eq!(tracker.baseline(), None);
    assert!(
        tracker
            .history()
            .all(|(_, level)| level == BarLevel::Normal),
        "no colours before a baseline"
    );
    tracker.push(sample(6, 5000.0));
    // Median of 200, 1000, 1100, 900, 5000: the slow start and the spike
    // do not skew it.
    assert_eq!(tracker.baseline(), Some(1000.0));
    assert_eq!(tracker.status(), WorkloadStatus::Normal);
    assert_eq!(tracker.ratio(), Some(5.0));
    // Bars are coloured against the baseline once it exists.
    let levels: Vec<BarLevel> = tracker.history().map(|(_, l)| l).collect();
    assert_eq!(levels[2], BarLevel::Degraded, "the 200 ops/s start-up bar");
    assert_eq!(levels[3], BarLevel::Normal);
}

#[test]
fn levels_follow_the_thresholds() {
    let tracker = tracker_with(&[1000.0; 5]);
    assert_eq!(tracker.level_of(800.0), BarLevel::Normal);
    assert_eq!(tracker.level_of(799.9), BarLevel::Warning);
    assert_eq!(tracker.level_of(500.0), BarLevel::Warning);
    assert_eq!(tracker.level_of(499.9), BarLevel::Degraded);
    assert_eq!(tracker.level_of(0.0), BarLevel::Degraded);
}

#[test]
fn a_warning_level_dip_alone_is_not_degraded() {
    let tracker = tracker_with(&[1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 700.0]);
    assert_eq!(tracker.status(), WorkloadStatus::Normal);
    assert_eq!(tracker.history().last(), Some((700.0, BarLevel::Warning)));
}

#[test]
fn degraded_then_recovering_then_back_to_normal() {
    let mut tracker = tracker_with(&[1000.0; 5]);
    tracker.push(sample(5, 300.0));
    assert_eq!(tracker.status(), WorkloadStatus::Degraded);
    assert_eq!(tracker.status().label(), "DEGRADED");
    assert_eq!(tracker.ratio(), Some(0.3));
    tracker.push(sample(6, 0.0));
    assert_eq!(tracker.status(), WorkloadStatus::Degraded, "a full stop");
    assert_eq!(tracker.baseline(), Some(1000.0), "not recomputed");

    tracker.push(sample(7, 600.0));
    assert_eq!(tracker.status(), WorkloadStatus::Recovering);
    assert_eq!(tracker.status().label(), "RECOVERING");
    tracker.push(sample(8, 900.0));
    tracker.push(sample(9, 950.0));
    assert_eq!(
        tracker.status(),
        WorkloadStatus::Recovering,
        "600 is still in the window"
    );
    assert!(!tracker.is_back_to_normal());
    tracker.push(sample(10, 1000.0));
    assert!(tracker.is_back_to_normal());
    assert_eq!(tracker.status(), WorkloadStatus::Normal);
    assert_eq!(tracker.baseline(), Some(1000.0));
}

#[test]
fn a_relapse_while_recovering_is_degraded_again() {
    let mut tracker = tracker_with(&[1000.0; 5]);
    for (i, ops) in [100.0, 900.0, 950.0, 200.0].into_iter().enumerate() {
        tracker.push(sample(5 + i, ops));
    }
    assert_eq!(tracker.status(), WorkloadStatus::Degraded);
    for i in 0..RECOVERY_SAMPLES - 1 {
        tracker.push(sample(10 + i, 1000.0));
        assert_eq!(tracker.status(), WorkloadStatus::Recovering);
    }
    tracker.push(sample(20, 1000.0));
    assert_eq!(tracker.status(), WorkloadStatus::Normal);
}

#[test]
fn degradation_during_warm_up_is_judged_once_the_baseline_exists() {
    let tracker = tracker_with(&[1000.0, 1000.0, 1000.0, 1000.0, 100.0]);
    assert_eq!(tracker.baseline(), Some(1000.0));
    assert_eq!(tracker.status(), WorkloadStatus::Degraded);
}

#[test]
fn fixed_baseline_skips_warm_up() {
    let mut tracker = WorkloadTracker::new(TrackerConfig {
        fixed_baseline: Some(2000.0),
        ..TrackerConfig::default()
    });
    assert_eq!(tracker.baseline(), Some(2000.0));
    tracker.push(sample(0, 1500.0));
    // 1500 of 2000 is a yellow bar, but the status stays NORMAL.
    assert_eq!(tracker.status(), WorkloadStatus::Normal);
    assert_eq!(tracker.history().last(), Some((1500.0, BarLevel::Warning)));
}

#[test]
fn set_idle_stops_the_episode_and_keeps_the_baseline() {
    let mut tracker = tracker_with(&[1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 100.0]);
    assert_eq!(tracker.status(), WorkloadStatus::Degraded);
    tracker.set_idle();
    assert_eq!(tracker.status(), WorkloadStatus::Idle);
    assert_eq!(tracker.baseline(), Some(1000.0));
    // Zero samples while stopped do not restart the load.
    tracker.push(sample(6, 0.0));
    assert_eq!(tracker.status(), WorkloadStatus::Idle);
    tracker.push(sample(7, 990.0));
    assert_eq!(
        tracker.status(),
        WorkloadStatus::Normal,
        "no stale degradation"
    );
}

#[test]
fn reset_forgets_the_baseline() {
    let mut tracker = tracker_with(&[1000.0; 6]);
    tracker.reset();
    assert_eq!(tracker.baseline(), None);
    assert_eq!(tracker.status(), WorkloadStatus::Idle);
    assert_eq!(tracker.history().count(), 0);
    for i in 0..5 {
        tracker.push(sample(i, 400.0));
    }
    assert_eq!(tracker.baseline(), Some(400.0));
}

#[test]
fn history_is_bounded_and_oldest_first() {
    let mut tracker = WorkloadTracker::new(TrackerConfig {
        history_len: 4,
        ..TrackerConfig::default()
    });
    for i in 0..10 {
        tracker.push(sample(i, 100.0 + i as f64));
    }
    let rates: Vec<f64> = tracker.history().map(|(ops, _)| ops).collect();
    assert_eq!(rates, [106.0, 107.0, 108.0, 109.0]);
    assert_eq!(tracker.latest().map(|s| s.ops_per_sec), Some(109.0));
    assert_eq!(tracker.samples().count(), 4);
}

#[test]
fn bad_samples_count_as_zero() {
    let tracker = tracker_with(&[1000.0, 1000.0, 1000.0, 1000.0, 1000.0, f64::NAN]);
    assert_eq!(tracker.latest().map(|s| s.ops_per_sec), Some(0.0));
    assert_eq!(tracker.status(), WorkloadStatus::Degraded);
}

#[test]
fn invalid_configs_are_named_and_sanitised() {
    let bad = TrackerConfig {
        warn_below: 0.4,
        degraded_below: 0.6,
        ..TrackerConfig::default()
    };
    assert_eq!(bad.validate(), Err(TrackerConfigError::ThresholdsInverted));
    assert_eq!(
        TrackerConfig {
            fixed_baseline: Some(-1.0),
            ..TrackerConfig::default()
        }
        .validate(),
        Err(TrackerConfigError::BadFixedBaseline(-1.0))
    );
    assert_eq!(
        TrackerConfig {
            history_len: 0,
            ..TrackerConfig::default()
        }
        .validate(),
        Err(TrackerConfigError::ZeroCount)
    );
    let tracker = WorkloadTracker::new(bad);
    assert_eq!(tracker.config(), &TrackerConfig::default());
    assert_eq!(TrackerConfig::default().validate(), Ok(()));
}

fn from(source: SampleSource, i: usize, ops: f64) -> WorkloadSample {
    WorkloadSample {
        source,
        ..sample(i, ops)
    }
}

/// The metrics fallback (every store's requests) and a data-load phase
/// (INSERT-only reports) are shown but never become the baseline.
#[test]
fn the_baseline_is_learnt_only_from_the_workloads_own_reports() {
    let mut tracker = WorkloadTracker::default();
    for i in 0..5 {
        tracker.push(from(SampleSource::StatusPortMetrics, i, 10_181.0));
    }
    for i in 5..10 {
        tracker.push(from(SampleSource::GoYcsbDataLoad, i, 3_333.0));
    }
    assert_eq!(tracker.baseline(), None);
    assert_eq!(tracker.status(), WorkloadStatus::Baseline);
    assert_eq!(tracker.status().label(), "LEARNING");
    assert_eq!(tracker.learning_progress(), Some((0, 5)));
    assert_eq!(tracker.latest().map(|s| s.ops_per_sec), Some(3_333.0));
    for i in 10..15 {
        tracker.push(from(SampleSource::GoYcsb, i, 5_000.0));
    }
    assert_eq!(tracker.baseline(), Some(5_000.0));
    assert_eq!(tracker.learning_progress(), None);
    assert_eq!(tracker.status(), WorkloadStatus::Normal);
}

/// Each pass starts the load again and learns anew (the runner resets the
/// tracker at every `start_load`).
#[test]
fn a_reset_learns_the_next_pass_from_scratch() {
    let mut tracker = tracker_with(&[1000.0; 5]);
    assert_eq!(tracker.baseline(), Some(1000.0));
    tracker.reset();
    tracker.push(from(SampleSource::GoYcsbDataLoad, 0, 300.0));
    for i in 1..6 {
        tracker.push(sample(i, 2000.0));
    }
    assert_eq!(tracker.baseline(), Some(2000.0));
}
