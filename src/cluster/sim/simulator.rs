//! The pure, synchronous simulated cluster. It owns its clock and moves in
//! fixed steps, so the same config and the same calls at the same times give
//! the same trace however the caller chunks time.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::{SimConfig, SimConfigError};
use super::faults::{self, Target};
use super::load::{LoadModel, LoadView, LossyStore, SlowStore};
use super::node::{Lifecycle, SimNode};
use super::pd_members::{PD_MEMBERS, PdMembers};
use super::raft::{BALANCE_LIMIT, EVICT_PER_STEP, ElectionTimeout, RegionTable};
use super::tcp;
use super::topology::{self, REPLICAS};
use crate::cluster::BackendError;
use crate::cluster::health::led_from_dead_node;
use crate::cluster::model::{
    ClusterEvent, ClusterSnapshot, ClusterSource, CpuLimit, DataSource, EventKind, FaultKind,
    FaultSpec, InjectedFault, NodeRole, PacketLoss, Process, Recovery, SourceTrouble, Store,
    StoreState,
};
use crate::cluster::pd_view::{
    MAX_PEER_DOWN_DURATION, PdBook, REGION_HEARTBEAT_INTERVAL, RegionHeartbeat, RegionReporter,
    down_peers,
};
use crate::workload::WorkloadSample;

/// One simulation step.
pub const STEP: Duration = Duration::from_millis(100);
/// How long a started TiKV takes before it serves (log replay, PD handshake).
pub const BOOT_TIME: Duration = Duration::from_secs(2);
/// PD runs its balance-leader scheduler this often (in steps: 3 s).
const BALANCE_EVERY_STEPS: u64 = 30;
/// A stopping TiKV exits after this even if leaders remain
/// (TiKV's bound on waiting for the evict-stopping-store scheduler).
pub const EVICT_LEADER_TIMEOUT: Duration = Duration::from_secs(20);
/// The disk every store shares on the Docker host (a 1 TB disk).
const DISK_CAPACITY: u64 = 1_000_204_886_016;
/// Exit codes of the process.
const SIGKILL_EXIT: i64 = 137;
const CLEAN_EXIT: i64 = 0;

/// One region, as tests and tools inspect it: store ids, not indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionView {
    pub id: u64,
    pub peer_stores: [u64; REPLICAS],
    pub leader_store: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Simulator {
    config: SimConfig,
    now: Duration,
    /// The latest time callers asked for; `now` trails it by less than a step.
    requested: Duration,
    steps: u64,
    nodes: Vec<SimNode>,
    services: Vec<String>,
    regions: RegionTable,
    /// What PD was told: the snapshot's stores and regions come from here,
    /// not from the raft table, as on a real cluster.
    pd: PdBook,
    /// Each region's heartbeat timer on its leader's side, by region index.
    reporters: Vec<RegionReporter>,
    /// The PD members and their leadership (lease, election, TSO).
    pd_members: PdMembers,
    host_used_bytes: u64,
    fault: Option<InjectedFault>,
    load: LoadModel,
    raft_rng: ChaCha8Rng,
    load_rng: ChaCha8Rng,
    pd_rng: ChaCha8Rng,
    /// Drawn only while a node is lossy, so that other runs stay as they were.
    loss_rng: ChaCha8Rng,
    events: Vec<ClusterEvent>,
    samples: Vec<WorkloadSample>,
}

