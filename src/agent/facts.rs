//! Facts drawn from evidence: what each node's process did (episodes), what PD
//! said about its store, and what the cluster and workload went through.
//! Pure functions; the analyzer reasons over their results.

use std::collections::BTreeMap;
use std::time::Duration;

use super::evidence::Evidence;
use crate::cluster::{
    ClusterSnapshot, CpuLimit, EventKind, NodeRole, PacketLoss, Process, ProcessState, StoreState,
};

/// What went wrong with a node's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symptom {
    Died {
        exit_code: Option<i64>,
    },
    Paused,
    Disconnected,
    /// Running and connected, but held to far less CPU than its peers.
    Starved {
        limit: CpuLimit,
    },
    /// Running and connected, but its packet filter drops a share of what
    /// it sends and receives.
    Lossy {
        loss: PacketLoss,
    },
}

/// Held to less than this share of the least its peers get counts as
/// starved: a limit the whole cluster shares is how it was deployed.
const STARVED_BELOW: f64 = 0.5;

/// The CPU limit that starves `process` beside the other TiKV processes
/// of `snapshot`, if one does (no limit counts as the host's whole CPU).
fn starved(process: &Process, snapshot: &ClusterSnapshot) -> Option<CpuLimit> {
    let limit = process.cpu_limit?;
    let peers = snapshot
        .processes
        .iter()
        .filter(|p| p.role == NodeRole::Tikv && p.service != process.service);
    let mut least: Option<f64> = None;
    for peer in peers {
        // A peer without a limit has all the host has: the starving is plain.
        let cpus = peer.cpu_limit.map_or(f64::INFINITY, CpuLimit::cpus);
        least = Some(least.map_or(cpus, |l| l.min(cpus)));
    }
    (limit.cpus() < least? * STARVED_BELOW).then_some(limit)
}

impl Symptom {
    fn same_kind(self, other: Symptom) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
    }

    pub fn describe(self) -> String {
        match self {
            Self::Died {
                exit_code: Some(code),
            } => format!("died (exit code {code})"),
            Self::Died { exit_code: None } => "died (exit code unknown)".into(),
            Self::Paused => "paused".into(),
            Self::Disconnected => "cut off from the network".into(),
            Self::Starved { limit } => format!("starved of CPU (held to {limit})"),
            Self::Lossy { loss } => format!("dropping {loss} of its packets"),
        }
    }
}

/// One spell of a node being unwell, from runtime events and/or the process
/// states in snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub service: String,
    pub symptom: Symptom,
    pub onset: Duration,
    pub from_event: bool,
    pub from_snapshot: bool,
    /// When the node was seen well again.
    pub ended_at: Option<Duration>,
}

#[derive(Debug, Clone, Copy)]
enum Observation {
    Unwell(Symptom),
    /// The event that undoes one kind of symptom.
    Undone(Symptom),
    /// The runtime shows it running and connected: undoes anything.
    Well,
}

/// Every node episode in the evidence, ordered by onset.
pub fn episodes(evidence: &Evidence) -> Vec<Episode> {
    // (time, from_event, observation) per service.
    let mut per_service: BTreeMap<&str, Vec<(Duration, bool, Observation)>> = BTreeMap::new();
    for event in &evidence.events {
        let observation = match event.kind {
            EventKind::Died { exit_code } => Observation::Unwell(Symptom::Died { exit_code }),
            EventKind::Paused => Observation::Unwell(Symptom::Paused),
            EventKind::NetworkDisconnected => Observation::Unwell(Symptom::Disconnected),
            EventKind::Started => Observation::Undone(Symptom::Died { exit_code: None }),
            EventKind::Unpaused => Observation::Undone(Symptom::Paused),
            EventKind::NetworkReconnected => Observation::Undone(Symptom::Disconnected),
            EventKind::Health(_) => continue,
        };
        per_service
            .entry(&event.service)
            .or_default()
            .push((event.at, true, observation));
    }
    for snapshot in &evidence.snapshots {
        for process in &snapshot.processes {
            if !matches!(process.role, NodeRole::Tikv | NodeRole::Pd) {
                continue;
            }
            let observation = match &process.state {
                ProcessState::Running if process.network_connected => {
                    match (starved(process, snapshot), process.packet_loss) {
                        (Some(limit), _) => Observation::Unwell(Symptom::Starved { limit }),
                        (None, Some(loss)) => Observation::Unwell(Symptom::Lossy { loss }),
                        (None, None) => Observation::Well,
                    }
                }
                ProcessState::Running => Observation::Unwell(Symptom::Disconnected),
                ProcessState::Paused => Observation::Unwell(Symptom::Paused),
                ProcessState::Exited { exit_code } => Observation::Unwell(Symptom::Died {
                    exit_code: *exit_code,
                }),
                ProcessState::Other(_) => continue,
            };
            per_service.entry(&process.service).or_default().push((
                snapshot.taken_at,
                false,
                observation,
            ));
        }
    }

    let mut found = Vec::new();
    for (service, mut observations) in per_service {
        // Events first at equal times: a snapshot at the same instant may
        // predate the event.
        observations.sort_by_key(|(at, from_event, _)| (*at, !*from_event));
        fold_service(service, &observations, &mut found);
    }
    found.sort_by_key(|e| e.onset);
    found
}

