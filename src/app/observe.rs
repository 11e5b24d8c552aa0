//! What the app sees of the world on its own: snapshots, runtime events and
//! workload samples, passed through the monitor into incidents, and the
//! episode's milestones (detected, recovered) read off the state.

use std::time::Duration;

use super::journal::{Kind, Level};
use super::msg::Effect;
use super::notes::{entry, note, note_at, note_kind, record};
use super::timeline::secs;
use super::{App, PANE_LINES, runner};
use crate::cluster::{BackendError, ClusterEvent, ClusterSnapshot, DataSource};
use crate::monitor::{Incident, MonitorUpdate, Severity};
use crate::workload::WorkloadSample;

/// Show time only moves forward; stamped answers from the world move it too,
/// so nothing is journalled as older than what caused it.
pub(super) fn catch_up(app: &mut App, at: Duration) {
    app.now = app.now.max(at);
}

pub(super) fn on_snapshot(app: &mut App, result: Result<ClusterSnapshot, BackendError>) {
    let snapshot = match result {
        Ok(snapshot) => snapshot,
        Err(e) => {
            let text = e.to_string();
            if app.cluster.error.as_deref() != Some(&text) {
                note_kind(app, Level::Critical, Kind::Error, text.clone());
            }
            app.cluster.error = Some(text);
            return;
        }
    };
    catch_up(app, snapshot.taken_at);
    if app.cluster.error.take().is_some() {
        note(app, Level::Good, "cluster data flowing again".into());
    }
    note_store_changes(app, &snapshot);
    note_source_troubles(app, &snapshot);
    app.evidence.record_snapshot(snapshot.clone());
    let updates = app.monitor.on_snapshot(&snapshot);
    app.cluster.snapshot = Some(snapshot);
    apply_monitor(app, updates);
}

/// At most this many events are held for one injection; more means the
/// node is flapping, and it is seen as it is.
const HELD_EVENTS: usize = 16;

pub(super) fn on_event(app: &mut App, event: ClusterEvent) {
    catch_up(app, event.at);
    let faulting = matches!(&app.fault, super::FaultState::Injecting { service, .. }
        if *service == event.service);
    if faulting && app.held_events.len() < HELD_EVENTS {
        app.held_events.push(event);
        return;
    }
    release_held(app);
    see_event(app, event);
}

/// The events held while an injection was in flight, seen now that its
/// answer is in (or it is no longer awaited).
pub(super) fn release_held(app: &mut App) {
    for event in std::mem::take(&mut app.held_events) {
        see_event(app, event);
    }
}

fn see_event(app: &mut App, event: ClusterEvent) {
    // The monitor turns events into incidents; the journal shows those.
    tracing::info!(service = %event.service, "event: {}", event.kind);
    app.evidence.record_event(event.clone());
    let updates = app.monitor.on_event(&event);
    apply_monitor(app, updates);
}

pub(super) fn on_sample(app: &mut App, sample: WorkloadSample) {
    catch_up(app, sample.at);
    app.tracker.push(sample);
    if let Some((ops, level)) = app.tracker.history().last() {
        app.pass_history.push(app.pass, sample.at, ops, level);
    }
    app.evidence.record_sample(sample);
    let updates = app.monitor.on_workload(&sample, app.tracker.baseline());
    apply_monitor(app, updates);
}

/// The monitor hears of every load switch the app asks for before it is
/// made: the load's own exit after a stop must not read as a crash.
pub(super) fn load_requests(app: &mut App, fx: &[Effect]) {
    for effect in fx {
        if let Effect::SetLoad { running, .. } = effect {
            app.monitor.load_switched(*running);
        }
    }
}

fn note_store_changes(app: &mut App, snapshot: &ClusterSnapshot) {
    let changes: Vec<(Level, String)> = snapshot
        .stores
        .iter()
        .filter_map(|store| {
            // By id: names can repeat in what PD sends, ids cannot.
            let before = app.cluster.snapshot.as_ref()?.store_by_id(store.id)?;
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
        note_at(app, snapshot.taken_at, level, text);
    }
}

/// A source's trouble goes into the journal when it starts or changes, and
/// its end when it clears: once, not with every snapshot.
fn note_source_troubles(app: &mut App, snapshot: &ClusterSnapshot) {
    for source in [DataSource::Pd, DataSource::PdRegions, DataSource::Runtime] {
        let was = app
            .cluster
            .snapshot
            .as_ref()
            .and_then(|s| s.trouble(source))
            .map(str::to_string);
        match (was.as_deref(), snapshot.trouble(source)) {
            (was, Some(now)) if was != Some(now) => {
                note_at(app, snapshot.taken_at, Level::Warning, now.to_string());
            }
            (Some(_), None) => {
                let what = match source {
                    DataSource::Pd => "PD answers in full again",
                    DataSource::PdRegions => "PD's region lists are read again",
                    DataSource::Runtime => "the runtime answers again",
                };
                note_at(app, snapshot.taken_at, Level::Good, what.to_string());
            }
            _ => {}
        }
    }
}

fn apply_monitor(app: &mut App, updates: Vec<MonitorUpdate>) {
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
                format!("resolved: {}", i.summary),
                i.resolved_at.unwrap_or(app.now),
            ),
        };
        let shown = entry(app, at, level, Kind::Note, text);
        if app.monitor_lines.len() == PANE_LINES {
            app.monitor_lines.pop_front();
        }
        app.monitor_lines.push_back(shown.clone());
        let text = match update {
            MonitorUpdate::Opened(_) => format!("DETECTED {}", shown.text),
            MonitorUpdate::Resolved(_) => shown.text.clone(),
        };
        record(
            app,
            super::Entry {
                kind,
                text,
                ..shown
            },
        );
    }
}

/// Detections made before the injection answered (the engine's event
/// beats its reply), now timed from the fault: journalled after the fault's
/// own line, so the journal's readers (the scoreboard, `report`) count them
/// in its episode.
pub(super) fn credit_to_fault(app: &mut App, credited: Vec<Incident>) {
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
        note_kind(app, severity_level(&incident), kind, text);
    }
}

fn severity_level(incident: &Incident) -> Level {
    match incident.severity {
        Severity::Info => Level::Info,
        Severity::Warning => Level::Warning,
        Severity::Critical => Level::Critical,
    }
}

/// The first detection after the fault, by whichever signal came first.
pub(super) fn detection(app: &mut App) {
    if app.timeline.injected.is_none() || app.timeline.detected.is_some() {
        return;
    }
    if let Some(detection) = app.monitor.first_detection() {
        let after = detection
            .after_fault
            .or_else(|| app.timeline.after_fault(detection.at))
            .unwrap_or_default();
        app.timeline.detected = Some((after, detection.signal));
    }
}

/// The episode ends when the fault has been undone and the cluster is
/// healthy by every signal.
pub(super) fn recovery(app: &mut App) {
    if app.timeline.injected.is_none() || app.timeline.recovered.is_some() {
        return;
    }
    if app.fault.is_idle() && runner::cluster_troubles(app).is_empty() {
        app.timeline.recovered = app.timeline.after_fault(app.now);
        app.monitor.fault_cleared();
        let took = app
            .timeline
            .recovery_started
            .map_or(Duration::ZERO, |started| app.now.saturating_sub(started));
        let text = format!(
            "cluster healthy again {} after the fault, {} after the recovery began",
            secs(app.timeline.recovered.unwrap_or_default()),
            secs(took)
        );
        note_kind(app, Level::Good, Kind::Recovered { took }, text);
    }
}
