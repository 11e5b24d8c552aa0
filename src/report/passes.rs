//! The journals folded pass by pass, for the HTML report: each pass's fault,
//! its detections, diagnosis, recovery, every undo and its workload chart,
//! plus the holds. A pure fold over entries in journal order.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::app::pass_chart::PassChart;
use crate::app::scoreboard::Scorer;
use crate::app::{Kind, Undoer};
use crate::cluster::{FaultKind, FaultSpec, Recovery};
use crate::monitor::Signal;
use crate::state::journal_file::ReadEntry;
use crate::ui::text::plain;

/// Passes whose whole record (chart and undos) a report keeps: about a
/// week at a booth. Older passes still count in every figure.
pub const KEPT_PASSES: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct FaultSeen {
    pub spec: FaultSpec,
    pub service: String,
    /// Show time.
    pub at: Duration,
    pub wall: Option<String>,
}

/// One undo: what was undone, when, by whom and what came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Undo {
    pub recovery: Recovery,
    pub service: String,
    pub by: Undoer,
    /// Show time it was asked for (for a heal, answered).
    pub at: Duration,
    pub after_fault: Option<Duration>,
    pub wall: Option<String>,
    /// `None` while no answer is journalled.
    pub ok: Option<bool>,
    pub result: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    pub run: u32,
    pub pass: u32,
    pub at: Duration,
    pub wall: Option<String>,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PassRecord {
    /// Which run of chaosdeck (from 1, in journal order) and its pass.
    pub run: u32,
    pub pass: u32,
    /// When its first line was written.
    pub wall: Option<String>,
    pub fault: Option<FaultSeen>,
    /// Each signal's first detection after the fault: what the scoreboard
    /// counts.
    pub detections: Vec<(Signal, Duration)>,
    pub diagnosis: Option<(Duration, String)>,
    /// From the recovery's start to the cluster healthy, and to the load
    /// back at its baseline.
    pub recovered: Option<Duration>,
    pub load_back: Option<Duration>,
    pub undos: Vec<Undo>,
    pub chart: Option<PassChart>,
    /// Healthy at its end, with the line that said so; none if cut short.
    pub end: Option<(bool, String)>,
}

impl PassRecord {
    pub fn fault_kind(&self) -> Option<FaultKind> {
        self.fault.as_ref().map(|f| f.spec.kind())
    }

    /// The first detection of the fault, by any signal.
    pub fn first_detection(&self) -> Option<(Signal, Duration)> {
        self.detections.iter().copied().min_by_key(|(_, d)| *d)
    }
}

/// Every pass, in journal order, and every hold.
#[derive(Debug, Default)]
pub struct Passes {
    pub passes: Vec<PassRecord>,
    /// Passes that fell out of `passes` (only their figures are kept).
    pub dropped: u64,
    pub holds: Vec<Hold>,
    /// Time to first detection and to recovery, by fault kind, in seconds.
    pub detect_by_kind: BTreeMap<FaultKind, Vec<f64>>,
    pub recover_by_kind: BTreeMap<FaultKind, Vec<f64>>,
    run: u32,
    last_seq: Option<u64>,
    scorer: Scorer,
}

impl Passes {
    pub fn observe(&mut self, read: &ReadEntry) {
        let entry = &read.entry;
        // Each run numbers its entries from 0.
        if self.last_seq.is_none_or(|last| entry.seq <= last) {
            self.run += 1;
        }
        self.last_seq = Some(entry.seq);
        let run = self.run;
        let is_new = self
            .passes
            .last()
            .is_none_or(|p| p.run != run || p.pass != entry.pass);
        if is_new {
            self.close_last();
            self.passes.push(PassRecord {
                run,
                pass: entry.pass,
                wall: read.wall.clone(),
                ..PassRecord::default()
            });
            if self.passes.len() > KEPT_PASSES {
                self.passes.remove(0);
                self.dropped += 1;
            }
        }
        let counted = self.scorer.score(entry);
        let pass = self.passes.last_mut().expect("a pass was just pushed");
        let text = plain(&entry.text);
        match &entry.kind {
            Kind::Fault { fault, service, .. } => {
                // A second fault in a pass (a reset, then the story again)
                // starts the episode over, as the scoreboard does.
                pass.fault = Some(FaultSeen {
                    spec: *fault,
                    service: plain(service),
                    at: entry.at,
                    wall: read.wall.clone(),
                });
                pass.detections.clear();
                pass.diagnosis = None;
                pass.recovered = None;
                pass.load_back = None;
            }
            Kind::Detection { signal, .. } => {
                if let Some(crate::app::scoreboard::Score::Detected(_, after)) = counted {
                    pass.detections.push((*signal, after));
                }
            }
            Kind::Diagnosis { took } => pass.diagnosis = Some((*took, text)),
            Kind::RecoveryStarted {
                recovery,
                service,
                by,
            } => pass.undos.push(Undo {
                recovery: *recovery,
                service: plain(service),
                by: *by,
                at: entry.at,
                after_fault: entry.after_fault,
                wall: read.wall.clone(),
                ok: None,
                result: "no answer journalled".into(),
            }),
            Kind::Recovery {
                recovery,
                service,
                ok,
                by,
            } => {
                let service = plain(service);
                let asked =
                    pass.undos.iter_mut().rev().find(|u| {
                        u.ok.is_none() && u.service == service && u.recovery == *recovery
                    });
                match (by, asked) {
                    (None, Some(undo)) => {
                        undo.ok = Some(*ok);
                        undo.result = text;
                    }
                    (by, _) => pass.undos.push(Undo {
                        recovery: *recovery,
                        service,
                        by: by.unwrap_or_default(),
                        at: entry.at,
                        after_fault: entry.after_fault,
                        wall: read.wall.clone(),
                        ok: Some(*ok),
                        result: text,
                    }),
                }
            }
            Kind::Recovered { took } => pass.recovered = Some(*took),
            Kind::LoadBack { took } => pass.load_back = Some(*took),
            Kind::Workload(chart) => pass.chart = Some(chart.clone()),
            Kind::PassEnd { healthy } => pass.end = Some((*healthy, text)),
            Kind::Hold => self.holds.push(Hold {
                run,
                pass: entry.pass,
                at: entry.at,
                wall: read.wall.clone(),
                why: text.strip_prefix("HOLD: ").unwrap_or(&text).to_string(),
            }),
            _ => {}
        }
    }

