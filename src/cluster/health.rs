//! Whether the cluster is healthy by every signal: PD's view and the
//! runtime's, together. PD keeps a dead store Up for up to 20 s and the
//! runtime knows nothing of Raft, so neither alone may gate a fault. The same
//! code judges the simulator and a real cluster.

use crate::text::count;
use std::fmt;
use std::time::Duration;

use super::model::{ClusterSnapshot, DataSource, NodeRole, Process, ProcessState, Recovery, Store};

/// One reason the cluster is not healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    /// The node concerned, or `None` for the cluster as a whole.
    pub service: Option<String>,
    pub why: String,
}

impl fmt::Display for Trouble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.service {
            Some(service) => write!(f, "{service}: {}", self.why),
            None => f.write_str(&self.why),
        }
    }
}

fn trouble(service: Option<&str>, why: impl Into<String>) -> Trouble {
    Trouble {
        service: service.map(str::to_string),
        why: why.into(),
    }
}

// Here rather than beside the snapshot's other methods, so that the model
// knows nothing of the rules that judge it.
impl ClusterSnapshot {
    /// Healthy by every signal: see [`troubles`].
    pub fn is_healthy(&self) -> bool {
        troubles(self).is_empty()
    }
}

/// Everything that keeps the cluster from being healthy; empty when it is:
/// PD answers, every TiKV store is Up in PD, every region is led and fully
/// replicated, and every TiKV process runs, attached and not paused.
pub fn troubles(snapshot: &ClusterSnapshot) -> Vec<Trouble> {
    let mut found = Vec::new();
    if !snapshot.pd_reachable {
        let why = snapshot
            .trouble(DataSource::Pd)
            .unwrap_or("PD does not answer");
        found.push(trouble(None, why));
    }
    // A runtime that does not answer is one trouble, not one per store.
    let runtime_down = snapshot.trouble(DataSource::Runtime);
    if let Some(why) = runtime_down {
        found.push(trouble(None, why));
    }
    if snapshot.stores.is_empty() {
        found.push(trouble(None, "PD reports no TiKV store"));
    }
    // Unread regions may be leaderless: never called healthy unseen.
    if let Some(why) = snapshot.trouble(DataSource::PdRegions) {
        found.push(trouble(None, format!("regions unknown: {why}")));
    }
    for store in &snapshot.stores {
        let service = Some(store.service.as_str());
        if !store.state.is_up() {
            found.push(trouble(service, format!("PD says {}", store.state)));
        }
        match snapshot.process_of_store(store.id) {
            None if runtime_down.is_some() => {}
            None => found.push(trouble(service, "the runtime does not list its process")),
            Some(process) => {
                if let Some(why) = process_trouble(&process.state) {
                    found.push(trouble(service, why));
                }
                if !process.network_connected {
                    found.push(trouble(service, "cut off from the cluster network"));
                }
            }
        }
    }
    found.extend(pd_troubles(snapshot));
    if snapshot.regions.without_leader > 0 {
        found.push(trouble(
            None,
            format!(
                "{} without a leader",
                count(snapshot.regions.without_leader, "region", "regions")
            ),
        ));
    }
    if snapshot.regions.led_from_dead_node > 0 {
        found.push(trouble(
            None,
            format!(
                "{} led from a {} node",
                count(snapshot.regions.led_from_dead_node, "region", "regions"),
                crate::monitor::lost_node(snapshot)
            ),
        ));
    }
    if snapshot.regions.under_replicated > 0 {
        found.push(trouble(
            None,
            format!(
                "{} under-replicated",
                count(snapshot.regions.under_replicated, "region", "regions")
            ),
        ));
    }
    found
}

/// A node the runtime reported faulted and not yet well again (the
/// monitor's open process incident), with what it said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reported<'a> {
    pub service: &'a str,
    /// One line, `tikv0: process died (exit code 0)`.
    pub summary: &'a str,
}

