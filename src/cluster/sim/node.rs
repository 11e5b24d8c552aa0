//! One simulated TiKV node: its process, its network and its heartbeats to
//! PD (which PD books in [`crate::cluster::pd_view::PdBook`]).

use std::time::Duration;

use crate::cluster::model::ProcessState;

/// TiKV's process lifecycle, apart from being frozen (see [`SimNode::paused_since`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Started, replaying its raft log; serves from `ready_at`.
    Booting {
        ready_at: Duration,
    },
    Running,
    /// Got SIGTERM: still serving while PD moves its leaders away.
    Stopping {
        since: Duration,
    },
    Exited {
        code: i64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimNode {
    pub id: u64,
    pub service: String,
    pub address: String,
    pub lifecycle: Lifecycle,
    /// Frozen (SIGSTOP / cgroup freezer) since then.
    pub paused_since: Option<Duration>,
    pub network_connected: bool,
    /// When PD last received a store heartbeat from it.
    pub last_heartbeat: Duration,
    /// When its heartbeat timer fires next.
    pub next_heartbeat: Duration,
    /// When it stopped serving, while it is out.
    pub out_since: Option<Duration>,
    /// Until then its replicas are catching up on the raft log they missed.
    pub caught_up_at: Duration,
    /// Its CPU limit while slowed (`None`: the host's [`NODE_CPUS`]).
    pub cpu_limit: Option<f64>,
    /// The share of its packets dropped, while it is made lossy.
    pub loss: Option<f64>,
    /// Until then its connections are stalled (TCP resending one segment
    /// again and again): nothing it sends gets through, nor to it.
    pub stalled_until: Option<Duration>,
}

/// The CPUs a simulated TiKV node has when nothing limits it: its service
/// times at [`NODE_CPUS`] are the load model's healthy ones.
pub const NODE_CPUS: f64 = 2.0;

impl SimNode {
    pub fn new(id: u64, index: usize, first_heartbeat: Duration) -> Self {
        let service = format!("tikv{index}");
        Self {
            id,
            address: format!("{service}:20160"),
            service,
            lifecycle: Lifecycle::Running,
            paused_since: None,
            network_connected: true,
            last_heartbeat: Duration::ZERO,
            next_heartbeat: first_heartbeat,
            out_since: None,
            caught_up_at: Duration::ZERO,
            cpu_limit: None,
            loss: None,
            stalled_until: None,
        }
    }

    /// The share of its usual speed it serves at: below 1 while its CPU
    /// limit is under what it has when nothing limits it.
    pub fn speed(&self) -> f64 {
        self.cpu_limit
            .map_or(1.0, |cpus| (cpus / NODE_CPUS).clamp(0.001, 1.0))
    }

    /// The process runs its event loop (not frozen, not exited, booted).
    pub fn is_live(&self) -> bool {
        self.paused_since.is_none()
            && matches!(
                self.lifecycle,
                Lifecycle::Running | Lifecycle::Stopping { .. }
            )
    }

    /// Takes part in raft with its peers and talks to PD.
    pub fn is_serving(&self) -> bool {
        self.is_live() && self.is_reachable()
    }

    /// What it sends gets through: connected, and not stalled.
    pub fn is_reachable(&self) -> bool {
        self.network_connected && self.stalled_until.is_none()
    }

    pub fn is_stopping(&self) -> bool {
        matches!(self.lifecycle, Lifecycle::Stopping { .. })
    }

    /// May take region leaders: serving and not on its way out.
    pub fn can_lead(&self) -> bool {
        self.is_serving() && !self.is_stopping()
    }

    pub fn is_caught_up(&self, now: Duration) -> bool {
        self.is_serving() && now >= self.caught_up_at
    }

    /// Fires the heartbeat timer up to `until`. A live node sends one each
    /// interval; PD receives it only while the node is reachable. A frozen
    /// node's timer is stuck until it is unpaused.
    pub fn run_heartbeats(&mut self, until: Duration, interval: Duration) {
        if !self.is_live() {
            return;
        }
        while self.next_heartbeat <= until {
            if self.is_reachable() {
                self.last_heartbeat = self.next_heartbeat;
            }
            self.next_heartbeat += interval;
        }
    }

    pub fn process_state(&self) -> ProcessState {
        match (self.lifecycle, self.paused_since) {
            (Lifecycle::Exited { code }, _) => ProcessState::Exited {
                exit_code: Some(code),
            },
            (_, Some(_)) => ProcessState::Paused,
            _ => ProcessState::Running,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::model::StoreState;
    use crate::cluster::pd_view::PdBook;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn heartbeats_follow_the_nodes_own_phase() {
        let mut node = SimNode::new(1, 0, SEC * 3);
        node.run_heartbeats(SEC * 2, SEC * 10);
        assert_eq!(node.last_heartbeat, Duration::ZERO);
        node.run_heartbeats(SEC * 25, SEC * 10);
        assert_eq!(node.last_heartbeat, SEC * 23);
        assert_eq!(node.next_heartbeat, SEC * 33);
    }

    #[test]
    fn a_partitioned_node_keeps_its_timer_but_pd_hears_nothing() {
        let mut node = SimNode::new(1, 0, SEC * 3);
        node.network_connected = false;
        node.run_heartbeats(SEC * 25, SEC * 10);
        assert_eq!(node.last_heartbeat, Duration::ZERO);
        assert_eq!(node.next_heartbeat, SEC * 33);
        let mut pd = PdBook::new(SEC * 1800);
        pd.put_store(node.id, &node.address, Duration::ZERO);
        pd.store_heartbeat(node.id, node.last_heartbeat);
        assert_eq!(
            pd.store_state(node.id, SEC * 25),
            Some(StoreState::Disconnected)
        );
    }

    #[test]
    fn a_frozen_node_sends_nothing() {
        let mut node = SimNode::new(1, 0, SEC * 3);
        node.paused_since = Some(SEC);
        node.run_heartbeats(SEC * 25, SEC * 10);
        assert_eq!(node.last_heartbeat, Duration::ZERO);
        assert_eq!(node.process_state(), ProcessState::Paused);
        assert!(!node.is_serving());
    }

    #[test]
    fn names_match_compose_services() {
        let node = SimNode::new(4, 1, SEC);
        assert_eq!(node.service, "tikv1");
        assert_eq!(node.address, "tikv1:20160");
    }
}
