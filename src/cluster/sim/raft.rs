//! Regions and their leaders: raft elections after a leader is lost, PD's
//! evict-stopping-store scheduler before a graceful stop and PD's
//! balance-leader scheduler afterwards.
//!
//! A region has at most one leader by construction (`Option`), and every
//! change of leader goes through [`RegionTable::set_leader`], which keeps the
//! per-store leader counts in step and starts a new term, as Raft does.
//!
//! Two users share this one model: the simulator, which knows every node
//! ([`SimNode`]) and draws winners at random, and each TiKV stand-in
//! (`crate::standin`), which knows its peers only by whether they answer and
//! must pick the same winner as its peers do ([`Ballot`]), adopting a peer's
//! leader when it carries a later term ([`RegionTable::adopt`]).

use std::time::Duration;

use rand::Rng;

use super::node::SimNode;
use super::topology::{REPLICAS, RegionSeed};

/// Leader transfers PD's balance-leader scheduler makes per round
/// (PD's `leader-schedule-limit` default).
pub const BALANCE_LIMIT: usize = 4;
/// Leaders the evict-stopping-store scheduler moves per simulation step.
pub const EVICT_PER_STEP: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub id: u64,
    pub peers: [u8; REPLICAS],
    pub leader: Option<u8>,
    /// The leader that went silent while frozen or cut off; if it comes back
    /// before the followers time out, it simply carries on.
    pub silent_leader: Option<u8>,
    pub weight: f64,
    /// Raft's term: one more at each change of leader (an election or a
    /// transfer), so of two views of a region the later one is known.
    pub term: u64,
}

/// What an election needs to know of the replicas, by store index.
pub trait Replicas {
    /// Takes part in raft (alive and reachable).
    fn is_serving(&self, store: u8) -> bool;
    /// May take a region's leadership.
    fn can_lead(&self, store: u8) -> bool;
}

impl Replicas for [SimNode] {
    fn is_serving(&self, store: u8) -> bool {
        self[store as usize].is_serving()
    }

    fn can_lead(&self, store: u8) -> bool {
        self[store as usize].can_lead()
    }
}

/// How an election is decided: who of the candidates wins, and how long the
/// followers wait before trying again when there is no quorum.
pub trait Ballot {
    fn winner(&mut self, region: &Region, candidates: &[u8]) -> u8;
    fn retry_after(&mut self) -> Duration;
}

/// The simulator's ballot: a random candidate wins, timeouts are random.
pub struct RandomBallot<'a, R> {
    pub rng: &'a mut R,
    pub timeout: ElectionTimeout,
}

impl<R: Rng> Ballot for RandomBallot<'_, R> {
    fn winner(&mut self, _region: &Region, candidates: &[u8]) -> u8 {
        candidates[self.rng.random_range(0..candidates.len())]
    }

    fn retry_after(&mut self) -> Duration {
        self.timeout.draw(&mut *self.rng)
    }
}

/// A ballot every replica reaches alike without talking: the winner follows
/// from the region and its term, so peers that see the same candidates
/// elect the same leader.
pub struct AgreedBallot {
    pub retry: Duration,
}

impl Ballot for AgreedBallot {
    fn winner(&mut self, region: &Region, candidates: &[u8]) -> u8 {
        let turn = region.id.wrapping_add(region.term) as usize;
        candidates[turn % candidates.len()]
    }

    fn retry_after(&mut self) -> Duration {
        self.retry
    }
}

/// An election a region waits for: the first follower to time out campaigns.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PendingElection {
    at: Duration,
    region: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegionTable {
    regions: Vec<Region>,
    leader_count: Vec<u32>,
    region_count: Vec<u32>,
    /// Bytes of region data each store holds (placement never changes).
    data_bytes: Vec<u64>,
    pending: Vec<PendingElection>,
    /// Where the next scan for a leader to move starts, so transfers spread
    /// over the key space instead of always taking the first regions.
    cursor: usize,
}