impl Simulator {
    pub fn new(config: SimConfig) -> Result<Self, SimConfigError> {
        config.validate()?;
        let mut setup_rng = stream(config.seed, 0);
        let topology = topology::bootstrap(config.stores, config.regions, &mut setup_rng);
        let interval = config.heartbeat_interval.as_nanos() as u64;
        let nodes: Vec<SimNode> = topology
            .store_ids
            .iter()
            .enumerate()
            .map(|(index, &id)| {
                // Each TiKV started at its own moment, so each heartbeats at its own phase.
                let phase = Duration::from_nanos(1 + setup_rng.random_range(0..interval));
                SimNode::new(id, index, phase)
            })
            .collect();
        let pd_leader = setup_rng.random_range(0..PD_MEMBERS.len());
        let host_used_bytes = DISK_CAPACITY / 100 * setup_rng.random_range(35..55);
        let (pd, reporters) = pd_at_start(&nodes, &topology.regions, &config);
        Ok(Self {
            now: Duration::ZERO,
            requested: Duration::ZERO,
            steps: 0,
            services: nodes.iter().map(|n| n.service.clone()).collect(),
            nodes,
            regions: RegionTable::new(&topology.regions, config.stores as usize),
            pd,
            reporters,
            pd_members: PdMembers::new(pd_leader),
            host_used_bytes,
            fault: None,
            load: LoadModel::new(
                config.target_ops_per_sec,
                config.read_fraction,
                config.load_at_start,
            ),
            raft_rng: stream(config.seed, 1),
            load_rng: stream(config.seed, 2),
            pd_rng: stream(config.seed, 3),
            loss_rng: stream(config.seed, 4),
            events: Vec::new(),
            samples: Vec::new(),
            config,
        })
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Simulation time.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// The TiKV services, `tikv0`, `tikv1`, ...
    pub fn tikv_services(&self) -> &[String] {
        &self.services
    }

    pub fn fault(&self) -> Option<&InjectedFault> {
        self.fault.as_ref()
    }

    pub fn load_running(&self) -> bool {
        self.load.is_running()
    }

    /// Advances time to `t` in whole steps; a remainder is kept and counts
    /// towards the next call, so many small advances add up.
    pub fn advance_to(&mut self, t: Duration) {
        self.requested = self.requested.max(t);
        while self.now + STEP <= self.requested {
            self.step();
        }
    }

    /// Advances time by `dt` past the last time asked for.
    pub fn advance(&mut self, dt: Duration) {
        self.advance_to(self.requested + dt);
    }

    /// One step of `STEP`: boots, heartbeats, elections, PD's schedulers and
    /// the workload, in that order.
    pub fn step(&mut self) {
        let end = self.now + STEP;
        self.finish_boots(end);
        self.run_stalls(end);
        self.pd_members.step(end, &mut self.pd_rng);
        for node in &mut self.nodes {
            node.run_heartbeats(end, self.config.heartbeat_interval);
        }
        self.now = end;
        let pd_answers = self.pd_members.trouble().is_none();
        if pd_answers {
            self.deliver_store_heartbeats();
        }
        self.requested = self.requested.max(end);
        self.steps += 1;
        self.regions.run_elections(
            end,
            &self.nodes,
            self.election_timeout(),
            &mut self.raft_rng,
        );
        self.evict_from_stopping_store();
        // PD's schedulers run on its leader, and TiKV's reports reach only it.
        if self.steps % BALANCE_EVERY_STEPS == 0 && pd_answers {
            let schedulable = self.schedulable();
            self.regions
                .balance_leaders(&schedulable[..self.nodes.len()], BALANCE_LIMIT);
        }
        if pd_answers {
            self.deliver_region_heartbeats();
        }
        let view = self.load_view();
        if let Some(sample) = self.load.step(end, STEP, view, &mut self.load_rng) {
            self.samples.push(sample);
        }
    }

    /// Applies a fault now. Refused faults leave everything unchanged.
    pub fn inject(
        &mut self,
        spec: impl Into<FaultSpec>,
        service: &str,
    ) -> Result<InjectedFault, BackendError> {
        let spec = spec.into();
        let kind = spec.kind();
        if !self.config.faults.contains(&kind) {
            return Err(BackendError::Unsupported {
                kind,
                cluster: ClusterSource::Sim.to_string(),
            });
        }
        let target = faults::resolve(service, &self.services)?;
        faults::check_inject(self.fault.as_ref())?;
        let index = match target {
            Target::Tikv(index) => index,
            Target::Pd(index) => return self.inject_pd(spec, index),
        };
        let now = self.now;
        match kind {
            FaultKind::Kill => {
                self.take_out(index, |node| {
                    node.lifecycle = Lifecycle::Exited { code: SIGKILL_EXIT };
                    node.paused_since = None;
                });
                self.regions.forget_silent(index as u8);
                self.emit(
                    index,
                    EventKind::Died {
                        exit_code: Some(SIGKILL_EXIT),
                    },
                );
            }
            FaultKind::Stop => match self.nodes[index].lifecycle {
                // Nothing to hand over yet: it exits at once.
                Lifecycle::Booting { .. } => self.exit_cleanly(index),
                _ => self.nodes[index].lifecycle = Lifecycle::Stopping { since: now },
            },
            FaultKind::Pause => {
                self.take_out(index, |node| node.paused_since = Some(now));
                self.emit(index, EventKind::Paused);
            }
            FaultKind::Partition => {
                self.take_out(index, |node| node.network_connected = false);
                self.emit(index, EventKind::NetworkDisconnected);
            }
            // Starved, not stopped: its heartbeats still arrive, so PD
            // keeps it Up and its leaders stay; the runtime says nothing.
            FaultKind::Slow => self.nodes[index].cpu_limit = spec.value(),
            // Its packets dropped at random: TCP resends them, so it is
            // late rather than gone; PD keeps it Up while its heartbeats
            // get through, and the runtime says nothing.
            FaultKind::Loss => self.nodes[index].loss = spec.value().map(|percent| percent / 100.0),
        }
        let fault = InjectedFault {
            spec,
            service: service.to_string(),
            at: now,
            struck: Default::default(),
        };
        self.fault = Some(fault.clone());
        Ok(fault)
    }

    /// Undoes the fault in place now. Refused recoveries change nothing.
    pub fn recover(&mut self, recovery: Recovery, service: &str) -> Result<(), BackendError> {
        let target = faults::resolve(service, &self.services)?;
        faults::check_recover(recovery, service, self.fault.as_ref())?;
        let index = match target {
            Target::Tikv(index) => index,
            Target::Pd(index) => {
                let Some(event) = self.pd_members.recover(recovery, index, self.now) else {
                    return Err(BackendError::NothingToRecover {
                        service: service.to_string(),
                        recovery,
                        why: "PD members are never slowed or made lossy in the simulator".into(),
                    });
                };
                self.emit_for(service, event);
                self.fault = None;
                return Ok(());
            }
        };
        let now = self.now;
        match recovery {
            Recovery::Start => {
                if self.nodes[index].is_stopping() {
                    return Err(BackendError::Refused(format!(
                        "{service} is still handing its leaders over before it exits; \
                         start it once it has stopped"
                    )));
                }
                self.nodes[index].lifecycle = Lifecycle::Booting {
                    ready_at: now + BOOT_TIME,
                };
                self.emit(index, EventKind::Started);
            }
            Recovery::Unpause => {
                let node = &mut self.nodes[index];
                if let Some(since) = node.paused_since.take() {
                    if let Lifecycle::Booting { ready_at } = &mut node.lifecycle {
                        *ready_at += now.saturating_sub(since);
                    }
                }
                // The timer that fired while frozen fires as soon as it thaws.
                if node.next_heartbeat < now {
                    node.next_heartbeat = now;
                }
                node.run_heartbeats(now, self.config.heartbeat_interval);
                self.deliver_store_heartbeats();
                self.emit(index, EventKind::Unpaused);
                self.bring_back_if_serving(index, now);
            }
            Recovery::Reconnect => {
                self.nodes[index].network_connected = true;
                self.emit(index, EventKind::NetworkReconnected);
                self.bring_back_if_serving(index, now);
            }
            Recovery::Restore => self.nodes[index].cpu_limit = None,
            Recovery::Clear => {
                self.nodes[index].loss = None;
                self.end_stall(index, now);
            }
        }
        self.fault = None;
        Ok(())
    }

    pub fn set_load(&mut self, running: bool) {
        self.load.set_running(running, self.now);
    }

    /// Events since the last drain, oldest first.
    pub fn drain_events(&mut self) -> Vec<ClusterEvent> {
        std::mem::take(&mut self.events)
    }

    /// Workload samples since the last drain, oldest first.
    pub fn drain_samples(&mut self) -> Vec<WorkloadSample> {
        std::mem::take(&mut self.samples)
    }

    /// What PD and the container runtime would show now: PD's part is what
    /// PD was told (see [`crate::cluster::pd_view`]), not the raft table.
    pub fn snapshot(&self) -> ClusterSnapshot {
        let now = self.now;
        // While PD does not answer, its part is what a client last read.
        let pd_at = self.pd_members.answered_at(now);
        let stores: Vec<Store> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                let data = self.regions.data_bytes(index);
                Store {
                    id: node.id,
                    service: node.service.clone(),
                    address: node.address.clone(),
                    state: self.pd_state_at(node, pd_at),
                    leader_count: self.pd.leader_count(node.id),
                    region_count: self.pd.region_count(node.id),
                    heartbeat_age: self.pd.heartbeat_age(node.id, pd_at),
                    capacity_bytes: Some(DISK_CAPACITY),
                    available_bytes: Some(
                        DISK_CAPACITY.saturating_sub(self.host_used_bytes + data),
                    ),
                }
            })
            .collect();
        let pd_members = self.pd_members.members(now);
        let pd_processes = self.pd_members.processes();
        let tikv_processes = self.nodes.iter().map(|node| Process {
            service: node.service.clone(),
            role: NodeRole::Tikv,
            state: node.process_state(),
            network_connected: node.network_connected,
            store: Some(node.id),
            cpu_limit: node.cpu_limit.map(CpuLimit::from_cpus),
            // What the runtime's packet filter would list (the rules are
            // in its network namespace, where a helper reads them).
            packet_loss: node
                .loss
                .map(|share| PacketLoss::from_percent(share * 100.0)),
        });
        let processes: Vec<Process> = pd_processes.chain(tikv_processes).collect();
        let mut regions = self.pd.region_health();
        regions.led_from_dead_node = led_from_dead_node(&stores, &processes);
        let troubles: Vec<SourceTrouble> = self
            .pd_members
            .trouble()
            .map(|message| SourceTrouble {
                source: DataSource::Pd,
                message,
            })
            .into_iter()
            .collect();
        ClusterSnapshot {
            taken_at: now,
            pd_reachable: troubles.is_empty(),
            pd_members,
            stores,
            regions,
            processes,
            troubles,
        }
    }

    /// Every region with its replicas' and raft leader's store ids (the
    /// truth; PD's view of it is in [`Self::snapshot`]).
    pub fn regions(&self) -> Vec<RegionView> {
        self.regions
            .regions()
            .iter()
            .map(|r| RegionView {
                id: r.id,
                peer_stores: r.peers.map(|p| self.nodes[p as usize].id),
                leader_store: r.leader.map(|l| self.nodes[l as usize].id),
            })
            .collect()
    }

    /// Whether the store takes part in raft and talks to PD.
    pub fn is_serving(&self, service: &str) -> Option<bool> {
        self.node(service).map(SimNode::is_serving)
    }

    /// When PD last heard from the store.
    pub fn last_heartbeat(&self, service: &str) -> Option<Duration> {
        self.node(service).map(|n| n.last_heartbeat)
    }

    /// Regions waiting for an election.
    pub fn pending_elections(&self) -> usize {
        self.regions.pending_elections()
    }

    /// The model's invariants, as human-readable violations (empty when all hold).
    pub fn invariant_violations(&self) -> Vec<String> {
        let mut violations = Vec::new();
        let mut counted = vec![0u32; self.nodes.len()];
        for region in self.regions.regions() {
            let [a, b, c] = region.peers;
            if a == b || b == c || a == c {
                violations.push(format!(
                    "region {} has two replicas on one store",
                    region.id
                ));
            }
            let Some(leader) = region.leader else {
                continue;
            };
            counted[leader as usize] += 1;
            if !region.peers.contains(&leader) {
                violations.push(format!("region {} is led from a non-replica", region.id));
            }
            if !self.nodes[leader as usize].is_serving() {
                violations.push(format!(
                    "region {} is led from {}, which is not serving",
                    region.id, self.nodes[leader as usize].service
                ));
            }
        }
        for (index, &count) in counted.iter().enumerate() {
            if count != self.regions.leader_count(index) {
                violations.push(format!(
                    "{} counts {} leaders but leads {count}",
                    self.nodes[index].service,
                    self.regions.leader_count(index)
                ));
            }
        }
        let total = self.regions.regions().len() as u64;
        let leaderless = self.raft_without_leader();
        let leaders: u32 = counted.iter().sum();
        if u64::from(leaders) + leaderless != total {
            violations.push(format!(
                "{leaders} leaders + {leaderless} leaderless != {total} regions"
            ));
        }
        for (index, node) in self.nodes.iter().enumerate() {
            let placed = u64::from(self.regions.region_count(index));
            if self.pd.region_count(node.id) != placed {
                violations.push(format!(
                    "PD counts {} regions on {}, which holds {placed}",
                    self.pd.region_count(node.id),
                    node.service
                ));
            }
        }
        for region in self.pd.regions() {
            if let Some(store) = region.leader_store
                && !region.peer_stores.contains(&store)
            {
                violations.push(format!(
                    "PD names store {store} leader of region {}, not one of its peers",
                    region.id
                ));
            }
        }
        violations
    }

    fn node(&self, service: &str) -> Option<&SimNode> {
        self.nodes.iter().find(|n| n.service == service)
    }

    fn election_timeout(&self) -> ElectionTimeout {
        ElectionTimeout {
            min: self.config.election_timeout_min,
            max: self.config.election_timeout_max,
        }
    }

    fn emit(&mut self, index: usize, kind: EventKind) {
        let service = self.services[index].clone();
        self.emit_for(&service, kind);
    }

    fn emit_for(&mut self, service: &str, kind: EventKind) {
        self.events.push(ClusterEvent {
            at: self.now,
            service: service.to_string(),
            kind,
        });
    }

    /// The PD member that leads now (it may have stopped answering).
    pub fn pd_leader(&self) -> Option<&'static str> {
        self.pd_members.leader()
    }

    /// A fault on PD member `index`: TiKV carries on, PD's leadership may go.
    fn inject_pd(&mut self, spec: FaultSpec, index: usize) -> Result<InjectedFault, BackendError> {
        let Some((struck, event)) = self.pd_members.inject(spec.kind(), index, self.now) else {
            return Err(BackendError::Refused(format!(
                "the simulator does not {} PD members; it slows and drops packets of TiKV stores only",
                spec.kind()
            )));
        };
        let service = PD_MEMBERS[index];
        self.emit_for(service, event);
        let fault = InjectedFault {
            spec,
            service: service.to_string(),
            at: self.now,
            struck,
        };
        self.fault = Some(fault.clone());
        Ok(fault)
    }

    /// Applies `change` to a node; if that ends its serving, its leaders are lost.
    fn take_out(&mut self, index: usize, change: impl FnOnce(&mut SimNode)) {
        let node = &mut self.nodes[index];
        let was_serving = node.is_serving();
        change(node);
        if was_serving && !node.is_serving() {
            node.out_since = Some(self.now);
            let may_return = !matches!(node.lifecycle, Lifecycle::Exited { .. });
            let timeout = self.election_timeout();
            self.regions.store_lost(
                index as u8,
                self.now,
                may_return,
                timeout,
                &mut self.raft_rng,
            );
        }
    }

    /// A lossy node's connections stall now and then (see [`tcp`]): its
    /// leaders go silent, and are replaced if the stall outlasts the
    /// followers' election timeout; a stall that ends gives them back.
    fn run_stalls(&mut self, end: Duration) {
        for index in 0..self.nodes.len() {
            let node = &self.nodes[index];
            let Some(loss) = node.loss else {
                continue;
            };
            match node.stalled_until {
                Some(until) if until <= end => self.end_stall(index, until),
                Some(_) => {}
                None if node.is_serving()
                    && self.loss_rng.random::<f64>() < tcp::stall_chance(loss, STEP) =>
                {
                    let until = self.now + tcp::stall_length(loss, &mut self.loss_rng);
                    self.take_out(index, |node| node.stalled_until = Some(until));
                }
                None => {}
            }
        }
    }

    fn end_stall(&mut self, index: usize, at: Duration) {
        if self.nodes[index].stalled_until.take().is_some() {
            self.bring_back_if_serving(index, at);
        }
    }

    fn exit_cleanly(&mut self, index: usize) {
        self.take_out(index, |node| {
            node.lifecycle = Lifecycle::Exited { code: CLEAN_EXIT };
        });
        self.regions.forget_silent(index as u8);
        self.emit(
            index,
            EventKind::Died {
                exit_code: Some(CLEAN_EXIT),
            },
        );
    }

    /// A node serves again at `at`: it catches up on what it missed and its
    /// silent leaders, if not yet replaced, carry on.
    fn bring_back_if_serving(&mut self, index: usize, at: Duration) {
        let node = &mut self.nodes[index];
        if !node.is_serving() {
            return;
        }
        let missed = node
            .out_since
            .take()
            .map_or(Duration::ZERO, |since| at - since);
        node.caught_up_at = at + catch_up_time(missed);
        self.regions.store_back(index as u8);
    }

    fn finish_boots(&mut self, end: Duration) {
        for index in 0..self.nodes.len() {
            let node = &mut self.nodes[index];
            let Lifecycle::Booting { ready_at } = node.lifecycle else {
                continue;
            };
            if node.paused_since.is_some() || ready_at > end {
                continue;
            }
            node.lifecycle = Lifecycle::Running;
            // TiKV heartbeats PD right after start, then every interval.
            node.next_heartbeat = ready_at;
            self.bring_back_if_serving(index, ready_at);
        }
    }

    fn evict_from_stopping_store(&mut self) {
        let Some(index) = self.nodes.iter().position(SimNode::is_stopping) else {
            return;
        };
        let Lifecycle::Stopping { since } = self.nodes[index].lifecycle else {
            return;
        };
        let left = self
            .regions
            .evict_leaders(index as u8, &self.nodes, EVICT_PER_STEP);
        if left == 0 || self.now - since >= EVICT_LEADER_TIMEOUT {
            self.exit_cleanly(index);
        }
    }

    /// Stores PD's balance-leader scheduler may use: Up in PD's eyes, serving,
    /// not stopping and caught up.
    fn schedulable(&self) -> [bool; 8] {
        let mut ok = [false; 8];
        for (index, node) in self.nodes.iter().enumerate() {
            ok[index] = node.can_lead()
                && node.is_caught_up(self.now)
                && self.pd_state(node) == StoreState::Up;
        }
        ok
    }

    fn load_view(&self) -> LoadView {
        let mut led = [0.0f64; 8];
        let mut leaderless = 0.0;
        for region in self.regions.regions() {
            match region.leader {
                Some(leader) => led[leader as usize] += region.weight,
                None => leaderless += region.weight,
            }
        }
        let total_led: f64 = led.iter().sum();
        let busiest = led.iter().cloned().fold(0.0, f64::max);
        let share_of = |index: usize| {
            if total_led > 0.0 {
                led[index] / total_led
            } else {
                0.0
            }
        };
        let slowed = self.nodes.iter().enumerate().find(|(_, n)| n.speed() < 1.0);
        let slow = slowed.map(|(index, node)| SlowStore {
            share: share_of(index),
            speed: node.speed(),
        });
        let lossy = self.nodes.iter().enumerate().find_map(|(index, node)| {
            Some(LossyStore {
                share: share_of(index),
                loss: node.loss?,
            })
        });
        LoadView {
            slow,
            lossy,
            leaderless_share: leaderless / (leaderless + total_led).max(f64::MIN_POSITIVE),
            busiest_store_share: if total_led > 0.0 {
                busiest / total_led
            } else {
                1.0
            },
        }
    }

    /// Regions the raft table has no leader for (an election pending).
    pub fn raft_without_leader(&self) -> u64 {
        self.regions
            .regions()
            .iter()
            .filter(|r| r.leader.is_none())
            .count() as u64
    }

    /// The state PD names for the node's store now.
    fn pd_state(&self, node: &SimNode) -> StoreState {
        self.pd_state_at(node, self.now)
    }

    fn pd_state_at(&self, node: &SimNode, at: Duration) -> StoreState {
        self.pd
            .store_state(node.id, at)
            .unwrap_or(StoreState::Disconnected)
    }

    /// PD receives the store heartbeats that reached it.
    fn deliver_store_heartbeats(&mut self) {
        for node in &self.nodes {
            self.pd.store_heartbeat(node.id, node.last_heartbeat);
        }
    }

    /// Each region's leader reports to PD when it takes office and every
    /// interval; the report reaches PD only from a leader that serves. It
    /// names the peers silent for longer than `max-peer-down-duration`.
    fn deliver_region_heartbeats(&mut self) {
        let now = self.now;
        for (region, reporter) in self.regions.regions().iter().zip(&mut self.reporters) {
            let leader = region.leader.map(|l| &self.nodes[l as usize]);
            let Some(term) = reporter.tick(leader.map(|l| l.id), now) else {
                continue;
            };
            let Some(leader) = leader.filter(|l| l.is_serving()) else {
                continue;
            };
            let silences = region
                .peers
                .iter()
                .map(|&p| &self.nodes[p as usize])
                .filter_map(|peer| Some((peer.id, now.saturating_sub(peer.out_since?))));
            let report = RegionHeartbeat {
                region_id: region.id,
                term,
                leader_store: leader.id,
                peer_stores: region
                    .peers
                    .iter()
                    .map(|&p| self.nodes[p as usize].id)
                    .collect(),
                down_peer_stores: down_peers(silences, MAX_PEER_DOWN_DURATION),
            };
            self.pd.region_heartbeat(report, now);
        }
    }
}

