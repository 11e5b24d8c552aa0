//! The TiKV stand-in: a [`Replica`] behind two ports, as TiKV has them.
//!
//! - Server port (20160): the raft view its peers read, and the load's
//!   requests, served only for regions it leads (others: 503, "not leader").
//! - Status port (20180): `/metrics` (Prometheus text, TiKV's names) and
//!   `/status` (its pace, its peers, its leaders).
//!
//! It asks its peers four times a heartbeat whether they answer, heartbeats
//! its store to PD every interval, and heartbeats its regions to PD at once
//! when it becomes their leader and every region heartbeat period after.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::cpu_gate::CpuGate;
use super::http::{self, Request, Response};
use super::pace::{Pace, go_duration};
use super::replica::Replica;
use super::wire::{
    KV_PATH_PREFIX, RAFT_VIEW_PATH, REGION_HEARTBEAT_PATH, RaftView, RegionHeartbeat,
    STORE_HEARTBEAT_PATH, StoreHeartbeat,
};
use super::{Cluster, pd_urls};

pub const SERVER_PORT: u16 = 20160;
pub const STATUS_PORT: u16 = 20180;
const VERSION: &str = "8.5.1-standin";
/// Where a container sees its own cgroup.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";
/// What each store says it can hold.
const CAPACITY_BYTES: u64 = 100 << 30;

#[derive(Debug, Clone, Args)]
pub struct TikvArgs {
    /// This store's index: it is `tikv<index>` on the network.
    #[arg(long)]
    pub index: u8,
}

/// Requests served, by kind, for `/metrics`.
#[derive(Debug, Default)]
struct Served {
    reads: u64,
    updates: u64,
    not_leader: u64,
}

struct Node {
    replica: Replica,
    served: Served,
    heartbeats_sent: u64,
}

type Shared = Arc<Mutex<Node>>;

fn lock(node: &Shared) -> std::sync::MutexGuard<'_, Node> {
    node.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn service(index: u8) -> String {
    format!("tikv{index}")
}

pub async fn run(
    args: &TikvArgs,
    cluster: &Cluster,
    cancel: CancellationToken,
) -> Result<(), String> {
    let stores = cluster.topology.store_ids.len();
    if usize::from(args.index) >= stores {
        return Err(format!(
            "--index {} is not a store of a {stores}-store cluster",
            args.index
        ));
    }
    let pd = pd_urls(&cluster.pd)?;
    let pace = cluster.pace;
    let node: Shared = Arc::new(Mutex::new(Node {
        replica: Replica::new(args.index, &cluster.topology, pace),
        served: Served::default(),
        heartbeats_sent: 0,
    }));
    let server = bind(SERVER_PORT).await?;
    let status = bind(STATUS_PORT).await?;
    let started = SystemTime::now();
    println!(
        "[INFO] tikv stand-in {} (store {}) listening on :{SERVER_PORT} and :{STATUS_PORT}; \
         heartbeat {}, PD names a silent store Disconnected after {}",
        service(args.index),
        cluster.topology.store_ids[usize::from(args.index)],
        go_duration(pace.heartbeat),
        go_duration(pace.disconnected_after()),
    );

    let serving = node.clone();
    let cpu = CpuGate::watch_cgroup(CGROUP_ROOT, cancel.clone());
    tokio::spawn(http::serve(
        server,
        move |request| {
            let node = serving.clone();
            let cpu = cpu.clone();
            async move {
                let (response, ops) = serve_server(&node, &request);
                // The work of what it served, on the CPU its cgroup grants.
                cpu.serve(ops).await;
                response
            }
        },
        cancel.clone(),
    ));
    let status_node = node.clone();
    tokio::spawn(http::serve(
        status,
        move |request| {
            let node = status_node.clone();
            async move { serve_status(&node, &request, pace, started) }
        },
        cancel.clone(),
    ));
    let probes = http::client(pace.probe_every().mul_f64(0.8))?;
    let heartbeats = http::client(pace.heartbeat)?;
    tokio::spawn(raft_loop(node.clone(), probes, pd.clone(), cancel.clone()));
    heartbeat_loop(node, heartbeats, pace, pd, started, cancel).await;
    Ok(())
}

