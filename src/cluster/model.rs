//! The project's own picture of a TiKV cluster. Backends (simulator, Docker plus
//! PD) map their world into these types; the story, monitor, agent and UI only
//! ever see these.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A store's meta state as PD keeps it (`Up`, `Offline`, `Tombstone`). The
/// heartbeat-derived names (`Disconnected`, `Down`) are computed from it by
/// [`crate::cluster::pd_rules::store_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MetaState {
    Up,
    Offline,
    Tombstone,
}

/// The state name PD shows for a store (`state_name` in `/pd/api/v1/stores`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StoreState {
    Up,
    Disconnected,
    Down,
    Offline,
    Tombstone,
    /// A name this version of chaosdeck does not know, kept verbatim.
    Unknown(String),
}

impl StoreState {
    /// Parses PD's `state_name`; anything unexpected is kept as `Unknown`.
    pub fn from_pd_name(name: &str) -> Self {
        match name {
            "Up" => Self::Up,
            "Disconnected" => Self::Disconnected,
            "Down" => Self::Down,
            "Offline" => Self::Offline,
            "Tombstone" => Self::Tombstone,
            other => Self::Unknown(other.to_string()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Up => "Up",
            Self::Disconnected => "Disconnected",
            Self::Down => "Down",
            Self::Offline => "Offline",
            Self::Tombstone => "Tombstone",
            Self::Unknown(name) => name,
        }
    }

    pub fn is_up(&self) -> bool {
        matches!(self, Self::Up)
    }
}

impl fmt::Display for StoreState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One PD member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdMember {
    pub name: String,
    /// First client URL, e.g. `http://pd0:2379`.
    pub client_url: String,
    pub is_leader: bool,
    /// From `/pd/api/v1/health` when known.
    pub healthy: Option<bool>,
    /// Whether the leader hands out timestamps (TSO), where the backend
    /// knows: a new leader serves TSO only once its lease keep-alive has
    /// started. PD's HTTP API does not say, so a real cluster leaves it `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serves_tso: Option<bool>,
}

/// One TiKV store as PD reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Store {
    /// PD's store id (not 0..n: PD hands out ids such as 1, 4, 5).
    pub id: u64,
    /// The store's name, unique in a snapshot: the host part of `address`
    /// (`tikv1`, which is the Compose service), or host and port where
    /// several stores share a host (`127.0.0.1:20161`). Faults, incidents
    /// and the screen name a store by it; `id` is its identity.
    pub service: String,
    /// e.g. `tikv1:20160`.
    pub address: String,
    pub state: StoreState,
    pub leader_count: u64,
    pub region_count: u64,
    /// Age of the last heartbeat PD received, when known.
    pub heartbeat_age: Option<Duration>,
    pub capacity_bytes: Option<u64>,
    pub available_bytes: Option<u64>,
}

/// Region health summed over the cluster. The first three are what PD
/// reports (see [`crate::cluster::pd_view`]: within a demo PD's own
/// `without_leader` and `under_replicated` stay 0, as PD keeps a dead
/// leader until a new one reports); `led_from_dead_node` is the figure that
/// moves during a fault.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionHealth {
    pub total: u64,
    pub without_leader: u64,
    pub under_replicated: u64,
    /// Regions whose PD-known leader sits on a TiKV node the runtime shows
    /// dead, paused or cut off: PD's leader counts and the runtime together,
    /// by `health::led_from_dead_node` for every backend.
    #[serde(default)]
    pub led_from_dead_node: u64,
}

/// What the container runtime says about a node's process, independent of PD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcessState {
    Running,
    Paused,
    Exited {
        exit_code: Option<i64>,
    },
    /// Present but not running for another reason (created, restarting...).
    Other(String),
}

/// The one description of a process state, for the screen, plain output,
/// `doctor` and messages: `running`, `paused`, `exited 137`, `exited`, or
/// the runtime's own word (cleaned where it entered).
impl fmt::Display for ProcessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Running => f.write_str("running"),
            Self::Paused => f.write_str("paused"),
            Self::Exited {
                exit_code: Some(code),
            } => write!(f, "exited {code}"),
            Self::Exited { exit_code: None } => f.write_str("exited"),
            Self::Other(state) => f.write_str(state),
        }
    }
}

/// A node process (TiKV, PD or load generator) seen by the runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub service: String,
    pub role: NodeRole,
    pub state: ProcessState,
    /// Attached to the cluster network (false once partitioned away).
    pub network_connected: bool,
    /// PD's id of the store this process serves, when it serves one and
    /// the backend knows which: the simulator by construction, a real
    /// cluster by PD's store address naming the process's host. Stores
    /// and processes are joined by it, never by their names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<u64>,
    /// The CPU limit the runtime holds it to, when there is one and the
    /// runtime says (a slow store is one starved of CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<CpuLimit>,
    /// The share of its packets the runtime's packet filter drops, when
    /// rules of chaosdeck's are there and the runtime says (a lossy node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet_loss: Option<PacketLoss>,
}

/// A share of packets dropped, in tenths of a percent (so that processes
/// compare exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PacketLoss(pub u32);

impl PacketLoss {
    pub fn from_percent(percent: f64) -> Self {
        Self((percent.clamp(0.0, 100.0) * 10.0).round() as u32)
    }

    pub fn percent(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

/// `30%`.
impl fmt::Display for PacketLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", crate::text::numbers::trimmed(self.percent()))
    }
}

/// A CPU limit, in thousandths of a CPU (so that processes compare exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CpuLimit(pub u32);

