//! The monitor: in-process invariants over snapshots, runtime events and
//! workload samples, turned into incidents.
//!
//! One incident per condition per fault episode: a condition is keyed by its
//! signal and service, stays one open incident while it holds, and resolves
//! when it clears. While a fault is in place a condition that clears and comes
//! back does not open a second incident (no flapping lines on screen); after
//! [`Monitor::fault_cleared`] a recurrence opens a new one.
//!
//! The injected fault is only used to time detections ("12.3 s after the
//! fault"); what is detected comes from the observations alone.

mod checks;
mod pd_leader;
pub mod text;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

pub use crate::incident::{Detection, Incident, Severity, Signal};
pub use checks::lost_node;
use checks::{Condition, EventEffect, Gate, GateChange};

use crate::cluster::health::Reported;
use crate::cluster::{ClusterEvent, ClusterSnapshot, DataSource, NodeRole};
use crate::workload::WorkloadSample;

/// How many incidents (open or resolved) the history keeps.
pub const HISTORY_LIMIT: usize = 200;
/// Consecutive workload samples needed to open or resolve a workload incident.
pub const WORKLOAD_STREAK: u32 = 2;

#[derive(Debug, Clone, PartialEq)]
pub enum MonitorUpdate {
    Opened(Incident),
    Resolved(Incident),
}

impl MonitorUpdate {
    pub fn incident(&self) -> &Incident {
        match self {
            Self::Opened(incident) | Self::Resolved(incident) => incident,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonitorConfig {
    /// Throughput below this fraction of the baseline is degraded.
    pub degraded_below: f64,
    /// p99 latency above this is too slow.
    pub p99_high: Duration,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            degraded_below: 0.5,
            p99_high: Duration::from_millis(100),
        }
    }
}

impl MonitorConfig {
    /// Throughput must climb back to this fraction of the baseline to resolve:
    /// a quarter of the way from the degraded threshold to the baseline.
    fn recovered_above(&self) -> f64 {
        self.degraded_below + (1.0 - self.degraded_below) * 0.25
    }

    /// p99 must fall to this to resolve.
    fn p99_recovered(&self) -> Duration {
        self.p99_high.mul_f64(0.8)
    }
}

type Key = (Signal, Option<String>);

#[derive(Debug, Clone)]
pub struct Monitor {
    config: MonitorConfig,
    incidents: Vec<Incident>,
    next_id: u64,
    fault_at: Option<Duration>,
    /// Conditions that opened an incident since the episode began.
    opened_this_episode: HashSet<Key>,
    first_detection: Option<Detection>,
    /// When each service's last runtime event arrived: older snapshots say
    /// nothing new about its process.
    last_event_at: HashMap<String, Duration>,
    /// Each service's role, as the last snapshot listed it (events carry
    /// only the name).
    roles: HashMap<String, NodeRole>,
    /// Whether the story has the load running (told before the switch is
    /// made, so the load's own exit after a stop is not news).
    load_expected: bool,
    /// The story stopped the load: its samples are no news until it starts
    /// it again.
    load_stopped: bool,
    throughput: Gate,
    latency: Gate,
    /// The last leader PD's members named.
    pd_leader: pd_leader::LeaderWatch,
}

impl Monitor {
    pub fn new(config: MonitorConfig) -> Self {
        Self {
            config,
            incidents: Vec::new(),
            next_id: 1,
            fault_at: None,
            opened_this_episode: HashSet::new(),
            first_detection: None,
            last_event_at: HashMap::new(),
            roles: HashMap::new(),
            load_expected: false,
            load_stopped: false,
            throughput: Gate::default(),
            latency: Gate::default(),
            pd_leader: pd_leader::LeaderWatch::default(),
        }
    }

    pub fn config(&self) -> &MonitorConfig {
        &self.config
    }

    /// A fault was injected at `at` (when the call started): a new episode
    /// starts. Only used to time detections, never to decide what is
    /// detected. Incidents opened since `at`, before the answer came (the
    /// engine's event often beats its own reply), belong to this fault.
    /// Returns those incidents, oldest first, now timed from the fault.
    pub fn fault_injected(&mut self, at: Duration) -> Vec<Incident> {
        self.fault_at = Some(at);
        self.opened_this_episode = self.open_keys().collect();
        let mut credited: Vec<Incident> = Vec::new();
        for incident in &mut self.incidents {
            if incident.since_fault.is_some() || incident.opened_at < at {
                continue;
            }
            incident.since_fault = Some(incident.opened_at - at);
            credited.push(incident.clone());
        }
        credited.sort_by_key(|i| (i.opened_at, i.id));
        self.first_detection = credited.first().map(|incident| Detection {
            signal: incident.signal,
            at: incident.opened_at,
            after_fault: incident.since_fault,
            summary: incident.summary.clone(),
        });
        credited
    }

    /// The story is about to start (`true`) or stop the load.
    pub fn load_switched(&mut self, running: bool) {
        self.load_expected = running;
        if running {
            self.load_stopped = false;
        }
    }

