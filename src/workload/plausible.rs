//! What a load figure can mean. A load generator's log is text anyone can
//! append to: a number that is not finite, negative, or beyond these bounds
//! is not a reading. A line carrying such a rate or count is skipped and
//! counted ([`super::LoadParser::rejected`]); a latency beyond the bound is
//! dropped as unknown, the way go-ycsb's `MaxInt64` for an empty histogram is.

use std::time::Duration;

use super::WorkloadSample;
use crate::units::duration::{MAX_DURATION, from_micros_f64};

/// A billion operations a second: beyond any cluster a demo runs, far below
/// where an `f64` rate or a `u64` display could go wrong.
pub const MAX_OPS_PER_SEC: f64 = 1e9;

/// A rate of operations, if it can be one.
pub fn ops_rate(value: f64) -> Option<f64> {
    (value.is_finite() && (0.0..=MAX_OPS_PER_SEC).contains(&value)).then_some(value)
}

/// A latency in microseconds, if it can be one (at most [`MAX_DURATION`]).
pub fn latency_us(value: f64) -> Option<f64> {
    from_micros_f64(value).ok().map(|_| value)
}

/// A latency in microseconds as a duration, if it can be one.
pub fn latency(value_us: f64) -> Option<Duration> {
    from_micros_f64(value_us).ok()
}

/// Elapsed seconds as a load generator reports them, if they can be.
pub fn elapsed_secs(value: f64) -> Option<f64> {
    (value.is_finite() && value >= 0.0 && value <= MAX_DURATION.as_secs_f64()).then_some(value)
}

/// Why a sample was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Implausible {
    #[error("a rate that is not finite, negative or above {MAX_OPS_PER_SEC:e} ops/s")]
    Rate,
    #[error("a latency above 8760h")]
    Latency,
}

/// The sample, if every figure in it can be a reading.
pub fn check_sample(sample: WorkloadSample) -> Result<WorkloadSample, Implausible> {
    if ops_rate(sample.ops_per_sec).is_none() || ops_rate(sample.errors_per_sec).is_none() {
        return Err(Implausible::Rate);
    }
    if sample.p99.is_some_and(|p99| p99 > MAX_DURATION) {
        return Err(Implausible::Latency);
    }
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::SampleSource;

    #[test]
    fn bounds() {
        assert_eq!(ops_rate(5_000.0), Some(5_000.0));
        for bad in [f64::NAN, f64::INFINITY, -1.0, 1e40] {
            assert_eq!(ops_rate(bad), None, "{bad}");
        }
        assert_eq!(latency(2_500.0), Some(Duration::from_micros(2_500)));
        assert_eq!(latency(1e300), None);
        assert_eq!(latency_us(9.2e18), None, "go-ycsb's MaxInt64");
        assert_eq!(elapsed_secs(10.0), Some(10.0));
        assert_eq!(elapsed_secs(1e300), None);
    }

    #[test]
    fn samples_with_impossible_figures_are_refused() {
        let sample = WorkloadSample {
            at: Duration::ZERO,
            ops_per_sec: 100.0,
            errors_per_sec: 0.0,
            p99: None,
            source: SampleSource::GoYcsb,
        };
        assert_eq!(check_sample(sample), Ok(sample));
        let wild = WorkloadSample {
            ops_per_sec: 1e40,
            ..sample
        };
        assert_eq!(check_sample(wild), Err(Implausible::Rate));
        let nan = WorkloadSample {
            errors_per_sec: f64::NAN,
            ..sample
        };
        assert_eq!(check_sample(nan), Err(Implausible::Rate));
    }
}
