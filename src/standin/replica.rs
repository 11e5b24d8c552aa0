//! One TiKV stand-in's raft state, pure: the simulator's region table seen
//! from one store, fed with which peers answered and what they said.
//!
//! A peer that stops answering loses its leaderships here after the
//! election timeout (the simulator's rule, [`RegionTable::store_lost`]); the
//! winner is agreed without messages ([`AgreedBallot`]), so the surviving
//! peers elect the same leader; a view with a later term is adopted, which
//! brings a node that was frozen, cut off or restarted back in step.

use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::pace::Pace;
use super::wire::{DownPeerReport, LeaderView, RaftView, RegionReport};
use crate::cluster::sim::raft::{AgreedBallot, RegionTable, Replicas};
use crate::cluster::sim::topology::Topology;

/// Who this store can reach: itself, and the peers that answered last.
struct Reachable<'a> {
    me: u8,
    answering: &'a [bool],
}

impl Replicas for Reachable<'_> {
    fn is_serving(&self, store: u8) -> bool {
        store == self.me || self.answering.get(store as usize).copied().unwrap_or(false)
    }

    fn can_lead(&self, store: u8) -> bool {
        self.is_serving(store)
    }
}

pub struct Replica {
    pub me: u8,
    pub store_ids: Vec<u64>,
    pace: Pace,
    table: RegionTable,
    answering: Vec<bool>,
    /// Since when each peer has been silent.
    silent_since: Vec<Option<Duration>>,
    /// A quorum answered at least once: before that, what this store
    /// believes is only the bootstrap picture, and it tells PD nothing.
    synced: bool,
    rng: ChaCha8Rng,
}

/// What changed in one round.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Round {
    /// Regions this store leads now and did not before.
    pub became_leader: Vec<u64>,
    /// Peers that stopped or started answering, by index.
    pub lost: Vec<u8>,
    pub back: Vec<u8>,
}

impl Replica {
    pub fn new(me: u8, topology: &Topology, pace: Pace) -> Self {
        let stores = topology.store_ids.len();
        Self {
            me,
            store_ids: topology.store_ids.clone(),
            pace,
            table: RegionTable::new(&topology.regions, stores),
            // Assumed answering: the first silent round starts the timeouts.
            answering: vec![true; stores],
            silent_since: vec![None; stores],
            synced: false,
            rng: ChaCha8Rng::seed_from_u64(u64::from(me)),
        }
    }

    pub fn store_id(&self) -> u64 {
        self.store_ids[self.me as usize]
    }

    pub fn pace(&self) -> Pace {
        self.pace
    }

    pub fn synced(&self) -> bool {
        self.synced
    }

    pub fn answering(&self) -> &[bool] {
        &self.answering
    }

    /// One round at `now`: `answers[p]` is what peer `p` said (None when it
    /// did not answer; this store's own entry is ignored).
    pub fn observe(&mut self, now: Duration, answers: &[Option<RaftView>]) -> Round {
        let before: Vec<bool> = self.leads_each();
        let mut round = Round::default();
        let timeout = self.pace.election_timeout();
        for peer in 0..self.answering.len() {
            if peer == self.me as usize {
                continue;
            }
            let answered = answers.get(peer).is_some_and(Option::is_some);
            if self.answering[peer] && !answered {
                self.table
                    .store_lost(peer as u8, now, true, timeout, &mut self.rng);
                self.silent_since[peer] = Some(now);
                round.lost.push(peer as u8);
            } else if !self.answering[peer] && answered {
                self.table.store_back(peer as u8);
                self.silent_since[peer] = None;
                round.back.push(peer as u8);
            }
            self.answering[peer] = answered;
        }
        for view in answers.iter().flatten() {
            for region in &view.regions {
                self.table.adopt(region.id, region.leader, region.term);
            }
        }
        let reachable = Reachable {
            me: self.me,
            answering: &self.answering,
        };
        let mut ballot = AgreedBallot { retry: timeout.min };
        self.table.run_elections_with(now, &reachable, &mut ballot);
        let answering = self.answering.iter().filter(|&&a| a).count();
        // Its own answer counts in the quorum.
        if answering * 2 > self.answering.len() {
            self.synced = true;
        }
        for (index, region) in self.table.regions().iter().enumerate() {
            if region.leader == Some(self.me) && !before[index] {
                round.became_leader.push(region.id);
            }
        }
        round
    }

    fn leads_each(&self) -> Vec<bool> {
        self.table
            .regions()
            .iter()
            .map(|r| r.leader == Some(self.me))
            .collect()
    }

    /// Whether this store leads region `id`, and so serves requests for it.
    pub fn leads(&self, id: u64) -> bool {
        self.table
            .index_of(id)
            .is_some_and(|i| self.table.regions()[i].leader == Some(self.me))
    }

    pub fn leader_count(&self) -> u32 {
        self.table.leader_count(self.me as usize)
    }

    pub fn region_count(&self) -> u32 {
        self.table.region_count(self.me as usize)
    }

    pub fn data_bytes(&self) -> u64 {
        self.table.data_bytes(self.me as usize)
    }

    pub fn view(&self) -> RaftView {
        RaftView {
            store_index: self.me,
            regions: self
                .table
                .regions()
                .iter()
                .map(|r| LeaderView {
                    id: r.id,
                    leader: r.leader,
                    term: r.term,
                })
                .collect(),
        }
    }

