//! A YCSB-like closed-loop workload against the simulated regions.
//!
//! A fixed pool of client threads issues requests, rate-limited to the target.
//! A request to a region with a leader takes the store's service time, which
//! grows as the busiest store nears its capacity. A request to a leaderless
//! region retries with backoff (as TiKV's client does on a region error) and
//! ties up a thread: it succeeds at the first retry after its region has a
//! leader again, or fails at the client's timeout. A few leaderless regions
//! make throughput collapse; once leaders are elected it comes back, bounded
//! by what the serving stores can carry.
//!
//! A store starved of CPU (a slow store) serves the regions it leads at a
//! share of its speed: its requests queue, tie up the client threads that
//! sent them and, closed-loop, take throughput down with them while p99
//! rises; the other stores' requests are served as before.
//!
//! A store that drops a share of its packets (packet loss) serves at its
//! usual speed, but TCP resends what it drops after its retransmission
//! timeout (see [`super::tcp`]): a share of its requests come back 0.2,
//! 0.6 or 1.4 s late, and the few later than the client's timeout fail.
//! The late ones hold their client threads, so throughput falls with them.
//!
//! The p99 of a sample is read off the distribution of the requests that
//! finished in its interval: service times, retried requests at their retry,
//! and timeouts at the timeout. No noise is added to a retry or a timeout
//! (a p99 above the timeout cannot happen). Healthy, the busiest store runs
//! at about half its capacity, so the leaders' spread after a recovery
//! (balanced again by count, not by load) moves p99 within noise.

use std::time::Duration;

use rand::Rng;

use super::tcp::Exchange;
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
const STORE_CAPACITY: f64 = 4000.0;
/// When a request to a leaderless region tries again: the client's backoff
/// (50 ms doubling to 400 ms, then every 500 ms), as time since it was sent.
const RETRIES: [f64; 6] = [0.05, 0.15, 0.35, 0.75, 1.25, 1.75];
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
    /// A store that serves slowly, if one does.
    pub slow: Option<SlowStore>,
    /// A store that drops packets, if one does.
    pub lossy: Option<LossyStore>,
}

/// A store dropping a share of its packets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossyStore {
    /// Share of the led requests it serves (the regions it leads).
    pub share: f64,
    /// Share of its packets dropped, in [0, 1].
    pub loss: f64,
}

/// A store serving at a share of its speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlowStore {
    /// Share of the led requests it serves (the regions it leads).
    pub share: f64,
    /// Its speed as a share of a healthy store's, in (0, 1].
    pub speed: f64,
}

/// Rates during one step of the closed loop.
#[derive(Debug, Clone, PartialEq)]
struct Rates {
    ok_per_sec: f64,
    failed_per_sec: f64,
    /// Mean latency of the successful requests to healthy stores, in seconds.
    latency: f64,
    /// Share of the successful requests the slow store served, and their
    /// mean latency.
    slow_share: f64,
    slow_latency: f64,
    /// Share of the led requests the lossy store served, and what became
    /// of them.
    lossy_share: f64,
    lossy: Exchange,
}

