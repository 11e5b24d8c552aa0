//! The workload chart of the whole pass: buckets on a time axis, the
//! baseline and the thresholds as lines, markers at the episode's moments
//! and the fault window, as a plain model the widget draws column by column.

use std::time::Duration;

use super::flow::Tone;
use crate::app::pass_history::{Bucket, worst};
use crate::workload::tracker::BarLevel;

/// A moment of the episode on the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marker {
    pub at: Duration,
    /// The letter drawn at its column.
    pub letter: char,
    pub word: &'static str,
    pub tone: Tone,
}

/// Samples further apart than this leave a gap on the chart: no data.
const MAX_GAP: Duration = Duration::from_millis(2500);

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    pub buckets: Vec<Bucket>,
    /// The time axis: the pass's first sample to now.
    pub from: Duration,
    pub to: Duration,
    pub baseline: Option<f64>,
    /// The warning and degraded levels, in ops/s.
    pub warn: Option<f64>,
    pub degraded: Option<f64>,
    pub markers: Vec<Marker>,
    /// From the fault to its recovery (or now).
    pub window: Option<(Duration, Duration)>,
}

/// One column of the chart as drawn.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Column {
    /// The lowest rate in the column (a one-second stall stays visible).
    pub ops: Option<f64>,
    pub level: Option<BarLevel>,
    pub shaded: bool,
    pub marker: Option<Marker>,
}

impl Chart {
    /// Seconds per column so the whole pass fills `width` columns (a pass
    /// shorter than a minute is drawn as a minute, so a few samples do not
    /// stretch into wide blocks).
    pub fn seconds_per_column(&self, width: usize) -> f64 {
        let span = self.to.saturating_sub(self.from).as_secs_f64().max(60.0);
        span / width.max(1) as f64
    }

    fn column_of(&self, at: Duration, width: usize) -> Option<usize> {
        if at < self.from {
            return None;
        }
        let col = ((at - self.from).as_secs_f64() / self.seconds_per_column(width)) as usize;
        Some(col.min(width.saturating_sub(1)))
    }

    /// The chart laid into `width` columns.
    pub fn columns(&self, width: usize) -> Vec<Column> {
        let mut columns = vec![Column::default(); width];
        if width == 0 {
            return columns;
        }
        for (i, bucket) in self.buckets.iter().enumerate() {
            // A bucket reaches to the next one (its samples stand for the
            // time until the next sample), unless samples stopped coming.
            let reach = match self.buckets.get(i + 1) {
                Some(next) if next.start.saturating_sub(bucket.end) <= MAX_GAP => {
                    next.start.saturating_sub(Duration::from_nanos(1))
                }
                _ => bucket.end + Duration::from_millis(999),
            };
            let (Some(first), Some(last)) = (
                self.column_of(bucket.start, width),
                self.column_of(reach.min(self.to.max(bucket.end)), width),
            ) else {
                continue;
            };
            for column in &mut columns[first..=last] {
                column.ops = Some(column.ops.map_or(bucket.min, |o: f64| o.min(bucket.min)));
                column.level = Some(
                    column
                        .level
                        .map_or(bucket.level, |l| worst(l, bucket.level)),
                );
            }
        }
        if let Some((start, end)) = self.window
            && let (Some(first), Some(last)) =
                (self.column_of(start, width), self.column_of(end, width))
        {
            for column in &mut columns[first..=last] {
                column.shaded = true;
            }
        }
        // Every marker is drawn, in time order (F P E R): one that falls
        // in a taken column goes to the next one; at the right edge the
        // earlier ones step left to make room.
        let shown: Vec<(usize, Marker)> = self
            .markers
            .iter()
            .filter_map(|m| self.column_of(m.at, width).map(|c| (c, *m)))
            .collect();
        let mut cols: Vec<usize> = Vec::with_capacity(shown.len());
        for (col, _) in &shown {
            let col = cols.last().map_or(*col, |&prev| (*col).max(prev + 1));
            cols.push(col);
        }
        let n = cols.len();
        for (i, col) in cols.iter_mut().enumerate() {
            *col = (*col).min((width - 1).saturating_sub(n - 1 - i));
        }
        for (col, (_, marker)) in cols.into_iter().zip(shown) {
            columns[col].marker = Some(marker);
        }
        columns
    }

    /// The top of the scale: the baseline with room above it, or the peak.
    pub fn scale(&self) -> f64 {
        self.baseline
            .map(|b| b * 1.25)
            .into_iter()
            .chain(self.buckets.iter().map(|b| b.min))
            .fold(1.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(s: u64, ops: f64, level: BarLevel) -> Bucket {
        Bucket {
            start: Duration::from_secs(s),
            end: Duration::from_secs(s),
            mean: ops,
            min: ops,
            level,
            samples: 1,
        }
    }

    #[test]
    fn the_whole_pass_fits_and_keeps_its_dip_and_markers() {
        let buckets: Vec<Bucket> = (0..600)
            .map(|s| {
                if (300..305).contains(&s) {
                    bucket(s, 100.0, BarLevel::Degraded)
                } else {
                    bucket(s, 5000.0, BarLevel::Normal)
                }
            })
            .collect();
        let fault = Marker {
            at: Duration::from_secs(300),
            letter: 'F',
            word: "fault",
            tone: Tone::Bad,
        };
        let chart = Chart {
            buckets,
            from: Duration::ZERO,
            to: Duration::from_secs(599),
            baseline: Some(5000.0),
            warn: Some(4000.0),
            degraded: Some(2500.0),
            markers: vec![fault],
            window: Some((Duration::from_secs(300), Duration::from_secs(350))),
        };
        let columns = chart.columns(60);
        assert_eq!(columns.len(), 60);
        assert!(
            columns.iter().all(|c| c.ops.is_some()),
            "every column has data"
        );
        assert_eq!(columns[30].level, Some(BarLevel::Degraded));
        assert_eq!(columns[30].ops, Some(100.0));
        assert_eq!(columns[30].marker, Some(fault));
        assert!(columns[32].shaded && !columns[20].shaded && !columns[40].shaded);
        assert_eq!(columns[0].level, Some(BarLevel::Normal));
    }
}
