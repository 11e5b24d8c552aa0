//! Workload samples of the real cluster: the load generator's output (its
//! container's log, or a `--load-log` file), and TiKV's status-port metrics
//! when no load output is seen.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connect::docker_host;
use super::control::DockerControl;
use super::logs::{LogFollowConfig, spawn_log_follow};
use crate::clock::ShowClock;
use crate::cluster::metrics::{MetricsScraper, ops_per_second};
use crate::cluster::pd::{PdClient, address_host};
use crate::workload::follow::StartAt;
use crate::workload::watch::{IDLE_FLUSH, watch_load_log};
use crate::workload::{LoadParser, SampleSource, WorkloadSample};

/// TiKV's status port inside its container.
pub const TIKV_STATUS_PORT: u16 = 20180;
/// Without a load sample for this long, status-port metrics stand in.
pub const LOAD_SILENCE: Duration = Duration::from_secs(5);
/// How often the status ports are scraped while they stand in.
pub const METRICS_EVERY: Duration = Duration::from_secs(1);

/// When the last sample from the load generator's output went out.
#[derive(Debug, Clone, Default)]
pub struct LoadSeen(Arc<Mutex<Option<Instant>>>);

impl LoadSeen {
    pub fn mark(&self) {
        if let Ok(mut seen) = self.0.lock() {
            *seen = Some(Instant::now());
        }
    }

    pub fn last(&self) -> Option<Instant> {
        self.0.lock().ok().and_then(|seen| *seen)
    }

    /// True when no load output was seen for `silence`.
    pub fn is_silent(&self, silence: Duration) -> bool {
        self.last().is_none_or(|at| at.elapsed() >= silence)
    }
}

/// Sends the load generator's samples to `samples`, marking `seen`: from
/// `load_log` when given, else from the project's load service's output.
pub async fn forward_load_samples(
    control: Option<DockerControl>,
    load_log: Option<PathBuf>,
    clock: ShowClock,
    samples: mpsc::Sender<WorkloadSample>,
    seen: LoadSeen,
    cancel: CancellationToken,
) {
    let (parsed_tx, mut parsed) = mpsc::channel(64);
    let producer = match (load_log, control) {
        (Some(path), _) => tokio::spawn(watch_load_log(
            path,
            StartAt::End,
            clock,
            parsed_tx,
            cancel.child_token(),
        )),
        (None, Some(control)) => tokio::spawn(parse_service_output(
            control,
            clock,
            parsed_tx,
            cancel.child_token(),
        )),
        (None, None) => return,
    };
    loop {
        let sample = tokio::select! {
            () = cancel.cancelled() => break,
            sample = parsed.recv() => match sample {
                Some(sample) => sample,
                None => break,
            },
        };
        seen.mark();
        if samples.send(sample).await.is_err() {
            break;
        }
    }
    producer.abort();
}

/// Follows the first load service's output and parses it (go-ycsb or Java
/// YCSB, detected), waiting for such a service to appear.
async fn parse_service_output(
    control: DockerControl,
    clock: ShowClock,
    samples: mpsc::Sender<WorkloadSample>,
    cancel: CancellationToken,
) {
    let service = loop {
        match control.load_service().await {
            Ok(Some(service)) => break service,
            Ok(None) => tracing::debug!("no load service in the project yet"),
            Err(error) => tracing::debug!(%error, "cannot list the load service"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    };
    tracing::info!(%service, "following the load generator's output");
    let (lines_tx, mut lines) = mpsc::channel(256);
    let follower = spawn_log_follow(
        control,
        service,
        lines_tx,
        LogFollowConfig::default(),
        cancel.child_token(),
    );
    let mut parser = LoadParser::new();
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => break,
            next = tokio::time::timeout(IDLE_FLUSH, lines.recv()) => next,
        };
        let sample = match next {
            Ok(Some(line)) => parser.feed(&line, clock.now()),
            Ok(None) => break,
            Err(_idle) => parser.flush(),
        };
        if let Some(sample) = sample
            && samples.send(sample).await.is_err()
        {
            break;
        }
    }
    follower.abort();
}

/// While the load output is silent, scrapes every store's status port and
/// sends the cluster's request rate, labelled as status-port metrics.
pub async fn metrics_fallback(
    pd: Arc<PdClient>,
    control: Option<DockerControl>,
    clock: ShowClock,
    samples: mpsc::Sender<WorkloadSample>,
    seen: LoadSeen,
    cancel: CancellationToken,
) {
    let scraper = match MetricsScraper::new(Duration::from_secs(2)) {
        Ok(scraper) => scraper,
        Err(error) => {
            tracing::warn!(%error, "no status-port metrics");
            return;
        }
    };
    let mut ticks = tokio::time::interval(METRICS_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut previous: Option<(Instant, HashMap<u64, f64>)> = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticks.tick() => {}
        }
        if !seen.is_silent(LOAD_SILENCE) {
            previous = None;
            continue;
        }
        let Some(totals) = scrape_totals(&pd, control.as_ref(), &scraper).await else {
            continue;
        };
        let now = Instant::now();
        if let Some((then, before)) = &previous
            && let Some(rate) = cluster_rate(before, &totals, now - *then)
        {
            let sample = WorkloadSample {
                at: clock.now(),
                ops_per_sec: rate,
                errors_per_sec: 0.0,
                p99: None,
                source: SampleSource::StatusPortMetrics,
            };
            if samples.send(sample).await.is_err() {
                return;
            }
        }
        previous = Some((now, totals));
    }
}

