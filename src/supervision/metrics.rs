//! The booth's Prometheus metrics, through the official `prometheus-client`
//! crate. The counts and times are folded from the journal by the
//! scoreboard's own rules ([`Scorer`]), through a cursor of their own, so
//! `/metrics`, the Complete chapter and `chaosdeck report` cannot disagree;
//! the gauges are the show's state as its loop last published it.
//!
//! The metric handles are atomics: the show's loop writes them, the server
//! encodes them, and neither waits on the other or on the app. Every label
//! value is made at start, so the loop never grows a family.

use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::app::scoreboard::{Score, Scorer};
use crate::app::{Cursor, Journal};
use crate::cluster::FaultKind;
use crate::monitor::Signal;

type Labels = [(&'static str, &'static str); 1];
type Seconds = Gauge<f64, std::sync::atomic::AtomicU64>;

/// Bucket edges for detection and recovery times, in seconds: PD names a
/// store Disconnected 10 to 20 s after its last heartbeat, Down after
/// minutes; a recovery takes seconds to a minute.
const TIME_BUCKETS: [f64; 14] = [
    0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 300.0, 600.0,
];

/// Each signal's label value: one word, as Prometheus labels are written.
fn signal_label(signal: Signal) -> &'static str {
    match signal {
        Signal::ProcessEvent => "process_event",
        Signal::StoreState => "pd_store_state",
        Signal::RegionsLedFromDeadNode => "regions_led_from_dead_node",
        Signal::RegionsWithoutLeader => "regions_without_leader",
        Signal::UnderReplicated => "under_replicated",
        Signal::Throughput => "throughput",
        Signal::Latency => "p99_latency",
        Signal::PdUnreachable => "pd_unreachable",
        Signal::PdNoLeader => "pd_no_leader",
        Signal::PdLeaderChange => "pd_leader_change",
    }
}

/// The signals whose series exist from the start (the match above names
/// them all).
const SIGNALS: [Signal; 10] = [
    Signal::ProcessEvent,
    Signal::StoreState,
    Signal::RegionsLedFromDeadNode,
    Signal::RegionsWithoutLeader,
    Signal::UnderReplicated,
    Signal::Throughput,
    Signal::Latency,
    Signal::PdUnreachable,
    Signal::PdNoLeader,
    Signal::PdLeaderChange,
];

fn time_histogram() -> Histogram {
    Histogram::new(TIME_BUCKETS)
}

/// Every metric the booth exports; clones share the same values.
#[derive(Debug, Clone)]
pub struct ShowMetrics {
    registry: Arc<Registry>,
    passes: Family<Labels, Counter>,
    faults: Family<Labels, Counter>,
    detection: Family<Labels, Histogram, fn() -> Histogram>,
    recovery: Histogram,
    load_back: Histogram,
    holds: Counter,
    restarts: Family<Labels, Counter>,
    frames: Counter,
    pub(super) fault_in_place: Gauge,
    pub(super) cluster_healthy: Gauge,
    pub(super) on_hold: Gauge,
    pub(super) pass: Gauge,
    pub(super) chapter: Gauge,
    uptime: Seconds,
    turn_age: Seconds,
    started: Instant,
}

fn outcome(healthy: bool) -> Labels {
    [("outcome", if healthy { "healthy" } else { "unhealthy" })]
}

fn previous(clean: bool) -> Labels {
    [(
        "previous",
        if clean {
            "left_cleanly"
        } else {
            "ended_uncleanly"
        },
    )]
}

