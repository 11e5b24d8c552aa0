//! Pure invariant checks: what is wrong in one snapshot, one event, one sample.

use std::time::Duration;

use super::text::{count, percent, plain, span};
use crate::cluster::{ClusterSnapshot, EventKind, NodeRole, Process, ProcessState, StoreState};
use crate::incident::{Severity, Signal};
use crate::text::latency;
use crate::text::{excerpt, ops_per_sec as ops_per_sec_text};

/// A condition that holds right now, ready to become an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub signal: Signal,
    pub service: Option<String>,
    pub severity: Severity,
    pub summary: String,
}

/// Store and region conditions of a snapshot whose PD picture is current.
/// The regions PD reports without leader or under-replicated stay 0 through
/// a demo (PD keeps a dead leader until a new one reports); those led from
/// a dead node are what moves (see [`crate::cluster::health::led_from_dead_node`]).
pub fn pd_conditions(snapshot: &ClusterSnapshot) -> Vec<Condition> {
    let mut found = Vec::new();
    for store in &snapshot.stores {
        let severity = match &store.state {
            StoreState::Up | StoreState::Tombstone => continue,
            // Bad on the Cluster panel, so critical here: the word and its
            // colour agree across panels.
            StoreState::Down | StoreState::Disconnected => Severity::Critical,
            StoreState::Offline | StoreState::Unknown(_) => Severity::Warning,
        };
        let heartbeat = store
            .heartbeat_age
            .map(|age| format!(" (last heartbeat {} ago)", span(age)))
            .unwrap_or_default();
        found.push(Condition {
            signal: Signal::StoreState,
            service: Some(store.service.clone()),
            severity,
            summary: format!(
                "store {} ({}) is {} in PD{heartbeat}",
                store.id,
                plain(&store.service),
                plain(store.state.name())
            ),
        });
    }
    let regions = snapshot.regions;
    if regions.led_from_dead_node > 0 {
        found.push(Condition {
            signal: Signal::RegionsLedFromDeadNode,
            service: None,
            severity: Severity::Critical,
            summary: format!(
                "{} led from a {} node",
                count(regions.led_from_dead_node, "region", "regions"),
                lost_node(snapshot)
            ),
        });
    }
    if regions.without_leader > 0 {
        found.push(Condition {
            signal: Signal::RegionsWithoutLeader,
            service: None,
            severity: Severity::Critical,
            summary: format!(
                "{} without a leader",
                count(regions.without_leader, "region", "regions")
            ),
        });
    }
    if regions.under_replicated > 0 {
        found.push(Condition {
            signal: Signal::UnderReplicated,
            service: None,
            severity: Severity::Warning,
            summary: format!(
                "{} under-replicated",
                count(regions.under_replicated, "region", "regions")
            ),
        });
    }
    found
}

/// What the runtime shows of the TiKV node that regions are led from in
/// vain: `dead` (exited), `frozen` (paused) or `cut-off` (no network), so
/// a pause or a partition is never called a death. The word every panel
/// puts after "led from".
pub fn lost_node(snapshot: &ClusterSnapshot) -> &'static str {
    let lost = snapshot
        .processes
        .iter()
        .filter(|p| p.role == NodeRole::Tikv)
        .find(|p| !process_is_well(p));
    match lost.map(|p| &p.state) {
        Some(ProcessState::Paused) => "frozen",
        Some(ProcessState::Running) => "cut-off",
        _ => "dead",
    }
}

/// What the runtime says about a cluster node's process, when it is not well.
/// Load generators and helpers are left out: they come and go by design.
pub fn process_condition(process: &Process) -> Option<Condition> {
    if !matches!(process.role, NodeRole::Pd | NodeRole::Tikv) {
        return None;
    }
    let name = plain(&process.service);
    let summary = match &process.state {
        ProcessState::Running if process.network_connected => return None,
        ProcessState::Running => format!("{name}: cut off from the network"),
        ProcessState::Paused => format!("{name}: process paused"),
        ProcessState::Exited {
            exit_code: Some(code),
        } => format!("{name}: process exited (exit code {code})"),
        ProcessState::Exited { exit_code: None } => format!("{name}: process exited"),
        ProcessState::Other(state) => format!("{name}: process not running ({})", plain(state)),
    };
    Some(Condition {
        signal: Signal::ProcessEvent,
        service: Some(process.service.clone()),
        severity: Severity::Critical,
        summary,
    })
}