impl CpuLimit {
    pub fn from_cpus(cpus: f64) -> Self {
        Self((cpus.max(0.0) * 1000.0).round() as u32)
    }

    pub fn cpus(self) -> f64 {
        f64::from(self.0) / 1000.0
    }
}

/// `0.2 CPUs`.
impl fmt::Display for CpuLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} CPUs", crate::text::numbers::trimmed(self.cpus()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeRole {
    Pd,
    Tikv,
    Load,
    Other,
}

/// A consistent picture of the cluster at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSnapshot {
    /// Show time at which the snapshot was taken.
    pub taken_at: Duration,
    /// False when no PD endpoint answered: `stores` and `regions` are then the
    /// last known values and must be shown as stale.
    pub pd_reachable: bool,
    pub pd_members: Vec<PdMember>,
    pub stores: Vec<Store>,
    pub regions: RegionHealth,
    /// What the runtime says; empty when it did not answer (see `troubles`).
    pub processes: Vec<Process>,
    /// What each source could not say this time, one entry per source,
    /// shown on that source's own row; empty when every source answered
    /// in full.
    #[serde(default)]
    pub troubles: Vec<SourceTrouble>,
}

/// Where a part of the picture comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataSource {
    /// PD: members and stores (and regions, unless `PdRegions` says otherwise).
    Pd,
    /// PD's region lists (`/regions` and its checks), the largest answers:
    /// they may fail alone (over the body limit on a big cluster) while the
    /// stores answered, and then mark the regions row alone.
    PdRegions,
    /// The container runtime (Docker): processes.
    Runtime,
}

/// One source's trouble: it did not answer, answered what cannot be read,
/// or left entries out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceTrouble {
    pub source: DataSource,
    /// Cleaned, one line, for the screen.
    pub message: String,
}

impl ClusterSnapshot {
    /// A store by PD's id: the one identity that never repeats.
    pub fn store_by_id(&self, id: u64) -> Option<&Store> {
        self.stores.iter().find(|s| s.id == id)
    }

    /// What went wrong with `source`, if anything.
    pub fn trouble(&self, source: DataSource) -> Option<&str> {
        self.troubles
            .iter()
            .find(|t| t.source == source)
            .map(|t| t.message.as_str())
    }

    /// The store the node `service` serves: the one its process names;
    /// where the runtime does not list the node (it did not answer), the
    /// store of that name.
    pub fn store(&self, service: &str) -> Option<&Store> {
        match self.process(service) {
            Some(process) => process.store.and_then(|id| self.store_by_id(id)),
            None => self.stores.iter().find(|s| s.service == service),
        }
    }

    pub fn process(&self, service: &str) -> Option<&Process> {
        self.processes.iter().find(|p| p.service == service)
    }

    /// The process serving the store `id`, if the runtime lists it.
    pub fn process_of_store(&self, id: u64) -> Option<&Process> {
        self.processes.iter().find(|p| p.store == Some(id))
    }
}

/// Something the runtime reported about a node, as it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterEvent {
    /// Show time of the event.
    pub at: Duration,
    pub service: String,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// The process exited. 137 = SIGKILL, 143 = SIGTERM, 0 = clean exit.
    Died {
        exit_code: Option<i64>,
    },
    Started,
    Paused,
    Unpaused,
    /// Cut off from the cluster network.
    NetworkDisconnected,
    NetworkReconnected,
    /// A container healthcheck changed (`healthy`, `unhealthy`, `starting`).
    Health(String),
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Died {
                exit_code: Some(code),
            } => write!(f, "process died (exit code {code})"),
            Self::Died { exit_code: None } => f.write_str("process died"),
            Self::Started => f.write_str("process started"),
            Self::Paused => f.write_str("process paused"),
            Self::Unpaused => f.write_str("process unpaused"),
            Self::NetworkDisconnected => f.write_str("cut off from the network"),
            Self::NetworkReconnected => f.write_str("reconnected to the network"),
            Self::Health(status) => write!(f, "health: {status}"),
        }
    }
}

pub use crate::faults::{FaultKind, FaultSpec, Recovery, Struck};

/// A fault that is in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedFault {
    pub spec: FaultSpec,
    pub service: String,
    /// Show time at which it was applied.
    pub at: Duration,
    /// What it struck, as the backend found it when it landed (PD's leader
    /// is known only then).
    #[serde(default, skip_serializing_if = "Struck::is_tikv")]
    pub struck: Struck,
}

impl InjectedFault {
    /// The class an analyzer should name for it.
    pub fn class(&self) -> crate::faults::FaultClass {
        self.kind().class_on(self.struck)
    }

    /// Whether the episode waits for `signal` before it calls it seen.
    pub fn expects(&self, signal: crate::faults::Expected) -> bool {
        self.kind().expects_on(self.struck, signal)
    }
}

impl InjectedFault {
    pub fn kind(&self) -> FaultKind {
        self.spec.kind()
    }
}

/// What a fault changed on its node, read before it was applied, so that
/// its undo puts it back. The ledger keeps it, so a restart can too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Before {
    /// The container's CPU limit: `NanoCpus`, or `CpuQuota` per
    /// `CpuPeriod` microseconds (0 for each: no limit).
    CpuLimit {
        nano_cpus: i64,
        cpu_quota: i64,
        cpu_period: i64,
    },
}

/// Where the cluster comes from, shown in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterSource {
    Sim,
    Docker { project: String },
}

impl fmt::Display for ClusterSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sim => f.write_str("SIM"),
            Self::Docker { project } => write!(f, "DOCKER {project}"),
        }
    }
}
