//! What PD reports, from the heartbeats it receives: one rule for the
//! simulator and the PD stand-in, so both show what a real PD shows.
//!
//! PD knows a region only from its leader's region heartbeats: it keeps the
//! last reported leader until a heartbeat names another (a new leader
//! reports at once, then every [`REGION_HEARTBEAT_INTERVAL`]); a leader
//! reports a peer down only after [`MAX_PEER_DOWN_DURATION`] of silence. So
//! while a leader is dead PD still names it: PD's own "without leader" and
//! "under-replicated" stay 0 through a demo. Store states come from the store
//! heartbeats by [`pd_rules::store_state`](super::pd_rules::store_state).
//!
//! [`PdBook`] is PD's side (what it was told); [`RegionReporter`] and
//! [`down_peers`] are TiKV's side (when a leader tells it, and what).

use std::collections::BTreeMap;
use std::time::Duration;

use super::model::{MetaState, RegionHealth, StoreState};
use super::pd_rules;

/// TiKV's `raftstore.pd-heartbeat-tick-interval`: a leader's region
/// heartbeat period.
pub const REGION_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(60);
/// TiKV's `raftstore.max-peer-down-duration`: a leader reports a peer down
/// only after it has been silent this long.
pub const MAX_PEER_DOWN_DURATION: Duration = Duration::from_secs(10 * 60);
/// PD's default `max-replicas`: a region with fewer peers is missing one.
pub const MAX_REPLICAS: usize = 3;

/// What a region's leader tells PD (the parts chaosdeck reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionHeartbeat {
    pub region_id: u64,
    /// The leader's raft term; PD ignores a report older than the one it holds.
    pub term: u64,
    pub leader_store: u64,
    /// Store ids of every peer, the leader's included.
    pub peer_stores: Vec<u64>,
    /// Store ids of the peers the leader reports down (see [`down_peers`]).
    pub down_peer_stores: Vec<u64>,
}

/// A region as PD holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedRegion {
    pub id: u64,
    /// The last reported leader; `None` until a leader has reported.
    pub leader_store: Option<u64>,
    pub term: u64,
    pub peer_stores: Vec<u64>,
    pub down_peer_stores: Vec<u64>,
    /// When the last accepted report arrived.
    pub reported_at: Option<Duration>,
}

impl BookedRegion {
    /// Listed by PD's `check/miss-peer` (fewer peers than `max-replicas`).
    pub fn misses_a_peer(&self) -> bool {
        self.peer_stores.len() < MAX_REPLICAS
    }

    /// Listed by PD's `check/down-peer`.
    pub fn has_down_peer(&self) -> bool {
        !self.down_peer_stores.is_empty()
    }
}

/// A store as PD holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedStore {
    pub id: u64,
    pub address: String,
    pub meta: MetaState,
    /// When the last store heartbeat arrived (a store's first contact counts).
    pub last_heartbeat: Duration,
}

/// What PD did with a region heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Taken; `leader_changed` when it named another leader than PD held.
    Accepted { leader_changed: bool },
    /// Ignored: its term is older than the one PD holds.
    Stale { held_term: u64 },
}

/// PD's book of stores and regions, kept from the heartbeats it receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdBook {
    max_store_down_time: Duration,
    stores: BTreeMap<u64, BookedStore>,
    regions: BTreeMap<u64, BookedRegion>,
}

impl PdBook {
    pub fn new(max_store_down_time: Duration) -> Self {
        Self {
            max_store_down_time,
            stores: BTreeMap::new(),
            regions: BTreeMap::new(),
        }
    }

    pub fn max_store_down_time(&self) -> Duration {
        self.max_store_down_time
    }

    /// A store joins (TiKV's `PutStore` at start-up); it counts as a
    /// heartbeat. A store already known keeps its meta state and gets the
    /// new address, as when a TiKV restarts.
    pub fn put_store(&mut self, id: u64, address: &str, at: Duration) {
        let store = self.stores.entry(id).or_insert_with(|| BookedStore {
            id,
            address: String::new(),
            meta: MetaState::Up,
            last_heartbeat: at,
        });
        store.address = address.to_string();
        store.last_heartbeat = store.last_heartbeat.max(at);
    }

    /// A store heartbeat arrived. False for a store PD does not know (PD
    /// answers such a store with an error until it puts itself).
    pub fn store_heartbeat(&mut self, id: u64, at: Duration) -> bool {
        match self.stores.get_mut(&id) {
            Some(store) => {
                store.last_heartbeat = store.last_heartbeat.max(at);
                true
            }
            None => false,
        }
    }

    /// Sets a store's meta state (`pd-ctl store delete` makes it Offline).
    pub fn set_meta_state(&mut self, id: u64, meta: MetaState) -> bool {
        self.stores
            .get_mut(&id)
            .map(|store| store.meta = meta)
            .is_some()
    }

    /// A region PD learnt of without a leader report yet (bootstrap, a split).
    pub fn put_region(&mut self, id: u64, peer_stores: Vec<u64>) {
        self.regions.entry(id).or_insert(BookedRegion {
            id,
            leader_store: None,
            term: 0,
            peer_stores,
            down_peer_stores: Vec::new(),
            reported_at: None,
        });
    }