fn rates(target: f64, read_fraction: f64, view: LoadView) -> Rates {
    let stalled = view.leaderless_share.clamp(0.0, 1.0);
    if stalled >= 1.0 - 1e-12 {
        let failed = target.min(THREADS / STALL_SECONDS);
        return Rates {
            ok_per_sec: 0.0,
            failed_per_sec: failed,
            latency: 0.0,
            slow_share: 0.0,
            slow_latency: 0.0,
            lossy_share: 0.0,
            lossy: Exchange::with_loss(0.0, STALL_SECONDS),
        };
    }
    let idle_latency = read_fraction * READ_SECONDS + (1.0 - read_fraction) * UPDATE_SECONDS;
    let busiest = view.busiest_store_share.max(1e-9);
    let latency_at = |ok: f64| idle_latency / (1.0 - ok * busiest / STORE_CAPACITY);
    let (slow_share, speed) = view.slow.map_or((0.0, 1.0), |s| {
        (s.share.clamp(0.0, 1.0), s.speed.clamp(1e-3, 1.0))
    });
    let slow_capacity = STORE_CAPACITY * speed;
    let slow_latency_at =
        |ok: f64| idle_latency / speed / (1.0 - ok * slow_share / slow_capacity).max(1e-3);
    let mean_latency_at =
        |ok: f64| (1.0 - slow_share) * latency_at(ok) + slow_share * slow_latency_at(ok);
    let (lossy_share, lossy) = view
        .lossy
        .map_or((0.0, 0.0), |l| (l.share.clamp(0.0, 1.0), l.loss));
    let lossy = Exchange::with_loss(lossy, STALL_SECONDS);
    let added_by_loss = lossy_share * lossy.mean_added(STALL_SECONDS);
    // Stalled requests per successful one.
    let stall_ratio = stalled / (1.0 - stalled);
    let threads_used =
        |ok: f64| ok * (mean_latency_at(ok) + added_by_loss + stall_ratio * STALL_SECONDS);
    let mut limit = (target * (1.0 - stalled)).min(STORE_CAPACITY / busiest * MAX_UTILISATION);
    if slow_share > 0.0 {
        limit = limit.min(slow_capacity / slow_share * MAX_UTILISATION);
    }
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
        slow_share,
        slow_latency: slow_latency_at(ok),
        lossy_share,
        lossy,
    }
}

/// Roughly normal noise with mean 0 and deviation 1 (Irwin-Hall of four).
fn noise(rng: &mut impl Rng) -> f64 {
    let sum: f64 = (0..4).map(|_| rng.random::<f64>() - 0.5).sum();
    sum * 3f64.sqrt()
}

/// Requests sent to leaderless regions in one step, still retrying.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stalled {
    sent_at: Duration,
    count: f64,
}

