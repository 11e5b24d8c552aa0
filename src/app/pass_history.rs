//! The workload of the whole pass, for the chart: bounded, so a pass of any
//! length fits. When full, neighbouring buckets merge (the resolution
//! halves), keeping each bucket's lowest rate and worst level, so a stall
//! of one second stays visible in an hour-long pass.

use std::time::Duration;

use crate::workload::tracker::BarLevel;

/// Buckets kept at most: more than any screen has columns.
pub const BUCKETS: usize = 512;

/// Samples over `[start, end]`: their mean, their lowest and worst level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub start: Duration,
    pub end: Duration,
    pub mean: f64,
    pub min: f64,
    pub level: BarLevel,
    pub samples: u32,
}

impl Bucket {
    pub fn merge(self, later: Bucket) -> Bucket {
        let samples = self.samples + later.samples;
        Bucket {
            start: self.start,
            end: later.end,
            mean: (self.mean * f64::from(self.samples) + later.mean * f64::from(later.samples))
                / f64::from(samples),
            min: self.min.min(later.min),
            level: worst(self.level, later.level),
            samples,
        }
    }
}

pub fn worst(a: BarLevel, b: BarLevel) -> BarLevel {
    let rank = |l: BarLevel| match l {
        BarLevel::Normal => 0,
        BarLevel::Warning => 1,
        BarLevel::Degraded => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassHistory {
    /// The pass these samples belong to; a sample of a new pass starts over.
    pass: u32,
    buckets: Vec<Bucket>,
    /// Samples per bucket for new samples: doubles at each merge.
    per_bucket: u32,
}

impl PassHistory {
    pub fn push(&mut self, pass: u32, at: Duration, ops: f64, level: BarLevel) {
        if pass != self.pass {
            *self = Self {
                pass,
                ..Self::default()
            };
        }
        let per_bucket = self.per_bucket.max(1);
        let ops = if ops.is_finite() { ops.max(0.0) } else { 0.0 };
        let sample = Bucket {
            start: at,
            end: at,
            mean: ops,
            min: ops,
            level,
            samples: 1,
        };
        match self.buckets.last_mut() {
            Some(last) if last.samples < per_bucket && at >= last.end => *last = last.merge(sample),
            _ => self.buckets.push(sample),
        }
        if self.buckets.len() > BUCKETS {
            self.buckets = self
                .buckets
                .chunks(2)
                .map(|pair| pair.iter().copied().reduce(Bucket::merge).expect("a chunk"))
                .collect();
            self.per_bucket = per_bucket * 2;
        }
    }

    /// The buckets of `pass` merged in neighbouring runs until at most
    /// `at_most` are left, each keeping its lowest rate and worst level.
    pub fn coarse(&self, pass: u32, at_most: usize) -> Vec<Bucket> {
        let buckets = self.buckets(pass);
        let per = buckets.len().div_ceil(at_most.max(1)).max(1);
        buckets
            .chunks(per)
            .filter_map(|run| run.iter().copied().reduce(Bucket::merge))
            .collect()
    }

    /// The buckets of `pass`, oldest first (none for another pass).
    pub fn buckets(&self, pass: u32) -> &[Bucket] {
        if pass == self.pass {
            &self.buckets
        } else {
            &[]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_fits_and_a_one_second_stall_stays() {
        let mut history = PassHistory::default();
        for s in 0..3600u64 {
            let (ops, level) = if s == 1234 {
                (0.0, BarLevel::Degraded)
            } else {
                (5000.0, BarLevel::Normal)
            };
            history.push(1, Duration::from_secs(s), ops, level);
        }
        let buckets = history.buckets(1);
        assert!(buckets.len() <= BUCKETS, "{}", buckets.len());
        assert_eq!(buckets[0].start, Duration::ZERO);
        assert_eq!(buckets.last().unwrap().end, Duration::from_secs(3599));
        let stall = buckets.iter().find(|b| b.min == 0.0).expect("the stall");
        assert_eq!(stall.level, BarLevel::Degraded);
        assert!(stall.start <= Duration::from_secs(1234) && stall.end >= Duration::from_secs(1234));
        assert_eq!(buckets.iter().map(|b| b.samples).sum::<u32>(), 3600);
    }

    #[test]
    fn coarse_buckets_keep_every_sample_and_the_stall() {
        let mut history = PassHistory::default();
        for s in 0..300u64 {
            let ops = if s == 77 { 0.0 } else { 5000.0 };
            history.push(1, Duration::from_secs(s), ops, BarLevel::Normal);
        }
        let coarse = history.coarse(1, 40);
        assert!(coarse.len() <= 40, "{}", coarse.len());
        assert_eq!(coarse.iter().map(|b| b.samples).sum::<u32>(), 300);
        assert_eq!(coarse.last().unwrap().end, Duration::from_secs(299));
        assert!(coarse.iter().any(|b| b.min == 0.0));
        assert!(history.coarse(2, 40).is_empty());
    }

    #[test]
    fn a_new_pass_starts_over() {
        let mut history = PassHistory::default();
        history.push(1, Duration::ZERO, 10.0, BarLevel::Normal);
        history.push(2, Duration::from_secs(5), 20.0, BarLevel::Normal);
        assert!(history.buckets(1).is_empty());
        assert_eq!(history.buckets(2).len(), 1);
    }
}
