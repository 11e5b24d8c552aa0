//! The PD stand-in: PD's HTTP endpoints that chaosdeck reads, answered
//! from the heartbeats the TiKV stand-ins send, kept in PD's own book
//! ([`PdBook`], the same one the simulator's PD view uses).
//!
//! The book runs on PD's clock ([`Pace::on_pd_clock`]): at a 1 s heartbeat
//! PD's 20 s rule names a store Disconnected after 2 s of real time, and
//! every time PD reports is turned back into real time on the way out.
//! Bodies follow PD v8's shapes (the samples in the fixtures).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::Cluster;
use super::http::{self, Request, Response};
use super::pace::{Pace, go_duration};
use super::wire::{REGION_HEARTBEAT_PATH, RegionHeartbeat, STORE_HEARTBEAT_PATH, StoreHeartbeat};
use crate::cluster::pd_view::{self, PdBook};
use crate::cluster::sim::topology::Topology;

pub const CLIENT_PORT: u16 = 2379;
const VERSION: &str = "v8.5.1-standin";
const NAME: &str = "pd0";
/// PD member ids are random u64s, often above 2^63.
const MEMBER_ID: u64 = 13_231_409_498_587_634_271;
const CLUSTER_ID: u64 = 7_447_013_116_735_236_541;

/// What a store said of itself that the book does not keep.
#[derive(Debug, Clone)]
struct StoreDetail {
    heartbeat: StoreHeartbeat,
}

struct Pd {
    pace: Pace,
    /// Real time zero of PD's clock, and the wall clock then.
    epoch: Instant,
    epoch_wall: SystemTime,
    book: PdBook,
    details: BTreeMap<u64, StoreDetail>,
    /// Each region's peers as placed at bootstrap, by store id.
    peers: BTreeMap<u64, Vec<u64>>,
}

type Shared = Arc<Mutex<Pd>>;

impl Pd {
    fn new(pace: Pace, topology: &Topology, max_store_down_time: Duration) -> Self {
        let mut book = PdBook::new(max_store_down_time);
        let mut peers = BTreeMap::new();
        for seed in &topology.regions {
            let stores: Vec<u64> = seed
                .peers
                .iter()
                .map(|&p| topology.store_ids[p as usize])
                .collect();
            book.put_region(seed.id, stores.clone());
            peers.insert(seed.id, stores);
        }
        Self {
            pace,
            epoch: Instant::now(),
            epoch_wall: SystemTime::now(),
            book,
            details: BTreeMap::new(),
            peers,
        }
    }

    /// Now on PD's clock.
    fn now(&self) -> Duration {
        self.pace.on_pd_clock(self.epoch.elapsed())
    }

    /// A moment of PD's clock on the wall clock.
    fn wall(&self, at: Duration) -> SystemTime {
        self.epoch_wall + self.pace.real(at)
    }

    fn store_heartbeat(&mut self, heartbeat: StoreHeartbeat) {
        let now = self.now();
        self.book
            .put_store(heartbeat.store_id, &heartbeat.address, now);
        self.details
            .insert(heartbeat.store_id, StoreDetail { heartbeat });
    }

    fn region_heartbeat(&mut self, heartbeat: RegionHeartbeat) {
        let now = self.now();
        for report in heartbeat.regions {
            let peer_stores = self.peers.get(&report.id).cloned().unwrap_or_default();
            self.book.region_heartbeat(
                pd_view::RegionHeartbeat {
                    region_id: report.id,
                    term: report.term,
                    leader_store: heartbeat.leader_store_id,
                    peer_stores,
                    down_peer_stores: report.down_peers.iter().map(|d| d.store_id).collect(),
                },
                now,
            );
        }
    }

