//! The workload feeds any backend of a real cluster shares: the load
//! generator's output parsed into samples (a `--load-log` file, or lines a
//! runtime hands over), and TiKV's status-port metrics standing in while no
//! load output is seen. What is the runtime's own (which container prints
//! the load, which host port publishes a status port) comes in from the
//! backend: lines on a channel, and a [`StatusReach`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::clock::ShowClock;
use crate::cluster::metrics::{MetricsScraper, ops_per_second};
use crate::cluster::pd::PdClient;
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

/// Sends the load generator's samples from `parsed` on to `samples`,
/// marking `seen`, until `cancel` fires or either side closes.
pub async fn forward_samples(
    mut parsed: mpsc::Receiver<WorkloadSample>,
    samples: mpsc::Sender<WorkloadSample>,
    seen: LoadSeen,
    cancel: CancellationToken,
) {
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
}

/// Follows the load log file at `path` from its end, sending its samples
/// to `samples` and marking `seen` (needs no runtime).
pub async fn follow_load_log(
    path: PathBuf,
    clock: ShowClock,
    samples: mpsc::Sender<WorkloadSample>,
    seen: LoadSeen,
    cancel: CancellationToken,
) {
    forward_parsed(samples, seen, cancel, |parsed, stop| {
        watch_load_log(path, StartAt::End, clock, parsed, stop)
    })
    .await;
}

/// Runs `source`, which parses samples into the channel it is handed until
/// its token is cancelled, and forwards them to `samples`, marking `seen`;
/// the source is stopped once the forwarding ends (`cancel`, or `samples`
/// dropped).
pub async fn forward_parsed<F, Fut>(
    samples: mpsc::Sender<WorkloadSample>,
    seen: LoadSeen,
    cancel: CancellationToken,
    source: F,
) where
    F: FnOnce(mpsc::Sender<WorkloadSample>, CancellationToken) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (parsed_tx, parsed) = mpsc::channel(64);
    let stop = cancel.child_token();
    let forward = async {
        forward_samples(parsed, samples, seen, cancel).await;
        stop.cancel();
    };
    tokio::join!(source(parsed_tx, stop.clone()), forward);
}

/// Parses a load generator's output lines (go-ycsb or Java YCSB,
/// detected) into samples stamped with show time, closing a report still
/// open once the lines pause.
pub async fn parse_load_lines(
    mut lines: mpsc::Receiver<String>,
    clock: ShowClock,
    samples: mpsc::Sender<WorkloadSample>,
    cancel: CancellationToken,
) {
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
}

/// How a store's status address (as PD gives it, e.g. `tikv1:20180`, a
/// name only the cluster's network may resolve) is reached from here.
#[async_trait]
pub trait StatusReach: Send + Sync {
    /// Each `(store id, status address)` as the address to scrape.
    async fn reach(&self, addresses: Vec<(u64, String)>) -> Vec<(u64, String)>;
}

/// Status addresses scraped as PD gives them.
pub struct AsGiven;

#[async_trait]
impl StatusReach for AsGiven {
    async fn reach(&self, addresses: Vec<(u64, String)>) -> Vec<(u64, String)> {
        addresses
    }
}

/// While the load output is silent, scrapes every store's status port and
/// sends the cluster's request rate, labelled as status-port metrics.
pub async fn metrics_fallback(
    pd: Arc<PdClient>,
    reach: Arc<dyn StatusReach>,
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
        let Some(totals) = scrape_totals(&pd, reach.as_ref(), &scraper).await else {
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
    reach: &dyn StatusReach,
    scraper: &MetricsScraper,
) -> Option<HashMap<u64, f64>> {
    let addresses = pd.status_addresses().await.ok()?;
    let mut totals = HashMap::new();
    for (id, target) in reach.reach(addresses).await {
        match scraper.ops_total(&target).await {
            Ok(total) => {
                totals.insert(id, total);
            }
            Err(error) => tracing::debug!(%error, "status-port scrape"),
        }
    }
    Some(totals)
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
    fn load_output_silence_is_measured() {
        let seen = LoadSeen::default();
        assert!(seen.is_silent(LOAD_SILENCE), "never seen is silent");
        seen.mark();
        assert!(!seen.is_silent(LOAD_SILENCE));
        assert!(seen.is_silent(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn lines_become_samples_once_the_output_pauses() {
        let (lines_tx, lines) = mpsc::channel(8);
        let (samples_tx, mut samples) = mpsc::channel(8);
        let task = tokio::spawn(parse_load_lines(
            lines,
            ShowClock::start(1.0),
            samples_tx,
            CancellationToken::new(),
        ));
        for line in [
            "READ   - Takes(s): 10.0, Count: 7948, OPS: 796.2, Avg(us): 395, Min(us): 72, Max(us): 20545, 99th(us): 2000, 99.9th(us): 19000, 99.99th(us): 21000",
            "UPDATE - Takes(s): 10.0, Count: 7945, OPS: 796.8, Avg(us): 19690, Min(us): 11589, Max(us): 40429, 99th(us): 34000, 99.9th(us): 41000, 99.99th(us): 41000",
        ] {
            lines_tx.send(line.to_string()).await.unwrap();
        }
        // The report's lines came as one burst; the pause closes it.
        let sample = tokio::time::timeout(IDLE_FLUSH * 3, samples.recv())
            .await
            .expect("a sample once the output pauses")
            .expect("the stream is open");
        assert!(
            (sample.ops_per_sec - 1593.0).abs() < 1.0,
            "{}",
            sample.ops_per_sec
        );
        drop(lines_tx);
        task.await.unwrap();
    }
}
