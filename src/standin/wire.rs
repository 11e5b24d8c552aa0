//! What the stand-ins send each other, as JSON: TiKV's store and region
//! heartbeats to PD (kvproto's `StoreHeartbeatRequest` and
//! `RegionHeartbeatRequest`, cut to what PD's answers need) and a TiKV's
//! view of its regions' leaders, which its peers read to follow elections.

use serde::{Deserialize, Serialize};

/// The stand-in PD's heartbeat endpoints (not PD's: real TiKV speaks gRPC).
pub const STORE_HEARTBEAT_PATH: &str = "/standin/store-heartbeat";
pub const REGION_HEARTBEAT_PATH: &str = "/standin/region-heartbeat";
/// A TiKV stand-in's raft view, on its server port.
pub const RAFT_VIEW_PATH: &str = "/standin/raft";
/// The load's requests, on a TiKV stand-in's server port.
pub const KV_PATH_PREFIX: &str = "/standin/kv/";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreHeartbeat {
    pub store_id: u64,
    pub address: String,
    pub status_address: String,
    pub version: String,
    /// Unix seconds.
    pub start_timestamp: i64,
    pub region_count: u64,
    pub capacity_bytes: u64,
    pub used_bytes: u64,
    /// The heartbeat interval it runs with, in milliseconds.
    pub heartbeat_ms: u64,
}

/// Regions this store leads, sent at once when it becomes their leader and
/// then every region heartbeat period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionHeartbeat {
    pub leader_store_id: u64,
    pub regions: Vec<RegionReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionReport {
    pub id: u64,
    pub term: u64,
    /// Store ids of peers silent for longer than `max-peer-down-duration`,
    /// with how long.
    #[serde(default)]
    pub down_peers: Vec<DownPeerReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownPeerReport {
    pub store_id: u64,
    pub down_seconds: u64,
}

/// One store's view of every region's leader (by store index) and term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaftView {
    pub store_index: u8,
    pub regions: Vec<LeaderView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LeaderView {
    pub id: u64,
    pub leader: Option<u8>,
    pub term: u64,
}