/// What the runtime's events say beyond the snapshot: nodes they report
/// faulted (`reported`) that it does not show, and, while any event is
/// newer than it, that the picture is older than the news.
pub fn reported_by_events<'a>(
    snapshot: &ClusterSnapshot,
    known: &[Trouble],
    last_event_at: Option<Duration>,
    reported: impl Iterator<Item = Reported<'a>>,
) -> Vec<Trouble> {
    let mut found: Vec<Trouble> = Vec::new();
    for Reported { service, summary } in reported {
        let already = known
            .iter()
            .chain(&found)
            .any(|t| t.service.as_deref() == Some(service));
        if !already {
            let what = summary
                .strip_prefix(&format!("{service}: "))
                .unwrap_or(summary);
            found.push(trouble(
                Some(service),
                format!("the runtime reported: {what}"),
            ));
        }
    }
    if last_event_at.is_some_and(|at| at > snapshot.taken_at) {
        found.push(trouble(
            None,
            "waiting for a picture newer than the runtime's last event",
        ));
    }
    found
}

/// The TiKV nodes a random fault may hit, sorted: Up in PD and, by the
/// runtime, running, attached and not paused. PD keeps a dead store Up for
/// up to 20 s, so PD alone would pick a second node while one is down.
pub fn fault_candidates(snapshot: &ClusterSnapshot) -> Vec<&str> {
    let mut found: Vec<&str> = snapshot
        .stores
        .iter()
        .filter(|store| store.state.is_up())
        .filter_map(|store| snapshot.process_of_store(store.id))
        .filter(|process| is_serving(process))
        .map(|process| process.service.as_str())
        .collect();
    found.sort_unstable();
    found
}

/// Regions whose PD-known leader sits on a node the runtime shows dead,
/// paused or cut off: PD's leader count of each such store, summed. PD
/// keeps a dead leader until a new one reports, so this is the figure that
/// moves during a fault, on a real cluster and the simulator alike. A store
/// the runtime does not list counts as not dead (nothing says it is).
pub fn led_from_dead_node(stores: &[Store], processes: &[Process]) -> u64 {
    stores
        .iter()
        .filter(|store| {
            processes
                .iter()
                .find(|p| p.store == Some(store.id))
                .is_some_and(|p| !is_serving(p))
        })
        .map(|store| store.leader_count)
        .sum()
}

/// Running, attached and not paused: a process that can serve.
pub fn is_serving(process: &Process) -> bool {
    process.state == ProcessState::Running && process.network_connected
}

fn process_trouble(state: &ProcessState) -> Option<String> {
    match state {
        ProcessState::Running => None,
        ProcessState::Paused => Some("its process is paused".into()),
        ProcessState::Exited {
            exit_code: Some(code),
        } => Some(format!("its process exited (code {code})")),
        ProcessState::Exited { exit_code: None } => Some("its process exited".into()),
        ProcessState::Other(state) => Some(format!("its process is {state}")),
    }
}

/// PD's own part: every member's process runs, attached and not paused,
/// PD's members name a leader, and it serves TSO where that is known.
fn pd_troubles(snapshot: &ClusterSnapshot) -> Vec<Trouble> {
    let mut found = Vec::new();
    for process in snapshot.processes.iter().filter(|p| p.role == NodeRole::Pd) {
        let service = Some(process.service.as_str());
        if let Some(why) = process_trouble(&process.state) {
            found.push(trouble(service, why));
        } else if !process.network_connected {
            found.push(trouble(service, "cut off from the cluster network"));
        }
    }
    // A silent PD's members are its last answer: said above, not judged.
    if snapshot.pd_reachable {
        for member in snapshot
            .pd_members
            .iter()
            .filter(|m| m.healthy == Some(false))
        {
            let named = found
                .iter()
                .any(|t| t.service.as_deref() == Some(&member.name));
            if !named {
                found.push(trouble(
                    Some(&member.name),
                    "PD's health check says unhealthy",
                ));
            }
        }
    }
    if !snapshot.pd_reachable || snapshot.pd_members.is_empty() {
        return found;
    }
    match snapshot.pd_members.iter().find(|m| m.is_leader) {
        None => found.push(trouble(None, "PD's members name no leader")),
        Some(leader) if leader.serves_tso == Some(false) => found.push(trouble(
            Some(&leader.name),
            "leads PD but does not serve TSO yet",
        )),
        Some(_) => {}
    }
    found
}

/// A TiKV node the runtime shows faulted, and what would undo it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub service: String,
    pub recovery: Recovery,
    pub why: String,
}