    /// The story stops the load at `at`: the workload's incidents are
    /// closed as `load stopped` (a load at rest is neither slow nor
    /// failing) and none opens until it starts again.
    pub fn load_stopped(&mut self, at: Duration) -> Vec<MonitorUpdate> {
        self.load_switched(false);
        self.load_stopped = true;
        self.throughput = Gate::default();
        self.latency = Gate::default();
        [Signal::Throughput, Signal::Latency]
            .into_iter()
            .filter_map(|signal| {
                let index = self.find_open(&(signal, None))?;
                let incident = &mut self.incidents[index];
                incident.resolved_at = Some(at.max(incident.opened_at));
                incident.closed_because = Some("load stopped".into());
                Some(MonitorUpdate::Resolved(incident.clone()))
            })
            .collect()
    }

    /// The fault was recovered: the episode ends, a recurrence opens anew.
    /// Open incidents stay open until their condition clears.
    pub fn fault_cleared(&mut self) {
        self.fault_at = None;
        self.opened_this_episode.clear();
    }

    /// Forgets everything but the incident numbering and what it knows of
    /// the world (whether the load should run, each service's role).
    pub fn reset(&mut self) {
        let fresh = Self {
            next_id: self.next_id,
            roles: std::mem::take(&mut self.roles),
            load_expected: self.load_expected,
            load_stopped: self.load_stopped,
            ..Self::new(self.config)
        };
        *self = fresh;
    }

    pub fn on_snapshot(&mut self, snapshot: &ClusterSnapshot) -> Vec<MonitorUpdate> {
        let at = snapshot.taken_at;
        let mut updates = Vec::new();
        for process in &snapshot.processes {
            self.roles.insert(process.service.clone(), process.role);
        }
        // A picture from before the fault says nothing about its end.
        let may_resolve = self.fault_at.is_none_or(|fault| at >= fault);

        if snapshot.pd_reachable {
            if may_resolve {
                updates.extend(self.resolve(&(Signal::PdUnreachable, None), at));
            }
            // Store and region figures are only judged while current.
            let found = checks::pd_conditions(snapshot);
            let pd_signals = [
                Signal::StoreState,
                Signal::RegionsLedFromDeadNode,
                Signal::RegionsWithoutLeader,
                Signal::UnderReplicated,
            ];
            let cleared: Vec<Key> = self
                .open_keys()
                .filter(|(signal, service)| {
                    may_resolve
                        && pd_signals.contains(signal)
                        && !found
                            .iter()
                            .any(|c| c.signal == *signal && c.service == *service)
                })
                .collect();
            for key in cleared {
                updates.extend(self.resolve(&key, at));
            }
            for condition in found {
                updates.extend(self.open(condition, at));
            }
        } else {
            let reason = snapshot.trouble(DataSource::Pd);
            updates.extend(self.open(checks::pd_unreachable(reason), at));
        }

        updates.extend(self.on_pd_leadership(snapshot, may_resolve));

        for process in &snapshot.processes {
            let newer_than_events = self
                .last_event_at
                .get(&process.service)
                .is_none_or(|&event_at| at > event_at);
            if !newer_than_events {
                continue;
            }
            if let Some(condition) = checks::process_condition(process) {
                updates.extend(self.open(condition, at));
            } else if may_resolve && checks::process_is_well(process) {
                let key = (Signal::ProcessEvent, Some(process.service.clone()));
                updates.extend(self.resolve(&key, at));
            }
        }
        updates
    }

    /// PD's leader lost, or moved, as its members tell it.
    fn on_pd_leadership(
        &mut self,
        snapshot: &ClusterSnapshot,
        may_resolve: bool,
    ) -> Vec<MonitorUpdate> {
        let at = snapshot.taken_at;
        let news = self.pd_leader.observe(snapshot);
        let mut updates = Vec::new();
        let over: Vec<Key> = self
            .open_keys()
            .filter(|(signal, _)| {
                may_resolve
                    && match signal {
                        Signal::PdNoLeader => news.has_leader,
                        Signal::PdLeaderChange => news.whole,
                        _ => false,
                    }
            })
            .collect();
        for key in over {
            updates.extend(self.resolve(&key, at));
        }
        for condition in news.open {
            updates.extend(self.open(condition, at));
        }
        updates
    }

    pub fn on_event(&mut self, event: &ClusterEvent) -> Vec<MonitorUpdate> {
        let previous = self
            .last_event_at
            .entry(event.service.clone())
            .or_insert(event.at);
        *previous = (*previous).max(event.at);
        let role = self.roles.get(&event.service).copied();
        match checks::event_effect(&event.service, role, self.load_expected, &event.kind) {
            EventEffect::Open(condition) => self.open(condition, event.at).into_iter().collect(),
            EventEffect::Resolve => {
                let key = (Signal::ProcessEvent, Some(event.service.clone()));
                self.resolve(&key, event.at).into_iter().collect()
            }
            EventEffect::Nothing => Vec::new(),
        }
    }