fn fold_service(
    service: &str,
    observations: &[(Duration, bool, Observation)],
    found: &mut Vec<Episode>,
) {
    let mut open: Option<Episode> = None;
    let mut last_event_at: Option<Duration> = None;
    for &(at, from_event, observation) in observations {
        if from_event {
            last_event_at = Some(at);
        } else if last_event_at.is_some_and(|event_at| at <= event_at) {
            continue; // the runtime's picture may lag its own events
        }
        match observation {
            Observation::Unwell(symptom) => match open.as_mut() {
                Some(episode) if episode.symptom.same_kind(symptom) => {
                    episode.from_event |= from_event;
                    episode.from_snapshot |= !from_event;
                    if let (
                        Symptom::Died { exit_code: None },
                        Symptom::Died {
                            exit_code: Some(code),
                        },
                    ) = (episode.symptom, symptom)
                    {
                        episode.symptom = Symptom::Died {
                            exit_code: Some(code),
                        };
                    }
                }
                _ => {
                    if let Some(mut previous) = open.take() {
                        previous.ended_at = Some(at);
                        found.push(previous);
                    }
                    open = Some(Episode {
                        service: service.to_string(),
                        symptom,
                        onset: at,
                        from_event,
                        from_snapshot: !from_event,
                        ended_at: None,
                    });
                }
            },
            Observation::Undone(symptom) => {
                if open.as_ref().is_some_and(|e| e.symptom.same_kind(symptom)) {
                    if let Some(mut episode) = open.take() {
                        episode.ended_at = Some(at);
                        found.push(episode);
                    }
                }
            }
            Observation::Well => {
                if open.as_ref().is_some_and(|e| at > e.onset) {
                    if let Some(mut episode) = open.take() {
                        episode.ended_at = Some(at);
                        found.push(episode);
                    }
                }
            }
        }
    }
    found.extend(open);
}

/// What PD said about one node's store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreFacts {
    pub store_id: Option<u64>,
    /// In the latest snapshot with a current PD picture.
    pub latest_state: Option<StoreState>,
    pub latest_heartbeat_age: Option<Duration>,
    /// First time at or after the onset PD showed the store not Up.
    pub first_not_up: Option<(Duration, StoreState)>,
    /// PD stopped hearing from it: not Up, or a heartbeat older than any seen
    /// while healthy (at least one interval missed).
    pub heartbeats_stopped: bool,
    /// The store had leaders before, and its leader count reached 0 before
    /// the onset: leaders were handed over while it was still alive.
    pub drained_at: Option<Duration>,
    pub leaders_before: Option<u64>,
}