    /// Counts the pass that ended in the figures by kind.
    fn close_last(&mut self) {
        let Some(pass) = self.passes.last() else {
            return;
        };
        let Some(kind) = pass.fault_kind() else {
            return;
        };
        if let Some((_, first)) = pass.first_detection() {
            self.detect_by_kind
                .entry(kind)
                .or_default()
                .push(first.as_secs_f64());
        }
        if let Some(took) = pass.recovered {
            self.recover_by_kind
                .entry(kind)
                .or_default()
                .push(took.as_secs_f64());
        }
    }

    /// Done reading: the last pass counted too.
    pub fn finish(mut self) -> Self {
        self.close_last();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Entry, Level};

    fn read(seq: u64, pass: u32, at: f64, kind: Kind, text: &str) -> ReadEntry {
        let at = Duration::from_secs_f64(at);
        ReadEntry {
            wall: None,
            entry: Entry {
                seq,
                pass,
                at,
                after_fault: None,
                level: Level::Info,
                kind,
                text: text.into(),
            },
        }
    }

    fn fold(entries: Vec<ReadEntry>) -> Passes {
        let mut passes = Passes::default();
        for entry in &entries {
            passes.observe(entry);
        }
        passes.finish()
    }

    fn kill() -> Kind {
        Kind::Fault {
            fault: FaultKind::Kill.into(),
            service: "tikv2".into(),
            struck: Default::default(),
        }
    }

    fn detection(signal: Signal, after: f64) -> Kind {
        Kind::Detection {
            signal,
            after_fault: Some(Duration::from_secs_f64(after)),
        }
    }

    #[test]
    fn a_pass_keeps_its_fault_first_detections_and_undos_with_who_asked() {
        let passes = fold(vec![
            read(0, 1, 1.0, Kind::Note, "start"),
            read(1, 1, 10.0, kill(), "INJECTED"),
            read(2, 1, 10.0, detection(Signal::ProcessEvent, 0.0), "d"),
            read(3, 1, 11.0, detection(Signal::ProcessEvent, 1.0), "again"),
            read(4, 1, 25.0, detection(Signal::StoreState, 15.0), "pd"),
            read(
                5,
                1,
                40.0,
                Kind::RecoveryStarted {
                    recovery: Recovery::Start,
                    service: "tikv2".into(),
                    by: Undoer::Story,
                },
                "asked",
            ),
            read(
                6,
                1,
                41.0,
                Kind::Recovery {
                    recovery: Recovery::Start,
                    service: "tikv2".into(),
                    ok: true,
                    by: None,
                },
                "RECOVERY: start tikv2 done",
            ),
            read(
                7,
                1,
                45.0,
                Kind::Recovered {
                    took: Duration::from_secs(5),
                },
                "healthy",
            ),
            read(8, 1, 50.0, Kind::PassEnd { healthy: true }, "ok"),
            read(9, 2, 51.0, Kind::Note, "next"),
            read(
                10,
                2,
                52.0,
                Kind::Recovery {
                    recovery: Recovery::Start,
                    service: "tikv3".into(),
                    ok: false,
                    by: Some(Undoer::Heal),
                },
                "could not heal tikv3",
            ),
            read(11, 2, 53.0, Kind::Hold, "HOLD: 2 passes ended unhealthy"),
        ]);
        let [first, second] = &passes.passes[..] else {
            panic!("{:?}", passes.passes);
        };
        assert_eq!(first.fault_kind(), Some(FaultKind::Kill));
        assert_eq!(
            first.detections,
            [
                (Signal::ProcessEvent, Duration::ZERO),
                (Signal::StoreState, Duration::from_secs(15))
            ]
        );
        assert_eq!(first.undos.len(), 1);
        assert_eq!(first.undos[0].by, Undoer::Story);
        assert_eq!(first.undos[0].ok, Some(true));
        assert_eq!(first.end.as_ref().map(|e| e.0), Some(true));
        assert_eq!(second.undos[0].by, Undoer::Heal);
        assert_eq!(second.undos[0].ok, Some(false));
        assert_eq!(passes.holds[0].why, "2 passes ended unhealthy");
        assert_eq!(passes.detect_by_kind[&FaultKind::Kill], [0.0]);
        assert_eq!(passes.recover_by_kind[&FaultKind::Kill], [5.0]);
    }

    #[test]
    fn a_second_run_in_the_same_journal_starts_its_own_passes() {
        let passes = fold(vec![
            read(0, 1, 1.0, Kind::Note, "run 1"),
            read(1, 1, 2.0, Kind::Note, "run 1"),
            read(0, 1, 1.0, Kind::Note, "run 2"),
        ]);
        let runs: Vec<(u32, u32)> = passes.passes.iter().map(|p| (p.run, p.pass)).collect();
        assert_eq!(runs, [(1, 1), (2, 1)]);
    }
}
