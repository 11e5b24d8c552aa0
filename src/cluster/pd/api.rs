//! PD's HTTP API responses, as loosely as they vary across PD versions
//! (v2.1 to v8.x): every field that some version omits is an `Option`, and
//! unknown fields are ignored. Mapping into the project's model lives in
//! [`super::mapping`].

use serde::Deserialize;

/// `GET /pd/api/v1/stores`: `{"count": N, "stores": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct StoresResponse {
    #[serde(default)]
    pub count: Option<u64>,
    /// Absent in some versions when there are no stores.
    #[serde(default)]
    pub stores: Option<Vec<StoreInfo>>,
}

/// One entry of `/stores`, and the whole body of `GET /pd/api/v1/store/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct StoreInfo {
    #[serde(default)]
    pub store: Option<MetaStore>,
    #[serde(default)]
    pub status: Option<StoreStatus>,
}

/// kvproto `metapb.Store` plus `state_name`. Every proto field is
/// `omitempty`: `state` is absent for Up (0), `node_state` for Preparing.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct MetaStore {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub address: Option<String>,
    /// Meta state: Up = 0 (absent), Offline = 1, Tombstone = 2.
    #[serde(default)]
    pub state: Option<i64>,
    /// The name PD computes (Up, Disconnected, Down, Offline, Tombstone).
    #[serde(default)]
    pub state_name: Option<String>,
    #[serde(default)]
    pub labels: Option<Vec<StoreLabel>>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub peer_address: Option<String>,
    #[serde(default)]
    pub status_address: Option<String>,
    #[serde(default)]
    pub git_hash: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub start_timestamp: Option<i64>,
    #[serde(default)]
    pub deploy_path: Option<String>,
    /// Unix nanoseconds.
    #[serde(default)]
    pub last_heartbeat: Option<i64>,
    #[serde(default)]
    pub physically_destroyed: Option<bool>,
    /// Preparing = 0 (absent), Serving = 1, Removing = 2, Removed = 3.
    #[serde(default)]
    pub node_state: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StoreLabel {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// A store's status. Sizes are strings (`"4.071GiB"`); PD v3 and older omit
/// the leader fields of a store without leaders; after a PD restart most of
/// it can be missing; the mock in the fixtures is `{}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct StoreStatus {
    #[serde(default)]
    pub capacity: Option<String>,
    #[serde(default)]
    pub available: Option<String>,
    #[serde(default)]
    pub used_size: Option<String>,
    #[serde(default)]
    pub leader_count: Option<u64>,
    #[serde(default)]
    pub leader_weight: Option<f64>,
    #[serde(default)]
    pub leader_score: Option<f64>,
    #[serde(default)]
    pub leader_size: Option<i64>,
    #[serde(default)]
    pub region_count: Option<u64>,
    #[serde(default)]
    pub region_weight: Option<f64>,
    #[serde(default)]
    pub region_score: Option<f64>,
    #[serde(default)]
    pub region_size: Option<i64>,
    #[serde(default)]
    pub pending_peer_count: Option<u64>,
    #[serde(default)]
    pub sending_snap_count: Option<u64>,
    #[serde(default)]
    pub receiving_snap_count: Option<u64>,
    #[serde(default)]
    pub is_busy: Option<bool>,
    #[serde(default)]
    pub slow_score: Option<f64>,
    /// RFC 3339.
    #[serde(default)]
    pub start_ts: Option<String>,
    /// RFC 3339 with nanoseconds.
    #[serde(default)]
    pub last_heartbeat_ts: Option<String>,
    /// A Go duration, e.g. `"827h39m41.79222082s"`.
    #[serde(default)]
    pub uptime: Option<String>,
}

/// One entry of `GET /pd/api/v1/health`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct MemberHealth {
    #[serde(default)]
    pub name: Option<String>,
    /// Above 2^63 in real clusters: a u64, never an i64 or a double.
    #[serde(default)]
    pub member_id: Option<u64>,
    #[serde(default)]
    pub client_urls: Option<Vec<String>>,
    #[serde(default)]
    pub health: Option<bool>,
}

/// `GET /pd/api/v1/members`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct MembersResponse {
    #[serde(default)]
    pub members: Option<Vec<MemberInfo>>,
    /// The PD leader; absent while there is none.
    #[serde(default)]
    pub leader: Option<MemberInfo>,
    #[serde(default)]
    pub etcd_leader: Option<MemberInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct MemberInfo {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub member_id: Option<u64>,
    #[serde(default)]
    pub peer_urls: Option<Vec<String>>,
    #[serde(default)]
    pub client_urls: Option<Vec<String>>,
    #[serde(default)]
    pub binary_version: Option<String>,
    #[serde(default)]
    pub git_hash: Option<String>,
    #[serde(default)]
    pub deploy_path: Option<String>,
}

/// `GET /pd/api/v1/config` (full, or pd-ctl's `config show` subset). Only
/// what chaosdeck reads; the rest (with its string-typed booleans) is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ConfigResponse {
    #[serde(default)]
    pub schedule: Option<ScheduleConfig>,
    #[serde(default)]
    pub replication: Option<ReplicationConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ScheduleConfig {
    /// A Go duration, e.g. `"30m0s"`.
    #[serde(default, rename = "max-store-down-time")]
    pub max_store_down_time: Option<String>,
}

/// Also the whole body of `GET /pd/api/v1/config/replicate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ReplicationConfig {
    #[serde(default, rename = "max-replicas")]
    pub max_replicas: Option<u64>,
}

/// `GET /pd/api/v1/regions` and `/regions/check/{miss-peer,down-peer,...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RegionsResponse {
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub regions: Option<Vec<RegionInfo>>,
}

/// One region. Only the fields chaosdeck reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RegionInfo {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub peers: Option<Vec<RegionPeer>>,
    /// Absent (old PD) or `{}`/id 0 (newer PD, whose struct field is never
    /// omitted) while the region has no known leader.
    #[serde(default)]
    pub leader: Option<RegionPeer>,
    #[serde(default)]
    pub down_peers: Option<Vec<DownPeer>>,
    #[serde(default)]
    pub pending_peers: Option<Vec<RegionPeer>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RegionPeer {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub store_id: Option<u64>,
    #[serde(default)]
    pub role_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct DownPeer {
    #[serde(default)]
    pub peer: Option<RegionPeer>,
    #[serde(default)]
    pub down_seconds: Option<u64>,
}

/// `GET /pd/api/v1/cluster`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ClusterInfo {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub max_peer_count: Option<u64>,
}

/// `GET /pd/api/v1/status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StatusResponse {
    #[serde(default)]
    pub build_ts: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub git_hash: Option<String>,
    #[serde(default)]
    pub start_timestamp: Option<i64>,
}