impl ShowMetrics {
    pub fn new(started: Instant) -> Self {
        let mut registry = Registry::with_prefix("chaosdeck");
        let passes = Family::<Labels, Counter>::default();
        let faults = Family::<Labels, Counter>::default();
        let detection =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(time_histogram);
        let restarts = Family::<Labels, Counter>::default();
        // Each series made now, at 0, so a scrape shows it before it moves.
        for healthy in [true, false] {
            drop(passes.get_or_create(&outcome(healthy)));
            drop(restarts.get_or_create(&previous(healthy)));
        }
        for kind in FaultKind::ALL {
            drop(faults.get_or_create(&[("kind", kind.name())]));
        }
        for signal in SIGNALS {
            drop(detection.get_or_create(&[("signal", signal_label(signal))]));
        }
        let metrics = Self {
            registry: Arc::new(Registry::default()),
            passes,
            faults,
            detection,
            recovery: time_histogram(),
            load_back: time_histogram(),
            holds: Counter::default(),
            restarts,
            frames: Counter::default(),
            fault_in_place: Gauge::default(),
            cluster_healthy: Gauge::default(),
            on_hold: Gauge::default(),
            pass: Gauge::default(),
            chapter: Gauge::default(),
            uptime: Seconds::default(),
            turn_age: Seconds::default(),
            started,
        };
        let r = &mut registry;
        r.register(
            "passes",
            "Passes of the story ended, by whether the cluster was healthy at the end",
            metrics.passes.clone(),
        );
        r.register(
            "faults",
            "Faults put in place, by kind",
            metrics.faults.clone(),
        );
        r.register_with_unit(
            "detection",
            "Time from a fault to each signal's first detection of it",
            Unit::Seconds,
            metrics.detection.clone(),
        );
        r.register_with_unit(
            "recovery",
            "Time from a recovery's start to the cluster healthy again",
            Unit::Seconds,
            metrics.recovery.clone(),
        );
        r.register_with_unit(
            "load_back",
            "Time from a recovery's start to the workload back at its baseline",
            Unit::Seconds,
            metrics.load_back.clone(),
        );
        r.register(
            "holds",
            "Times the kiosk stopped injecting faults (unhealthy passes in a row, or H)",
            metrics.holds.clone(),
        );
        r.register(
            "restarts",
            "This run followed another in the same state directory, by how that one ended",
            metrics.restarts.clone(),
        );
        r.register(
            "frames",
            "Frames the full screen drew (in plain mode, updates written)",
            metrics.frames.clone(),
        );
        r.register(
            "fault_in_place",
            "1 while a fault chaosdeck injected is or may be in place",
            metrics.fault_in_place.clone(),
        );
        r.register(
            "cluster_healthy",
            "1 while the cluster is healthy by every signal (PD, the runtime, fresh data)",
            metrics.cluster_healthy.clone(),
        );
        r.register(
            "on_hold",
            "1 while the kiosk is on hold (a state, not a failure)",
            metrics.on_hold.clone(),
        );
        r.register(
            "pass",
            "The story's current pass, from 1",
            metrics.pass.clone(),
        );
        r.register(
            "chapter",
            "The chapter on screen, from 1",
            metrics.chapter.clone(),
        );
        r.register_with_unit(
            "uptime",
            "Real time since this chaosdeck started",
            Unit::Seconds,
            metrics.uptime.clone(),
        );
        r.register_with_unit(
            "last_turn_age",
            "Real time since the show's loop last turned (over 5 s: stuck)",
            Unit::Seconds,
            metrics.turn_age.clone(),
        );
        Self {
            registry: Arc::new(registry),
            ..metrics
        }
    }

    /// Counts what `score` adds.
    fn count(&self, score: Score) {
        match score {
            Score::Fault(kind) => {
                self.faults.get_or_create(&[("kind", kind.name())]).inc();
            }
            Score::Detected(signal, after) => {
                self.detection
                    .get_or_create(&[("signal", signal_label(signal))])
                    .observe(after.as_secs_f64());
            }
            Score::Recovered(took) => self.recovery.observe(took.as_secs_f64()),
            Score::LoadBack(took) => self.load_back.observe(took.as_secs_f64()),
            Score::Pass { healthy } => {
                self.passes.get_or_create(&outcome(healthy)).inc();
            }
            Score::Hold => {
                self.holds.inc();
            }
            Score::Restart { clean } => {
                self.restarts.get_or_create(&previous(clean)).inc();
            }
        }
    }

    /// The front end has drawn `frames` in all.
    pub fn frames_drawn(&self, frames: u64) {
        let counted = self.frames.get();
        if frames > counted {
            self.frames.inc_by(frames - counted);
        }
    }

    /// The figures that are only true at the moment of a scrape.
    fn at_scrape(&self, now: Instant, turn_age: Option<Duration>) {
        self.uptime
            .set(now.saturating_duration_since(self.started).as_secs_f64());
        // Never turned yet: as old as the process.
        let age = turn_age.unwrap_or_else(|| now.saturating_duration_since(self.started));
        self.turn_age.set(age.as_secs_f64());
    }

