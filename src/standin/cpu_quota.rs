//! A stand-in TiKV's own CPU quota, read from its cgroup as a real process
//! would find it starving: a container held to less than one CPU serves
//! each request that much slower, so a slow store on the stand-ins shows
//! in the load's latency and throughput as it would on a real cluster,
//! measured from the kernel's figures, never told by the test.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// What a request costs a stand-in with a whole CPU; a quota of `c` CPUs
/// (below one) adds `BASE * (1/c - 1)`.
const BASE: Duration = Duration::from_millis(60);
/// How often the quota is read again.
const REREAD: Duration = Duration::from_secs(1);
/// The cgroup files: v2's `cpu.max`, v1's quota and period.
const V2_MAX: &str = "/sys/fs/cgroup/cpu.max";
const V1_DIRS: [&str; 2] = ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"];

/// The CPUs a cgroup v2 `cpu.max` line allows (`20000 100000`); `None`
/// for `max` (no limit) or a line that is not one.
pub fn parse_cpu_max(line: &str) -> Option<f64> {
    let mut parts = line.split_whitespace();
    let quota = parts.next()?;
    let period = parts
        .next()
        .map_or(Some(100_000.0), |p| p.parse::<f64>().ok())?;
    cpus(quota.parse::<f64>().ok()?, period)
}

/// The CPUs a cgroup v1 quota and period allow; `None` for `-1` (no limit).
pub fn parse_v1(quota: &str, period: &str) -> Option<f64> {
    cpus(quota.trim().parse().ok()?, period.trim().parse().ok()?)
}

fn cpus(quota: f64, period: f64) -> Option<f64> {
    (quota > 0.0 && period > 0.0 && quota.is_finite() && period.is_finite()).then(|| quota / period)
}

/// The quota of the cgroup this process runs in, if it has one.
pub fn read() -> Option<f64> {
    if let Ok(line) = std::fs::read_to_string(V2_MAX) {
        return parse_cpu_max(&line);
    }
    V1_DIRS.iter().find_map(|dir| {
        let quota = std::fs::read_to_string(format!("{dir}/cpu.cfs_quota_us")).ok()?;
        let period = std::fs::read_to_string(format!("{dir}/cpu.cfs_period_us")).ok()?;
        parse_v1(&quota, &period)
    })
}

/// What one request waits beyond its work under a quota of `cpus`.
pub fn extra_service(cpus: Option<f64>) -> Duration {
    match cpus {
        Some(cpus) if cpus > 0.0 && cpus < 1.0 => BASE.mul_f64((1.0 / cpus - 1.0).min(100.0)),
        _ => Duration::ZERO,
    }
}

/// The quota as last read, kept fresh by a task: thousandths of a CPU,
/// 0 for none.
#[derive(Debug, Clone, Default)]
pub struct Quota(Arc<AtomicU32>);

impl Quota {
    /// Reads the quota now and then every [`REREAD`] until `cancel`.
    pub fn watch(cancel: CancellationToken) -> Self {
        let quota = Self::default();
        quota.store(read());
        let kept = quota.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(REREAD) => kept.store(read()),
                }
            }
        });
        quota
    }

    fn store(&self, cpus: Option<f64>) {
        let milli = cpus.map_or(0, |c| {
            (c * 1000.0).round().clamp(1.0, f64::from(u32::MAX)) as u32
        });
        self.0.store(milli, Ordering::Relaxed);
    }

    /// What a request waits beyond its work now.
    pub fn extra_service(&self) -> Duration {
        match self.0.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            milli => extra_service(Some(f64::from(milli) / 1000.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernels_forms_read_as_cpus() {
        assert_eq!(parse_cpu_max("20000 100000\n"), Some(0.2));
        assert_eq!(parse_cpu_max("max 100000\n"), None);
        assert_eq!(parse_cpu_max(""), None);
        assert_eq!(parse_v1("-1\n", "100000\n"), None);
        assert_eq!(parse_v1("50000\n", "100000\n"), Some(0.5));
        assert_eq!(parse_v1("x", "100000"), None);
    }

    #[test]
    fn a_starved_store_serves_slower_in_proportion() {
        assert_eq!(extra_service(None), Duration::ZERO);
        assert_eq!(extra_service(Some(2.0)), Duration::ZERO);
        assert_eq!(extra_service(Some(0.5)), BASE);
        assert_eq!(extra_service(Some(0.2)), BASE * 4);
    }
}
