//! The world as the app sees it on its own: the cluster's snapshots, runtime
//! events and workload samples, passed through the monitor into incidents;
//! the workload's baseline and the pass's chart; the evidence the agent
//! weighs; and the health gate that every fault must pass.

use std::time::Duration;

use super::chronicle::Chronicle;
use super::fault::FaultLedger;
use super::journal::{Entry, Kind, Level};
use super::pass_history::PassHistory;
use super::timeline::secs;
use crate::agent::{Evidence, EvidenceRecorder};
use crate::cluster::health::{self, Trouble};
use crate::cluster::{BackendError, ClusterEvent, ClusterSnapshot, DataSource};
use crate::monitor::{Incident, Monitor, MonitorConfig, MonitorUpdate, Severity};
use crate::workload::WorkloadSample;
use crate::workload::tracker::{TrackerConfig, WorkloadTracker};

/// Cluster data older than this (show time) is not trusted, whatever the
/// reason it stopped arriving.
pub const STALE_AFTER: Duration = Duration::from_secs(10);

/// At most this many events are held for one injection; more means the
/// node is flapping, and it is seen as it is.
const HELD_EVENTS: usize = 16;

/// The cluster as last seen, and whether it can be trusted.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub snapshot: Option<ClusterSnapshot>,
    /// Why the last refresh failed, when it did: the data shown is stale.
    pub error: Option<String>,
    /// Show time after which a snapshot is not trusted: [`STALE_AFTER`], or
    /// more where snapshots come further apart in show time (a high
    /// `--speed`; the show sets it from its snapshot pace).
    pub stale_after: Duration,
}

impl Default for ClusterView {
    fn default() -> Self {
        Self {
            snapshot: None,
            error: None,
            stale_after: STALE_AFTER,
        }
    }
}

impl ClusterView {
    /// How old `service`'s last heartbeat to PD is at show time `now`: the
    /// snapshot's age carried on to `now`, so the table and the status line
    /// tell the same instant.
    pub fn heartbeat_age(&self, service: &str, now: Duration) -> Option<Duration> {
        let snapshot = self.snapshot.as_ref()?;
        let age = snapshot.store(service)?.heartbeat_age?;
        Some(age + now.saturating_sub(snapshot.taken_at))
    }

    /// The data on screen cannot be trusted at show time `now`.
    pub fn is_stale(&self, now: Duration) -> bool {
        self.error.is_some()
            || self.snapshot.as_ref().is_some_and(|s| {
                !s.pd_reachable || now.saturating_sub(s.taken_at) > self.stale_after
            })
    }
}

pub struct World {
    cluster: ClusterView,
    tracker: WorkloadTracker,
    /// The workload of the whole pass, for the chart.
    pass_history: PassHistory,
    load_running: bool,
    /// The story asked for the load to stop (and has not started it since):
    /// samples that still come are not news.
    load_stopped: bool,
    monitor: Monitor,
    evidence: EvidenceRecorder,
    /// Runtime events of the node being faulted that came before the
    /// injection answered (the engine's event beats its reply): held, and
    /// seen once the fault is in the ledger, so they are credited to it.
    held_events: Vec<ClusterEvent>,
}

impl World {
    pub fn new(tracker: TrackerConfig, monitor: MonitorConfig) -> Self {
        Self {
            cluster: ClusterView::default(),
            tracker: WorkloadTracker::new(tracker),
            pass_history: PassHistory::default(),
            load_running: false,
            load_stopped: false,
            monitor: Monitor::new(monitor),
            evidence: EvidenceRecorder::default(),
            held_events: Vec::new(),
        }
    }

    pub fn cluster(&self) -> &ClusterView {
        &self.cluster
    }

    pub fn snapshot(&self) -> Option<&ClusterSnapshot> {
        self.cluster.snapshot.as_ref()
    }

    pub fn tracker(&self) -> &WorkloadTracker {
        &self.tracker
    }

    pub fn pass_history(&self) -> &PassHistory {
        &self.pass_history
    }