/// TiKV and PD nodes left exited, paused or cut off (by an earlier run, or
/// by hand), from the runtime's view alone: what start-up and the kiosk heal.
pub fn leftovers(snapshot: &ClusterSnapshot) -> Vec<Leftover> {
    let mut found = Vec::new();
    for process in snapshot
        .processes
        .iter()
        .filter(|p| matches!(p.role, NodeRole::Tikv | NodeRole::Pd))
    {
        let recovery = match process.state {
            ProcessState::Paused => Some(Recovery::Unpause),
            ProcessState::Exited { .. } => Some(Recovery::Start),
            ProcessState::Running | ProcessState::Other(_) => None,
        };
        if let (Some(recovery), Some(why)) = (recovery, process_trouble(&process.state)) {
            found.push(Leftover {
                service: process.service.clone(),
                recovery,
                why,
            });
        } else if !process.network_connected {
            found.push(Leftover {
                service: process.service.clone(),
                recovery: Recovery::Reconnect,
                why: "cut off from the cluster network".into(),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::cluster::model::{Process, RegionHealth, Store, StoreState};

    fn snapshot() -> ClusterSnapshot {
        let services = ["tikv0", "tikv1", "tikv2"];
        ClusterSnapshot {
            taken_at: Duration::ZERO,
            pd_reachable: true,
            pd_members: Vec::new(),
            stores: services
                .iter()
                .enumerate()
                .map(|(i, s)| Store {
                    id: i as u64 + 1,
                    service: s.to_string(),
                    address: format!("{s}:20160"),
                    state: StoreState::Up,
                    leader_count: 1,
                    region_count: 3,
                    heartbeat_age: None,
                    capacity_bytes: None,
                    available_bytes: None,
                })
                .collect(),
            regions: RegionHealth {
                total: 3,
                without_leader: 0,
                under_replicated: 0,
                led_from_dead_node: 0,
            },
            processes: services
                .iter()
                .enumerate()
                .map(|(i, s)| Process {
                    service: s.to_string(),
                    role: NodeRole::Tikv,
                    state: ProcessState::Running,
                    network_connected: true,
                    store: Some(i as u64 + 1),
                    cpu_limit: None,
                    packet_loss: None,
                })
                .collect(),
            troubles: Vec::new(),
        }
    }

    #[test]
    fn a_silent_runtime_is_one_trouble_with_its_reason() {
        let mut partial = snapshot();
        partial.processes.clear();
        partial.troubles.push(crate::cluster::SourceTrouble {
            source: DataSource::Runtime,
            message: "Docker unreachable: no socket".into(),
        });
        let found: Vec<String> = troubles(&partial).iter().map(ToString::to_string).collect();
        assert_eq!(found, vec!["Docker unreachable: no socket".to_string()]);
    }

    #[test]
    fn a_healthy_cluster_has_no_trouble() {
        assert!(troubles(&snapshot()).is_empty());
        assert!(leftovers(&snapshot()).is_empty());
    }

    #[test]
    fn any_one_signal_is_enough() {
        let mut pd_down = snapshot();
        pd_down.stores[1].state = StoreState::Disconnected;
        let mut exited = snapshot();
        exited.processes[1].state = ProcessState::Exited {
            exit_code: Some(137),
        };
        let mut paused = snapshot();
        paused.processes[1].state = ProcessState::Paused;
        let mut cut = snapshot();
        cut.processes[1].network_connected = false;
        let mut missing = snapshot();
        missing.processes.remove(1);
        for (what, s) in [
            ("PD says Disconnected", pd_down),
            ("exited (code 137)", exited),
            ("paused", paused),
            ("cut off", cut),
            ("does not list", missing),
        ] {
            let found = troubles(&s);
            assert_eq!(found.len(), 1, "{what}: {found:?}");
            assert_eq!(found[0].service.as_deref(), Some("tikv1"));
            assert!(found[0].why.contains(what), "{what}: {found:?}");
        }
    }

    #[test]
    fn regions_led_from_a_dead_paused_or_cut_off_node_are_counted() {
        let mut s = snapshot();
        for (store, leaders) in s.stores.iter_mut().zip([5, 7, 11]) {
            store.leader_count = leaders;
        }
        assert_eq!(led_from_dead_node(&s.stores, &s.processes), 0);
        s.processes[0].state = ProcessState::Exited {
            exit_code: Some(137),
        };
        s.processes[1].state = ProcessState::Paused;
        assert_eq!(led_from_dead_node(&s.stores, &s.processes), 12);
        s.processes[0].state = ProcessState::Running;
        s.processes[2].network_connected = false;
        assert_eq!(led_from_dead_node(&s.stores, &s.processes), 18);
        // PD still Up for them: the runtime alone says they are gone.
        assert!(s.stores.iter().all(|st| st.state.is_up()));
        s.processes.clear();
        assert_eq!(led_from_dead_node(&s.stores, &s.processes), 0);
    }

    #[test]
    fn a_random_fault_hits_only_a_node_well_by_both_views() {
        let mut s = snapshot();
        assert_eq!(fault_candidates(&s), ["tikv0", "tikv1", "tikv2"]);
        // Stopped by hand a moment ago: PD still says Up.
        s.processes[0].state = ProcessState::Exited { exit_code: Some(0) };
        s.processes[1].network_connected = false;
        s.stores[2].state = StoreState::Disconnected;
        assert!(fault_candidates(&s).is_empty());
        let mut unlisted = snapshot();
        unlisted.processes.remove(1);
        assert_eq!(fault_candidates(&unlisted), ["tikv0", "tikv2"]);
    }

    #[test]
    fn an_event_newer_than_the_snapshot_holds_the_gate() {
        let died = Reported {
            service: "tikv0",
            summary: "tikv0: process died (exit code 0)",
        };
        let s = snapshot();
        let said = |s: &ClusterSnapshot, last: u64| -> Vec<String> {
            let last = Some(Duration::from_secs(last));
            reported_by_events(s, &troubles(s), last, [died].into_iter())
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            said(&s, 5),
            [
                "tikv0: the runtime reported: process died (exit code 0)",
                "waiting for a picture newer than the runtime's last event"
            ]
        );
        // Said once: a later snapshot shows it.
        let mut exited = snapshot();
        exited.taken_at = Duration::from_secs(6);
        exited.processes[0].state = ProcessState::Exited { exit_code: Some(0) };
        assert!(said(&exited, 5).is_empty());
    }

    #[test]
    fn stores_and_processes_are_joined_by_the_store_id_not_by_name() {
        // PD names the stores by address, the runtime its processes by
        // service: only the store id ties them.
        let mut s = snapshot();
        for store in &mut s.stores {
            store.service = format!("10.0.0.{}:20160", store.id);
        }
        assert!(troubles(&s).is_empty(), "{:?}", troubles(&s));
        assert_eq!(fault_candidates(&s), ["tikv0", "tikv1", "tikv2"]);
        s.processes[1].state = ProcessState::Paused;
        let found: Vec<String> = troubles(&s).iter().map(ToString::to_string).collect();
        assert_eq!(found, ["10.0.0.2:20160: its process is paused"]);
        assert_eq!(fault_candidates(&s), ["tikv0", "tikv2"]);
        assert_eq!(led_from_dead_node(&s.stores, &s.processes), 1);
        assert_eq!(s.store("tikv1").map(|store| store.id), Some(2));
        // A process serving no store known is not the store's process.
        s.processes[1].store = None;
        assert_eq!(led_from_dead_node(&s.stores, &s.processes), 0);
        let found: Vec<String> = troubles(&s).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["10.0.0.2:20160: the runtime does not list its process"]
        );
        assert_eq!(s.store("tikv1"), None);
        // Without the runtime's list, a node's store is the one of its name.
        s.processes.clear();
        assert_eq!(s.store("10.0.0.3:20160").map(|store| store.id), Some(3));
    }

    #[test]
    fn the_figure_is_a_trouble_of_its_own() {
        let mut s = snapshot();
        s.regions.led_from_dead_node = 3;
        let found: Vec<String> = troubles(&s).iter().map(ToString::to_string).collect();
        assert_eq!(found, vec!["3 regions led from a dead node".to_string()]);
    }

    #[test]
    fn leftovers_name_the_recovery() {
        let mut s = snapshot();
        s.processes[0].state = ProcessState::Paused;
        s.processes[1].state = ProcessState::Exited { exit_code: None };
        s.processes[2].network_connected = false;
        let found: Vec<(String, Recovery)> = leftovers(&s)
            .into_iter()
            .map(|l| (l.service, l.recovery))
            .collect();
        assert_eq!(
            found,
            [
                ("tikv0".into(), Recovery::Unpause),
                ("tikv1".into(), Recovery::Start),
                ("tikv2".into(), Recovery::Reconnect),
            ]
        );
    }
}