/// Whether the runtime shows the process healthy again.
pub fn process_is_well(process: &Process) -> bool {
    process.state == ProcessState::Running && process.network_connected
}

/// What an event means for the process incident of its service.
pub enum EventEffect {
    Open(Condition),
    Resolve,
    Nothing,
}

/// `role` is the service's role as the last snapshot listed it; a load
/// generator's exit is news only while the story has it running (and then a
/// warning: the throughput tells the cost).
pub fn event_effect(
    service: &str,
    role: Option<NodeRole>,
    load_expected: bool,
    kind: &EventKind,
) -> EventEffect {
    if role == Some(NodeRole::Load) && !load_expected {
        return match kind {
            EventKind::Started | EventKind::Unpaused | EventKind::NetworkReconnected => {
                EventEffect::Resolve
            }
            _ => EventEffect::Nothing,
        };
    }
    let severity = match kind {
        EventKind::Died { .. } | EventKind::Paused | EventKind::NetworkDisconnected
            if role == Some(NodeRole::Load) =>
        {
            Severity::Warning
        }
        EventKind::Died { .. } | EventKind::Paused | EventKind::NetworkDisconnected => {
            Severity::Critical
        }
        EventKind::Started | EventKind::Unpaused | EventKind::NetworkReconnected => {
            return EventEffect::Resolve;
        }
        EventKind::Health(_) => return EventEffect::Nothing,
    };
    EventEffect::Open(Condition {
        signal: Signal::ProcessEvent,
        service: Some(service.to_string()),
        severity,
        summary: format!("{}: {kind}", plain(service)),
    })
}

/// PD gave no view: it did not answer, or answered what cannot be read.
/// `reason` is the snapshot's own word for which (None from a backend that
/// does not say).
pub fn pd_unreachable(reason: Option<&str>) -> Condition {
    let summary = match reason {
        Some(reason) => format!("no view from PD: {}", excerpt(reason, 160)),
        None => "PD unreachable: no endpoint answered".to_string(),
    };
    Condition {
        signal: Signal::PdUnreachable,
        service: None,
        severity: Severity::Critical,
        summary,
    }
}

pub fn throughput_condition(ops_per_sec: f64, baseline: f64) -> Condition {
    let ratio = ops_per_sec / baseline;
    Condition {
        signal: Signal::Throughput,
        service: None,
        severity: if ratio < 0.1 {
            Severity::Critical
        } else {
            Severity::Warning
        },
        summary: format!(
            "throughput {}, {} of baseline {}",
            ops_per_sec_text(ops_per_sec),
            percent(ratio),
            ops_per_sec_text(baseline)
        ),
    }
}

pub fn latency_condition(p99: Duration, limit: Duration) -> Condition {
    Condition {
        signal: Signal::Latency,
        service: None,
        severity: Severity::Warning,
        summary: format!("p99 latency {} (limit {})", latency(p99), latency(limit)),
    }
}

