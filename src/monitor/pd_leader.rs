//! PD's leadership as its members tell it: a leader lost (no member named,
//! the followers answering 503) and a leader moved (another member named
//! than the last one seen). A stale picture (PD silent, its last members
//! kept) is no news either way.

use super::checks::Condition;
use crate::cluster::{ClusterSnapshot, DataSource, NodeRole};
use crate::incident::{Severity, Signal};
use crate::text::clean_line as plain;

/// The last leader PD's members named.
#[derive(Debug, Clone, Default)]
pub struct LeaderWatch {
    last: Option<String>,
}

/// What one snapshot says of PD's leadership.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeaderNews {
    pub open: Vec<Condition>,
    /// PD names a leader: "no leader" is over.
    pub has_leader: bool,
    /// A leader is named and every PD member runs again: a move is over.
    pub whole: bool,
}

impl LeaderWatch {
    pub fn observe(&mut self, snapshot: &ClusterSnapshot) -> LeaderNews {
        let mut news = LeaderNews::default();
        if snapshot.pd_members.is_empty() {
            return news;
        }
        let leader = snapshot.pd_members.iter().find(|m| m.is_leader);
        let Some(leader) = leader else {
            let summary = match snapshot.trouble(DataSource::Pd) {
                Some(why) if !snapshot.pd_reachable => plain(why).into_owned(),
                _ => "PD's members name no leader".to_string(),
            };
            news.open.push(Condition {
                signal: Signal::PdNoLeader,
                service: None,
                severity: Severity::Critical,
                summary,
            });
            return news;
        };
        if !snapshot.pd_reachable {
            return news;
        }
        news.has_leader = true;
        if let Some(last) = self.last.as_ref().filter(|last| **last != leader.name) {
            news.open.push(Condition {
                signal: Signal::PdLeaderChange,
                service: Some(last.clone()),
                severity: Severity::Warning,
                summary: format!(
                    "PD's leader moved from {} to {} (PD's members say)",
                    plain(last),
                    plain(&leader.name)
                ),
            });
        }
        self.last = Some(leader.name.clone());
        news.whole = snapshot
            .processes
            .iter()
            .filter(|p| p.role == NodeRole::Pd)
            .all(super::checks::process_is_well);
        news
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{PdMember, Process, ProcessState, SourceTrouble};
    use std::time::Duration;

    fn snapshot(leader: Option<&str>, reachable: bool, pd1: ProcessState) -> ClusterSnapshot {
        ClusterSnapshot {
            taken_at: Duration::ZERO,
            pd_reachable: reachable,
            pd_members: ["pd0", "pd1", "pd2"]
                .iter()
                .map(|name| PdMember {
                    name: name.to_string(),
                    client_url: format!("http://{name}:2379"),
                    is_leader: leader == Some(*name),
                    healthy: None,
                    serves_tso: None,
                })
                .collect(),
            stores: Vec::new(),
            regions: Default::default(),
            processes: vec![Process {
                service: "pd1".into(),
                role: NodeRole::Pd,
                state: pd1,
                network_connected: true,
                store: None,
                cpu_limit: None,
                packet_loss: None,
            }],
            troubles: if reachable {
                Vec::new()
            } else {
                vec![SourceTrouble {
                    source: DataSource::Pd,
                    message: "PD has no leader: pd0 and pd2 answer 503 (redirect finds no leader)"
                        .into(),
                }]
            },
        }
    }

    #[test]
    fn a_lost_then_moved_leader_is_told_once_each() {
        let mut watch = LeaderWatch::default();
        let running = ProcessState::Running;
        let dead = ProcessState::Exited {
            exit_code: Some(137),
        };
        let first = watch.observe(&snapshot(Some("pd1"), true, running.clone()));
        assert!(first.open.is_empty() && first.has_leader && first.whole);
        // Silent: the last picture still names pd1, which is no news.
        let stale = watch.observe(&snapshot(Some("pd1"), false, dead.clone()));
        assert_eq!(stale, LeaderNews::default());
        let lost = watch.observe(&snapshot(None, false, dead.clone()));
        assert_eq!(lost.open[0].signal, Signal::PdNoLeader);
        assert!(lost.open[0].summary.contains("503"), "{:?}", lost.open);
        let moved = watch.observe(&snapshot(Some("pd2"), true, dead));
        assert_eq!(moved.open[0].signal, Signal::PdLeaderChange);
        assert_eq!(moved.open[0].service.as_deref(), Some("pd1"));
        assert_eq!(
            moved.open[0].summary,
            "PD's leader moved from pd1 to pd2 (PD's members say)"
        );
        assert!(moved.has_leader && !moved.whole, "pd1 is still down");
        let back = watch.observe(&snapshot(Some("pd2"), true, running));
        assert!(back.open.is_empty() && back.whole);
    }
}
