//! The load stand-in: a YCSB workload A (half reads, half updates) over
//! the regions, sent as a TiKV client sends it: to the leader PD names
//! (a region cache refreshed from PD, dropped on an error), so while a
//! region's leader is dead, frozen or cut off its requests fail or time out
//! until a new leader has told PD, and the rate drops. Prints go-ycsb's
//! report every `--report-every`.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clap::Args;
use rand::{Rng, SeedableRng};
use tokio_util::sync::CancellationToken;

use super::http;
use super::tikv::SERVER_PORT;
use super::wire::KV_PATH_PREFIX;
use super::ycsb_lines::Measurements;
use super::{Cluster, pd_urls};
use crate::cluster::pd::api::{RegionsResponse, StoresResponse};
use crate::units::parse_duration;

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Seconds between report lines (go-ycsb's `--interval`).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub report_every: Duration,
    /// Operations per second aimed at (go-ycsb's `target`).
    #[arg(long, default_value_t = 1000.0)]
    pub target: f64,
    /// Client threads (go-ycsb's `threadcount`).
    #[arg(long, default_value_t = 4)]
    pub threads: u32,
    /// Operations carried by one request.
    #[arg(long, default_value_t = 10)]
    pub batch: u32,
    /// Longest wait for a TiKV's answer.
    #[arg(long, default_value = "300ms", value_parser = parse_duration)]
    pub request_timeout: Duration,
}

/// Which store leads each region, as PD last said: region id to address.
#[derive(Debug, Default)]
struct RegionCache {
    leaders: HashMap<u64, String>,
    stale: bool,
}

/// The leaders PD names, as `host:port` of their stores.
fn leaders_from(regions: &RegionsResponse, stores: &StoresResponse) -> HashMap<u64, String> {
    let addresses: HashMap<u64, String> = stores
        .stores
        .iter()
        .flatten()
        .filter_map(|s| {
            let meta = s.store.as_ref()?;
            Some((meta.id?, meta.address.clone()?))
        })
        .collect();
    regions
        .regions
        .iter()
        .flatten()
        .filter_map(|r| {
            let store = r.leader.as_ref()?.store_id?;
            Some((r.id?, addresses.get(&store)?.clone()))
        })
        .collect()
}

type Shared<T> = Arc<Mutex<T>>;

fn lock<T>(m: &Shared<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub async fn run(
    args: &LoadArgs,
    cluster: &Cluster,
    cancel: CancellationToken,
) -> Result<(), String> {
    if !(args.target > 0.0 && args.target.is_finite()) || args.threads == 0 || args.batch == 0 {
        return Err("--target, --threads and --batch must be above 0".into());
    }
    let pd = pd_urls(&cluster.pd)?;
    let regions: Vec<(u64, f64)> = cluster
        .topology
        .regions
        .iter()
        .map(|r| (r.id, r.weight))
        .collect();
    let cache: Shared<RegionCache> = Arc::default();
    let measurements: Shared<Measurements> = Arc::default();
    eprintln!(
        "[INFO] load stand-in: {} threads, target {} ops/s, {} regions, report every {:?}",
        args.threads,
        args.target,
        regions.len(),
        args.report_every
    );
    let pd_client = http::client(Duration::from_millis(500))?;
    let kv_client = http::client(args.request_timeout)?;
    tokio::spawn(refresh_cache(cache.clone(), pd_client, pd, cancel.clone()));
    let started = Instant::now();
    for _ in 0..args.threads {
        tokio::spawn(worker(
            args.clone(),
            kv_client.clone(),
            regions.clone(),
            cache.clone(),
            measurements.clone(),
            cancel.clone(),
        ));
    }
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + args.report_every,
        args.report_every,
    );
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            _ = tick.tick() => {}
        }
        let report = lock(&measurements).report(started.elapsed());
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(report.as_bytes());
        let _ = out.flush();
    }
}