pub fn store_facts(evidence: &Evidence, service: &str, onset: Duration) -> StoreFacts {
    let mut facts = StoreFacts::default();
    let mut healthy_max_age = Duration::ZERO;
    let mut had_leaders = false;
    for snapshot in current_pd(evidence) {
        let Some(store) = snapshot.store(service) else {
            continue;
        };
        facts.store_id = Some(store.id);
        facts.latest_state = Some(store.state.clone());
        facts.latest_heartbeat_age = store.heartbeat_age;
        if snapshot.taken_at < onset {
            if store.state.is_up() {
                healthy_max_age = healthy_max_age.max(store.heartbeat_age.unwrap_or_default());
            }
            if store.leader_count > 0 {
                had_leaders = true;
                facts.leaders_before = Some(store.leader_count);
                facts.drained_at = None;
            } else if had_leaders && facts.drained_at.is_none() {
                facts.drained_at = Some(snapshot.taken_at);
            }
            continue;
        }
        if !store.state.is_up() {
            facts.heartbeats_stopped = true;
            if facts.first_not_up.is_none() {
                facts.first_not_up = Some((snapshot.taken_at, store.state.clone()));
            }
        }
        let stale = store.heartbeat_age.is_some_and(|age| {
            age > healthy_max_age.max(crate::cluster::pd_rules::DEFAULT_HEARTBEAT_INTERVAL)
        });
        facts.heartbeats_stopped |= stale;
    }
    // A hand-over long before is another story (an earlier stop, say).
    if facts.drained_at.is_some_and(|at| at + DRAIN_WINDOW < onset) {
        facts.drained_at = None;
    }
    facts
}

/// How long before an exit a leader hand-over still counts as part of it.
pub const DRAIN_WINDOW: Duration = Duration::from_secs(60);

/// What the cluster and the workload went through from `from` to `until`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImpactFacts {
    pub leaderless_peak: u64,
    /// Leaderless in the window's last snapshot: what is still so, where
    /// the peak is what was.
    pub leaderless_now: u64,
    /// The peak of PD's own count (regions PD reports without a leader);
    /// the rest of `leaderless_peak` is led from a node the runtime shows
    /// gone, a join of PD's regions with the runtime's view.
    pub pd_without_leader_peak: u64,
    /// What the runtime showed of the node regions were led from at the
    /// peak, in the Cluster panel's word: `dead`, `frozen`, `cut-off`.
    pub lost: &'static str,
    pub leaderless_first: Option<Duration>,
    /// First snapshot after the peak with every region led again.
    pub leaderless_cleared: Option<Duration>,
    pub under_replicated_peak: u64,
    pub min_ops: Option<(Duration, f64)>,
    pub baseline: Option<f64>,
    pub max_errors: f64,
    pub max_p99: Option<Duration>,
    /// Highest p99 before the window: what normal looked like.
    pub p99_before: Duration,
    /// Latest snapshot had no current PD picture.
    pub pd_unreachable_at: Option<Duration>,
}

pub fn impact_facts(evidence: &Evidence, from: Duration, until: Option<Duration>) -> ImpactFacts {
    let in_window = |at: Duration| at >= from && until.is_none_or(|end| at <= end);
    let mut facts = ImpactFacts {
        baseline: evidence.baseline.filter(|b| b.is_finite() && *b > 0.0),
        ..ImpactFacts::default()
    };
    for snapshot in current_pd(evidence).filter(|s| in_window(s.taken_at)) {
        let regions = snapshot.regions;
        // PD keeps a dead leader until a new one reports: a region led from
        // a dead node has no leader that serves.
        let leaderless = regions
            .without_leader
            .saturating_add(regions.led_from_dead_node);
        if leaderless > 0 {
            facts.leaderless_first.get_or_insert(snapshot.taken_at);
            facts.leaderless_cleared = None;
        } else if facts.leaderless_first.is_some() && facts.leaderless_cleared.is_none() {
            facts.leaderless_cleared = Some(snapshot.taken_at);
        }
        if leaderless > facts.leaderless_peak {
            facts.lost = crate::monitor::lost_node(snapshot);
        }
        facts.leaderless_peak = facts.leaderless_peak.max(leaderless);
        facts.leaderless_now = leaderless;
        facts.pd_without_leader_peak = facts.pd_without_leader_peak.max(regions.without_leader);
        facts.under_replicated_peak = facts.under_replicated_peak.max(regions.under_replicated);
    }
    facts.p99_before = evidence
        .samples
        .iter()
        .filter(|s| s.at < from)
        .filter_map(|s| s.p99)
        .max()
        .unwrap_or_default();
    for sample in evidence.samples.iter().filter(|s| in_window(s.at)) {
        if sample.ops_per_sec.is_finite()
            && facts
                .min_ops
                .is_none_or(|(_, min)| sample.ops_per_sec < min)
        {
            facts.min_ops = Some((sample.at, sample.ops_per_sec));
        }
        if sample.errors_per_sec.is_finite() {
            facts.max_errors = facts.max_errors.max(sample.errors_per_sec);
        }
        if let Some(p99) = sample.p99 {
            facts.max_p99 = Some(facts.max_p99.map_or(p99, |max| max.max(p99)));
        }
    }
    facts.pd_unreachable_at = evidence
        .snapshots
        .last()
        .filter(|s| !s.pd_reachable)
        .map(|s| s.taken_at);
    facts
}