/// What finished in the current interval.
#[derive(Debug, Clone, Default, PartialEq)]
struct Finished {
    seconds: f64,
    /// Requests to led regions: their count and summed service time
    /// (exponential above the floor).
    led: f64,
    led_latency_sum: f64,
    /// The same for the requests a slow store served.
    slow: f64,
    slow_latency_sum: f64,
    /// Requests a lossy store answered late, by their latency in seconds.
    late: Vec<(f64, f64)>,
    /// Retried requests that succeeded, by their latency in seconds.
    retried: Vec<(f64, f64)>,
    /// Requests that reached the timeout.
    timed_out: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadModel {
    target: f64,
    read_fraction: f64,
    running: bool,
    next_sample_at: Duration,
    finished: Finished,
    stalled: Vec<Stalled>,
    /// The leaderless share at the last step: a fall means elections.
    leaderless_before: f64,
}

impl LoadModel {
    pub fn new(target: f64, read_fraction: f64, running: bool) -> Self {
        Self {
            target,
            read_fraction,
            running,
            next_sample_at: INTERVAL,
            finished: Finished::default(),
            stalled: Vec::new(),
            leaderless_before: 0.0,
        }
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Starts (with a fresh interval from `now`) or stops the load.
    pub fn set_running(&mut self, running: bool, now: Duration) {
        if running && !self.running {
            self.next_sample_at = now + INTERVAL;
            self.finished = Finished::default();
            self.stalled.clear();
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
        let dt_s = dt.as_secs_f64();
        let done = &mut self.finished;
        done.seconds += dt_s;
        let lossy = rates.ok_per_sec * rates.lossy_share * dt_s;
        let fast = rates.ok_per_sec * (1.0 - rates.slow_share - rates.lossy_share) * dt_s
            + lossy * rates.lossy.on_time;
        let slow = rates.ok_per_sec * rates.slow_share * dt_s;
        done.led += fast;
        done.led_latency_sum += fast * rates.latency;
        for &(late_by, share) in &rates.lossy.late {
            add_at(&mut done.late, late_by, lossy * share);
        }
        done.timed_out += lossy * rates.lossy.given_up;
        done.slow += slow;
        done.slow_latency_sum += slow * rates.slow_latency;
        self.retry_stalled(now, view.leaderless_share);
        if rates.failed_per_sec > 0.0 {
            self.stalled.push(Stalled {
                sent_at: now,
                count: rates.failed_per_sec * dt_s,
            });
        }
        if now < self.next_sample_at {
            return None;
        }
        self.next_sample_at = now + INTERVAL;
        Some(self.take_sample(now, rng))
    }

    /// Elections since the last step let that share of the stalled requests
    /// through at their next retry; the rest that reach the timeout fail.
    fn retry_stalled(&mut self, now: Duration, leaderless: f64) {
        let before = std::mem::replace(&mut self.leaderless_before, leaderless);
        let through = if before > 0.0 && leaderless < before {
            1.0 - leaderless / before
        } else {
            0.0
        };
        let done = &mut self.finished;
        self.stalled.retain_mut(|stalled| {
            let waited = now.saturating_sub(stalled.sent_at).as_secs_f64();
            // Past the last retry a request can only time out.
            let retry = RETRIES.iter().copied().find(|&at| at >= waited);
            if let Some(latency) = retry.filter(|_| through > 0.0) {
                let count = stalled.count * through;
                stalled.count -= count;
                done.retried.push((latency, count));
            }
            if waited >= STALL_SECONDS {
                done.timed_out += stalled.count;
                return false;
            }
            stalled.count > 1e-9
        });
    }

    fn take_sample(&mut self, now: Duration, rng: &mut impl Rng) -> WorkloadSample {
        let done = std::mem::take(&mut self.finished);
        let seconds = done.seconds.max(1e-9);
        let retried: f64 = done.retried.iter().map(|(_, c)| c).sum();
        let late: f64 = done.late.iter().map(|(_, c)| c).sum();
        let ok = (done.led + done.slow + retried + late) / seconds;
        let failed = done.timed_out / seconds;
        // Service times vary from sample to sample; retries and timeouts do not.
        let jitter = (1.0 + 0.05 * noise(rng)).max(0.5);
        let mean = |count: f64, sum: f64| {
            if count > 0.0 {
                sum / count * jitter
            } else {
                0.0
            }
        };
        let served = [
            (done.led, mean(done.led, done.led_latency_sum)),
            (done.slow, mean(done.slow, done.slow_latency_sum)),
        ];
        let mut others = done.retried;
        others.extend(done.late);
        others.push((STALL_SECONDS, done.timed_out));
        let p99 = p99_of(&served, &others)
            .map(|seconds| Duration::from_secs_f64(seconds.max(FLOOR_SECONDS)));
        let ops_per_sec = (ok * (1.0 + 0.02 * noise(rng))).max(0.0);
        let errors_per_sec = (failed * (1.0 + 0.05 * noise(rng))).max(0.0);
        WorkloadSample {
            at: now,
            ops_per_sec,
            errors_per_sec,
            p99,
            source: SampleSource::Simulator,
        }
    }
}

/// Adds `count` requests at `latency` to `at`, merged with those at the
/// same latency so that the list stays as short as the exchange's table.
fn add_at(at: &mut Vec<(f64, f64)>, latency: f64, count: f64) {
    match at.iter_mut().find(|(l, _)| (*l - latency).abs() < 1e-6) {
        Some((_, c)) => *c += count,
        None => at.push((latency, count)),
    }
}

/// The 99th percentile of what finished: `served` requests (count, mean
/// latency) with exponential service times above the floor, and `others`
/// (latency, count) at their exact latency. None when nothing finished.
fn p99_of(served: &[(f64, f64)], others: &[(f64, f64)]) -> Option<f64> {
    let total =
        served.iter().map(|(c, _)| c).sum::<f64>() + others.iter().map(|(_, c)| c).sum::<f64>();
    if total <= 0.0 {
        return None;
    }
    let tail = |x: f64, (count, latency): (f64, f64)| {
        let mean_above_floor = (latency - FLOOR_SECONDS).max(0.0);
        if mean_above_floor > 0.0 && x > FLOOR_SECONDS {
            count * (-(x - FLOOR_SECONDS) / mean_above_floor).exp()
        } else if x > FLOOR_SECONDS {
            0.0
        } else {
            count
        }
    };
    let slower_than = |x: f64| {
        served.iter().map(|&s| tail(x, s)).sum::<f64>()
            + others
                .iter()
                .filter(|(l, _)| *l > x)
                .map(|(_, c)| c)
                .sum::<f64>()
    };
    let want = 0.01 * total;
    let (mut low, mut high) = (0.0, STALL_SECONDS);
    if slower_than(high) > want {
        return Some(high);
    }
    for _ in 0..50 {
        let mid = (low + high) / 2.0;
        if slower_than(mid) > want {
            low = mid;
        } else {
            high = mid;
        }
    }
    Some(high)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy(stores: f64) -> LoadView {
        LoadView {
            leaderless_share: 0.0,
            busiest_store_share: 1.1 / stores,
            slow: None,
            lossy: None,
        }
    }

    #[test]
    fn a_healthy_cluster_meets_the_target_with_low_latency() {
        let r = rates(5000.0, 0.5, healthy(3.0));
        assert_eq!(r.ok_per_sec, 5000.0);
        assert_eq!(r.failed_per_sec, 0.0);
        assert!(p99_of(&[(5000.0, r.latency)], &[]).unwrap() < 0.1);
    }

    #[test]
    fn leaderless_regions_collapse_throughput() {
        let view = LoadView {
            leaderless_share: 1.0 / 3.0,
            busiest_store_share: 0.55,
            slow: None,
            lossy: None,
        };
        let r = rates(5000.0, 0.5, view);
        assert!(r.ok_per_sec < 500.0, "{r:?}");
        assert!(r.failed_per_sec > 0.0);
    }

    #[test]
    fn losing_a_store_lowers_the_ceiling_somewhat() {
        let three = rates(50_000.0, 0.5, healthy(3.0)).ok_per_sec;
        let two = rates(50_000.0, 0.5, healthy(2.0)).ok_per_sec;
        assert!(two < three && two > 0.6 * three, "{two} vs {three}");
    }

    #[test]
    fn a_slow_store_takes_throughput_down_and_p99_up() {
        let healthy = rates(5000.0, 0.5, healthy(3.0));
        let view = LoadView {
            lossy: None,
            slow: Some(SlowStore {
                share: 1.0 / 3.0,
                speed: 0.1,
            }),
            ..super::tests::healthy(3.0)
        };
        let slow = rates(5000.0, 0.5, view);
        assert_eq!(
            slow.failed_per_sec, 0.0,
            "nothing fails: it is slow, not gone"
        );
        assert!(slow.ok_per_sec < 0.4 * healthy.ok_per_sec, "{slow:?}");
        let p99 = |r: &Rates| {
            p99_of(
                &[
                    (1.0 - r.slow_share, r.latency),
                    (r.slow_share, r.slow_latency),
                ],
                &[],
            )
            .unwrap()
        };
        assert!(
            p99(&slow) > 10.0 * p99(&healthy),
            "{} vs {}",
            p99(&slow),
            p99(&healthy)
        );
        // A store that leads nothing slows nothing.
        let idle = LoadView {
            lossy: None,
            slow: Some(SlowStore {
                share: 0.0,
                speed: 0.1,
            }),
            ..super::tests::healthy(3.0)
        };
        assert_eq!(rates(5000.0, 0.5, idle).ok_per_sec, healthy.ok_per_sec);
    }

    #[test]
    fn a_lossy_store_is_late_not_gone_and_drags_the_closed_loop_down() {
        use rand::SeedableRng;
        let lossy = |loss: f64| LoadView {
            lossy: Some(LossyStore {
                share: 1.0 / 3.0,
                loss,
            }),
            ..healthy(3.0)
        };
        let sample = |view: LoadView| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
            let mut model = LoadModel::new(5000.0, 0.5, true);
            let dt = Duration::from_millis(100);
            (1..=30u32)
                .filter_map(|step| model.step(dt * step, dt, view, &mut rng))
                .last()
                .unwrap()
        };
        let before = sample(healthy(3.0));
        let at_30 = sample(lossy(0.3));
        assert!(
            at_30.ops_per_sec < 0.5 * before.ops_per_sec,
            "{at_30:?} vs {before:?}"
        );
        let p99 = at_30.p99.unwrap();
        assert!(
            p99 >= Duration::from_millis(1400),
            "p99 {p99:?}: one request in a hundred waits for a third resend"
        );
        // The few later than the client's timeout fail; most get through.
        assert!(at_30.errors_per_sec > 0.0);
        assert!(at_30.errors_per_sec < 0.1 * at_30.ops_per_sec, "{at_30:?}");
        // Mild loss is still seen, and a store that leads nothing drops
        // nothing the clients send.
        let at_5 = sample(lossy(0.05));
        assert!(at_5.p99.unwrap() > 2 * before.p99.unwrap(), "{at_5:?}");
        let idle = LoadView {
            lossy: Some(LossyStore {
                share: 0.0,
                loss: 0.5,
            }),
            ..healthy(3.0)
        };
        assert_eq!(
            rates(5000.0, 0.5, idle).ok_per_sec,
            rates(5000.0, 0.5, healthy(3.0)).ok_per_sec
        );
    }

    #[test]
    fn p99_is_read_off_what_finished() {
        let clean = p99_of(&[(1000.0, 0.005)], &[]).unwrap();
        // A few retried requests move it only once they are over 1%.
        let few = p99_of(&[(1000.0, 0.005)], &[(0.35, 5.0)]).unwrap();
        let many = p99_of(&[(1000.0, 0.005)], &[(0.35, 50.0)]).unwrap();
        assert!(clean < few && few < 0.35, "{clean} {few}");
        assert!((many - 0.35).abs() < 1e-6, "{many}");
        // Timeouts are the timeout, never above it.
        let stalled = p99_of(&[(100.0, 0.005)], &[(STALL_SECONDS, 40.0)]).unwrap();
        assert_eq!(stalled, STALL_SECONDS);
        assert_eq!(p99_of(&[(0.0, 0.0)], &[]), None);
    }

    #[test]
    fn requests_to_a_leaderless_region_succeed_at_the_retry_after_its_election() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut model = LoadModel::new(5000.0, 0.5, true);
        let dt = Duration::from_millis(100);
        let stalled = LoadView {
            leaderless_share: 0.1,
            busiest_store_share: 0.5,
            slow: None,
            lossy: None,
        };
        let mut p99s = Vec::new();
        for step in 1..=60u32 {
            // Half the leaderless regions elect a leader at 3 s, the rest at 4 s.
            let view = match step {
                0..=30 => stalled,
                31..=40 => LoadView {
                    leaderless_share: 0.05,
                    ..stalled
                },
                _ => healthy(3.0),
            };
            let sample = model.step(dt * step, dt, view, &mut rng);
            if step == 31 {
                // Half of what was still retrying got through, each at the
                // retry after its wait; nothing waited past the timeout.
                let retried = &model.finished.retried;
                assert!(!retried.is_empty());
                assert!(
                    retried.iter().all(|(l, _)| RETRIES.contains(l)),
                    "{retried:?}"
                );
            }
            if let Some(sample) = sample {
                p99s.push(sample.p99.unwrap().as_secs_f64());
            }
        }
        // In flight at first (the led requests finish), then the timeouts
        // land at the timeout, then service times again.
        assert!(p99s[0] < 0.1, "{p99s:?}");
        assert_eq!(p99s[2], STALL_SECONDS, "{p99s:?}");
        assert!(p99s[5] < 0.1, "{p99s:?}");
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
