//! What PD's members said of their leadership around a node's onset: did
//! the node lead PD, when did they name no leader (their followers' 503s),
//! whom did they name next and when did it serve TSO. Pure, from the
//! snapshots alone.

use std::time::Duration;

use super::evidence::Evidence;
use crate::cluster::ClusterSnapshot;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdLeaderFacts {
    /// The node was PD's leader in the last picture before its onset.
    pub led: bool,
    /// First picture at or after the onset whose members named no leader.
    pub no_leader_at: Option<Duration>,
    /// First current picture after the onset naming another leader.
    pub elected: Option<(Duration, String)>,
    /// First picture after the election whose leader served TSO (only
    /// where the backend says; PD's HTTP API does not).
    pub tso_at: Option<Duration>,
}

fn leader(snapshot: &ClusterSnapshot) -> Option<&str> {
    snapshot
        .pd_members
        .iter()
        .find(|m| m.is_leader)
        .map(|m| m.name.as_str())
}

pub fn pd_leader_facts(evidence: &Evidence, service: &str, onset: Duration) -> PdLeaderFacts {
    let mut facts = PdLeaderFacts::default();
    let before = evidence
        .snapshots
        .iter()
        .rev()
        .filter(|s| s.taken_at < onset && s.pd_reachable)
        .find_map(leader);
    facts.led = before == Some(service);
    if !facts.led {
        return facts;
    }
    for snapshot in evidence.snapshots.iter().filter(|s| s.taken_at >= onset) {
        let named = leader(snapshot);
        if named.is_none() && !snapshot.pd_members.is_empty() {
            facts.no_leader_at.get_or_insert(snapshot.taken_at);
        }
        let Some(named) = named.filter(|n| *n != service && snapshot.pd_reachable) else {
            continue;
        };
        if facts.elected.is_none() {
            facts.elected = Some((snapshot.taken_at, named.to_string()));
        }
        let serves = snapshot
            .pd_members
            .iter()
            .any(|m| m.is_leader && m.serves_tso == Some(true));
        if serves && facts.tso_at.is_none() {
            facts.tso_at = Some(snapshot.taken_at);
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::PdMember;

    fn snap(at: u64, leader: Option<&str>, reachable: bool, tso: bool) -> ClusterSnapshot {
        ClusterSnapshot {
            taken_at: Duration::from_secs(at),
            pd_reachable: reachable,
            pd_members: ["pd0", "pd1"]
                .iter()
                .map(|n| PdMember {
                    name: n.to_string(),
                    client_url: String::new(),
                    is_leader: leader == Some(*n),
                    healthy: None,
                    serves_tso: (leader == Some(*n)).then_some(tso),
                })
                .collect(),
            stores: vec![],
            regions: Default::default(),
            processes: vec![],
            troubles: vec![],
        }
    }

    #[test]
    fn a_leader_lost_then_replaced_is_read_in_order() {
        let evidence = Evidence {
            now: Duration::from_secs(20),
            snapshots: vec![
                snap(1, Some("pd1"), true, true),
                snap(3, Some("pd1"), false, true),
                snap(5, None, false, false),
                snap(7, Some("pd0"), true, false),
                snap(8, Some("pd0"), true, true),
            ],
            events: vec![],
            samples: vec![],
            baseline: None,
            incidents: vec![],
        };
        let facts = pd_leader_facts(&evidence, "pd1", Duration::from_secs(2));
        assert!(facts.led);
        assert_eq!(facts.no_leader_at, Some(Duration::from_secs(5)));
        assert_eq!(facts.elected, Some((Duration::from_secs(7), "pd0".into())));
        assert_eq!(facts.tso_at, Some(Duration::from_secs(8)));
        let follower = pd_leader_facts(&evidence, "pd0", Duration::from_secs(2));
        assert_eq!(follower, PdLeaderFacts::default());
    }
}