    pub fn load_running(&self) -> bool {
        self.load_running
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    pub fn evidence_recorder(&self) -> &EvidenceRecorder {
        &self.evidence
    }

    /// What the diagnosis weighs, as of `now`.
    pub fn evidence(&self, now: Duration) -> Evidence {
        self.evidence.evidence(
            now,
            self.tracker.baseline(),
            self.monitor.incidents().to_vec(),
        )
    }

    /// The show's snapshot pace sets how old data may be.
    pub fn set_stale_after(&mut self, after: Duration) {
        self.cluster.stale_after = after;
    }

    // ---- the health gate ----------------------------------------------------

    /// The problems the health gate sees at `now`; stale data is a problem
    /// of its own.
    pub fn troubles(&self, now: Duration) -> Vec<Trouble> {
        let Some(snapshot) = &self.cluster.snapshot else {
            return vec![Trouble {
                service: None,
                why: "no cluster data yet".into(),
            }];
        };
        if self.cluster.is_stale(now) {
            return vec![Trouble {
                service: None,
                why: match &self.cluster.error {
                    Some(error) => format!("cluster data is stale: {error}"),
                    None => "cluster data is stale".into(),
                },
            }];
        }
        let mut found = health::troubles(snapshot);
        found.extend(health::reported_by_events(
            snapshot,
            &found,
            self.monitor.last_node_event_at(),
            self.monitor.nodes_reported_faulted(),
        ));
        found
    }

    // ---- what arrives -------------------------------------------------------

    pub(super) fn on_snapshot(
        &mut self,
        result: Result<ClusterSnapshot, BackendError>,
        now: Duration,
        log: &mut Chronicle,
    ) {
        let snapshot = match result {
            Ok(snapshot) => snapshot,
            Err(e) => {
                let text = e.to_string();
                if self.cluster.error.as_deref() != Some(&text) {
                    log.note_kind(now, Level::Critical, Kind::Error, text.clone());
                }
                self.cluster.error = Some(text);
                return;
            }
        };
        if self.cluster.error.take().is_some() {
            log.note(now, Level::Good, "cluster data flowing again".into());
        }
        self.note_store_changes(&snapshot, log);
        self.note_source_troubles(&snapshot, log);
        self.evidence.record_snapshot(snapshot.clone());
        let updates = self.monitor.on_snapshot(&snapshot);
        self.cluster.snapshot = Some(snapshot);
        apply_monitor(updates, now, log);
    }

    pub(super) fn on_event(
        &mut self,
        event: ClusterEvent,
        ledger: &FaultLedger,
        now: Duration,
        log: &mut Chronicle,
    ) {
        let faulting = ledger.injecting() == Some(event.service.as_str());
        if faulting && self.held_events.len() < HELD_EVENTS {
            self.held_events.push(event);
            return;
        }
        self.release_held(now, log);
        self.see_event(event, now, log);
    }

    /// The events held while an injection was in flight, seen now that its
    /// answer is in (or it is no longer awaited).
    pub(super) fn release_held(&mut self, now: Duration, log: &mut Chronicle) {
        for event in std::mem::take(&mut self.held_events) {
            self.see_event(event, now, log);
        }
    }

    fn see_event(&mut self, event: ClusterEvent, now: Duration, log: &mut Chronicle) {
        // The monitor turns events into incidents; the journal shows those.
        tracing::info!(service = %event.service, "event: {}", event.kind);
        self.evidence.record_event(event.clone());
        let updates = self.monitor.on_event(&event);
        apply_monitor(updates, now, log);
    }

    pub(super) fn on_sample(&mut self, sample: WorkloadSample, now: Duration, log: &mut Chronicle) {
        if self.load_stopped {
            return;
        }
        self.tracker.push(sample);
        if let Some((ops, level)) = self.tracker.history().last() {
            self.pass_history.push(log.pass(), sample.at, ops, level);
        }
        self.evidence.record_sample(sample);
        let updates = self.monitor.on_workload(&sample, self.tracker.baseline());
        apply_monitor(updates, now, log);
    }

    fn note_store_changes(&self, snapshot: &ClusterSnapshot, log: &mut Chronicle) {
        let changes: Vec<(Level, String)> = snapshot
            .stores
            .iter()
            .filter_map(|store| {
                // By id: names can repeat in what PD sends, ids cannot.
                let before = self.cluster.snapshot.as_ref()?.store_by_id(store.id)?;
                (before.state != store.state).then(|| {
                    let level = if store.state.is_up() {
                        Level::Good
                    } else {
                        Level::Warning
                    };
                    let text = format!(
                        "store {}: {} -> {}",
                        store.service, before.state, store.state
                    );
                    (level, text)
                })
            })
            .collect();
        for (level, text) in changes {
            log.note(snapshot.taken_at, level, text);
        }
    }

    /// A source's trouble goes into the journal when it starts or changes,
    /// and its end when it clears: once, not with every snapshot.
    fn note_source_troubles(&self, snapshot: &ClusterSnapshot, log: &mut Chronicle) {
        for source in [DataSource::Pd, DataSource::PdRegions, DataSource::Runtime] {
            let was = self
                .cluster
                .snapshot
                .as_ref()
                .and_then(|s| s.trouble(source))
                .map(str::to_string);
            match (was.as_deref(), snapshot.trouble(source)) {
                (was, Some(now)) if was != Some(now) => {
                    log.note(snapshot.taken_at, Level::Warning, now.to_string());
                }
                (Some(_), None) => {
                    let what = match source {
                        DataSource::Pd => "PD answers in full again",
                        DataSource::PdRegions => "PD's region lists are read again",
                        DataSource::Runtime => "the runtime answers again",
                    };
                    log.note(snapshot.taken_at, Level::Good, what.to_string());
                }
                _ => {}
            }
        }
    }

    // ---- the load -----------------------------------------------------------

    /// A load switch is asked for: the monitor hears of it before it is
    /// made, so the load's own exit after a stop does not read as a crash;
    /// a start measures a new baseline.
    pub(super) fn load_asked(&mut self, running: bool, now: Duration, log: &mut Chronicle) {
        self.load_stopped = !running;
        if running {
            self.tracker.reset();
            self.monitor.load_switched(true);
        } else {
            let updates = self.monitor.load_stopped(now);
            apply_monitor(updates, now, log);
        }
    }

    /// The story stopped the load: what the screen last measured of it is
    /// history, not the present.
    pub fn load_stopped(&self) -> bool {
        self.load_stopped && !self.load_running
    }

    /// The load switch was answered.
    pub(super) fn load_set(&mut self, running: bool, result: &Result<(), BackendError>) {
        match result {
            Ok(()) => {
                self.load_running = running;
                if !running {
                    self.tracker.set_idle();
                }
            }
            // The switch did not happen: the load is as it was.
            Err(_) => {
                self.monitor.load_switched(self.load_running);
                self.load_stopped &= !self.load_running;
            }
        }
    }

    // ---- the episode --------------------------------------------------------

    /// A fault landed at `at`: detections made since are credited to it
    /// (the engine's event beats the injection's reply).
    pub(super) fn fault_landed(&mut self, at: Duration) -> Vec<Incident> {
        self.monitor.fault_injected(at)
    }

    /// The first detection after the fault, by whichever signal came first.
    pub(super) fn note_detection(&self, log: &mut Chronicle) {
        let timeline = log.timeline();
        if timeline.injected.is_none() || timeline.detected.is_some() {
            return;
        }
        if let Some(detection) = self.monitor.first_detection() {
            let after = detection
                .after_fault
                .or_else(|| timeline.after_fault(detection.at))
                .unwrap_or_default();
            log.detected(after, detection.signal);
        }
    }

    /// The episode ends when the fault has been undone and the cluster is
    /// healthy by every signal.
    pub(super) fn note_recovery(
        &mut self,
        ledger: &FaultLedger,
        now: Duration,
        log: &mut Chronicle,
    ) {
        let timeline = log.timeline();
        if timeline.injected.is_none() || timeline.recovered.is_some() {
            return;
        }
        if !ledger.is_idle() || !self.troubles(now).is_empty() {
            return;
        }
        log.recovered(now);
        self.monitor.fault_cleared();
        let timeline = log.timeline();
        let took = timeline
            .recovery_started
            .map_or(Duration::ZERO, |started| now.saturating_sub(started));
        let text = format!(
            "cluster healthy again {} after the fault, {} after the recovery began",
            secs(timeline.recovered.unwrap_or_default()),
            secs(took)
        );
        log.note_kind(now, Level::Good, Kind::Recovered { took }, text);
    }

    /// Forgets what the last pass saw: baseline, incidents, evidence.
    pub(super) fn clear_pass(&mut self) {
        self.monitor.reset();
        self.tracker.reset();
        self.evidence.clear();
    }

    /// Tests set up a scene by hand.
    #[cfg(any(test, feature = "testing"))]
    pub fn cluster_mut(&mut self) -> &mut ClusterView {
        &mut self.cluster
    }
}

/// Detections made before the injection answered, now timed from the
/// fault: journalled after the fault's own line, so the journal's readers
/// (the scoreboard, `report`) count them in its episode.
/// Each is journalled as of when it opened, so the journal reads in the
/// order things happened.
pub(super) fn credit_to_fault(credited: Vec<Incident>, log: &mut Chronicle) {
    for incident in credited {
        let after = incident.since_fault.unwrap_or_default();
        let text = format!(
            "{}: detected {} after the fault, before the injection answered",
            incident.summary,
            secs(after)
        );
        let kind = Kind::Detection {
            signal: incident.signal,
            after_fault: Some(after),
        };
        let fault_at = log.timeline().injected.as_ref().map(|f| f.at);
        let at = fault_at.map_or(incident.opened_at, |f| incident.opened_at.max(f));
        log.note_kind(at, severity_level(&incident), kind, text);
    }
}

/// The monitor's news: shown in the pane, and journalled (an opened
/// incident as a detection).
fn apply_monitor(updates: Vec<MonitorUpdate>, now: Duration, log: &mut Chronicle) {
    for update in updates {
        let (level, kind, text, at) = match &update {
            MonitorUpdate::Opened(i) => (
                severity_level(i),
                Kind::Detection {
                    signal: i.signal,
                    after_fault: i.since_fault,
                },
                i.summary.clone(),
                i.opened_at,
            ),
            MonitorUpdate::Resolved(i) => (
                Level::Good,
                Kind::Note,
                i.resolved_line(),
                i.resolved_at.unwrap_or(now),
            ),
        };
        let shown = log.entry(at, level, Kind::Note, text);
        log.show(shown.clone());
        let text = match update {
            MonitorUpdate::Opened(_) => format!("DETECTED {}", shown.text),
            MonitorUpdate::Resolved(_) => shown.text.clone(),
        };
        log.record(Entry {
            kind,
            text,
            ..shown
        });
    }
}

fn severity_level(incident: &Incident) -> Level {
    match incident.severity {
        Severity::Info => Level::Info,
        Severity::Warning => Level::Warning,
        Severity::Critical => Level::Critical,
    }
}