    /// A region heartbeat arrived: PD keeps it unless its term is older.
    pub fn region_heartbeat(&mut self, report: RegionHeartbeat, at: Duration) -> Heard {
        let region = self
            .regions
            .entry(report.region_id)
            .or_insert(BookedRegion {
                id: report.region_id,
                leader_store: None,
                term: 0,
                peer_stores: Vec::new(),
                down_peer_stores: Vec::new(),
                reported_at: None,
            });
        if report.term < region.term {
            return Heard::Stale {
                held_term: region.term,
            };
        }
        let leader_changed = region.leader_store != Some(report.leader_store);
        region.leader_store = Some(report.leader_store);
        region.term = report.term;
        region.peer_stores = report.peer_stores;
        region.down_peer_stores = report.down_peer_stores;
        region.reported_at = Some(at);
        Heard::Accepted { leader_changed }
    }

    pub fn store(&self, id: u64) -> Option<&BookedStore> {
        self.stores.get(&id)
    }

    /// Every store, by id.
    pub fn stores(&self) -> impl Iterator<Item = &BookedStore> {
        self.stores.values()
    }

    pub fn region(&self, id: u64) -> Option<&BookedRegion> {
        self.regions.get(&id)
    }

    /// Every region, by id.
    pub fn regions(&self) -> impl Iterator<Item = &BookedRegion> {
        self.regions.values()
    }

    /// How old the store's last heartbeat is at `now`.
    pub fn heartbeat_age(&self, id: u64, now: Duration) -> Option<Duration> {
        self.stores
            .get(&id)
            .map(|store| now.saturating_sub(store.last_heartbeat))
    }

    /// The state PD names for the store at `now`, by PD's rule.
    pub fn store_state(&self, id: u64, now: Duration) -> Option<StoreState> {
        let store = self.stores.get(&id)?;
        Some(pd_rules::store_state(
            store.meta,
            now.saturating_sub(store.last_heartbeat),
            self.max_store_down_time,
        ))
    }

    /// Regions whose reported leader is on the store (PD's `leader_count`).
    pub fn leader_count(&self, store: u64) -> u64 {
        self.regions
            .values()
            .filter(|r| r.leader_store == Some(store))
            .count() as u64
    }

    /// Regions with a peer on the store (PD's `region_count`).
    pub fn region_count(&self, store: u64) -> u64 {
        self.regions
            .values()
            .filter(|r| r.peer_stores.contains(&store))
            .count() as u64
    }

    /// PD's region figures: regions known, those no leader has reported
    /// for, those listed by `check/miss-peer` or `check/down-peer` (each
    /// once). `led_from_dead_node` needs the runtime and is left 0 here.
    pub fn region_health(&self) -> RegionHealth {
        let mut health = RegionHealth {
            total: self.regions.len() as u64,
            ..RegionHealth::default()
        };
        for region in self.regions.values() {
            if region.leader_store.is_none() {
                health.without_leader += 1;
            }
            if region.misses_a_peer() || region.has_down_peer() {
                health.under_replicated += 1;
            }
        }
        health
    }
}

/// A region's heartbeat timer on its leader's side: a leader reports at
/// once when it takes office (with a new term), then every interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionReporter {
    leader: Option<u64>,
    term: u64,
    next_due: Duration,
    interval: Duration,
}

impl RegionReporter {
    /// A region led by `leader` in `term`, which reports next at `next_due`
    /// (spread the first reports of a bootstrapped cluster over the interval).
    pub fn new(leader: Option<u64>, term: u64, next_due: Duration, interval: Duration) -> Self {
        Self {
            leader,
            term,
            next_due,
            interval,
        }
    }

    pub fn term(&self) -> u64 {
        self.term
    }

    /// The raft leader at `now` is `leader` (`None` during an election).
    /// Returns the term to report with when the leader sends a heartbeat
    /// now: at once after a change of leader, else when the interval is up.
    /// The caller delivers it only if the leader reaches PD; a lost report
    /// is not resent before the next interval, as in TiKV.
    pub fn tick(&mut self, leader: Option<u64>, now: Duration) -> Option<u64> {
        if leader != self.leader {
            self.leader = leader;
            if leader.is_some() {
                self.term += 1;
                self.next_due = now;
            }
        }
        self.leader?;
        if now < self.next_due {
            return None;
        }
        self.next_due = now + self.interval;
        Some(self.term)
    }
}

