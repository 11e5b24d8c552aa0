//! The simulated cluster's knobs, with TiKV's and PD's defaults.

use std::time::Duration;

use crate::cluster::model::FaultKind;
use crate::cluster::pd_rules::{DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_MAX_STORE_DOWN_TIME};

/// Fewest and most TiKV stores the simulator models.
pub const MIN_STORES: u8 = 3;
pub const MAX_STORES: u8 = 7;
/// Most regions the simulator models (the CLI's bound).
pub const MAX_REGIONS: u32 = 100_000;
/// The shortest store heartbeat the simulator runs with (the CLI's bound).
pub const MIN_HEARTBEAT_INTERVAL: Duration = Duration::from_millis(1);

/// Everything that shapes a simulated run. The same config (seed included)
/// and the same calls replay the same trace.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    pub seed: u64,
    /// TiKV stores, `MIN_STORES..=MAX_STORES`.
    pub stores: u8,
    /// Regions, each with three replicas on distinct stores.
    pub regions: u32,
    /// TiKV's store heartbeat interval (`pd-heartbeat-tick-interval`).
    pub heartbeat_interval: Duration,
    /// PD's `max-store-down-time`.
    pub max_store_down_time: Duration,
    /// Raft election timeout: each election waits a random time in
    /// `[min, max)`. TiKV: 10 ticks of 1 s, randomised up to 20 ticks.
    pub election_timeout_min: Duration,
    pub election_timeout_max: Duration,
    /// Workload target throughput (ops/s).
    pub target_ops_per_sec: f64,
    /// Share of reads in the workload (YCSB workload A: 0.5).
    pub read_fraction: f64,
    /// The workload runs from time zero. The show starts it itself
    /// (`start_load`), so the command line turns this off.
    pub load_at_start: bool,
    /// The fault kinds the simulated cluster applies (all four by default);
    /// fewer rehearse a backend that cannot apply them all.
    pub faults: Vec<FaultKind>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            stores: 3,
            regions: 64,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            max_store_down_time: DEFAULT_MAX_STORE_DOWN_TIME,
            election_timeout_min: Duration::from_secs(10),
            election_timeout_max: Duration::from_secs(20),
            target_ops_per_sec: 5000.0,
            read_fraction: 0.5,
            load_at_start: true,
            faults: FaultKind::ALL.to_vec(),
        }
    }
}

impl SimConfig {
    /// Rejects values the model cannot run with.
    pub fn validate(&self) -> Result<(), SimConfigError> {
        if !(MIN_STORES..=MAX_STORES).contains(&self.stores) {
            return Err(SimConfigError::Stores(self.stores));
        }
        if !(1..=MAX_REGIONS).contains(&self.regions) {
            return Err(SimConfigError::Regions(self.regions));
        }
        if self.heartbeat_interval < MIN_HEARTBEAT_INTERVAL {
            return Err(SimConfigError::HeartbeatInterval(self.heartbeat_interval));
        }
        if self.max_store_down_time.is_zero() {
            return Err(SimConfigError::MaxStoreDownTime);
        }
        if self.election_timeout_min.is_zero()
            || self.election_timeout_max < self.election_timeout_min
        {
            return Err(SimConfigError::ElectionTimeout {
                min: self.election_timeout_min,
                max: self.election_timeout_max,
            });
        }
        if !self.target_ops_per_sec.is_finite() || self.target_ops_per_sec < 0.0 {
            return Err(SimConfigError::TargetOps(self.target_ops_per_sec));
        }
        if !(0.0..=1.0).contains(&self.read_fraction) {
            return Err(SimConfigError::ReadFraction(self.read_fraction));
        }
        Ok(())
    }
}

/// Why a simulator config was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimConfigError {
    #[error("the simulator models {MIN_STORES} to {MAX_STORES} TiKV stores, not {0}")]
    Stores(u8),
    #[error("the simulator models 1 to {MAX_REGIONS} regions, not {0}")]
    Regions(u32),
    #[error("the heartbeat interval must be at least 1ms, not {0:?}")]
    HeartbeatInterval(Duration),
    #[error("max-store-down-time must be positive")]
    MaxStoreDownTime,
    #[error("the election timeout range {min:?}..{max:?} must be positive and ordered")]
    ElectionTimeout { min: Duration, max: Duration },
    #[error("the target throughput must be a finite, non-negative number, not {0}")]
    TargetOps(f64),
    #[error("the read fraction must be between 0 and 1, not {0}")]
    ReadFraction(f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_tikv_and_pd_defaults() {
        let config = SimConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.heartbeat_interval, Duration::from_secs(10));
        assert_eq!(config.max_store_down_time, Duration::from_secs(1800));
        assert_eq!(config.stores, 3);
        assert_eq!(config.regions, 64);
    }

    #[test]
    fn bad_values_are_rejected_with_a_reason() {
        let too_many = SimConfig {
            stores: 8,
            ..SimConfig::default()
        };
        assert_eq!(too_many.validate(), Err(SimConfigError::Stores(8)));
        let no_regions = SimConfig {
            regions: 0,
            ..SimConfig::default()
        };
        assert_eq!(no_regions.validate(), Err(SimConfigError::Regions(0)));
        let no_heartbeat = SimConfig {
            heartbeat_interval: Duration::ZERO,
            ..SimConfig::default()
        };
        assert!(no_heartbeat.validate().is_err());
        let inverted = SimConfig {
            election_timeout_min: Duration::from_secs(20),
            election_timeout_max: Duration::from_secs(10),
            ..SimConfig::default()
        };
        assert!(inverted.validate().is_err());
        let nan = SimConfig {
            target_ops_per_sec: f64::NAN,
            ..SimConfig::default()
        };
        assert!(nan.validate().is_err());
    }
}