    fn store_json(&self, id: u64) -> Option<Value> {
        let booked = self.book.store(id)?;
        let detail = self.details.get(&id)?;
        let hb = &detail.heartbeat;
        let now = self.now();
        let state = self.book.store_state(id, now)?;
        let last = unix_nanos(self.wall(booked.last_heartbeat));
        let start = hb.start_timestamp;
        let uptime = SystemTime::now()
            .duration_since(UNIX_EPOCH + Duration::from_secs(start.max(0) as u64))
            .unwrap_or_default();
        let leaders = self.book.leader_count(id);
        let regions = self.book.region_count(id);
        Some(json!({
            "store": {
                "id": id,
                "address": booked.address,
                "version": hb.version,
                "peer_address": booked.address,
                "status_address": hb.status_address,
                "git_hash": "standin",
                "start_timestamp": start,
                "deploy_path": "/",
                "last_heartbeat": last,
                "node_state": 1,
                "state_name": state.to_string(),
            },
            "status": {
                "capacity": human_size(hb.capacity_bytes),
                "available": human_size(hb.capacity_bytes.saturating_sub(hb.used_bytes)),
                "used_size": human_size(hb.used_bytes),
                "leader_count": leaders,
                "leader_weight": 1,
                "leader_score": leaders,
                "leader_size": leaders,
                "region_count": regions,
                "region_weight": 1,
                "region_score": regions,
                "region_size": regions,
                "slow_score": 1,
                "start_ts": rfc3339(UNIX_EPOCH + Duration::from_secs(start.max(0) as u64)),
                "last_heartbeat_ts": rfc3339(self.wall(booked.last_heartbeat)),
                "uptime": go_duration(Duration::from_secs(uptime.as_secs())),
            }
        }))
    }

    fn stores_json(&self) -> Value {
        let stores: Vec<Value> = self
            .book
            .stores()
            .filter_map(|s| self.store_json(s.id))
            .collect();
        json!({ "count": stores.len(), "stores": stores })
    }

    fn regions_json(&self, keep: impl Fn(&pd_view::BookedRegion) -> bool) -> Value {
        let regions: Vec<Value> = self
            .book
            .regions()
            .filter(|r| keep(r))
            .map(|region| {
                let peer = |store: u64| {
                    let position = region
                        .peer_stores
                        .iter()
                        .position(|&s| s == store)
                        .unwrap_or(0) as u64;
                    json!({ "id": region.id + 1 + position, "store_id": store, "role_name": "Voter" })
                };
                let peers: Vec<Value> = region.peer_stores.iter().map(|&s| peer(s)).collect();
                let down: Vec<Value> = region
                    .down_peer_stores
                    .iter()
                    .map(|&s| json!({ "peer": peer(s), "down_seconds": 600 }))
                    .collect();
                json!({
                    "id": region.id,
                    "start_key": "",
                    "end_key": "",
                    "epoch": { "conf_ver": 5, "version": region.id },
                    "peers": peers,
                    // PD v8 writes the struct even when no leader is known.
                    "leader": region.leader_store.map_or(json!({}), peer),
                    "down_peers": down,
                    "pending_peers": [],
                    "approximate_size": 64,
                    "approximate_keys": 640_000,
                })
            })
            .collect();
        json!({ "count": regions.len(), "regions": regions })
    }

    fn member(&self) -> Value {
        json!({
            "name": NAME,
            "member_id": MEMBER_ID,
            "peer_urls": [format!("http://{NAME}:2380")],
            "client_urls": [format!("http://{NAME}:{CLIENT_PORT}")],
            "binary_version": VERSION,
            "git_hash": "standin",
            "deploy_path": "/",
        })
    }

    fn config(&self) -> Value {
        let pace = self.pace;
        json!({
            "schedule": {
                // In real time, as every other figure the stand-in reports.
                "max-store-down-time": go_duration(pace.real(self.book.max_store_down_time())),
                "leader-schedule-limit": 4,
                "region-schedule-limit": 2048,
            },
            "replication": {
                "max-replicas": pd_view::MAX_REPLICAS,
                "location-labels": "",
            },
            "pd-standin": {
                "heartbeat-interval": go_duration(pace.heartbeat),
                "disconnected-after": go_duration(pace.disconnected_after()),
                "region-heartbeat-interval": go_duration(pace.region_heartbeat_every()),
                "max-peer-down-duration": go_duration(pace.max_peer_down()),
                "times-faster-than-real": pace.factor(),
            },
        })
    }