    /// The region heartbeat of the regions this store leads (all of them,
    /// or only `only`), with peers silent past `max-peer-down-duration`.
    pub fn reports(&self, now: Duration, only: Option<&[u64]>) -> Vec<RegionReport> {
        let down_after = self.pace.max_peer_down();
        self.table
            .regions()
            .iter()
            .filter(|r| r.leader == Some(self.me))
            .filter(|r| only.is_none_or(|ids| ids.contains(&r.id)))
            .map(|r| RegionReport {
                id: r.id,
                term: r.term,
                down_peers: r
                    .peers
                    .iter()
                    .filter_map(|&p| {
                        let since = self.silent_since[p as usize]?;
                        let down = now.saturating_sub(since);
                        (down > down_after).then(|| DownPeerReport {
                            store_id: self.store_ids[p as usize],
                            down_seconds: self.pace.on_pd_clock(down).as_secs(),
                        })
                    })
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::sim::topology::bootstrap;

    const SEC: Duration = Duration::from_secs(1);

    fn cluster() -> Vec<Replica> {
        let topology = bootstrap(3, 12, &mut ChaCha8Rng::seed_from_u64(7));
        (0..3)
            .map(|i| Replica::new(i, &topology, Pace::new(SEC)))
            .collect()
    }

    /// One round for every replica that runs: each hears the others that run.
    fn round(replicas: &mut [Replica], running: &[bool], now: Duration) -> Vec<Round> {
        let views: Vec<Option<RaftView>> = replicas
            .iter()
            .zip(running)
            .map(|(r, &up)| up.then(|| r.view()))
            .collect();
        replicas
            .iter_mut()
            .zip(running)
            .filter(|(_, up)| **up)
            .map(|(r, _)| r.observe(now, &views))
            .collect()
    }

    fn leaders(replica: &Replica) -> Vec<Option<u8>> {
        replica.view().regions.iter().map(|r| r.leader).collect()
    }

    #[test]
    fn survivors_agree_on_new_leaders_after_the_timeout() {
        let mut replicas = cluster();
        round(&mut replicas, &[true; 3], SEC);
        assert!(replicas.iter().all(Replica::synced));
        let led_by_2 = replicas[0]
            .view()
            .regions
            .iter()
            .filter(|r| r.leader == Some(2))
            .count();
        assert!(led_by_2 > 0);
        round(&mut replicas, &[true, true, false], SEC * 2);
        // Within the timeout: leaderless, no election yet.
        round(&mut replicas, &[true, true, false], SEC * 2 + SEC / 2);
        assert!(leaders(&replicas[0]).contains(&None));
        round(&mut replicas, &[true, true, false], SEC * 5);
        assert_eq!(leaders(&replicas[0]), leaders(&replicas[1]));
        assert!(!leaders(&replicas[0]).contains(&None));
        assert!(!leaders(&replicas[0]).contains(&Some(2)));
        assert_eq!(replicas[0].leader_count() + replicas[1].leader_count(), 12);
    }

    #[test]
    fn a_node_back_from_a_pause_adopts_the_later_terms() {
        let mut replicas = cluster();
        round(&mut replicas, &[true; 3], SEC);
        for t in 2..8 {
            round(&mut replicas, &[true, true, false], SEC * t);
        }
        // Store 2 froze: it saw nothing and still believes the old picture.
        assert!(replicas[2].leader_count() > 0);
        round(&mut replicas, &[true; 3], SEC * 9);
        assert_eq!(leaders(&replicas[2]), leaders(&replicas[0]));
        assert_eq!(replicas[2].leader_count(), 0);
    }

    #[test]
    fn a_cut_off_node_elects_nobody() {
        let mut replicas = cluster();
        round(&mut replicas, &[true; 3], SEC);
        let alone = vec![None, None, Some(replicas[2].view())];
        for t in 2..10 {
            replicas[2].observe(SEC * t, &alone);
        }
        let view = leaders(&replicas[2]);
        assert!(
            view.iter().all(|l| l.is_none() || *l == Some(2)),
            "{view:?}"
        );
    }

    #[test]
    fn a_restarted_node_reports_nothing_before_it_hears_a_quorum() {
        let topology = bootstrap(3, 12, &mut ChaCha8Rng::seed_from_u64(7));
        let mut lonely = Replica::new(0, &topology, Pace::new(SEC));
        lonely.observe(SEC, &[None, None, None]);
        assert!(!lonely.synced());
    }

    #[test]
    fn down_peers_only_after_the_scaled_ten_minutes() {
        let mut replicas = cluster();
        round(&mut replicas, &[true; 3], SEC);
        for t in 2..70 {
            round(&mut replicas, &[true, true, false], SEC * t);
        }
        let reports = replicas[0].reports(SEC * 30, None);
        assert!(reports.iter().all(|r| r.down_peers.is_empty()));
        let reports = replicas[0].reports(SEC * 69, None);
        assert!(reports.iter().any(|r| !r.down_peers.is_empty()));
        assert!(
            reports
                .iter()
                .flat_map(|r| &r.down_peers)
                .all(|d| d.store_id == replicas[0].store_ids[2])
        );
    }
}
