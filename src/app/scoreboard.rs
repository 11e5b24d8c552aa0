//! The scoreboard: passes, faults by kind, time to detect per signal and time
//! to recover, folded from journal entries. The Complete chapter shows the
//! one the app keeps; `chaosdeck report` folds journal files the same way, so
//! the two can never disagree. Memory is fixed, however many passes run.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::journal::{Entry, Kind};
use crate::cluster::FaultKind;
use crate::monitor::Signal;

/// Counts of durations in 100 ms buckets up to ten minutes (longer ones in
/// the last bucket): quantiles to 0.1 s in fixed memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    buckets: Vec<u32>,
    count: u64,
}

const BUCKET: Duration = Duration::from_millis(100);
const BUCKETS: usize = 6000;

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: vec![0; BUCKETS],
            count: 0,
        }
    }
}

impl Histogram {
    /// Counts `d` in the bucket of its value rounded to 0.1 s, as every
    /// other figure on screen writes it.
    pub fn record(&mut self, d: Duration) {
        let step = BUCKET.as_millis();
        let index = usize::try_from((d.as_millis() + step / 2) / step)
            .unwrap_or(usize::MAX)
            .min(BUCKETS - 1);
        self.buckets[index] = self.buckets[index].saturating_add(1);
        self.count += 1;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q` quantile (0..=1): a recorded value, to 0.1 s.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += u64::from(*n);
            if seen >= rank {
                return Some(BUCKET * i as u32);
            }
        }
        None
    }
}

/// What one journal entry adds to the scores. The scoreboard and the
/// booth's metrics (`src/supervision/metrics.rs`) both count these, so their
/// figures cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Score {
    Fault(FaultKind),
    /// A signal's first detection in its fault's episode, this long after it.
    Detected(Signal, Duration),
    Recovered(Duration),
    LoadBack(Duration),
    Pass {
        healthy: bool,
    },
    Hold,
    /// This run followed another, which had left cleanly or not.
    Restart {
        clean: bool,
    },
}

/// The rules that turn entries into scores: only a signal's first
/// detection in each episode counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scorer {
    /// The signals already counted in the current fault's episode.
    episode: Vec<Signal>,
}

impl Scorer {
    pub fn score(&mut self, entry: &Entry) -> Option<Score> {
        match &entry.kind {
            Kind::Fault { fault, .. } => {
                self.episode.clear();
                Some(Score::Fault(fault.kind()))
            }
            Kind::Detection {
                signal,
                after_fault: Some(after),
            } if !self.episode.contains(signal) => {
                self.episode.push(*signal);
                Some(Score::Detected(*signal, *after))
            }
            Kind::Recovered { took } => Some(Score::Recovered(*took)),
            Kind::LoadBack { took } => Some(Score::LoadBack(*took)),
            Kind::PassEnd { healthy } => Some(Score::Pass { healthy: *healthy }),
            Kind::Hold => Some(Score::Hold),
            Kind::Restart { clean, .. } => Some(Score::Restart { clean: *clean }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scoreboard {
    pub passes: u64,
    pub healthy_passes: u64,
    pub faults: BTreeMap<FaultKind, u64>,
    /// Time from the fault to each signal's first detection in its episode.
    pub detect: BTreeMap<Signal, Histogram>,
    /// Time from the recovery's start to the cluster healthy again.
    pub recover: Histogram,
    /// Time from the recovery's start to the workload back at its baseline.
    pub load_back: Histogram,
    pub holds: u64,
    /// Runs that followed another run in the same state directory.
    pub restarts: u64,
    /// Of those, the ones whose previous run ended without leaving cleanly.
    pub unclean_restarts: u64,
    scorer: Scorer,
    /// The last pass whose end was journalled.
    ended_pass: Option<u32>,
}

impl Scoreboard {
    pub fn observe(&mut self, entry: &Entry) {
        let Some(score) = self.scorer.score(entry) else {
            return;
        };
        match score {
            Score::Fault(fault) => *self.faults.entry(fault).or_default() += 1,
            Score::Detected(signal, after) => self.detect.entry(signal).or_default().record(after),
            Score::Recovered(took) => self.recover.record(took),
            Score::LoadBack(took) => self.load_back.record(took),
            Score::Pass { healthy } => {
                self.ended_pass = Some(entry.pass);
                self.passes += 1;
                self.healthy_passes += u64::from(healthy);
            }
            Score::Hold => self.holds += 1,
            Score::Restart { clean } => {
                self.restarts += 1;
                self.unclean_restarts += u64::from(!clean);
            }
        }
    }

    /// The table, one line each, as the Complete chapter and `report` print it.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "passes {} ({} healthy)   holds {}   restarts {} ({} unclean)",
            self.passes, self.healthy_passes, self.holds, self.restarts, self.unclean_restarts
        )];
        let faults: Vec<String> = FaultKind::ALL
            .iter()
            .map(|k| format!("{k} {}", self.faults.get(k).copied().unwrap_or(0)))
            .collect();
        lines.push(format!("faults  {}", faults.join("  ")));
        for (signal, h) in &self.detect {
            lines.push(quantiles(&format!("detect: {}", signal.name()), h));
        }
        lines.push(quantiles("recover", &self.recover));
        lines.push(quantiles("recover: load at baseline", &self.load_back));
        lines
    }

    /// Three lines for the Complete chapter: passes, time to detect by the
    /// fastest and by PD's signal, time to recover. `on_screen` is the pass
    /// being told and whether it is healthy so far: counted, as its figures
    /// already are, until its end is journalled.
    pub fn brief_lines(&self, on_screen: Option<(u32, bool)>) -> Vec<String> {
        let on_screen = on_screen
            .filter(|(pass, _)| self.ended_pass != Some(*pass))
            .map(|(_, healthy)| healthy);
        let p = |h: Option<&Histogram>, q: f64| {
            h.and_then(|h| h.quantile(q))
                .map_or_else(|| "-".to_string(), crate::text::secs)
        };
        let process = self.detect.get(&Signal::ProcessEvent);
        let pd = self.detect.get(&Signal::StoreState);
        let passes = self.passes + u64::from(on_screen.is_some());
        let healthy = self.healthy_passes + u64::from(on_screen == Some(true));
        vec![
            format!("passes {passes} ({healthy} healthy), holds {}", self.holds),
            format!(
                "detect p50/p95: process {}/{}, PD {}/{}",
                p(process, 0.5),
                p(process, 0.95),
                p(pd, 0.5),
                p(pd, 0.95)
            ),
            format!(
                "recover p50/p95: {}/{}",
                p(Some(&self.recover), 0.5),
                p(Some(&self.recover), 0.95)
            ),
        ]
    }

    pub fn summary(&self) -> Summary {
        Summary {
            passes: self.passes,
            healthy_passes: self.healthy_passes,
            holds: self.holds,
            restarts: self.restarts,
            unclean_restarts: self.unclean_restarts,
            faults: self
                .faults
                .iter()
                .map(|(k, n)| (k.name().to_string(), *n))
                .collect(),
            detect: self
                .detect
                .iter()
                .map(|(s, h)| (s.name().to_string(), Quantiles::of(h)))
                .collect(),
            recover: Quantiles::of(&self.recover),
            load_back: Quantiles::of(&self.load_back),
        }
    }
}

fn quantiles(what: &str, h: &Histogram) -> String {
    let q = Quantiles::of(h);
    match (q.p50_s, q.p95_s) {
        (Some(p50), Some(p95)) => format!(
            "{what:<32} n {:<4} p50 {:>6}  p95 {:>6}",
            q.count,
            crate::text::seconds(p50),
            crate::text::seconds(p95)
        ),
        _ => format!("{what:<32} n 0"),
    }
}

/// The scoreboard as `report --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub passes: u64,
    pub healthy_passes: u64,
    pub holds: u64,
    pub restarts: u64,
    pub unclean_restarts: u64,
    pub faults: BTreeMap<String, u64>,
    pub detect: BTreeMap<String, Quantiles>,
    pub recover: Quantiles,
    /// From the recovery's start to the load back at its baseline.
    pub load_back: Quantiles,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantiles {
    pub count: u64,
    pub p50_s: Option<f64>,
    pub p95_s: Option<f64>,
}

impl Quantiles {
    fn of(h: &Histogram) -> Self {
        Self {
            count: h.count(),
            p50_s: h.quantile(0.5).map(|d| d.as_secs_f64()),
            p95_s: h.quantile(0.95).map(|d| d.as_secs_f64()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_the_values_to_a_tenth() {
        let mut h = Histogram::default();
        for ms in [20, 140, 260, 340, 15_020] {
            h.record(Duration::from_millis(ms));
        }
        assert_eq!(h.quantile(0.5), Some(Duration::from_millis(300)));
        assert_eq!(h.quantile(0.95), Some(Duration::from_millis(15_000)));
        assert_eq!(h.quantile(0.0), Some(Duration::ZERO), "0.02 s is 0.0s");
        h.record(Duration::from_secs(100_000));
        assert_eq!(h.quantile(1.0), Some(Duration::from_millis(599_900)));
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn the_pass_on_screen_is_counted() {
        let mut board = Scoreboard::default();
        assert!(board.brief_lines(Some((1, true)))[0].starts_with("passes 1 (1 healthy)"));
        board.observe(&Entry {
            seq: 0,
            pass: 1,
            at: Duration::ZERO,
            after_fault: None,
            level: super::super::journal::Level::Good,
            kind: Kind::PassEnd { healthy: true },
            text: String::new(),
        });
        // Once its end is journalled, the pass is counted once.
        assert!(board.brief_lines(Some((1, true)))[0].starts_with("passes 1 (1 healthy)"));
        assert!(board.brief_lines(Some((2, false)))[0].starts_with("passes 2 (1 healthy)"));
        assert!(board.brief_lines(None)[0].starts_with("passes 1 (1 healthy)"));
    }
}