    fn answer(&mut self, request: &Request) -> Response {
        let path = request.path.trim_end_matches('/');
        match (request.method.as_str(), path) {
            ("POST", STORE_HEARTBEAT_PATH) => match serde_json::from_slice(&request.body) {
                Ok(heartbeat) => {
                    self.store_heartbeat(heartbeat);
                    Response::json(&json!({}))
                }
                Err(e) => Response::text(400, format!("store heartbeat: {e}\n")),
            },
            ("POST", REGION_HEARTBEAT_PATH) => match serde_json::from_slice(&request.body) {
                Ok(heartbeat) => {
                    self.region_heartbeat(heartbeat);
                    Response::json(&json!({}))
                }
                Err(e) => Response::text(400, format!("region heartbeat: {e}\n")),
            },
            ("GET", "/pd/api/v1/stores") => Response::json(&self.stores_json()),
            ("GET", "/pd/api/v1/health") => Response::json(&json!([{
                "name": NAME,
                "member_id": MEMBER_ID,
                "client_urls": [format!("http://{NAME}:{CLIENT_PORT}")],
                "health": true,
            }])),
            ("GET", "/pd/api/v1/members") => Response::json(&json!({
                "header": { "cluster_id": CLUSTER_ID },
                "members": [self.member()],
                "leader": self.member(),
                "etcd_leader": self.member(),
            })),
            ("GET", "/pd/api/v1/config") => Response::json(&self.config()),
            ("GET", "/pd/api/v1/config/replicate") => Response::json(&self.config()["replication"]),
            ("GET", "/pd/api/v1/regions") => Response::json(&self.regions_json(|_| true)),
            ("GET", "/pd/api/v1/regions/check/miss-peer") => {
                Response::json(&self.regions_json(pd_view::BookedRegion::misses_a_peer))
            }
            ("GET", "/pd/api/v1/regions/check/down-peer") => {
                Response::json(&self.regions_json(pd_view::BookedRegion::has_down_peer))
            }
            ("GET", "/pd/api/v1/cluster") => Response::json(&json!({
                "id": CLUSTER_ID,
                "max_peer_count": pd_view::MAX_REPLICAS,
            })),
            ("GET", "/pd/api/v1/status") => Response::json(&json!({
                "build_ts": "2026-12-01 00:00:00",
                "version": VERSION,
                "git_hash": "standin",
                "start_timestamp": self.epoch_wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            })),
            ("GET", other) => match other.strip_prefix("/pd/api/v1/store/") {
                Some(id) => match id.parse::<u64>().ok().and_then(|id| self.store_json(id)) {
                    Some(store) => Response::json(&store),
                    None => Response::text(404, "\"store not found\"\n"),
                },
                None => Response::not_found(other),
            },
            _ => Response::text(405, "method not allowed\n"),
        }
    }
}

fn unix_nanos(at: SystemTime) -> i128 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

