//! A YCSB-like closed-loop workload against the simulated regions.
//!
//! A fixed pool of client threads issues requests, rate-limited to the target.
//! A request to a region with a leader takes the store's service time, which
//! grows as the busiest store nears its capacity. A request to a leaderless
//! region stalls until the client gives up, which ties up a thread: a few
//! leaderless regions make throughput collapse and p99 jump, and once leaders
//! are elected it comes back, bounded by what the serving stores can carry.

use std::time::Duration;

use rand::Rng;

use crate::workload::{SampleSource, WorkloadSample};

/// Client threads (go-ycsb `threadcount`).
const THREADS: f64 = 64.0;
/// Mean service times at an idle store.
const READ_SECONDS: f64 = 0.0010;
const UPDATE_SECONDS: f64 = 0.0025;
/// The network round trip every request pays.
const FLOOR_SECONDS: f64 = 0.0004;
/// How long a request to a leaderless region waits before it fails.
const STALL_SECONDS: f64 = 2.0;
/// Requests per second one store can serve as leader.
const STORE_CAPACITY: f64 = 2400.0;
/// The busiest store never runs hotter than this.
const MAX_UTILISATION: f64 = 0.97;
/// Sample interval.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// What the workload sees of the cluster during one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadView {
    /// Share of requests that go to regions without a leader.
    pub leaderless_share: f64,
    /// Share of the led requests that the busiest store serves.
    pub busiest_store_share: f64,
}

/// Rates during one step of the closed loop.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rates {
    ok_per_sec: f64,
    failed_per_sec: f64,
    /// Mean latency of the successful requests, in seconds.
    latency: f64,
}

fn rates(target: f64, read_fraction: f64, view: LoadView) -> Rates {
    let stalled = view.leaderless_share.clamp(0.0, 1.0);
    if stalled >= 1.0 - 1e-12 {
        let failed = target.min(THREADS / STALL_SECONDS);
        return Rates {
            ok_per_sec: 0.0,
            failed_per_sec: failed,
            latency: 0.0,
        };
    }
    let idle_latency = read_fraction * READ_SECONDS + (1.0 - read_fraction) * UPDATE_SECONDS;
    let busiest = view.busiest_store_share.max(1e-9);
    let latency_at = |ok: f64| idle_latency / (1.0 - ok * busiest / STORE_CAPACITY);
    // Stalled requests per successful one.
    let stall_ratio = stalled / (1.0 - stalled);
    let threads_used = |ok: f64| ok * (latency_at(ok) + stall_ratio * STALL_SECONDS);
    let limit = (target * (1.0 - stalled)).min(STORE_CAPACITY / busiest * MAX_UTILISATION);
    let ok = if threads_used(limit) <= THREADS {
        limit
    } else {
        // Every thread is busy: find the rate the threads can sustain.
        let (mut low, mut high) = (0.0, limit);
        for _ in 0..40 {
            let mid = (low + high) / 2.0;
            if threads_used(mid) <= THREADS {
                low = mid;
            } else {
                high = mid;
            }
        }
        low
    };
    Rates {
        ok_per_sec: ok,
        failed_per_sec: ok * stall_ratio,
        latency: latency_at(ok),
    }
}

/// The 99th percentile of a mix of exponential service times (mean `latency`
/// above the floor) and a `stalled` share of requests that wait `STALL_SECONDS`.
fn p99_seconds(latency: f64, stalled: f64) -> f64 {
    if stalled >= 0.01 {
        return STALL_SECONDS;
    }
    let mean_above_floor = (latency - FLOOR_SECONDS).max(0.0);
    FLOOR_SECONDS + mean_above_floor * ((1.0 - stalled) / (0.01 - stalled)).ln()
}