/// PD as the show starts: every store put and every region reported by its
/// bootstrap leader, the regions' next reports spread over the interval as
/// on a cluster that has run for a while.
fn pd_at_start(
    nodes: &[SimNode],
    seeds: &[topology::RegionSeed],
    config: &SimConfig,
) -> (PdBook, Vec<RegionReporter>) {
    let mut pd = PdBook::new(config.max_store_down_time);
    for node in nodes {
        pd.put_store(node.id, &node.address, Duration::ZERO);
    }
    let spread = REGION_HEARTBEAT_INTERVAL / seeds.len().max(1) as u32;
    let reporters = seeds
        .iter()
        .enumerate()
        .map(|(index, seed)| {
            let leader = nodes[seed.leader as usize].id;
            pd.region_heartbeat(
                RegionHeartbeat {
                    region_id: seed.id,
                    term: 1,
                    leader_store: leader,
                    peer_stores: seed.peers.iter().map(|&p| nodes[p as usize].id).collect(),
                    down_peer_stores: Vec::new(),
                },
                Duration::ZERO,
            );
            let next_due = spread * (index as u32 + 1);
            RegionReporter::new(Some(leader), 1, next_due, REGION_HEARTBEAT_INTERVAL)
        })
        .collect();
    (pd, reporters)
}

