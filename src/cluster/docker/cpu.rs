//! A slow store on Docker: the container's CPU limit lowered through the
//! Engine API (`update_container`) and put back as it was. Pure, so the
//! rules this engine follows are tested without one.
//!
//! What the engine does (Docker 28, seen on cgroup v1): a limit is either
//! `NanoCpus` or `CpuQuota` per `CpuPeriod`, never both (setting one once
//! the other is set is refused as "conflicting options"); `0` in an update
//! means "unchanged", so a limit is lifted with `CpuQuota = -1`.

use bollard::models::{ContainerUpdateBody, HostConfig};

use crate::cluster::Before;

/// The period chaosdeck uses for a quota of its own (the kernel's default).
const PERIOD_US: i64 = 100_000;
const NANOS_PER_CPU: f64 = 1e9;

/// The container's CPU limit as the engine reports it.
pub fn limit_of(host: Option<&HostConfig>) -> Before {
    let host = host.cloned().unwrap_or_default();
    Before::CpuLimit {
        nano_cpus: host.nano_cpus.unwrap_or(0),
        cpu_quota: host.cpu_quota.unwrap_or(0),
        cpu_period: host.cpu_period.unwrap_or(0),
    }
}

/// The CPUs a limit allows: `None` for no limit.
pub fn cpus_of(limit: &Before) -> Option<f64> {
    let Before::CpuLimit {
        nano_cpus,
        cpu_quota,
        cpu_period,
    } = *limit;
    if nano_cpus > 0 && cpu_quota != -1 {
        return Some(nano_cpus as f64 / NANOS_PER_CPU);
    }
    if cpu_quota > 0 {
        let period = if cpu_period > 0 {
            cpu_period
        } else {
            PERIOD_US
        };
        return Some(cpu_quota as f64 / period as f64);
    }
    None
}

/// The update that limits a container whose limit is `now` to `cpus`, in
/// the form it already uses (the engine refuses the other).
pub fn slow_to(now: &Before, cpus: f64) -> ContainerUpdateBody {
    let Before::CpuLimit {
        nano_cpus,
        cpu_period,
        ..
    } = *now;
    if nano_cpus > 0 {
        ContainerUpdateBody {
            nano_cpus: Some((cpus * NANOS_PER_CPU).round() as i64),
            ..Default::default()
        }
    } else {
        let period = if cpu_period > 0 {
            cpu_period
        } else {
            PERIOD_US
        };
        ContainerUpdateBody {
            cpu_quota: Some(((cpus * period as f64).round() as i64).max(1000)),
            cpu_period: Some(period),
            ..Default::default()
        }
    }
}

/// The update that puts `before` back.
pub fn restore(before: &Before) -> ContainerUpdateBody {
    let Before::CpuLimit {
        nano_cpus,
        cpu_quota,
        cpu_period,
    } = *before;
    if nano_cpus > 0 {
        return ContainerUpdateBody {
            nano_cpus: Some(nano_cpus),
            ..Default::default()
        };
    }
    ContainerUpdateBody {
        // 0 would leave the quota as it is: -1 lifts it.
        cpu_quota: Some(if cpu_quota > 0 { cpu_quota } else { -1 }),
        cpu_period: Some(if cpu_period > 0 {
            cpu_period
        } else {
            PERIOD_US
        }),
        ..Default::default()
    }
}

/// `0.2 CPUs`, or `no CPU limit`, for messages.
pub fn describe(limit: &Before) -> String {
    match cpus_of(limit) {
        Some(cpus) => format!("{} CPUs", crate::text::numbers::trimmed(cpus)),
        None => "no CPU limit".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(nano_cpus: i64, cpu_quota: i64, cpu_period: i64) -> Before {
        Before::CpuLimit {
            nano_cpus,
            cpu_quota,
            cpu_period,
        }
    }

    #[test]
    fn a_container_without_a_limit_is_slowed_by_quota_and_lifted_with_minus_one() {
        let none = limit(0, 0, 0);
        assert_eq!(cpus_of(&none), None);
        let slow = slow_to(&none, 0.2);
        assert_eq!(
            (slow.cpu_quota, slow.cpu_period, slow.nano_cpus),
            (Some(20_000), Some(100_000), None)
        );
        let back = restore(&none);
        assert_eq!((back.cpu_quota, back.cpu_period), (Some(-1), Some(100_000)));
        // What the engine then reports is no limit again.
        assert_eq!(cpus_of(&limit(0, -1, 100_000)), None);
    }

    #[test]
    fn a_container_limited_by_nano_cpus_keeps_that_form() {
        let one_and_a_half = limit(1_500_000_000, 0, 0);
        assert_eq!(cpus_of(&one_and_a_half), Some(1.5));
        let slow = slow_to(&one_and_a_half, 0.2);
        assert_eq!((slow.nano_cpus, slow.cpu_quota), (Some(200_000_000), None));
        assert_eq!(restore(&one_and_a_half).nano_cpus, Some(1_500_000_000));
    }

    #[test]
    fn a_quota_of_its_own_period_is_kept() {
        let half = limit(0, 25_000, 50_000);
        assert_eq!(cpus_of(&half), Some(0.5));
        let slow = slow_to(&half, 0.1);
        assert_eq!(
            (slow.cpu_quota, slow.cpu_period),
            (Some(5_000), Some(50_000))
        );
        let back = restore(&half);
        assert_eq!(
            (back.cpu_quota, back.cpu_period),
            (Some(25_000), Some(50_000))
        );
        assert_eq!(describe(&half), "0.5 CPUs");
        assert_eq!(describe(&limit(0, 0, 0)), "no CPU limit");
    }
}