fn rfc3339(at: SystemTime) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(unix_nanos(at))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Sizes as PD writes them: `100GiB`, `4.071GiB`, `512MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{}", UNITS[unit])
}

pub async fn run(cluster: &Cluster, cancel: CancellationToken) -> Result<(), String> {
    let pd: Shared = Arc::new(Mutex::new(Pd::new(
        cluster.pace,
        &cluster.topology,
        cluster.max_store_down_time,
    )));
    let listener = TcpListener::bind(("0.0.0.0", CLIENT_PORT))
        .await
        .map_err(|e| format!("cannot listen on port {CLIENT_PORT}: {e}"))?;
    println!(
        "[INFO] pd stand-in listening on :{CLIENT_PORT}; {} regions on {} stores; \
         heartbeat {}, Disconnected after {}",
        cluster.topology.regions.len(),
        cluster.topology.store_ids.len(),
        go_duration(cluster.pace.heartbeat),
        go_duration(cluster.pace.disconnected_after()),
    );
    http::serve(
        listener,
        move |request| {
            let pd = pd.clone();
            async move {
                pd.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .answer(&request)
            }
        },
        cancel,
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::model::StoreState;
    use crate::cluster::pd::api::{RegionsResponse, StoresResponse};
    use crate::cluster::pd::mapping::{count_without_leader, map_stores};
    use crate::cluster::sim::topology::bootstrap;
    use crate::standin::wire::RegionReport;
    use rand::SeedableRng;

    fn pd() -> Pd {
        let topology = bootstrap(3, 6, &mut rand_chacha::ChaCha8Rng::seed_from_u64(7));
        Pd::new(
            Pace::new(Duration::from_millis(100)),
            &topology,
            Duration::from_secs(1800),
        )
    }

    fn heartbeat(id: u64) -> StoreHeartbeat {
        StoreHeartbeat {
            store_id: id,
            address: format!("tikv{id}:20160"),
            status_address: format!("tikv{id}:20180"),
            version: "8.5.1-standin".into(),
            start_timestamp: 1_764_000_000,
            region_count: 6,
            capacity_bytes: 100 << 30,
            used_bytes: 3 << 30,
            heartbeat_ms: 100,
        }
    }

    fn get(pd: &mut Pd, path: &str) -> Response {
        pd.answer(&Request {
            method: "GET".into(),
            path: path.into(),
            query: String::new(),
            body: Vec::new(),
        })
    }

    #[test]
    fn stores_read_back_through_chaosdecks_own_mapping() {
        let mut pd = pd();
        for id in [1, 4, 5] {
            pd.store_heartbeat(heartbeat(id));
        }
        let body = get(&mut pd, "/pd/api/v1/stores").body;
        let stores: StoresResponse = serde_json::from_slice(&body).unwrap();
        let mapped = map_stores(&stores, SystemTime::now());
        assert_eq!(mapped.stores.len(), 3, "{:?}", mapped.skipped);
        assert!(mapped.stores.iter().all(|s| s.state == StoreState::Up));
        // 20 s on PD's clock at ten times a 100 ms heartbeat's pace...
        std::thread::sleep(Duration::from_millis(250));
        pd.store_heartbeat(heartbeat(1));
        let body = get(&mut pd, "/pd/api/v1/stores").body;
        let stores: StoresResponse = serde_json::from_slice(&body).unwrap();
        let states: Vec<StoreState> = map_stores(&stores, SystemTime::now())
            .stores
            .into_iter()
            .map(|s| s.state)
            .collect();
        assert_eq!(
            states,
            [
                StoreState::Up,
                StoreState::Disconnected,
                StoreState::Disconnected
            ]
        );
    }

    #[test]
    fn regions_keep_the_last_reported_leader() {
        let mut pd = pd();
        let read = |pd: &mut Pd| -> RegionsResponse {
            serde_json::from_slice(&get(pd, "/pd/api/v1/regions").body).unwrap()
        };
        assert_eq!(count_without_leader(&read(&mut pd)), 6, "none reported yet");
        let ids: Vec<u64> = pd.peers.keys().copied().collect();
        let report = |term| RegionHeartbeat {
            leader_store_id: 4,
            regions: ids
                .iter()
                .map(|&id| RegionReport {
                    id,
                    term,
                    down_peers: vec![],
                })
                .collect(),
        };
        pd.region_heartbeat(report(3));
        assert_eq!(count_without_leader(&read(&mut pd)), 0);
        // An older term from another store is ignored.
        pd.region_heartbeat(RegionHeartbeat {
            leader_store_id: 1,
            ..report(2)
        });
        let regions = read(&mut pd);
        assert!(
            regions
                .regions
                .unwrap()
                .iter()
                .all(|r| r.leader.as_ref().and_then(|l| l.store_id) == Some(4))
        );
    }

    #[test]
    fn the_config_names_the_pace() {
        let mut pd = pd();
        let config: Value =
            serde_json::from_slice(&get(&mut pd, "/pd/api/v1/config").body).unwrap();
        assert_eq!(config["pd-standin"]["heartbeat-interval"], "100ms");
        assert_eq!(config["pd-standin"]["disconnected-after"], "200ms");
        assert_eq!(config["schedule"]["max-store-down-time"], "18s");
        assert_eq!(get(&mut pd, "/pd/api/v1/nothing").status, 404);
        assert_eq!(get(&mut pd, "/pd/api/v1/store/99").status, 404);
    }

    #[test]
    fn sizes_as_pd_writes_them() {
        assert_eq!(human_size(100 << 30), "100GiB");
        assert_eq!(human_size((4 << 30) + (73 << 20)), "4.071GiB");
        assert_eq!(human_size(512), "512B");
    }
}