/// Request totals by store id, from the stores that answered.
async fn scrape_totals(
    pd: &PdClient,
    control: Option<&DockerControl>,
    scraper: &MetricsScraper,
) -> Option<HashMap<u64, f64>> {
    let addresses = pd.status_addresses().await.ok()?;
    let containers = match control {
        Some(control) => control.containers().await.unwrap_or_default(),
        None => Vec::new(),
    };
    let published: HashMap<String, u16> = containers
        .iter()
        .filter_map(|c| Some((c.service.clone(), c.host_port(TIKV_STATUS_PORT)?)))
        .collect();
    let host = reachable_host(&docker_host());
    let mut totals = HashMap::new();
    for (id, address) in addresses {
        let target = scrape_address(&address, &published, &host);
        match scraper.ops_total(&target).await {
            Ok(total) => {
                totals.insert(id, total);
            }
            Err(error) => tracing::debug!(%error, "status-port scrape"),
        }
    }
    Some(totals)
}

/// Where to scrape a store whose status address is `address` (e.g.
/// `tikv1:20180`, a name only the Compose network resolves): the host port
/// Compose published for its service when there is one, else the address.
pub fn scrape_address(address: &str, published: &HashMap<String, u16>, host: &str) -> String {
    match published.get(address_host(address)) {
        Some(port) => format!("{host}:{port}"),
        None => address.to_string(),
    }
}

/// The host that published ports are on: the engine's host for a TCP
/// `DOCKER_HOST`, else this machine.
pub fn reachable_host(docker_host: &str) -> String {
    let remote = docker_host
        .strip_prefix("tcp://")
        .or_else(|| docker_host.strip_prefix("http://"))
        .or_else(|| docker_host.strip_prefix("https://"));
    match remote.map(address_host) {
        Some(host) if !host.is_empty() => host.to_string(),
        _ => "127.0.0.1".to_string(),
    }
}

/// The cluster's request rate: the sum of each store's rate between two
/// scrapes, over the stores that answered both times. A store that
/// restarted (its counter went back) or did not answer counts for nothing.
pub fn cluster_rate(
    before: &HashMap<u64, f64>,
    after: &HashMap<u64, f64>,
    elapsed: Duration,
) -> Option<f64> {
    let rates: Vec<f64> = after
        .iter()
        .filter_map(|(id, now)| ops_per_second(*before.get(id)?, *now, elapsed))
        .collect();
    if rates.is_empty() {
        return None;
    }
    crate::workload::plausible::ops_rate(rates.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_sum_over_stores_that_answered_twice() {
        let before = HashMap::from([(1, 100.0), (4, 200.0), (5, 300.0)]);
        // Store 5 restarted (counter reset), store 4 stopped answering, store 7 is new.
        let after = HashMap::from([(1, 300.0), (5, 10.0), (7, 50.0)]);
        assert_eq!(
            cluster_rate(&before, &after, Duration::from_secs(2)),
            Some(100.0)
        );
        assert_eq!(
            cluster_rate(&before, &HashMap::new(), Duration::from_secs(1)),
            None
        );
        assert_eq!(cluster_rate(&before, &before, Duration::ZERO), None);
    }

    #[test]
    fn status_addresses_go_through_published_ports() {
        let published = HashMap::from([("tikv1".to_string(), 20181)]);
        assert_eq!(
            scrape_address("tikv1:20180", &published, "127.0.0.1"),
            "127.0.0.1:20181"
        );
        assert_eq!(
            scrape_address("tikv2:20180", &published, "127.0.0.1"),
            "tikv2:20180"
        );
    }

    #[test]
    fn the_engine_host_serves_published_ports() {
        assert_eq!(reachable_host("unix:///var/run/docker.sock"), "127.0.0.1");
        assert_eq!(reachable_host("tcp://10.0.0.9:2375"), "10.0.0.9");
        assert_eq!(reachable_host("tcp://"), "127.0.0.1");
    }

    #[test]
    fn load_output_silence_is_measured() {
        let seen = LoadSeen::default();
        assert!(seen.is_silent(LOAD_SILENCE), "never seen is silent");
        seen.mark();
        assert!(!seen.is_silent(LOAD_SILENCE));
        assert!(seen.is_silent(Duration::ZERO));
    }
}