/// The peers a leader reports down: those silent for longer than
/// `max_peer_down` (TiKV's `max-peer-down-duration`), given each peer's
/// store id and how long it has been silent.
pub fn down_peers(
    silences: impl IntoIterator<Item = (u64, Duration)>,
    max_peer_down: Duration,
) -> Vec<u64> {
    silences
        .into_iter()
        .filter(|&(_, silent)| silent > max_peer_down)
        .map(|(store, _)| store)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn book() -> PdBook {
        let mut book = PdBook::new(pd_rules::DEFAULT_MAX_STORE_DOWN_TIME);
        for id in [1, 4, 5] {
            book.put_store(id, &format!("tikv{id}:20160"), Duration::ZERO);
        }
        book
    }

    fn report(region_id: u64, term: u64, leader_store: u64) -> RegionHeartbeat {
        RegionHeartbeat {
            region_id,
            term,
            leader_store,
            peer_stores: vec![1, 4, 5],
            down_peer_stores: Vec::new(),
        }
    }

    #[test]
    fn the_last_reported_leader_stays_until_another_reports() {
        let mut book = book();
        book.region_heartbeat(report(2, 1, 1), SEC);
        // Store 1 dies: nobody reports for region 2 until a new leader does.
        assert_eq!(book.region(2).unwrap().leader_store, Some(1));
        assert_eq!(book.leader_count(1), 1);
        assert_eq!(book.region_health().without_leader, 0);
        let heard = book.region_heartbeat(report(2, 2, 4), SEC * 15);
        assert_eq!(
            heard,
            Heard::Accepted {
                leader_changed: true
            }
        );
        assert_eq!((book.leader_count(1), book.leader_count(4)), (0, 1));
    }

    #[test]
    fn an_older_term_is_ignored() {
        let mut book = book();
        book.region_heartbeat(report(2, 3, 4), SEC);
        assert_eq!(
            book.region_heartbeat(report(2, 2, 1), SEC * 2),
            Heard::Stale { held_term: 3 }
        );
        assert_eq!(book.region(2).unwrap().leader_store, Some(4));
        assert_eq!(
            book.region_heartbeat(report(2, 3, 4), SEC * 3),
            Heard::Accepted {
                leader_changed: false
            }
        );
    }

    #[test]
    fn a_region_no_leader_reported_for_is_without_leader() {
        let mut book = book();
        book.put_region(2, vec![1, 4, 5]);
        book.put_region(3, vec![1, 4, 5]);
        book.region_heartbeat(report(3, 1, 5), SEC);
        let health = book.region_health();
        assert_eq!((health.total, health.without_leader), (2, 1));
        assert_eq!(book.region_count(1), 2);
    }

    #[test]
    fn down_and_missing_peers_count_once_each_region() {
        let mut book = book();
        let mut down = report(2, 1, 1);
        down.down_peer_stores = vec![4];
        book.region_heartbeat(down, SEC);
        let mut missing = report(3, 1, 1);
        missing.peer_stores = vec![1, 5];
        missing.down_peer_stores = vec![5];
        book.region_heartbeat(missing, SEC);
        book.region_heartbeat(report(4, 1, 1), SEC);
        assert_eq!(book.region_health().under_replicated, 2);
    }

    #[test]
    fn store_states_follow_pds_rule() {
        let mut book = book();
        assert_eq!(book.store_state(1, SEC * 20), Some(StoreState::Up));
        assert_eq!(
            book.store_state(1, SEC * 21),
            Some(StoreState::Disconnected)
        );
        assert!(book.store_heartbeat(1, SEC * 21));
        assert_eq!(book.store_state(1, SEC * 21), Some(StoreState::Up));
        assert!(!book.store_heartbeat(9, SEC), "unknown store");
        assert_eq!(book.store_state(9, SEC), None);
        book.set_meta_state(4, MetaState::Offline);
        assert_eq!(book.store_state(4, SEC), Some(StoreState::Offline));
        // A late heartbeat never moves the clock back.
        book.store_heartbeat(1, SEC * 5);
        assert_eq!(book.heartbeat_age(1, SEC * 21), Some(Duration::ZERO));
    }

    #[test]
    fn a_new_leader_reports_at_once_then_every_interval() {
        let interval = REGION_HEARTBEAT_INTERVAL;
        let mut reporter = RegionReporter::new(Some(1), 1, SEC * 30, interval);
        assert_eq!(reporter.tick(Some(1), SEC * 29), None);
        assert_eq!(reporter.tick(Some(1), SEC * 30), Some(1));
        assert_eq!(reporter.tick(Some(1), SEC * 31), None);
        // The leader dies: nobody reports during the election.
        assert_eq!(reporter.tick(None, SEC * 95), None);
        assert_eq!(reporter.tick(Some(4), SEC * 96), Some(2));
        assert_eq!(reporter.tick(Some(4), SEC * 100), None);
        assert_eq!(reporter.tick(Some(4), SEC * 156), Some(2));
    }

    #[test]
    fn the_same_leader_back_after_an_election_gap_reports_a_new_term() {
        let mut reporter = RegionReporter::new(Some(1), 1, SEC * 60, REGION_HEARTBEAT_INTERVAL);
        assert_eq!(reporter.tick(None, SEC), None);
        assert_eq!(reporter.tick(Some(1), SEC * 2), Some(2));
    }

    #[test]
    fn peers_are_reported_down_only_after_ten_minutes() {
        let silences = [
            (1, MAX_PEER_DOWN_DURATION),
            (4, MAX_PEER_DOWN_DURATION + SEC),
        ];
        assert_eq!(down_peers(silences, MAX_PEER_DOWN_DURATION), vec![4]);
        assert!(down_peers([(1, SEC * 300)], MAX_PEER_DOWN_DURATION).is_empty());
    }
}
