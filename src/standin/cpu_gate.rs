//! The TiKV stand-in's CPU: each operation it serves costs it CPU time,
//! and the CPU it may use is what its cgroup grants, read from the cgroup
//! itself (`cpu.max` under cgroup v2, `cpu.cfs_quota_us` and
//! `cpu.cfs_period_us` under v1) every second, never told. Requests queue
//! for that CPU one after another, so a quota lowered with `docker update
//! --cpus 0.2` slows the regions this node leads as it would slow TiKV:
//! latency up, and the closed-loop load's throughput down.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// CPU time one operation costs the node: TiKV spends some hundreds of
/// microseconds of CPU per small read or update through its gRPC, Raft and
/// RocksDB paths, more with its Raft log fsync. At the stand-ins' load (a
/// third of 1,000 ops/s on each leader) that is half of one CPU, so at 0.2
/// CPUs a node serves 133 ops/s and the closed-loop load falls to some 40 %
/// (a throughput incident), where at 1 ms it would hover at 60 %.
pub const COST_PER_OP: Duration = Duration::from_micros(1500);

/// How often the quota is read again.
const READ_EVERY: Duration = Duration::from_secs(1);

/// CPUs granted without a quota: one, the cost's own unit.
const UNLIMITED: f64 = 1.0;

/// The CPUs a cgroup's quota grants, from its files' text: `cpu.max` of
/// cgroup v2 (`20000 100000`, or `max 100000`), or v1's quota and period
/// (`-1` for none). `None` when there is no quota or the text is not one.
pub fn cpus_granted(v2_max: Option<&str>, v1: Option<(&str, &str)>) -> Option<f64> {
    let (quota, period) = match (v2_max, v1) {
        (Some(max), _) => {
            let mut words = max.split_whitespace();
            (words.next()?.to_string(), words.next()?.to_string())
        }
        (None, Some((quota, period))) => (quota.trim().to_string(), period.trim().to_string()),
        (None, None) => return None,
    };
    let quota: f64 = quota.parse().ok()?;
    let period: f64 = period.parse().ok()?;
    let cpus = quota / period;
    (quota > 0.0 && period > 0.0 && cpus.is_finite()).then_some(cpus)
}

/// This process's quota, read from its cgroup's files.
fn read_quota(root: &Path) -> Option<f64> {
    let read = |path: &str| std::fs::read_to_string(root.join(path)).ok();
    let v2 = read("cpu.max");
    let v1 = read("cpu/cpu.cfs_quota_us").zip(read("cpu/cpu.cfs_period_us"));
    cpus_granted(
        v2.as_deref(),
        v1.as_ref().map(|(q, p)| (q.as_str(), p.as_str())),
    )
}

#[derive(Debug)]
struct Gate {
    cpus: f64,
    /// When the CPU is free again: the queue's end.
    busy_until: Instant,
}

/// The node's CPU, shared by its request handlers.
#[derive(Debug, Clone)]
pub struct CpuGate {
    gate: Arc<Mutex<Gate>>,
}

impl CpuGate {
    /// A gate at `cpus` (tests), or unlimited.
    pub fn new(cpus: Option<f64>) -> Self {
        Self {
            gate: Arc::new(Mutex::new(Gate {
                cpus: cpus.unwrap_or(UNLIMITED).min(UNLIMITED),
                busy_until: Instant::now(),
            })),
        }
    }

    /// Reads the quota of this process's cgroup (mounted at `root`, which
    /// is `/sys/fs/cgroup` in a container) now and every second after.
    pub fn watch_cgroup(root: &'static str, cancel: CancellationToken) -> Self {
        let gate = Self::new(read_quota(Path::new(root)));
        let watched = gate.clone();
        tokio::spawn(async move {
            let mut told = watched.cpus();
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(READ_EVERY) => {}
                }
                watched.set_cpus(read_quota(Path::new(root)));
                let now = watched.cpus();
                if (now - told).abs() > 1e-9 {
                    println!("[INFO] CPU quota now {now:.2} CPUs (read from the cgroup)");
                    told = now;
                }
            }
        });
        gate
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Gate> {
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn cpus(&self) -> f64 {
        self.lock().cpus
    }

    pub fn set_cpus(&self, cpus: Option<f64>) {
        self.lock().cpus = cpus.unwrap_or(UNLIMITED).min(UNLIMITED);
    }

    /// Takes the CPU for `ops` operations after those already queued, and
    /// returns when they are done.
    pub fn reserve(&self, ops: u64) -> Instant {
        let mut gate = self.lock();
        let work = COST_PER_OP.mul_f64(ops as f64 / gate.cpus.max(0.001));
        let start = gate.busy_until.max(Instant::now());
        gate.busy_until = start + work;
        gate.busy_until
    }

    /// Serves `ops` operations: waits for the CPU and for their work.
    pub async fn serve(&self, ops: u64) {
        tokio::time::sleep_until(self.reserve(ops)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_is_read_from_either_cgroup_version() {
        assert_eq!(cpus_granted(Some("20000 100000\n"), None), Some(0.2));
        assert_eq!(cpus_granted(Some("max 100000\n"), None), None);
        assert_eq!(cpus_granted(None, Some(("20000\n", "100000\n"))), Some(0.2));
        assert_eq!(cpus_granted(None, Some(("-1\n", "100000\n"))), None);
        assert_eq!(cpus_granted(None, None), None);
        assert_eq!(cpus_granted(Some("garbage"), None), None);
        assert_eq!(cpus_granted(Some("1 0"), None), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lower_quota_queues_the_same_work_for_longer() {
        let gate = CpuGate::new(None);
        let start = Instant::now();
        let done = gate.reserve(10);
        assert_eq!(done - start, COST_PER_OP * 10);
        gate.set_cpus(Some(0.2));
        // Queued after the first: the same work at a fifth of a CPU.
        assert_eq!(gate.reserve(10) - start, COST_PER_OP * 60);
        // More than one CPU serves no faster than the cost's own unit.
        gate.set_cpus(Some(4.0));
        assert_eq!(gate.cpus(), 1.0);
    }
}
