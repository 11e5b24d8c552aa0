//! The pass's workload chart as the journal keeps it: the samples (merged
//! to a few buckets), the baseline and the episode's moments, F/P/E/R.
//! The screen draws the same moments live; `report --html` draws them from
//! the journal, so the two charts cannot disagree.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::App;
use super::pass_history::Bucket;
use crate::monitor::Signal;
use crate::units::serde_secs::{secs, secs_opt};
use crate::workload::tracker::BarLevel;

/// Buckets a journalled chart keeps: a page's width, a few kilobytes a pass.
pub const JOURNAL_BUCKETS: usize = 160;

/// A moment of the episode, drawn as a letter on the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MomentKind {
    Fault,
    /// PD's verdict on the store: its state changed.
    PdVerdict,
    /// The last region incident of the episode resolved.
    LeadersReelected,
    /// The cluster healthy again.
    Recovered,
}

impl MomentKind {
    pub fn letter(self) -> char {
        match self {
            Self::Fault => 'F',
            Self::PdVerdict => 'P',
            Self::LeadersReelected => 'E',
            Self::Recovered => 'R',
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::Fault => "fault",
            Self::PdVerdict => "PD verdict",
            Self::LeadersReelected => "leaders re-elected",
            Self::Recovered => "recovered",
        }
    }

    /// Bad news (the fault, PD's verdict) or good (re-election, recovery).
    pub fn is_good(self) -> bool {
        matches!(self, Self::LeadersReelected | Self::Recovered)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Moment {
    pub kind: MomentKind,
    /// Show time.
    #[serde(rename = "at_s", with = "secs")]
    pub at: Duration,
}

/// The episode's moments, in time order, and the fault's window: from the
/// fault to its recovery, or to `to` while it lasts.
pub fn episode_moments(app: &App, to: Duration) -> (Vec<Moment>, Option<(Duration, Duration)>) {
    let Some(fault) = &app.timeline().injected else {
        return (Vec::new(), None);
    };
    let episode = || {
        app.world()
            .monitor()
            .incidents()
            .iter()
            .filter(move |i| i.opened_at >= fault.at)
    };
    let mut moments = vec![Moment {
        kind: MomentKind::Fault,
        at: fault.at,
    }];
    if let Some(verdict) = episode().find(|i| i.signal == Signal::StoreState) {
        moments.push(Moment {
            kind: MomentKind::PdVerdict,
            at: verdict.opened_at,
        });
    }
    let elected = episode()
        .filter(|i| {
            matches!(
                i.signal,
                Signal::RegionsWithoutLeader | Signal::RegionsLedFromDeadNode
            )
        })
        .filter_map(|i| i.resolved_at)
        .max();
    if let Some(at) = elected {
        moments.push(Moment {
            kind: MomentKind::LeadersReelected,
            at,
        });
    }
    let recovered = app.timeline().recovered.map(|after| fault.at + after);
    if let Some(at) = recovered {
        moments.push(Moment {
            kind: MomentKind::Recovered,
            at,
        });
    }
    moments.sort_by_key(|m| m.at);
    (moments, Some((fault.at, recovered.unwrap_or(to))))
}

/// One bucket of the journalled chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    #[serde(rename = "from_s", with = "secs")]
    pub from: Duration,
    #[serde(rename = "to_s", with = "secs")]
    pub to: Duration,
    /// Mean and lowest rate over the bucket, ops/s.
    pub mean: f64,
    pub min: f64,
    pub level: BarLevel,
}

impl From<Bucket> for Point {
    fn from(b: Bucket) -> Self {
        Self {
            from: b.start,
            to: b.end,
            mean: round(b.mean),
            min: round(b.min),
            level: b.level,
        }
    }
}

/// A tenth of an op is more than any chart shows; the file stays short.
fn round(ops: f64) -> f64 {
    (ops * 10.0).round() / 10.0
}

/// The workload of one pass, written to the journal at its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassChart {
    pub baseline: Option<f64>,
    /// The warning and degraded levels, ops/s.
    pub warn: Option<f64>,
    pub degraded: Option<f64>,
    pub points: Vec<Point>,
    pub moments: Vec<Moment>,
    #[serde(rename = "window_from_s", with = "secs_opt", default)]
    pub window_from: Option<Duration>,
    #[serde(rename = "window_to_s", with = "secs_opt", default)]
    pub window_to: Option<Duration>,
}

impl PassChart {
    /// The pass on screen's chart, or nothing if it has no sample.
    pub fn of(app: &App) -> Option<PassChart> {
        let points: Vec<Point> = app
            .world()
            .pass_history()
            .coarse(app.pass(), JOURNAL_BUCKETS)
            .into_iter()
            .map(Point::from)
            .collect();
        let to = points.last()?.to.max(app.now());
        let (moments, window) = episode_moments(app, to);
        let baseline = app.world().tracker().baseline();
        let config = app.world().tracker().config();
        Some(PassChart {
            baseline: baseline.map(round),
            warn: baseline.map(|b| round(b * config.warn_below)),
            degraded: baseline.map(|b| round(b * config.degraded_below)),
            points,
            moments,
            window_from: window.map(|w| w.0),
            window_to: window.map(|w| w.1),
        })
    }

    /// The entry's line: the lowest rate and the baseline.
    pub fn describe(&self) -> String {
        let lowest = self
            .points
            .iter()
            .map(|p| p.min)
            .fold(f64::INFINITY, f64::min);
        let mut text = format!(
            "the pass's workload kept for the report: lowest {}",
            crate::text::ops_per_sec(lowest)
        );
        if let Some(baseline) = self.baseline {
            text.push_str(&format!(
                ", baseline {}",
                crate::text::ops_per_sec(baseline)
            ));
        }
        text
    }
}