/// Time for a returning store's replicas to catch up on the raft log they
/// missed: a second plus a little per second away, capped (beyond that a
/// snapshot is sent instead).
fn catch_up_time(missed: Duration) -> Duration {
    (Duration::from_secs(1) + missed / 20).min(Duration::from_secs(20))
}

fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn sim() -> Simulator {
        Simulator::new(SimConfig::default()).expect("default config is valid")
    }

    #[test]
    fn starts_healthy_and_balanced() {
        let sim = sim();
        let snap = sim.snapshot();
        assert!(snap.is_healthy());
        let ids: Vec<u64> = snap.stores.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![1, 4, 5]);
        let leaders: Vec<u64> = snap.stores.iter().map(|s| s.leader_count).collect();
        assert_eq!(leaders.iter().sum::<u64>(), 64);
        assert!(leaders.iter().max().unwrap() - leaders.iter().min().unwrap() <= 1);
        assert_eq!(snap.pd_members.iter().filter(|m| m.is_leader).count(), 1);
        assert_eq!(snap.processes.len(), 6);
    }

    #[test]
    fn advance_moves_in_whole_steps() {
        let mut sim = sim();
        sim.advance(Duration::from_millis(250));
        assert_eq!(sim.now(), Duration::from_millis(200));
        sim.advance(Duration::from_millis(50));
        assert_eq!(sim.now(), Duration::from_millis(300));
        sim.advance_to(Duration::from_millis(100));
        assert_eq!(
            sim.now(),
            Duration::from_millis(300),
            "time never goes back"
        );
    }

    #[test]
    fn stays_up_with_regular_heartbeats() {
        let mut sim = sim();
        for _ in 0..120 {
            sim.advance(SEC);
            let snap = sim.snapshot();
            assert!(snap.stores.iter().all(|s| s.state == StoreState::Up));
            assert!(
                snap.stores
                    .iter()
                    .all(|s| s.heartbeat_age <= Some(SEC * 10))
            );
        }
        assert_eq!(sim.drain_samples().len(), 120);
    }

    #[test]
    fn a_short_pause_keeps_its_leaders() {
        let mut sim = sim();
        sim.advance(SEC * 5);
        let before = sim.snapshot().store("tikv1").map(|s| s.leader_count);
        sim.inject(FaultKind::Pause, "tikv1").expect("pause");
        sim.advance(SEC * 5);
        let frozen = sim.snapshot().regions;
        assert!(frozen.led_from_dead_node > 0);
        assert_eq!(frozen.without_leader, 0, "PD keeps the frozen leader");
        sim.recover(Recovery::Unpause, "tikv1").expect("unpause");
        let snap = sim.snapshot();
        assert_eq!(snap.regions.without_leader, 0);
        assert_eq!(snap.store("tikv1").map(|s| s.leader_count), before);
        assert_eq!(sim.pending_elections(), 0);
    }

    #[test]
    fn catch_up_is_bounded() {
        assert_eq!(catch_up_time(Duration::ZERO), SEC);
        assert_eq!(catch_up_time(SEC * 3600), SEC * 20);
    }
}