/// Random election timeouts in `[min, max)`.
#[derive(Debug, Clone, Copy)]
pub struct ElectionTimeout {
    pub min: Duration,
    pub max: Duration,
}

impl ElectionTimeout {
    pub fn draw(self, rng: &mut impl Rng) -> Duration {
        if self.max <= self.min {
            return self.min;
        }
        let span = (self.max - self.min).as_nanos() as u64;
        self.min + Duration::from_nanos(rng.random_range(0..span))
    }
}

impl RegionTable {
    pub fn new(seeds: &[RegionSeed], stores: usize) -> Self {
        let mut table = Self {
            regions: Vec::with_capacity(seeds.len()),
            leader_count: vec![0; stores],
            region_count: vec![0; stores],
            data_bytes: vec![0; stores],
            pending: Vec::new(),
            cursor: 0,
        };
        for seed in seeds {
            for p in seed.peers {
                table.region_count[p as usize] += 1;
                table.data_bytes[p as usize] += seed.size_bytes;
            }
            table.leader_count[seed.leader as usize] += 1;
            table.regions.push(Region {
                id: seed.id,
                peers: seed.peers,
                leader: Some(seed.leader),
                silent_leader: None,
                weight: seed.weight,
                term: 0,
            });
        }
        table
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn leader_count(&self, store: usize) -> u32 {
        self.leader_count[store]
    }

    pub fn region_count(&self, store: usize) -> u32 {
        self.region_count[store]
    }

    pub fn data_bytes(&self, store: usize) -> u64 {
        self.data_bytes[store]
    }

    pub fn pending_elections(&self) -> usize {
        self.pending.len()
    }

    fn set_leader(&mut self, region: usize, leader: Option<u8>) {
        if let Some(old) = self.regions[region].leader {
            self.leader_count[old as usize] -= 1;
        }
        if let Some(new) = leader {
            self.leader_count[new as usize] += 1;
            if self.regions[region].leader != leader {
                self.regions[region].term += 1;
            }
        }
        self.regions[region].leader = leader;
    }

    /// The index of region `id`.
    pub fn index_of(&self, id: u64) -> Option<usize> {
        self.regions.iter().position(|r| r.id == id)
    }

    /// A peer's view of region `id`: its leader at `term`. Adopted only when
    /// the term is later than ours (a peer that has not yet noticed a lost
    /// leader still names it at the same term); any election we were
    /// waiting for is then settled. Returns whether anything changed.
    pub fn adopt(&mut self, id: u64, leader: Option<u8>, term: u64) -> bool {
        let Some(index) = self.index_of(id) else {
            return false;
        };
        let region = &self.regions[index];
        let later = term > region.term;
        let valid = leader.is_none_or(|l| region.peers.contains(&l));
        if !later || !valid {
            return false;
        }
        if let Some(old) = self.regions[index].leader {
            self.leader_count[old as usize] -= 1;
        }
        if let Some(new) = leader {
            self.leader_count[new as usize] += 1;
        }
        let region = &mut self.regions[index];
        region.leader = leader;
        region.term = term;
        region.silent_leader = None;
        if leader.is_some() {
            self.pending.retain(|p| p.region as usize != index);
        }
        true
    }

    /// `store` stopped serving at `now`: the regions it led are leaderless
    /// until their followers time out and elect. With `may_return` (frozen or
    /// cut off, not dead) the old leader resumes if it is back in time.
    pub fn store_lost(
        &mut self,
        store: u8,
        now: Duration,
        may_return: bool,
        timeout: ElectionTimeout,
        rng: &mut impl Rng,
    ) {
        for index in 0..self.regions.len() {
            if self.regions[index].leader != Some(store) {
                continue;
            }
            self.set_leader(index, None);
            self.regions[index].silent_leader = may_return.then_some(store);
            self.pending.push(PendingElection {
                at: now + timeout.draw(rng),
                region: index as u32,
            });
        }
    }

    /// `store` serves again: leaders that went silent there and were not
    /// replaced carry on as if nothing happened.
    pub fn store_back(&mut self, store: u8) {
        let mut resumed = Vec::new();
        for (index, region) in self.regions.iter().enumerate() {
            if region.leader.is_none() && region.silent_leader == Some(store) {
                resumed.push(index);
            }
        }
        for &index in &resumed {
            self.set_leader(index, Some(store));
            self.regions[index].silent_leader = None;
        }
        if !resumed.is_empty() {
            let regions = &self.regions;
            self.pending
                .retain(|p| regions[p.region as usize].leader.is_none());
        }
    }

    /// Forgets leaders that cannot come back (the node was killed or stopped).
    pub fn forget_silent(&mut self, store: u8) {
        for region in &mut self.regions {
            if region.silent_leader == Some(store) {
                region.silent_leader = None;
            }
        }
    }

    /// Runs the elections due by `now`. A region elects when a quorum of its
    /// replicas serves; the winner is a serving replica that may lead. Without
    /// quorum the followers time out again.
    pub fn run_elections(
        &mut self,
        now: Duration,
        nodes: &[SimNode],
        timeout: ElectionTimeout,
        rng: &mut impl Rng,
    ) {
        self.run_elections_with(now, nodes, &mut RandomBallot { rng, timeout });
    }

    /// [`Self::run_elections`] over any view of the replicas and any ballot.
    /// Returns the indices of the regions that got a leader.
    pub fn run_elections_with(
        &mut self,
        now: Duration,
        replicas: &(impl Replicas + ?Sized),
        ballot: &mut impl Ballot,
    ) -> Vec<usize> {
        let mut elected = Vec::new();
        let mut index = 0;
        while index < self.pending.len() {
            let election = self.pending[index];
            if election.at > now {
                index += 1;
                continue;
            }
            let region = election.region as usize;
            let peers = self.regions[region].peers;
            let serving = peers.iter().filter(|&&p| replicas.is_serving(p)).count();
            let mut candidates = [0u8; REPLICAS];
            let mut count = 0;
            for p in peers {
                if replicas.can_lead(p) {
                    candidates[count] = p;
                    count += 1;
                }
            }
            if serving * 2 > REPLICAS && count > 0 {
                let winner = ballot.winner(&self.regions[region], &candidates[..count]);
                self.set_leader(region, Some(winner));
                self.regions[region].silent_leader = None;
                self.pending.swap_remove(index);
                elected.push(region);
            } else {
                self.pending[index].at = election.at + ballot.retry_after();
                index += 1;
            }
        }
        elected
    }

    /// PD's evict-stopping-store scheduler: moves up to `limit` leaders off
    /// `store` to the replica store with the fewest leaders. Returns how many
    /// leaders remain there.
    pub fn evict_leaders(&mut self, store: u8, nodes: &[SimNode], limit: usize) -> u32 {
        let mut moved = 0;
        let mut index = 0;
        while moved < limit && index < self.regions.len() {
            if self.regions[index].leader == Some(store) {
                let target = self.regions[index]
                    .peers
                    .iter()
                    .copied()
                    .filter(|&p| p != store && nodes[p as usize].can_lead())
                    .min_by_key(|&p| self.leader_count[p as usize]);
                if let Some(target) = target {
                    self.set_leader(index, Some(target));
                    moved += 1;
                }
            }
            index += 1;
        }
        self.leader_count[store as usize]
    }

    /// One round of PD's balance-leader scheduler: while the most and least
    /// loaded schedulable stores differ by more than one leader, move a leader
    /// between a pair of them that share a region, up to `limit` moves.
    pub fn balance_leaders(&mut self, schedulable: &[bool], limit: usize) -> usize {
        let mut moved = 0;
        while moved < limit && self.balance_once(schedulable) {
            moved += 1;
        }
        moved
    }

    fn balance_once(&mut self, schedulable: &[bool]) -> bool {
        let mut stores: Vec<usize> = (0..schedulable.len()).filter(|&s| schedulable[s]).collect();
        if stores.len() < 2 {
            return false;
        }
        stores.sort_by_key(|&s| (self.leader_count[s], s));
        for &target in &stores {
            for &source in stores.iter().rev() {
                if self.leader_count[source] <= self.leader_count[target] + 1 {
                    break;
                }
                if let Some(region) = self.find_region_led_by(source as u8, target as u8) {
                    self.set_leader(region, Some(target as u8));
                    return true;
                }
            }
        }
        false
    }

    fn find_region_led_by(&mut self, source: u8, with_peer: u8) -> Option<usize> {
        let n = self.regions.len();
        for step in 0..n {
            let index = (self.cursor + step) % n;
            let region = &self.regions[index];
            if region.leader == Some(source) && region.peers.contains(&with_peer) {
                self.cursor = (index + 1) % n;
                return Some(index);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const SEC: Duration = Duration::from_secs(1);
    const TIMEOUT: ElectionTimeout = ElectionTimeout {
        min: Duration::from_secs(10),
        max: Duration::from_secs(20),
    };

    fn seeds(n: u32) -> Vec<RegionSeed> {
        (0..n)
            .map(|i| RegionSeed {
                id: u64::from(i) + 2,
                peers: [0, 1, 2],
                leader: (i % 3) as u8,
                size_bytes: 1,
                weight: 1.0 / f64::from(n),
            })
            .collect()
    }

    fn nodes() -> Vec<SimNode> {
        (0..3).map(|i| SimNode::new(i as u64 + 1, i, SEC)).collect()
    }

    #[test]
    fn timeouts_stay_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let t = TIMEOUT.draw(&mut rng);
            assert!(t >= TIMEOUT.min && t < TIMEOUT.max);
        }
    }

    #[test]
    fn lost_leaders_are_reelected_on_live_replicas_after_the_timeout() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut table = RegionTable::new(&seeds(30), 3);
        let mut nodes = nodes();
        nodes[0].lifecycle = super::super::node::Lifecycle::Exited { code: 137 };
        table.store_lost(0, SEC * 100, false, TIMEOUT, &mut rng);
        assert_eq!(table.leader_count(0), 0);
        assert_eq!(table.pending_elections(), 10);
        table.run_elections(SEC * 109, &nodes, TIMEOUT, &mut rng);
        assert_eq!(
            table.pending_elections(),
            10,
            "nobody times out before 10 s"
        );
        table.run_elections(SEC * 120, &nodes, TIMEOUT, &mut rng);
        assert_eq!(table.pending_elections(), 0);
        assert_eq!(table.leader_count(1) + table.leader_count(2), 30);
    }

    #[test]
    fn without_quorum_nobody_is_elected() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut table = RegionTable::new(&seeds(3), 3);
        let mut nodes = nodes();
        nodes[0].network_connected = false;
        nodes[1].network_connected = false;
        table.store_lost(0, SEC, true, TIMEOUT, &mut rng);
        table.store_lost(1, SEC, true, TIMEOUT, &mut rng);
        table.run_elections(SEC * 60, &nodes, TIMEOUT, &mut rng);
        assert_eq!(table.pending_elections(), 2);
        nodes[0].network_connected = true;
        table.store_back(0);
        assert_eq!(table.leader_count(0), 1, "the silent leader resumes");
        table.run_elections(SEC * 120, &nodes, TIMEOUT, &mut rng);
        assert_eq!(table.pending_elections(), 0);
        assert_eq!(table.leader_count(1), 0);
    }