async fn bind(port: u16) -> Result<TcpListener, String> {
    TcpListener::bind(("0.0.0.0", port))
        .await
        .map_err(|e| format!("cannot listen on port {port}: {e}"))
}

/// The answer, and the operations it served (what costs CPU).
fn serve_server(node: &Shared, request: &Request) -> (Response, u64) {
    if request.path == RAFT_VIEW_PATH {
        let view = lock(node).replica.view();
        return (
            Response::json(&serde_json::to_value(view).unwrap_or_default()),
            0,
        );
    }
    let Some(op) = request.path.strip_prefix(KV_PATH_PREFIX) else {
        return (Response::not_found(&request.path), 0);
    };
    let region = request.param("region").and_then(|r| r.parse::<u64>().ok());
    let ops = request
        .param("ops")
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(1);
    let (Some(region), "read" | "update") = (region, op) else {
        return (
            Response::text(400, "expected /standin/kv/{read|update}?region=ID&ops=N\n"),
            0,
        );
    };
    let mut node = lock(node);
    if !node.replica.leads(region) {
        node.served.not_leader += 1;
        return (Response::text(503, "not leader\n"), 0);
    }
    if op == "read" {
        node.served.reads += ops;
    } else {
        node.served.updates += ops;
    }
    (Response::text(200, "ok\n"), ops)
}

fn serve_status(node: &Shared, request: &Request, pace: Pace, started: SystemTime) -> Response {
    let node = lock(node);
    match request.path.as_str() {
        "/metrics" => Response {
            status: 200,
            content_type: "text/plain; version=0.0.4",
            body: metrics(&node, started).into_bytes(),
        },
        "/status" => {
            let replica = &node.replica;
            let peers: Vec<_> = replica
                .answering()
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != usize::from(replica.me))
                .map(|(i, &answering)| json!({"service": service(i as u8), "answering": answering}))
                .collect();
            Response::json(&json!({
                "service": service(replica.me),
                "store_id": replica.store_id(),
                "version": VERSION,
                "heartbeat_interval": go_duration(pace.heartbeat),
                "disconnected_after": go_duration(pace.disconnected_after()),
                "election_timeout": format!(
                    "{}-{}",
                    go_duration(pace.election_timeout().min),
                    go_duration(pace.election_timeout().max)
                ),
                "region_heartbeat_every": go_duration(pace.region_heartbeat_every()),
                "leaders": replica.leader_count(),
                "regions": replica.region_count(),
                "synced": replica.synced(),
                "peers": peers,
                "store_heartbeats_sent": node.heartbeats_sent,
            }))
        }
        path => Response::not_found(path),
    }
}

/// TiKV's names: requests by gRPC message type (go-ycsb's raw mode sends
/// `raw_get` and `raw_put`), regions and leaders held.
fn metrics(node: &Node, started: SystemTime) -> String {
    let start = started
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let replica = &node.replica;
    format!(
        "# HELP tikv_grpc_msg_duration_seconds Bucketed histogram of grpc server messages\n\
         # TYPE tikv_grpc_msg_duration_seconds histogram\n\
         tikv_grpc_msg_duration_seconds_count{{type=\"raw_get\"}} {}\n\
         tikv_grpc_msg_duration_seconds_count{{type=\"raw_put\"}} {}\n\
         # HELP tikv_raftstore_region_count Number of regions collected in region_collection_worker\n\
         # TYPE tikv_raftstore_region_count gauge\n\
         tikv_raftstore_region_count{{type=\"leader\"}} {}\n\
         tikv_raftstore_region_count{{type=\"region\"}} {}\n\
         # HELP tikv_standin_not_leader_total Requests refused for a region this store does not lead\n\
         # TYPE tikv_standin_not_leader_total counter\n\
         tikv_standin_not_leader_total {}\n\
         # HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n\
         # TYPE process_start_time_seconds gauge\n\
         process_start_time_seconds {start}\n",
        node.served.reads,
        node.served.updates,
        replica.leader_count(),
        replica.region_count(),
        node.served.not_leader,
    )
}