/// Debounces a noisy yes/no signal: it turns on after `needed` consecutive
/// bad readings and off after `needed` consecutive good ones. Readings in the
/// band between the two thresholds break both streaks (hysteresis).
#[derive(Debug, Clone, Default)]
pub struct Gate {
    active: bool,
    bad: u32,
    good: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateChange {
    TurnedOn,
    TurnedOff,
}

impl Gate {
    pub fn observe(&mut self, bad: bool, good: bool, needed: u32) -> Option<GateChange> {
        self.bad = if bad { self.bad + 1 } else { 0 };
        self.good = if good { self.good + 1 } else { 0 };
        if !self.active && self.bad >= needed {
            self.active = true;
            return Some(GateChange::TurnedOn);
        }
        if self.active && self.good >= needed {
            self.active = false;
            return Some(GateChange::TurnedOff);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{RegionHealth, Store};

    fn store(service: &str, state: StoreState) -> Store {
        Store {
            id: 4,
            service: service.into(),
            address: format!("{service}:20160"),
            state,
            leader_count: 0,
            region_count: 0,
            heartbeat_age: Some(Duration::from_secs(23)),
            capacity_bytes: None,
            available_bytes: None,
        }
    }

    fn snapshot(stores: Vec<Store>, regions: RegionHealth) -> ClusterSnapshot {
        ClusterSnapshot {
            taken_at: Duration::ZERO,
            pd_reachable: true,
            pd_members: vec![],
            stores,
            regions,
            processes: vec![],
            troubles: Vec::new(),
        }
    }

    #[test]
    fn tombstone_and_up_stores_raise_nothing() {
        let snap = snapshot(
            vec![
                store("tikv1", StoreState::Up),
                store("tikv2", StoreState::Tombstone),
            ],
            RegionHealth::default(),
        );
        assert!(pd_conditions(&snap).is_empty());
    }

    #[test]
    fn disconnected_store_names_service_and_heartbeat() {
        let snap = snapshot(
            vec![store("tikv1", StoreState::Disconnected)],
            RegionHealth::default(),
        );
        let found = pd_conditions(&snap);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].summary,
            "store 4 (tikv1) is Disconnected in PD (last heartbeat 23.0s ago)"
        );
        assert_eq!(found[0].service.as_deref(), Some("tikv1"));
    }

    #[test]
    fn a_load_generator_stopped_by_the_story_is_no_incident() {
        let died = EventKind::Died { exit_code: Some(0) };
        let stopped = event_effect("load", Some(NodeRole::Load), false, &died);
        assert!(matches!(stopped, EventEffect::Nothing));
        let EventEffect::Open(crashed) = event_effect("load", Some(NodeRole::Load), true, &died)
        else {
            panic!("a load that dies while it should run is news");
        };
        assert_eq!(crashed.severity, Severity::Warning);
        let EventEffect::Open(tikv) = event_effect("tikv1", Some(NodeRole::Tikv), false, &died)
        else {
            panic!("a TiKV exit is always news");
        };
        assert_eq!(tikv.severity, Severity::Critical);
        assert_eq!(tikv.summary, "tikv1: process died (exit code 0)");
    }

    #[test]
    fn regions_led_from_a_dead_node_are_critical() {
        let snap = snapshot(
            vec![],
            RegionHealth {
                total: 64,
                led_from_dead_node: 21,
                ..RegionHealth::default()
            },
        );
        let found = pd_conditions(&snap);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].signal, Signal::RegionsLedFromDeadNode);
        assert_eq!(found[0].severity, Severity::Critical);
        assert_eq!(found[0].summary, "21 regions led from a dead node");
    }

    #[test]
    fn region_counts_are_pluralised() {
        let snap = snapshot(
            vec![],
            RegionHealth {
                total: 64,
                without_leader: 1,
                under_replicated: 20,
                led_from_dead_node: 0,
            },
        );
        let summaries: Vec<_> = pd_conditions(&snap)
            .into_iter()
            .map(|c| c.summary)
            .collect();
        assert_eq!(
            summaries,
            ["1 region without a leader", "20 regions under-replicated"]
        );
    }

    #[test]
    fn gate_needs_consecutive_readings_both_ways() {
        let mut gate = Gate::default();
        assert_eq!(gate.observe(true, false, 2), None);
        assert_eq!(gate.observe(false, false, 2), None); // in the band: streak broken
        assert_eq!(gate.observe(true, false, 2), None);
        assert_eq!(gate.observe(true, false, 2), Some(GateChange::TurnedOn));
        assert_eq!(gate.observe(true, false, 2), None);
        assert_eq!(gate.observe(false, true, 2), None);
        assert_eq!(gate.observe(false, false, 2), None);
        assert_eq!(gate.observe(false, true, 2), None);
        assert_eq!(gate.observe(false, true, 2), Some(GateChange::TurnedOff));
    }
}