/// Snapshots whose store and region figures are current (PD answered).
pub fn current_pd(evidence: &Evidence) -> impl Iterator<Item = &ClusterSnapshot> {
    evidence.snapshots.iter().filter(|s| s.pd_reachable)
}

/// A store PD no longer hears from, with no process evidence to say why:
/// the one not Up in the latest current snapshot, with when that began.
pub fn silent_store(evidence: &Evidence) -> Option<(String, Duration, StoreState)> {
    let latest = current_pd(evidence).last()?;
    let store = latest
        .stores
        .iter()
        .find(|s| !s.state.is_up() && s.state != StoreState::Tombstone)?;
    // Walk back to the start of its current spell of not being Up.
    let mut onset = latest.taken_at;
    for snapshot in current_pd(evidence).collect::<Vec<_>>().into_iter().rev() {
        match snapshot.store(&store.service) {
            Some(s) if !s.state.is_up() => onset = snapshot.taken_at,
            _ => break,
        }
    }
    Some((store.service.clone(), onset, store.state.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{ClusterEvent, Process};

    fn event(at: u64, kind: EventKind) -> ClusterEvent {
        ClusterEvent {
            at: Duration::from_secs(at),
            service: "tikv2".into(),
            kind,
        }
    }

    fn snapshot(at: u64, state: ProcessState) -> ClusterSnapshot {
        ClusterSnapshot {
            taken_at: Duration::from_secs(at),
            pd_reachable: true,
            pd_members: vec![],
            stores: vec![],
            regions: Default::default(),
            processes: vec![Process {
                service: "tikv2".into(),
                role: NodeRole::Tikv,
                state,
                network_connected: true,
                store: None,
                cpu_limit: None,
                packet_loss: None,
            }],
            troubles: Vec::new(),
        }
    }

    fn evidence(snapshots: Vec<ClusterSnapshot>, events: Vec<ClusterEvent>) -> Evidence {
        Evidence {
            now: Duration::from_secs(60),
            snapshots,
            events,
            samples: vec![],
            baseline: None,
            incidents: vec![],
        }
    }

    #[test]
    fn a_lagging_snapshot_does_not_end_an_episode() {
        let found = episodes(&evidence(
            vec![snapshot(5, ProcessState::Running)],
            vec![event(5, EventKind::Died { exit_code: None })],
        ));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ended_at, None);
    }

    #[test]
    fn the_runtime_state_fills_in_a_missing_exit_code() {
        let found = episodes(&evidence(
            vec![snapshot(
                6,
                ProcessState::Exited {
                    exit_code: Some(137),
                },
            )],
            vec![event(5, EventKind::Died { exit_code: None })],
        ));
        assert_eq!(
            found[0].symptom,
            Symptom::Died {
                exit_code: Some(137)
            }
        );
        assert!(found[0].from_event && found[0].from_snapshot);
    }

    #[test]
    fn only_the_matching_event_undoes_a_symptom() {
        let found = episodes(&evidence(
            vec![],
            vec![
                event(5, EventKind::Died { exit_code: Some(0) }),
                event(6, EventKind::Unpaused),
                event(9, EventKind::Started),
                event(20, EventKind::Paused),
            ],
        ));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].ended_at, Some(Duration::from_secs(9)));
        assert_eq!(found[1].symptom, Symptom::Paused);
        assert_eq!(found[1].ended_at, None);
    }
}