/// Asks every peer for its raft view, feeds the answers to the replica, and
/// heartbeats at once the regions it now leads.
async fn raft_loop(
    node: Shared,
    client: reqwest::Client,
    pd: Vec<String>,
    cancel: CancellationToken,
) {
    let (me, stores, pace) = {
        let node = lock(&node);
        (
            node.replica.me,
            node.replica.store_ids.len(),
            node.replica.pace(),
        )
    };
    let epoch = Instant::now();
    let mut tick = tokio::time::interval(pace.probe_every());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let asks = (0..stores).map(|peer| {
            let client = client.clone();
            async move {
                if peer == usize::from(me) {
                    return None;
                }
                let url = format!(
                    "http://{}:{SERVER_PORT}{RAFT_VIEW_PATH}",
                    service(peer as u8)
                );
                let answer = client.get(url).send().await.ok()?;
                answer.json::<RaftView>().await.ok()
            }
        });
        let answers = futures::future::join_all(asks).await;
        let now = epoch.elapsed();
        let (round, heartbeat) = {
            let mut node = lock(&node);
            let round = node.replica.observe(now, &answers);
            let heartbeat = (node.replica.synced() && !round.became_leader.is_empty()).then(|| {
                RegionHeartbeat {
                    leader_store_id: node.replica.store_id(),
                    regions: node.replica.reports(now, Some(&round.became_leader)),
                }
            });
            (round, heartbeat)
        };
        for peer in &round.lost {
            println!("[WARN] peer {} stopped answering", service(*peer));
        }
        for peer in &round.back {
            println!("[INFO] peer {} answers again", service(*peer));
        }
        if let Some(heartbeat) = heartbeat {
            println!(
                "[INFO] became leader of {} regions",
                heartbeat.regions.len()
            );
            let _ = post(&client, &pd, REGION_HEARTBEAT_PATH, &heartbeat).await;
        }
    }
}

async fn heartbeat_loop(
    node: Shared,
    client: reqwest::Client,
    pace: Pace,
    pd: Vec<String>,
    started: SystemTime,
    cancel: CancellationToken,
) {
    let epoch = Instant::now();
    let start_timestamp = started
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut tick = tokio::time::interval(pace.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_regions: Option<Instant> = None;
    let mut pd_was_reachable = true;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = epoch.elapsed();
        let (store, regions) = {
            let mut node = lock(&node);
            node.heartbeats_sent += 1;
            let replica = &node.replica;
            let store = StoreHeartbeat {
                store_id: replica.store_id(),
                address: format!("{}:{SERVER_PORT}", service(replica.me)),
                status_address: format!("{}:{STATUS_PORT}", service(replica.me)),
                version: VERSION.into(),
                start_timestamp,
                region_count: u64::from(replica.region_count()),
                capacity_bytes: CAPACITY_BYTES,
                used_bytes: replica.data_bytes(),
                heartbeat_ms: pace.heartbeat.as_millis() as u64,
            };
            let due = last_regions.is_none_or(|at| at.elapsed() >= pace.region_heartbeat_every());
            let regions = (due && replica.synced()).then(|| RegionHeartbeat {
                leader_store_id: replica.store_id(),
                regions: replica.reports(now, None),
            });
            (store, regions)
        };
        let reachable = post(&client, &pd, STORE_HEARTBEAT_PATH, &store)
            .await
            .is_ok();
        if reachable != pd_was_reachable {
            if reachable {
                println!("[INFO] PD answers store heartbeats again");
            } else {
                println!("[WARN] store heartbeat to PD failed");
            }
            pd_was_reachable = reachable;
        }
        if let Some(regions) = regions
            && post(&client, &pd, REGION_HEARTBEAT_PATH, &regions)
                .await
                .is_ok()
        {
            last_regions = Some(Instant::now());
        }
    }
}

/// POSTs `body` to the first PD that takes it.
async fn post<T: serde::Serialize>(
    client: &reqwest::Client,
    pd: &[String],
    path: &str,
    body: &T,
) -> Result<(), ()> {
    for endpoint in pd {
        let sent = client
            .post(format!("{endpoint}{path}"))
            .json(body)
            .send()
            .await;
        if sent.is_ok_and(|answer| answer.status().is_success()) {
            return Ok(());
        }
    }
    Err(())
}
