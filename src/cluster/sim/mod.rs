//! The built-in simulated TiKV cluster: three PD members and 3 to 7 TiKV
//! stores holding regions of three replicas, with PD's store-state rule, raft
//! elections, PD's leader schedulers, PD's own leader lease and election,
//! every fault of the catalogue and a YCSB-like workload.
//!
//! [`Simulator`] is the pure, synchronous model, stepped in fixed
//! [`STEP`]s of simulation time; [`SimBackend`] puts it behind the
//! [`ClusterBackend`](crate::cluster::ClusterBackend) trait and keeps it in
//! step with show time.

mod backend;
mod config;
mod faults;
mod load;
pub(crate) mod node;
mod pd_members;
pub(crate) mod raft;
mod simulator;
mod tcp;
pub(crate) mod topology;

pub use backend::{DRIVER_PERIOD, STREAM_CAPACITY, SimBackend, SimStartError};
pub use config::{
    MAX_REGIONS, MAX_STORES, MIN_HEARTBEAT_INTERVAL, MIN_STORES, SimConfig, SimConfigError,
};
pub use pd_members::{LEADER_LEASE, PD_MEMBERS};
pub use simulator::{BOOT_TIME, EVICT_LEADER_TIMEOUT, RegionView, STEP, Simulator};