    /// `baseline` is the healthy throughput (ops/s) when known; without one
    /// throughput is not judged.
    pub fn on_workload(
        &mut self,
        sample: &WorkloadSample,
        baseline: Option<f64>,
    ) -> Vec<MonitorUpdate> {
        let mut updates = Vec::new();
        if self.load_stopped {
            return updates;
        }
        let at = sample.at;

        let baseline = baseline.filter(|b| b.is_finite() && *b > 0.0);
        if let Some(baseline) = baseline.filter(|_| sample.ops_per_sec.is_finite()) {
            let ratio = sample.ops_per_sec / baseline;
            let bad = ratio < self.config.degraded_below;
            let good = ratio >= self.config.recovered_above();
            match self.throughput.observe(bad, good, WORKLOAD_STREAK) {
                Some(GateChange::TurnedOn) => updates.extend(self.open(
                    checks::throughput_condition(sample.ops_per_sec, baseline),
                    at,
                )),
                Some(GateChange::TurnedOff) => {
                    updates.extend(self.resolve(&(Signal::Throughput, None), at))
                }
                None => {}
            }
        }

        if let Some(p99) = sample.p99 {
            let bad = p99 > self.config.p99_high;
            let good = p99 <= self.config.p99_recovered();
            match self.latency.observe(bad, good, WORKLOAD_STREAK) {
                Some(GateChange::TurnedOn) => updates
                    .extend(self.open(checks::latency_condition(p99, self.config.p99_high), at)),
                Some(GateChange::TurnedOff) => {
                    updates.extend(self.resolve(&(Signal::Latency, None), at))
                }
                None => {}
            }
        }
        updates
    }

    /// Cluster nodes (not load generators) the runtime reported faulted and
    /// not yet well again, with what it said: an event can be newer than
    /// the last snapshot, and the health gate must not wait for the next.
    pub fn nodes_reported_faulted(&self) -> impl Iterator<Item = Reported<'_>> {
        self.open_incidents()
            .filter(|i| i.signal == Signal::ProcessEvent)
            .filter_map(|i| {
                let service = i.service.as_deref()?;
                (self.roles.get(service) != Some(&NodeRole::Load)).then_some(Reported {
                    service,
                    summary: &i.summary,
                })
            })
    }

    /// When the runtime last reported an event about a cluster node (not a
    /// load generator).
    pub fn last_node_event_at(&self) -> Option<Duration> {
        self.last_event_at
            .iter()
            .filter(|(service, _)| self.roles.get(*service) != Some(&NodeRole::Load))
            .map(|(_, &at)| at)
            .max()
    }

    pub fn open_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.iter().filter(|i| i.is_open())
    }

    /// Open and resolved incidents, oldest first, at most [`HISTORY_LIMIT`].
    pub fn incidents(&self) -> &[Incident] {
        &self.incidents
    }

    /// The first incident opened since the last fault was injected.
    pub fn first_detection(&self) -> Option<Detection> {
        self.first_detection.clone()
    }

    fn open_keys(&self) -> impl Iterator<Item = Key> + '_ {
        self.open_incidents().map(|i| (i.signal, i.service.clone()))
    }

    fn find_open(&self, key: &Key) -> Option<usize> {
        self.incidents
            .iter()
            .position(|i| i.is_open() && i.signal == key.0 && i.service == key.1)
    }

    fn open(&mut self, condition: Condition, at: Duration) -> Option<MonitorUpdate> {
        let key = (condition.signal, condition.service.clone());
        if self.find_open(&key).is_some() {
            return None;
        }
        if self.fault_at.is_some() && self.opened_this_episode.contains(&key) {
            return None;
        }
        self.opened_this_episode.insert(key);
        let since_fault = self.fault_at.map(|fault| at.saturating_sub(fault));
        let incident = Incident {
            id: self.next_id,
            signal: condition.signal,
            service: condition.service,
            severity: condition.severity,
            summary: condition.summary,
            opened_at: at,
            resolved_at: None,
            since_fault,
            closed_because: None,
        };
        self.next_id += 1;
        if self.fault_at.is_some() && self.first_detection.is_none() {
            self.first_detection = Some(Detection {
                signal: incident.signal,
                at,
                after_fault: since_fault,
                summary: incident.summary.clone(),
            });
        }
        self.push(incident.clone());
        Some(MonitorUpdate::Opened(incident))
    }

    fn resolve(&mut self, key: &Key, at: Duration) -> Option<MonitorUpdate> {
        let index = self.find_open(key)?;
        let incident = &mut self.incidents[index];
        // A reading older than the opening says nothing about the clearing.
        if at < incident.opened_at {
            return None;
        }
        incident.resolved_at = Some(at);
        Some(MonitorUpdate::Resolved(incident.clone()))
    }

    fn push(&mut self, incident: Incident) {
        self.incidents.push(incident);
        if self.incidents.len() > HISTORY_LIMIT {
            // Drop the oldest resolved one; open ones are few (one per key).
            let index = self
                .incidents
                .iter()
                .position(|i| !i.is_open())
                .unwrap_or(0);
            self.incidents.remove(index);
        }
    }
}

impl Default for Monitor {
    fn default() -> Self {
        Self::new(MonitorConfig::default())
    }
}