/// Roughly normal noise with mean 0 and deviation 1 (Irwin-Hall of four).
fn noise(rng: &mut impl Rng) -> f64 {
    let sum: f64 = (0..4).map(|_| rng.random::<f64>() - 0.5).sum();
    sum * 3f64.sqrt()
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadModel {
    target: f64,
    read_fraction: f64,
    running: bool,
    next_sample_at: Duration,
    seconds: f64,
    ok: f64,
    failed: f64,
    latency_sum: f64,
}

impl LoadModel {
    pub fn new(target: f64, read_fraction: f64, running: bool) -> Self {
        Self {
            target,
            read_fraction,
            running,
            next_sample_at: INTERVAL,
            seconds: 0.0,
            ok: 0.0,
            failed: 0.0,
            latency_sum: 0.0,
        }
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Starts (with a fresh interval from `now`) or stops the load.
    pub fn set_running(&mut self, running: bool, now: Duration) {
        if running && !self.running {
            self.next_sample_at = now + INTERVAL;
            self.seconds = 0.0;
            self.ok = 0.0;
            self.failed = 0.0;
            self.latency_sum = 0.0;
        }
        self.running = running;
    }

    /// Accounts one step of `dt` ending at `now`; returns a sample when an
    /// interval is complete.
    pub fn step(
        &mut self,
        now: Duration,
        dt: Duration,
        view: LoadView,
        rng: &mut impl Rng,
    ) -> Option<WorkloadSample> {
        if !self.running {
            return None;
        }
        let rates = rates(self.target, self.read_fraction, view);
        let dt = dt.as_secs_f64();
        self.seconds += dt;
        self.ok += rates.ok_per_sec * dt;
        self.failed += rates.failed_per_sec * dt;
        self.latency_sum += rates.ok_per_sec * rates.latency * dt;
        if now < self.next_sample_at {
            return None;
        }
        self.next_sample_at = now + INTERVAL;
        Some(self.take_sample(now, rng))
    }

    fn take_sample(&mut self, now: Duration, rng: &mut impl Rng) -> WorkloadSample {
        let seconds = self.seconds.max(1e-9);
        let ok = self.ok / seconds;
        let failed = self.failed / seconds;
        let done = ok + failed;
        let stalled = if done > 0.0 { failed / done } else { 0.0 };
        let latency = if self.ok > 0.0 {
            self.latency_sum / self.ok
        } else {
            0.0
        };
        let p99 = (done > 0.0).then(|| {
            let seconds = p99_seconds(latency, stalled) * (1.0 + 0.05 * noise(rng));
            Duration::from_secs_f64(seconds.max(FLOOR_SECONDS))
        });
        let ops_per_sec = (ok * (1.0 + 0.02 * noise(rng))).max(0.0);
        let errors_per_sec = (failed * (1.0 + 0.05 * noise(rng))).max(0.0);
        self.seconds = 0.0;
        self.ok = 0.0;
        self.failed = 0.0;
        self.latency_sum = 0.0;
        WorkloadSample {
            at: now,
            ops_per_sec,
            errors_per_sec,
            p99,
            source: SampleSource::Simulator,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy(stores: f64) -> LoadView {
        LoadView {
            leaderless_share: 0.0,
            busiest_store_share: 1.1 / stores,
        }
    }

    #[test]
    fn a_healthy_cluster_meets_the_target_with_low_latency() {
        let r = rates(5000.0, 0.5, healthy(3.0));
        assert_eq!(r.ok_per_sec, 5000.0);
        assert_eq!(r.failed_per_sec, 0.0);
        assert!(p99_seconds(r.latency, 0.0) < 0.1);
    }

    #[test]
    fn leaderless_regions_collapse_throughput() {
        let view = LoadView {
            leaderless_share: 1.0 / 3.0,
            busiest_store_share: 0.55,
        };
        let r = rates(5000.0, 0.5, view);
        assert!(r.ok_per_sec < 500.0, "{r:?}");
        assert!(r.failed_per_sec > 0.0);
        assert_eq!(p99_seconds(r.latency, 0.3), STALL_SECONDS);
    }

    #[test]
    fn losing_a_store_lowers_the_ceiling_somewhat() {
        let three = rates(5000.0, 0.5, healthy(3.0)).ok_per_sec;
        let two = rates(5000.0, 0.5, healthy(2.0)).ok_per_sec;
        assert!(two < three && two > 0.6 * three, "{two} vs {three}");
    }

    #[test]
    fn p99_grows_smoothly_with_a_few_stalls() {
        let clean = p99_seconds(0.005, 0.0);
        let some = p99_seconds(0.005, 0.005);
        assert!(clean < some && some < STALL_SECONDS);
    }

    #[test]
    fn stopped_load_emits_nothing_and_restarts_with_a_fresh_interval() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut model = LoadModel::new(5000.0, 0.5, true);
        let dt = Duration::from_millis(100);
        let mut samples = 0;
        for step in 1..=50u32 {
            if model.step(dt * step, dt, healthy(3.0), &mut rng).is_some() {
                samples += 1;
            }
        }
        assert_eq!(samples, 5);
        model.set_running(false, dt * 50);
        assert!(model.step(dt * 60, dt, healthy(3.0), &mut rng).is_none());
        model.set_running(true, dt * 65);
        let mut at = None;
        for step in 66..=80u32 {
            if let Some(s) = model.step(dt * step, dt, healthy(3.0), &mut rng) {
                at.get_or_insert(s.at);
            }
        }
        assert_eq!(at, Some(dt * 75));
    }
}