    /// OpenMetrics 1.0 text, ending in `# EOF`.
    pub fn openmetrics(&self, now: Instant, turn_age: Option<Duration>) -> String {
        self.at_scrape(now, turn_age);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// The Prometheus text format 0.0.4: for clients that do not ask for
    /// OpenMetrics (`promtool`, node_exporter's textfile collector, curl).
    pub fn prometheus_text(&self, now: Instant, turn_age: Option<Duration>) -> String {
        self.at_scrape(now, turn_age);
        let mut text = String::new();
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// The journal's reader for the metrics: folds what is new on each turn.
#[derive(Debug, Default)]
pub struct JournalFold {
    cursor: Cursor,
    scorer: Scorer,
}

impl JournalFold {
    pub fn fold(&mut self, journal: &Journal, metrics: &ShowMetrics) {
        let (missed, entries) = journal.read(&mut self.cursor);
        if missed > 0 {
            tracing::warn!(missed, "the metrics fell behind the journal");
        }
        for entry in entries {
            if let Some(score) = self.scorer.score(entry) {
                metrics.count(score);
            }
        }
    }
}

pub const OPENMETRICS_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const PROMETHEUS_TEXT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Entry, Kind, Level};

    fn entry(kind: Kind) -> Entry {
        Entry {
            seq: 0,
            pass: 1,
            at: Duration::ZERO,
            after_fault: None,
            level: Level::Info,
            kind,
            text: String::new(),
        }
    }

    #[test]
    fn the_journal_folds_into_the_same_figures_as_the_scoreboard() {
        let mut journal = Journal::default();
        let kinds = [
            Kind::Restart {
                previous_pid: 7,
                clean: false,
            },
            Kind::Fault {
                fault: FaultKind::Kill.into(),
                service: "tikv1".into(),
                struck: Default::default(),
            },
            Kind::Detection {
                signal: Signal::ProcessEvent,
                after_fault: Some(Duration::from_millis(300)),
            },
            // A second detection by the same signal in the episode: not counted.
            Kind::Detection {
                signal: Signal::ProcessEvent,
                after_fault: Some(Duration::from_secs(3)),
            },
            Kind::Recovered {
                took: Duration::from_secs(4),
            },
            Kind::PassEnd { healthy: true },
            Kind::PassEnd { healthy: false },
            Kind::Hold,
        ];
        let mut board = crate::app::Scoreboard::default();
        for kind in kinds {
            let e = entry(kind);
            board.observe(&e);
            journal.push(e);
        }
        let metrics = ShowMetrics::new(Instant::now());
        let mut fold = JournalFold::default();
        fold.fold(&journal, &metrics);
        fold.fold(&journal, &metrics);
        let text = metrics.openmetrics(Instant::now(), None);
        let sample = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .and_then(|l| l.rsplit(' ').next())
                .unwrap_or_else(|| panic!("no {name} in\n{text}"))
                .to_string()
        };
        assert_eq!(
            sample("chaosdeck_passes_total{outcome=\"healthy\"}"),
            board.healthy_passes.to_string()
        );
        assert_eq!(
            sample("chaosdeck_passes_total{outcome=\"unhealthy\"}"),
            (board.passes - board.healthy_passes).to_string()
        );
        assert_eq!(sample("chaosdeck_faults_total{kind=\"kill\"}"), "1");
        assert_eq!(sample("chaosdeck_faults_total{kind=\"pause\"}"), "0");
        assert_eq!(
            sample("chaosdeck_detection_seconds_count{signal=\"process_event\"}"),
            board.detect[&Signal::ProcessEvent].count().to_string()
        );
        assert_eq!(sample("chaosdeck_recovery_seconds_sum"), "4.0");
        assert_eq!(sample("chaosdeck_holds_total"), board.holds.to_string());
        assert_eq!(
            sample("chaosdeck_restarts_total{previous=\"ended_uncleanly\"}"),
            board.unclean_restarts.to_string()
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
        let plain = metrics.prometheus_text(Instant::now(), None);
        assert!(
            plain.contains("# TYPE chaosdeck_passes_total counter"),
            "{plain}"
        );
        assert!(!plain.contains("# EOF"), "{plain}");
    }

    #[test]
    fn frames_count_up_to_the_front_ends_total() {
        let metrics = ShowMetrics::new(Instant::now());
        metrics.frames_drawn(5);
        metrics.frames_drawn(5);
        metrics.frames_drawn(7);
        assert!(
            metrics
                .openmetrics(Instant::now(), None)
                .contains("chaosdeck_frames_total 7\n")
        );
    }
}