/// Asks PD for the regions' leaders every 200 ms, or at once when a worker
/// found the cache stale.
async fn refresh_cache(
    cache: Shared<RegionCache>,
    client: reqwest::Client,
    pd: Vec<String>,
    cancel: CancellationToken,
) {
    let mut since_refresh = Instant::now() - Duration::from_secs(1);
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let due = lock(&cache).stale || since_refresh.elapsed() >= Duration::from_millis(200);
        if due {
            for endpoint in &pd {
                let regions = fetch::<RegionsResponse>(&client, endpoint, "/pd/api/v1/regions");
                let stores = fetch::<StoresResponse>(&client, endpoint, "/pd/api/v1/stores");
                if let (Some(regions), Some(stores)) = tokio::join!(regions, stores) {
                    let mut cache = lock(&cache);
                    cache.leaders = leaders_from(&regions, &stores);
                    cache.stale = false;
                    since_refresh = Instant::now();
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn fetch<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    endpoint: &str,
    path: &str,
) -> Option<T> {
    let answer = client.get(format!("{endpoint}{path}")).send().await.ok()?;
    answer.json::<T>().await.ok()
}

fn pick(regions: &[(u64, f64)], rng: &mut impl Rng) -> u64 {
    let total: f64 = regions.iter().map(|(_, w)| w).sum();
    let mut at = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
    for &(id, weight) in regions {
        if at < weight {
            return id;
        }
        at -= weight;
    }
    regions.last().map_or(0, |&(id, _)| id)
}

async fn worker(
    args: LoadArgs,
    client: reqwest::Client,
    regions: Vec<(u64, f64)>,
    cache: Shared<RegionCache>,
    measurements: Shared<Measurements>,
    cancel: CancellationToken,
) {
    // Each thread's share of the target, one request at a time.
    let period =
        Duration::from_secs_f64(f64::from(args.batch) * f64::from(args.threads) / args.target);
    let mut rng = rand_chacha::ChaCha8Rng::from_rng(&mut rand::rng());
    let mut next = tokio::time::Instant::now();
    while !cancel.is_cancelled() {
        let op = if rng.random_bool(0.5) {
            "READ"
        } else {
            "UPDATE"
        };
        let region = pick(&regions, &mut rng);
        let leader = lock(&cache).leaders.get(&region).cloned();
        let started = Instant::now();
        let ok = match leader {
            Some(address) => {
                let host = address.split(':').next().unwrap_or_default();
                let url = format!(
                    "http://{host}:{SERVER_PORT}{KV_PATH_PREFIX}{}?region={region}&ops={}",
                    op.to_ascii_lowercase(),
                    args.batch
                );
                client
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|answer| answer.status().is_success())
            }
            None => false,
        };
        let per_op = started.elapsed() / args.batch;
        lock(&measurements).record(op, ok, u64::from(args.batch), per_op);
        if !ok {
            // A TiKV client drops the region from its cache and backs off.
            lock(&cache).stale = true;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        next += period;
        let now = tokio::time::Instant::now();
        if next < now {
            // Behind (a slow answer): do not burst to catch up.
            next = now;
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep_until(next) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaders_follow_pds_answer() {
        let regions: RegionsResponse = serde_json::from_str(
            r#"{"count":2,"regions":[{"id":2,"leader":{"id":3,"store_id":4}},{"id":6,"leader":{}}]}"#,
        )
        .unwrap();
        let stores: StoresResponse = serde_json::from_str(
            r#"{"count":1,"stores":[{"store":{"id":4,"address":"tikv1:20160"}}]}"#,
        )
        .unwrap();
        let leaders = leaders_from(&regions, &stores);
        assert_eq!(leaders.len(), 1);
        assert_eq!(leaders[&2], "tikv1:20160");
    }

    #[test]
    fn hot_regions_are_picked_more() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let regions = [(2, 0.9), (6, 0.1)];
        let hot = (0..1000).filter(|_| pick(&regions, &mut rng) == 2).count();
        assert!((850..950).contains(&hot), "{hot}");
    }
}