    #[test]
    fn balance_moves_a_bounded_number_of_leaders() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut table = RegionTable::new(&seeds(30), 3);
        let mut nodes = nodes();
        // Everything on store 1 and 2, as after store 0 came back.
        nodes[0].lifecycle = super::super::node::Lifecycle::Exited { code: 137 };
        table.store_lost(0, SEC, false, TIMEOUT, &mut rng);
        table.run_elections(SEC * 60, &nodes, TIMEOUT, &mut rng);
        assert_eq!(table.leader_count(0), 0);
        let moved = table.balance_leaders(&[true, true, true], BALANCE_LIMIT);
        assert_eq!(moved, BALANCE_LIMIT);
        assert_eq!(table.leader_count(0), 4);
        while table.balance_leaders(&[true, true, true], BALANCE_LIMIT) > 0 {}
        for s in 0..3 {
            assert_eq!(table.leader_count(s), 10);
        }
    }

    #[test]
    fn eviction_empties_the_stopping_store() {
        let mut table = RegionTable::new(&seeds(60), 3);
        let mut nodes = nodes();
        nodes[1].lifecycle = super::super::node::Lifecycle::Stopping { since: SEC };
        assert_eq!(table.evict_leaders(1, &nodes, EVICT_PER_STEP), 20 - 16);
        assert_eq!(table.evict_leaders(1, &nodes, EVICT_PER_STEP), 0);
        assert_eq!(table.leader_count(0) + table.leader_count(2), 60);
    }
    #[test]
    fn each_change_of_leader_is_a_new_term() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut table = RegionTable::new(&seeds(3), 3);
        let mut nodes = nodes();
        assert!(table.regions().iter().all(|r| r.term == 0));
        nodes[0].lifecycle = super::super::node::Lifecycle::Exited { code: 137 };
        table.store_lost(0, SEC, false, TIMEOUT, &mut rng);
        table.run_elections(SEC * 60, &nodes, TIMEOUT, &mut rng);
        let region = &table.regions()[0];
        assert_eq!(region.term, 1);
        assert_ne!(region.leader, Some(0));
    }

    #[test]
    fn an_agreed_ballot_elects_the_same_winner_everywhere() {
        let mut a = RegionTable::new(&seeds(12), 3);
        let mut b = RegionTable::new(&seeds(12), 3);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut other = ChaCha8Rng::seed_from_u64(2);
        let mut nodes = nodes();
        nodes[2].lifecycle = super::super::node::Lifecycle::Exited { code: 137 };
        a.store_lost(2, SEC, false, TIMEOUT, &mut rng);
        b.store_lost(2, SEC, false, TIMEOUT, &mut other);
        let mut ballot = AgreedBallot { retry: SEC };
        let elected_a = a.run_elections_with(SEC * 30, nodes.as_slice(), &mut ballot);
        let elected_b = b.run_elections_with(SEC * 30, nodes.as_slice(), &mut ballot);
        assert_eq!(elected_a.len(), 4);
        assert_eq!(elected_b.len(), 4);
        assert_eq!(a.regions(), b.regions());
    }

    #[test]
    fn a_later_term_is_adopted_and_settles_the_election() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut table = RegionTable::new(&seeds(3), 3);
        table.store_lost(0, SEC, true, TIMEOUT, &mut rng);
        assert_eq!(table.pending_elections(), 1);
        let id = table.regions()[0].id;
        assert!(
            !table.adopt(id, Some(0), 0),
            "the lost leader, named by a peer that has not noticed"
        );
        assert_eq!(table.pending_elections(), 1);
        assert!(!table.adopt(id, Some(7), 5), "not one of its peers");
        assert!(table.adopt(id, Some(1), 1));
        assert_eq!(table.pending_elections(), 0);
        assert_eq!(table.leader_count(1), 2);
        assert_eq!(table.regions()[0].silent_leader, None);
        assert!(
            !table.adopt(id, Some(2), 1),
            "the same term keeps its leader"
        );
        assert!(!table.adopt(999, Some(1), 9), "unknown region");
    }
}
